"""A new activation and a new loss are one definition each: registered here, in this file only,
they go through every path of the engine.

The toy activation is the softsign o = z/(1 + |z|), f′(z) = 1/(1 + |z|)²; the toy loss is the mean
fourth power L = (y − ŷ)⁴, ∂L/∂ŷ = −4(y − ŷ)³. Both are registered by fixtures that unregister them
afterwards, so no other test sees them.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from simulator import cli
from simulator.activations import (ACTIVATIONS, Activation, get_activation, register_activation,
                                   unregister_activation)
from simulator.dataset import Dataset
from simulator.errors import ConfigError
from simulator.formatting import MINUS, record_lines
from simulator.losses import LOSSES, Loss, get_loss, register_loss, unregister_loss
from simulator.network import Layer, Network
from simulator.records import FactorRecord, ForwardRecord, GradientRecord, LossRecord
from simulator.session import Session, load
from simulator.stepper import Stepper
from simulator.training import Training, TrainingConfig

from helpers import flat_gradient, numeric_gradient


# -- the toy definitions -------------------------------------------------------------------------
def _softsign_into(z, out, scratch, mask):
    np.abs(z, out=out)
    np.add(1.0, out, out=out)
    np.divide(z, out, out=out)


def _softsign_grad_into(z, a, out):
    np.abs(z, out=out)
    np.add(1.0, out, out=out)
    np.multiply(out, out, out=out)
    np.divide(1.0, out, out=out)


def softsign_definition(kernel: bool = True) -> Activation:
    return Activation(
        "softsign", "Softsign", _softsign_into, _softsign_grad_into, "o = z/(1 + |z|)", applied="softsign({0})",
        factor="1/(1 + |{z}|)²",
        kernel_lines=("{o} = {z} / (1.0 + abs({z}))", "{g} = 1.0 / ((1.0 + abs({z})) * (1.0 + abs({z})))")
        if kernel else None,
        torch_function=lambda torch: torch.nn.functional.softsign, output_range=(-1.0, 1.0))


def _quartic(y, y_hat):
    r = y - y_hat
    return np.mean(r * r * r * r, axis=-1)


def _quartic_grad(y, y_hat):
    r = y - y_hat
    return -4.0 * (r * r * r) / y.shape[-1]


def _quartic_kernel(m, y_hat):
    lines = [f"r{k} = y{k} - {y_hat[k]}" for k in range(m)]
    lines.append("L = (" + " + ".join(f"r{k} * r{k} * r{k} * r{k}" for k in range(m)) + f") / {m}.0")
    return lines + [f"d{k} = -4.0 * (r{k} * r{k} * r{k}) / {m}.0" for k in range(m)]


def quartic_definition() -> Loss:
    return Loss(
        "quartic", "mean fourth power", "Mean fourth power", _quartic, _quartic_grad, term="({0} − {1})⁴",
        derivative="−4({0} − {1})³", derivative_of_many="−(4/{m})({0} − {1})³", kernel_lines=_quartic_kernel,
        torch_losses=lambda torch: lambda y_hat, y: ((y - y_hat) ** 4).mean(dim=1))


@pytest.fixture
def softsign():
    activation = register_activation(softsign_definition())
    yield activation
    unregister_activation(activation.name)


@pytest.fixture
def quartic():
    loss = register_loss(quartic_definition())
    yield loss
    unregister_loss(loss.name)


@pytest.fixture
def numpy_only_softsign():
    """The softsign without kernel lines, under its own name: networks using it train through numpy."""
    activation = register_activation(dataclasses.replace(softsign_definition(kernel=False), name="softsign_np"))
    yield activation
    unregister_activation(activation.name)


# -- helpers -------------------------------------------------------------------------------------
def make_training(hidden: str, loss: str, batch_size: int = 1, epochs: int = 4, output: str = "linear",
                  sizes=(2, 4, 3, 2), rows: int = 17, order: str = "shuffled") -> Training:
    rng = np.random.default_rng(11)
    activations = [hidden] * (len(sizes) - 2) + [output]
    layers = [Layer(rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)), rng.normal(0, 0.2, n_out), activation)
              for n_in, n_out, activation in zip(sizes[:-1], sizes[1:], activations)]
    X = rng.uniform(-2, 2, (rows, sizes[0]))
    Y = np.hstack([np.sin(X[:, :1]), 0.5 * X[:, 1:2]])[:, :sizes[-1]]
    inputs, targets = [f"x{i + 1}" for i in range(sizes[0])], [f"y{k + 1}" for k in range(sizes[-1])]
    dataset = Dataset(inputs + targets, np.hstack([X, Y]), inputs, targets)
    config = TrainingConfig(learning_rate=0.05, epochs=epochs, batch_size=batch_size, order=order)
    return Training(Network(layers), dataset, loss, config)


def lecture_like_session() -> Session:
    """2-2-1, every weight 0.1 and every bias 0, softsign hidden, linear output, the quartic loss;
    one row x = (1, 2), y = 1."""
    layers = [Layer(np.full((2, 2), 0.1), np.zeros(2), "softsign"), Layer(np.full((2, 1), 0.1), np.zeros(1))]
    dataset = Dataset(["x1", "x2", "y"], np.array([[1.0, 2.0, 1.0], [0.5, -1.0, 0.0]]), ["x1", "x2"], ["y"])
    return Session(Network(layers), "quartic", TrainingConfig(learning_rate=0.01, epochs=3), dataset,
                   title="softsign and quartic")


def state(training: Training) -> tuple:
    return (training.network.flat_parameters().tolist(), training.history.tolist(),
            training.sample_losses.tolist())


# -- registration --------------------------------------------------------------------------------
def test_a_registered_definition_is_known_by_name_and_forgotten_when_unregistered():
    assert "softsign" not in ACTIVATIONS and "quartic" not in LOSSES
    register_activation(softsign_definition())
    register_loss(quartic_definition())
    try:
        assert get_activation("softsign").label == "Softsign" and get_loss("quartic").title == "mean fourth power"
        with pytest.raises(ConfigError, match="already registered"):
            register_activation(softsign_definition())
        with pytest.raises(ConfigError, match="already registered"):
            register_loss(quartic_definition())
    finally:
        unregister_activation("softsign")
        unregister_loss("quartic")
    with pytest.raises(ConfigError, match="unknown activation 'softsign'"):
        get_activation("softsign")
    with pytest.raises(ConfigError, match="unknown loss 'quartic'"):
        get_loss("quartic")


def test_kernel_lines_may_name_only_z_o_and_g():
    bad = dataclasses.replace(softsign_definition(), kernel_lines=("{o} = {x}", "{g} = 1.0"))
    with pytest.raises(ConfigError, match="kernel lines"):
        register_activation(bad)
    assert "softsign" not in ACTIVATIONS


def test_the_derived_texts_come_from_the_one_definition(softsign, quartic):
    assert softsign.derivative_formula == "1/(1 + |z|)²"
    assert softsign.factor_template("z11", "o11") == ("1/(1 + |{0}|)²", ("z11",))
    assert quartic.formula == "L = (y − ŷ)⁴" and quartic.derivative_formula == "−4(y − ŷ)³"
    assert quartic.formula_for(2) == "L = (1/2)·Σₖ (yₖ − ŷₖ)⁴"
    assert quartic.factor_template(3) == "−(4/3)({0} − {1})³"


def test_a_loss_of_probabilities_asks_the_activations_output_range(softsign):
    network = Network([Layer(np.ones((1, 1)), np.zeros(1), "softsign")])
    dataset = Dataset(["x", "y"], np.array([[1.0, 1.0]]), ["x"], ["y"])
    with pytest.raises(ConfigError, match="give the output layer a sigmoid activation \\(it is softsign\\)"):
        Training(network, dataset, "bce")


# -- the fast path ---------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["quartic", "mse"])
def test_the_kernel_and_the_numpy_path_train_the_toy_alike(softsign, quartic, numpy_only_softsign, loss):
    """The kernel's run, one kernel step at a time and the numpy path (the same definition without
    kernel lines). The kernel and numpy sum a neuron's inputs in their own orders, so those two agree
    to rounding; the kernel's run and its steps agree to the bit."""
    kernel_run = make_training("softsign", loss)
    assert kernel_run.kernel() is not None, "this test is about the generated kernel"
    assert "softsign" in kernel_run.kernel().activations
    kernel_run.run()
    stepped = make_training("softsign", loss)
    while not stepped.finished:
        stepped.step()
    assert state(kernel_run) == state(stepped)
    numpy_run = make_training("softsign_np", loss)
    assert numpy_run.kernel() is None, "without kernel lines the network must train through numpy"
    numpy_run.run()
    for kernel_values, numpy_values in zip(state(kernel_run), state(numpy_run)):
        np.testing.assert_allclose(kernel_values, numpy_values, rtol=1e-12, atol=1e-15)
    assert state(kernel_run) != state(make_training("softsign", loss)), "the run trained nothing"


