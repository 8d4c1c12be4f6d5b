"""Engine figures and their peers: the engine's fast path, a naive numpy loop and a PyTorch loop.

Every peer trains the same network on the same rows with the same learning rate (per sample, or
full batch against PyTorch's full-batch loop), so the ratios compare like with like. Timings are
medians of repeated runs after a warm-up.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from simulator.dataset import Dataset
from simulator.examples import load_example
from simulator.network import Layer, Network
from simulator.stepper import build_records
from simulator.training import Training, TrainingConfig


def run_times(action, repeats: int) -> list[float]:
    """Wall times of `repeats` runs of `action()`, after one warm-up run (seconds)."""
    action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def median_time(action, repeats: int = 5) -> float:
    """Median wall time of `action()` over `repeats` runs, after one warm-up run (seconds)."""
    return statistics.median(run_times(action, repeats))


# -- the workloads ---------------------------------------------------------------------------------
def regression_training(epochs: int) -> Training:
    """The lectures' 2-2-1 regression (linear, MSE, η = 0.001), per-sample SGD."""
    session = load_example("regression")
    session.training = session.training.with_changes(epochs=epochs, tolerance=0.0)
    return session.make_training()


def regression_adam_training(epochs: int, optimizer: str = "adam", **settings) -> Training:
    """The same 2-2-1 regression trained per sample with Adam (PyTorch's defaults) or another optimiser."""
    from simulator.optimizers import Optimizer

    session = load_example("regression")
    session.training = session.training.with_changes(epochs=epochs, tolerance=0.0,
                                                     optimizer=Optimizer(optimizer, **settings))
    return session.make_training()


#: The optimisers with state that the per-sample figures compare with plain SGD.
STATEFUL = {"momentum": ("sgd", {"momentum": 0.9}), "nesterov_decay": ("sgd", {"momentum": 0.9, "nesterov": True,
                                                                              "weight_decay": 0.01}),
            "rmsprop": ("rmsprop", {}), "adam": ("adam", {})}


def tanh_training(rows: int, epochs: int, batch_size: int, hidden: int = 16, optimizer=None) -> Training:
    """A 2-16-16-1 network (tanh, tanh, linear; `hidden` neurons a hidden layer) fitting sin(x1)·cos(x2)
    on `rows` random rows, with plain SGD or `optimizer`."""
    from simulator.optimizers import Optimizer

    rng = np.random.default_rng(0)
    sizes, activations = [2, hidden, hidden, 1], ["tanh", "tanh", "linear"]
    layers = [Layer(rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)), np.zeros(n_out), activation)
              for n_in, n_out, activation in zip(sizes[:-1], sizes[1:], activations)]
    X = rng.uniform(-2, 2, size=(rows, 2))
    Y = np.sin(X[:, :1]) * np.cos(X[:, 1:])
    dataset = Dataset(["x1", "x2", "y"], np.hstack([X, Y]), ["x1", "x2"], ["y"])
    config = TrainingConfig(learning_rate=0.01, epochs=epochs, batch_size=batch_size, optimizer=optimizer or Optimizer())
    return Training(Network(layers), dataset, "mse", config)


# -- peers -----------------------------------------------------------------------------------------
def naive_numpy_loop(training: Training, epochs: int) -> None:
    """Per-sample SGD as a textbook writes it in numpy (MSE, one output): the in-process yardstick."""
    layers = [(layer.weights.copy(), layer.biases.copy(), layer.activation) for layer in training.network.layers]
    rate = training.config.learning_rate
    X, Y = training.X, training.Y
    for _ in range(epochs):
        for row in range(X.shape[0]):
            outs = [X[row]]
            for weights, biases, activation in layers:
                z = outs[-1] @ weights + biases
                outs.append(np.tanh(z) if activation == "tanh" else z)
            d_out = -2.0 * (Y[row] - outs[-1])
            for index in range(len(layers) - 1, -1, -1):
                weights, biases, activation = layers[index]
                delta = d_out * (1.0 - outs[index + 1] ** 2) if activation == "tanh" else d_out
                d_out = weights @ delta
                weights -= rate * np.outer(outs[index], delta)
                biases -= rate * delta


def torch_model(training: Training):
    """The training's network as a float64 `torch.nn.Sequential` with its SGD optimiser and MSE loss."""
    import torch
    modules = []
    for layer in training.network.layers:
        linear = torch.nn.Linear(layer.n_in, layer.n_out).double()
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(layer.weights.T))
            linear.bias.copy_(torch.tensor(layer.biases))
        modules.append(linear)
        if layer.activation == "tanh":
            modules.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*modules)
    optimiser = torch.optim.SGD(model.parameters(), lr=training.config.learning_rate)
    return model, optimiser, torch.nn.MSELoss()


def torch_loop(training: Training, epochs: int):
    """The plain PyTorch per-sample loop (zero_grad / forward / loss / backward / SGD.step), or None."""
    try:
        import torch
    except ImportError:
        return None
    model, optimiser, loss_function = torch_model(training)
    X, Y = torch.tensor(training.X), torch.tensor(training.Y)
    rows = [(X[i:i + 1], Y[i:i + 1]) for i in range(X.shape[0])]

    def run():
        for _ in range(epochs):
            for inputs, targets in rows:
                optimiser.zero_grad()
                loss = loss_function(model(inputs), targets)
                loss.backward()
                optimiser.step()
    return run, torch.__version__


