"""The fast path's reused batch buffers: the same bits as a plain computation, and nothing kept aliases them.

`Training.run` with a batch of more than one row (or no kernel) writes every forward and backward
array into buffers made once per batch shape. These tests hold it to a straightforward numpy
computation written out here (fresh arrays everywhere, the documented operations in their order), to
the step-by-step path the stepper uses, and check that results the stepper keeps never share memory
with anything computed later.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from simulator.activations import get_activation
from simulator.losses import get_loss
from simulator.training import Training

from helpers import make_training


def reference_run(training: Training) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[float], list[float]]:
    """Plain numpy, fresh arrays everywhere: z = a·W + b, o = f(z); δ = ∂L/∂o · f′; mean gradients."""
    params = [(layer.weights.copy(), layer.biases.copy(), get_activation(layer.activation))
              for layer in training.network.layers]
    loss = get_loss(training.loss.name)
    rate, size = training.config.learning_rate, training.batch_size
    history, sample_losses = [], []
    for epoch in range(training.config.epochs):
        order = (np.random.default_rng([training.config.seed, epoch]).permutation(training.n_samples)
                 if training.config.order == "shuffled" else np.arange(training.n_samples))
        epoch_losses = []
        for start in range(0, len(order), size):
            rows = order[start:start + size]
            X, Y = training.X[rows], training.Y[rows]
            outs, zs = [X], []
            for weights, biases, activation in params:
                z = outs[-1] @ weights + biases
                zs.append(z)
                outs.append(activation.function(z))
            d_out = loss.gradient(Y, outs[-1])
            grads = [None] * len(params)
            for index in range(len(params) - 1, -1, -1):
                weights, biases, activation = params[index]
                delta = d_out * activation.gradient(zs[index], outs[index + 1])
                grad_w, grad_b = outs[index].T @ delta, delta.sum(axis=0)
                if len(rows) != 1:
                    grad_w, grad_b = grad_w / len(rows), grad_b / len(rows)
                grads[index] = (grad_w, grad_b)
                if index > 0:
                    d_out = delta @ weights.T
            losses = loss.value(Y, outs[-1]).tolist()
            epoch_losses += losses
            sample_losses += losses
            params = [(weights - rate * grad_w, biases - rate * grad_b, activation)
                      for (weights, biases, activation), (grad_w, grad_b) in zip(params, grads)]
        history.append(math.fsum(epoch_losses) / len(epoch_losses))
    return [(weights, biases) for weights, biases, _ in params], history, sample_losses


def assert_same_bits(training: Training, expected) -> None:
    parameters, history, sample_losses = expected
    for layer, (weights, biases) in zip(training.network.layers, parameters):
        assert np.array_equal(layer.weights, weights) and np.array_equal(layer.biases, biases)
    assert training.history.tolist() == history
    assert training.sample_losses.tolist() == sample_losses


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("loss", ["mse", "half_sse", "bce"])
@pytest.mark.parametrize("batch_size, order", [(0, "sequential"), (0, "shuffled"), (7, "shuffled"),
                                               (16, "sequential")])
def test_a_buffered_run_gives_the_bits_of_a_plain_computation(hidden, loss, batch_size, order):
    training = make_training(hidden, loss, batch_size=batch_size, order=order)
    expected = reference_run(training)
    assert training.run() == "epochs"
    assert training._buffers, "the run did not go through the reused buffers"
    assert_same_bits(training, expected)


def test_the_tanh_benchmark_network_on_many_rows_gives_the_same_bits_run_or_stepped():
    run = make_training(rows=3000, sizes=(2, 16, 16, 1), epochs=4, rate=0.05)
    stepped = make_training(rows=3000, sizes=(2, 16, 16, 1), epochs=4, rate=0.05)
    expected = reference_run(run)
    run.run(max_steps=1)             # stopping and going on keeps the buffers and the numbers
    run.run()
    while not stepped.finished:
        stepped.step()               # compute_batch + commit: the stepper's path, fresh arrays
    assert_same_bits(run, expected)
    assert_same_bits(stepped, expected)


def test_the_in_place_update_rule_also_gives_the_same_bits_run_or_stepped():
    run = make_training(batch_size=8, update_rule="in_place")
    stepped = make_training(batch_size=8, update_rule="in_place")
    run.run()
    while not stepped.finished:
        stepped.step()
    for a, b in zip(run.network.layers, stepped.network.layers):
        assert np.array_equal(a.weights, b.weights) and np.array_equal(a.biases, b.biases)
    assert run.history.tolist() == stepped.history.tolist()


def result_arrays(result) -> list[np.ndarray]:
    forward, backward = result.forward, result.backward
    arrays = [result.losses, *forward.inputs, *forward.z, *forward.out, *backward.d_out, *backward.act_grad,
              *backward.delta, *backward.grad_weights, *backward.grad_biases]
    for weights, biases in result.new_parameters:
        arrays += [weights, biases]
    return arrays


@pytest.mark.parametrize("batch_size", [0, 8])
def test_batch_results_kept_from_consecutive_batches_share_no_memory(batch_size):
    training = make_training(batch_size=batch_size)
    first = training.step()
    second = training.step()
    kept = [array.copy() for array in result_arrays(first)]
    for a in result_arrays(first):
        for b in result_arrays(second):
            assert not np.shares_memory(a, b)
        for layer in training.network.layers:
            assert not np.shares_memory(a, layer.weights) and not np.shares_memory(a, layer.biases)
    # A fast run in between writes its buffers; what the stepper kept does not move.
    training.run(max_steps=3)
    assert training._buffers
    for a in result_arrays(first) + result_arrays(second):
        for buffers in training._buffers.values():
            for buffer in vars(buffers).values():
                if isinstance(buffer, list):
                    assert not any(np.shares_memory(a, part) for part in buffer if part is not None)
    assert all(np.array_equal(a, b) for a, b in zip(result_arrays(first), kept))


@pytest.mark.perf
def test_a_full_batch_epoch_allocates_almost_nothing_once_its_buffers_exist():
    training = make_training(rows=10_000, sizes=(2, 16, 16, 1), epochs=10, rate=0.01)
    training.run(max_steps=2)
    for log in (training.history, training.sample_losses):   # room, so that the logs' growth is not counted
        length = len(log)
        log.extend(np.zeros(100_000))
        log.truncate(length)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        training.run(max_steps=3)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    # One (10,000 × 16) temporary alone is 1.28 MB (an epoch used to make a dozen): what is left is
    # the 10,000 sample losses, as an array and as the list of floats the epoch's mean is summed from.
    assert peak < 1_000_000, peak
