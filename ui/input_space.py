"""The Input Space panel: the network's output (or one neuron) as a colour map over two inputs, the
data rows on it coloured by their target, and the decision boundary; live as training moves. The map
comes from a `MapSource` (ui/map_source.py); ui/graph_maps.py joins the panel to the rest of the window.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QBuffer, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (QComboBox, QGraphicsItem, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from simulator.errors import SessionError, SimulatorError
from simulator.formatting import format_number
from simulator.input_map import MAX_RESOLUTION, MIN_RESOLUTION, InputMap, NeuronChoice
from simulator.map_picture import BOUNDARY_COLOUR, VALUE_STOPS, class_mixture, target_colours, value_scale
from simulator.notation import output_name
from simulator.session import write_atomically

from .document import Change
from .map_source import MapSource

ERROR_STYLE = "color: #b00020;"
#: The map is drawn this opaque over the white background, and its colour bar with it: lighter than
#: the data points, which keep their full colours, so a point stays readable on the map of its own
#: class (a correctly classified point was once the very colour of the map under it and looked hollow).
MAP_OPACITY = 0.6
SELECTED_PEN = pg.mkPen((20, 20, 20), width=2.5)
CURRENT_PEN = pg.mkPen((220, 30, 30), width=2.5, style=Qt.PenStyle.DashLine)


def value_colour_map() -> pg.ColorMap:
    """The engine's value scale (orange, grey, blue) as a pyqtgraph colour map."""
    return pg.ColorMap([stop for stop, _ in VALUE_STOPS], [colour for _, colour in VALUE_STOPS])


def neuron_title(network, neuron: NeuronChoice) -> str:
    """`ŷ (placed)`, `ŷ2 (tier=mid)` or `o12` for a neuron of `network`."""
    if neuron.layer == len(network.layers):
        symbol = "ŷ" if network.n_outputs == 1 else f"ŷ{neuron.index}"
        return f"{symbol} ({network.output_names[neuron.index - 1]})"
    return output_name(neuron.layer, neuron.index)


