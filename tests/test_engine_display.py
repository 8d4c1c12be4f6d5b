"""What the stepper says, checked against independent truths: every chain-rule factor's label is the
partial derivative PyTorch's autograd gives for the named values, every formula with its numbers
substituted evaluates to the value shown, and numbers are written the same way at every size."""

from __future__ import annotations

import math
import re

import pytest

from simulator.examples import load_example
from simulator.formatting import MINUS, format_number, record_lines
from simulator.notation import bias_name, output_name, weight_name, z_name
from simulator.stepper import Stepper
from helpers import random_training

NETWORKS = [   # seed, sizes, activations, loss, batch size
    (1, [3, 4, 2], ["tanh", "linear"], "mse", 1),
    (2, [2, 3, 3, 2], ["relu", "sigmoid", "sigmoid"], "bce", 1),
    (3, [2, 3, 2, 2, 3], ["tanh", "relu", "tanh", "linear"], "half_sse", 2),
    (4, [1, 2, 1, 1], ["sigmoid", "tanh", "linear"], "mse", 3),
    (6, [2, 2, 2], ["sigmoid", "sigmoid"], "bce", 2),
    (7, [2, 2, 1, 1], ["tanh", "tanh", "linear"], "half_sse", 1),
    (8, [2, 3, 3], ["tanh", "softmax"], "cross_entropy", 1),
    (9, [3, 2, 4], ["relu", "softmax"], "cross_entropy", 2),
    (10, [2, 2, 3], ["sigmoid", "softmax"], "mse", 1),
    (11, [2, 1, 2], ["tanh", "softmax"], "half_sse", 1),
]


# -- an independent evaluation of the formulas as written -----------------------------------------
def evaluate(text: str) -> float:
    """The value of a formula as the app writes it: `−2(4 − 0.32)`, `½·[(1 − 2)² + …]`, `σ(1.6)`."""
    text = text.replace("½·", "0.5*").replace(MINUS, "-").replace("·", "*").replace("²", "**2")
    text = re.sub(r"(\d)\(", r"\1*(", text).replace(")(", ")*(").replace("[", "(").replace("]", ")")
    return eval(text, {"__builtins__": {}},   # noqa: S307 - our own formula text, nothing else
                {"log": math.log, "tanh": math.tanh, "max": max, "σ": lambda z: 1 / (1 + math.exp(-z)),
                 "exp": math.exp})


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


# -- formatting ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value, digits, expected", [
    (1.0000000494736474e-07, 6, "1e−07"),     # numpy alone writes "1.e-07"
    (2.0000001e-05, 3, "2e−05"),
    (-1.0000001e-09, 6, "−1e−09"),
    (1.0000001e6, 6, "1e+06"),
    (999999.7, 6, "1e+06"),                   # rounds up to a million: written like a million
    (999999.4, 6, "999999"),
    (9.9999999e-05, 6, "0.0001"),             # rounds up to 1e−4: written like 1e−4
    (9.99996e-05, 6, "9.99996e−05"),
    (1.23456789e-07, 6, "1.23457e−07"),
    (-0.0, 6, "0"),
    (0.1 + 0.2, 6, "0.3"),
    (0.1 + 0.2, 17, "0.30000000000000004"),
    (float("-inf"), 6, "−inf"),
])
def test_numbers_are_written_alike_at_every_size(value, digits, expected):
    assert format_number(value, digits) == expected


@pytest.mark.parametrize("digits", [1, 2, 3, 6, 10, 17])
def test_no_written_number_ends_its_mantissa_with_a_point(digits):
    for exponent in range(-320, 309, 7):
        for mantissa in (1.0, 1.0000001, 9.9999999, 5.5, 2.25):
            text = format_number(mantissa * 10.0 ** exponent, digits)
            assert ".e" not in text and not text.endswith("."), text


# -- bce where the clip is active -----------------------------------------------------------------
@pytest.mark.parametrize("weight, prediction, note", [
    (50.0, "0.9999999", "(ŷ = 1 is clipped to 1 − 1e−07 = 0.9999999 before the logarithm)"),
    (-50.0, "1e−07", "(ŷ = 7.34346e−37 is clipped to 1e−07 before the logarithm)")])