def kernel_values(activation: Activation, z: float) -> tuple[float, float]:
    """o and f′(z) as the activation's kernel lines compute them."""
    namespace = {**activation.kernel_names, "z": z}
    exec("\n".join(activation.kernel_source("z", "o", "g")), namespace)
    return namespace["o"], namespace["g"]


@pytest.mark.parametrize("name", ["softsign", "linear", "sigmoid", "tanh", "relu"])
def test_kernel_lines_compute_what_the_numpy_functions_do(softsign, name):
    """f(z) agrees to rounding (the kernel calls the math module's exp and tanh, numpy its own; the
    toy is plain arithmetic and agrees to the bit), and f′ from the kernel's own o is the numpy
    derivative's arithmetic, bit for bit."""
    activation = get_activation(name)
    z = np.concatenate([np.random.default_rng(3).normal(0, 4, 500), [0.0, -0.0, 1e-300, -40.0, 40.0, 800.0]])
    o = activation.function(z)
    kernel_o, kernel_g = np.array([kernel_values(activation, value) for value in z.tolist()]).T
    np.testing.assert_allclose(kernel_o, o, rtol=1e-15, atol=0)
    assert kernel_g.tolist() == activation.gradient(z, kernel_o).tolist()
    if name == "softsign":
        assert kernel_o.tolist() == o.tolist()


