"""Text of the stepper's records: formulas symbolically and with the numbers substituted.

The command line and the desktop app both show these strings, so a number reads the same everywhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from .activations import get_activation
from .arithmetic import NotArithmetic, evaluate_template
from .losses import get_loss
from .notation import z_name
from .records import (EpochRecord, FactorRecord, ForwardRecord, GradientRecord, LossRecord, Record,
                      UpdateRecord, UpdateStep)

DEFAULT_DIGITS = 6
#: Typographic minus sign used for negative numbers (number parsers in the app accept it too).
MINUS = "\u2212"
#: The most significant digits a number is ever shown with: enough to tell any two floats apart.
MAX_DIGITS = 17


def format_number(value: float, digits: int = DEFAULT_DIGITS) -> str:
    """`value` to `digits` significant digits, shortest form, scientific only when very large or small."""
    value = float(value)
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else MINUS + "inf")
    if value == 0:
        return "0"
    # Decide on the value as rounded to `digits`, so 999999.7 reads 1e+06 like 1e6 does, not 1000000.
    rounded = abs(float(f"{value:.{max(digits - 1, 0)}e}"))
    if rounded >= 10 ** max(digits, 6) or rounded < 1e-4:
        text = np.format_float_scientific(value, precision=max(digits - 1, 0), unique=True, trim="-")
        mantissa, exponent = text.split("e")
        # numpy keeps the point when rounding leaves no decimals ("1.e-07"); nobody writes that.
        return (mantissa.rstrip(".") + "e" + exponent).replace("-", MINUS)
    text = np.format_float_positional(value, precision=digits, unique=True, fractional=False, trim="-")
    return text.replace("-", MINUS)


def power_of_ten(value: float) -> str:
    """A small setting such as Adam's ε as a student writes it, in full: 1e−8 → `10⁻⁸`, 2.5e−7 →
    `2.5·10⁻⁷` (exponents in superscript, as βᵗ is written); other values as `format_number` at 17."""
    value = float(value)
    if value == 0 or not math.isfinite(value) or 1e-4 <= abs(value) < 1e6:
        return format_number(value, MAX_DIGITS)
    mantissa, exponent = np.format_float_scientific(abs(value), unique=True, trim="-").split("e")
    mantissa = mantissa.rstrip(".")
    power = "10" + str(int(exponent)).replace("-", "⁻").translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return (MINUS if value < 0 else "") + (power if mantissa == "1" else f"{mantissa}·{power}")


def operand(value: float, digits: int = DEFAULT_DIGITS) -> str:
    """A number as it stands inside a formula: negative values in parentheses."""
    text = format_number(value, digits)
    return f"({text})" if text.startswith(MINUS) else text


def fill(template: str, values: tuple) -> str:
    return template.format(*values)


_SLOT = re.compile(r"\{(\d+)\}")


def fill_numbers(template: str, values: tuple, digits: int = DEFAULT_DIGITS, result: float | None = None) -> str:
    """`template` with `values` substituted: a negative number in parentheses unless it stands alone as
    the first term of a bracket or an argument, `(−2.8 − 0.59)²` rather than `((−2.8) − 0.59)²`,
    `max(0, −1.9)` but `0.01·(−1.9)`.

    Given the `result` the line prints after the numbers, every number gets more digits (at most 17)
    until the numbers as printed, evaluated as printed, round to the result as printed: where a
    difference cancels, `1 − 0.99999999996²` rather than `1 − 1²` beside `7.55e−11`."""
    if result is None:
        return _substituted(template, [format_number(value, digits) for value in values])
    shown = format_number(result, digits)
    for grown in range(digits, max(digits, MAX_DIGITS) + 1):
        texts = [format_number(value, grown) for value in values]
        printed = tuple(float(text.replace(MINUS, "-")) for text in texts)
        try:
            # The template with the numbers as printed is the printed text, parsed once per template.
            printed_value = evaluate_template(template, printed)
        except NotArithmetic:   # a formula the evaluator does not read: as it is
            break
        if format_number(printed_value, digits) == shown:
            break
    return _substituted(template, texts)


def _substituted(template: str, texts: list[str]) -> str:
    """`template` with the numbers `texts` written in, bracketed where a negative one needs it."""
    parts = _SLOT.split(template)   # text, slot index, text, slot index, …, text
    pieces = []
    for place, part in enumerate(parts):
        if place % 2 == 0:
            pieces.append(part)
            continue
        before, after = parts[place - 1], parts[place + 1]
        alone = before.endswith(("(", "[", ", ")) or (before == "" and place == 1)
        alone = alone and (after == "" or after.startswith((" ", ")", "]", ",")))
        text = texts[int(part)]
        pieces.append(f"({text})" if text.startswith(MINUS) and not alone else text)
    return "".join(pieces)


def digits_apart(first: float, second: float, digits: int = DEFAULT_DIGITS) -> int:
    """Digits enough (at most 17) that two different values do not read alike: 0.0099999 and 0.01,
    not 0.01 and 0.01."""
    while digits < MAX_DIGITS and first != second and format_number(first, digits) == format_number(second, digits):
        digits += 1
    return digits


# -- forward ------------------------------------------------------------------------------------
def forward_lines(record: ForwardRecord, digits: int = DEFAULT_DIGITS) -> list[str]:
    """`z11 = w111·x1 + w121·x2 + b11 = 0.1·8 + 0.1·8 + 0 = 1.6` and `o11 = z11 = 1.6`."""
    symbolic = " + ".join(f"{w}·{a}" for w, a in zip(record.weight_names, record.input_names))
    count = len(record.weights)
    sum_template = " + ".join(f"{{{2 * k}}}·{{{2 * k + 1}}}" for k in range(count)) + f" + {{{2 * count}}}"
    sum_values = (*(value for pair in zip(record.weights, record.inputs) for value in pair), record.bias)
    z_line = (f"{record.z_label} = {symbolic} + {record.bias_name} = "
              f"{fill_numbers(sum_template, sum_values, digits, record.z)} = {format_number(record.z, digits)}")
    activation = get_activation(record.activation)
    shape = activation.applied
    if activation.over_layer:
        # ŷ1 = exp(z21)/(exp(z21) + exp(z22) + exp(z23)) = exp(0.5)/(exp(0.5) + …) = 0.4
        term = activation.layer_term
        labels = [z_name(record.layer, k) for k in range(1, len(record.layer_z) + 1)]
        slots = " + ".join(term.format(f"{{{k}}}") for k in range(1, len(labels) + 1))
        template = f"{term.format('{0}')}/({slots})"
        out_line = (f"{record.out_label} = {template.format(record.z_label, *labels)} = "
                    f"{fill_numbers(template, (record.z, *record.layer_z), digits, record.out)} = "
                    f"{format_number(record.out, digits)}")
    elif activation.is_identity:
        out_line = f"{record.out_label} = {record.z_label} = {format_number(record.out, digits)}"
    else:
        out_line = (f"{record.out_label} = {shape.format(record.z_label)} = "
                    f"{fill_numbers(shape, (record.z,), digits, record.out)} = {format_number(record.out, digits)}")
    return [z_line, out_line]


# -- loss ---------------------------------------------------------------------------------------
def loss_formula_text(loss: str, labels: list[tuple[str, str]]) -> str:
    """The loss with `labels` = [(y, ŷ), ...] substituted, e.g. `(y − ŷ)²`, without the `L =`."""
    return get_loss(loss).text(labels)


def loss_lines(record: LossRecord, digits: int = DEFAULT_DIGITS) -> list[str]:
    """`L = (y − ŷ)² = (4 − 0.32)² = 13.5424`; a clipped ŷ is written as the clipped value the loss uses."""
    symbolic = loss_formula_text(record.loss, list(zip(record.target_labels, record.prediction_labels)))
    slots = [(f"{{{2 * k}}}", f"{{{2 * k + 1}}}") for k in range(len(record.targets))]
    clip = get_loss(record.loss).clip
    used = [p if clip is None else min(max(p, clip), 1.0 - clip) for p in record.predictions]
    values = tuple(value for pair in zip(record.targets, used) for value in pair)
    numbers = fill_numbers(loss_formula_text(record.loss, slots), values, digits, record.value)
    lines = [f"L = {symbolic} = {numbers} = {format_number(record.value, digits)}"]
    clipped = [f"{label} = {format_number(p, digits)} is clipped to "
               + (format_number(clip, digits) if p <= clip else
                  f"1 − {format_number(clip, digits)} = {format_number(1.0 - clip, MAX_DIGITS)}")
               for label, p in zip(record.prediction_labels, record.predictions)
               if clip is not None and (p <= clip or p >= 1 - clip)]
    if clipped:
        lines.append(f"({' and '.join(clipped)} before the logarithm)")
    return lines


# -- backward -----------------------------------------------------------------------------------
def factor_line(record: FactorRecord, digits: int = DEFAULT_DIGITS) -> str:
    """`∂L/∂ŷ = −2(y − ŷ) = −2(4 − 0.32) = −7.36`; the middle part is left out when it adds nothing."""
    symbolic = fill(record.template, record.symbols)
    numbers = fill_numbers(record.template, record.arguments, digits, record.value)
    value = format_number(record.value, digits)
    parts = [record.label, symbolic]
    if numbers != symbolic and numbers not in (value, f"({value})"):
        parts.append(numbers)
    if value != symbolic:
        parts.append(value)
    text = " = ".join(parts)
    return f"{text} ({record.note})" if record.note else text


def simplification_line(record: FactorRecord, digits: int = DEFAULT_DIGITS) -> str:
    """`softmax with categorical cross-entropy: ∂L/∂z21 = ŷ1 − y1 = 0.3 − 1 = −0.7`; "" without one."""
    simple = record.simplification
    if simple is None:
        return ""
    return (f"{simple.reason[:1].upper()}{simple.reason[1:]} simplifies it: {simple.label} = "
            f"{fill(simple.template, simple.symbols)} = {fill_numbers(simple.template, simple.arguments, digits, simple.value)} = "
            f"{format_number(simple.value, digits)}")


def factor_lines(record: FactorRecord, digits: int = DEFAULT_DIGITS) -> list[str]:
    """The factor's line, and the simplified form of the derivative when the chain states one."""
    simple = simplification_line(record, digits)
    return [factor_line(record, digits)] + ([simple] if simple else [])


