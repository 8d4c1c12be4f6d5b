"""The phase-by-phase stepper: one batch of training revealed record by record.

Records come from the same `Training.compute_batch` the fast path uses, and the batch is applied
with the same `Training.commit` when its last update record is revealed.
"""

from __future__ import annotations

from math import prod

import numpy as np

from .activations import get_activation
from .formatting import format_number
from .losses import BCE_EPSILON
from .network import Network
from .notation import ParameterRef, output_name, z_name
from .records import (EpochRecord, FactorRecord, ForwardRecord, GradientRecord, LossRecord, Record,
                      UpdateRecord)
from .training import BatchResult, Training

GRANULARITIES = ("factor", "phase", "sample", "epoch")


def out_label(network: Network, layer: int, neuron: int) -> str:
    """o{layer}{neuron}, x{i} for the inputs, ŷ (or ŷk) for the output layer."""
    if layer == len(network.layers):
        return "ŷ" if network.n_outputs == 1 else f"ŷ{neuron}"
    return output_name(layer, neuron)


def target_label(network: Network, neuron: int) -> str:
    return "y" if network.n_outputs == 1 else f"y{neuron}"


def backward_order(network: Network) -> list[ParameterRef]:
    """Parameters in the order backpropagation reaches them: last layer first."""
    refs = list(network.parameters())
    return sorted(refs, key=lambda ref: -ref.layer) if refs else refs


class Stepper:
    """Walks `training` one record at a time; `revealed` holds the current batch's records so far."""

    def __init__(self, training: Training):
        self.training = training
        self.records: list[Record] = []
        self.revealed_count = 0
        self.batch: BatchResult | None = None

    def __repr__(self) -> str:
        return (f"Stepper(epoch={self.training.epoch + 1}, position={self.training.position}, "
                f"revealed={self.revealed_count}/{len(self.records)})")

    # -- state ---------------------------------------------------------------------------------
    @property
    def revealed(self) -> list[Record]:
        return self.records[:self.revealed_count]

    @property
    def current(self) -> Record | None:
        return self.records[self.revealed_count - 1] if self.revealed_count else None

    @property
    def mid_batch(self) -> bool:
        """True while a batch has been started but not applied."""
        return self.batch is not None

    def invalidate(self) -> None:
        """Forget the current batch (after a parameter, data or setting edit); it restarts on the next step."""
        if self.batch is not None:
            self.records, self.revealed_count, self.batch = [], 0, None

    def clear(self) -> None:
        self.records, self.revealed_count, self.batch = [], 0, None

    def rewind(self, count: int) -> None:
        """Show only the first `count` (≥ 1) records of the batch under way, which is not applied yet."""
        if self.batch is None or not 1 <= count <= self.revealed_count:
            raise ValueError(f"cannot rewind to {count} of {self.revealed_count} records")
        self.revealed_count = count

    # -- stepping ------------------------------------------------------------------------------
    def next_record(self) -> Record | None:
        """Reveal one record; starts the next batch when the current one is done. None when finished."""
        if self.revealed_count >= len(self.records):
            if self.training.finished:
                return None
            self._start_batch()
        record = self.records[self.revealed_count]
        self.revealed_count += 1
        if self.batch is not None and self._is_last_update(self.revealed_count - 1):
            self._commit()
        return record

    def step(self, granularity: str = "factor") -> list[Record]:
        """Reveal records up to the end of the current factor, phase, sample or epoch."""
        if granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
        first = self.next_record()
        if first is None:
            return []
        shown = [first]
        while granularity != "factor":
            if granularity == "epoch" and shown[-1].kind == "epoch":
                break
            if self.revealed_count >= len(self.records) and granularity != "epoch":
                break
            upcoming = self._peek()
            if upcoming is None:
                break
            if granularity == "phase" and upcoming.phase != first.phase:
                break
            if granularity == "sample" and upcoming.sample != first.sample:
                break
            shown.append(self.next_record())
        return shown

    def finish_batch(self) -> list[Record]:
        """Reveal the rest of the current batch (applying it); nothing if no batch is under way."""
        shown = []
        while self.batch is not None:
            shown.append(self.next_record())
        while self.revealed_count < len(self.records):
            shown.append(self.next_record())
        return shown

    def upcoming(self) -> Record | None:
        """The record the next step reveals first (starting the next batch if needed; nothing is applied)."""
        return self._peek()

    def _peek(self) -> Record | None:
        if self.revealed_count < len(self.records):
            return self.records[self.revealed_count]
        if self.training.finished:
            return None
        self._start_batch()
        return self.records[self.revealed_count]

    def _is_last_update(self, index: int) -> bool:
        record = self.records[index]
        if record.kind != "update":
            return False
        return index + 1 >= len(self.records) or self.records[index + 1].kind != "update"

    def _start_batch(self) -> None:
        self.batch = self.training.compute_batch()
        self.records = build_records(self.training, self.batch)
        self.revealed_count = 0

    def _commit(self) -> None:
        training, batch = self.training, self.batch
        self.batch = None
        epoch_before = training.epoch
        training.commit(batch)
        if training.status == "diverged":
            self.records.append(EpochRecord(epoch_before + 1, batch.start + len(batch.indices), (), float("nan"),
                                            training.status, training.message))
        elif training.epoch != epoch_before:
            count = training.n_samples
            losses = tuple(training.sample_losses[-count:])
            self.records.append(EpochRecord(epoch_before + 1, count, losses, training.history[-1],
                                            training.status, training.message))