def plain_numpy_run(training: Training) -> tuple:
    """Full-batch training written out here with the softsign and the quartic loss spelled out."""
    params = [(layer.weights.copy(), layer.biases.copy(), layer.activation) for layer in training.network.layers]
    X, Y, rate = training.X, training.Y, training.config.learning_rate
    history = []
    for _ in range(training.config.epochs):
        outs, zs = [X], []
        for weights, biases, activation in params:
            z = outs[-1] @ weights + biases
            zs.append(z)
            outs.append(z / (1.0 + np.abs(z)) if activation == "softsign" else z)
        r = Y - outs[-1]
        history.append(float(np.mean(np.mean(r ** 4, axis=1))))
        d_out = -4.0 * r ** 3 / Y.shape[1]
        grads = []
        for index in range(len(params) - 1, -1, -1):
            weights, _, activation = params[index]
            slope = 1.0 / (1.0 + np.abs(zs[index])) ** 2 if activation == "softsign" else 1.0
            delta = d_out * slope
            grads.insert(0, (outs[index].T @ delta / len(X), delta.mean(axis=0)))
            d_out = delta @ weights.T
        params = [(w - rate * gw, b - rate * gb, a) for (w, b, a), (gw, gb) in zip(params, grads)]
    flat = np.concatenate([np.vstack([w, b[None, :]]).T.ravel() for w, b, _ in params])
    return flat, history