def torch_full_batch_loop(training: Training, epochs: int):
    """The plain PyTorch full-batch loop, one SGD step per epoch on all rows (its default threads), or None."""
    try:
        import torch
    except ImportError:
        return None
    model, optimiser, loss_function = torch_model(training)
    X, Y = torch.tensor(training.X), torch.tensor(training.Y)

    def run():
        for _ in range(epochs):
            optimiser.zero_grad()
            loss = loss_function(model(X), Y)
            loss.backward()
            optimiser.step()
    return run, torch.get_num_threads()


# -- figures ---------------------------------------------------------------------------------------
def per_sample_rate(make, updates: int, repeats: int = 5) -> float:
    """Updates per second of `make().run()`, which performs `updates` sample steps."""
    return updates / median_time(lambda: make().run(), repeats)


def engine_figures(quick: bool = False) -> dict:
    """Every engine figure: rates, peers and ratios; `quick` shortens the runs (for tests)."""
    figures = {}
    epochs = 500 if quick else 5000
    updates = 4 * epochs
    figures["regression_rate"] = per_sample_rate(lambda: regression_training(epochs), updates)
    naive_epochs = epochs // 10
    figures.update(optimizer_figures(quick))
    figures["regression_naive_rate"] = 4 * naive_epochs / median_time(
        lambda: naive_numpy_loop(regression_training(1), naive_epochs))
    peer = torch_loop(regression_training(1), naive_epochs)
    if peer is not None:
        run, version = peer
        figures["regression_torch_rate"] = 4 * naive_epochs / median_time(run)
        figures["torch_version"] = version
    rows = 200 if quick else 1000
    figures["tanh_rate"] = per_sample_rate(lambda: tanh_training(rows, 1, 1), rows, 3)
    figures["tanh_naive_rate"] = rows / median_time(lambda: naive_numpy_loop(tanh_training(rows, 1, 1), 1), 3)
    full_epochs = 5 if quick else 30
    figures.update(full_batch_figures(full_epochs))
    figures["stepper_seconds"] = stepper_seconds(200 if quick else 2000)
    return figures


def optimizer_figures(quick: bool = False) -> dict:
    """Per-sample updates/s of each optimiser with state beside plain SGD, timed in turns in this
    process: on the 2-2-1 regression, and Adam on 2-8-8-1 and 2-32-32-1 tanh networks."""
    from simulator.optimizers import Optimizer

    epochs = 500 if quick else 5000
    loops = {"regression_rate_beside": (lambda: regression_training(epochs), 4 * epochs)}
    for key, (name, settings) in STATEFUL.items():
        loops[f"regression_{key}_rate"] = (lambda name=name, settings=settings:
                                           regression_adam_training(epochs, name, **settings), 4 * epochs)
    rows = 100 if quick else 1000
    for hidden in (8, 32):
        loops[f"sgd_{hidden}_rate"] = (lambda hidden=hidden: tanh_training(rows, 1, 1, hidden), rows)
        loops[f"adam_{hidden}_rate"] = (lambda hidden=hidden: tanh_training(rows, 1, 1, hidden, Optimizer("adam")),
                                        rows)
    times = {key: [] for key in loops}
    for turn in range(6):      # the first turn is the warm-up
        for key, (make, _) in loops.items():
            training = make()
            start = time.perf_counter()
            training.run()
            times[key].append(time.perf_counter() - start)
    figures = {key: updates / statistics.median(times[key][1:]) for key, (_, updates) in loops.items()}
    return figures


def full_batch_figures(epochs: int, repeats: int = 3) -> dict:
    """2-16-16-1 tanh on 10,000 rows, full batch: the engine's epochs/s and PyTorch's, timed alternately.

    The two loops take turns (engine, PyTorch, engine, …) so that both see the same moments of a
    machine whose speed moves; each rate is the median of its turns.
    """
    peer = torch_full_batch_loop(tanh_training(10_000, 1, 0), epochs)
    ours, theirs = [], []
    for turn in range(repeats + 1):      # the first turn of each is the warm-up
        training = tanh_training(10_000, epochs, 0)
        start = time.perf_counter()
        training.run()
        ours.append(time.perf_counter() - start)
        if peer is not None:
            start = time.perf_counter()
            peer[0]()
            theirs.append(time.perf_counter() - start)
    figures = {"full_batch_rate": epochs / statistics.median(ours[1:])}
    if peer is not None:
        figures["full_batch_torch_rate"] = epochs / statistics.median(theirs[1:])
        figures["torch_threads"] = peer[1]
    return figures


def stepper_seconds(samples: int) -> float:
    """Median time to compute one sample's step of the 2-2-1 network and build all its records."""
    training = regression_training(samples)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        batch = training.compute_batch()
        build_records(training, batch)
        times.append(time.perf_counter() - start)
        training.commit(batch)
    return statistics.median(times[10:])
