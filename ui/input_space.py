"""The input-space view: the network's output (or one neuron) as a colour map over two inputs, the data
rows on it coloured by their target, and the decision boundary; live as training moves.

`MapSource` keeps the user's choices (the axes, held values, ranges, resolution) and gives the map of
the document's live network, computed by the engine (`simulator.input_map`) only when a view asks and
the network, data or choices changed since the last one. `InputSpacePanel` is the dock that draws it.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QBuffer, QObject, QPointF, QRectF, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (QComboBox, QGraphicsItem, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from simulator.errors import SessionError, SimulatorError
from simulator.formatting import format_number
from simulator.input_map import (DEFAULT_RESOLUTION, MAX_RESOLUTION, MIN_RESOLUTION, InputMap, MapSettings,
                                 NeuronChoice, checked_range, checked_value, compute_map, default_settings)
from simulator.map_picture import (BOUNDARY_COLOUR, VALUE_STOPS, class_mixture, target_colours, value_colours,
                                   value_scale)
from simulator.notation import output_name
from simulator.numbers import NumberError, parse_number
from simulator.session import write_atomically

from .document import Change
from .graph.neuron_map_item import NeuronMapItem

#: Grid points times parameters a map may cost (about 20 ms of numpy on a laptop): a large network gets
#: a coarser grid, said in the panel, rather than a window that cannot keep up with training.
WORK_BUDGET = 2_000_000
ERROR_STYLE = "color: #b00020;"
SELECTED_PEN = pg.mkPen((20, 20, 20), width=2.5)
CURRENT_PEN = pg.mkPen((220, 30, 30), width=2.5, style=Qt.PenStyle.DashLine)
#: Whether View ▸ Neuron Maps on the Graph is on (off until the user turns it on).
GRAPH_MAPS_KEY = "view/neuron_maps"


def value_colour_map() -> pg.ColorMap:
    """The engine's value scale (orange, grey, blue) as a pyqtgraph colour map."""
    return pg.ColorMap([stop for stop, _ in VALUE_STOPS], [colour for _, colour in VALUE_STOPS])


def neuron_title(network, neuron: NeuronChoice) -> str:
    """`ŷ (placed)`, `ŷ2 (tier=mid)` or `o12` for a neuron of `network`."""
    if neuron.layer == len(network.layers):
        symbol = "ŷ" if network.n_outputs == 1 else f"ŷ{neuron.index}"
        return f"{symbol} ({network.output_names[neuron.index - 1]})"
    return output_name(neuron.layer, neuron.index)


