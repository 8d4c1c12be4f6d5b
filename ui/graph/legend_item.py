"""The legend under the network: what colours, line widths and highlights mean."""

from __future__ import annotations

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from . import style

SWATCH = 26.0
SPACING = 18.0
ROW_GAP = 4.0

#: (swatch kind, text) per row when the legend is narrow; one row when there is room.
ROWS = (
    (("positive", "positive weight"), ("negative", "negative weight"), ("width", "wider = larger |w|")),
    (("highlight", "in the current step"), ("selection", "selected"), ("updated", "just updated")),
)
#: A row more where labels are kept short (every label shows but space is short): what `∂ 0.12` and
#: `δ 0.12` beside a bias are.
SHORT_LABEL_ROW = (("∂", "value: ∂L/∂ of that weight or bias (its gradient)"),
                   ("δ", "value: ∂L/∂z of that neuron, in the term F9 lights"))


class LegendItem(QGraphicsItem):
    """Swatches with captions, on one row or two; not interactive."""

    def __init__(self, short_labels: bool = False):
        super().__init__()
        self._metrics = QFontMetricsF(style.legend_font())
        self._row_height = max(self._metrics.height(), 14.0)
        self._layout = ROWS + ((SHORT_LABEL_ROW,) if short_labels else ())
        self._rows = self._layout
        self.setZValue(0)
        self.setToolTip("Legend: edge colour is the sign of the weight, its width the size of |w|; "
                        "amber marks what the current step is about")

    def texts(self) -> list[str]:
        """Every caption, in the order shown."""
        return [text for row in self._rows for _kind, text in row]

    def _entry_width(self, text: str) -> float:
        return SWATCH + 6 + self._metrics.horizontalAdvance(text)

    def _row_width(self, row: tuple) -> float:
        return sum(self._entry_width(text) for _kind, text in row) + SPACING * (len(row) - 1)

    def fit_width(self, width: float) -> None:
        """Use one row for the swatches if it fits in `width`, two otherwise."""
        single = (sum(ROWS, ()),) + self._layout[len(ROWS):]
        rows = single if max(map(self._row_width, single)) <= width else self._layout
        if rows != self._rows:
            self.prepareGeometryChange()
            self._rows = rows

    def boundingRect(self) -> QRectF:
        width = max(self._row_width(row) for row in self._rows)
        height = len(self._rows) * self._row_height + (len(self._rows) - 1) * ROW_GAP
        return QRectF(0, 0, width, height)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setFont(style.legend_font())
        y = 0.0
        for row in self._rows:
            x = 0.0
            for kind, text in row:
                self._draw_swatch(painter, kind, QRectF(x, y, SWATCH, self._row_height))
                text_rect = QRectF(x + SWATCH + 6, y, self._metrics.horizontalAdvance(text) + 1, self._row_height)
                painter.setPen(style.UPDATED if kind == "updated" else style.TEXT)
                painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
                x += self._entry_width(text) + SPACING
            y += self._row_height + ROW_GAP

    @staticmethod
    def _draw_swatch(painter: QPainter, kind: str, rect: QRectF) -> None:
        middle = rect.center().y()
        line = QLineF(rect.left() + 2, middle, rect.right() - 2, middle)
        if kind in ("positive", "negative"):
            painter.setPen(QPen(style.POSITIVE if kind == "positive" else style.NEGATIVE, 3))
            painter.drawLine(line)
        elif kind == "width":
            painter.setPen(QPen(style.POSITIVE, style.EDGE_MIN_WIDTH))
            painter.drawLine(line.translated(0, -4))
            painter.setPen(QPen(style.POSITIVE, style.EDGE_MAX_WIDTH))
            painter.drawLine(line.translated(0, 3))
        elif kind == "highlight":
            painter.setPen(QPen(style.HIGHLIGHT_HALO, 10, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawLine(line)
            painter.setPen(QPen(style.POSITIVE, 2))
            painter.drawLine(line)
        elif kind == "selection":
            painter.setPen(QPen(style.SELECTION, 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(rect.center(), 7, 7)
        elif kind == "updated":
            painter.setPen(QPen(style.UPDATED, 3))
            painter.drawLine(line)
        else:                              # a symbol the short labels use
            painter.setPen(style.TEXT)
            painter.setFont(style.legend_font(bold=True))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, kind)
            painter.setFont(style.legend_font())
