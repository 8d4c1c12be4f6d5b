"""A neuron's input-space map drawn inside its circle: what the neuron responds to, over two inputs.

The item is a child of its `NeuronItem`, stacked behind it (the neuron then draws its ring and name
over the map without filling the circle). It is given its picture (`set_picture`); it never computes it.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from . import style

#: Behind the name: a light pill, so that the name reads on any colour of the map.
NAME_BACKGROUND = QColor(255, 255, 255, 215)


class NeuronMapItem(QGraphicsItem):
    """The map of one neuron, clipped to a circle of `radius` centred on the parent neuron."""

    def __init__(self, parent: QGraphicsItem, radius: float):
        super().__init__(parent)
        self.radius = radius
        self.picture: QImage | None = None
        self.name = ""
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)

    def __repr__(self) -> str:
        return f"NeuronMapItem({self.name or 'unnamed'})"

    def set_picture(self, picture: QImage, name: str) -> None:
        """Show `picture` (its top row the highest y; transparent outside the circle it fills) under the
        neuron's `name`. A picture cut to its circle beforehand paints without a clip path, which costs
        more than the picture itself when a run redraws every map many times a second."""
        self.picture = picture
        self.name = name
        self.update()

    def boundingRect(self) -> QRectF:
        r = self.radius
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self.picture is None:
            return
        painter.drawImage(self.boundingRect(), self.picture)
        if self.name:
            metrics = QFontMetricsF(style.name_font())
            width, height = metrics.horizontalAdvance(self.name) + 6, metrics.height()
            pill = QRectF(-width / 2, -height / 2, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(NAME_BACKGROUND)
            painter.drawRoundedRect(pill, height / 2, height / 2)
