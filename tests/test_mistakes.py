"""The mistake catalogue: each mistake's value on the lecture's network (literal numbers worked by hand)
and on random ones (an independent calculation), no diagnosis of a right answer, every mistake
diagnosed from its own value, and every registered activation and loss covered."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import mistakes as catalogue
from simulator.activations import ACTIVATIONS
from simulator.examples import example_names, load_example
from simulator.losses import LOSSES
from simulator.mistakes import StepValues, asked_value, diagnose, matches, mistakes
from simulator.optimizers import Optimizer
from simulator.stepper import Stepper

from helpers import random_training

DIGITS = 6


def step_values(stepper: Stepper, record) -> StepValues:
    """The values of `record`'s step as practice gathers them: its sample's records and the batch's updates."""
    records = stepper.records
    sample = records.sample_records(records.samples - 1) if record.kind == "update" else stepper.sample_records(record)
    return StepValues(sample, records.updates)


def first_batch(training):
    """(record, its StepValues) for every record of the first batch."""
    stepper = Stepper(training)
    stepper.upcoming()
    return [(record, step_values(stepper, record)) for record in stepper.records if record.kind != "epoch"]


def find(pairs, kind, name):
    """The record of `kind` asking for `name` (as `asked_value` names it), with its step."""
    return next((record, step) for record, step in pairs if record.kind == kind and asked_value(record)[0] == name)


def values_of(record, step, name) -> list[float]:
    return [mistake.value for mistake in mistakes(record, step) if mistake.name == name]


@pytest.fixture(scope="module")
def lecture():
    return first_batch(load_example("regression").make_training())


# -- the lecture's numbers, by hand: x = (8, 8), y = 4, every weight 0.1, η = 0.001, ŷ = 0.32 ------------
def test_loss_derivative_sign_and_the_forgotten_two(lecture):
    record, step = find(lecture, "factor", "∂L/∂ŷ")                  # −2(4 − 0.32) = −7.36
    assert values_of(record, step, catalogue.SIGN) == [pytest.approx(7.36)]
    assert values_of(record, step, catalogue.FORGOT_TWO) == [pytest.approx(-3.68)]
    assert diagnose(7.36, record, step, DIGITS).mistakes[0].name == catalogue.SIGN
    assert diagnose(-3.68, record, step, DIGITS).mistakes[0].name == catalogue.FORGOT_TWO
    assert diagnose(-7.36, record, step, DIGITS) is None                # right
    assert diagnose(-5.0, record, step, DIGITS) is None                 # wrong, but no known mistake


def test_loss_without_the_square(lecture):
    record, step = find(lecture, "loss", "L")                         # (4 − 0.32)² = 13.5424
    assert sorted(values_of(record, step, catalogue.FORGOT_SQUARE)) == [pytest.approx(-3.68), pytest.approx(3.68)]
    assert diagnose(3.68, record, step, DIGITS).mistakes[0].name == catalogue.FORGOT_SQUARE


def test_gradient_mistakes(lecture):
    record, step = find(lecture, "gradient", "∂L/∂w111")              # (−7.36)·1·0.1·1·8 = −5.888
    assert values_of(record, step, catalogue.SIGN) == [pytest.approx(5.888)]
    assert values_of(record, step, catalogue.FORGOT_TWO) == [pytest.approx(-2.944)]
    assert values_of(record, step, catalogue.ADDED) == [pytest.approx(-7.36 + 1 + 0.1 + 1 + 8)]
    # w211 after its update: 0.1 − 0.001·(−7.36·1.6) = 0.111776; (−7.36)·0.111776·8
    assert values_of(record, step, catalogue.IN_PLACE) == [pytest.approx(-7.36 * 0.111776 * 8)]
    assert values_of(record, step, catalogue.ACTIVATION_NOT_DERIVATIVE) == [pytest.approx(-7.36 * 0.32 * 0.1 * 8),
                                                                           pytest.approx(-7.36 * 0.1 * 1.6 * 8)]
    diagnosis = diagnose(-6.58137, record, step, DIGITS)
    assert [mistake.name for mistake in diagnosis.mistakes] == [catalogue.IN_PLACE]
    assert "w211 after its update" in diagnosis.text(DIGITS)


def test_an_answer_matches_a_mistake_as_the_display_shows_it(lecture):
    """−2.94 is the forgotten 2's −2.944 as three digits show it, but not within the 0.1 % of a right answer."""
    record, step = find(lecture, "gradient", "∂L/∂w111")
    assert diagnose(-2.94, record, step, 3).mistakes[0].name == catalogue.FORGOT_TWO
    assert diagnose(-2.94, record, step, 6) is None
    assert diagnose(-5.89, record, step, 3) is None            # −5.888 as three digits show it: right


