"""The lectures' worked numbers for the regression example (2-2-1, linear, every weight 0.1, lr 0.001)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.examples import example_names, load_example
from simulator.formatting import record_lines
from simulator.stepper import Stepper


@pytest.fixture
def regression():
    return load_example("regression")


def first_sample_records(session):
    stepper = Stepper(session.make_training())
    return {(record.kind, getattr(record, "parameter", None) or getattr(record, "out_label", None)): record
            for record in stepper.step("sample")}


def test_first_forward_pass(regression):
    cache = regression.network.forward(regression.dataset.X[:1])
    assert cache.out[0][0].tolist() == pytest.approx([1.6, 1.6], rel=1e-12)
    assert cache.prediction[0, 0] == pytest.approx(0.32, rel=1e-12)


def test_first_loss_gradient_and_update(regression):
    records = first_sample_records(regression)
    assert records[("forward", "o11")].out == pytest.approx(1.6, rel=1e-12)
    assert records[("forward", "o12")].out == pytest.approx(1.6, rel=1e-12)
    assert records[("forward", "ŷ")].out == pytest.approx(0.32, rel=1e-12)
    loss = next(record for record in records.values() if record.kind == "loss")
    assert loss.targets == (4.0,)
    assert loss.value == pytest.approx(13.5424, rel=1e-12)
    gradient = records[("gradient", "w111")]
    assert gradient.value == pytest.approx(-5.888, rel=1e-12)
    assert [factor.label for factor in gradient.factors] == ["∂L/∂ŷ", "∂ŷ/∂z21", "∂z21/∂o11", "∂o11/∂z11", "∂z11/∂w111"]
    assert [factor.value for factor in gradient.factors] == pytest.approx([-7.36, 1.0, 0.1, 1.0, 8.0], rel=1e-12)
    update = records[("update", "w111")]
    assert update.new == pytest.approx(0.105888, rel=1e-12)
    assert regression.network.get("w111") == pytest.approx(0.105888, rel=1e-12)
    assert records[("gradient", "w211")].value == pytest.approx(-11.776, rel=1e-12)
    assert records[("gradient", "b21")].value == pytest.approx(-7.36, rel=1e-12)


def test_first_sample_as_text(regression):
    records = first_sample_records(regression)
    assert record_lines(records[("forward", "o11")]) == [
        "z11 = w111·x1 + w121·x2 + b11 = 0.1·8 + 0.1·8 + 0 = 1.6", "o11 = z11 = 1.6"]
    loss = next(record for record in records.values() if record.kind == "loss")
    assert record_lines(loss) == ["L = (y − ŷ)² = (4 − 0.32)² = 13.5424"]
    assert record_lines(records[("gradient", "w111")]) == [
        "∂L/∂w111 = ∂L/∂ŷ · ∂ŷ/∂z21 · ∂z21/∂o11 · ∂o11/∂z11 · ∂z11/∂w111 = (−7.36)·1·0.1·1·8 = −5.888"]
    assert record_lines(records[("update", "w111")]) == [
        "w111 ← w111 − η·∂L/∂w111 = 0.1 − 0.001·(−5.888) = 0.105888"]


def test_updates_are_simultaneous(regression):
    """Hidden-layer gradients use the output weights from before this step's update."""
    records = first_sample_records(regression)
    factor = records[("gradient", "w111")].factors[2]
    assert factor.label == "∂z21/∂o11" and factor.value == 0.1
    assert regression.network.get("w211") != 0.1  # already updated by the time the sample is done


def test_examples_load_and_train_a_few_steps():
    assert example_names()[0] == "regression"
    for name in example_names():
        session = load_example(name)
        training = session.make_training()
        before = session.network.flat_parameters()
        training.run(max_steps=3)
        assert training.status == "running"
        assert not np.array_equal(before, session.network.flat_parameters()), name
