"""The input-space maps joined to the rest of the window: each neuron's map in its circle on the
graph (`GraphMaps`), the neuron the graph points at shown large in the panel, the data table's
selection, and a clicked point made the next sample (`link_input_space`)."""

from __future__ import annotations

import functools

import numpy as np
from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QAction, QImage

from simulator.errors import SimulatorError
from simulator.input_map import NeuronChoice
from simulator.map_picture import value_colours, value_scale

from .document import Change
from .graph.neuron_map_item import NeuronMapItem
from .map_source import MapSource

#: Whether View ▸ Neuron Maps on the Graph is on (off until the user turns it on).
GRAPH_MAPS_KEY = "view/neuron_maps"


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
