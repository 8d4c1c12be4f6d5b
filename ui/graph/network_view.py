"""The view of the network: zoom, pan, keyboard navigation, inline editing and image export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPainter, QResizeEvent, QShowEvent, QTransform, QWheelEvent
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QWidget

from simulator.errors import SimulatorError
from simulator.formatting import format_number
from simulator.session import write_atomically
from ui.parsing import parse_float

from . import style
from .edge_item import EdgeItem
from .network_scene import NetworkScene
from .neuron_item import NeuronItem
from .value_editor import ValueEditor

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.2, 6.0
#: Fitting never magnifies beyond this: a small network in a big window stays at a sensible size.
MAX_FIT_ZOOM = 1.75
#: A network that shows every label is always fitted whole, however small its area. A larger network
#: (labels on demand) is not shrunk below this, where its labels would be too small to read: it scrolls
#: instead (Ctrl+− still zooms out further, for an overview).
MIN_FIT_ZOOM = 0.7
FIT_MARGIN = 6
_EDIT_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2)
_ARROWS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down)


class NetworkView(QGraphicsView):
    """Shows a NetworkScene of `document`; re-fits on resize until the user zooms."""

    message = Signal(str)   # status-bar text, e.g. why an edit was refused

    def __init__(self, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self._scene = NetworkScene(document, self)
        self.setScene(self._scene)
        self._auto_fit = True
        self._editor: ValueEditor | None = None
        self._editor_item: QGraphicsItem | None = None
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Network graph")
        self._scene.edit_requested.connect(self.open_editor)
        self._scene.rebuilt.connect(self._scene_rebuilt)
        self._scene.sceneRectChanged.connect(lambda _rect: self._refit())

    # -- lookup --------------------------------------------------------------------------------
    def network_scene(self) -> NetworkScene:
        return self._scene

    def neuron_item(self, layer: int, neuron: int) -> NeuronItem:
        return self._scene.neuron_item(layer, neuron)

    def edge_item(self, layer: int, source: int, target: int) -> EdgeItem:
        return self._scene.edge_item(layer, source, target)

    def editor(self) -> ValueEditor | None:
        """The open inline editor, if any."""
        return self._editor

    def selected_item(self) -> QGraphicsItem | None:
        items = [item for item in self._scene.selectedItems() if isinstance(item, (NeuronItem, EdgeItem))]
        return items[0] if items else None

    # -- zoom ----------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        """Show the whole network (Ctrl+0); keeps fitting on resize until the user zooms."""
        self._auto_fit = True
        self._apply_fit()

    def zoom_in(self) -> None:
        self._zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom_by(1 / ZOOM_STEP)

    def _zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        self._auto_fit = False
        self._close_editor()
        self.scale(target / self.zoom(), target / self.zoom())

    def _apply_fit(self) -> None:
        rect = self._scene.sceneRect()
        viewport = self.viewport().rect().adjusted(FIT_MARGIN, FIT_MARGIN, -FIT_MARGIN, -FIT_MARGIN)
        if rect.isEmpty() or viewport.isEmpty():
            return
        factor = min(viewport.width() / rect.width(), viewport.height() / rect.height(), MAX_FIT_ZOOM)
        if self._scene.compact:
            factor = max(MIN_FIT_ZOOM, factor)
        self.setTransform(QTransform.fromScale(factor, factor))
        self.centerOn(rect.center())

    def _refit(self) -> None:
        if self._auto_fit:
            self._apply_fit()

    def _scene_rebuilt(self) -> None:
        """A new structure is shown whole, even after the user zoomed the old one."""
        self._close_editor()
        self.fit()

    # -- inline editing ------------------------------------------------------------------------
    def open_editor(self, item: QGraphicsItem) -> None:
        """Edit the bias of a neuron or the weight of an edge in place."""
        self._close_editor()
        name = item.parameter_name()
        if name is None:
            self.message.emit("Inputs come from the dataset: edit them in the data table")
            return
        editor = ValueEditor(name, repr(self.document.network.get(name)), self.viewport())
        editor.committed.connect(self._commit)
        editor.cancelled.connect(self._cancel)
        self._editor, self._editor_item = editor, item
        editor.adjustSize()
        editor.move(self._editor_position(item, editor.sizeHint()))
        editor.show()
        editor.line_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _editor_position(self, item: QGraphicsItem, size: QSize) -> QPoint:
        if isinstance(item, EdgeItem):
            centre = item.label.sceneBoundingRect().center() if item.label.isVisible() else item.point_at(0.5)
        else:
            centre = item.scenePos()
        point = self.mapFromScene(centre)
        area = self.viewport().rect()
        x = min(max(point.x() - size.width() // 2, 0), max(area.width() - size.width(), 0))
        y = min(max(point.y() - size.height() // 2, 0), max(area.height() - size.height() - 40, 0))
        return QPoint(x, y)

    def _commit(self, text: str) -> None:
        editor = self._editor
        if editor is None:
            return
        try:
            value = parse_float(text, editor.name)
            self.document.edit_parameter(editor.name, value)
        except SimulatorError as error:
            editor.show_error(str(error))
            self.message.emit(str(error))
            return
        name = editor.name
        self._close_editor()
        self.message.emit(f"{name} = {format_number(self.document.network.get(name), self.document.digits)}")

    def _cancel(self) -> None:
        self._close_editor()

    def _close_editor(self) -> None:
        editor, self._editor, self._editor_item = self._editor, None, None
        if editor is not None:
            if editor.isAncestorOf(self.focusWidget()):
                # Hand focus back first: a focused widget that is hidden passes focus on as Tab would.
                self.setFocus(Qt.FocusReason.OtherFocusReason)
            editor.hide()
            editor.deleteLater()

    # -- keyboard ------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, modifiers = event.key(), event.modifiers()
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            action = {Qt.Key.Key_Equal: self.zoom_in, Qt.Key.Key_Plus: self.zoom_in,
                      Qt.Key.Key_Minus: self.zoom_out, Qt.Key.Key_0: self.fit}.get(key)
            if action is not None:
                action()
                event.accept()
                return
        if key in _EDIT_KEYS and self.selected_item() is not None:
            self.selected_item().edit()
            event.accept()
            return
        if key in _ARROWS:
            self._select(self._neighbour(key))
            event.accept()
            return
        if key == Qt.Key.Key_Escape and self.selected_item() is not None:
            self._scene.clearSelection()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab and Shift+Tab walk through the items; past the last one, focus leaves the view."""
        if not self.hasFocus():   # Tab from a child such as the editor: ordinary focus handling
            return super().focusNextPrevChild(next)
        order = self._scene.ordered_items()
        current = self.selected_item()
        index = order.index(current) + (1 if next else -1) if current in order else (0 if next else len(order) - 1)
        if 0 <= index < len(order):
            self._select(order[index])
            return True
        self._scene.clearSelection()
        return super().focusNextPrevChild(next)

    def _neighbour(self, key: Qt.Key) -> QGraphicsItem | None:
        """The item an arrow key moves to from the selection (the first input when nothing is selected)."""
        current = self.selected_item()
        sizes = self.document.network.sizes
        if current is None:
            return self._scene.neuron_item(0, 1)
        if isinstance(current, EdgeItem):
            if key == Qt.Key.Key_Left:
                return current.source_item
            if key == Qt.Key.Key_Right:
                return current.target_item
            edges = [item for item in self._scene.ordered_items()
                     if isinstance(item, EdgeItem) and item.layer == current.layer]
            step = -1 if key == Qt.Key.Key_Up else 1
            return edges[(edges.index(current) + step) % len(edges)]
        layer, neuron = current.layer, current.neuron
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if key == Qt.Key.Key_Up else 1
            return self._scene.neuron_item(layer, (neuron - 1 + step) % sizes[layer] + 1)
        layer = max(0, min(len(sizes) - 1, layer + (-1 if key == Qt.Key.Key_Left else 1)))
        return self._scene.neuron_item(layer, min(neuron, sizes[layer]))

    def _select(self, item: QGraphicsItem | None) -> None:
        if item is None:
            return
        self._scene.clearSelection()
        item.setSelected(True)
        self.ensureVisible(item.sceneBoundingRect(), 20, 20)
        self.message.emit(item.tooltip_text().splitlines()[0])

    # -- mouse ---------------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self._zoom_by(ZOOM_STEP ** steps)
            event.accept()
            return
        super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._refit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._refit()

    # -- export --------------------------------------------------------------------------------
    def export_png(self, path: str | Path, scale: float = 2) -> None:
        """Save the whole scene as a PNG `scale` times its on-screen size; SimulatorError on failure."""
        rect = self._scene.sceneRect()
        image = QImage((rect.size() * scale).toSize(), QImage.Format.Format_ARGB32)
        # Fonts are sized for the screen; the render transform does the scaling.
        dots_per_metre = round(self.logicalDpiX() / 0.0254)
        image.setDotsPerMeterX(dots_per_metre)
        image.setDotsPerMeterY(dots_per_metre)
        image.fill(style.SCENE_BACKGROUND)
        self._render(QPainter(image), QRectF(image.rect()), rect)
        if not image.save(str(path), "PNG"):
            raise SimulatorError(f"Could not write the image {path}")

    def export_svg(self, path: str | Path) -> None:
        """Save the whole scene as an SVG drawing; SimulatorError on failure."""
        rect = self._scene.sceneRect()
        generator = QSvgGenerator()
        buffer = QBuffer()   # drawn in memory, then written atomically: a bad folder is a message, not a Qt warning
        generator.setOutputDevice(buffer)
        generator.setSize(rect.size().toSize())
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setResolution(self.logicalDpiX())
        generator.setTitle(self.document.title)
        generator.setDescription("Network graph exported from Backprop Simulator")
        self._render(QPainter(generator), QRectF(0, 0, rect.width(), rect.height()), rect)
        if buffer.size() == 0:
            raise SimulatorError(f"Could not draw {Path(path).name}")
        write_atomically(Path(path), bytes(buffer.data()).decode("utf-8"))

    def _render(self, painter: QPainter, target: QRectF, source: QRectF) -> None:
        if not painter.isActive():
            raise SimulatorError("Could not start drawing the export")
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        painter.fillRect(target, style.SCENE_BACKGROUND)
        self._scene.render(painter, target, source)
        painter.end()
