"""Helpers shared by the test files: open a window, step, type, compare states, build small trainings.

Test files import from here (`from helpers import ...`), never from one another; fixtures live in
conftest.py.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from simulator.dataset import Dataset
from simulator.losses import get_loss
from simulator.network import Layer, Network
from simulator.session import Session
from simulator.training import Training, TrainingConfig


# -- the window ------------------------------------------------------------------------------------
def open_window(qtbot, session: Session):
    """The real main window on `session`, shown."""
    from ui.document import Document
    from ui.main_window import MainWindow

    window = MainWindow(Document(session))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier, times: int = 1) -> None:
    """Press `key` (with `modifier`) on the window `times` times, as a user would."""
    for _ in range(times):
        qtbot.keyClick(window, key, modifier)


def run_to_end(qtbot, window, timeout: int = 20_000) -> None:
    """Run to End from the window's action and wait until training has finished and stopped."""
    window.window_actions.run_to_end.trigger()
    qtbot.waitUntil(lambda: window.document.training.finished and not window.controller.running, timeout=timeout)


def settle(view) -> None:
    """Let a network view catch up: it redraws once per turn of the event loop, as in the running app."""
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    assert not view.network_scene().refresh_pending()


def step_until(controller, predicate, limit: int = 400, view=None):
    """Step one record at a time until `predicate(record)` holds; returns that record. With a `view`,
    the view catches up after every step."""
    for _ in range(limit):
        records = controller.step("factor")
        if view is not None:
            settle(view)
        if records and predicate(records[-1]):
            return records[-1]
    raise AssertionError("no such record")


def type_into(qtbot, edit, text: str) -> None:
    """Replace a line edit's text by typing `text` and pressing Enter."""
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    if text.isascii() and text.isprintable():
        qtbot.keyClicks(edit, text)
    else:   # QTest types printable ASCII only; anything else arrives as a paste would
        edit.insert(text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


# -- the document ----------------------------------------------------------------------------------
def parameters(document) -> dict[str, float]:
    """Every parameter of the document's network by name (w111, b11, …)."""
    network = document.network
    return {ref.name: network.get(ref) for ref in network.parameters()}


def snapshot(doc) -> tuple:
    """Everything a refused input must leave alone, compared exactly."""
    return (doc.network.flat_parameters().tolist(), [layer.activation for layer in doc.network.layers],
            doc.session.training, doc.training.config, doc.session.initialisation, doc.session.loss,
            doc.session.dataset.columns, doc.session.dataset.rows.tolist(), doc.training.X.tolist(),
            doc.training.epoch, doc.training.position, doc.undo_stack.count(), doc.undo_stack.index(),
            doc.modified, str(doc.path))


# -- trainings -------------------------------------------------------------------------------------
def random_training(draw: int, sizes: list[int], activations: list[str], loss: str = "mse", rows: int = 5,
                    **settings) -> Training:
    """A training of a random network (seed `draw`) on `rows` random rows (0/1 targets for bce, one-hot
    for cross-entropy)."""
    rng = np.random.default_rng(draw)
    layers = [Layer(rng.normal(0, 1, size=(n_in, n_out)), rng.normal(0, 0.5, size=n_out), act)
              for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations)]
    inputs = [f"x{i + 1}" for i in range(sizes[0])]
    targets = [f"y{k + 1}" for k in range(sizes[-1])]
    Y = (rng.integers(0, 2, size=(rows, sizes[-1])) if loss == "bce" else rng.normal(size=(rows, sizes[-1])))
    if get_loss(loss).one_hot_targets:   # one class per row
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=rows)]
    dataset = Dataset(inputs + targets, np.hstack([rng.normal(size=(rows, sizes[0])), Y]), inputs, targets)
    return Training(Network(layers), dataset, loss, TrainingConfig(**{"learning_rate": 0.05, **settings}))


def make_training(hidden: str = "tanh", loss: str = "mse", rows: int = 40, batch_size: int = 0,
                  epochs: int = 6, order: str = "sequential", update_rule: str = "simultaneous",
                  rate: float = 0.05, sizes=(2, 5, 4, 1)) -> Training:
    """A seeded network of `sizes` fitting sin(x1)·cos(x2) on `rows` rows (its sign for bce)."""
    rng = np.random.default_rng(7)
    output = {"mse": "linear", "half_sse": "tanh", "bce": "sigmoid"}[loss]
    activations = [hidden] * (len(sizes) - 2) + [output]
    layers = [Layer(rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)), rng.normal(0, 0.1, n_out), activation)
              for n_in, n_out, activation in zip(sizes[:-1], sizes[1:], activations)]
    X = rng.uniform(-2, 2, (rows, sizes[0]))
    Y = np.sin(X[:, :1]) * np.cos(X[:, 1:2])
    if loss == "bce":
        Y = (Y > 0).astype(float)
    dataset = Dataset([f"x{i + 1}" for i in range(sizes[0])] + ["y"], np.hstack([X, Y]),
                      [f"x{i + 1}" for i in range(sizes[0])], ["y"])
    config = TrainingConfig(learning_rate=rate, epochs=epochs, batch_size=batch_size, order=order,
                            update_rule=update_rule, tolerance=0.0)
    return Training(Network(layers), dataset, loss, config)


# -- gradients -------------------------------------------------------------------------------------
def flat_gradient(network, X: np.ndarray, Y: np.ndarray, loss: str) -> np.ndarray:
    """The engine's batch-mean gradient, in `Network.flat_parameters()` order."""
    backward = network.backward(network.forward(X), Y, loss)
    return np.concatenate([np.vstack([gw, gb[None, :]]).T.ravel()
                           for gw, gb in zip(backward.grad_weights, backward.grad_biases)])


def numeric_gradient(network, X: np.ndarray, Y: np.ndarray, loss: str, step: float = 1e-6) -> np.ndarray:
    """Central differences of the batch-mean loss, parameter by parameter (an independent truth)."""
    theta = network.flat_parameters()
    result = np.empty_like(theta)
    for index in range(theta.size):
        values = []
        for sign in (1.0, -1.0):
            shifted = theta.copy()
            shifted[index] += sign * step
            network.set_flat_parameters(shifted)
            values.append(float(np.mean(network.losses(X, Y, loss))))
        result[index] = (values[0] - values[1]) / (2 * step)
    network.set_flat_parameters(theta)
    return result
