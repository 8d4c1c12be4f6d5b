"""A weight: a line between two neurons, coloured by sign, as wide as |w| is large, with its label."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsSceneHoverEvent, QGraphicsSceneMouseEvent,
                               QStyleOptionGraphicsItem, QWidget)

from simulator.formatting import format_number
from simulator.notation import weight_name

from . import style
from .item_state import EdgeState
from .label_item import LabelItem, measure
from .neuron_item import NeuronItem

#: Width of the band around the line that reacts to the mouse (scene units).
PICK_WIDTH = 10.0
HALO_WIDTH = 10.0
FADED_OPACITY = 0.25


_faded: dict[tuple[int, int], QColor] = {}


def faded_colour(colour: QColor) -> QColor:
    """`colour` drawn at FADED_OPACITY over the scene's background, as an opaque colour.

    Edges have three colours and a step in a large network paints every edge: each mix is made once.
    """
    back = style.SCENE_BACKGROUND
    key = (colour.rgba(), back.rgba())
    faded = _faded.get(key)
    if faded is None:
        mix = [round(FADED_OPACITY * a + (1 - FADED_OPACITY) * b)
               for a, b in zip(colour.getRgb()[:3], back.getRgb()[:3])]
        faded = _faded[key] = QColor(*mix)
    return faded


class EdgeItem(QGraphicsItem):
    """Weight `w{layer}{source}{target}` from `source_item` (layer − 1) to `target_item` (layer)."""

    def __init__(self, layer: int, source_item: NeuronItem, target_item: NeuronItem):
        super().__init__()
        self.layer, self.source, self.target = layer, source_item.neuron, target_item.neuron
        self._name = weight_name(layer, self.source, self.target)
        self.source_item, self.target_item = source_item, target_item
        self.label = LabelItem(self)
        self.highlighted = False
        self.faded = False
        self.hovered = False
        self._line = QLineF()
        self._bounds = QRectF()
        self._state: EdgeState | None = None
        #: Whether the label shows the current state: it is written only once it can be shown (a large
        #: network redraws hundreds of edges a step and shows a few labels).
        self._label_written = True
        self._colour = style.ZERO
        self._width = style.EDGE_MIN_WIDTH
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)

    def __repr__(self) -> str:
        return f"EdgeItem({self.parameter_name()})"

    # -- public --------------------------------------------------------------------------------
    def parameter_name(self) -> str:
        return self._name

    def label_text(self) -> str:
        self._write_label()
        return self.label.text()

    def line(self) -> QLineF:
        return QLineF(self._line)

    def point_at(self, fraction: float) -> QPointF:
        return self._line.pointAt(fraction)

    def edit(self) -> None:
        scene = self.scene()
        if scene is not None:
            scene.request_edit(self)

    def wants_label(self, compact: bool, few_highlighted: bool = True) -> bool:
        """Always in a small network; in a large one when selected, hovered or among few highlighted."""
        return not compact or self.isSelected() or self.hovered or (self.highlighted and few_highlighted)

    def update_geometry(self) -> None:
        """Follow the neurons: from the rim of the source circle to the rim of the target circle."""
        start, end = self.source_item.pos(), self.target_item.pos()
        full = QLineF(start, end)
        length = full.length()
        if length <= self.source_item.radius + self.target_item.radius:
            line = full
        else:
            line = QLineF(full.pointAt(self.source_item.radius / length),
                          full.pointAt(1 - self.target_item.radius / length))
        self.prepareGeometryChange()
        self._line = line
        margin = max(HALO_WIDTH * style.SCALE, PICK_WIDTH, style.EDGE_MAX_WIDTH + 6) / 2 + 1
        self._bounds = QRectF(line.p1(), line.p2()).normalized().adjusted(-margin, -margin, margin, margin)

    def set_state(self, state: EdgeState) -> None:
        """Show `state`: colour by sign, width by share of the largest |w|, highlight, and the label."""
        drawn = (self._colour, self._width, self.highlighted, self.faded)
        self._state = state
        self._colour = style.sign_colour(state.value)
        self._width = style.EDGE_MIN_WIDTH + (style.EDGE_MAX_WIDTH - style.EDGE_MIN_WIDTH) * state.share
        self.highlighted, self.faded = state.highlighted, state.faded
        self._label_written = False
        if self.wants_label(state.compact):
            self._write_label()
        self.label.set_border(self._colour)
        # Only an edge that looks different is repainted: a step in a large network changes a few.
        if (self._colour, self._width, self.highlighted, self.faded) != drawn:
            self.update(self.boundingRect())

    def state(self) -> EdgeState | None:
        return self._state

    def largest_label(self, sample: float) -> tuple[float, float]:
        """The largest (width, height) the label takes in any phase, `sample` standing for the numbers
        not revealed yet (a gradient, a new value)."""
        state = self._state
        if state is None:
            return (0.0, 0.0)
        old = state.value if state.update is None else state.update[0]
        variants = (state, state._replace(gradient=sample, update=None), state._replace(update=(old, sample)))
        sizes = [measure(self._lines(variant)) for variant in variants]
        return (max(width for width, _ in sizes), max(height for _, height in sizes))

    def _write_label(self) -> None:
        """Bring the label's text up to date (before it can be shown: set_state, selection, hover)."""
        if not self._label_written and self._state is not None:
            self.label.set_lines(self._lines(self._state))
            self._label_written = True

    def _lines(self, state: EdgeState) -> list[tuple[str, str]]:
        """`w111 = 0.1`, then `∂L/∂w111 = −5.888` once revealed, replaced by `→ 0.105888` once updated."""
        # In a large network the label is kept narrow: names and numbers on lines of their own; where
        # every label shows in little room, the value alone (the name is in the tooltip).
        name, digits, update, gradient = self.parameter_name(), state.digits, state.update, state.gradient
        shown = format_number(state.value if update is None else update[0], digits)
        if state.narrow:
            lines = [(shown, "plain")]
        elif state.compact:
            lines = [(name, "muted"), (shown, "plain")]
        else:
            lines = [(f"{name} = {shown}", "plain")]
        if update is not None:
            lines.append((f"→ {format_number(update[1], digits)}", "updated"))
        elif gradient is not None and state.narrow:
            lines.append((f"∂ {format_number(gradient, digits)}", "plain"))
        elif gradient is not None and state.compact:
            lines += [("∂L/∂w =", "muted"), (format_number(gradient, digits), "plain")]
        elif gradient is not None:
            lines.append((f"∂L/∂{name} = {format_number(gradient, digits)}", "plain"))
        return lines

    def tooltip_text(self) -> str:
        """What the edge is and its values at full precision (built when the mouse arrives)."""
        state = self._state
        if state is None:
            return ""
        name = self.parameter_name()
        lines = [f"Weight {name}: from {state.source_label} to {state.target_label}",
                 f"{name} = {style.exact(state.value)}"]
        if state.gradient is not None:
            lines.append(f"∂L/∂{name} = {style.exact(state.gradient)}")
        if state.update is not None:
            lines.append(f"updated: {style.exact(state.update[0])} → {style.exact(state.update[1])}")
        lines.append(f"Double-click (or Enter) to edit {name}.")
        return "\n".join(lines)

    # -- Qt overrides --------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return self._bounds   # computed with the line: the scene asks for it several times per redraw

    def shape(self) -> QPainterPath:
        path = QPainterPath(self._line.p1())
        path.lineTo(self._line.p2())
        stroker = QPainterPathStroker()
        stroker.setWidth(PICK_WIDTH)
        return stroker.createStroke(path)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colour = self._colour
        if self.faded and not (self.isSelected() or self.hovered):
            colour = faded_colour(colour)
        if self.highlighted:
            halo = QPen(style.HIGHLIGHT_HALO, HALO_WIDTH * style.SCALE, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
            painter.setPen(halo)
            painter.drawLine(self._line)
        if self.isSelected() or self.hovered:
            ring = QPen(style.SELECTION, self._width + 4 * style.SCALE, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
            painter.setPen(ring)
            painter.drawLine(self._line)
        # Flat caps and an opaque colour: a wide antialiased line with round caps or translucency goes
        # through Qt's path stroker, ten times slower, and a step in a large network redraws every edge.
        painter.setPen(QPen(colour, self._width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.drawLine(self._line)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged and self.scene() is not None:
            self._write_label()
            self.scene().label_demand_changed()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.setToolTip(self.tooltip_text())
        self._set_hovered(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._set_hovered(False)
        super().hoverLeaveEvent(event)

    def _set_hovered(self, hovered: bool) -> None:
        self.hovered = hovered
        self._write_label()
        self.update(self.boundingRect())
        if self.scene() is not None:
            self.scene().label_demand_changed()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.edit()
        event.accept()
