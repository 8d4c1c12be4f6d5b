"""A small block of text lines on a semi-opaque background, owned by a neuron or an edge."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsSceneHoverEvent, QGraphicsSceneMouseEvent,
                               QStyleOptionGraphicsItem, QWidget)

from . import style

PADDING_X = 4.0
PADDING_Y = 1.5
#: Line roles: how each line is drawn.
ROLES = ("plain", "updated", "title", "muted")


def measure(lines: list[tuple[str, str]]) -> tuple[float, float]:
    """The (width, height) a label of `lines` takes, padding included; (0, 0) without lines."""
    if not lines:
        return (0.0, 0.0)
    width = max(_metrics(role).horizontalAdvance(text) for text, role in lines)
    height = sum(_metrics(role).height() for _text, role in lines)
    return (width + 2 * PADDING_X, height + 2 * PADDING_Y)


def _metrics(role: str) -> QFontMetricsF:
    return style.label_metrics(bold=role in ("updated", "title"))


class LabelItem(QGraphicsItem):
    """Lines of text `[(text, role), ...]`; clicks select the owner, a double-click edits it."""

    def __init__(self, owner: QGraphicsItem, alignment: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignHCenter):
        super().__init__()
        self.owner = owner
        self.alignment = alignment
        self._lines: list[tuple[str, str]] = []
        self._size = (0.0, 0.0)
        self._border: QColor | None = None
        self.setZValue(3)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setAcceptHoverEvents(True)

    # -- content -------------------------------------------------------------------------------
    def set_lines(self, lines: list[tuple[str, str]]) -> None:
        """Replace the text; the size follows the font metrics."""
        if lines == self._lines:
            return
        for _text, role in lines:
            if role not in ROLES:
                raise ValueError(f"unknown label role {role!r}")
        size = measure(lines)
        if size != self._size:   # new text of the same size (a run's next weights) keeps its place in the scene
            self.prepareGeometryChange()
            self._size = size
        self._lines = list(lines)
        self.update(self.boundingRect())

    def set_border(self, colour: QColor | None) -> None:
        if colour != self._border:
            self._border = colour
            self.update(self.boundingRect())

    def lines(self) -> list[str]:
        return [text for text, _role in self._lines]

    def text(self) -> str:
        return "\n".join(self.lines())

    def is_empty(self) -> bool:
        return not self._lines

    def width(self) -> float:
        return self._size[0]

    def height(self) -> float:
        return self._size[1]

    def size(self) -> tuple[float, float]:
        return self._size

    def place(self, top_left: QPointF) -> None:
        self.setPos(top_left)

    # -- Qt overrides --------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._size[0], self._size[1])

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self._lines:
            return
        rect = self.boundingRect()
        border = QPen(self._border or style.LABEL_BORDER)
        border.setCosmetic(True)
        painter.setPen(border)
        painter.setBrush(style.LABEL_BACKGROUND)
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
        y = PADDING_Y
        for text, role in self._lines:
            bold = role in ("updated", "title")
            painter.setFont(style.label_font(bold))
            colour = {"updated": style.UPDATED, "muted": style.MUTED_TEXT}.get(role, style.TEXT)
            painter.setPen(colour)
            height = _metrics(role).height()
            line_rect = QRectF(PADDING_X, y, rect.width() - 2 * PADDING_X, height)
            painter.drawText(line_rect, self.alignment | Qt.AlignmentFlag.AlignVCenter, text)
            y += height

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.setToolTip(self.owner.tooltip_text())
        super().hoverEnterEvent(event)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        if scene is not None:
            scene.clearSelection()
        self.owner.setSelected(True)
        event.accept()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.edit()
        event.accept()