def test_a_clipped_bce_derivative_says_why_it_is_zero(weight, prediction, note):
    session = load_example("classification")
    session.network.set("w211", weight)
    session.network.set("w221", weight)
    stepper = Stepper(session.make_training())
    records = stepper.step("sample")
    loss = next(record for record in records if record.kind == "loss")
    assert loss.predictions[0] in (1.0, pytest.approx(7.34346e-37, rel=1e-5))
    assert record_lines(loss)[1] == note
    first = next(record for record in records if record.kind == "factor")
    assert first.value == 0.0
    # Before: "−1/1 + (1 − 1)/(1 − 1) = 0" or "−1/7.34346e−37 + … = 0", numbers that do not give 0.
    assert record_lines(first) == [
        "∂L/∂ŷ = 0 (ŷ is outside [1e−07, 1 − 1e−07], where the clipped loss is flat)"]
    # The loss line writes the clipped value it uses: "log(1 − 1)" would be infinite.
    assert f"log(1 − {prediction})" in record_lines(loss)[0] or f"log({prediction})" in record_lines(loss)[0]


def test_an_unclipped_bce_derivative_shows_its_numbers():
    stepper = Stepper(load_example("classification").make_training())
    first = next(record for record in stepper.step("sample") if record.kind == "factor")
    assert first.note == ""
    assert record_lines(first) == [
        "∂L/∂ŷ = −y/ŷ + (1 − y)/(1 − ŷ) = −1/0.5415052 + (1 − 1)/(1 − 0.5415052) = −1.8467"]   # 0.541505 gives −1.84671


# -- updates name their rows --------------------------------------------------------------------
def test_update_records_name_the_rows_of_their_batch():
    session = load_example("regression")
    session.training = session.training.with_changes(order="shuffled", seed=3, batch_size=3)
    training = session.make_training()
    order = [int(row) + 1 for row in training.order(0)]
    stepper = Stepper(training)
    stepper.next_record()
    updates = [record for record in stepper.finish_batch() if record.kind == "update"]
    assert updates and all(record.rows == tuple(order[:3]) for record in updates)
    assert all(record.row == order[2] and record.sample == 3 for record in updates)


