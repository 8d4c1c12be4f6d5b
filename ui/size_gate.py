"""A holder for a label whose text changes many times a second (the position, the last loss).

`QLabel.setText` asks the layouts above it to recompute on every change, even when the new text
takes exactly the room the old one did; in a dock that re-lays out the whole window, dock areas and
tab bars included (about 2 ms a frame during a full-speed run). The label sits in a `SizeGate`
instead, which passes the request on only when the room the label asks for has changed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QWidget


class SizeGate(QWidget):
    """Holds `child` at its own size; the layout it is in hears of the child only when the child's
    minimum or preferred size changes or, for a label that wraps, its height at the present width
    (or it no longer fits that width)."""

    def __init__(self, child: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.child = child
        child.setParent(self)
        self.setSizePolicy(child.sizePolicy())
        # Opaque: a new text repaints the label on its own background, not the dock and window behind it.
        self.setAutoFillBackground(True)
        self._room = self._measure()

    def _measure(self) -> tuple:
        child = self.child
        if child.hasHeightForWidth():
            # A wrapping label: its height at this width, and its longest word only if it does not fit.
            width = self.width()
            narrowest = child.minimumSizeHint().width()
            return child.heightForWidth(width), narrowest if narrowest > width else 0
        return child.minimumSizeHint(), child.sizeHint()

    # -- what the layout asks ------------------------------------------------------------------
    def sizeHint(self):
        return self.child.sizeHint()

    def minimumSizeHint(self):
        return self.child.minimumSizeHint()

    def hasHeightForWidth(self) -> bool:
        return self.child.hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:
        return self.child.heightForWidth(width)

    # -- events --------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:   # the child's text (or font) changed
            self._pass_on()
            return True
        return super().event(event)

    def resizeEvent(self, event) -> None:
        self.child.setGeometry(self.rect())
        # `_room` is what the layout was last told. A label that does not wrap asks for the same room
        # at any width: a resize tells the layout nothing (a text set while the gate was hidden, as
        # before the window first shows, is passed on by showEvent).
        if self.child.hasHeightForWidth():
            self._room = self._measure()
            if self._room[0] != self.height() or self._room[1]:
                # The layout keeps the heights it was told at other widths, and a new text that takes
                # the same room at the old width did not tell it again: at this width they may be an
                # earlier text's. Ask it to measure again (once: at the right height this is not met).
                self.updateGeometry()
        super().resizeEvent(event)

    def showEvent(self, event) -> None:
        self._pass_on()   # a hidden gate is not told of changes
        super().showEvent(event)

    def _pass_on(self) -> None:
        room = self._measure()
        if room != self._room:
            self._room = room
            self.updateGeometry()
