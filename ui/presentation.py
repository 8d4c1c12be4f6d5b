"""Presentation mode, for a projector: larger fonts and thicker lines throughout the window.

One toggle (View ▸ Presentation Mode, Ctrl+Shift+P), remembered across restarts. It scales the
application's font (menus, toolbar, panels, tables, the inspector, plot axes and legends), the tables'
rows, the plots' lines and the network graph (its labels, circles and edges). Turning it
off puts every size back exactly as it was.
"""

from __future__ import annotations

import pyqtgraph as pg
from shiboken6 import isValid
from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QFont, QPen
from PySide6.QtWidgets import QApplication, QTableView, QWidget

from .graph import style

#: The QSettings key that remembers the mode.
PRESENTATION_KEY = "display/presentation"
#: How much larger everything is drawn in presentation mode.
SCALE = 1.4


class Presentation(QObject):
    """Switches `window` between its normal sizes and presentation sizes; see the module doc."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.on = False
        self._normal: dict = {}      # what each scaled thing was before, to put back exactly
        self._scaled: dict = {}      # what presentation mode set, to tell a later change by its owner

    def set_on(self, on: bool) -> None:
        """Presentation sizes (True) or normal sizes (False); remembered for the next start."""
        QSettings().setValue(PRESENTATION_KEY, bool(on))
        if bool(on) == self.on:
            return
        self.on = bool(on)
        if self.on:
            self._enlarge()
        else:
            self._restore()
        style.set_scale(SCALE if self.on else 1.0)
        self.window.view.network_scene().rebuild()
        self.window.view.fit()

    # -- widgets -------------------------------------------------------------------------------
    def _enlarge(self) -> None:
        app = QApplication.instance()
        font = QFont(app.font())
        self._normal = {"font": QFont(font), "rows": {}, "pens": {}, "axes": {}, "legends": {}}
        font.setPointSizeF(font.pointSizeF() * SCALE)
        _set_application_font(font)
        # A widget given a font of its own (the inspector's formulas, practice's question) does not
        # follow the application's: it is enlarged by itself.
        self._normal["own fonts"] = {}
        for widget in self.window.findChildren(QWidget):
            if widget.testAttribute(Qt.WidgetAttribute.WA_SetFont) and widget.font().pointSizeF() > 0:
                own = QFont(widget.font())
                self._normal["own fonts"][widget] = QFont(own)
                own.setPointSizeF(own.pointSizeF() * SCALE)
                widget.setFont(own)
        QApplication.sendPostedEvents()
        for table in self.window.findChildren(QTableView):
            header = table.verticalHeader()
            self._normal["rows"][table] = header.defaultSectionSize()
            header.setDefaultSectionSize(round(header.defaultSectionSize() * SCALE))
        self._scaled = {}
        for plot in self.window.findChildren(pg.PlotWidget):
            item = plot.getPlotItem()
            for curve in item.listDataItems():
                pen = QPen(pg.mkPen(curve.opts["pen"]))
                self._normal["pens"][curve] = curve.opts["pen"]
                pen.setWidthF(max(pen.widthF(), 1.0) * SCALE)
                curve.setPen(pen)
                self._scaled[curve] = pen
            if item.legend is not None and str(item.legend.opts["labelTextSize"]).endswith("pt"):
                size = item.legend.opts["labelTextSize"]
                self._normal["legends"][item.legend] = size
                _set_legend_size(item.legend, f"{float(size.removesuffix('pt')) * SCALE:g}pt")
            for side in ("left", "bottom"):
                axis = item.getAxis(side)
                self._normal["axes"][axis] = (axis.style.get("tickFont"), QPen(axis.pen()), QFont(axis.label.font()))
                tick_font = QFont(font)
                axis.setStyle(tickFont=tick_font)
                pen = QPen(axis.pen())
                pen.setWidthF(max(pen.widthF(), 1.0) * SCALE)
                axis.setPen(pen)
                axis.label.setFont(font)

    def _restore(self) -> None:
        normal = self._normal
        _set_application_font(normal["font"])
        # A panel closed meanwhile (a learn tool's) is gone: only what is still there is put back.
        for widget, font in _alive(normal["own fonts"]):
            widget.setFont(font)
        QApplication.sendPostedEvents()
        for table, size in _alive(normal["rows"]):
            table.verticalHeader().setDefaultSectionSize(size)
        for curve, pen in _alive(normal["pens"]):
            # A curve whose owner set another pen meanwhile (a style of its own) keeps that pen.
            if curve.opts["pen"] == self._scaled.get(curve):
                curve.setPen(pen)
        for legend, size in _alive(normal["legends"]):
            _set_legend_size(legend, size)
        for axis, (tick_font, pen, label_font) in _alive(normal["axes"]):
            axis.setStyle(tickFont=tick_font)
            axis.setPen(pen)
            axis.label.setFont(label_font)
        self._normal, self._scaled = {}, {}

    def restore_setting(self) -> bool:
        """Whether presentation mode was on when the app last closed."""
        return bool(QSettings().value(PRESENTATION_KEY, False, type=bool))


def _set_application_font(font: QFont) -> None:
    """The application's font, taken by every widget at once: a table's rows can be no lower than its
    font allows, so they are sized after the widgets have the new font."""
    QApplication.setFont(font)
    QApplication.sendPostedEvents()


def _set_legend_size(legend: pg.LegendItem, size: str) -> None:
    """A plot legend's text size, for the labels it has (pyqtgraph applies a size when a text is set)."""
    legend.setLabelTextSize(size)
    for _sample, label in legend.items:
        label.setText(label.text)


def _alive(saved: dict) -> list[tuple]:
    """The (object, value) pairs of `saved` whose Qt object still exists."""
    return [(thing, value) for thing, value in saved.items() if isValid(thing)]
