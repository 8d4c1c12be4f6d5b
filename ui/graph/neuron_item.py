"""A neuron: a circle with its name, its bias above, its forward values below (inputs and outputs aside)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsSceneHoverEvent, QGraphicsSceneMouseEvent, QStyleOptionGraphicsItem,
                               QWidget)

from simulator.formatting import format_number
from simulator.notation import bias_name, subscripted, z_name
from . import style
from .item_state import NeuronState
from .label_item import LabelItem, measure

RING = 7.0


class NeuronItem(QGraphicsItem):
    """Neuron `neuron` (1-based) of `layer` (0 = inputs); shows the state the scene last set."""

    def __init__(self, layer: int, neuron: int, n_layers: int, radius: float):
        super().__init__()
        self.layer, self.neuron = layer, neuron
        self.is_input, self.is_output = layer == 0, layer == n_layers
        self.radius = radius
        self.name = ""
        self.highlighted = False
        self._state: NeuronState | None = None
        self.hovered = False
        #: The neuron's input-space map (ui/graph/neuron_map_item.py), once one is shown.
        self.map_item = None
        self.top_label = LabelItem(self)
        self.bottom_label = LabelItem(self)
        side = Qt.AlignmentFlag.AlignRight if self.is_input else Qt.AlignmentFlag.AlignLeft
        self.side_label = LabelItem(self, side)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(2)

    def __repr__(self) -> str:
        return f"NeuronItem(layer={self.layer}, neuron={self.neuron})"

    # -- public --------------------------------------------------------------------------------
    def labels(self) -> list[LabelItem]:
        return [self.top_label, self.bottom_label, self.side_label]

    def label_text(self) -> str:
        """Everything the neuron shows: its name, then its labels' lines."""
        lines = [self.name] + [line for label in self.labels() if label.isVisible() for line in label.lines()]
        return "\n".join(lines)

    def parameter_name(self) -> str | None:
        """The bias this neuron's editor changes; None for an input."""
        return None if self.is_input else bias_name(self.layer, self.neuron)

    def circle_rect(self) -> QRectF:
        """The circle in scene coordinates."""
        r = self.radius
        return QRectF(self.scenePos().x() - r, self.scenePos().y() - r, 2 * r, 2 * r)

    def edit(self) -> None:
        """Open the inline editor of the bias (inputs come from the data and cannot be edited here)."""
        scene = self.scene()
        if scene is not None:
            scene.request_edit(self)

    def set_state(self, state: NeuronState) -> None:
        """Show `state`: the name, the highlight and the labels' texts."""
        self._state = state
        self.name = subscripted(state.label)
        self.highlighted = state.highlighted
        if self.is_input:
            self._show_input(state)
        else:
            self._show_neuron(state)
        self.update(self.boundingRect())

    def state(self) -> NeuronState | None:
        return self._state

    def _show_input(self, state: NeuronState) -> None:
        self.side_label.set_lines(self._input_lines(state))

    def _show_neuron(self, state: NeuronState) -> None:
        top, bottom, side = self._neuron_lines(state)
        self.top_label.set_lines(top)
        self.bottom_label.set_lines(bottom)
        self.side_label.set_lines(side)

    def largest_labels(self, sample: float) -> dict[LabelItem, tuple[float, float]]:
        """The largest (width, height) each label takes in any phase, `sample` standing for the numbers
        not revealed yet (values, gradients, targets, the loss)."""
        state = self._state
        if state is None:
            return {}
        if self.is_input:
            return {self.side_label: measure(self._input_lines(state._replace(input_value=sample)))}
        shown = state.bias if state.bias_update is None else state.bias_update[0]
        revealed = state._replace(values=(sample, sample), bias_gradient=sample, loss=sample,
                                  target=(state.target[0] if state.target else state.label.replace("ŷ", "y"), sample))
        variants = (state, revealed, revealed._replace(bias_update=(shown, sample)),
                    revealed._replace(delta=(z_name(self.layer, self.neuron), sample)))
        largest: dict[LabelItem, tuple[float, float]] = {}
        for variant in variants:
            for label, lines in zip((self.top_label, self.bottom_label, self.side_label), self._neuron_lines(variant)):
                width, height = measure(lines)
                known = largest.get(label, (0.0, 0.0))
                largest[label] = (max(known[0], width), max(known[1], height))
        return largest

    # -- texts ---------------------------------------------------------------------------------
    def _input_lines(self, state: NeuronState) -> list[tuple[str, str]]:
        lines = [(state.column, "title")]
        if state.input_value is not None:
            lines.append((f"x = {format_number(state.input_value, state.digits)}", "plain"))
            if state.standardised:   # the data table shows the raw value; training sees this one
                lines.append(("standardised", "muted"))
        return lines

    def _neuron_lines(self, state: NeuronState) -> tuple[list, list, list]:
        """The lines of the (top, bottom, side) labels of a hidden or output neuron."""
        name, digits, update = bias_name(self.layer, self.neuron), state.digits, state.bias_update
        shown = state.bias if update is None else update[0]
        top = [(f"{name} = {format_number(shown, digits)}", "plain")]
        if update is not None:
            top.append((f"→ {format_number(update[1], digits)}", "updated"))
        elif state.delta is not None and state.narrow:
            top.append((f"δ {format_number(state.delta[1], digits)}", "plain"))
        elif state.delta is not None:
            top.append((f"∂L/∂{state.delta[0]} = {format_number(state.delta[1], digits)}", "plain"))
        elif state.bias_gradient is not None and state.narrow:   # short labels: the legend says what ∂ is
            top.append((f"∂ {format_number(state.bias_gradient, digits)}", "plain"))
        elif state.bias_gradient is not None:
            top.append((f"∂L/∂{name} = {format_number(state.bias_gradient, digits)}", "plain"))
        forward = self._forward_lines(state)
        if self.is_output:
            # The output's right-hand side is free, so everything goes there, clear of the edges; when
            # many outputs sit close together only the name, target and loss do.
            beside = not state.compact or state.single_output
            return [], ([] if beside else top + forward), self._output_lines(state, top + forward if beside else [])
        if state.compact:
            return [], top + forward, []
        return top, forward, []

    def _forward_lines(self, state: NeuronState) -> list[tuple[str, str]]:
        if state.values is None:
            return []
        symbol = state.label if self.is_output else "o"
        return [(f"z = {format_number(state.values[0], state.digits)}", "plain"),
                (f"{symbol} = {format_number(state.values[1], state.digits)}", "plain")]

    def _output_lines(self, state: NeuronState, details: list[tuple[str, str]]) -> list[tuple[str, str]]:
        lines = [(state.column, "title")] + details
        if state.target is not None:
            lines.append((f"{state.target[0]} = {format_number(state.target[1], state.digits)}", "plain"))
        if state.loss is not None:
            lines.append((f"L = {format_number(state.loss, state.digits)}", "plain"))
        return lines

    def tooltip_text(self) -> str:
        """What the neuron is and its values at full precision (built when the mouse arrives)."""
        state = self._state
        if state is None:
            return ""
        label = state.label
        if self.is_input:
            lines = [f"Input {label}: {state.column}"]
            if state.input_value is not None:
                lines.append(f"x = {style.exact(state.input_value)} (this sample)")
            lines.append("Inputs come from the dataset; edit them in the data table.")
            return "\n".join(lines)
        kind = "Output neuron" if self.is_output else "Hidden neuron"
        name = bias_name(self.layer, self.neuron)
        lines = [f"{kind} {label} (layer {self.layer}, neuron {self.neuron}, {state.activation})",
                 f"bias {name} = {style.exact(state.bias)}"]
        if state.values is not None:
            lines.append(f"z = {style.exact(state.values[0])}, {label} = {style.exact(state.values[1])}")
        if state.bias_gradient is not None:
            lines.append(f"∂L/∂{name} = {style.exact(state.bias_gradient)}")
        if state.delta is not None:
            lines.append(f"∂L/∂{state.delta[0]} = {style.exact(state.delta[1])} (in the term of the sum lit now)")
        lines.append(f"Double-click (or Enter) to edit {name}.")
        return "\n".join(lines)

    # -- Qt overrides --------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        extent = self.radius + RING * style.SCALE
        return QRectF(-extent, -extent, 2 * extent, 2 * extent)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QRectF(-self.radius, -self.radius, 2 * self.radius, 2 * self.radius))
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        r = self.radius
        circle = QRectF(-r, -r, 2 * r, 2 * r)
        if self.highlighted:
            painter.setPen(QPen(style.HIGHLIGHT_HALO, (2 * RING - 2) * style.SCALE))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(circle)
        fill = style.INPUT_FILL if self.is_input else style.OUTPUT_FILL if self.is_output else style.NEURON_FILL
        border = QPen(style.HIGHLIGHT if self.highlighted else style.NEURON_BORDER,
                      (3 if self.highlighted else 1.5) * style.SCALE)
        border.setCosmetic(True)
        painter.setPen(border)
        # With its input-space map shown (a NeuronMapItem behind it), the circle is the map's frame.
        painter.setBrush(Qt.BrushStyle.NoBrush if self.map_item is not None and self.map_item.isVisible() else fill)
        painter.drawEllipse(circle)
        if self.isSelected():
            ring = QPen(style.SELECTION, 2 * style.SCALE, Qt.PenStyle.DashLine)
            ring.setCosmetic(True)
            painter.setPen(ring)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(circle.adjusted(-4, -4, 4, 4))
        painter.setFont(self._name_font())
        painter.setPen(style.TEXT)
        painter.drawText(circle, Qt.AlignmentFlag.AlignCenter, self.name)

    def _name_font(self):
        font = style.name_font()
        width = QFontMetricsF(font).horizontalAdvance(self.name)
        room = 2 * self.radius - 6
        if width > room:
            font.setPointSizeF(max(style.LABEL_POINT_SIZE, font.pointSizeF() * room / width))
        return font

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged and self.scene() is not None:
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
        if self.scene() is not None:
            self.scene().label_demand_changed()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.edit()
        event.accept()