# -- every label and number against autograd ------------------------------------------------------
def _autograd_graph(torch, training, row: int) -> dict:
    """The named values of one sample as scalar tensors: x1, o11, z21, ŷ, w111, b11, L, …"""
    network, named = training.network, {}
    activations = {"linear": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
    previous = []
    for i, value in enumerate(training.X[row].tolist(), start=1):
        named[f"x{i}"] = torch.tensor(value, dtype=torch.float64, requires_grad=True)
        previous.append(named[f"x{i}"])
    last = len(network.layers)
    for l, layer in enumerate(network.layers, start=1):
        current, zs = [], []
        for k in range(1, layer.n_out + 1):
            z = named[bias_name(l, k)] = torch.tensor(float(layer.biases[k - 1]), dtype=torch.float64,
                                                      requires_grad=True)
            for i in range(1, layer.n_in + 1):
                weight = named[weight_name(l, i, k)] = torch.tensor(
                    float(layer.weights[i - 1, k - 1]), dtype=torch.float64, requires_grad=True)
                z = z + weight * previous[i - 1]
            named[z_name(l, k)] = z
            zs.append(z)
        # softmax: each output of the layer from every z of it
        outs = torch.softmax(torch.stack(zs), 0) if layer.activation == "softmax" else None
        for k, z in enumerate(zs, start=1):
            out = outs[k - 1] if outs is not None else activations[layer.activation](z)
            label = output_name(l, k) if l < last else ("ŷ" if network.n_outputs == 1 else f"ŷ{k}")
            named[label] = out
            current.append(out)
        previous = current
    y_hat, y = torch.stack(previous), torch.tensor(training.Y[row].tolist(), dtype=torch.float64)
    name = training.loss.name
    if name == "mse":
        named["L"] = torch.mean((y - y_hat) ** 2)
    elif name == "half_sse":
        named["L"] = 0.5 * torch.sum((y - y_hat) ** 2)
    elif name == "cross_entropy":
        named["L"] = -torch.sum(y * torch.log(y_hat))
    else:
        p = torch.clamp(y_hat, 1e-7, 1 - 1e-7)
        named["L"] = torch.mean(-(y * torch.log(p) + (1 - y) * torch.log(1 - p)))
    for k, value in enumerate(training.Y[row].tolist(), start=1):
        named["y" if network.n_outputs == 1 else f"y{k}"] = torch.tensor(value, dtype=torch.float64)
    return named


def _derivative(torch, named: dict, numerator: str, denominator: str) -> float:
    gradient, = torch.autograd.grad(named[numerator], named[denominator], retain_graph=True, allow_unused=True)
    return 0.0 if gradient is None else gradient.item()


def check_against_autograd(torch, training, limit: int) -> int:
    """Step record by record; every value is the autograd value of what its label names."""
    stepper, named, sample, checked = Stepper(training), {}, None, 0
    while checked < limit and (record := stepper.next_record()) is not None:
        checked += 1
        if record.kind in ("forward", "loss", "factor", "gradient") and record.sample != sample:
            sample = record.sample
            named = _autograd_graph(torch, training, record.row - 1)
        if record.kind == "forward":
            assert close(record.z, named[record.z_label].item()) and close(record.out, named[record.out_label].item())
            for label, value in zip(record.weight_names + record.input_names, record.weights + record.inputs):
                assert close(value, named[label].item()), label
        elif record.kind == "loss":
            assert close(record.value, named["L"].item())
        elif record.kind == "factor":
            expected = _derivative(torch, named, record.numerator, record.denominator)
            assert close(record.value, expected), (record.parameter, record.label, record.value, expected)
            for symbol, argument in zip(record.symbols, record.arguments):
                truth = (_derivative(torch, named, "L", symbol[len("∂L/∂"):]) if symbol.startswith("∂L/∂")
                         else named[symbol].item())
                assert close(argument, truth), (record.label, symbol)
            if " if " not in record.template:   # relu's derivative is written as a condition
                numbers = record.template.format(*(f"({value!r})" for value in record.arguments))
                assert close(evaluate(numbers), record.value, 1e-7), (record.label, numbers)
            simple = record.simplification
            if simple is not None:   # ∂L/∂z = ŷ − y: its value and its numbers are autograd's ∂L/∂z
                assert close(simple.value, _derivative(torch, named, simple.numerator, simple.denominator))
                numbers = simple.template.format(*(f"({value!r})" for value in simple.arguments))
                assert close(evaluate(numbers), simple.value, 1e-7), (simple.label, numbers)
        elif record.kind == "gradient":
            assert close(record.value, _derivative(torch, named, "L", record.parameter)), record.parameter
            factors = record.factors
            assert factors[0].numerator == "L" and factors[-1].denominator == record.parameter
            assert all(a.denominator == b.numerator for a, b in zip(factors, factors[1:])), record.chain
        elif record.kind == "update":
            assert record.new == record.old - record.learning_rate * record.gradient
        if record.kind != "epoch":   # the substituted numbers at full precision give the value shown
            for line in record_lines(record, 17):
                parts = [part.split(" (")[0] if record.kind == "update" else part for part in line.split(" = ")]
                values = []
                for part in parts[1:]:
                    try:
                        values.append(evaluate(part))
                    except (NameError, SyntaxError, TypeError):
                        pass   # a symbolic part such as `w211` or `1 if z11 > 0 else 0`
                assert all(close(value, values[-1], 1e-9) for value in values), line
    return checked


@pytest.mark.parametrize("name", ["regression", "classification", "xor"])
def test_the_examples_labels_and_numbers_agree_with_autograd(name):
    torch = pytest.importorskip("torch", reason="PyTorch (the `reference` extra) is not installed")
    assert check_against_autograd(torch, load_example(name).make_training(), 130) == 130


@pytest.mark.parametrize("seed, sizes, activations, loss, batch_size", NETWORKS)
def test_deeper_multi_output_and_batch_labels_agree_with_autograd(seed, sizes, activations, loss, batch_size):
    torch = pytest.importorskip("torch", reason="PyTorch (the `reference` extra) is not installed")
    training = random_training(seed, sizes, activations, loss, epochs=1, batch_size=batch_size)
    assert check_against_autograd(torch, training, 10_000) > 100


def test_the_check_fails_on_a_wrong_label():
    """The autograd comparison can fail: a factor naming the wrong weight is caught."""
    torch = pytest.importorskip("torch", reason="PyTorch (the `reference` extra) is not installed")
    import dataclasses

    import simulator.stepper as stepper_module
    original = stepper_module._chain

    def swapped(*args, **kwargs):
        factors = original(*args, **kwargs)
        return [dataclasses.replace(factor, denominator="o12") if factor.denominator == "o11" else factor
                for factor in factors]

    stepper_module._chain = swapped
    try:
        with pytest.raises(AssertionError):
            check_against_autograd(torch, load_example("xor").make_training(), 130)
    finally:
        stepper_module._chain = original


def test_a_multi_output_bce_loss_keeps_each_outputs_term_together():
    training = random_training(6, [2, 2, 2], ["sigmoid", "sigmoid"], "bce")
    loss = next(record for record in Stepper(training).step("sample") if record.kind == "loss")
    line = record_lines(loss)[0]
    # Was "(1/2)·[−y1·log(ŷ1) − (1 − y1)·log(1 − ŷ1) + −y2·log(ŷ2) − …]".
    assert line.startswith("L = (1/2)·[(−y1·log(ŷ1) − (1 − y1)·log(1 − ŷ1)) "
                           "+ (−y2·log(ŷ2) − (1 − y2)·log(1 − ŷ2))] = ")
    assert "+ −" not in line
    assert close(evaluate(line.split(" = ")[2]), loss.value, 1e-5)


def test_training_messages_write_numbers_like_everything_else():
    session = load_example("regression")
    session.training = session.training.with_changes(epochs=1000, tolerance=1e-5, convergence="loss")
    training = session.make_training()
    assert training.run() == "converged"
    # Was "changed by 9.76e-06, below the tolerance 1e-05." with ASCII minus signs.
    assert training.message.endswith("changed by 9.76161e−06, below the tolerance 1e−05.")
    session = load_example("regression")
    session.training = session.training.with_changes(epochs=1)
    training = session.make_training()
    training.run()
    assert training.message == "Finished 1 epoch."   # was "Finished 1 epochs."


def test_a_negative_number_first_in_its_bracket_is_not_bracketed_again():
    session = load_example("regression")
    session.dataset.rows[0, 2] = -2.5            # a negative target
    session.network.set("w211", -0.5)
    stepper = Stepper(session.make_training())
    records = stepper.step("sample")
    loss = next(record for record in records if record.kind == "loss")
    # Was "((−2.5) − (−0.64))²" and "(−0.5) − 0.001·…".
    assert record_lines(loss)[0] == "L = (y − ŷ)² = (−2.5 − (−0.64))² = 3.4596"
    first = next(record for record in records if record.kind == "factor")
    assert record_lines(first) == ["∂L/∂ŷ = −2(y − ŷ) = −2(−2.5 − (−0.64)) = 3.72"]
    update = next(record for record in records if record.kind == "update" and record.parameter == "w211")
    assert record_lines(update)[0].startswith("w211 ← w211 − η·∂L/∂w211 = −0.5 − 0.001·")
    weight = next(record for record in records if record.kind == "factor" and record.numerator == "z21"
                  and record.denominator == "o11")
    assert record_lines(weight) == ["∂z21/∂o11 = w211 = −0.5"]
    forward = next(record for record in records if record.kind == "forward" and record.layer == 2)
    assert "= (−0.5)·1.6 + " in record_lines(forward)[0]     # a factor of a product keeps its brackets


def test_the_clip_note_names_the_outputs_it_applies_to():
    training = random_training(6, [2, 2, 2], ["sigmoid", "sigmoid"], "bce")
    training.network.layers[1].weights[:, 1] = 60.0   # ŷ2 saturates at 1, ŷ1 does not
    records = Stepper(training).step("sample")
    loss = next(record for record in records if record.kind == "loss")
    assert record_lines(loss)[1] == "(ŷ2 = 1 is clipped to 1 − 1e−07 = 0.9999999 before the logarithm)"
    factor = next(record for record in records if record.kind == "factor" and record.denominator == "ŷ2")
    assert factor.note == "ŷ2 is outside [1e−07, 1 − 1e−07], where the clipped loss is flat"


def test_a_value_next_to_one_keeps_the_digits_that_make_the_difference():
    session = load_example("classification")
    session.network.set("w211", 9.0)
    session.network.set("w221", 9.0)        # ŷ = σ(14.98) = 0.9999997
    records = Stepper(session.make_training()).step("sample")
    factor = next(record for record in records if record.kind == "factor" and record.denominator == "z21")
    # Was "ŷ(1 − ŷ) = 1(1 − 1) = 3.13e−07": the numbers shown gave 0; then 0.9999997(1 − 0.9999997),
    # which gives 3e−07: the digits grow until the numbers as printed give the result as printed.
    assert record_lines(factor) == [
        f"∂ŷ/∂z21 = ŷ(1 − ŷ) = 0.999999686771(1 − 0.999999686771) = {format_number(factor.value)}",
        # ∂L/∂ŷ·∂ŷ/∂z simplified; was nothing, then "ŷ − y = 1 − 1 = −3.13229e−07"
        "Sigmoid with binary cross-entropy simplifies it: ∂L/∂z21 = ŷ − y = 0.999999686771 − 1 = −3.13229e−07"]
    loss = next(record for record in records if record.kind == "loss")
    assert "log(1 − 0.999999686771)" in record_lines(loss)[0]
    assert close(evaluate(record_lines(factor, 17)[0].split(" = ")[2]), factor.value, 1e-12)
