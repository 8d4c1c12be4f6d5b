"""What the phase stepper reveals, one record at a time.

Every formula is a `template` with `{0}`, `{1}`… slots, the `symbols` that fill it symbolically and the
`arguments` that fill it with numbers, so a view can show both at any precision. `highlight` names
the graph items involved: ("neuron", layer, neuron) with layer 0 the inputs, or ("edge", layer,
source, target); all indices 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass

Highlight = tuple


@dataclass(frozen=True, slots=True)
class ForwardRecord:
    """One neuron's forward computation: z = Σ w·a + b, then o = f(z)."""

    epoch: int
    sample: int
    row: int
    layer: int
    neuron: int
    z_label: str
    out_label: str
    weight_names: tuple[str, ...]
    weights: tuple[float, ...]
    input_names: tuple[str, ...]
    inputs: tuple[float, ...]
    bias_name: str
    bias: float
    z: float
    activation: str
    out: float
    #: Every z of the layer, for an activation over the whole layer (softmax); () otherwise.
    layer_z: tuple[float, ...] = ()
    kind: str = "forward"

    @property
    def phase(self) -> tuple:
        """What one step by "Layer or gradient" reveals together: a layer's forward pass, the loss, one
        parameter's gradient, the updates (the granularity's key is still "phase")."""
        return (self.sample, "forward", self.layer)

    @property
    def stage(self) -> tuple:
        """The phase of training this record belongs to (a step by Phase stops where it changes)."""
        return (self.sample, "forward")

    @property
    def highlight(self) -> tuple[Highlight, ...]:
        edges = tuple(("edge", self.layer, source, self.neuron) for source in range(1, len(self.inputs) + 1))
        return edges + (("neuron", self.layer, self.neuron),)


@dataclass(frozen=True, slots=True)
class LossRecord:
    """The loss of one sample: L(y, ŷ) averaged over outputs."""

    epoch: int
    sample: int
    row: int
    loss: str
    target_labels: tuple[str, ...]
    targets: tuple[float, ...]
    prediction_labels: tuple[str, ...]
    predictions: tuple[float, ...]
    value: float
    output_layer: int
    kind: str = "loss"

    @property
    def phase(self) -> tuple:
        return (self.sample, "loss")

    @property
    def stage(self) -> tuple:
        """See ForwardRecord.stage."""
        return (self.sample, "loss")

    @property
    def highlight(self) -> tuple[Highlight, ...]:
        return tuple(("neuron", self.output_layer, k) for k in range(1, len(self.targets) + 1))


@dataclass(frozen=True, slots=True)
class FactorRecord:
    """One factor of a parameter's chain rule, e.g. ∂z21/∂o11 = w211, with the running product so far."""

    epoch: int
    sample: int
    row: int
    parameter: str
    index: int
    count: int
    numerator: str
    denominator: str
    template: str
    symbols: tuple[str, ...]
    arguments: tuple[float, ...]
    value: float
    running_product: float
    highlight: tuple[Highlight, ...]
    #: Why the value is not what the formula gives, e.g. where binary cross-entropy clips ŷ.
    note: str = ""
    #: The same derivative written more simply (∂L/∂z = ŷ − y for softmax with cross-entropy), if any.
    simplification: "Simplification | None" = None
    #: On the factor whose running product is ∂L/∂z of the parameter's neuron: that δ under its own name.
    delta: "Delta | None" = None
    #: On a factor that is a sum over the next layer (∂L/∂o11 = Σk ∂L/∂z2k·w21k): its terms, in order.
    terms: "tuple[PathTerm, ...]" = ()
    #: How many paths lead from the parameter to the loss.
    paths: int = 1
    kind: str = "factor"

    @property
    def label(self) -> str:
        return f"∂{self.numerator}/∂{self.denominator}"

    @property
    def phase(self) -> tuple:
        return (self.sample, "gradient", self.parameter)

    @property
    def stage(self) -> tuple:
        """See ForwardRecord.stage."""
        return (self.sample, "backward")


@dataclass(frozen=True, slots=True)
class Simplification:
    """A derivative of the chain written more simply, with why: ∂L/∂z21 = ŷ1 − y1 for softmax with
    cross-entropy; `value` is the engine's, `template` filled with `arguments` gives it to rounding."""

    numerator: str
    denominator: str
    template: str
    symbols: tuple[str, ...]
    arguments: tuple[float, ...]
    value: float
    reason: str

    @property
    def label(self) -> str:
        return f"∂{self.numerator}/∂{self.denominator}"