class InputSpacePanel(QWidget):
    """The dock's contents: the choosers, the map with its colour bar, points and boundary, the readout."""

    row_clicked = Signal(int)        # a data point was clicked (0-based row)

    def __init__(self, document, source: MapSource, parent: QWidget | None = None):
        super().__init__(parent)
        self.document, self.source = document, source
        #: The neuron the graph points at (hovered or selected there), shown instead of the choice here.
        self.focus: NeuronChoice | None = None
        self.selected_row: int | None = None
        self._dirty = True
        self._shown: tuple | None = None
        self._levels: tuple | None = None
        self._labels: tuple | None = None
        self.x_combo, self.y_combo, self.show_combo = QComboBox(self), QComboBox(self), QComboBox(self)
        self.x_combo.setToolTip("The input across (x)")
        self.y_combo.setToolTip("The input up (y)")
        self.show_combo.setToolTip("What to colour the inputs by: the output, or one neuron's activation")
        for combo in (self.x_combo, self.y_combo, self.show_combo):
            # Long column names must not widen the dock (and the window) beyond 1280 pixels.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(5)
        self.resolution_spin = QSpinBox(self)
        self.resolution_spin.setRange(MIN_RESOLUTION, MAX_RESOLUTION)
        self.resolution_spin.setValue(source.resolution)
        self.resolution_spin.setKeyboardTracking(False)
        self.resolution_spin.setToolTip("Grid points along each axis")
        choosers = QGridLayout()   # two rows: the dock stays narrow enough for a 1280-pixel window
        for place, (label, widget) in enumerate((("&x:", self.x_combo), ("&y:", self.y_combo),
                                                 ("Sho&w:", self.show_combo), ("Po&ints:", self.resolution_spin))):
            caption = QLabel(label, self)
            caption.setBuddy(widget)
            choosers.addWidget(caption, place // 2, 2 * (place % 2))
            choosers.addWidget(widget, place // 2, 2 * (place % 2) + 1)
        choosers.setColumnStretch(1, 1)
        choosers.setColumnStretch(3, 1)
        self.range_edits = {}
        self.fields = QGridLayout()
        self.fields.setContentsMargins(0, 0, 0, 0)
        self.plot = pg.PlotWidget(self)
        self.plot.setBackground("w")
        self.plot.setMinimumSize(220, 200)
        item = self.plot.getPlotItem()
        item.setAspectLocked(False)
        item.showGrid(x=False, y=False)
        item.getViewBox().setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setMenuEnabled(False)
        for side in ("left", "bottom"):   # kept as images: drawn again only when their range or size changes
            item.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        #: A softmax output's classes, as the mix of their colours: an RGB picture, apart from `image`,
        #: whose look-up table and levels the colour bar sets.
        self.class_image = pg.ImageItem(axisOrder="row-major")
        self.class_image.setVisible(False)
        self.plot.addItem(self.class_image)
        self.colour_bar = pg.ColorBarItem(values=(0, 1), colorMap=value_colour_map(), interactive=False, width=14)
        self.colour_bar.setImageItem(self.image, insert_in=item)
        for picture in (self.image, self.class_image, self.colour_bar.bar):
            picture.setOpacity(MAP_OPACITY)
        self.boundary = pg.PlotCurveItem(pen=pg.mkPen(BOUNDARY_COLOUR, width=2), connect="pairs")
        self.plot.addItem(self.boundary)
        self.points = pg.ScatterPlotItem(size=12, pen=pg.mkPen((40, 40, 40), width=1.5), hoverable=True,
                                         hoverPen=pg.mkPen((20, 20, 20), width=2), hoverSize=14)
        self.points.sigHovered.connect(self._points_hovered)
        self.points.sigClicked.connect(self._points_clicked)
        self.plot.addItem(self.points)
        self.current_ring = pg.ScatterPlotItem(size=19, pen=CURRENT_PEN, brush=None)
        self.selected_ring = pg.ScatterPlotItem(size=23, pen=SELECTED_PEN, brush=None)
        self.plot.addItem(self.current_ring)
        self.plot.addItem(self.selected_ring)
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        self.plot.setToolTip("Hover a point for its row and ŷ; click it to make it the next sample to step")
        self.readout = QLabel(self)
        self.readout.setToolTip("The value under the mouse pointer")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.png_button = QPushButton("Export &PNG…", self)
        self.svg_button = QPushButton("Export S&VG…", self)
        self.png_button.setToolTip("Save this map as a PNG picture")
        self.svg_button.setToolTip("Save this map as an SVG drawing")
        buttons = QHBoxLayout()
        buttons.addWidget(self.readout, 1)
        buttons.addWidget(self.png_button)
        buttons.addWidget(self.svg_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(choosers)
        layout.addLayout(self.fields)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.x_combo.activated.connect(lambda index: self._set_axes(index, self.source.axes[1]))
        self.y_combo.activated.connect(lambda index: self._set_axes(self.source.axes[0], index))
        self.show_combo.activated.connect(lambda _index: self.schedule())
        self.resolution_spin.valueChanged.connect(self.source.set_resolution)
        source.choices_changed.connect(self._choices_changed)
        document.changed.connect(self._document_changed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        self._rebuild_choosers()

    # -- choosers ------------------------------------------------------------------------------
    def _rebuild_choosers(self) -> None:
        network = self.document.network
        names = self.document.session.dataset.inputs
        for combo, axis in ((self.x_combo, 0), (self.y_combo, 1)):
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(min(self.source.axes[axis], len(names) - 1))
        previous = self.show_combo.currentData()
        self.show_combo.clear()
        self.show_combo.addItem("Output" + (" classes" if self._multiclass() else ""), None)
        for layer_index, layer in enumerate(network.layers, start=1):
            if layer_index == len(network.layers) and layer.n_out == 1:
                continue
            for neuron in range(1, layer.n_out + 1):
                choice = NeuronChoice(layer_index, neuron)
                self.show_combo.addItem(neuron_title(network, choice), choice)
        found = self.show_combo.findData(previous)
        self.show_combo.setCurrentIndex(max(found, 0))
        self._rebuild_fields()

    def _rebuild_fields(self) -> None:
        while self.fields.count():
            widget = self.fields.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        names = self.document.session.dataset.inputs
        if len(names) < 2:
            return
        self.range_edits = {}
        defaults = self.source.default_settings()
        for row, (axis, label) in enumerate(zip(self.source.axes, ("x", "y"))):
            caption = QLabel(f"{label} from", self)
            caption.setToolTip(f"The span of {names[axis]} on the {label} axis")
            low, high = QLineEdit(self), QLineEdit(self)
            span = self.source.ranges.get(axis)
            for edit in (low, high):
                edit.setMinimumWidth(40)
            for edit, value, default in ((low, span and span[0], defaults.ranges[row][0]),
                                         (high, span and span[1], defaults.ranges[row][1])):
                edit.setPlaceholderText(format_number(default))
                edit.setText("" if value is None else repr(value))
                edit.setToolTip(f"The {label} axis's span in the data's units; blank: the data's span")
                edit.editingFinished.connect(lambda axis=axis: self._range_edited(axis))
            self.range_edits[axis] = (low, high)
            self.fields.addWidget(caption, row, 0)
            self.fields.addWidget(low, row, 1)
            self.fields.addWidget(QLabel("to", self), row, 2)
            self.fields.addWidget(high, row, 3)
        self.fixed_edits = {}
        held = [index for index in range(len(names)) if index not in self.source.axes]
        for position, index in enumerate(held):
            edit = QLineEdit(self)
            edit.setMinimumWidth(40)
            edit.setPlaceholderText(format_number(defaults.fixed[index]))
            value = self.source.fixed.get(index)
            edit.setText("" if value is None else repr(value))
            edit.setToolTip(f"The value {names[index]} is held at; blank: its mean over the training rows")
            edit.editingFinished.connect(lambda index=index: self._fixed_edited(index))
            self.fixed_edits[index] = edit
            row, column = 2 + position // 2, (position % 2) * 2
            self.fields.addWidget(QLabel(f"{names[index]} =", self), row, 4 + column)
            self.fields.addWidget(edit, row, 5 + column)

    def _set_axes(self, x: int, y: int) -> None:
        try:
            self.source.set_axes(x, y)
        except SimulatorError as error:
            self._show_error(str(error))
            self.x_combo.setCurrentIndex(self.source.axes[0])
            self.y_combo.setCurrentIndex(self.source.axes[1])
            return
        self._rebuild_fields()

    def _range_edited(self, axis: int) -> None:
        low, high = self.range_edits[axis]
        self._apply(lambda: self.source.set_range(axis, low.text(), high.text()))

    def _fixed_edited(self, index: int) -> None:
        self._apply(lambda: self.source.set_fixed(index, self.fixed_edits[index].text()))

    def _apply(self, change) -> None:
        try:
            change()
        except SimulatorError as error:
            self._show_error(str(error))

    def _show_error(self, text: str) -> None:
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(text[0].upper() + text[1:] + ".")

    def _choices_changed(self) -> None:
        self.status.setStyleSheet("")
        self.status.clear()
        self.schedule()

    # -- following the document ----------------------------------------------------------------
    def _document_changed(self, change: Change) -> None:
        if change & Change.STRUCTURE:
            self._rebuild_choosers()
        if change & (Change.MODEL | Change.DISPLAY):
            self.schedule()

    def schedule(self) -> None:
        """Redraw on the next turn of the event loop if shown; else when shown (a hidden map costs nothing)."""
        self._dirty = True
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.schedule()

    def set_focus(self, neuron: NeuronChoice | None) -> None:
        """Show `neuron` (hovered or selected on the graph) large; None: back to the chooser's."""
        if neuron != self.focus:
            self.focus = neuron
            self.schedule()

    def shown_neuron(self) -> NeuronChoice | None:
        """The neuron drawn now (None: the output)."""
        if self.focus is not None and self.focus.layer <= len(self.document.network.layers):
            return self.focus
        return self.show_combo.currentData()

    def _multiclass(self) -> bool:
        return self.document.training.task == "multiclass"

    def refresh(self) -> None:
        """Draw the map of the live parameters, its boundary and the data rows."""
        self._dirty = False
        try:
            input_map = self.source.current()
        except SimulatorError as error:
            self._show_error(str(error))
            return
        if input_map is None:
            self.image.clear()
            self.class_image.clear()
            self.points.clear()
            self.boundary.setData([], [])
            self.status.setText("A map needs two inputs; this network has one.")
            return
        neuron = self.shown_neuron()
        targets = self.document.training.Y
        layer = len(input_map.layers) if neuron is None else neuron.layer
        classes = neuron is None and input_map.task == "multiclass"
        self.class_image.setVisible(classes)
        self.image.setVisible(not classes)
        if classes:
            self.class_image.setImage(class_mixture(input_map.output), autoLevels=False, levels=(0, 255))
            self.colour_bar.setVisible(False)
        else:
            shown = neuron or NeuronChoice(len(input_map.layers), 1)
            levels = value_scale(input_map, layer, targets)
            self.image.setImage(input_map.values(shown), autoLevels=False)
            if self._levels != levels or self.image.lut is None:
                self._levels = levels     # a new scale redraws the bar: only when it changed
                self.colour_bar.setLevels(levels)
            else:
                self.image.setLevels(levels)
            self.colour_bar.setVisible(True)
        xs, ys = input_map.xs, input_map.ys
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        rect = QRectF(xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx, ys[-1] - ys[0] + dy)
        (self.class_image if classes else self.image).setRect(rect)
        if neuron is None:
            segments = input_map.boundary()
            self.boundary.setData(segments[:, :, 0].ravel(), segments[:, :, 1].ravel())
        else:
            self.boundary.setData([], [])
        self._draw_points(input_map)
        self._label_axes(input_map, neuron)
        self._update_status(input_map, layer)

    def _draw_points(self, input_map: InputMap) -> None:
        dataset = self.document.session.dataset
        key = (id(dataset), input_map.settings.axes, input_map.task)
        if key != self._shown:
            self._shown = key
            inputs = dataset.X[:, list(input_map.settings.axes)]
            colours = target_colours(input_map, self.document.training.Y)
            brushes = [pg.mkBrush(*colour) for colour in colours.tolist()]
            self.points.setData(x=inputs[:, 0], y=inputs[:, 1], brush=brushes, data=np.arange(len(inputs)))
        self._draw_rings(input_map)

    def _draw_rings(self, input_map: InputMap) -> None:
        inputs = self.document.session.dataset.X[:, list(input_map.settings.axes)]
        rows = sorted(self.current_rows())
        self.current_ring.setData(x=inputs[rows, 0], y=inputs[rows, 1]) if rows else self.current_ring.clear()
        if self.selected_row is not None and self.selected_row < len(inputs):
            row = self.selected_row
            self.selected_ring.setData(x=[inputs[row, 0]], y=[inputs[row, 1]])
        else:
            self.selected_ring.clear()

    def current_rows(self) -> set[int]:
        """The rows of the sample being stepped (or the next batch), as the table highlights them."""
        stepper, training = self.document.stepper, self.document.training
        if stepper.batch is not None:
            return {int(row) for row in stepper.batch.indices}
        if training.finished:
            return set()
        return {int(row) for row in training.current_batch()[:64]}

    def _label_axes(self, input_map: InputMap, neuron: NeuronChoice | None) -> None:
        names = self.document.session.dataset.inputs
        network = self.document.network
        key = (tuple(names), input_map.settings.axes, neuron, input_map.task, id(self.document.session))
        if key == self._labels:   # a new title or axis label lays the plot out again: only when it changed
            return
        self._labels = key
        item = self.plot.getPlotItem()
        item.setLabel("bottom", names[input_map.settings.axes[0]])
        item.setLabel("left", names[input_map.settings.axes[1]])
        if neuron is None:
            title = ("Output: the class with the largest ŷ" if input_map.task == "multiclass" else
                     f"Output {neuron_title(network, NeuronChoice(len(network.layers), 1))}")
        else:
            title = f"Neuron {neuron_title(network, neuron)} (layer {neuron.layer}, {network.layers[neuron.layer - 1].activation})"
        item.setTitle(title, size="9pt")

    def _update_status(self, input_map: InputMap, layer: int) -> None:
        bad = input_map.non_finite(layer)
        notes = []
        if bad:
            notes.append(f"Not a finite number at {bad:,} of the {input_map.settings.resolution ** 2:,} points "
                         "(drawn black): the network's values overflow. Step back (Ctrl+F10), undo or reset (Ctrl+R).")
        capped = self.source.resolution_used()[1]
        if capped:
            notes.append(capped[0].upper() + capped[1:] + ".")
        if self.document.session.standardise:
            notes.append("Axes in the data's units; the network sees them standardised.")
        self.status.setStyleSheet(ERROR_STYLE if bad else "")
        self.status.setText(" ".join(notes))

    # -- hover and click -----------------------------------------------------------------------
    def row_text(self, row: int) -> str:
        """`Row 3: x1 = 1, x2 = 0; xor = 1; ŷ = 0.53` at the document's precision."""
        dataset, training = self.document.session.dataset, self.document.training
        digits = self.document.digits
        inputs = ", ".join(f"{name} = {format_number(float(value), digits)}"
                           for name, value in zip(dataset.inputs, dataset.X[row]))
        targets = ", ".join(f"{name} = {format_number(float(value), digits)}"
                            for name, value in zip(dataset.targets, training.Y[row]))
        with np.errstate(over="ignore", invalid="ignore"):
            y_hat = training.network.predict(training.X[row:row + 1])[0]
        predicted = ", ".join(format_number(float(value), digits) for value in y_hat)
        return f"Row {row + 1}: {inputs}; {targets}; ŷ = {predicted}"

    def _points_hovered(self, _item, points, _event) -> None:
        if len(points):
            self.readout.setText(self.row_text(int(points[0].data())))

    def _points_clicked(self, _item, points, _event) -> None:
        if len(points):
            self.row_clicked.emit(int(points[0].data()))

    def _mouse_moved(self, position: QPointF) -> None:
        input_map = self.source.latest
        if input_map is None or not self.plot.getPlotItem().sceneBoundingRect().contains(position):
            return
        if len(self.points.pointsAt(self.points.mapFromScene(position))):
            return    # the point's own readout stays
        point = self.plot.getPlotItem().getViewBox().mapSceneToView(position)
        xs, ys = input_map.xs, input_map.ys
        ix = int(round((point.x() - xs[0]) / (xs[1] - xs[0])))
        iy = int(round((point.y() - ys[0]) / (ys[1] - ys[0])))
        if not (0 <= ix < len(xs) and 0 <= iy < len(ys)):
            self.readout.clear()
            return
        neuron = self.shown_neuron()
        names = self.document.session.dataset.inputs
        digits = self.document.digits
        where = (f"{names[input_map.settings.axes[0]]} = {format_number(float(xs[ix]), digits)}, "
                 f"{names[input_map.settings.axes[1]]} = {format_number(float(ys[iy]), digits)}")
        if neuron is None:
            values = ", ".join(format_number(float(value), digits) for value in input_map.output[iy, ix])
            self.readout.setText(f"{where}: ŷ = {values}")
        else:
            value = float(input_map.values(neuron)[iy, ix])
            self.readout.setText(f"{where}: {neuron_title(self.document.network, neuron)} = {format_number(value, digits)}")

    def select_row(self, row: int | None) -> None:
        """Ring the point of data row `row` (0-based; None: none), as the table selected it."""
        if row != self.selected_row:
            self.selected_row = row
            if self.source.latest is not None:
                self._draw_rings(self.source.latest)

    # -- export --------------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> None:
        """Save the map as a PNG image; raises SessionError with a message on failure."""
        path = Path(path)
        if self._dirty:
            self.refresh()
        image = pyqtgraph.exporters.ImageExporter(self.plot.getPlotItem()).export(toBytes=True)
        if image is None or not image.save(str(path), "PNG"):
            raise SessionError(f"cannot save {path.name}: the image could not be written there")

    def export_svg(self, path: str | Path) -> None:
        """Save the map as an SVG drawing (the plot as drawn, the map itself embedded as an image);
        raises SimulatorError with a message on failure. (pyqtgraph's own SVG exporter cannot read
        the paths this Qt writes, so Qt's SVG generator draws the plot's scene.)"""
        path = Path(path)
        if self._dirty:
            self.refresh()
        item = self.plot.getPlotItem()
        rect = item.sceneBoundingRect()
        generator = QSvgGenerator()
        buffer = QBuffer()
        generator.setOutputDevice(buffer)
        generator.setSize(rect.size().toSize())
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle(f"{self.document.title}: input space")
        generator.setDescription("Input-space map exported from Backprop Simulator")
        painter = QPainter(generator)
        if not painter.isActive():
            raise SimulatorError("could not start drawing the export")
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        painter.fillRect(QRectF(0, 0, rect.width(), rect.height()), Qt.GlobalColor.white)
        self.plot.scene().render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        painter.end()
        if buffer.size() == 0:
            raise SimulatorError(f"could not draw {path.name}")
        write_atomically(path, bytes(buffer.data()).decode("utf-8"))