def build_records(training: Training, batch: BatchResult) -> list[Record]:
    """Every record of one batch: per sample forward, loss and chain rules; then the updates."""
    records: list[Record] = []
    for offset in range(len(batch.indices)):
        records.extend(_sample_records(training, batch, offset))
    records.extend(_update_records(training, batch))
    return records


def _sample_records(training: Training, batch: BatchResult, s: int) -> list[Record]:
    network = training.network
    epoch, sample, row = batch.epoch + 1, batch.start + s + 1, int(batch.indices[s]) + 1
    fwd, bwd = batch.forward, batch.backward
    records: list[Record] = []
    n_layers = len(network.layers)
    for l, layer in enumerate(network.layers, start=1):
        inputs = fwd.inputs[l - 1][s]
        for j in range(1, layer.n_out + 1):
            records.append(ForwardRecord(
                epoch, sample, row, l, j, z_name(l, j), out_label(network, l, j),
                tuple(ParameterRef(l, j, i).name for i in range(1, layer.n_in + 1)),
                tuple(layer.weights[:, j - 1].tolist()),
                tuple(out_label(network, l - 1, i) for i in range(1, layer.n_in + 1)),
                tuple(inputs.tolist()), ParameterRef(l, j).name, float(layer.biases[j - 1]),
                float(fwd.z[l - 1][s, j - 1]), layer.activation, float(fwd.out[l - 1][s, j - 1])))
    targets = training.Y[batch.indices[s]]
    records.append(LossRecord(
        epoch, sample, row, training.loss.name,
        tuple(target_label(network, k) for k in range(1, network.n_outputs + 1)), tuple(targets.tolist()),
        tuple(out_label(network, n_layers, k) for k in range(1, network.n_outputs + 1)),
        tuple(fwd.prediction[s].tolist()), float(batch.losses[s]), n_layers))
    for ref in backward_order(network):
        factors = _chain(training, batch, s, ref, (epoch, sample, row))
        value = factors[-1].running_product
        records.extend(factors)
        records.append(GradientRecord(epoch, sample, row, ref.name, tuple(factors), value,
                                      _param_highlight(ref)))
    return records


def _param_highlight(ref: ParameterRef) -> tuple:
    if ref.is_bias:
        return (("neuron", ref.layer, ref.target),)
    return (("edge", ref.layer, ref.source, ref.target),)


def _loss_factor(training: Training, y: float, y_hat: float) -> tuple[str, tuple]:
    """Template and arguments of ∂L/∂ŷ for the training's loss."""
    m = training.network.n_outputs
    scale = "" if m == 1 else f"(1/{m})·"
    name = training.loss.name
    if name == "mse":
        return ("−2({0} − {1})" if m == 1 else f"−(2/{m})({{0}} − {{1}})"), (y, y_hat)
    if name == "half_sse":
        return "−({0} − {1})", (y, y_hat)
    if m == 1:
        return "−{0}/{1} + (1 − {0})/(1 − {1})", (y, y_hat)
    return scale + "(−{0}/{1} + (1 − {0})/(1 − {1}))", (y, y_hat)


def _activation_factor(activation: str, z_label: str, o_label: str) -> tuple[str, tuple]:
    if activation == "linear":
        return "1", ()
    if activation == "sigmoid":
        return "{0}(1 − {0})", (o_label,)
    if activation == "tanh":
        return "1 − {0}²", (o_label,)
    return "1 if {0} > 0 else 0", (z_label,)