def test_the_in_place_mistake_is_what_the_engine_s_mistaken_rule_computes():
    """The engine's own demonstration of the in-place rule gives the values the catalogue predicts."""
    session = load_example("regression")
    correct = first_batch(session.make_training())
    session.training = session.training.with_changes(update_rule="in_place")
    mistaken = {asked_value(record)[0]: asked_value(record)[1] for record, _ in first_batch(session.make_training())}
    checked = 0
    for record, step in correct:
        if record.kind in ("gradient", "update"):
            predicted = [mistake.value for mistake in mistakes(record, step) if mistake.name == catalogue.IN_PLACE
                         and "," not in mistake.detail.split(" after")[0]]
            engine = mistaken[asked_value(record)[0]]
            if engine != asked_value(record)[1]:
                assert any(value == pytest.approx(engine, rel=1e-12) for value in predicted), record
                checked += 1
    assert checked == 12      # the six hidden weights' and biases' gradients and updates


def test_update_mistakes(lecture):
    record, step = find(lecture, "update", "the new w111")            # 0.1 − 0.001·(−5.888) = 0.105888
    assert values_of(record, step, catalogue.FORGOT_RATE) == [pytest.approx(5.988)]
    assert values_of(record, step, catalogue.DOUBLED_RATE) == [pytest.approx(0.111776)]
    assert catalogue.SIGN in [m.name for m in mistakes(record, step) if m.value == pytest.approx(0.094112)]
    assert pytest.approx(0.1 + 0.001 * 7.36 * 0.111776 * 8) in values_of(record, step, catalogue.IN_PLACE)
    assert pytest.approx(0.1 + 0.001 * 2.944) in values_of(record, step, catalogue.FORGOT_TWO)   # through the gradient
    assert diagnose(5.988, record, step, DIGITS).mistakes[0].name == catalogue.FORGOT_RATE


def test_an_ambiguous_answer_names_every_mistake_it_matches_likeliest_first(lecture):
    record, step = find(lecture, "update", "the new b21")              # 0 − 0.001·(−7.36) = 0.00736
    diagnosis = diagnose(-0.00736, record, step, DIGITS)               # b21 + η·g, and also −η·g since b21 = 0
    assert [mistake.name for mistake in diagnosis.mistakes] == [catalogue.SIGN, catalogue.STEP_NOT_VALUE]
    assert diagnosis.text(DIGITS).startswith("Your answer matches two common mistakes: sign error (")
    assert "; or gave the change, not the new value (η·∂L/∂b21), which gives −0.00736." in diagnosis.text(DIGITS)


# -- random networks: each mistake by an independent calculation ------------------------------------
@pytest.fixture(scope="module")
def sigmoid_net():
    return first_batch(random_training(3, [2, 2, 1], ["sigmoid", "linear"], "mse", rows=1, learning_rate=0.1))


def sigmoid(value: float) -> float:
    return 1 / (1 + math.exp(-value))


def test_activation_derivative_mistakes(sigmoid_net):
    forward = next(record for record, _ in sigmoid_net if record.kind == "forward" and record.out_label == "o11")
    record, step = find(sigmoid_net, "factor", "∂o11/∂z11")
    z, o = forward.z, forward.out
    assert record.value == pytest.approx(sigmoid(z) * (1 - sigmoid(z)))
    assert values_of(record, step, catalogue.FORGOT_DERIVATIVE) == [1.0]
    assert values_of(record, step, catalogue.WRONG_POINT) == [pytest.approx(sigmoid(o) * (1 - sigmoid(o)))]
    assert values_of(record, step, catalogue.Z_FOR_O) == [pytest.approx(z * (1 - z))]
    assert values_of(record, step, catalogue.ACTIVATION_NOT_DERIVATIVE) == [pytest.approx(o)]


def test_forward_mistakes(sigmoid_net):
    record, step = find(sigmoid_net, "forward", "o11")
    (w1, w2), (x1, x2), b = record.weights, record.inputs, record.bias
    assert values_of(record, step, catalogue.Z_FOR_O) == [pytest.approx(w1 * x1 + w2 * x2 + b)]
    assert values_of(record, step, catalogue.WRONG_INPUT) == [pytest.approx(sigmoid(w1 * x2 + w2 * x1 + b))]
    assert values_of(record, step, catalogue.FORGOT_BIAS) == [pytest.approx(sigmoid(w1 * x1 + w2 * x2))]
    output, step = find(sigmoid_net, "forward", "ŷ")
    hidden = [next(r for r, _ in sigmoid_net if r.kind == "forward" and r.out_label == name) for name in ("o11", "o12")]
    with_z = output.weights[0] * hidden[0].z + output.weights[1] * hidden[1].z + output.bias
    assert pytest.approx(with_z) in values_of(output, step, catalogue.Z_FOR_O)


def test_input_and_weight_factors(sigmoid_net):
    record, step = find(sigmoid_net, "factor", "∂z11/∂w111")
    assert values_of(record, step, catalogue.WRONG_INPUT) == [step.by_z["z11"].inputs[1]]
    record, step = find(sigmoid_net, "factor", "∂z21/∂w211")
    assert values_of(record, step, catalogue.Z_FOR_O) == [step.by_out["o11"].z]
    update = next(r for r, _ in sigmoid_net if r.kind == "update" and r.parameter == "w211")
    record, step = find(sigmoid_net, "factor", "∂z21/∂o11")
    assert values_of(record, step, catalogue.IN_PLACE) == [update.new]
    assert values_of(record, step, catalogue.WRONG_WEIGHT) == [step.by_z["z21"].weights[1]]