@dataclass(frozen=True, slots=True)
class Delta:
    """δ = ∂L/∂z of one neuron under its own name, e.g. δ11 = (δ21·w211 + δ22·w212)·∂o11/∂z11; `value`
    is the engine's backward delta, `template` filled with `arguments` gives it to rounding.
    `introduced` is True on the chain that reaches the neuron first (its first weight)."""

    name: str
    z_label: str
    template: str
    symbols: tuple[str, ...]
    arguments: tuple[float, ...]
    value: float
    introduced: bool

    @property
    def label(self) -> str:
        return f"∂L/∂{self.z_label}"


@dataclass(frozen=True, slots=True)
class PathTerm:
    """One term of ∂L/∂o = Σk ∂L/∂zk·wk: the `paths` paths through `z_label`; `value` = delta·weight."""

    z_label: str
    delta_name: str
    delta: float
    weight_name: str
    weight: float
    value: float
    paths: int
    highlight: tuple[Highlight, ...]


@dataclass(frozen=True, slots=True)
class PathProduct:
    """One path from a parameter to the loss: its chain-rule factors and their product (left to right);
    `route` names the neurons it passes, `w111 → z11 → z21 → z31 → L`."""

    route: str
    labels: tuple[str, ...]
    values: tuple[float, ...]
    value: float
    highlight: tuple[Highlight, ...]


@dataclass(frozen=True, slots=True)
class GradientRecord:
    """A parameter's gradient for one sample: the product of its chain-rule factors."""

    epoch: int
    sample: int
    row: int
    parameter: str
    factors: tuple[FactorRecord, ...]
    value: float
    highlight: tuple[Highlight, ...]
    #: How many paths lead from the parameter to the loss, and each path's product when there are few.
    paths: int = 1
    path_products: tuple[PathProduct, ...] = ()
    kind: str = "gradient"

    @property
    def chain(self) -> str:
        """The chain as the lectures write it: ∂L/∂w111 = ∂L/∂ŷ · ∂ŷ/∂z21 · …"""
        return f"∂L/∂{self.parameter} = " + " · ".join(factor.label for factor in self.factors)

    @property
    def phase(self) -> tuple:
        return (self.sample, "gradient", self.parameter)

    @property
    def stage(self) -> tuple:
        """See ForwardRecord.stage."""
        return (self.sample, "backward")


@dataclass(frozen=True, slots=True)
class UpdateStep:
    """One line of an optimiser's update of one parameter, e.g. m ← β₁·m + (1 − β₁)·g: its `label`
    (the formula in symbols), the `template` that `arguments` fill with numbers (empty when the line
    only names a value, g = ∂L/∂w111), and the engine's `value`."""

    label: str
    template: str
    arguments: tuple[float, ...]
    value: float


@dataclass(frozen=True, slots=True)
class UpdateRecord:
    """w ← w − η·∂L/∂w for one parameter (the gradient is the batch mean). With another optimiser
    than plain SGD, `steps` are its lines before the new value (the step t, g, the state variables),
    and `rule` the line that gives `new`."""

    epoch: int
    sample: int
    parameter: str
    old: float
    learning_rate: float
    gradient: float
    new: float
    batch_size: int
    highlight: tuple[Highlight, ...]
    #: The dataset rows (1-based) of the batch, in the order they were trained on.
    rows: tuple[int, ...] = ()
    steps: tuple[UpdateStep, ...] = ()
    rule: UpdateStep | None = None
    kind: str = "update"

    @property
    def row(self) -> int:
        """The dataset row of `sample`, the batch's last sample."""
        return self.rows[-1] if self.rows else self.sample

    @property
    def phase(self) -> tuple:
        return (self.sample, "update")

    @property
    def stage(self) -> tuple:
        """See ForwardRecord.stage."""
        return (self.sample, "update")


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """The end of an epoch: the mean of its per-sample losses (each taken before its update)."""

    epoch: int
    sample: int
    losses: tuple[float, ...]
    mean_loss: float
    status: str
    message: str
    kind: str = "epoch"

    @property
    def phase(self) -> tuple:
        return (self.sample, "epoch")

    @property
    def stage(self) -> tuple:
        """See ForwardRecord.stage."""
        return (self.sample, "epoch")

    @property
    def highlight(self) -> tuple[Highlight, ...]:
        return ()


Record = ForwardRecord | LossRecord | FactorRecord | GradientRecord | UpdateRecord | EpochRecord
