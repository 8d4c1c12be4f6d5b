"""The common mistakes of a hand calculation, each the value a learner making it would give.

Every mistake is a function of one step's true values: the stepper's records of one sample and the
batch's updates (`StepValues`). `mistakes(record, step)` lists the mistakes that apply to the value
`record` asks for, likeliest first; `diagnose` names the ones a wrong answer matches. Nothing here
changes the engine's numbers: a mistake is only ever a value to compare an answer with.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .activations import get_activation
from .formatting import format_number
from .losses import get_loss
from .records import FactorRecord, ForwardRecord, GradientRecord, LossRecord, Record, UpdateRecord

#: An answer is right when |answer − value| ≤ max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE·|value|).
RELATIVE_TOLERANCE = 1e-3
ABSOLUTE_TOLERANCE = 1e-6

# The mistakes, likeliest first: an answer matching several is told them in this order.
SIGN = "sign error"
FORGOT_TWO = "forgot the 2 of the squared error"
FORGOT_DERIVATIVE = "forgot the activation's derivative"
WRONG_POINT = "took the derivative at the wrong value"
Z_FOR_O = "used z where o was needed"
FORGOT_RATE = "forgot the learning rate"
IN_PLACE = "used the already-updated weight"
MISSED_PATH = "missed one path of the sum"
WRONG_INPUT = "used the wrong input"
WRONG_WEIGHT = "used the wrong weight"
ADDED = "added where the chain multiplies"
DOUBLED_RATE = "doubled the learning rate"
ACTIVATION_NOT_DERIVATIVE = "used the activation instead of its derivative"
FORGOT_BIAS = "forgot the bias"
FORGOT_SQUARE = "forgot to square"
FORGOT_HALF = "forgot the ½"
SUMMED = "summed over the outputs instead of averaging"
WRONG_OUTPUT = "used the wrong output"
STEP_NOT_VALUE = "gave the change, not the new value"
CATALOGUE = (SIGN, FORGOT_TWO, FORGOT_DERIVATIVE, WRONG_POINT, Z_FOR_O, FORGOT_RATE, IN_PLACE, MISSED_PATH,
             WRONG_INPUT, WRONG_WEIGHT, ADDED, DOUBLED_RATE, ACTIVATION_NOT_DERIVATIVE, FORGOT_BIAS,
             FORGOT_SQUARE, FORGOT_HALF, SUMMED, WRONG_OUTPUT, STEP_NOT_VALUE)


def close(answer: float, value: float) -> bool:
    """Whether `answer` is within the tolerance of `value` (the boundary included)."""
    return abs(answer - value) <= max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE * abs(value))


def matches(answer: float, value: float, digits: int) -> bool:
    """Whether `answer` is `value` as practice judges it: within the tolerance, or the same number when
    both are shown to `digits` significant digits."""
    return close(answer, value) or format_number(answer, digits) == format_number(value, digits)


@dataclass(frozen=True, slots=True)
class Mistake:
    """What a learner making the mistake `name` would give: `value`; `detail` says where, in symbols."""

    name: str
    detail: str
    value: float

    def __repr__(self) -> str:
        return f"Mistake({self.name!r}, {self.detail!r}, {self.value!r})"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The common mistakes a wrong `answer` matches, likeliest first (one per name)."""

    answer: float
    mistakes: tuple[Mistake, ...]

    def text(self, digits: int) -> str:
        """`Your answer matches a common mistake: forgot the activation's derivative (∂o11/∂z11 taken as
        1), which gives −0.736.`; several are listed in order, joined by "or"."""
        described = [f"{mistake.name} ({mistake.detail}), which gives {format_number(mistake.value, digits)}"
                     for mistake in self.mistakes]
        if len(described) == 1:
            return f"Your answer matches a common mistake: {described[0]}."
        count = {2: "two", 3: "three"}.get(len(described), str(len(described)))
        return f"Your answer matches {count} common mistakes: " + "; or ".join(described) + "."


class StepValues:
    """The true values of one sample's step by name: its forward records by z and by o, its loss, its
    gradients, every weight and bias as used, and each parameter's value after the batch's update."""

    def __init__(self, records: Iterable[Record], updates: Iterable[UpdateRecord] = ()):
        self.by_z: dict[str, ForwardRecord] = {}
        self.by_out: dict[str, ForwardRecord] = {}
        self.loss: LossRecord | None = None
        self.gradients: dict[str, GradientRecord] = {}
        self.parameters: dict[str, float] = {}
        for record in records:
            if isinstance(record, ForwardRecord):
                self.by_z[record.z_label] = self.by_out[record.out_label] = record
                self.parameters.update(zip(record.weight_names, record.weights))
                self.parameters[record.bias_name] = record.bias
            elif isinstance(record, LossRecord):
                self.loss = record
            elif isinstance(record, GradientRecord):
                self.gradients[record.parameter] = record
        self.updated = {update.parameter: update.new for update in updates}

    def __repr__(self) -> str:
        return f"StepValues(neurons={len(self.by_z)}, gradients={len(self.gradients)}, updated={len(self.updated)})"


