"""The loss landscape of one parameter: the loss as that parameter varies, the tangent, the next update."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from simulator.analysis import LossSlice, loss_slice
from simulator.errors import SimulatorError
from simulator.formatting import format_number

from ..inspector import to_unicode_subscripts
from ..document import Change
from . import fill_parameter_combo, rows_text
from .landscape_base import LandscapeBase

CURVE_COLOUR = (31, 119, 180)
TANGENT_COLOUR = (230, 120, 20)
POINT_COLOUR = (200, 30, 30)
UPDATE_COLOUR = (30, 140, 60)
#: Shortest distance (pixels) from the dot to the arrow's tip: a step smaller than the dot would hide it.
MIN_ARROW_PIXELS = 20


def _colour(rgb: tuple) -> str:
    return "#%02x%02x%02x" % rgb


KEY_HTML = (f"<span style='color:{_colour(CURVE_COLOUR)}'>━ loss</span>&nbsp; "
            f"<span style='color:{_colour(POINT_COLOUR)}'>● now</span>&nbsp; "
            f"<span style='color:{_colour(TANGENT_COLOUR)}'>╌ tangent</span>&nbsp; "
            f"<span style='color:{_colour(UPDATE_COLOUR)}'>→ update</span><br>")


def finite_or_nan(values: np.ndarray) -> np.ndarray:
    """Non-finite losses (an overflow far from the current point) as NaN, which the curve leaves out."""
    return np.where(np.isfinite(values), values, np.nan)


class LandscapePanel(LandscapeBase):
    """A pyqtgraph plot of `simulator.analysis.loss_slice` for the chosen parameter; follows the stepper."""

    def __init__(self, document, parent=None):
        super().__init__(document, "Whose loss to plot: the current sample's (what one SGD step descends) "
                                   "or the dataset's mean",
                         "Zoom in: half the range around the current value", parent)
        self.slice: LossSlice | None = None
        self.parameter_box = QComboBox(self)
        self.parameter_box.setToolTip("The weight or bias to vary; every other parameter keeps its current value")
        self.parameter_box.currentIndexChanged.connect(self._choice_changed)
        self.plot.getPlotItem().showGrid(x=True, y=True, alpha=0.25)
        self.curve = self.plot.plot(pen=pg.mkPen(CURVE_COLOUR, width=2), name="loss", connect="finite")
        self.tangent = self.plot.plot(pen=pg.mkPen(TANGENT_COLOUR, width=2, style=Qt.PenStyle.DashLine),
                                      name="tangent (slope = gradient)")
        self.update_line = self.plot.plot(pen=pg.mkPen(UPDATE_COLOUR, width=2), name="next update")
        self.arrow = pg.ArrowItem(pen=pg.mkPen(UPDATE_COLOUR), brush=pg.mkBrush(UPDATE_COLOUR), headLen=12,
                                  tailLen=0)
        self.plot.addItem(self.arrow)
        self.point = pg.ScatterPlotItem(size=10, brush=pg.mkBrush(POINT_COLOUR), pen=pg.mkPen("w"))
        self.plot.addItem(self.point)
        self.lay_out((("&Parameter:", self.parameter_box),))
        self.redraw_on |= Change.PARAMETERS
        self._structure_changed()

    # -- choices -------------------------------------------------------------------------------
    @property
    def parameter(self) -> str:
        return self.parameter_box.currentData()

    def set_parameter(self, name: str) -> None:
        self.parameter_box.setCurrentIndex(self.parameter_box.findData(name))

    def _structure_changed(self) -> None:
        fill_parameter_combo(self.parameter_box, self.document.network, self.parameter)
        self.scheduler.request()

    # -- drawing -------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Ask the engine for the slice through the current parameters and draw it."""
        document = self.document
        try:
            self.slice = loss_slice(document.training, document.stepper.batch, self.parameter, self.scope, self.zoom)
        except SimulatorError as error:
            self.slice = None
            self._clear(str(error))
            return
        part = self.slice
        item = self.plot.getPlotItem()
        item.setLabel("left", "loss" if self.scope == "sample" else "mean loss")
        self.curve.setData(part.values, finite_or_nan(part.losses))
        self.point.setData([part.value], [part.loss])
        half = (part.values[-1] - part.values[0]) / 4
        tangent_x = np.array([part.value - half, part.value + half])
        with np.errstate(over="ignore", invalid="ignore"):
            self.tangent.setData(tangent_x, finite_or_nan(part.loss + part.gradient * (tangent_x - part.value)))
        if part.new_value is not None and part.new_value != part.value:
            self.update_line.setData([part.value, part.new_value], [part.loss, part.loss])
            self.arrow.setStyle(angle=180 if part.new_value > part.value else 0)
            self.arrow.setPos(part.new_value, part.loss)
            self._clear_the_dot(part)
            self.arrow.setVisible(True)
        else:
            self.update_line.setData([], [])
            self.arrow.setVisible(False)
        self.plot.enableAutoRange()
        self.readout.setText(KEY_HTML + html.escape(self.describe(part)))
        self.readout.setStyleSheet("")

    def _clear_the_dot(self, part: LossSlice) -> None:
        """A step too small to see (η = 0.001 moves a weight by a pixel or two) keeps its arrow's tip just
        beyond the dot, pointing the way the update goes, instead of hiding the head under the dot."""
        box = self.plot.getPlotItem().getViewBox()
        span = part.values[-1] - part.values[0]
        pixels = abs(part.new_value - part.value) * box.width() / span if span > 0 else 0.0
        shift = max(0.0, MIN_ARROW_PIXELS - pixels) * (1 if part.new_value > part.value else -1)
        self.arrow.setPath(self.arrow.path.translated(shift, 0))

    def describe(self, part: LossSlice) -> str:
        """`w₁₁₁ = 0.1 · loss (row 1) 13.5424 · ∂L/∂w₁₁₁ = −5.888 (the tangent's slope) · next update: …`."""
        digits = self.document.digits
        name = to_unicode_subscripts(part.parameter)
        rate = self.document.training.config.learning_rate
        text = (f"{name} = {format_number(part.value, digits)} · loss ({rows_text(self.document, self.scope)}) "
                f"{format_number(part.loss, digits)} · "
                f"∂L/∂{name} = {format_number(part.gradient, digits)} (the tangent's slope)")
        if part.new_value is None:
            return text + " · training has stopped: no next update"
        where = "next update" if self.scope == "sample" else "a full-batch step"
        return (f"{text} · {where}: {name} → {format_number(part.new_value, digits)} "
                f"(η = {format_number(rate, digits)})")

    def _clear(self, message: str) -> None:
        for curve in (self.curve, self.tangent, self.update_line):
            curve.setData([], [])
        self.point.setData([], [])
        self.arrow.setVisible(False)
        self.readout.setText(html.escape(message))
        self.readout.setStyleSheet("color: #b00020;")
