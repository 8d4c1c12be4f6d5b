"""The phase stepper: chain-rule products, granularities against the fast path, edits mid-sample,
divergence and convergence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.examples import example_names, load_example
from simulator.notation import parse_parameter
from simulator.stepper import GRANULARITIES, Stepper
from simulator.training import Training

from helpers import random_training


def engine_gradient(batch, name: str, sample: int) -> float:
    """The engine's gradient of one sample of a batch (the outer product the batch mean is made of)."""
    ref = parse_parameter(name)
    delta = batch.backward.delta[ref.layer - 1][sample]
    if ref.is_bias:
        return float(delta[ref.target - 1])
    return float(batch.forward.inputs[ref.layer - 1][sample, ref.source - 1] * delta[ref.target - 1])


def check_chain_products(training: Training, exact: bool) -> int:
    """Step through training factor by factor; every gradient's running product is the engine's."""
    stepper, checked = Stepper(training), 0
    while (record := stepper.next_record()) is not None:
        if record.kind == "factor":
            expected = math.prod(factor.value for factor in stepper.revealed[-record.index:])
            assert record.running_product == (expected if record.index > 1 else record.value)
        if record.kind != "gradient":
            continue
        batch = stepper.batch
        offset = record.sample - 1 - batch.start
        engine = engine_gradient(batch, record.parameter, offset)
        assert record.value == record.factors[-1].running_product
        if exact:
            assert record.value == engine, record.parameter
            if len(batch.indices) == 1:
                ref = parse_parameter(record.parameter)
                grads = batch.backward.grad_biases if ref.is_bias else batch.backward.grad_weights
                index = (ref.target - 1,) if ref.is_bias else (ref.source - 1, ref.target - 1)
                assert record.value == grads[ref.layer - 1][index]
        else:
            assert record.value == pytest.approx(engine, rel=1e-12, abs=1e-300)
        checked += 1
    return checked


@pytest.mark.parametrize("name", example_names())
def test_running_products_are_the_engine_gradients_bit_for_bit_on_the_examples(name):
    session = load_example(name)
    session.training = session.training.with_changes(epochs=2)
    training = session.make_training()
    assert check_chain_products(training, exact=True) == 2 * training.n_samples * training.network.parameter_count()


@pytest.mark.parametrize("seed, sizes, activations, loss, batch_size", [
    (1, [3, 4, 2], ["tanh", "linear"], "mse", 1),
    (2, [2, 3, 3, 2], ["relu", "sigmoid", "sigmoid"], "bce", 1),
    (3, [2, 3, 2, 2, 3], ["tanh", "relu", "tanh", "linear"], "half_sse", 2),
    (4, [1, 2, 1, 1], ["sigmoid", "tanh", "linear"], "mse", 3),
])
def test_running_products_on_deeper_and_multi_output_networks(seed, sizes, activations, loss, batch_size):
    training = random_training(seed, sizes, activations, loss, epochs=2, batch_size=batch_size)
    count = training.network.parameter_count()
    assert check_chain_products(training, exact=False) == 2 * 5 * count


def test_batch_update_uses_the_mean_of_the_sample_gradients():
    stepper = Stepper(random_training(5, [2, 3, 2], ["tanh", "sigmoid"], "bce", rows=4, batch_size=3))
    shown = [stepper.next_record()] + stepper.finish_batch()
    assert stepper.training.position == 3
    gradients = [record for record in shown if record.kind == "gradient"]
    updates = {record.parameter: record for record in shown if record.kind == "update"}
    assert len(gradients) == 3 * len(updates) and {r.sample for r in gradients} == {1, 2, 3}
    for name, update in updates.items():
        values = [record.value for record in gradients if record.parameter == name]
        assert update.gradient == pytest.approx(sum(values) / 3, rel=1e-12, abs=1e-300)
        assert update.new == update.old - update.learning_rate * update.gradient
        assert update.batch_size == 3


def run_stepper(training: Training, granularity: str) -> tuple[list, list[list]]:
    stepper, groups = Stepper(training), []
    while group := stepper.step(granularity):
        groups.append(group)
    return [record for group in groups for record in group], groups


@pytest.mark.parametrize("make", [
    lambda: load_example("regression").make_training(),
    lambda: random_training(6, [3, 3, 2, 2], ["tanh", "relu", "sigmoid"], "bce", rows=5, epochs=3,
                            order="shuffled", batch_size=2, seed=9),
    lambda: random_training(7, [2, 4, 3], ["sigmoid", "linear"], "half_sse", rows=4, epochs=2, batch_size=0),
], ids=["regression", "shuffled-minibatch", "full-batch"])
def test_every_granularity_visits_the_same_records_and_ends_like_the_fast_path(make):
    fast = make()
    assert fast.run() == "epochs"
    results = {}
    for granularity in GRANULARITIES:
        training = make()
        records, groups = run_stepper(training, granularity)
        assert training.status == fast.status and training.epoch == fast.epoch
        assert training.history == fast.history
        assert training.sample_losses == fast.sample_losses
        assert np.array_equal(training.network.flat_parameters(), fast.network.flat_parameters())
        results[granularity] = records
        if granularity == "factor":
            assert all(len(group) == 1 for group in groups)
        elif granularity == "phase":
            assert all(len({record.phase for record in group}) == 1 for group in groups)
        elif granularity == "stage":
            assert all(len({record.stage for record in group}) == 1 for group in groups)
        elif granularity == "sample":
            assert all(len({record.sample for record in group}) == 1 for group in groups)
        else:
            assert [group[-1].kind for group in groups] == ["epoch"] * fast.epoch
            assert [group[-1].mean_loss for group in groups] == fast.history
    assert results["factor"] == results["phase"] == results["sample"] == results["epoch"]
    assert sum(record.kind == "epoch" for record in results["factor"]) == fast.epoch


