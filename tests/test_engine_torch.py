"""Cross-checks against PyTorch (float64): autograd gradients, and SGD training sample by sample,
in shuffled order and in mini-batches, on random networks and on the lectures' regression example."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.dataset import Dataset
from simulator.examples import load_example
from simulator.network import Layer, Network
from simulator.training import Training, TrainingConfig

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install -e '.[reference]')")
F = torch.nn.functional

RTOL, ATOL = 1e-9, 1e-12
ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu")
TORCH_ACTIVATIONS = {"linear": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def torch_parameters(network: Network) -> list:
    return [torch.tensor(array, dtype=torch.float64, requires_grad=True)
            for layer in network.layers for array in (layer.weights, layer.biases)]


def torch_forward(parameters: list, activations: list[str], X) -> "torch.Tensor":
    out = X
    for index, activation in enumerate(activations):
        out = TORCH_ACTIVATIONS[activation](out @ parameters[2 * index] + parameters[2 * index + 1])
    return out


def torch_sample_losses(loss: str, y_hat, y) -> "torch.Tensor":
    """Per-sample loss, averaged over outputs like the engine (half_sse sums them)."""
    if loss == "mse":
        return F.mse_loss(y_hat, y, reduction="none").mean(dim=1)
    if loss == "half_sse":
        return 0.5 * F.mse_loss(y_hat, y, reduction="none").sum(dim=1)
    # Binary cross-entropy is built by hand with ŷ clamped to [1e-7, 1 − 1e-7], which is what the
    # engine does (torch's BCELoss instead clamps the log at −100, so it differs once ŷ reaches 0 or 1).
    # torch.clamp passes the gradient through inside the interval and gives 0 outside, like the engine.
    p = torch.clamp(y_hat, 1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean(dim=1)


def torch_train(network: Network, dataset: Dataset, loss: str, config: TrainingConfig):
    """Train a copy of `network` with torch.optim.SGD over the engine's sample order; returns
    (per-sample losses, loss per epoch, final flat parameters)."""
    parameters = torch_parameters(network)
    activations = [layer.activation for layer in network.layers]
    optimiser = torch.optim.SGD(parameters, lr=config.learning_rate)
    X = torch.tensor(dataset.X, dtype=torch.float64)
    Y = torch.tensor(dataset.Y, dtype=torch.float64)
    orders = Training(network.copy(), dataset, loss, config)  # only asked for its sample order
    batch = len(dataset) if config.batch_size == 0 else config.batch_size
    sample_losses, history = [], []
    for epoch in range(config.epochs):
        order = orders.order(epoch)
        epoch_losses = []
        for start in range(0, len(dataset), batch):
            rows = torch.as_tensor(order[start:start + batch])
            optimiser.zero_grad()
            losses = torch_sample_losses(loss, torch_forward(parameters, activations, X[rows]), Y[rows])
            losses.mean().backward()
            optimiser.step()
            epoch_losses += losses.detach().tolist()
        sample_losses += epoch_losses
        history.append(float(np.mean(epoch_losses)))
    final = Network([Layer(parameters[2 * i].detach().numpy(), parameters[2 * i + 1].detach().numpy(), act)
                     for i, act in enumerate(activations)])
    return sample_losses, history, final.flat_parameters()


def random_case(seed: int, loss: str):
    rng = np.random.default_rng(seed)
    n_layers = int(rng.integers(1, 5))
    sizes = [int(size) for size in rng.integers(1, 5, size=n_layers)] + [int(rng.integers(1, 4))]
    activations = [str(name) for name in rng.choice(ACTIVATIONS, size=n_layers)]
    if loss == "bce":
        activations[-1] = "sigmoid"
    layers = [Layer(rng.normal(0, 1 / np.sqrt(n_in), size=(n_in, n_out)), rng.normal(0, 0.3, size=n_out), act)
              for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations)]
    count = int(rng.integers(3, 9))
    X = rng.normal(0, 1, size=(count, sizes[0]))
    Y = (rng.integers(0, 2, size=(count, sizes[-1])).astype(float) if loss == "bce"
         else rng.normal(0, 1, size=(count, sizes[-1])))
    inputs = [f"in{i}" for i in range(sizes[0])]
    targets = [f"out{k}" for k in range(sizes[-1])]
    return Network(layers), Dataset(inputs + targets, np.hstack([X, Y]), inputs, targets)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("loss", ["mse", "bce", "half_sse"])
def test_gradients_match_autograd(seed, loss):
    network, dataset = random_case(100 + seed, loss)
    parameters = torch_parameters(network)
    X, Y = dataset.X, dataset.Y
    y_hat = torch_forward(parameters, [layer.activation for layer in network.layers],
                          torch.tensor(X, dtype=torch.float64))
    torch_sample_losses(loss, y_hat, torch.tensor(Y, dtype=torch.float64)).mean().backward()
    backward = network.backward(network.forward(X), Y, loss)
    for index in range(len(network.layers)):
        np.testing.assert_allclose(backward.grad_weights[index], parameters[2 * index].grad.numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(backward.grad_biases[index], parameters[2 * index + 1].grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(network.losses(X, Y, loss),
                               torch_sample_losses(loss, y_hat, torch.tensor(Y, dtype=torch.float64)).detach().numpy(),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("batch_size", [1, 3, 0])
@pytest.mark.parametrize("order", ["sequential", "shuffled"])
@pytest.mark.parametrize("loss", ["mse", "bce", "half_sse"])
def test_training_matches_torch_sgd(loss, order, batch_size):
    seed = ["mse", "bce", "half_sse"].index(loss) * 10 + ["sequential", "shuffled"].index(order) * 3 + batch_size
    config = TrainingConfig(learning_rate=0.1, epochs=5, order=order, batch_size=batch_size, seed=seed)
    for attempt in range(seed, seed + 1000, 100):  # skip networks whose relus are all dead: nothing to compare
        network, dataset = random_case(attempt, loss)
        sample_losses, history, final = torch_train(network, dataset, loss, config)
        if np.max(np.abs(final - network.flat_parameters())) > 1e-3:
            break
    training = Training(network, dataset, loss, config)
    assert training.run() == "epochs"
    np.testing.assert_allclose(training.sample_losses, sample_losses, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(training.history, history, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(network.flat_parameters(), final, rtol=RTOL, atol=ATOL)


def test_shuffled_orders_differ_between_epochs_and_seeds():
    network, dataset = random_case(5, "mse")
    config = TrainingConfig(order="shuffled", seed=3)
    first = Training(network.copy(), dataset.copy(), "mse", config)
    orders = [first.order(epoch).tolist() for epoch in range(4)]
    assert len({tuple(order) for order in orders}) > 1
    assert all(sorted(order) == list(range(len(dataset))) for order in orders)
    again = Training(network.copy(), dataset.copy(), "mse", config)
    assert [again.order(epoch).tolist() for epoch in range(4)] == orders
    other = Training(network.copy(), dataset.copy(), "mse", config.with_changes(seed=4))
    assert [other.order(epoch).tolist() for epoch in range(4)] != orders


def test_bce_matches_torch_bceloss_away_from_0_and_1():
    network, dataset = random_case(11, "bce")
    parameters = torch_parameters(network)
    y_hat = torch_forward(parameters, [layer.activation for layer in network.layers],
                          torch.tensor(dataset.X, dtype=torch.float64))
    assert float(y_hat.detach().min()) > 1e-3 and float(y_hat.detach().max()) < 1 - 1e-3
    F.binary_cross_entropy(y_hat, torch.tensor(dataset.Y, dtype=torch.float64)).backward()
    backward = network.backward(network.forward(dataset.X), dataset.Y, "bce")
    for index in range(len(network.layers)):
        np.testing.assert_allclose(backward.grad_weights[index], parameters[2 * index].grad.numpy(), rtol=RTOL, atol=ATOL)


def test_lecture_regression_example_matches_torch_for_5_epochs():
    session = load_example("regression")
    assert session.training.epochs == 5
    sample_losses, history, final = torch_train(session.network, session.dataset, session.loss, session.training)
    training = session.make_training()
    assert training.run() == "epochs"
    assert sample_losses[0] == pytest.approx(13.5424, rel=1e-12)
    np.testing.assert_allclose(training.sample_losses, sample_losses, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(training.history, history, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(session.network.flat_parameters(), final, rtol=RTOL, atol=ATOL)
