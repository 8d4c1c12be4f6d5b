"""Multi-class classification: softmax and categorical cross-entropy against PyTorch (float64, logits
through `F.cross_entropy`) and finite differences, their numerical stability, what the stepper shows,
and every combination the engine refuses, in code, session files and on the command line."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from simulator.activations import get_activation
from simulator.cli import main
from simulator.dataset import Dataset
from simulator.errors import ConfigError, DatasetError, SessionError, SimulatorError
from simulator.examples import load_example
from simulator.formatting import MINUS, record_lines
from simulator.losses import get_loss
from simulator.network import Layer, Network
from simulator.session import loads
from simulator.stepper import Stepper
from simulator.training import Training, TrainingConfig

from helpers import flat_gradient, numeric_gradient

HIDDEN = ("linear", "sigmoid", "tanh", "relu")


def random_case(seed: int, rows: int = 6):
    """A random network with a softmax output of 2–4 classes and one-hot targets."""
    rng = np.random.default_rng(seed)
    n_hidden = int(rng.integers(0, 3))
    sizes = [int(rng.integers(1, 4))] + [int(rng.integers(1, 5)) for _ in range(n_hidden)] + [int(rng.integers(2, 5))]
    activations = [str(rng.choice(HIDDEN)) for _ in range(n_hidden)] + ["softmax"]
    layers = [Layer(rng.normal(0, 1, size=(n_in, n_out)), rng.normal(0, 0.5, size=n_out), act)
              for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations)]
    inputs = [f"x{i + 1}" for i in range(sizes[0])]
    classes = rng.integers(0, sizes[-1], size=rows)
    targets = [f"class={k + 1}" for k in range(sizes[-1])]
    rows_array = np.hstack([rng.normal(0, 1.5, size=(rows, sizes[0])), np.eye(sizes[-1])[classes]])
    return Network(layers, inputs, targets), Dataset(inputs + targets, rows_array, inputs, targets), classes


# -- the numbers --------------------------------------------------------------------------------
def test_softmax_outputs_are_probabilities_even_for_huge_z():
    softmax = get_activation("softmax")
    z = np.array([[1000.0, 999.0, -1000.0], [-800.0, -801.0, -799.0], [0.0, 0.0, 0.0]])
    y_hat = softmax.function(z)
    assert np.isfinite(y_hat).all() and np.allclose(y_hat.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    e = math.exp(-1)
    assert y_hat[0].tolist() == pytest.approx([1 / (1 + e), e / (1 + e), 0.0], rel=1e-15)
    assert y_hat[2].tolist() == pytest.approx([1 / 3] * 3, rel=1e-15)


def test_cross_entropy_is_finite_where_a_wrong_class_underflows():
    loss = get_loss("cross_entropy")
    y = np.array([[1.0, 0.0, 0.0]])
    y_hat = get_activation("softmax").function(np.array([[1000.0, 999.0, -1000.0]]))   # ŷ3 = 0 exactly
    assert y_hat[0, 2] == 0.0
    assert loss.value(y, y_hat)[0] == pytest.approx(math.log(1 + math.exp(-1)), rel=1e-15)
    assert np.isfinite(loss.gradient(y, y_hat)).all()      # −0/0 is not asked: a 0 target contributes 0


def test_the_simplified_gradient_equals_the_jacobian_product():
    """∂L/∂z = ŷ − y (what the engine uses with cross-entropy) against Σj ∂L/∂ŷj·ŷj(δjk − ŷk)."""
    rng = np.random.default_rng(5)
    softmax, loss = get_activation("softmax"), get_loss("cross_entropy")
    z = rng.normal(0, 2, size=(20, 4))
    y = np.eye(4)[rng.integers(0, 4, size=20)]
    y_hat = softmax.function(z)
    through_jacobian = np.empty_like(z)
    softmax.vector_jacobian_into(z, y_hat, loss.gradient(y, y_hat), through_jacobian)
    jacobian = y_hat[:, :, None] * (np.eye(4)[None] - y_hat[:, None, :])   # [n, j, k] = ŷj(δjk − ŷk)
    by_hand = np.einsum("nj,njk->nk", loss.gradient(y, y_hat), jacobian)
    np.testing.assert_allclose(through_jacobian, by_hand, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loss.gradient_of_z(y, y_hat), by_hand, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("seed", range(12))
def test_gradients_match_finite_differences(seed):
    network, dataset, _ = random_case(seed)
    engine = flat_gradient(network, dataset.X, dataset.Y, "cross_entropy")
    np.testing.assert_allclose(engine, numeric_gradient(network, dataset.X, dataset.Y, "cross_entropy"),
                               rtol=1e-6, atol=1e-8)


# -- PyTorch, written independently: logits into F.cross_entropy with class indices -----------------
def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install -e '.[reference]')")


def _torch_logits(torch, parameters, activations, X):
    hidden = {"linear": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
    out = X
    for index, activation in enumerate(activations):
        z = out @ parameters[2 * index] + parameters[2 * index + 1]
        out = z if activation == "softmax" else hidden[activation](z)   # the last layer's z: the logits
    return out


@pytest.mark.parametrize("seed", range(10))
def test_losses_and_gradients_match_pytorch(seed):
    torch = _torch()
    network, dataset, classes = random_case(seed)
    parameters = [torch.tensor(array, dtype=torch.float64, requires_grad=True)
                  for layer in network.layers for array in (layer.weights, layer.biases)]
    logits = _torch_logits(torch, parameters, [layer.activation for layer in network.layers],
                           torch.tensor(dataset.X, dtype=torch.float64))
    per_sample = torch.nn.functional.cross_entropy(logits, torch.as_tensor(classes), reduction="none")
    per_sample.mean().backward()
    np.testing.assert_allclose(network.losses(dataset.X, dataset.Y, "cross_entropy"),
                               per_sample.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(network.predict(dataset.X), torch.softmax(logits, 1).detach().numpy(),
                               rtol=1e-12, atol=1e-15)
    backward = network.backward(network.forward(dataset.X), dataset.Y, "cross_entropy")
    for index, (gw, gb) in enumerate(zip(backward.grad_weights, backward.grad_biases)):
        np.testing.assert_allclose(gw, parameters[2 * index].grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(gb, parameters[2 * index + 1].grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("seed, batch_size, order", [(0, 1, "sequential"), (1, 1, "shuffled"), (2, 3, "shuffled"),
                                                     (3, 0, "sequential"), (4, 2, "sequential")])
def test_sgd_training_matches_pytorch(seed, batch_size, order):
    """Epoch losses and final parameters after 8 epochs of SGD, in the engine's order of rows."""
    torch = _torch()
    network, dataset, classes = random_case(seed, rows=7)
    config = TrainingConfig(learning_rate=0.2, epochs=8, order=order, batch_size=batch_size, seed=seed)
    training = Training(network.copy(), dataset, "cross_entropy", config)
    training.run()
    parameters = [torch.tensor(array, dtype=torch.float64, requires_grad=True)
                  for layer in network.layers for array in (layer.weights, layer.biases)]
    optimiser = torch.optim.SGD(parameters, lr=config.learning_rate)
    X, labels = torch.tensor(dataset.X, dtype=torch.float64), torch.as_tensor(classes)
    activations = [layer.activation for layer in network.layers]
    batch, history = training.batch_size, []
    for epoch in range(config.epochs):
        order_of_rows, losses = training.order(epoch), []
        for start in range(0, len(dataset), batch):
            rows = torch.as_tensor(order_of_rows[start:start + batch])
            optimiser.zero_grad()
            log_p = torch.log_softmax(_torch_logits(torch, parameters, activations, X[rows]), 1)
            sample_losses = torch.nn.functional.nll_loss(log_p, labels[rows], reduction="none")
            sample_losses.mean().backward()
            optimiser.step()
            losses += sample_losses.detach().tolist()
        history.append(float(np.mean(losses)))
    np.testing.assert_allclose(training.history.tolist(), history, rtol=1e-9)
    torch_flat = np.concatenate([np.vstack([parameters[2 * i].detach().numpy(),
                                            parameters[2 * i + 1].detach().numpy()[None, :]]).T.ravel()
                                 for i in range(len(activations))])
    np.testing.assert_allclose(training.network.flat_parameters(), torch_flat, rtol=1e-9, atol=1e-12)