def running_product_line(record: FactorRecord, digits: int = DEFAULT_DIGITS) -> str:
    return f"running product after {record.index} of {record.count}: {format_number(record.running_product, digits)}"


def gradient_line(record: GradientRecord, digits: int = DEFAULT_DIGITS) -> str:
    """`∂L/∂w111 = ∂L/∂ŷ · ∂ŷ/∂z21 · … = (−7.36)·1·0.1·1·8 = −5.888`."""
    template = "·".join(f"{{{k}}}" for k in range(len(record.factors)))
    numbers = fill_numbers(template, tuple(factor.value for factor in record.factors), digits, record.value)
    return f"{record.chain} = {numbers} = {format_number(record.value, digits)}"


def update_line(record: UpdateRecord, digits: int = DEFAULT_DIGITS) -> str:
    """`w111 ← w111 − η·∂L/∂w111 = 0.1 − 0.001·(−5.888) = 0.105888`."""
    name = record.parameter
    mean = f" (∂L/∂{name} is the mean over a batch of {record.batch_size})" if record.batch_size > 1 else ""
    numbers = fill_numbers("{0} − {1}·{2}", (record.old, record.learning_rate, record.gradient), digits, record.new)
    return f"{name} ← {name} − η·∂L/∂{name} = {numbers} = {format_number(record.new, digits)}{mean}"