def asked_value(record: Record) -> tuple[str, float] | None:
    """The name and engine value a learner is asked for in `record`; None for an epoch's end."""
    if isinstance(record, ForwardRecord):
        return record.out_label, record.out
    if isinstance(record, LossRecord):
        return "L", record.value
    if isinstance(record, FactorRecord):
        return record.label, record.value
    if isinstance(record, GradientRecord):
        return f"∂L/∂{record.parameter}", record.value
    if isinstance(record, UpdateRecord):
        return f"the new {record.parameter}", record.new
    return None


def mistakes(record: Record, step: StepValues) -> list[Mistake]:
    """Every mistake that applies to the value `record` asks for and gives a finite value other than the
    true one, likeliest first; the same name with the same value once."""
    asked = asked_value(record)
    if asked is None:
        return []
    found = {ForwardRecord: _forward, LossRecord: _loss, FactorRecord: _factor, GradientRecord: _gradient,
             UpdateRecord: _update}[type(record)](record, step)
    kept, seen = [], set()
    for mistake in sorted(found, key=lambda mistake: CATALOGUE.index(mistake.name)):
        key = (mistake.name, mistake.value)
        if math.isfinite(mistake.value) and not close(mistake.value, asked[1]) and key not in seen:
            seen.add(key)
            kept.append(mistake)
    return kept


def diagnose(answer: float, record: Record, step: StepValues, digits: int) -> Diagnosis | None:
    """The common mistakes `answer` matches (see `matches`) while the true value does not; None when the
    answer is right or matches none. Of several mistakes with one name the first is kept."""
    asked = asked_value(record)
    if asked is None or matches(answer, asked[1], digits):
        return None
    found, names = [], set()
    for mistake in mistakes(record, step):
        if mistake.name not in names and matches(answer, mistake.value, digits) \
                and not matches(mistake.value, asked[1], digits):
            names.add(mistake.name)
            found.append(mistake)
    return Diagnosis(answer, tuple(found)) if found else None


# -- forward --------------------------------------------------------------------------------------
def _output_of(record: ForwardRecord, z: float) -> float:
    """The neuron's output had its z been `z` (the rest of the layer as it is, for softmax)."""
    activation = get_activation(record.activation)
    if activation.over_layer:
        layer = np.array(record.layer_z, dtype=float)
        layer[record.neuron - 1] = z
        return float(activation.function(layer[None, :])[0, record.neuron - 1])
    return float(activation.function(np.array([z]))[0])


def _weighted_sum(record: ForwardRecord, inputs) -> float:
    return math.fsum(w * a for w, a in zip(record.weights, inputs)) + record.bias


def _forward(record: ForwardRecord, step: StepValues) -> list[Mistake]:
    found = [Mistake(Z_FOR_O, f"{record.z_label} given for {record.out_label}: the activation not applied", record.z)]
    inputs, names = list(record.inputs), record.input_names
    for i in range(len(inputs) - 1):      # neighbours swapped (x2 for x1): as many tries as inputs, not their square
        j = i + 1
        swapped = inputs.copy()
        swapped[i], swapped[j] = swapped[j], swapped[i]
        found.append(Mistake(WRONG_INPUT, f"{names[j]} multiplied by {record.weight_names[i]} and {names[i]} "
                                          f"by {record.weight_names[j]}",
                             _output_of(record, _weighted_sum(record, swapped))))
    sources = [step.by_out.get(name) for name in record.input_names]
    if sources and all(source is not None for source in sources):
        z_inputs = [source.z for source in sources]
        found.append(Mistake(Z_FOR_O, f"{', '.join(source.z_label for source in sources)} used as the inputs "
                                      f"instead of {', '.join(record.input_names)}",
                             _output_of(record, _weighted_sum(record, z_inputs))))
    found.append(Mistake(FORGOT_BIAS, f"{record.bias_name} left out of {record.z_label}",
                         _output_of(record, record.z - record.bias)))
    return found


# -- loss -----------------------------------------------------------------------------------------
def _is_square(loss) -> bool:
    return loss.term.endswith("²")


def _averages(loss) -> bool:
    return loss.scale_of_many.startswith("(1/{m})")