# -- what the stepper shows -----------------------------------------------------------------------
def _evaluate(text: str) -> float:
    text = text.replace(MINUS, "-").replace("·", "*").replace("[", "(").replace("]", ")")
    text = re.sub(r"(\d)\(", r"\1*(", text)
    return eval(text, {"__builtins__": {}}, {"exp": math.exp, "log": math.log})   # noqa: S307 - our own text


def test_the_example_steps_the_jacobian_once_per_output_then_the_simplification():
    session = load_example("three-classes")
    records = Stepper(session.make_training()).step("sample")
    forward = [record for record in records if record.kind == "forward" and record.layer == 2]
    assert len(forward) == 3
    for record in forward:
        line = record_lines(record)[1]
        assert line.startswith(f"{record.out_label} = exp(z2{record.neuron})/(exp(z21) + exp(z22) + exp(z23)) = ")
        assert _evaluate(line.split(" = ")[2]) == pytest.approx(record.out, rel=1e-5)
    assert sum(record.out for record in forward) == pytest.approx(1.0, rel=1e-15)
    loss = next(record for record in records if record.kind == "loss")
    assert record_lines(loss)[0].startswith("L = −[y1·log(ŷ1) + y2·log(ŷ2) + y3·log(ŷ3)] = −[1·log(")
    first = [record for record in records if record.kind == "factor" and record.numerator == "L"
             and record.denominator.startswith("z2")]
    # each output's first chain (its first weight) shows the Jacobian, the later ones ŷk − yk
    jacobian = [record for record in first if "∂L/∂ŷ1" in record.symbols]
    assert [record.parameter for record in jacobian] == ["w211", "w212", "w213"]
    for record in jacobian:
        k = int(record.denominator[-1])
        lines = record_lines(record)
        assert lines[0].startswith(f"∂L/∂z2{k} = ")
        assert f"∂L/∂ŷ{k}·ŷ{k}(1 − ŷ{k})" in lines[0]           # the diagonal ŷk(1 − ŷk)
        assert f"∂L/∂ŷ{k % 3 + 1}·(−ŷ{k % 3 + 1}·ŷ{k})" in lines[0]   # off the diagonal −ŷj·ŷk
        assert _evaluate(lines[0].split(" = ")[2]) == pytest.approx(record.value, rel=1e-5, abs=1e-6)
        y, y_hat = loss.targets[k - 1], loss.predictions[k - 1]
        assert lines[1].startswith(f"Softmax with categorical cross-entropy simplifies it: ∂L/∂z2{k} = ŷ{k} − y{k} = ")
        assert record.simplification.value == record.value == y_hat - y
    later = [record for record in first if record not in jacobian]
    assert len(later) == 9    # three more weights and a bias per output, less the first
    assert all(record.template == "{0} − {1}" and len(record_lines(record)) == 1 for record in later)
    gradient = next(record for record in records if record.kind == "gradient" and record.parameter == "w211")
    assert gradient.chain == "∂L/∂w211 = ∂L/∂z21 · ∂z21/∂w211"


