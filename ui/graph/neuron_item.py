"""A neuron: a circle with its name, its bias above, its forward values below (inputs and outputs aside)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsSceneHoverEvent, QGraphicsSceneMouseEvent, QStyleOptionGraphicsItem,
                               QWidget)

from simulator.formatting import format_number
from simulator.notation import bias_name
from simulator.stepper import out_label, target_label

from ui.overlay import Overlay

from . import style
from .label_item import LabelItem

RING = 7.0


class NeuronItem(QGraphicsItem):
    """Neuron `neuron` (1-based) of `layer` (0 = inputs); texts are read from the document on refresh."""

    def __init__(self, layer: int, neuron: int, n_layers: int, radius: float):
        super().__init__()
        self.layer, self.neuron = layer, neuron
        self.is_input, self.is_output = layer == 0, layer == n_layers
        self.radius = radius
        self.name = ""
        self.highlighted = False
        self.hovered = False
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

    def refresh(self, document, overlay: Overlay, compact: bool) -> None:
        """Read the texts and highlight from the engine's network and the revealed records."""
        network, digits = document.network, document.digits
        self.name = style.subscripted(out_label(network, self.layer, self.neuron))
        self.highlighted = ("neuron", self.layer, self.neuron) in overlay.highlight
        if self.is_input:
            self._refresh_input(network, overlay, digits, document.session.standardise)
        else:
            self._refresh_neuron(network, overlay, digits, compact)
        self.update(self.boundingRect())

    # -- texts ---------------------------------------------------------------------------------
    def _refresh_input(self, network, overlay: Overlay, digits: int, standardised: bool) -> None:
        lines = [(network.input_names[self.neuron - 1], "title")]
        if self.neuron in overlay.inputs:
            lines.append((f"x = {format_number(overlay.inputs[self.neuron], digits)}", "plain"))
            if standardised:   # the data table shows the raw value; training sees this one
                lines.append(("standardised", "muted"))
        self.side_label.set_lines(lines)

    def _refresh_neuron(self, network, overlay: Overlay, digits: int, compact: bool) -> None:
        name = bias_name(self.layer, self.neuron)
        update = overlay.bias_update(self.layer, self.neuron)
        gradient = overlay.bias_gradients.get((self.layer, self.neuron))
        bias = float(network.layers[self.layer - 1].biases[self.neuron - 1])
        shown = bias if update is None else update[0]
        top = [(f"{name} = {format_number(shown, digits)}", "plain")]
        if update is not None:
            top.append((f"→ {format_number(update[1], digits)}", "updated"))
        elif gradient is not None:
            top.append((f"∂L/∂{name} = {format_number(gradient, digits)}", "plain"))
        forward = self._forward_lines(network, overlay, digits)
        if self.is_output:
            # The output's right-hand side is free, so everything goes there, clear of the edges; when
            # many outputs sit close together only the name, target and loss do.
            beside = not compact or network.n_outputs == 1
            self.side_label.set_lines(self._output_lines(network, overlay, digits, top + forward if beside else []))
            self.top_label.set_lines([])
            self.bottom_label.set_lines([] if beside else top + forward)
        elif compact:
            self.top_label.set_lines([])
            self.bottom_label.set_lines(top + forward)
        else:
            self.top_label.set_lines(top)
            self.bottom_label.set_lines(forward)

    def _forward_lines(self, network, overlay: Overlay, digits: int) -> list[tuple[str, str]]:
        values = overlay.neurons.get((self.layer, self.neuron))
        if values is None:
            return []
        symbol = out_label(network, self.layer, self.neuron) if self.is_output else "o"
        return [(f"z = {format_number(values[0], digits)}", "plain"),
                (f"{symbol} = {format_number(values[1], digits)}", "plain")]

    def _output_lines(self, network, overlay: Overlay, digits: int,
                      details: list[tuple[str, str]]) -> list[tuple[str, str]]:
        lines = [(network.output_names[self.neuron - 1], "title")] + details
        if len(overlay.targets) >= self.neuron:
            target = overlay.targets[self.neuron - 1]
            lines.append((f"{target_label(network, self.neuron)} = {format_number(target, digits)}", "plain"))
        if overlay.loss is not None and self.neuron == 1:
            lines.append((f"L = {format_number(overlay.loss, digits)}", "plain"))
        return lines

    def tooltip_text(self) -> str:
        """What the neuron is and its values at full precision (built when the mouse arrives)."""
        network, overlay = self.scene().document.network, self.scene().overlay()
        label = out_label(network, self.layer, self.neuron)
        if self.is_input:
            lines = [f"Input {label}: {network.input_names[self.neuron - 1]}"]
            if self.neuron in overlay.inputs:
                lines.append(f"x = {style.exact(overlay.inputs[self.neuron])} (this sample)")
            lines.append("Inputs come from the dataset; edit them in the data table.")
            return "\n".join(lines)
        kind = "Output neuron" if self.is_output else "Hidden neuron"
        name = bias_name(self.layer, self.neuron)
        activation = network.layers[self.layer - 1].activation
        lines = [f"{kind} {label} (layer {self.layer}, neuron {self.neuron}, {activation})",
                 f"bias {name} = {style.exact(network.get(name))}"]
        values = overlay.neurons.get((self.layer, self.neuron))
        if values is not None:
            lines.append(f"z = {style.exact(values[0])}, {label} = {style.exact(values[1])}")
        if (self.layer, self.neuron) in overlay.bias_gradients:
            lines.append(f"∂L/∂{name} = {style.exact(overlay.bias_gradients[(self.layer, self.neuron)])}")
        lines.append(f"Double-click (or Enter) to edit {name}.")
        return "\n".join(lines)

    # -- Qt overrides --------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        extent = self.radius + RING
        return QRectF(-extent, -extent, 2 * extent, 2 * extent)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QRectF(-self.radius, -self.radius, 2 * self.radius, 2 * self.radius))
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        r = self.radius
        circle = QRectF(-r, -r, 2 * r, 2 * r)
        if self.highlighted:
            painter.setPen(QPen(style.HIGHLIGHT_HALO, 2 * RING - 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(circle)
        fill = style.INPUT_FILL if self.is_input else style.OUTPUT_FILL if self.is_output else style.NEURON_FILL
        border = QPen(style.HIGHLIGHT if self.highlighted else style.NEURON_BORDER, 3 if self.highlighted else 1.5)
        border.setCosmetic(True)
        painter.setPen(border)
        painter.setBrush(fill)
        painter.drawEllipse(circle)
        if self.isSelected():
            ring = QPen(style.SELECTION, 2, Qt.PenStyle.DashLine)
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