def _loss(record: LossRecord, step: StepValues) -> list[Mistake]:
    loss = get_loss(record.loss)
    y, y_hat = np.array([record.targets], dtype=float), np.array([record.predictions], dtype=float)
    outputs = y.shape[1]
    found = []
    with np.errstate(all="ignore"):
        found.append(Mistake(SIGN, "y and ŷ swapped", float(loss.value(y_hat, y)[0])))
    if loss.scale.startswith("−") or loss.term.startswith("−"):
        found.append(Mistake(SIGN, "the minus sign in front of the logarithm dropped", -record.value))
    if _is_square(loss):
        differences = (y - y_hat)[0]
        scale = 1.0 / outputs if _averages(loss) else (0.5 if loss.scale == "½" else 1.0)
        for sign, text in ((1.0, "y − ŷ"), (-1.0, "ŷ − y")):
            found.append(Mistake(FORGOT_SQUARE, f"{text} not squared", sign * scale * math.fsum(differences)))
    if loss.scale == "½":
        found.append(Mistake(FORGOT_HALF, "the ½ in front of the sum left out", 2 * record.value))
    if outputs > 1 and _averages(loss):
        found.append(Mistake(SUMMED, f"the {outputs} outputs' terms not divided by {outputs}", outputs * record.value))
    if loss.one_hot_targets:
        for k, p in enumerate(record.predictions):
            if record.targets[k] == 0 and p > 0:
                found.append(Mistake(WRONG_OUTPUT, f"−log({record.prediction_labels[k]}), an output whose target is 0",
                                     -math.log(p)))
    return found


# -- factors --------------------------------------------------------------------------------------
def _factor(record: FactorRecord, step: StepValues) -> list[Mistake]:
    """The mistakes of one chain-rule factor, told apart by what it differentiates."""
    numerator, denominator = record.numerator, record.denominator
    neuron = step.by_z.get(denominator)
    if neuron is not None and neuron.out_label == numerator:
        return _activation_factor(record, neuron)
    if numerator == "L" and record.terms:
        return _sum_factor(record, step)
    if numerator == "L":
        return _loss_factor(record, step)
    target = step.by_z.get(numerator)
    if target is None:
        return []
    if denominator in target.input_names:
        return _weight_factor(record, target, target.input_names.index(denominator), step)
    if denominator in target.weight_names:
        return _input_factor(record, target, target.weight_names.index(denominator), step)
    return []


def _activation_factor(record: FactorRecord, neuron: ForwardRecord) -> list[Mistake]:
    """∂o/∂z = f′(z): taken as 1, as o itself, at o instead of z, or with z put where the formula has o."""
    activation = get_activation(neuron.activation)
    label, o, z = record.label, neuron.out_label, neuron.z_label
    found = [Mistake(FORGOT_DERIVATIVE, f"{label} taken as 1", 1.0),
             Mistake(ACTIVATION_NOT_DERIVATIVE, f"{label} taken as {o} itself", neuron.out)]
    with np.errstate(all="ignore"):
        if not activation.over_layer:
            at_o = activation.function(np.array([neuron.out]))
            found.append(Mistake(WRONG_POINT, f"f′ taken at {o} instead of at {z}",
                                 float(activation.gradient(np.array([neuron.out]), at_o)[0])))
        if "{o}" in activation.factor:
            found.append(Mistake(Z_FOR_O, f"{z} put for {o} in {activation.derivative_formula}",
                                 float(activation.gradient(np.array([neuron.z]), np.array([neuron.z]))[0])))
    return found


def _loss_factor(record: FactorRecord, step: StepValues) -> list[Mistake]:
    """∂L/∂ŷ (or ∂L/∂z through softmax): the sign, the 2 of a square, the ½, the mean over the outputs."""
    found = [Mistake(SIGN, f"y − ŷ and ŷ − y swapped in {record.label}", -record.value)]
    if step.loss is None:
        return found
    loss = get_loss(step.loss.loss)
    outputs = len(step.loss.targets)
    if record.denominator in step.loss.prediction_labels:
        if _is_square(loss):
            found.append(Mistake(FORGOT_TWO, f"the 2 from differentiating the square left out of {record.label}",
                                 record.value / 2))
        if loss.scale == "½":
            found.append(Mistake(FORGOT_HALF, f"the 2 from the square not cancelled by the ½ in {record.label}",
                                 2 * record.value))
        if outputs > 1 and _averages(loss):
            found.append(Mistake(SUMMED, f"the 1/{outputs} of the mean left out of {record.label}",
                                 outputs * record.value))
    return found