def update_step_line(step: UpdateStep, digits: int = DEFAULT_DIGITS) -> str:
    """`m ← β₁·m + (1 − β₁)·g = 0.9·0 + (1 − 0.9)·(−5.888) = −0.5888`; `g = ∂L/∂w111 = −5.888`."""
    return _chained_step_lines((step,), digits)[0]


def update_lines(record: UpdateRecord, digits: int = DEFAULT_DIGITS) -> list[str]:
    """The update of one parameter: plain SGD's one line, or an optimiser's lines, the new value last.
    An optimiser's lines form a chain (m, then m̂ from m): a result a later line reads is printed with
    the digits that line prints it with, so the printed m gives the printed m̂."""
    if record.rule is None:
        return [update_line(record, digits)]
    mean = (f" (∂L/∂{record.parameter} is the mean over a batch of {record.batch_size})"
            if record.batch_size > 1 else "")
    lines = _chained_step_lines((*record.steps, record.rule), digits)
    return lines[:-1] + [lines[-1] + mean]


def _chained_step_lines(steps: Sequence[UpdateStep], digits: int) -> list[str]:
    """Each step's line, `label = numbers = result`. Every number a line substitutes gets digits until
    the numbers as printed give the result as printed (`fill_numbers`); a number that is an earlier
    line's result is printed there with at least as many digits, and that line's own numbers grow
    in turn: repeated until nothing grows (digits are at most MAX_DIGITS, so it ends)."""
    # Which earlier line each number of a line is the result of (the same value: printed alike).
    sources = [[next((j for j in range(i - 1, -1, -1) if steps[j].value == argument), None)
                for argument in step.arguments] for i, step in enumerate(steps)]
    result_digits = [digits] * len(steps)
    while True:
        texts = [_grown_numbers(step, digits, result_digits[i],
                                [result_digits[j] if j is not None else digits for j in sources[i]])
                 for i, step in enumerate(steps)]
        grown = False
        for i, step in enumerate(steps):
            for k, j in enumerate(sources[i]):
                needed = _digits_of(texts[i][k], step.arguments[k], digits)
                if j is not None and needed > result_digits[j]:
                    result_digits[j], grown = needed, True
        if not grown:
            break
    lines = []
    for i, step in enumerate(steps):
        value = format_number(step.value, result_digits[i])
        if not step.template:
            lines.append(f"{step.label} = {value}")
        else:
            lines.append(f"{step.label} = {_substituted(step.template, texts[i])} = {value}")
    return lines


