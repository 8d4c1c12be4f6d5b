"""Full batch split into blocks of rows on several threads: the same bits as one plain pass.

`Network.forward` and `backward` compute the row-wise work of a large batch (z + b, o = f(z), ∂o/∂z,
∂L/∂z) in blocks of rows at once (`simulator/row_blocks.py`). These tests hold every array of a
split pass to a plain numpy pass over the whole arrays, for tanh, sigmoid, relu and softmax networks,
and check that the blocks really were split, keep numpy's error state, and report their errors.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from simulator import row_blocks
from simulator.activations import get_activation
from simulator.losses import get_loss
from simulator.network import Layer, Network

from helpers import make_training

ROWS = 10_000


@pytest.fixture
def threads():
    """Set the number of threads for one test; the machine's own count comes back after it."""
    before = row_blocks.thread_count()
    yield row_blocks.set_thread_count
    row_blocks.set_thread_count(before)


def random_case(sizes, activations, loss, seed=3):
    rng = np.random.default_rng(seed)
    layers = [Layer(rng.normal(0, 1.5 / np.sqrt(n_in), (n_in, n_out)), rng.normal(0, 0.3, n_out), activation)
              for n_in, n_out, activation in zip(sizes[:-1], sizes[1:], activations)]
    X = rng.uniform(-3, 3, (ROWS, sizes[0]))
    if loss == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], ROWS)]
    elif loss == "bce":
        Y = (rng.uniform(size=(ROWS, sizes[-1])) > 0.5).astype(float)
    else:
        Y = rng.normal(size=(ROWS, sizes[-1]))
    return Network(layers), X, Y


def plain_pass(network: Network, X: np.ndarray, Y: np.ndarray, loss_name: str) -> dict[str, list[np.ndarray]]:
    """One whole-array numpy call per operation, fresh arrays, the documented order."""
    loss = get_loss(loss_name)
    zs, outs = [], [X]
    for layer in network.layers:
        z = np.matmul(outs[-1], layer.weights)
        z = np.add(z, layer.biases)
        zs.append(z)
        outs.append(get_activation(layer.activation).function(z))
    d_out = loss.gradient(Y, outs[-1])
    arrays = {"z": zs, "out": outs[1:], "act_grad": [], "delta": [], "grad_weights": [], "grad_biases": []}
    for index in range(len(network.layers) - 1, -1, -1):
        layer = network.layers[index]
        activation = get_activation(layer.activation)
        act_grad = activation.gradient(zs[index], outs[index + 1])
        if index == len(network.layers) - 1 and loss.gradient_of_z is not None \
                and loss.simplifies_with == activation.name:
            delta = loss.gradient_of_z(Y, outs[-1])
        elif activation.over_layer:
            delta = np.empty_like(act_grad)
            activation.vector_jacobian_into(zs[index], outs[index + 1], d_out, delta)
        else:
            delta = d_out * act_grad
        arrays["act_grad"].insert(0, act_grad)
        arrays["delta"].insert(0, delta)
        arrays["grad_weights"].insert(0, outs[index].T @ delta / ROWS)
        arrays["grad_biases"].insert(0, delta.sum(axis=0) / ROWS)
        d_out = delta @ layer.weights.T
    return arrays


CASES = [
    ((2, 16, 16, 1), ["tanh", "tanh", "linear"], "mse"),
    ((2, 16, 16, 1), ["sigmoid", "sigmoid", "sigmoid"], "bce"),
    ((3, 16, 8, 1), ["relu", "tanh", "linear"], "half_sse"),
    ((2, 16, 16, 3), ["tanh", "sigmoid", "softmax"], "cross_entropy"),
    ((2, 16, 16, 3), ["tanh", "tanh", "softmax"], "mse"),        # softmax's Jacobian-vector product
]


@pytest.mark.parametrize("sizes, activations, loss", CASES, ids=[f"{case[1][-1]}-{case[2]}" for case in CASES])
@pytest.mark.parametrize("count, block_values", [(2, 16_384), (3, 1_000), (4, 70_000)])
def test_a_batch_split_into_row_blocks_gives_the_bits_of_one_plain_pass(threads, monkeypatch, sizes, activations,
                                                                        loss, count, block_values):
    network, X, Y = random_case(sizes, activations, loss)
    threads(count)
    monkeypatch.setattr(row_blocks, "MIN_BLOCK_VALUES", block_values)
    assert len(row_blocks.row_slices(ROWS, 16)) > 1, "the batch was not split"
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        expected = plain_pass(network, X, Y, loss)
    forward = network.forward(X)
    backward = network.backward(forward, Y, loss)
    got = {"z": forward.z, "out": forward.out, "act_grad": backward.act_grad, "delta": backward.delta,
           "grad_weights": backward.grad_weights, "grad_biases": backward.grad_biases}
    for name, arrays in expected.items():
        for layer, (want, have) in enumerate(zip(arrays, got[name]), start=1):
            assert have.shape == want.shape
            differing = np.count_nonzero(want.view(np.int64) != have.view(np.int64))
            assert differing == 0, f"{name} of layer {layer}: {differing} values differ in their bits"


