"""The loss landscape of two parameters: a heat map with contours, and the path training has taken."""

from __future__ import annotations

import html
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QComboBox, QLabel

from simulator.analysis import LossSurface, loss_surface_around
from simulator.errors import SimulatorError
from simulator.formatting import format_number
from simulator.optimizer_paths import COMPARISONS, ComparedRun

from ..inspector import to_unicode_subscripts
from ..document import Change
from . import fill_parameter_combo, rows_text
from .landscape_base import LandscapeBase

GRID_POINTS = 61
#: Contour levels, as quantiles of the losses on the grid (denser near the valley floor).
CONTOUR_QUANTILES = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9)
#: Parameter vectors kept for the path: at most this many numbers in all.
PATH_BUDGET = 1_000_000
PATH_COLOUR = (255, 255, 255)
#: The compared optimiser's path: orange, apart from the live path's white on the viridis map.
COMPARED_COLOUR = (255, 140, 0)
POINT_COLOUR = (220, 30, 30)


class ParameterPath:
    """Every parameter vector after each change, oldest dropped first; reset when training restarts."""

    def __init__(self):
        self.vectors: deque[np.ndarray] = deque(maxlen=1000)

    def __len__(self) -> int:
        return len(self.vectors)

    def reset(self, vector: np.ndarray) -> None:
        self.vectors = deque([vector.copy()], maxlen=max(100, PATH_BUDGET // max(vector.size, 1)))

    def record(self, vector: np.ndarray) -> None:
        if not self.vectors or self.vectors[0].shape != vector.shape:
            self.reset(vector)
        elif not np.array_equal(self.vectors[-1], vector):
            self.vectors.append(vector.copy())

    def columns(self, first: int, second: int) -> np.ndarray:
        """(n, 2): the two parameters at positions `first`, `second` of each vector."""
        if not self.vectors:
            return np.empty((0, 2))
        stacked = np.array(self.vectors)
        return stacked[:, [first, second]]


class SurfacePanel(LandscapeBase):
    """A heat map and contours of `simulator.analysis.loss_surface_around` for two chosen parameters."""

    def __init__(self, document, parent=None):
        super().__init__(document, "Whose loss to map: the current sample's or the dataset's mean",
                         "Zoom in: half the range around the current values", parent)
        self.surface: LossSurface | None = None
        self.path = ParameterPath()
        self.first_box = QComboBox(self)
        self.second_box = QComboBox(self)
        for box in (self.first_box, self.second_box):
            box.setToolTip("The two parameters to vary; every other parameter keeps its current value")
            box.currentIndexChanged.connect(self._choice_changed)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.plot.addItem(self.image)
        # The scale that says which loss a colour is; not draggable: the levels follow the data.
        self.colour_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=14,
                                          label="loss", colorMapMenu=False)
        self.colour_bar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        self.contours = [pg.IsocurveItem(pen=pg.mkPen((255, 255, 255, 150), width=1)) for _ in CONTOUR_QUANTILES]
        for contour in self.contours:
            contour.setParentItem(self.image)
        self.path_curve = self.plot.plot(pen=pg.mkPen(PATH_COLOUR, width=2), symbol="o", symbolSize=4,
                                         symbolBrush=PATH_COLOUR, symbolPen=None)
        self.compared_curve = self.plot.plot(pen=pg.mkPen(COMPARED_COLOUR, width=2), symbol="t", symbolSize=5,
                                             symbolBrush=COMPARED_COLOUR, symbolPen=None)
        self.compare_box = QComboBox(self)
        self.compare_box.addItem("—", None)
        for title, optimizer in COMPARISONS:
            self.compare_box.addItem(title, optimizer)
        self.compare_box.setToolTip("Draw, in orange, the path another optimiser takes from the same start over "
                                    "as many batches as training has made (the white path is this training's)")
        self.compare_box.currentIndexChanged.connect(self._compare_chosen)
        self.compared: ComparedRun | None = None
        self.point = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(POINT_COLOUR), pen=pg.mkPen("w", width=1.5))
        self.plot.addItem(self.point)
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        self.pointer = QLabel(self)
        self.pointer.setToolTip("The loss at the grid point under the mouse pointer")
        self.lay_out((("&Across:", self.first_box), ("&Up:", self.second_box), ("Compare:", self.compare_box)),
                     self.pointer)
        self.parameters_changed_on = Change.PARAMETERS
        self._structure_changed()

    # -- choices -------------------------------------------------------------------------------
    @property
    def parameters(self) -> tuple[str, str]:
        return self.first_box.currentData(), self.second_box.currentData()

    def set_parameters(self, first: str, second: str) -> None:
        self.first_box.setCurrentIndex(self.first_box.findData(first))
        self.second_box.setCurrentIndex(self.second_box.findData(second))

    def _structure_changed(self) -> None:
        network = self.document.network
        names = [ref.name for ref in network.parameters()]
        first, second = self.parameters
        # The lectures' favourite pair: the two output weights (w211, w221), else the first two.
        defaults = [name for name in ("w211", "w221") if name in names] or names[:2]
        fill_parameter_combo(self.first_box, network, first if first in names else defaults[0])
        fill_parameter_combo(self.second_box, network,
                             second if second in names else (defaults[1] if len(defaults) > 1 else names[-1]))
        self.path.reset(network.flat_parameters())
        self.scheduler.request()

    def _parameters_changed(self) -> None:
        training = self.document.training
        vector = training.network.flat_parameters()
        if training.at_start:
            self.path.reset(vector)
        else:
            self.path.record(vector)
        self.scheduler.request()

    def _compare_chosen(self) -> None:
        optimizer = self.compare_box.currentData()
        self.compared = None if optimizer is None else ComparedRun(optimizer)
        self.scheduler.request()

    def compare_with(self, title: str) -> None:
        """Compare with the optimiser `title` of `COMPARISONS` ("—" for none)."""
        self.compare_box.setCurrentIndex(self.compare_box.findText(title))

    def compared_points(self) -> np.ndarray:
        """(n, 2): the chosen pair along the compared optimiser's path from the same start; empty without one."""
        if self.compared is None:
            return np.empty((0, 2))
        names = [ref.name for ref in self.document.network.parameters()]
        first, second = self.parameters
        vectors = self.compared.follow(self.document.training)
        return vectors[:, [names.index(first), names.index(second)]]

    def path_points(self) -> np.ndarray:
        """(n, 2): the chosen pair of parameters after each recorded change, oldest first."""
        names = [ref.name for ref in self.document.network.parameters()]
        first, second = self.parameters
        return self.path.columns(names.index(first), names.index(second))

    # -- drawing -------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Ask the engine for the grid around the current values and draw it with the path."""
        document = self.document
        first, second = self.parameters
        path = self.path_points()
        compared = self.compared_points()
        try:
            self.surface = loss_surface_around(document.training, document.stepper.batch, first, second, self.scope,
                                               self.zoom, GRID_POINTS, np.vstack([path, compared]))
        except SimulatorError as error:
            self.surface = None
            self.image.clear()
            for contour in self.contours:
                contour.setData(None)
            self.point.setData([], [])
            self.path_curve.setData([], [])
            self.compared_curve.setData([], [])
            self.readout.setText(f"<span style='color:#b00020'>{html.escape(str(error))}</span>")
            return
        surface = self.surface
        shown = self._displayable(surface.losses)
        finite = shown[np.isfinite(surface.losses)]
        low, high = (np.quantile(finite, [0.0, 0.98]) if finite.size else (0.0, 1.0))
        levels = (float(low), float(high) if high > low else float(low) + 1)
        self.image.setImage(shown, autoLevels=False)
        self.colour_bar.setLevels(levels)     # the image's levels too
        x, y = surface.first_values, surface.second_values
        step_x, step_y = (x[-1] - x[0]) / (len(x) - 1), (y[-1] - y[0]) / (len(y) - 1)
        self.image.setRect(QRectF(x[0] - step_x / 2, y[0] - step_y / 2, x[-1] - x[0] + step_x, y[-1] - y[0] + step_y))
        contour_levels = np.quantile(finite, CONTOUR_QUANTILES) if finite.size else []
        for contour, level in zip(self.contours, contour_levels):
            contour.setData(shown, level)
        self.point.setData([surface.value[0]], [surface.value[1]])
        self.path_curve.setData(path[:, 0], path[:, 1])
        self.compared_curve.setData(compared[:, 0], compared[:, 1])
        item = self.plot.getPlotItem()
        item.setRange(xRange=(x[0], x[-1]), yRange=(y[0], y[-1]), padding=0)
        text = self.describe(surface, len(path))
        if self.compared is not None and len(compared):
            end = compared[-1]
            text += (f" · white: {document.training.config.optimizer.describe()}; orange: "
                     f"{self.compare_box.currentText()} from the same start, {len(compared) - 1} batches, now at "
                     f"({format_number(end[0], document.digits)}, {format_number(end[1], document.digits)})")
        self.readout.setText(html.escape(text))

    @staticmethod
    def _displayable(losses: np.ndarray) -> np.ndarray:
        """Overflowed losses drawn as the largest finite one (the colours only; the numbers stay the engine's)."""
        finite = np.isfinite(losses)
        ceiling = float(np.max(losses[finite])) if finite.any() else 0.0
        return np.where(finite, losses, ceiling)

    def describe(self, surface: LossSurface, path_length: int) -> str:
        digits = self.document.digits
        a, b = to_unicode_subscripts(surface.first), to_unicode_subscripts(surface.second)
        rows, cols = surface.losses.shape
        return (f"Now ({a}, {b}) = ({format_number(surface.value[0], digits)}, "
                f"{format_number(surface.value[1], digits)}) · loss ({rows_text(self.document, self.scope)}) "
                f"{format_number(surface.loss, digits)} · "
                f"path: {path_length} point{'s' if path_length != 1 else ''} · grid {rows}×{cols}; "
                "darker is lower (the scale on the right; losses above its top are drawn in its top colour)")

    def _mouse_moved(self, position: QPointF) -> None:
        surface = self.surface
        if surface is None or not self.plot.sceneBoundingRect().contains(position):
            return
        point = self.plot.getPlotItem().getViewBox().mapSceneToView(position)
        self.show_pointer(point.x(), point.y())

    def show_pointer(self, x: float, y: float) -> None:
        """Read out the grid point nearest (x, y): its two values and the engine's loss there."""
        surface = self.surface
        i = int(np.argmin(np.abs(surface.first_values - x)))
        j = int(np.argmin(np.abs(surface.second_values - y)))
        digits = self.document.digits
        a, b = to_unicode_subscripts(surface.first), to_unicode_subscripts(surface.second)
        self.pointer.setText(f"Pointer: {a} = {format_number(surface.first_values[i], digits)}, "
                             f"{b} = {format_number(surface.second_values[j], digits)} · loss "
                             f"{format_number(surface.losses[i, j], digits)}")