def _sum_factor(record: FactorRecord, step: StepValues) -> list[Mistake]:
    """∂L/∂o = Σk ∂L/∂zk·wk: a path left out, a product added, the weights already updated, the sign."""
    found = [Mistake(SIGN, f"the sign of {record.label} flipped", -record.value)]
    if len(record.terms) > 1:
        for term in record.terms:
            found.append(Mistake(MISSED_PATH, f"the path through {term.z_label} left out of {record.label}",
                                 record.value - term.value))
    found.append(Mistake(ADDED, f"each {record.terms[0].delta_name} and its weight added, not multiplied",
                         math.fsum(term.delta + term.weight for term in record.terms)))
    if all(term.weight_name in step.updated for term in record.terms):
        names = ", ".join(term.weight_name for term in record.terms)
        found.append(Mistake(IN_PLACE, f"{names} after the update",
                             math.fsum(term.delta * step.updated[term.weight_name] for term in record.terms)))
    return found


def _weight_factor(record: FactorRecord, target: ForwardRecord, place: int, step: StepValues) -> list[Mistake]:
    """∂z/∂o = w: the weight after its update, or another weight of the same neuron."""
    weight = target.weight_names[place]
    found = []
    if weight in step.updated:
        found.append(Mistake(IN_PLACE, f"{weight} after its update", step.updated[weight]))
    for other, value in zip(target.weight_names, target.weights):
        if other != weight:
            found.append(Mistake(WRONG_WEIGHT, f"{other} for {weight}", value))
    return found


def _input_factor(record: FactorRecord, target: ForwardRecord, place: int, step: StepValues) -> list[Mistake]:
    """∂z/∂w = the input w multiplies: another input, or that input's z for its o."""
    name = target.input_names[place]
    found = [Mistake(WRONG_INPUT, f"{other} for {name}", value)
             for other, value in zip(target.input_names, target.inputs) if other != name]
    source = step.by_out.get(name)
    if source is not None:
        found.append(Mistake(Z_FOR_O, f"{source.z_label} for {name}", source.z))
    return found


# -- gradients and updates -------------------------------------------------------------------------
def _product(values) -> float:
    result = 1.0
    for value in values:       # left to right, as the running product
        result *= value
    return result


def _in_place_factor(factor: FactorRecord, step: StepValues) -> float:
    """`factor` with every weight in it replaced by its value after the update (itself when it has none)."""
    for mistake in _factor(factor, step):
        if mistake.name == IN_PLACE:
            return mistake.value
    return factor.value


def _is_activation(factor: FactorRecord, step: StepValues) -> bool:
    neuron = step.by_z.get(factor.denominator)
    return neuron is not None and neuron.out_label == factor.numerator


def _gradient(record: GradientRecord, step: StepValues) -> list[Mistake]:
    """A mistake in one factor carried through the product, the factors added, every activation's
    derivative left out, and every weight already updated (the in-place mistake)."""
    values = [factor.value for factor in record.factors]
    found = []
    for place, factor in enumerate(record.factors):
        for mistake in _factor(factor, step):
            changed = values.copy()
            changed[place] = mistake.value
            found.append(Mistake(mistake.name, mistake.detail, _product(changed)))
    if len(values) > 1:
        found.append(Mistake(ADDED, "the factors added, not multiplied", math.fsum(values)))
    activations = [place for place, factor in enumerate(record.factors) if _is_activation(factor, step)]
    if len(activations) > 1:
        found.append(Mistake(FORGOT_DERIVATIVE, "every ∂o/∂z taken as 1",
                             _product(value for place, value in enumerate(values) if place not in activations)))
    in_place = [_in_place_factor(factor, step) for factor in record.factors]
    if in_place != values:
        found.append(Mistake(IN_PLACE, "the later layers' weights taken after their update", _product(in_place)))
    return found


def _update(record: UpdateRecord, step: StepValues) -> list[Mistake]:
    """w ← w − η·∂L/∂w (plain gradient descent only): the learning rate forgotten or doubled, the step
    added, the change given, or any mistake in the gradient (a batch of one sample)."""
    old, rate, gradient = record.old, record.learning_rate, record.gradient
    if not close(record.new, old - rate * gradient):
        return []
    parameter = record.parameter
    found = [Mistake(FORGOT_RATE, f"{parameter} − ∂L/∂{parameter}", old - gradient),
             Mistake(DOUBLED_RATE, f"{parameter} − 2η·∂L/∂{parameter}", old - 2 * rate * gradient),
             Mistake(SIGN, f"{parameter} + η·∂L/∂{parameter}: a step up the gradient", old + rate * gradient),
             Mistake(STEP_NOT_VALUE, f"−η·∂L/∂{parameter}", -rate * gradient),
             Mistake(STEP_NOT_VALUE, f"η·∂L/∂{parameter}", rate * gradient)]
    chain = step.gradients.get(parameter)
    if record.batch_size == 1 and chain is not None and chain.value == gradient:
        for mistake in _gradient(chain, step):
            found.append(Mistake(mistake.name, f"{mistake.detail}, in ∂L/∂{parameter}", old - rate * mistake.value))
    return found
