"""The phase-by-phase stepper: one batch of training revealed record by record.

Records come from the same `Training.compute_batch` the fast path uses, and the batch is applied
with the same `Training.commit` when its last update record is revealed. A batch's records are made
when they are read (`BatchRecords`): a batch of 100,000 rows makes the records of the samples shown,
not of every row, and positions are counted, not listed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from math import prod

import numpy as np

from .activations import get_activation, positional
from .batch_records import BatchRecords
from .chain_paths import PathPlan, build_path_plan
from .formatting import format_number, power_of_ten
from .losses import Loss
from .network import Network
from .notation import ParameterRef, output_name, z_name
from .records import (EpochRecord, FactorRecord, ForwardRecord, GradientRecord, LossRecord, Record,
                      Simplification, UpdateRecord, UpdateStep)
from .training import BatchResult, Training

#: From finest to coarsest: one chain-rule factor; "phase", a layer's forward pass, the loss, one
#: gradient or the updates (shown as "Layer or gradient"); "stage", a whole phase of training (the
#: forward pass, the loss, the backward pass, the updates; shown as "Phase"); a sample; an epoch.
GRANULARITIES = ("factor", "phase", "stage", "sample", "epoch")


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
        #: The current batch's records (`BatchRecords`), or () before the first batch.
        self.records: Sequence[Record] = ()
        self.revealed_count = 0
        self.batch: BatchResult | None = None

    def __repr__(self) -> str:
        return (f"Stepper(epoch={self.training.epoch + 1}, position={self.training.position}, "
                f"revealed={self.revealed_count}/{len(self.records)})")

    # -- state ---------------------------------------------------------------------------------
    @property
    def revealed(self) -> Sequence[Record]:
        """The records revealed so far, a view of `records` (reading one makes only its sample's)."""
        return self.records[:self.revealed_count]

    @property
    def shown(self) -> Sequence[Record]:
        """The revealed records the graph draws: from the first record of the last sample revealed on
        (with the batch's updates and epoch's end after it). Each sample replaces the one before on
        the graph, so folding these gives what folding every revealed record gives."""
        if not self.revealed_count:
            return self.revealed
        return self.records[self.records.sample_start(self.revealed_count - 1):self.revealed_count]

    def sample_records(self, record: Record) -> Sequence[Record]:
        """Every record (revealed or not) of the sample `record` belongs to in the current batch, in
        order; () when it is not a sample's record of this batch. A chain's factors are all in it."""
        records = self.records
        sample = getattr(record, "sample", 0) - getattr(records, "first_sample", 0)
        if record.kind in ("update", "epoch") or not 0 <= sample < getattr(records, "samples", 0):
            return ()
        candidates = records.sample_records(sample)
        return candidates if candidates[0].epoch == record.epoch else ()

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
            self.records, self.revealed_count, self.batch = (), 0, None

    def clear(self) -> None:
        self.records, self.revealed_count, self.batch = (), 0, None

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
        if self.batch is not None and self.revealed_count == self.records.updates_end:
            self._commit()
        return record

    def reveal_to(self, count: int | None) -> None:
        """Show the first `count` records of the batch under way, or of the next batch when none is
        (None: all of them, the batch applied and its epoch's end included), making none of the
        records skipped: a jump, for stepping back, that costs the same for one row as for 100,000."""
        if self.revealed_count >= len(self.records) and not self.training.finished:
            self._start_batch()
        records = self.records
        if not isinstance(records, BatchRecords):
            raise ValueError(f"training has stopped ({self.training.status}): no batch to reveal")
        limit = records.updates_end if count is None else count
        if not self.revealed_count <= limit <= records.updates_end:
            raise ValueError(f"cannot reveal {count} of {len(records)} records from {self.revealed_count}")
        self.revealed_count = limit
        if self.batch is not None and limit == records.updates_end:
            self._commit()
        if count is None:
            self.revealed_count = len(records)

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
            if granularity == "stage" and upcoming.stage != first.stage:
                break
            if granularity == "sample" and upcoming.sample != first.sample:
                break
            shown.append(self.next_record())
        return shown

    def finish_batch(self) -> list[Record]:
        """Reveal the rest of the current batch (applying it); nothing if no batch is under way. The
        records are returned, so each is made: `skip_batch` applies a batch of many rows without."""
        start = self.skip_batch()
        return list(self.records[start:])

    def skip_batch(self) -> int:
        """Reveal the rest of the current batch (applying it) without making its records; returns the
        position it revealed from (nothing is revealed if no batch is under way)."""
        start = self.revealed_count
        if self.batch is not None or start < len(self.records):
            self.reveal_to(None)
        return start

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

    def _start_batch(self) -> None:
        self.batch = self.training.compute_batch()
        self.records = batch_records(self.training, self.batch)
        self.revealed_count = 0

    def _commit(self) -> None:
        training, batch = self.training, self.batch
        self.batch = None
        epoch_before = training.epoch
        training.commit(batch)
        if training.status == "diverged":
            self.records.end = EpochRecord(epoch_before + 1, batch.start + len(batch.indices), (), float("nan"),
                                           training.status, training.message)
        elif training.epoch != epoch_before:
            count = training.n_samples
            losses = tuple(training.sample_losses[-count:].tolist())
            self.records.end = EpochRecord(epoch_before + 1, count, losses, training.history[-1],
                                           training.status, training.message)


def build_records(training: Training, batch: BatchResult) -> list[Record]:
    """Every record of one batch: per sample forward, loss and chain rules; then the updates."""
    return list(batch_records(training, batch))


@dataclass(frozen=True, slots=True)
class _BatchContext:
    """What a sample's records read besides the batch's arrays, taken when the batch starts (the
    network changes when the batch is applied, the records keep the numbers it was computed with):
    per layer (weights by target neuron, biases, activation); `targets: (n, n_outputs)` of the batch's
    rows; `propagated` the flat weights that carried ∂L/∂z back."""

    names: "_Names"
    plans: dict
    path_plans: dict
    columns: tuple
    targets: np.ndarray
    propagated: list[float]
    loss: Loss


def batch_records(training: Training, batch: BatchResult) -> BatchRecords:
    """The records of one batch, made when read: the updates now (they read the network before it
    changes), a sample's forward, loss and chain rules when one of them is first read."""
    network = training.network
    names, plans = _names(network), _chain_plans(training)
    context = _BatchContext(
        names, plans, _path_plans(training),
        tuple((layer.weights.T.tolist(), layer.biases.tolist(), layer.activation) for layer in network.layers),
        np.take(training.Y, batch.indices, axis=0),
        [value for weights in batch.backward.propagated_weights for value in weights.ravel().tolist()],
        training.loss)
    per_sample = len(names.forward) + 1 + sum(len(plans[ref]) + 1 for ref, _, _ in names.backward)
    return BatchRecords(len(batch.indices), per_sample, lambda s: _sample_records(context, batch, s),
                        tuple(_update_records(training, batch)), batch.start + 1)


def _sample_records(context: _BatchContext, batch: BatchResult, s: int) -> list[Record]:
    epoch, sample, row = batch.epoch + 1, batch.start + s + 1, int(batch.indices[s]) + 1
    names = context.names
    values = _sample_values(context, batch, s)
    records: list[Record] = []
    columns = context.columns
    for l, j, z_label, o_label, weight_names, input_names, bias_name in names.forward:
        weights, biases, activation = columns[l - 1]
        records.append(ForwardRecord(
            epoch, sample, row, l, j, z_label, o_label, weight_names, tuple(weights[j - 1]), input_names,
            tuple(values["inputs"][l - 1]), bias_name, biases[j - 1], values["z"][l - 1][j - 1],
            activation, values["out"][l - 1][j - 1],
            tuple(values["z"][l - 1]) if get_activation(activation).over_layer else ()))
    records.append(LossRecord(
        epoch, sample, row, context.loss.name, names.targets, tuple(values["y"]), names.predictions,
        tuple(values["out"][-1]), float(batch.losses[s]), len(columns)))
    plans, path_plans, flat = context.plans, context.path_plans, values["flat"]
    for ref, name, highlight in names.backward:
        path_plan = path_plans[ref]
        factors = _chain(name, (epoch, sample, row), flat, plans[ref], context.loss, path_plan)
        value = factors[-1].running_product
        records.extend(factors)
        records.append(GradientRecord(epoch, sample, row, name, tuple(factors), value, highlight,
                                      path_plan.paths, path_plan.products_of(flat)))
    return records


@dataclass(frozen=True)
class _Names:
    """The labels of one network shape, made once: `forward` (layer, neuron, z, o, weight names,
    input names, bias name) per neuron; `backward` (parameter, name, highlight) in backward order."""

    forward: tuple
    targets: tuple[str, ...]
    predictions: tuple[str, ...]
    backward: tuple


_NAMES: dict[tuple, _Names] = {}


def _names(network: Network) -> _Names:
    key = tuple(network.sizes)
    names = _NAMES.get(key)
    if names is None:
        if len(_NAMES) > 64:
            _NAMES.clear()
        n_layers = len(network.layers)
        forward = tuple(
            (l, j, z_name(l, j), out_label(network, l, j),
             tuple(ParameterRef(l, j, i).name for i in range(1, layer.n_in + 1)),
             tuple(out_label(network, l - 1, i) for i in range(1, layer.n_in + 1)), ParameterRef(l, j).name)
            for l, layer in enumerate(network.layers, start=1) for j in range(1, layer.n_out + 1))
        names = _NAMES[key] = _Names(
            forward, tuple(target_label(network, k) for k in range(1, network.n_outputs + 1)),
            tuple(out_label(network, n_layers, k) for k in range(1, network.n_outputs + 1)),
            tuple((ref, ref.name, _param_highlight(ref)) for ref in backward_order(network)))
    return names


def _param_highlight(ref: ParameterRef) -> tuple:
    if ref.is_bias:
        return (("neuron", ref.layer, ref.target),)
    return (("edge", ref.layer, ref.source, ref.target),)


def _chain(name: str, where: tuple, flat: list[float], plan: tuple, loss: Loss,
           path_plan: PathPlan) -> list[FactorRecord]:
    """The chain-rule factors of ∂L/∂`name` for one sample, with the values the engine computed:
    `plan` is `_chain_plans(training)[ref]`, `flat` is `_sample_values(...)["flat"]` of the sample
    and `loss` the training's loss; `path_plan` adds the neuron's δ and a sum's terms.

    When the neuron reaches the loss by one path (every later layer has one neuron, as in the
    lectures' 2-2-1 network) the chain is written out in full; otherwise it starts from ∂L/∂o of the
    parameter's neuron, which is the sum over the paths.
    """
    factors, running = [], None
    delta, terms = path_plan.delta_of(flat), path_plan.terms_of(flat)
    for index, (num, den, template, symbols, argument_places, value_place, highlight, clipped_note, simple) \
            in enumerate(plan, start=1):
        value = flat[value_place]
        arguments = tuple([flat[place] for place in argument_places])
        note, simplification = "", None
        if clipped_note and loss.clipped(arguments[1]):
            # The formula would divide by ŷ = 0 or 1 - ŷ = 0; the clipped loss is flat there instead.
            template, symbols, arguments, note = "0", (), (), clipped_note
        if simple is not None:
            s_num, s_den, s_template, s_symbols, s_places, s_value_place, s_reason, prediction_place = simple
            s_arguments = tuple([flat[place] for place in s_places])
            if not all(map(math.isfinite, arguments)) and flat[s_value_place] == value:
                # ∂L/∂ŷk = −yk/ŷk is infinite where ŷk underflowed to 0; ŷ − y is exact there.
                template, symbols, arguments = s_template, s_symbols, s_arguments
                note = f"{s_reason}: ∂L/∂ŷ is infinite where ŷ underflowed to 0, this form is exact"
            elif prediction_place is None or not loss.clipped(flat[prediction_place]):
                simplification = Simplification(s_num, s_den, s_template, s_symbols, s_arguments,
                                                flat[s_value_place], s_reason)
        running = value if running is None else running * value
        factors.append(FactorRecord(*where, name, index, len(plan), num, den, template, symbols,
                                    arguments, value, running, highlight, note, simplification,
                                    delta if index == path_plan.delta_index else None,
                                    terms if index == 1 else (), path_plan.paths))
    return factors


#: The per-layer tables of a sample's values, in the order `_sample_values` lays them out flat.
LAYER_TABLES = ("out", "z", "act_grad", "d_out", "delta")


def _sample_values(context: _BatchContext, batch: BatchResult, s: int) -> dict:
    """Sample s's values as lists of floats: per layer `out`, `z`, `inputs`, the target row `y`, and
    `flat`, every value a chain-rule factor can use in the order `_flat_place` numbers them."""
    fwd, bwd = batch.forward, batch.backward
    values = {"out": [a[s].tolist() for a in fwd.out], "z": [a[s].tolist() for a in fwd.z],
              "inputs": [a[s].tolist() for a in fwd.inputs], "y": context.targets[s].tolist()}
    flat = [value for table in (values["out"], values["z"]) for layer in table for value in layer]
    for table in (bwd.act_grad, bwd.d_out, bwd.delta):
        for layer in table:
            flat += layer[s].tolist()
    for layer in values["inputs"]:
        flat += layer
    values["flat"] = flat + context.propagated + values["y"] + [1.0]
    return values


def _flat_place(sizes: tuple[int, ...], source: tuple) -> int:
    """Where `_sample_values(...)["flat"]` keeps a value: (table in LAYER_TABLES, layer, neuron),
    ("inputs", layer, source neuron), ("weight", layer, source, target), ("y", k) or ("one",); 0-based."""
    n_layers, table, offset = len(sizes) - 1, source[0], 0
    if table in ("y", "one"):
        total = sum(len(LAYER_TABLES) * sizes[layer + 1] + sizes[layer] * (1 + sizes[layer + 1])
                    for layer in range(n_layers))
        return total + (source[1] if table == "y" else sizes[-1])
    for name in LAYER_TABLES:
        for layer in range(n_layers):
            if (name, layer) == (table, source[1]):
                return offset + source[2]
            offset += sizes[layer + 1]
    for layer in range(n_layers):
        if ("inputs", layer) == (table, source[1]):
            return offset + source[2]
        offset += sizes[layer]
    for layer in range(n_layers):
        if ("weight", layer) == (table, source[1]):
            return offset + source[2] * sizes[layer + 1] + source[3]
        offset += sizes[layer] * sizes[layer + 1]
    raise ValueError(f"unknown value source {source!r}")


#: Chain-rule and path plans by network shape, activations, loss and update rule: only the numbers
#: change per step.
_PLANS: dict[tuple, tuple[dict[ParameterRef, tuple], dict[ParameterRef, PathPlan]]] = {}


def _chain_plans(training: Training) -> dict[ParameterRef, tuple]:
    """Per parameter, the factors of ∂L/∂parameter without their numbers: (numerator, denominator,
    template, symbols, argument places, value place, highlight, note if ŷ is clipped) each, where a
    place is an index into `_sample_values(...)["flat"]`."""
    return _plans(training)[0]


def _plans(training: Training) -> tuple[dict[ParameterRef, tuple], dict[ParameterRef, PathPlan]]:
    """The chain plans and the path plans of every parameter, made once per network shape."""
    network = training.network
    key = (tuple(network.sizes), tuple(get_activation(layer.activation) for layer in network.layers),
           training.loss, training.config.update_rule)
    plans = _PLANS.get(key)
    if plans is None:
        if len(_PLANS) > 64:
            _PLANS.clear()
        built = {ref: _build_chain_plan(training, ref) for ref in network.parameters()}
        plans = _PLANS[key] = ({ref: chain for ref, (chain, _) in built.items()},
                               {ref: paths for ref, (_, paths) in built.items()})
    return plans


def _path_plans(training: Training) -> dict[ParameterRef, PathPlan]:
    """Per parameter, where its paths' numbers are (see `chain_paths.PathPlan`)."""
    return _plans(training)[1]


def _build_chain_plan(training: Training, ref: ParameterRef) -> tuple[tuple, PathPlan]:
    network = training.network
    n_layers = len(network.layers)
    l, j = ref.layer, ref.target
    single_path = prod(layer.n_out for layer in network.layers[l:]) == 1
    # Under the mistaken in-place rule the later weights were already updated when used here.
    updated = " (already updated)" if training.config.update_rule == "in_place" else ""
    plan: list[tuple] = []

    loss, output = training.loss, get_activation(network.layers[-1].activation)
    simplified = loss.simplified_template(network.n_outputs) if loss.simplifies_with == output.name else None
    reason = f"{output.name} with {loss.title}"
    # The simplification is stated on the first chain through each output neuron (its first weight).
    first_through_output = ref.layer == n_layers and ref.source == 1

    def simplified_factor(k: int) -> tuple:
        """∂L/∂zk of output k in the loss's simplified form: (template, symbols, argument sources)."""
        template, names = positional(simplified.replace("{0}", "{y}").replace("{1}", "{o}"))
        labels = {"y": target_label(network, k), "o": out_label(network, n_layers, k)}
        places = {"y": ("y", k - 1), "o": ("out", n_layers - 1, k - 1)}
        return template, tuple(labels[name] for name in names), tuple(places[name] for name in names)

    def simplification(k: int, unless_clipped: bool) -> tuple | None:
        if simplified is None or not first_through_output:
            return None
        return ("L", z_name(n_layers, k), *simplified_factor(k), ("delta", n_layers - 1, k - 1), reason,
                ("out", n_layers - 1, k - 1) if unless_clipped else None)

    def add_activation(m: int, k: int) -> None:
        layer = network.layers[m - 1]
        o_lab, z_lab = out_label(network, m, k), z_name(m, k)
        template, symbols = get_activation(layer.activation).factor_template(z_lab, o_lab)
        sources = {o_lab: ("out", m - 1, k - 1), z_lab: ("z", m - 1, k - 1)}
        # After ∂L/∂ŷ·∂ŷ/∂z the running product is ∂L/∂z, which sigmoid with bce writes as ŷ − y.
        plan.append((o_lab, z_lab, template, tuple(symbols), tuple(sources[sym] for sym in symbols),
                     ("act_grad", m - 1, k - 1), (("neuron", m, k),), "",
                     simplification(k, True) if m == n_layers else None))

    if single_path and output.over_layer:
        # ∂L/∂zk when every output depends on every z of the layer: Σj ∂L/∂ŷj·∂ŷj/∂zk, with the softmax
        # Jacobian ∂ŷj/∂zk = ŷj(δjk − ŷk) written out on the neuron's first chain; with cross-entropy
        # the later chains show its simplified form ŷk − yk alone.
        m, k = network.n_outputs, j
        highlight = tuple(("neuron", n_layers, other) for other in range(1, m + 1))
        if simplified is not None and not first_through_output:
            plan.append(("L", z_name(n_layers, k), *simplified_factor(k), ("delta", n_layers - 1, k - 1),
                         highlight, "", None))
        else:
            terms, symbols, sources = [], [], []
            own = 2 * (k - 1) + 1
            for other in range(1, m + 1):
                d, o = 2 * (other - 1), 2 * (other - 1) + 1
                terms.append(f"{{{d}}}·{{{o}}}(1 − {{{o}}})" if other == k else f"{{{d}}}·(−{{{o}}}·{{{own}}})")
                symbols += [f"∂L/∂{out_label(network, n_layers, other)}", out_label(network, n_layers, other)]
                sources += [("d_out", n_layers - 1, other - 1), ("out", n_layers - 1, other - 1)]
            plan.append(("L", z_name(n_layers, k), " + ".join(terms), tuple(symbols), tuple(sources),
                         ("delta", n_layers - 1, k - 1), highlight, "", simplification(k, False)))
    elif single_path:
        path = {m: 1 for m in range(l + 1, n_layers + 1)}
        path[l] = j
        k_out = path[n_layers]
        template = training.loss.factor_template(network.n_outputs)
        prediction = out_label(network, n_layers, k_out)
        clipped_note = ""
        if training.loss.clip is not None:
            epsilon = format_number(training.loss.clip)
            clipped_note = f"{prediction} is outside [{epsilon}, 1 − {epsilon}], where the clipped loss is flat"
        plan.append(("L", prediction, template, (target_label(network, k_out), prediction),
                     (("y", k_out - 1), ("out", n_layers - 1, k_out - 1)), ("d_out", n_layers - 1, k_out - 1),
                     (("neuron", n_layers, k_out),), clipped_note, None))
        for m in range(n_layers, l - 1, -1):
            add_activation(m, path[m])
            if m > l:
                source = path[m - 1]
                weight = ("weight", m - 1, source - 1, path[m] - 1)
                plan.append((z_name(m, path[m]), out_label(network, m - 1, source), "{0}",
                             (ParameterRef(m, path[m], source).name + updated,), (weight,), weight,
                             (("edge", m, source, path[m]),), "", None))
    else:
        next_layer = network.layers[l]
        slots = " + ".join(f"{{{2 * (k - 1)}}}·{{{2 * (k - 1) + 1}}}" for k in range(1, next_layer.n_out + 1))
        symbols, sources = [], []
        for k in range(1, next_layer.n_out + 1):
            symbols += [f"∂L/∂{z_name(l + 1, k)}", ParameterRef(l + 1, k, j).name + updated]
            sources += [("delta", l, k - 1), ("weight", l, j - 1, k - 1)]
        plan.append(("L", out_label(network, l, j), slots, tuple(symbols), tuple(sources), ("d_out", l - 1, j - 1),
                     tuple(("edge", l + 1, j, k) for k in range(1, next_layer.n_out + 1)), "", None))
        add_activation(l, j)
    if ref.is_bias:
        plan.append((z_name(l, j), ref.name, "1", (), (), ("one",), (("neuron", l, j),), "", None))
    else:
        source = ("inputs", l - 1, ref.source - 1)
        plan.append((z_name(l, j), ref.name, "{0}", (out_label(network, l - 1, ref.source),), (source,), source,
                     (("edge", l, ref.source, j), ("neuron", l - 1, ref.source)), "", None))
    sizes = tuple(network.sizes)

    def places(sources) -> tuple[int, ...]:
        return tuple(_flat_place(sizes, source) for source in sources)

    def simple_places(simple: tuple | None) -> tuple | None:
        if simple is None:
            return None
        num, den, template, symbols, sources, value_source, why, prediction = simple
        return (num, den, template, symbols, places(sources), _flat_place(sizes, value_source), why,
                None if prediction is None else _flat_place(sizes, prediction))

    chain = tuple((num, den, template, symbols, places(argument_sources), _flat_place(sizes, value_source),
                   highlight, note, simple_places(simple))
                  for num, den, template, symbols, argument_sources, value_source, highlight, note, simple in plan)
    path_plan = build_path_plan(network, ref, plan, lambda layer, neuron: out_label(network, layer, neuron),
                                lambda source: _flat_place(sizes, source))
    return chain, path_plan


def _update_records(training: Training, batch: BatchResult) -> list[UpdateRecord]:
    network = training.network
    records = []
    rate = training.config.learning_rate
    last_sample = batch.start + len(batch.indices)
    rows = tuple((batch.indices + 1).tolist())
    step_lines = None if batch.optimizer is None else _step_values(batch)
    bwd = batch.backward
    # Per layer: old, gradient and new values as lists of floats, (weights, biases) each.
    tables = [((layer.weights.tolist(), layer.biases.tolist()), (bwd.grad_weights[index].tolist(),
               bwd.grad_biases[index].tolist()), (new_w.tolist(), new_b.tolist()))
              for index, (layer, (new_w, new_b)) in enumerate(zip(network.layers, batch.new_parameters))]
    for ref, name, highlight in _names(network).backward:
        old, grad, new = tables[ref.layer - 1]
        if ref.is_bias:
            values = [table[1][ref.target - 1] for table in (old, grad, new)]
        else:
            values = [table[0][ref.source - 1][ref.target - 1] for table in (old, grad, new)]
        steps, rule = (((), None) if step_lines is None else
                       _optimizer_lines(step_lines, name, _flat_index(network, ref)))
        records.append(UpdateRecord(batch.epoch + 1, last_sample, name, values[0], rate, values[1], values[2],
                                    len(batch.indices), highlight, rows, steps, rule))
    return records


def _flat_index(network: Network, ref: ParameterRef) -> int:
    """Where parameter `ref` sits in `Network.flat_parameters()`."""
    offset = sum((layer.n_in + 1) * layer.n_out for layer in network.layers[:ref.layer - 1])
    n_in = network.layers[ref.layer - 1].n_in
    return offset + (ref.target - 1) * (n_in + 1) + (n_in if ref.is_bias else ref.source - 1)


def _step_values(batch: BatchResult):
    """The optimiser's lines and its values as Python floats (lists, or one number for the step t)."""
    step = batch.optimizer
    values = {key: (value.tolist() if isinstance(value, np.ndarray) else value) for key, value in step.values.items()}
    return step.lines, step.rule, values


def _optimizer_lines(step_lines, name: str, index: int) -> tuple[tuple[UpdateStep, ...], UpdateStep]:
    """One parameter's lines of an optimiser's update, numbers filled in from the step's values."""
    lines, rule, values = step_lines

    def number(source):
        if isinstance(source, str):
            value = values[source]
            return value[index] if isinstance(value, list) else float(value)
        return source

    def filled(line) -> UpdateStep:
        # A small setting (Adam's ε) is written into the formula as a power of ten, 10⁻⁸, not 1e−08:
        # it is a constant of the formula, not a value the line computed.
        template = line.template
        for slot, source in enumerate(line.sources):
            if not isinstance(source, str) and source != 0 and abs(source) < 1e-4:
                template = template.replace(f"{{{slot}}}", power_of_ten(source))
        return UpdateStep(line.label.replace("{p}", name), template,
                          tuple(number(source) for source in line.sources), number(line.value))
    return tuple(filled(line) for line in lines), filled(rule)
