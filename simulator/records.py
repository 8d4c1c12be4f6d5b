"""What the phase stepper reveals, one record at a time.

Every formula is a `template` with `{0}`, `{1}`… slots, the `symbols` that fill it symbolically and the
`arguments` that fill it with numbers, so a view can show both at any precision. `highlight` names
the graph items involved: ("neuron", layer, neuron) with layer 0 the inputs, or ("edge", layer,
source, target); all indices 1-based.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields

Highlight = tuple


def record(cls):
    """A frozen dataclass whose __init__ fills the instance's __dict__ directly.

    The __init__ that dataclasses generate for a frozen class calls object.__setattr__ once per
    field, which makes a record cost microseconds, and the stepper builds about sixty for one step
    of the lectures' network. Arguments, defaults, equality and immutability are the same.
    """
    cls = dataclass(frozen=True)(cls)
    names = [field.name for field in fields(cls)]
    defaults = {f"_default_{field.name}": field.default for field in fields(cls) if field.default is not MISSING}
    parameters = ", ".join(f"{name}=_default_{name}" if f"_default_{name}" in defaults else name for name in names)
    body = "".join(f"\n    values[{name!r}] = {name}" for name in names)
    namespace = dict(defaults)
    exec(f"def __init__(self, {parameters}):\n    values = self.__dict__{body}\n", namespace)
    namespace["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = namespace["__init__"]
    return cls


@record
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
    kind: str = "forward"

    @property
    def phase(self) -> tuple:
        return (self.sample, "forward", self.layer)

    @property
    def highlight(self) -> tuple[Highlight, ...]:
        edges = tuple(("edge", self.layer, source, self.neuron) for source in range(1, len(self.inputs) + 1))
        return edges + (("neuron", self.layer, self.neuron),)


@record
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
    def highlight(self) -> tuple[Highlight, ...]:
        return tuple(("neuron", self.output_layer, k) for k in range(1, len(self.targets) + 1))


@record
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
    kind: str = "factor"

    @property
    def label(self) -> str:
        return f"∂{self.numerator}/∂{self.denominator}"

    @property
    def phase(self) -> tuple:
        return (self.sample, "gradient", self.parameter)


@record
class GradientRecord:
    """A parameter's gradient for one sample: the product of its chain-rule factors."""

    epoch: int
    sample: int
    row: int
    parameter: str
    factors: tuple[FactorRecord, ...]
    value: float
    highlight: tuple[Highlight, ...]
    kind: str = "gradient"

    @property
    def chain(self) -> str:
        """The chain as the lectures write it: ∂L/∂w111 = ∂L/∂ŷ · ∂ŷ/∂z21 · …"""
        return f"∂L/∂{self.parameter} = " + " · ".join(factor.label for factor in self.factors)

    @property
    def phase(self) -> tuple:
        return (self.sample, "gradient", self.parameter)


@record
class UpdateRecord:
    """w ← w − η·∂L/∂w for one parameter (the gradient is the batch mean)."""

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
    kind: str = "update"

    @property
    def row(self) -> int:
        """The dataset row of `sample`, the batch's last sample."""
        return self.rows[-1] if self.rows else self.sample

    @property
    def phase(self) -> tuple:
        return (self.sample, "update")


@record
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
    def highlight(self) -> tuple[Highlight, ...]:
        return ()


Record = ForwardRecord | LossRecord | FactorRecord | GradientRecord | UpdateRecord | EpochRecord