def _digits_of(text: str, value: float, digits: int) -> int:
    """The digits `format_number` printed `value` with to give `text` (the fewest from `digits`)."""
    for count in range(digits, MAX_DIGITS + 1):
        if format_number(value, count) == text:
            return count
    return MAX_DIGITS


def _grown_numbers(step: UpdateStep, digits: int, result_digits: int, least: list[int]) -> list[str]:
    """A line's numbers as printed: each with at least `least` digits, all grown together (at most
    MAX_DIGITS) until, evaluated as printed, they give the result printed with `result_digits`."""
    shown = format_number(step.value, result_digits)
    texts: list[str] = []
    for grown in range(digits, MAX_DIGITS + 1):
        texts = [format_number(value, max(grown, floor)) for value, floor in zip(step.arguments, least)]
        if not step.template:
            break
        printed = tuple(float(text.replace(MINUS, "-")) for text in texts)
        try:
            if format_number(evaluate_template(step.template, printed), result_digits) == shown:
                break
        except NotArithmetic:
            break
    return texts


def epoch_lines(record: EpochRecord, digits: int = DEFAULT_DIGITS) -> list[str]:
    if record.status == "diverged":
        return [record.message]
    count = len(record.losses)
    if count <= 8:
        template = "(" + " + ".join(f"{{{k}}}" for k in range(count)) + f")/{count}"
        shown = fill_numbers(template, tuple(record.losses), digits, record.mean_loss)
    else:
        shown = f"(…)/{count}"
    lines = [f"epoch {record.epoch}: mean loss = {shown} = {format_number(record.mean_loss, digits)}"]
    if record.message:
        lines.append(record.message)
    return lines


def record_lines(record: Record, digits: int = DEFAULT_DIGITS) -> list[str]:
    """The formula lines of any record."""
    if isinstance(record, ForwardRecord):
        return forward_lines(record, digits)
    if isinstance(record, LossRecord):
        return loss_lines(record, digits)
    if isinstance(record, FactorRecord):
        return factor_lines(record, digits)
    if isinstance(record, GradientRecord):
        return [gradient_line(record, digits)]
    if isinstance(record, UpdateRecord):
        return update_lines(record, digits)
    return epoch_lines(record, digits)


def describe_step(records: Sequence[Record]) -> str:
    """What one step revealed, in words: `describe` for one record; for several, a heading that names
    them all (`Forward pass: layer 1 (o11, o12)`, `Updates: 9 parameters`)."""
    if len(records) == 1:
        return describe(records[0])
    kinds = {record.kind for record in records}
    if kinds == {"forward"}:
        layers = sorted({record.layer for record in records})
        where = f"layer {layers[0]}" if len(layers) == 1 else f"layers {layers[0]}–{layers[-1]}"
        return f"Forward pass: {where} ({', '.join(record.out_label for record in records)})"
    if kinds == {"update"}:
        return f"Updates: {len(records)} parameters"
    if kinds <= {"factor", "gradient"}:
        parameters = list(dict.fromkeys(record.parameter for record in records))
        gradients = sum(record.kind == "gradient" for record in records)
        if len(parameters) == 1:
            factors = len(records) - gradients
            what = f"{factors} factor{'s' if factors != 1 else ''}" + (" and the gradient" if gradients else "")
            return f"Backward pass: ∂L/∂{parameters[0]} ({what})"
        return f"Backward pass: {len(parameters)} gradients ({', '.join('∂L/∂' + name for name in parameters)})"
    names = {"forward": "forward pass", "loss": "loss", "factor": "backward pass", "gradient": "backward pass",
             "update": "updates", "epoch": "end of the epoch"}
    parts = list(dict.fromkeys(names[record.kind] for record in records))
    text = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return f"{text[0].upper()}{text[1:]} ({len(records)} steps)"


def describe(record: Record) -> str:
    """The phase in words."""
    if isinstance(record, ForwardRecord):
        return f"Forward pass: neuron {record.neuron} of layer {record.layer} ({record.out_label})"
    if isinstance(record, LossRecord):
        return "Loss of this sample"
    if isinstance(record, FactorRecord):
        return f"Backward pass: factor {record.index} of {record.count} of ∂L/∂{record.parameter}"
    if isinstance(record, GradientRecord):
        return f"Backward pass: gradient ∂L/∂{record.parameter}"
    if isinstance(record, UpdateRecord):
        return f"Update of {record.parameter}"
    return "Training stopped" if record.status == "diverged" else f"End of epoch {record.epoch}"
