"""Performance regression guards: ratios between two loops timed in this process, never absolute times.

Each guard times the engine against a yardstick doing the same work on the same machine at the
same moment (the naive numpy loop of `benchmarks/engine.py`, or the engine's own general numpy
path), takes the best of a few repeats, and allows a wide margin below today's ratio, so a slow or
busy machine does not fail them but losing the kernel, or records several times slower, does.
Today's ratios are in docs/performance.md. They are benchmarks: `make perf` runs them, `make test` does not.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from simulator.stepper import build_records
from simulator.training import Training

pytestmark = pytest.mark.perf

_SPEC = importlib.util.spec_from_file_location(
    "benchmark_engine", Path(__file__).resolve().parent.parent / "benchmarks" / "engine.py")
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)


def best_time(action, repeats: int = 5) -> float:
    """The shortest of `repeats` timed runs of `action()` after a warm-up (seconds): the least
    disturbed, where the benchmark reports medians."""
    return min(bench.run_times(action, repeats))


def naive_seconds_per_update(make_training, epochs: int) -> float:
    training = make_training()
    return best_time(lambda: bench.naive_numpy_loop(training, epochs)) / (epochs * training.n_samples)


def test_the_fast_path_outruns_a_naive_numpy_loop_on_the_lecture_network():
    engine = best_time(lambda: bench.regression_training(200).run()) / (200 * 4)
    naive = naive_seconds_per_update(lambda: bench.regression_training(1), 20)
    assert naive / engine > 2.5   # about 7.8 today


def test_the_per_sample_kernel_keeps_up_with_a_naive_numpy_loop_on_a_larger_network():
    engine = best_time(lambda: bench.tanh_training(200, 1, 1).run()) / 200
    naive = naive_seconds_per_update(lambda: bench.tanh_training(200, 1, 1), 1)
    assert naive / engine > 0.3   # about 1.0 to 1.2 today


def test_the_kernel_is_many_times_faster_than_the_engines_general_numpy_path(monkeypatch):
    kernel = best_time(lambda: bench.regression_training(100).run()) / 400
    monkeypatch.setattr(Training, "kernel", lambda self: None)
    general = best_time(lambda: bench.regression_training(10).run()) / 40
    assert general / kernel > 8   # about 38 today


def test_per_sample_adam_and_momentum_stay_within_a_few_times_plain_sgd():
    sgd = best_time(lambda: bench.regression_training(200).run()) / 800
    adam = best_time(lambda: bench.regression_adam_training(200).run()) / 800
    momentum = best_time(lambda: bench.regression_adam_training(200, "sgd", momentum=0.9).run()) / 800
    assert adam / sgd < 6 and momentum / sgd < 6   # about 1.2 to 1.6 today (40 to 55 on numpy arrays)


def test_the_stepper_records_of_a_step_cost_a_bounded_multiple_of_a_naive_numpy_step():
    training = bench.regression_training(100)

    def one_step_with_records():
        batch = training.compute_batch()
        build_records(training, batch)
        training.commit(batch)

    stepper = best_time(one_step_with_records, 30)
    naive = naive_seconds_per_update(lambda: bench.regression_training(1), 20)
    assert stepper / naive < 40   # about 10 today


def test_full_batch_epochs_keep_up_with_a_plain_numpy_forward_and_backward():
    rows = 2000
    training = bench.tanh_training(rows, 1, 0)
    layers = [(layer.weights.copy(), layer.biases.copy(), layer.activation) for layer in training.network.layers]
    X, Y = training.X, training.Y

    def plain_epoch():
        outs = [X]
        for weights, biases, activation in layers:
            z = outs[-1] @ weights + biases
            outs.append(np.tanh(z) if activation == "tanh" else z)
        d_out = -2.0 * (Y - outs[-1]) / rows
        for index in range(len(layers) - 1, -1, -1):
            weights, biases, activation = layers[index]
            delta = d_out * (1.0 - outs[index + 1] ** 2) if activation == "tanh" else d_out
            d_out = delta @ weights.T
            weights -= 0.01 * (outs[index].T @ delta)
            biases -= 0.01 * delta.sum(axis=0)

    engine = best_time(lambda: bench.tanh_training(rows, 5, 0).run(), 3) / 5
    plain = best_time(plain_epoch)
    # about 1.1 today (0.7 before the fast path reused its batch buffers, which the plain loop cannot)
    assert plain / engine > 0.45


def test_a_long_history_keeps_eight_bytes_a_loss_and_reserves_at_most_twice_that():
    """Memory, as a ratio too: bytes the loss logs hold per loss they keep (deterministic, not RSS)."""
    training = bench.regression_training(50_000)
    training.run()
    logs = (training.history, training.sample_losses)
    losses = sum(len(log) for log in logs)
    assert losses == 50_000 * (1 + training.n_samples)
    assert sum(log.values.nbytes for log in logs) / losses == 8
    assert sum(log.nbytes for log in logs) / losses <= 16   # about 10.5 today, 8.4 at 1,000,000 epochs