def test_a_full_batch_run_on_blocks_gives_the_bits_of_a_run_on_one_thread(threads):
    histories, parameters = [], []
    for count in (1, 2):
        threads(count)
        training = make_training(rows=ROWS, sizes=(2, 16, 16, 1), epochs=3, rate=0.05)
        training.run()
        histories.append(training.history.tolist() + training.sample_losses.tolist())
        parameters.append(training.network.flat_parameters())
    assert histories[0] == histories[1]
    assert parameters[0].tobytes() == parameters[1].tobytes()


def test_small_batches_stay_on_the_calling_thread():
    assert row_blocks.row_slices(4, 16) == [slice(0, 4)]
    assert row_blocks.row_slices(1, 10_000) == [slice(0, 1)]
    assert len(row_blocks.row_slices(row_blocks.MIN_BLOCK_VALUES // 16 - 1, 16)) == 1


def test_blocks_cover_every_row_once():
    slices = row_blocks.row_slices(10_001, 16)
    assert [part.start for part in slices[1:]] == [part.stop for part in slices[:-1]]
    assert slices[0].start == 0 and slices[-1].stop == 10_001
    assert len(slices) == 10_001 * 16 // row_blocks.MIN_BLOCK_VALUES


def test_every_block_is_done_once_whichever_thread_takes_it(threads):
    threads(4)
    values = np.zeros((ROWS, 16))
    rows_done = []

    def add_one(block):
        rows_done.append(block.shape[0])
        block += 1.0

    for _ in range(20):
        row_blocks.in_row_blocks(add_one, (values,))
    assert (values == 20.0).all()
    assert sorted(rows_done) == sorted(20 * [part.stop - part.start for part in row_blocks.row_slices(ROWS, 16)])


def test_a_helper_thread_works_under_the_callers_error_state(threads):
    """The first two blocks wait for each other, so that a second thread surely does one: its overflow
    is ignored as the caller asks (a warning would be an error under the test settings)."""
    threads(2)
    values = np.full((ROWS, 16), 1e308)
    both = threading.Barrier(2, timeout=10)
    threads_seen = set()

    def overflow(block):
        if len(threads_seen) < 2:
            threads_seen.add(threading.get_ident())
            both.wait()
        np.multiply(block, 10.0, out=block)

    with np.errstate(over="ignore"):
        row_blocks.in_row_blocks(overflow, (values,))
    assert len(threads_seen) == 2 and np.isinf(values).all()


def test_the_blocks_keep_the_callers_error_state(threads):
    """z + b overflows in every block of a diverging batch: ignored there as on the calling thread (no
    warning, which the test settings would turn into an error)."""
    threads(2)
    network = Network([Layer(np.full((2, 16), 1e308), np.full(16, 1e308), "linear"),
                       Layer(np.ones((16, 1)), np.zeros(1), "tanh")])
    forward = network.forward(np.full((ROWS, 2), 0.5))
    assert np.isinf(forward.z[0]).all()
    assert (forward.out[1] == 1.0).all()


def test_an_error_in_any_block_is_raised_to_the_caller(threads):
    threads(2)
    values = np.zeros((ROWS, 16))

    def fail_in_the_last_rows(block):
        if block.base is values and np.shares_memory(block, values[-1]):
            raise FloatingPointError("the last block")
        block += 1.0

    with pytest.raises(FloatingPointError, match="the last block"):
        row_blocks.in_row_blocks(fail_in_the_last_rows, (values,))
    last = row_blocks.row_slices(ROWS, 16)[-1]
    assert (values[:last.start] == 1.0).all() and (values[last] == 0.0).all()   # every other block was done


@pytest.mark.perf
def test_full_batch_on_the_machines_threads_keeps_up_with_one_thread(threads):
    """Best of several epochs each way, alternately: the blocks may gain nothing on a busy machine, but
    must not lose much either (a helper thread without a core leaves its blocks to the caller). About 1
    to 1.2 on a busy machine; a helper that made the caller wait for it would take it far lower."""
    many, one = [], []
    cores = row_blocks.thread_count()
    training = make_training(rows=ROWS, sizes=(2, 16, 16, 1), epochs=1_000, rate=0.01)
    training.run(2)
    for _ in range(15):
        for count, times in ((cores, many), (1, one)):
            threads(count)
            start = time.perf_counter()
            training.run(2)
            times.append(time.perf_counter() - start)
    assert min(one) / min(many) > 0.6, f"{min(one) / min(many):.2f}"
