"""The engine's gradients against central finite differences, for every activation and every loss
(each pair that makes sense: softmax only at the output, cross-entropy only after softmax)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from simulator.activations import ACTIVATIONS
from simulator.losses import LOSSES
from simulator.network import Layer, Network

from helpers import flat_gradient, numeric_gradient

FD_SETTINGS = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                       suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


def random_network(rng: np.random.Generator, sizes: list[int], activations: list[str]) -> Network:
    layers = [Layer(rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out)), rng.normal(0.0, 0.5, size=n_out), act)
              for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations)]
    return Network(layers)


def random_targets(rng: np.random.Generator, loss: str, count: int, n_outputs: int) -> np.ndarray:
    if LOSSES[loss].one_hot_targets:  # one class per row
        return np.eye(n_outputs)[rng.integers(0, n_outputs, size=count)]
    if loss == "bce":  # soft and hard targets in [0, 1]
        targets = rng.uniform(0.0, 1.0, size=(count, n_outputs))
        targets[rng.uniform(size=targets.shape) < 0.3] = 1.0
        return targets
    return rng.normal(0.0, 1.5, size=(count, n_outputs))


def layer_activations(activation: str, loss: str, n_layers: int) -> list[str]:
    """`activation` everywhere, except a sigmoid output for binary cross-entropy, the output a loss
    needs (softmax for cross-entropy), and tanh in the hidden layers for an output-only activation."""
    output = LOSSES[loss].needs_activation or ("sigmoid" if loss == "bce" else activation)
    hidden = "tanh" if ACTIVATIONS[activation].over_layer else activation
    return [hidden] * (n_layers - 1) + [output]


def output_sizes(sizes: list[int], activations: list[str]) -> list[int]:
    """`sizes` with at least two outputs where the output activation is over its layer (softmax)."""
    return sizes[:-1] + [max(sizes[-1], 2)] if ACTIVATIONS[activations[-1]].over_layer else sizes


def refused(activation: str, loss: str) -> bool:
    """Pairs the engine refuses: a loss of separate yes/no outputs after softmax."""
    return (ACTIVATIONS[activation].over_layer and LOSSES[loss].needs_probabilities
            and LOSSES[loss].needs_activation != activation)


def relu_margin(network: Network, X: np.ndarray) -> float:
    """The smallest |z| of any relu neuron: finite differences are only valid away from the kink."""
    cache = network.forward(X)
    margins = [np.min(np.abs(z)) for z, layer in zip(cache.z, network.layers) if layer.activation == "relu"]
    return float(min(margins)) if margins else np.inf


def check_gradients(network: Network, X: np.ndarray, Y: np.ndarray, loss: str) -> None:
    engine = flat_gradient(network, X, Y, loss)
    numeric = numeric_gradient(network, X, Y, loss)
    scale = 1.0 + float(np.mean(network.losses(X, Y, loss)))
    assert np.any(engine != 0), "a test whose gradient is all zero checks nothing"
    np.testing.assert_allclose(engine, numeric, rtol=1e-6, atol=1e-7 * scale)


SHAPES = [[2, 2, 1], [1, 1], [3, 4, 2], [2, 3, 3, 2], [3, 2, 4, 3, 3]]
#: Every activation and loss the engine accepts together (test_engine_softmax.py checks the refusals).
PAIRS = [(activation, loss) for activation in sorted(ACTIVATIONS) for loss in sorted(LOSSES)
         if not refused(activation, loss)]


@pytest.mark.parametrize("batch", [1, 5])
@pytest.mark.parametrize("activation, loss", PAIRS)
@pytest.mark.parametrize("sizes", SHAPES, ids=lambda sizes: "-".join(map(str, sizes)))
def test_gradient_matches_finite_differences_on_fixed_shapes(sizes, activation, loss, batch):
    rng = np.random.default_rng([len(sizes), sum(sizes), batch])
    activations = layer_activations(activation, loss, len(sizes) - 1)
    sizes = output_sizes(sizes, activations)
    for _ in range(100):  # redraw until no relu sits on its kink and some gradient is non-zero
        network = random_network(rng, sizes, activations)
        X = rng.normal(0.0, 1.5, size=(batch, sizes[0]))
        Y = random_targets(rng, loss, batch, sizes[-1])
        if relu_margin(network, X) > 1e-3 and np.any(flat_gradient(network, X, Y, loss) != 0):
            break
    check_gradients(network, X, Y, loss)


@st.composite
def network_cases(draw, activation: str, loss: str, batch: int):
    n_layers = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 4)) for _ in range(n_layers)] + [draw(st.integers(1, 3))]
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    activations = layer_activations(activation, loss, n_layers)
    sizes = output_sizes(sizes, activations)
    network = random_network(rng, sizes, activations)
    X = rng.normal(0.0, 1.5, size=(batch, sizes[0]))
    Y = random_targets(rng, loss, batch, sizes[-1])
    return network, X, Y


def _fd_test(activation: str, loss: str, batch: int):
    @FD_SETTINGS
    @given(case=network_cases(activation, loss, batch))
    def run(case):
        network, X, Y = case
        assume(relu_margin(network, X) > 1e-3)
        assume(np.any(flat_gradient(network, X, Y, loss) != 0))  # e.g. every relu dead
        check_gradients(network, X, Y, loss)
    return run


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("activation, loss", PAIRS)
def test_gradient_matches_finite_differences_on_random_networks(activation, loss, batch):
    _fd_test(activation, loss, batch)()


@FD_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), loss=st.sampled_from(sorted(LOSSES)), batch=st.integers(1, 6),
       n_layers=st.integers(2, 4))
def test_gradient_with_mixed_activations(seed, loss, batch, n_layers):
    rng = np.random.default_rng(seed)
    sizes = list(rng.integers(1, 5, size=n_layers)) + [int(rng.integers(1, 4))]
    elementwise = sorted(name for name, activation in ACTIVATIONS.items() if not activation.over_layer)
    activations = list(rng.choice(elementwise, size=n_layers))
    if loss == "bce":
        activations[-1] = "sigmoid"
    activations[-1] = LOSSES[loss].needs_activation or activations[-1]
    sizes = output_sizes([int(size) for size in sizes], activations)
    network = random_network(rng, [int(size) for size in sizes], activations)
    X = rng.normal(0.0, 1.5, size=(batch, sizes[0]))
    Y = random_targets(rng, loss, batch, sizes[-1])
    assume(relu_margin(network, X) > 1e-3)
    assume(np.any(flat_gradient(network, X, Y, loss) != 0))
    check_gradients(network, X, Y, loss)


def test_batch_gradient_is_the_mean_of_the_sample_gradients():
    rng = np.random.default_rng(7)
    network = random_network(rng, [3, 4, 2], ["tanh", "sigmoid"])
    X, Y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    per_sample = [flat_gradient(network, X[i:i + 1], Y[i:i + 1], "bce") for i in range(5)]
    np.testing.assert_allclose(flat_gradient(network, X, Y, "bce"), np.mean(per_sample, axis=0),
                               rtol=1e-12, atol=1e-15)


def test_bce_gradient_is_zero_where_the_clip_is_active():
    """The exact derivative of the clipped loss: flat where ŷ is clipped."""
    network = Network([Layer([[40.0]], [0.0], "sigmoid")])  # ŷ = σ(40) rounds to 1 − 4e-18
    X, Y = np.array([[1.0]]), np.array([[0.0]])
    assert network.predict(X)[0, 0] > 1 - 1e-7
    assert np.all(flat_gradient(network, X, Y, "bce") == 0)
    assert network.losses(X, Y, "bce")[0] == pytest.approx(-np.log(1e-7), rel=1e-9)


@pytest.mark.parametrize("loss, expected", [("mse", (0.25 + 0.04) / 2), ("half_sse", 0.5 * (0.25 + 0.04)),
                                            ("bce", None)])
def test_loss_definitions_average_over_outputs(loss, expected):
    y, y_hat = np.array([[1.0, 0.0]]), np.array([[0.5, 0.2]])
    value = LOSSES[loss].value(y, y_hat)[0]
    if expected is None:
        expected = (-np.log(0.5) - np.log(0.8)) / 2
    assert value == pytest.approx(expected, rel=1e-15)