def test_a_missed_path_of_a_sum():
    pairs = first_batch(load_example("three-classes").make_training())
    record, step = find(pairs, "factor", "∂L/∂o11")
    terms = [term.value for term in record.terms]
    assert len(terms) == 3
    expected = sorted(sum(terms) - left_out for left_out in terms)
    assert sorted(values_of(record, step, catalogue.MISSED_PATH)) == pytest.approx(expected)
    gradient, step = find(pairs, "gradient", "∂L/∂w111")
    rest = math.prod(factor.value for factor in gradient.factors[1:])
    assert pytest.approx((sum(terms) - terms[0]) * rest) in values_of(gradient, step, catalogue.MISSED_PATH)
    loss, step = find(pairs, "loss", "L")                               # −log(ŷ) of a class that is not the target
    assert sorted(values_of(loss, step, catalogue.WRONG_OUTPUT)) == sorted(
        -math.log(p) for p, y in zip(loss.predictions, loss.targets) if y == 0)


# -- every record of many networks -----------------------------------------------------------------
def networks():
    """First batches of the examples (the regression one also with momentum and with Adam) and of random
    networks with every activation and loss."""
    for name in example_names():
        yield name, load_example(name).make_training()
    for optimizer in (Optimizer("sgd", momentum=0.9), Optimizer("adam")):
        session = load_example("regression")
        session.training = session.training.with_changes(optimizer=optimizer)
        yield f"regression-{optimizer.name}", session.make_training()
    for draw, (loss_name, loss) in enumerate(LOSSES.items()):
        output = loss.needs_activation or ("sigmoid" if loss.needs_probabilities else "linear")
        for hidden_name, hidden in ACTIVATIONS.items():
            if hidden.over_layer:
                continue
            sizes = [2, 3, 2] if output != "sigmoid" else [3, 2, 1]
            yield (f"{hidden_name}-{loss_name}",
                   random_training(draw * 10 + len(hidden_name), sizes, [hidden_name, output], loss_name, rows=1))


@pytest.fixture(scope="module")
def every_record():
    return [(name, record, step) for name, training in networks() for record, step in first_batch(training)]


def test_a_right_answer_is_never_diagnosed(every_record):
    for name, record, step in every_record:
        value = asked_value(record)[1]
        for answer in (value, float(f"{value:.{DIGITS - 1}e}"), value * (1 + 0.9e-3)):
            assert diagnose(answer, record, step, DIGITS) is None, (name, record)


def test_every_mistake_is_named_from_its_own_value(every_record):
    names = set()
    for name, record, step in every_record:
        value = asked_value(record)[1]
        for mistake in mistakes(record, step):
            assert math.isfinite(mistake.value) and not catalogue.close(mistake.value, value)
            if matches(mistake.value, value, DIGITS):
                continue
            diagnosis = diagnose(mistake.value, record, step, DIGITS)
            assert mistake.name in [found.name for found in diagnosis.mistakes], (name, record, mistake)
            names.add(mistake.name)
    assert names == set(catalogue.CATALOGUE)     # every mistake of the catalogue applies somewhere


def test_every_activation_and_loss_has_its_mistakes(every_record):
    """Each activation's output and each loss has mistakes; so has each ∂o/∂z of an activation of one
    neuron (softmax's is a sum over its layer, ∂L/∂z, simplified with cross-entropy)."""
    outputs, derivatives, losses = set(), set(), set()
    for name, record, step in every_record:
        if record.kind == "forward" and mistakes(record, step):
            outputs.add(record.activation)
        if record.kind == "factor" and record.denominator in step.by_z \
                and step.by_z[record.denominator].out_label == record.numerator and mistakes(record, step):
            derivatives.add(step.by_z[record.denominator].activation)
        if record.kind == "loss" and mistakes(record, step):
            losses.add(record.loss)
    assert outputs == set(ACTIVATIONS) and losses == set(LOSSES)
    assert derivatives == {name for name, activation in ACTIVATIONS.items() if not activation.over_layer}


def test_the_candidates_are_finite_where_the_loss_is_not(every_record):
    """bce with y and ŷ swapped takes the logarithm of 0: such a mistake is left out, not shown as inf."""
    for _, record, step in every_record:
        assert all(np.isfinite(mistake.value) for mistake in mistakes(record, step))


def test_an_update_by_another_optimiser_than_plain_descent_is_not_diagnosed_as_one(every_record):
    """Adam's new value is not w − η·g: the learning-rate mistakes, worked out for plain descent, are not tried."""
    adam = [(record, step) for name, record, step in every_record if name == "regression-adam" and record.kind == "update"]
    assert len(adam) == 9 and all(record.steps for record, _ in adam)
    assert all(mistakes(record, step) == [] for record, step in adam)
    momentum = [(record, step) for name, record, step in every_record
                if name == "regression-sgd" and record.kind == "update"]
    assert all(values_of(record, step, catalogue.FORGOT_RATE) for record, step in momentum)   # its first step is w − η·g

