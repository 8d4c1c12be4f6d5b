"""What the graph shows on top of the parameters: the values the stepper has revealed so far.

Derived from the engine's records only; nothing here computes mathematics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.notation import bias_name, parse_parameter, weight_name
from simulator.records import Record


@dataclass
class Overlay:
    """Revealed values keyed by graph position (layers and neurons 1-based, layer 0 the inputs)."""

    inputs: dict[int, float] = field(default_factory=dict)
    neurons: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)  # (z, out)
    edge_gradients: dict[tuple[int, int, int], float] = field(default_factory=dict)
    bias_gradients: dict[tuple[int, int], float] = field(default_factory=dict)
    updates: dict[str, tuple[float, float]] = field(default_factory=dict)  # name: (old, new)
    targets: tuple[float, ...] = ()
    loss: float | None = None
    highlight: frozenset = frozenset()
    current: Record | None = None
    row: int | None = None

    def edge_update(self, layer: int, source: int, target: int) -> tuple[float, float] | None:
        return self.updates.get(weight_name(layer, source, target))

    def bias_update(self, layer: int, neuron: int) -> tuple[float, float] | None:
        return self.updates.get(bias_name(layer, neuron))


def overlay_from(records: list[Record]) -> Overlay:
    """Fold the revealed records of the current batch into what each graph item shows."""
    overlay = Overlay()
    sample = None
    for record in records:
        kind = record.kind
        if kind in ("forward", "loss", "factor", "gradient") and record.sample != sample:
            # A mini-batch's next sample: the previous sample's values must not stay beside its own.
            sample = record.sample
            overlay.inputs, overlay.neurons = {}, {}
            overlay.edge_gradients, overlay.bias_gradients = {}, {}
            overlay.targets, overlay.loss = (), None
        if kind == "forward":
            if record.layer == 1:
                overlay.inputs = dict(enumerate(record.inputs, start=1))
            overlay.neurons[(record.layer, record.neuron)] = (record.z, record.out)
            overlay.row = record.row
        elif kind == "loss":
            overlay.loss = record.value
            overlay.targets = record.targets
        elif kind == "gradient":
            ref = parse_parameter(record.parameter)
            if ref.is_bias:
                overlay.bias_gradients[(ref.layer, ref.target)] = record.value
            else:
                overlay.edge_gradients[(ref.layer, ref.source, ref.target)] = record.value
        elif kind == "update":
            if record.batch_size > 1 and not overlay.updates:
                # The updates use the batch's mean gradient, not the last sample's shown so far.
                overlay.edge_gradients, overlay.bias_gradients = {}, {}
            overlay.updates[record.parameter] = (record.old, record.new)
    if records:
        overlay.current = records[-1]
        overlay.highlight = frozenset(getattr(records[-1], "highlight", ()))
    return overlay
