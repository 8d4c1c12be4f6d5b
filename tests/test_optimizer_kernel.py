"""Optimisers with state on the per-sample kernel: the update generated from each optimiser's own lines.

`Training.run` per sample hands whole stretches to a run generated from the kernel's lines and the
optimiser's `UpdateLine` expressions, its state kept in local floats. These tests hold it to the
general per-sample path (`compute_batch` + `commit`, the optimiser's step on numpy arrays, which the
stepper shows) bit for bit: parameters, losses and the optimiser's state, for every optimiser, in
both orders, cut into budgets of any size, through a divergence, from a state numpy and floats
treat differently, and for an optimiser defined in a test, proving the kernel reads the definition.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import optimizers
from simulator.optimizers import Optimizer, OptimizerRule, OptimizerState, UpdateLine
from simulator.training import Training

from helpers import make_training

OPTIMIZERS = {
    "momentum": Optimizer("sgd", momentum=0.9),
    "nesterov": Optimizer("sgd", momentum=0.8, nesterov=True),
    "decay": Optimizer("sgd", weight_decay=0.05),
    "nesterov+decay": Optimizer("sgd", momentum=0.5, nesterov=True, weight_decay=0.01),
    "rmsprop": Optimizer("rmsprop"),
    "rmsprop+decay": Optimizer("rmsprop", alpha=0.9, eps=1e-6, weight_decay=0.02),
    "adam": Optimizer("adam"),
    "adam+decay": Optimizer("adam", beta1=0.8, beta2=0.99, eps=1e-7, weight_decay=0.01),
}


def with_optimizer(training: Training, optimizer: Optimizer) -> Training:
    training.config = training.config.with_changes(optimizer=optimizer)
    return training


def stepped(training: Training) -> Training:
    """The same training taken one `step` (compute_batch + commit) at a time."""
    while not training.finished:
        training.step()
    return training


def fast(training: Training, monkeypatch, max_steps: int | None = None) -> Training:
    """`training.run` through the generated run: the general per-sample path is refused meanwhile."""
    def refused(self, kernel, indices):
        raise AssertionError("the run left the generated kernel for the general per-sample path")

    with monkeypatch.context() as patch:
        patch.setattr(Training, "_kernel_batch", refused)
        if max_steps is None:
            training.run()
        else:
            while not training.finished:
                training.run(max_steps=max_steps)
    return training


def assert_same_bits(left: Training, right: Training) -> None:
    assert left.status == right.status and left.message == right.message
    assert (left.epoch, left.position, left.batches) == (right.epoch, right.position, right.batches)
    assert left.network.flat_parameters().tolist() == right.network.flat_parameters().tolist()
    assert left.history.tolist() == right.history.tolist()
    assert left.sample_losses.tolist() == right.sample_losses.tolist()
    assert left.optimizer_state.same_as(right.optimizer_state)


@pytest.mark.parametrize("kind", OPTIMIZERS)
@pytest.mark.parametrize("hidden, loss, order", [("tanh", "mse", "shuffled"), ("sigmoid", "bce", "sequential"),
                                                 ("relu", "half_sse", "shuffled")])
def test_the_generated_run_gives_the_bits_of_the_general_path(kind, hidden, loss, order, monkeypatch):
    make = lambda: with_optimizer(make_training(hidden, loss, rows=13, batch_size=1, epochs=3, order=order),
                                  OPTIMIZERS[kind])
    run = fast(make(), monkeypatch)
    assert run.optimizer_state.t == 39 and run.optimizer_state.name == OPTIMIZERS[kind].name
    assert_same_bits(run, stepped(make()))


@pytest.mark.parametrize("budget", [1, 5, 13, 14, 40])
def test_cut_into_budgets_of_any_size_the_state_carries_over_exactly(budget, monkeypatch):
    make = lambda: with_optimizer(make_training("tanh", "mse", rows=13, batch_size=1, epochs=3, order="shuffled"),
                                  OPTIMIZERS["adam+decay"])
    assert_same_bits(fast(make(), monkeypatch, budget), stepped(make()))


def test_no_step_leaves_no_state():
    training = with_optimizer(make_training("tanh", "mse", rows=5, batch_size=1), OPTIMIZERS["adam"])
    training.run(max_steps=0)
    assert training.optimizer_state is None and training.at_start


def test_a_divergence_stops_where_one_step_at_a_time_stops():
    make = lambda: with_optimizer(make_training("linear", "mse", rows=11, batch_size=1, epochs=400, rate=0.2),
                                  OPTIMIZERS["momentum"])
    whole, pieces = make(), make()
    assert whole.run() == "diverged"
    while not pieces.finished:
        pieces.run(max_steps=7)
    reference = stepped(make())
    assert_same_bits(whole, reference)
    assert_same_bits(pieces, reference)
    assert all(math.isfinite(value) for value in whole.network.flat_parameters())


def test_a_state_that_floats_refuse_takes_the_general_path_and_its_numbers():
    # A saved s below zero: numpy's √ gives NaN where math.sqrt raises; the run must give numpy's.
    def make():
        training = with_optimizer(make_training("tanh", "mse", rows=7, batch_size=1, epochs=2), OPTIMIZERS["rmsprop"])
        size = training.network.parameter_count()
        training.optimizer_state = OptimizerState("rmsprop", 4, (("s", np.full(size, -1.0)),))
        return training

    run = make()
    assert run.run() == "diverged"
    assert_same_bits(run, stepped(make()))


def test_an_optimizer_defined_once_is_generated_from_its_own_lines(monkeypatch):
    def halving(opt, rate, power):
        return ((UpdateLine("a ← a/2 + g", "{0}/2 + {1}", ("a_old", "g"), "a", "a_old / 2 + g"),),
                UpdateLine("{p} ← {p} − η·a/(1 + √(a²))", "", ("w", rate, "a"), "new",
                           "w - rate * a / (1 + sqrt(a * a + t))"))

    monkeypatch.setitem(optimizers.RULES, "halving", OptimizerRule("halving", "Halving", ("weight_decay",), ("a",),
                                                                   halving))
    make = lambda: with_optimizer(make_training("tanh", "mse", rows=9, batch_size=1, epochs=2, order="shuffled"),
                                  Optimizer("halving", weight_decay=0.01))
    run = fast(make(), monkeypatch)
    reference = stepped(make())
    assert_same_bits(run, reference)
    assert run.optimizer_state.name == "halving" and run.optimizer_state.t == 18
    assert run.network.flat_parameters().tolist() != make().network.flat_parameters().tolist()