def test_invalidate_mid_sample_restarts_it_with_the_new_values():
    session = load_example("regression")
    training = session.make_training()
    stepper = Stepper(training)
    stepper.step("phase")  # the first forward phase
    stepper.step("factor")
    assert stepper.mid_batch and stepper.current.kind in ("forward", "loss")
    session.network.set("w111", 0.5)
    stepper.invalidate()
    assert not stepper.mid_batch and training.position == 0
    restarted = stepper.step("sample")
    first = restarted[0]
    assert (first.kind, first.sample, first.layer, first.neuron) == ("forward", 1, 1, 1)
    assert first.weights == (0.5, 0.1) and first.z == pytest.approx(4.8, rel=1e-15)
    # The same records as a fresh start from the edited parameters, and the same result.
    edited = load_example("regression")
    edited.network.set("w111", 0.5)
    fresh_training = edited.make_training()
    assert Stepper(fresh_training).step("sample") == restarted
    assert np.array_equal(session.network.flat_parameters(), edited.network.flat_parameters())
    assert training.position == 1


def test_a_huge_learning_rate_diverges_naming_epoch_sample_and_parameter():
    session = load_example("regression")
    session.training = session.training.with_changes(learning_rate=1e308)
    training = session.make_training()
    before = session.network.flat_parameters()
    assert training.run() == "diverged"
    # The first parameter in the order the updates are listed, last layer first.
    assert "epoch 1" in training.message and "sample 1 " in training.message and "w211" in training.message
    assert np.array_equal(session.network.flat_parameters(), before)
    assert training.summary()["stopped"] == "diverged"


def test_divergence_later_keeps_the_last_finite_parameters():
    def make():
        session = load_example("regression-ones")
        session.training = session.training.with_changes(learning_rate=0.05, epochs=50)
        return session.make_training()
    training = make()
    assert training.run() == "diverged"
    steps = len(training.sample_losses)
    assert steps > 1, "diverged on the first step: this test wants a later one"
    epoch, sample = divmod(steps, training.n_samples)
    assert f"epoch {epoch + 1} " in training.message and f"sample {sample + 1} " in training.message
    assert training.network.all_finite()
    reference = make()
    reference.run(max_steps=steps)
    assert np.array_equal(training.network.flat_parameters(), reference.network.flat_parameters())
    # The stepper stops at the same place, with the message as its last record.
    stepped = make()
    records, _ = run_stepper(stepped, "sample")
    assert records[-1].kind == "epoch" and records[-1].status == "diverged"
    assert records[-1].message == training.message
    assert np.array_equal(stepped.network.flat_parameters(), reference.network.flat_parameters())


def epoch_parameters(make, epochs: int) -> list[np.ndarray]:
    training = make(tolerance=0.0, epochs=epochs)
    snapshots = [training.network.flat_parameters()]
    for _ in range(epochs):
        training.run(max_steps=training.n_samples)
        snapshots.append(training.network.flat_parameters())
    return snapshots, training.history


def make_regression(**changes) -> Training:
    session = load_example("regression")
    session.training = session.training.with_changes(**changes)
    return session.make_training()


def test_converges_when_the_parameters_stop_moving():
    training = make_regression(tolerance=1e-3, epochs=1000, convergence="parameters")
    assert training.run() == "converged"
    stop = training.epoch
    assert 1 < stop < 1000 and f"after epoch {stop}" in training.message
    snapshots, _ = epoch_parameters(make_regression, stop)
    changes = [np.max(np.abs(after - before)) for before, after in zip(snapshots, snapshots[1:])]
    assert changes[-1] < 1e-3 and all(change >= 1e-3 for change in changes[:-1])
    assert np.array_equal(training.network.flat_parameters(), snapshots[-1])


def test_converges_when_the_epoch_loss_stops_changing():
    training = make_regression(tolerance=1e-4, epochs=1000, convergence="loss")
    assert training.run() == "converged"
    stop = training.epoch
    assert 2 < stop < 1000 and f"after epoch {stop}" in training.message
    _, history = epoch_parameters(make_regression, stop)
    assert history == training.history
    steps = [abs(b - a) for a, b in zip(history, history[1:])]
    assert steps[-1] < 1e-4 and all(step >= 1e-4 for step in steps[:-1])


def test_no_convergence_test_when_tolerance_is_zero():
    training = make_regression(tolerance=0.0, epochs=30)
    assert training.run() == "epochs" and training.epoch == 30 and training.message == "Finished 30 epochs."


def test_a_step_by_phase_reveals_a_whole_phase_of_training():
    """Forward pass, loss, backward pass (every factor and gradient), updates: four steps a sample."""
    from simulator.examples import load_example
    from simulator.stepper import Stepper
    training = load_example("regression").make_training()
    stepper = Stepper(training)
    kinds = [{record.kind for record in stepper.step("stage")} for _ in range(4)]
    assert kinds == [{"forward"}, {"loss"}, {"factor", "gradient"}, {"update"}]
    assert training.position == 1 and stepper.current.kind == "update"
    assert len([r for r in stepper.revealed if r.kind == "gradient"]) == 9


def test_a_step_by_layer_or_gradient_reveals_a_layer_or_one_gradient():
    from simulator.examples import load_example
    from simulator.stepper import Stepper
    stepper = Stepper(load_example("regression").make_training())
    assert [r.kind for r in stepper.step("phase")] == ["forward", "forward"]       # the hidden layer
    assert [r.kind for r in stepper.step("phase")] == ["forward"]                  # the output
    stepper.step("phase")                                                          # the loss
    chain = stepper.step("phase")
    assert {r.kind for r in chain} == {"factor", "gradient"} and len({r.parameter for r in chain}) == 1