def _chain(training: Training, batch: BatchResult, s: int, ref: ParameterRef, where: tuple) -> list[FactorRecord]:
    """The chain-rule factors of ∂L/∂ref for sample s, with the values the engine computed.

    When the neuron reaches the loss by one path (every later layer has one neuron, as in the
    lectures' 2-2-1 network) the chain is written out in full; otherwise it starts from ∂L/∂o of the
    parameter's neuron, which is the sum over the paths.
    """
    network = training.network
    fwd, bwd = batch.forward, batch.backward
    n_layers = len(network.layers)
    l, j = ref.layer, ref.target
    single_path = prod(layer.n_out for layer in network.layers[l:]) == 1
    # Under the mistaken in-place rule the later weights were already updated when used here.
    updated = " (already updated)" if training.config.update_rule == "in_place" else ""
    raw: list[tuple] = []  # (numerator, denominator, template, symbols, arguments, value, highlight[, note])

    def add_activation(m: int, k: int) -> None:
        layer = network.layers[m - 1]
        o_lab, z_lab = out_label(network, m, k), z_name(m, k)
        template, symbols = _activation_factor(layer.activation, z_lab, o_lab)
        lookup = {o_lab: float(fwd.out[m - 1][s, k - 1]), z_lab: float(fwd.z[m - 1][s, k - 1])}
        raw.append((o_lab, z_lab, template, symbols, tuple(lookup[sym] for sym in symbols),
                    float(bwd.act_grad[m - 1][s, k - 1]), (("neuron", m, k),)))

    if single_path:
        path = {m: 1 for m in range(l + 1, n_layers + 1)}
        path[l] = j
        k_out = path[n_layers]
        y = float(training.Y[batch.indices[s], k_out - 1])
        y_hat = float(fwd.prediction[s, k_out - 1])
        template, arguments = _loss_factor(training, y, y_hat)
        symbols = (target_label(network, k_out), out_label(network, n_layers, k_out))
        note = ""
        if training.loss.name == "bce" and not BCE_EPSILON < y_hat < 1.0 - BCE_EPSILON:
            # The formula would divide by ŷ = 0 or 1 - ŷ = 0; the clipped loss is flat there instead.
            template, symbols, arguments = "0", (), ()
            epsilon = format_number(BCE_EPSILON)
            note = (f"{out_label(network, n_layers, k_out)} is outside [{epsilon}, 1 − {epsilon}], "
                    "where the clipped loss is flat")
        raw.append(("L", out_label(network, n_layers, k_out), template, symbols, arguments,
                    float(bwd.d_out[n_layers - 1][s, k_out - 1]), (("neuron", n_layers, k_out),), note))
        for m in range(n_layers, l - 1, -1):
            add_activation(m, path[m])
            if m > l:
                source = path[m - 1]
                weight = ParameterRef(m, path[m], source)
                value = float(bwd.propagated_weights[m - 1][source - 1, path[m] - 1])
                raw.append((z_name(m, path[m]), out_label(network, m - 1, source), "{0}",
                            (weight.name + updated,), (value,), value, (("edge", m, source, path[m]),)))
    else:
        next_layer = network.layers[l]
        slots = " + ".join(f"{{{2 * (k - 1)}}}·{{{2 * (k - 1) + 1}}}" for k in range(1, next_layer.n_out + 1))
        symbols, arguments = [], []
        for k in range(1, next_layer.n_out + 1):
            symbols += [f"∂L/∂{z_name(l + 1, k)}", ParameterRef(l + 1, k, j).name + updated]
            arguments += [float(bwd.delta[l][s, k - 1]), float(bwd.propagated_weights[l][j - 1, k - 1])]
        raw.append(("L", out_label(network, l, j), slots, tuple(symbols), tuple(arguments),
                    float(bwd.d_out[l - 1][s, j - 1]),
                    tuple(("edge", l + 1, j, k) for k in range(1, next_layer.n_out + 1))))
        add_activation(l, j)
    if ref.is_bias:
        raw.append((z_name(l, j), ref.name, "1", (), (), 1.0, (("neuron", l, j),)))
    else:
        input_label = out_label(network, l - 1, ref.source)
        value = float(fwd.inputs[l - 1][s, ref.source - 1])
        raw.append((z_name(l, j), ref.name, "{0}", (input_label,), (value,), value,
                    (("edge", l, ref.source, j), ("neuron", l - 1, ref.source))))

    factors, running = [], None
    for index, (num, den, template, symbols, arguments, value, highlight, *note) in enumerate(raw, start=1):
        running = value if running is None else running * value
        factors.append(FactorRecord(*where, ref.name, index, len(raw), num, den, template, tuple(symbols),
                                    tuple(arguments), value, running, highlight, *note))
    return factors


def _update_records(training: Training, batch: BatchResult) -> list[UpdateRecord]:
    network = training.network
    records = []
    rate = training.config.learning_rate
    last_sample = batch.start + len(batch.indices)
    rows = tuple(int(index) + 1 for index in batch.indices)
    for ref in backward_order(network):
        index = ref.layer - 1
        new_w, new_b = batch.new_parameters[index]
        if ref.is_bias:
            old = float(network.layers[index].biases[ref.target - 1])
            grad = float(batch.backward.grad_biases[index][ref.target - 1])
            new = float(new_b[ref.target - 1])
        else:
            old = float(network.layers[index].weights[ref.source - 1, ref.target - 1])
            grad = float(batch.backward.grad_weights[index][ref.source - 1, ref.target - 1])
            new = float(new_w[ref.source - 1, ref.target - 1])
        records.append(UpdateRecord(batch.epoch + 1, last_sample, ref.name, old, rate, grad, new,
                                    len(batch.indices), _param_highlight(ref), rows))
    return records
