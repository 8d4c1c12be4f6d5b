"""Train the same model with PyTorch (float64, the matching torch.optim optimiser) and compare it with the engine.

PyTorch is optional (the `reference` extra) and imported only when a comparison starts, never when
`simulator` is imported. Both sides start from the session's current parameters and visit the rows
in the engine's order (`Training.order(epoch)`), in the same batches, with the same learning rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .activations import get_activation
from .errors import SimulatorError
from .formatting import format_number
from .optimizers import torch_optimizer
from .session import Session

#: Longest comparison run, in epochs.
MAX_REFERENCE_EPOCHS = 5_000
INSTALL_HINT = ("PyTorch is not installed. Install the optional reference extra with `make reference` "
                "or `pip install -e '.[reference]'`, then start the app again.")


class ReferenceUnavailable(SimulatorError):
    """PyTorch cannot be imported; the message says how to install it."""


def import_torch():
    """The torch module, or ReferenceUnavailable with the install hint."""
    try:
        import torch
    except ImportError:
        raise ReferenceUnavailable(INSTALL_HINT) from None
    return torch


@dataclass
class Comparison:
    """Per epoch: the engine's and PyTorch's mean loss, and the largest |parameter difference| after it."""

    engine_loss: list[float] = field(default_factory=list)
    torch_loss: list[float] = field(default_factory=list)
    max_difference: list[float] = field(default_factory=list)
    status: str = "running"
    message: str = ""
    scale: float = 1.0     # the largest |parameter| at the start, at least 1: differences are relative to it

    @property
    def largest_difference(self) -> float:
        return max(self.max_difference, default=0.0)

    @property
    def largest_loss_difference(self) -> float:
        """Largest |engine − PyTorch| / max(|engine|, tiny) over the epochs' losses."""
        engine, reference = np.asarray(self.engine_loss), np.asarray(self.torch_loss)
        if engine.size == 0:
            return 0.0
        return float(np.max(np.abs(engine - reference) / np.maximum(np.abs(engine), 1e-300)))

    def verdict(self) -> str:
        """`The engine and PyTorch agree to 3e-15 …` or where they part."""
        epochs = len(self.engine_loss)
        if epochs == 0:
            return "No epoch compared yet."
        largest = self.largest_difference
        if not np.isfinite(largest) or largest > 1e-9 * self.scale:
            return (f"They differ: the parameters are up to {format_number(largest, 3)} apart after {epochs} epochs "
                    "(more than rounding explains).")
        if largest == 0:
            return (f"The engine and PyTorch agree exactly: every parameter is identical after each of the "
                    f"{epochs} epochs; the largest relative loss difference is {format_number(self.largest_loss_difference, 3)}.")
        return (f"The engine and PyTorch agree to {format_number(largest, 2)}: the largest parameter difference over "
                f"{epochs} epochs is {format_number(largest, 3)}, the largest relative loss difference "
                f"{format_number(self.largest_loss_difference, 3)}.")


class ReferenceRun:
    """Trains the engine and PyTorch side by side, epoch by epoch (`advance`), for a window's timer."""

    def __init__(self, session: Session, epochs: int | None = None):
        self.torch = import_torch()
        self.session = session.copy()
        self.epochs = min(epochs or self.session.training.epochs, MAX_REFERENCE_EPOCHS)
        config = self.session.training.with_changes(epochs=self.epochs, tolerance=0.0)
        self.session.training = config
        self.training = self.session.make_training()
        torch = self.torch
        network = self.training.network
        # Each activation's and the loss's own PyTorch counterpart: the per-sample loss `(n,)` of (ŷ, y).
        self.activations = [get_activation(layer.activation).torch_function(torch) for layer in network.layers]
        self.sample_losses = self.training.loss.torch_losses(torch)
        self.parameters = [torch.tensor(array, dtype=torch.float64, requires_grad=True)
                           for layer in network.layers for array in (layer.weights, layer.biases)]
        self.optimiser = torch_optimizer(torch, self.parameters, config.optimizer, config.learning_rate)
        self.X = torch.tensor(self.training.X, dtype=torch.float64)
        self.Y = torch.tensor(self.training.Y, dtype=torch.float64)
        self.result = Comparison()
        self.result.scale = float(np.max(np.abs(network.flat_parameters()), initial=1.0))

    @property
    def done(self) -> bool:
        return self.result.status != "running"

    def _forward(self, inputs):
        out = inputs
        for index, function in enumerate(self.activations):
            out = function(out @ self.parameters[2 * index] + self.parameters[2 * index + 1])
        return out

    def _torch_epoch(self, epoch: int) -> float:
        order = self.training.order(epoch)
        batch = self.training.batch_size
        losses = []
        for start in range(0, len(order), batch):
            rows = self.torch.as_tensor(order[start:start + batch])
            self.optimiser.zero_grad()
            sample_losses = self.sample_losses(self._forward(self.X[rows]), self.Y[rows])
            sample_losses.mean().backward()
            self.optimiser.step()
            losses += sample_losses.detach().tolist()
        return float(np.mean(losses))

    def _torch_flat(self) -> np.ndarray:
        parts = []
        for index in range(len(self.activations)):
            weights = self.parameters[2 * index].detach().numpy()
            biases = self.parameters[2 * index + 1].detach().numpy()
            parts.append(np.vstack([weights, biases[None, :]]).T.ravel())
        return np.concatenate(parts)

    def advance(self, max_epochs: int = 50) -> bool:
        """Train up to `max_epochs` more epochs on both sides; True when the comparison is complete."""
        training, result = self.training, self.result
        for _ in range(max_epochs):
            if self.done:
                break
            epoch = training.epoch
            torch_loss = self._torch_epoch(epoch)   # before the engine's epoch: it may forget the order
            training.run(max_steps=self._steps_left_in_epoch())
            if training.status == "diverged":
                result.status, result.message = "diverged", training.message
                break
            result.engine_loss.append(training.history[-1])
            result.torch_loss.append(torch_loss)
            difference = np.abs(training.network.flat_parameters() - self._torch_flat())
            result.max_difference.append(float(np.max(difference)))
            if training.finished:
                result.status, result.message = "done", training.message
        return self.done

    def _steps_left_in_epoch(self) -> int:
        training = self.training
        return -(-(training.n_samples - training.position) // training.batch_size)


def compare_with_torch(session: Session, epochs: int | None = None) -> Comparison:
    """Train `session` (from its current parameters) with the engine and with PyTorch; compare per epoch."""
    run = ReferenceRun(session, epochs)
    while not run.advance():
        pass
    return run.result
