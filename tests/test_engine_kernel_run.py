"""The per-sample kernel's `run` loop: the bits of its `step`, one sample at a time, however it is cut.

`Training.run` on a small per-sample network hands whole stretches of an epoch to the generated
`run`, which keeps the parameters in local variables and checks the result once at the end. These
tests hold it to the one-sample `step` (which the stepper's `trace` matches line for line), on every
activation and loss, in both orders, cut into budgets of any size, and through a divergence in the
middle of a stretch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.dataset import Dataset
from simulator.kernel import kernel_for
from simulator.network import Layer, Network
from simulator.training import Training, TrainingConfig

from helpers import make_training


def flat(training: Training) -> list[float]:
    return training.network.flat_parameters().tolist()


def stepped(training: Training) -> Training:
    """The same training taken one `step` (compute_batch + commit) at a time."""
    while not training.finished:
        training.step()
    return training


def assert_same_bits(left: Training, right: Training) -> None:
    assert left.status == right.status and left.message == right.message
    assert (left.epoch, left.position) == (right.epoch, right.position)
    assert flat(left) == flat(right)
    assert left.history.tolist() == right.history.tolist()
    assert left.sample_losses.tolist() == right.sample_losses.tolist()


@pytest.mark.parametrize("hidden, loss", [("tanh", "mse"), ("sigmoid", "bce"), ("relu", "half_sse"),
                                          ("linear", "mse"), ("sigmoid", "mse")])
@pytest.mark.parametrize("order", ["sequential", "shuffled"])
def test_run_gives_the_bits_of_one_step_at_a_time(hidden, loss, order):
    make = lambda: make_training(hidden, loss, rows=23, batch_size=1, epochs=4, order=order)
    run = make()
    assert run.kernel() is not None, "this test is about the kernel's loop"
    run.run()
    assert_same_bits(run, stepped(make()))


@pytest.mark.parametrize("budget", [1, 2, 7, 23, 24, 50])
def test_run_cut_into_budgets_of_any_size_gives_the_same_bits(budget):
    make = lambda: make_training("tanh", "mse", rows=23, batch_size=1, epochs=5, order="shuffled")
    whole, pieces = make(), make()
    whole.run()
    while not pieces.finished:
        pieces.run(max_steps=budget)
    assert_same_bits(whole, pieces)


def test_the_kernels_loop_and_its_step_agree_directly():
    kernel = kernel_for([3, 4, 2], ["tanh", "sigmoid"], "bce")
    rng = np.random.default_rng(3)
    parameters = rng.normal(size=(3 + 1) * 4 + (4 + 1) * 2).tolist()
    X = rng.normal(size=(9, 3)).tolist()
    Y = rng.integers(0, 2, size=(9, 2)).astype(float).tolist()
    order = [4, 0, 8, 2, 2, 7]
    losses = []
    looped = kernel.run(parameters, X, Y, order, 1, 5, 0.3, losses)
    by_step, step_losses = parameters, []
    for position in range(1, 5):
        by_step, loss = kernel.step(by_step, X[order[position]], Y[order[position]], 0.3)
        step_losses.append(loss)
    assert looped == by_step and losses == step_losses
    assert looped != parameters


def diverging(rate: float) -> Training:
    """Per-sample linear regression on rows whose last ones are huge: it diverges partway through."""
    rows = np.array([[0.1, 0.2, 1.0]] * 6 + [[1e150, 1e150, 1.0]] * 3)
    dataset = Dataset(["a", "b", "y"], rows, ["a", "b"], ["y"])
    layers = [Layer(np.full((2, 2), 0.5), np.zeros(2), "linear"), Layer(np.full((2, 1), 0.5), np.zeros(1), "linear")]
    config = TrainingConfig(learning_rate=rate, epochs=3, batch_size=1, tolerance=0.0)
    return Training(Network(layers), dataset, "mse", config)


def test_a_divergence_inside_a_stretch_stops_where_one_step_at_a_time_stops():
    run = diverging(0.01)
    assert run.run() == "diverged"
    reference = stepped(diverging(0.01))
    assert_same_bits(run, reference)
    assert 6 <= run.position < 9, "not in the stretch of huge rows: the test's data no longer does its job"
    assert f"epoch 1 at sample {run.position + 1} (row {run.position + 1})" in run.message
    assert all(math.isfinite(value) for value in flat(run))
    # Nothing of the abandoned stretch is left behind in the losses.
    assert len(run.sample_losses) == run.position
    assert all(math.isfinite(loss) for loss in run.sample_losses.tolist())


def test_a_divergence_after_several_epochs_through_budgets():
    make = lambda: make_training("linear", "mse", rows=11, batch_size=1, epochs=400, rate=0.2)
    whole, pieces = make(), make()
    assert whole.run() == "diverged"
    assert whole.epoch > 0, "diverged in the first epoch: this test wants a later one"
    while not pieces.finished:
        pieces.run(max_steps=5)
    assert_same_bits(whole, pieces)
    assert_same_bits(whole, stepped(make()))
