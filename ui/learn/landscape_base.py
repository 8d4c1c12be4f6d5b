"""What the two loss-landscape panels share: whose loss, the range, the plot and the control row."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from . import RedrawScheduler, fill_scope_combo
from ..document import Change

#: How far the range may be narrowed (zoom in) or widened (zoom out) from its default width.
MAX_ZOOM = 2.0 ** 20
MIN_ZOOM = 1.0 / 64


class LandscapeBase(QWidget):
    """A scope choice, zoom buttons, a plot and a readout, redrawn once per event-loop turn while shown.

    Subclasses add their parameter choices, call `lay_out` with them, and implement `redraw` and
    `_structure_changed`.
    """

    def __init__(self, document, scope_tip: str, zoom_in_tip: str, parent=None):
        super().__init__(parent)
        self.document = document
        self.zoom = 1.0
        self.scope_box = QComboBox(self)
        fill_scope_combo(self.scope_box)
        self.scope_box.setToolTip(scope_tip)
        self.scope_box.currentIndexChanged.connect(self._choice_changed)
        self.zoom_in_button = self._button("+", zoom_in_tip, 2.0)
        self.zoom_out_button = self._button("−", "Zoom out: twice the range", 0.5)
        self.plot = pg.PlotWidget(self)
        self.plot.setBackground("w")
        self.plot.setMinimumHeight(150)
        for axis in ("left", "bottom"):
            self.plot.getPlotItem().getAxis(axis).enableAutoSIPrefix(False)
        self.readout = QLabel(self)
        self.readout.setWordWrap(True)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.scheduler = RedrawScheduler(self, self.redraw)
        #: Changes that call for a redraw (a panel adds its own).
        self.redraw_on = Change.RECORDS | Change.DATA | Change.SETTINGS | Change.DISPLAY
        #: Changes that the panel's `_parameters_changed` follows, if it has one.
        self.parameters_changed_on = Change(0)
        document.changed.connect(self._document_changed)

    def lay_out(self, choices: tuple[tuple[str, QWidget], ...], *below: QWidget) -> None:
        """The control row (each choice with its label, then whose loss, then the range), the plot,
        the readout and `below`."""
        controls = QHBoxLayout()
        for text, widget in (*choices, ("Loss &of:", self.scope_box)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            controls.addWidget(label)
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(QLabel("Range:", self))
        controls.addWidget(self.zoom_out_button)
        controls.addWidget(self.zoom_in_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.plot, 1)
        for widget in (self.readout, *below):
            layout.addWidget(widget)

    def _button(self, text: str, tip: str, factor: float) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(lambda: self.set_zoom(self.zoom * factor))
        return button

    @property
    def scope(self) -> str:
        return self.scope_box.currentData()

    def set_scope(self, scope: str) -> None:
        self.scope_box.setCurrentIndex(self.scope_box.findData(scope))

    def set_zoom(self, zoom: float) -> None:
        """Range = the default width / `zoom`, centred on the current value."""
        self.zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        self.scheduler.request()

    def _choice_changed(self) -> None:
        self.zoom = 1.0
        self.scheduler.request()

    def _document_changed(self, change: Change) -> None:
        if change & Change.STRUCTURE:
            self._structure_changed()
        if change & self.parameters_changed_on:
            self._parameters_changed()
        if change & self.redraw_on:
            self.scheduler.request()

    def _parameters_changed(self) -> None:
        """A panel that follows the parameters otherwise than by a redraw overrides this."""

    def _structure_changed(self) -> None:
        raise NotImplementedError

    def redraw(self) -> None:
        raise NotImplementedError

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.scheduler.shown()