def test_the_example_learns_all_three_classes():
    session = load_example("three-classes")
    assert session.network.output_names == ["tier=low", "tier=mid", "tier=high"]
    training = session.make_training()
    assert training.run() == "epochs"
    history = training.history.tolist()
    assert history[-1] < history[0] / 5
    predicted = training.network.predict(training.X).argmax(axis=1)
    assert (predicted == training.Y.argmax(axis=1)).all()


def test_a_session_round_trips_with_softmax_and_cross_entropy():
    session = load_example("three-classes")
    data = json.loads(session.to_json())
    assert data["format"] == "backprop-sim/1"
    assert data["network"]["layers"][-1]["activation"] == "softmax" and data["loss"] == "cross_entropy"
    assert data["dataset"]["targets"] == ["tier=low", "tier=mid", "tier=high"]
    again = loads(session.to_json())
    assert again.to_json() == session.to_json()


# -- refusals ------------------------------------------------------------------------------------
def _session_data(**changes) -> dict:
    data = json.loads(load_example("three-classes").to_json())
    for change in changes.values():
        change(data)
    return data


def _set_row(row: int, values: list[float]):
    def change(data):
        data["dataset"]["rows"][row][2:] = values
    return change


@pytest.mark.parametrize("changes, message", [
    ({"hidden": lambda d: d["network"]["layers"][0].update(activation="softmax")},
     r"network\.layers\[0\]\.activation: softmax is for the output layer only \(this layer is hidden\)"),
    ({"loss": lambda d: d.update(loss="bce")},
     "binary cross-entropy scores each output as a separate yes/no, but softmax outputs share one "
     "distribution over the classes: use cross_entropy"),
    ({"output": lambda d: d["network"]["layers"][1].update(activation="sigmoid")},
     "categorical cross-entropy needs a softmax output layer \\(it is sigmoid\\)"),
    ({"row": _set_row(0, [0.5, 0.5, 0.0])},
     "row 1, column 'tier=low': target 0.5 is neither 0 nor 1; categorical cross-entropy needs one-hot targets"),
    ({"row": _set_row(4, [0.0, 1.0, 1.0])}, "row 5: 2 targets are 1 .*needs exactly one 1 per row"),
    ({"row": _set_row(11, [0.0, 0.0, 0.0])}, "row 12: no target is 1 \\(of tier=low, tier=mid, tier=high\\)"),
    ({"row": _set_row(2, [2.0, -1.0, 0.0])}, "row 3, column 'tier=low': target 2 is neither 0 nor 1"),
])
def test_a_session_file_that_makes_no_sense_is_refused_naming_why(changes, message):
    with pytest.raises(SessionError, match=message):
        loads(json.dumps(_session_data(**changes)))


