"""Another optimiser's path from the same start: what the landscape compares the live training with.

A `ComparedRun` trains a copy of a training's network from its starting parameters with the same
data, settings and order but another optimiser, and keeps the parameters after every batch. It
follows the live training: asked after every change, it trains as many batches as the live one has
(at most `MAX_BATCHES`), and starts again when the start, the data or the settings change or the
live training went back. Its numbers are the engine's own (`Training.step`).
"""

from __future__ import annotations

import numpy as np

from .optimizers import Optimizer
from .training import Training

#: The longest compared path, in batches (a path of the live run is thinned the same way).
MAX_BATCHES = 5000
#: Shown on a landscape beside the live optimiser: (title, settings).
COMPARISONS = (
    ("SGD", Optimizer()),
    ("SGD, momentum 0.9", Optimizer("sgd", momentum=0.9)),
    ("SGD, Nesterov 0.9", Optimizer("sgd", momentum=0.9, nesterov=True)),
    ("RMSprop", Optimizer("rmsprop")),
    ("Adam", Optimizer("adam")),
)


class ComparedRun:
    """The parameters `(batches + 1, parameter_count)` of training with `optimizer` from the live
    training's start, batch for batch beside it."""

    def __init__(self, optimizer: Optimizer):
        self.optimizer = optimizer
        self._key: tuple | None = None
        self._training: Training | None = None
        self._vectors: list[np.ndarray] = []

    def __repr__(self) -> str:
        return f"ComparedRun({self.optimizer.describe()}, {len(self._vectors)} points)"

    def _key_of(self, live: Training) -> tuple:
        start = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in live.initial_state])
        return (start.tobytes(), id(live.X), id(live.Y), live.config.with_changes(optimizer=self.optimizer),
                tuple(layer.activation for layer in live.network.layers), live.loss.name)

    def _start(self, live: Training) -> None:
        network = live.network.copy()
        network.restore(live.initial_state)
        config = live.config.with_changes(optimizer=self.optimizer, tolerance=0.0)
        self._training = Training(network, live.dataset, live.loss, config)
        self._training.X, self._training.Y = live.X, live.Y
        self._vectors = [network.flat_parameters()]

    def follow(self, live: Training) -> np.ndarray:
        """The path as far as the live training has gone, in batches: `(n, parameter_count)`."""
        key = self._key_of(live)
        if key != self._key or live.batches < len(self._vectors) - 1:
            self._key = key
            self._start(live)
        training = self._training
        wanted = min(live.batches, MAX_BATCHES)
        while len(self._vectors) - 1 < wanted and not training.finished:
            training.step()
            if training.status == "diverged":
                break
            self._vectors.append(training.network.flat_parameters())
        return np.array(self._vectors[:wanted + 1])