def test_a_full_batch_run_matches_a_plain_numpy_calculation(softsign, quartic):
    training = make_training("softsign", "quartic", batch_size=0, epochs=6, order="sequential")
    expected_parameters, expected_history = plain_numpy_run(training)
    assert training.run() == "epochs"
    assert training._buffers, "the run did not go through the reused batch buffers"
    np.testing.assert_allclose(training.network.flat_parameters(), expected_parameters, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(training.history.tolist(), expected_history, rtol=1e-13)


# -- the phase stepper, trace and the worked solution ----------------------------------------------
def test_the_stepper_shows_the_toys_formulas_with_the_engines_numbers(softsign, quartic):
    training = lecture_like_session().make_training()
    records = Stepper(training).step("sample")
    forward = [record for record in records if isinstance(record, ForwardRecord)]
    assert forward[0].activation == "softsign"
    assert record_lines(forward[0]) == ["z11 = w111·x1 + w121·x2 + b11 = 0.1·1 + 0.1·2 + 0 = 0.3",
                                        "o11 = softsign(z11) = softsign(0.3) = 0.230769"]
    assert record_lines(forward[-1])[1] == "ŷ = z21 = 0.0461538"
    loss = next(record for record in records if isinstance(record, LossRecord))
    assert record_lines(loss) == ["L = (y − ŷ)⁴ = (1 − 0.0461538)⁴ = 0.827777"]
    assert loss.value == pytest.approx((1 - 0.6 / 13) ** 4, rel=1e-15)
    chain = next(record for record in records if isinstance(record, GradientRecord) and record.parameter == "w111")
    lines = [record_lines(factor)[0] for factor in chain.factors]
    assert lines[0] == f"∂L/∂ŷ = −4(y − ŷ)³ = −4(1 − 0.0461538)³ = {MINUS}3.47132"
    assert lines[3] == "∂o11/∂z11 = 1/(1 + |z11|)² = 1/(1 + |0.3|)² = 0.591716"
    assert chain.factors[3].value == pytest.approx(1 / 1.3 ** 2, rel=1e-15)
    assert record_lines(chain) == [f"{chain.chain} = ({MINUS}3.47132)·1·0.1·0.591716·1 = {MINUS}0.205404"]
    assert all(isinstance(factor, FactorRecord) for factor in chain.factors)


def test_trace_prints_the_toys_hand_calculation(softsign, quartic, tmp_path, capsys):
    path = tmp_path / "toy.json"
    lecture_like_session().save(path)
    assert load(path).network.layers[0].activation == "softsign"
    markdown = tmp_path / "worked.md"
    assert cli.main(["trace", "--session", str(path), "--markdown", str(markdown)]) == 0
    printed = capsys.readouterr().out
    assert "o11 = softsign(z11) = softsign(0.3) = 0.230769" in printed
    assert "∂o11/∂z11 = 1/(1 + |z11|)² = 1/(1 + |0.3|)² = 0.591716" in printed
    assert "L = (y − ŷ)⁴ = (1 − 0.0461538)⁴ = 0.827777" in printed
    worked = markdown.read_text(encoding="utf-8")
    assert "softsign(0.3)" in worked and "(1 − 0.0461538)⁴" in worked
    assert cli.main(["trace", "--session", str(path), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [record["activation"] for record in records if record["kind"] == "forward"] == ["softsign"] * 2 + ["linear"]


# -- independent truths: finite differences and PyTorch ----------------------------------------------
@pytest.mark.parametrize("loss", ["quartic", "mse"])
@pytest.mark.parametrize("output", ["softsign", "linear"])
def test_the_gradients_match_finite_differences(softsign, quartic, loss, output):
    training = make_training("softsign", loss, output=output, sizes=(3, 4, 2), rows=5)
    network, X, Y = training.network, training.X, training.Y
    engine = flat_gradient(network, X, Y, loss)
    numeric = numeric_gradient(network, X, Y, loss)
    assert np.any(engine != 0)
    np.testing.assert_allclose(engine, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("batch_size", [1, 0])
def test_pytorch_trains_the_toys_to_the_same_numbers(softsign, quartic, batch_size):
    pytest.importorskip("torch", reason="PyTorch is not installed (pip install -e '.[reference]')")
    from simulator.reference import compare_with_torch
    training = make_training("softsign", "quartic", batch_size=batch_size, output="softsign")
    session = Session(training.network, "quartic", training.config, training.dataset)
    result = compare_with_torch(session, epochs=5)
    assert result.status == "done" and len(result.engine_loss) == 5
    assert result.largest_difference <= 1e-12 * result.scale
    np.testing.assert_allclose(result.engine_loss, result.torch_loss, rtol=1e-12)
    assert result.engine_loss[-1] < result.engine_loss[0], "the comparison trained nothing"


def test_an_argument_of_a_function_stands_without_parentheses_a_factor_with_them():
    from simulator.formatting import fill_numbers
    assert fill_numbers("max({0}, 0.01·{0})", (-1.9,)) == f"max({MINUS}1.9, 0.01·({MINUS}1.9))"
    assert fill_numbers("max(0, {0})", (-1.9,)) == f"max(0, {MINUS}1.9)"
    assert fill_numbers("softsign({0})", (-0.25,)) == f"softsign({MINUS}0.25)"