def test_softmax_with_one_output_is_refused():
    with pytest.raises(ConfigError, match="softmax needs at least two outputs, one per class"):
        Network([Layer(np.ones((2, 1)), np.zeros(1), "softmax")])


def test_mean_squared_error_after_softmax_is_allowed():
    """A softmax output with mse (the Brier score) is a valid if slower choice: it trains through the
    Jacobian, which the stepper writes out on every output chain."""
    network, dataset, _ = random_case(3)
    training = Training(network, dataset, "mse", TrainingConfig(learning_rate=0.1, epochs=2))
    records = Stepper(training).step("sample")
    factors = [record for record in records if record.kind == "factor" and record.numerator == "L"
               and record.denominator.startswith(f"z{len(network.layers)}")]
    assert factors and all(record.simplification is None and "·(−ŷ" in record.template.format(*record.symbols)
                           for record in factors)


def test_the_command_line_refuses_a_bad_one_hot_file(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_session_data(row=_set_row(0, [1.0, 1.0, 0.0]))), encoding="utf-8")
    assert main(["train", "--session", str(path)]) != 0
    assert "bad.json: row 1: 2 targets are 1" in capsys.readouterr().err


def test_the_command_line_trains_and_traces_the_example(capsys):
    assert main(["train", "--example", "three-classes", "--epochs", "3"]) in (0, None)
    assert main(["trace", "--example", "three-classes"]) in (0, None)
    out = capsys.readouterr().out
    assert "Softmax with categorical cross-entropy simplifies it: ∂L/∂z21 = ŷ1 − y1 = " in out


def test_errors_are_simulator_errors():
    assert issubclass(DatasetError, SimulatorError) and issubclass(ConfigError, SimulatorError)
