"""A gradient that is a sum over paths: the count of paths, each neuron's δ introduced before it is
used, the sum term by term, every path's product, and what the graph and the inspector show of it."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from simulator.formatting import format_number
from simulator.path_text import (chain_path_lines, delta_gradient_line, delta_lines, describe_with_paths,
                                 path_product_lines, paths_line, term_lines)
from simulator.records import FactorRecord, GradientRecord
from simulator.stepper import Stepper

from helpers import open_window, random_training, settle

SIZES, ACTIVATIONS = [2, 3, 3, 1], ["tanh", "tanh", "linear"]


def one_sample():
    """The records of the first sample of a 2-3-3-1 tanh network, and the batch they come from."""
    stepper = Stepper(random_training(1, SIZES, ACTIVATIONS, "mse", rows=3, batch_size=1))
    stepper.upcoming()   # starts the batch without applying it
    return list(stepper.records), stepper.batch


def evaluate(printed: str) -> float:
    """A printed arithmetic expression (`(−0.02)·0.3 + 0.5`, `1 − 0.2²`) evaluated as printed."""
    text = printed.replace("−", "-").replace("·", "*").replace("²", "**2")
    assert re.fullmatch(r"[-+*/(). 0-9e]+", text), printed
    return eval(text)  # noqa: S307 - digits and operators only, checked above


def assert_reproducible(line: str, digits: int = 6) -> None:
    """`… = numbers = result`: the printed numbers give the printed result to the digits shown."""
    numbers, result = (part.strip() for part in line.rsplit(" = ", 2)[-2:])
    value = evaluate(numbers)
    printed = evaluate(result)
    assert value == pytest.approx(printed, rel=5 * 10 ** (1 - digits), abs=1e-12), line


def test_the_record_for_w111_says_3_paths():
    records, _ = one_sample()
    chain = [r for r in records if isinstance(r, (FactorRecord, GradientRecord)) and r.parameter == "w111"]
    assert chain and all(record.paths == 3 for record in chain)
    assert paths_line(chain[0]) == "3 paths from w111 to L, one through each of z21, z22, z23"
    assert describe_with_paths(chain[-1]).endswith("(3 paths from w111 to L)")
    assert "3 paths from w111 to L" in chain_path_lines(chain[0], 6)[0]
    # The output layer's parameters have one path and say nothing of paths.
    output = next(r for r in records if isinstance(r, GradientRecord) and r.parameter == "w311")
    assert output.paths == 1 and paths_line(output) == "" and output.path_products == ()


def test_each_delta_is_the_engines_and_is_introduced_before_it_is_used():
    records, batch = one_sample()
    introduced: dict[str, float] = {}
    for record in records:
        if not isinstance(record, FactorRecord):
            continue
        for term in record.terms:
            assert introduced[term.delta_name] == term.delta   # named, with its value, earlier
        if record.delta is not None:
            layer, neuron = int(record.delta.name[1]), int(record.delta.name[2])
            assert record.delta.value == batch.backward.delta[layer - 1][0][neuron - 1]
            if record.delta.introduced:
                assert record.delta.name not in introduced
                introduced[record.delta.name] = record.delta.value
                assert_reproducible(delta_lines(record, 6)[0])
            else:
                assert introduced[record.delta.name] == record.delta.value
    assert set(introduced) == {f"δ{l}{k}" for l, n in ((1, 3), (2, 3), (3, 1)) for k in range(1, n + 1)}


def test_the_sum_term_by_term_adds_up_to_the_factor_and_the_gradient():
    records, batch = one_sample()
    factor = next(r for r in records if isinstance(r, FactorRecord) and r.parameter == "w111" and r.index == 1)
    gradient = next(r for r in records if isinstance(r, GradientRecord) and r.parameter == "w111")
    assert [term.z_label for term in factor.terms] == ["z21", "z22", "z23"]
    weights = batch.backward.propagated_weights[1]   # layer 2's weights, (3 sources, 3 targets)
    for k, term in enumerate(factor.terms):
        assert term.delta == batch.backward.delta[1][0][k] and term.weight == weights[0, k]
        assert term.value == term.delta * term.weight   # the same operation as the engine's, exactly
    assert factor.value == batch.backward.d_out[0][0][0]
    assert math.fsum(term.value for term in factor.terms) == pytest.approx(factor.value, rel=1e-12)
    lines = term_lines(factor, 6, deltas=True)
    assert lines[0].startswith("term 1 of 3, the path through z21: δ21·w211 = ")
    for line in lines:
        assert_reproducible(line)
    assert lines[-1].endswith(f"= {format_number(factor.value)}")
    delta_form = delta_gradient_line(gradient, 6)
    assert delta_form.startswith("∂L/∂w111 = δ11·∂z11/∂w111 = δ11·x1 = ")
    assert_reproducible(delta_form)
    assert gradient.value == batch.backward.delta[0][0][0] * batch.forward.inputs[0][0, 0]


def test_every_paths_product_is_listed_and_they_add_up_to_the_gradient():
    records, batch = one_sample()
    gradient = next(r for r in records if isinstance(r, GradientRecord) and r.parameter == "w111")
    products = gradient.path_products
    assert [path.route for path in products] == [f"w111 → z11 → z2{k} → z31 → L" for k in (1, 2, 3)]
    for k, path in enumerate(products, start=1):
        assert path.value == math.prod(path.values)
        assert {item for item in path.highlight if item[0] == "edge"} == {
            ("edge", 1, 1, 1), ("edge", 2, 1, k), ("edge", 3, k, 1)}
    assert math.fsum(path.value for path in products) == pytest.approx(gradient.value, rel=1e-12)
    for line in path_product_lines(gradient, 6):
        assert_reproducible(line)


def test_each_terms_highlight_is_its_paths_edges():
    records, _ = one_sample()
    factor = next(r for r in records if isinstance(r, FactorRecord) and r.parameter == "w121" and r.index == 1)
    for k, term in enumerate(factor.terms, start=1):
        assert {item for item in term.highlight if item[0] == "edge"} == {("edge", 2, 1, k), ("edge", 3, k, 1)}


def test_the_path_products_agree_with_finite_differences():
    training = random_training(1, SIZES, ACTIVATIONS, "mse", rows=3, batch_size=1)
    layers = [(layer.weights.copy(), layer.biases.copy(), layer.activation) for layer in training.network.layers]
    x, y = training.X[0], training.Y[0]

    def loss(w111: float) -> float:
        value = x
        for index, (weights, biases, activation) in enumerate(layers):
            weights = weights.copy()
            if index == 0:
                weights[0, 0] = w111
            z = value @ weights + biases
            value = np.tanh(z) if activation == "tanh" else z
        return float(np.mean((y - value) ** 2))

    records = Stepper(training).step("sample")
    gradient = next(r for r in records if isinstance(r, GradientRecord) and r.parameter == "w111")
    w, h = layers[0][0][0, 0], 1e-6
    numeric = (loss(w + h) - loss(w - h)) / (2 * h)
    assert math.fsum(path.value for path in gradient.path_products) == pytest.approx(numeric, rel=1e-6)


def test_more_than_eight_paths_are_counted_not_listed():
    stepper = Stepper(random_training(2, [2, 3, 3, 3, 1], ["tanh", "tanh", "tanh", "linear"], "mse"))
    gradient = next(r for r in stepper.step("sample") if isinstance(r, GradientRecord) and r.parameter == "w111")
    assert gradient.paths == 9 and gradient.path_products == ()
    assert paths_line(gradient) == "9 paths from w111 to L: 3 through z21, 3 through z22, 3 through z23"


def test_sigmoid_with_bce_states_delta_as_prediction_minus_target():
    stepper = Stepper(random_training(3, [2, 2, 1], ["tanh", "sigmoid"], "bce"))
    factor = next(r for r in stepper.step("sample") if isinstance(r, FactorRecord) and r.delta is not None)
    lines = delta_lines(factor, 6)
    assert lines[1].startswith("Sigmoid with binary cross-entropy simplifies it: δ21 = ŷ − y = ")
    for line in lines:
        assert_reproducible(line)


# -- the app ---------------------------------------------------------------------------------------
def _session():
    from simulator.session import Session

    training = random_training(1, SIZES, ACTIVATIONS, "mse", rows=3, batch_size=1)
    return Session(training.network, "mse", training.config, training.dataset, title="2-3-3-1")


def _step_to(window, parameter: str, index: int) -> FactorRecord:
    controller = window.controller
    for _ in range(200):
        controller.step("factor")
        current = window.document.stepper.current
        if isinstance(current, FactorRecord) and (current.parameter, current.index) == (parameter, index):
            return current
    raise AssertionError(f"never reached factor {index} of {parameter}")


def test_edge_labels_during_a_factor_show_that_factors_numbers_only(qtbot):
    window = open_window(qtbot, _session())
    factor = _step_to(window, "w111", 1)
    settle(window.view)
    scene = window.view.scene()
    shown = {format_number(value) for value in factor.arguments}
    edges = [item[1:] for item in factor.highlight if item[0] == "edge"]
    assert len(edges) == 3
    for layer, source, target in edges:
        text = scene.edge_item(layer, source, target).label_text()
        assert "∂L" not in text, text   # no gradient found earlier: it is not in the sum
        numbers = set(re.findall(r"−?\d[\d.e+−]*", text.replace(f"w{layer}{source}{target}", "")))
        assert numbers and numbers <= shown, text


def test_delta_notation_in_the_inspector_is_remembered(qtbot):
    from PySide6.QtCore import QSettings

    from ui.inspector import DELTA_NOTATION_KEY

    window = open_window(qtbot, _session())
    action = window.window_actions.delta_notation
    assert not action.isChecked() and not window.inspector.delta_notation
    _step_to(window, "w111", 1)
    text = window.inspector.plain_text()
    assert "3 paths from w111 to L" in text and "term 1 of 3, the path through z21: ∂L/∂z21·w211" in text
    assert "δ" not in text
    action.setChecked(True)
    text = window.inspector.plain_text()
    assert "term 1 of 3, the path through z21: δ21·w211" in text and "∂L/∂o11 = δ21·w211 + δ22·w212" in text
    assert QSettings().value(DELTA_NOTATION_KEY, False, type=bool)
    _step_to(window, "w111", 2)
    assert "δ11 = ∂L/∂z11 = (δ21·w211 + δ22·w212 + δ23·w213)·∂o11/∂z11 = " in window.inspector.plain_text()