class MapSource(QObject):
    """The map of the document's live network over the user's choice of grid; recomputed on demand."""

    choices_changed = Signal()

    def __init__(self, document, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.axes = (0, 1)
        self.resolution = DEFAULT_RESOLUTION
        #: Input index → held value, and axis input index → (low, high), set by the user (the rest default).
        self.fixed: dict[int, float] = {}
        self.ranges: dict[int, tuple[float, float]] = {}
        self._inputs: tuple[str, ...] = ()
        self._key: tuple | None = None
        self._map: InputMap | None = None
        self._defaults: tuple | None = None
        document.changed.connect(self._document_changed)
        self._document_changed(Change.STRUCTURE)

    def _document_changed(self, change: Change) -> None:
        inputs = tuple(self.document.session.dataset.inputs)
        if change & Change.STRUCTURE and inputs != self._inputs:   # other inputs: the choices made no sense
            self._inputs = inputs
            self.axes, self.fixed, self.ranges = (0, 1), {}, {}

    @property
    def usable(self) -> bool:
        return len(self.document.session.dataset.inputs) >= 2

    def default_settings(self) -> MapSettings:
        """The data's spans and the training rows' means (kept until the data or its rows change)."""
        training = self.document.training
        key = (id(self.document.session.dataset), training.X.shape[0], training.config.validation,
               training.config.validation_seed, self.axes)
        if self._defaults is None or self._defaults[0] != key:
            self._defaults = (key, default_settings(self.document.session, training.training_rows, self.axes))
        return self._defaults[1]

    def resolution_used(self) -> tuple[int, str]:
        """The resolution a map is made at, and why when it is less than the one chosen."""
        count = self.document.network.parameter_count()
        largest = max(MIN_RESOLUTION, int(math.isqrt(WORK_BUDGET // max(count, 1))))
        if self.resolution <= largest:
            return self.resolution, ""
        return largest, (f"{largest} × {largest} points, not {self.resolution}: a finer map of this "
                         f"{count:,}-parameter network could not keep up with training")

    def settings(self) -> MapSettings:
        defaults = self.default_settings()
        fixed = tuple(self.fixed.get(index, value) for index, value in enumerate(defaults.fixed))
        ranges = tuple(self.ranges.get(axis, span) for axis, span in zip(self.axes, defaults.ranges))
        return MapSettings(self.axes, ranges, fixed, self.resolution_used()[0])

    def current(self) -> InputMap | None:
        """The map of the live parameters now (the same object until something it depends on changes)."""
        if not self.usable:
            return None
        document = self.document
        settings = self.settings()
        key = (id(document.run), document.network.flat_parameters().tobytes(), id(document.session),
               settings)
        if key != self._key:
            self._map = compute_map(document.session, document.network, settings)
            self._key = key
        return self._map

    @property
    def latest(self) -> InputMap | None:
        """The map made last (None before the first), without making one."""
        return self._map

    # -- the user's choices (each refused with a message naming the field, changing nothing) ---------
    def set_axes(self, x: int, y: int) -> None:
        if x == y:
            raise SimulatorError("choose two different inputs for the axes")
        self.axes = (x, y)
        self.ranges = {axis: span for axis, span in self.ranges.items() if axis in self.axes}
        self.fixed = {index: value for index, value in self.fixed.items() if index not in self.axes}
        self.choices_changed.emit()

    def set_resolution(self, points: int) -> None:
        self.resolution = max(MIN_RESOLUTION, min(int(points), MAX_RESOLUTION))
        self.choices_changed.emit()

    def set_fixed(self, index: int, text: str) -> None:
        """Hold input `index` at the number typed (blank: its training mean)."""
        name = self._inputs[index]
        if not text.strip():
            self.fixed.pop(index, None)
        else:
            self.fixed[index] = checked_value(f"the value of {name}", _number(text, f"the value of {name}"))
        self.choices_changed.emit()

    def set_range(self, axis: int, low_text: str, high_text: str) -> None:
        """The span of axis input `axis` (both blank: the data's)."""
        name = self._inputs[axis]
        if not low_text.strip() and not high_text.strip():
            self.ranges.pop(axis, None)
        else:
            default = dict(zip(self.axes, self.default_settings().ranges))[axis]
            low = _number(low_text, f"the low end of {name}") if low_text.strip() else default[0]
            high = _number(high_text, f"the high end of {name}") if high_text.strip() else default[1]
            self.ranges[axis] = checked_range(name, low, high)
        self.choices_changed.emit()


def _number(text: str, where: str) -> float:
    try:
        return parse_number(text)
    except NumberError as error:
        raise SimulatorError(f"{where}: {error}") from None


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
        self.colour_bar = pg.ColorBarItem(values=(0, 1), colorMap=value_colour_map(), interactive=False, width=14)
        self.colour_bar.setImageItem(self.image, insert_in=item)
        self.boundary = pg.PlotCurveItem(pen=pg.mkPen(BOUNDARY_COLOUR, width=2), connect="pairs")
        self.plot.addItem(self.boundary)
        self.points = pg.ScatterPlotItem(size=11, pen=pg.mkPen((40, 40, 40), width=1.5), hoverable=True,
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
            caption.setMinimumWidth(20)
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
            self.points.clear()
            self.boundary.setData([], [])
            self.status.setText("A map needs two inputs; this network has one.")
            return
        neuron = self.shown_neuron()
        targets = self.document.training.Y
        layer = len(input_map.layers) if neuron is None else neuron.layer
        if neuron is None and input_map.task == "multiclass":
            self.image.setImage(class_mixture(input_map.output), autoLevels=False, levels=(0, 255))
            self.image.setLookupTable(None)   # the colours are the classes' own
            self._levels = None
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
        self.image.setRect(QRectF(xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx, ys[-1] - ys[0] + dy))
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

class GraphMaps(QObject):
    """While `shown`, each hidden and output neuron on the network graph carries its map in its circle
    (the maps of one layer on that layer's shared colour scale)."""

    def __init__(self, document, source: MapSource, scene, parent: QObject | None = None):
        super().__init__(parent)
        self.document, self.source, self.scene = document, source, scene
        self.shown = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        document.changed.connect(lambda change: self.schedule() if change & Change.MODEL else None)
        source.choices_changed.connect(self.schedule)
        scene.rebuilt.connect(self.schedule)

    def set_shown(self, shown: bool) -> None:
        self.shown = bool(shown)
        if self.shown:
            self.schedule()
        else:
            for item in self.scene.neuron_items():
                if item.map_item is not None:
                    item.map_item.setVisible(False)
                    item.update()

    def schedule(self) -> None:
        if self.shown and not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        if not self.shown:
            return
        try:
            input_map = self.source.current()
        except SimulatorError:
            input_map = None     # the panel says why
        targets = self.document.training.Y
        layers = {}    # each layer's colours at once: (rows, columns, neurons, 3)
        if input_map is not None:
            for layer in range(1, len(input_map.layers) + 1):
                layers[layer] = value_colours(input_map.layers[layer - 1], *value_scale(input_map, layer, targets))
        for item in self.scene.neuron_items():
            if item.is_input:
                continue
            if input_map is None:
                if item.map_item is not None:
                    item.map_item.setVisible(False)
                continue
            if item.map_item is None:
                item.map_item = NeuronMapItem(item, item.radius)
            item.map_item.set_picture(disc_image(layers[item.layer][:, :, item.neuron - 1]), item.name)
            item.map_item.setVisible(True)
            item.update()

    def picture_of(self, layer: int, neuron: int) -> QImage | None:
        """The picture shown in a neuron's circle (None when none is)."""
        item = self.scene.neuron_item(layer, neuron)
        return None if item.map_item is None or not item.map_item.isVisible() else item.map_item.picture


@functools.lru_cache(maxsize=8)
def _disc(height: int, width: int) -> np.ndarray:
    """`(height, width, 4)` uint8: 255 in every channel of the pixels in the circle a picture fills, else 0."""
    y, x = np.mgrid[0:height, 0:width]
    inside = ((x + 0.5 - width / 2) / (width / 2)) ** 2 + ((y + 0.5 - height / 2) / (height / 2)) ** 2 <= 1.0
    return np.repeat(np.where(inside, 255, 0).astype(np.uint8)[:, :, None], 4, axis=2)


def disc_image(colours: np.ndarray) -> QImage:
    """A map's colours `(rows, columns, 3)` uint8, row 0 the lowest y, as an image with the highest y on
    top, transparent outside the circle it fills."""
    height, width = colours.shape[:2]
    rgba = np.empty((height, width, 4), dtype=np.uint8)
    rgba[:, :, :3] = colours[::-1]
    rgba[:, :, 3] = 255
    np.bitwise_and(rgba, _disc(height, width), out=rgba)   # premultiplied: nothing at all outside the circle
    image = QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888_Premultiplied)
    return image.copy()


def focused_neuron(scene) -> NeuronChoice | None:
    """The hidden or output neuron under the mouse on the graph, else the one selected there."""
    items = [item for item in scene.neuron_items() if not item.is_input]
    for wanted in (lambda item: item.hovered, lambda item: item.isSelected()):
        found = next((item for item in items if wanted(item)), None)
        if found is not None:
            return NeuronChoice(found.layer, found.neuron)
    return None


def _bring_forward(window, row: int) -> None:
    """A clicked point: its row becomes the next sample to step (or the status bar says why not)."""
    window.controller.pause()
    try:
        moved = window.document.bring_forward(row)
    except SimulatorError as error:
        window.show_message(f"Row {row + 1} cannot be the next sample: {error}")
        return
    window.show_message(f"Row {row + 1} is the next sample (F10 steps it)" if moved else
                        f"Row {row + 1} is the next sample already")


def link_input_space(window) -> None:
    """Join the input-space panel to the rest of the window: the table's selection rings its point, a
    clicked point selects its row, the neuron hovered or selected on the graph is shown large, and
    View ▸ Neuron Maps on the Graph puts every neuron's map in its circle. A clicked point also
    becomes the next sample to step (an undoable edit)."""
    panel, table = window.input_space, window.dataset_panel.view
    scene = window.view.network_scene()
    table.selectionModel().currentRowChanged.connect(
        lambda current, _previous: panel.select_row(current.row() if current.isValid() else None))
    panel.row_clicked.connect(table.selectRow)
    panel.row_clicked.connect(lambda row: _bring_forward(window, row))
    scene.focus_changed.connect(lambda: panel.set_focus(focused_neuron(scene)))
    window.graph_maps = GraphMaps(window.document, window.map_source, scene, window)
    action = QAction("Neuron &Maps on the Graph", window)
    action.setCheckable(True)
    action.setStatusTip("Draw each hidden and output neuron's input-space map inside its circle")
    action.toggled.connect(window.graph_maps.set_shown)
    action.toggled.connect(lambda on: QSettings().setValue(GRAPH_MAPS_KEY, on))
    action.setChecked(bool(QSettings().value(GRAPH_MAPS_KEY, False, type=bool)))
    window.graph_maps_action = action
    view_menu = next(item.menu() for item in window.menuBar().actions() if item.text() == "&View")
    view_menu.addAction(action)
    panel.png_button.clicked.connect(
        lambda: window._export("Input space", "png", "PNG images (*.png)", panel.export_png))
    panel.svg_button.clicked.connect(
        lambda: window._export("Input space", "svg", "SVG images (*.svg)", panel.export_svg))
