"""Going back in training: snapshots of the training state, and replay from the nearest one.

A state is identified by how many batches have been committed since the start (`batch_index`).
Training is deterministic (a shuffled order depends only on the seed and the epoch), so any state
after a snapshot can be reproduced exactly by restoring the snapshot and replaying with the fast path.

Memory stays bounded: every state of the most recent `recent` batches is kept, and at most
`checkpoints` thinned snapshots further back (every other one is dropped when there are too many).

The training tells the timeline whenever it moves on (`Training.listeners`), so nothing has to ask it
to look. An edit (a parameter, a data cell, a setting, the structure) cannot be replayed: the one owner
of the run (`simulator.run.Run`) calls `rebase` after each, and the edited state becomes `base`, the
earliest one Step Back reaches. (`observe` also notices an edit made behind the owner's back, by
comparing the state with the newest snapshot.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .optimizers import OptimizerState
from .records import Record
from .stepper import Stepper
from .training import Training, TrainingConfig

#: Budget for the most recent snapshots (their parameters), in bytes.
RECENT_BYTES = 8 * 1024 * 1024
#: Most recent batches whose states are all kept (fewer for large networks, see `recent_for`).
MAX_RECENT = 512
#: Thinned snapshots kept further back.
CHECKPOINTS = 64


def recent_for(parameter_count: int) -> int:
    """How many recent states fit the budget for a network of `parameter_count` parameters (16..512)."""
    return max(16, min(MAX_RECENT, RECENT_BYTES // (8 * max(parameter_count, 1))))


def batches_per_epoch(training: Training) -> int:
    return math.ceil(training.n_samples / training.batch_size)


def batch_index(training: Training) -> int:
    """Batches committed since the start; a divergence counts one."""
    return training.batches + (1 if training.status == "diverged" else 0)


@dataclass(frozen=True)
class Snapshot:
    """What `Training` needs to resume exactly: `parameters: (parameter_count,)`, the position, the
    lengths of its loss lists (they only grow, so truncating restores them), the parameters at the
    start of the epoch (shared, never modified), the status and the optimiser's state (shared, never
    modified)."""

    parameters: np.ndarray
    epoch: int
    position: int
    history_length: int
    samples_length: int
    epoch_start: np.ndarray
    status: str
    message: str
    batches: int
    optimizer_state: OptimizerState | None

    @classmethod
    def of(cls, training: Training) -> "Snapshot":
        return cls(training.network.flat_parameters(), training.epoch, training.position, len(training.history),
                   len(training.sample_losses), training._epoch_start, training.status, training.message,
                   training.batches, training.optimizer_state)

    def matches(self, training: Training) -> bool:
        return (self.epoch == training.epoch and self.position == training.position
                and self.history_length == len(training.history)
                and self.samples_length == len(training.sample_losses) and self.status == training.status
                and np.array_equal(self.parameters, training.network.flat_parameters())
                and (self.optimizer_state is training.optimizer_state
                     or self.optimizer_state is not None and self.optimizer_state.same_as(training.optimizer_state)))

    def apply(self, training: Training) -> None:
        training.network.set_flat_parameters(self.parameters)
        training.epoch, training.position, training.batches = self.epoch, self.position, self.batches
        # Cut back in place: a log counts its cuts, so the views see that it changed.
        training.history.truncate(self.history_length)
        training.sample_losses.truncate(self.samples_length)
        losses = training.sample_losses
        training._epoch_losses = losses[len(losses) - self.position:].tolist() if self.position else []
        training._epoch_start = self.epoch_start
        training.status, training.message = self.status, self.message
        training.optimizer_state = self.optimizer_state

    def __repr__(self) -> str:
        return f"Snapshot(epoch={self.epoch + 1}, position={self.position}, status={self.status!r})"


class Timeline:
    """Snapshots of one `training` run, by batch index, from `base` (the start or the last edit) on."""

    def __init__(self, training: Training, recent: int | None = None, checkpoints: int = CHECKPOINTS):
        self.training = training
        self.recent = recent if recent is not None else recent_for(training.network.parameter_count())
        self.checkpoints = checkpoints
        self.snapshots: dict[int, Snapshot] = {}
        self.base = 0
        self.rebase()
        training.listeners.append(self._moved)

    def __repr__(self) -> str:
        return f"Timeline(base={self.base}, newest={self.newest}, snapshots={len(self.snapshots)})"

    @property
    def newest(self) -> int:
        return max(self.snapshots)

    def _conditions(self) -> tuple:
        training = self.training
        return (training.X, training.Y, training.config)

    def _same_conditions(self) -> bool:
        x, y, config = self._conditions()
        return x is self._x and y is self._y and config == self._config

    def rebase(self) -> None:
        """Forget everything before the current state; it becomes the earliest one reachable."""
        self._x, self._y, config = self._conditions()
        self._config: TrainingConfig = config
        index = batch_index(self.training)
        self.base = index
        self.snapshots = {index: Snapshot.of(self.training)}

    def observe(self) -> bool:
        """Note the current state (call before and after every change of position); False if an edit
        since the last call made the earlier states unreachable (the timeline then starts again here)."""
        index = batch_index(self.training)
        if self._same_conditions():
            if index in self.snapshots and self.snapshots[index].matches(self.training):
                return True
            if index > self.newest:
                self._add(index)
                return True
        self.rebase()
        return False

    def _moved(self) -> None:
        """The training committed batches: keep the state it reached (told by the training itself)."""
        index = batch_index(self.training)
        if index > self.newest:
            self._add(index)

    def _add(self, index: int) -> None:
        self.snapshots[index] = Snapshot.of(self.training)
        self._thin(index)

    def _thin(self, newest: int) -> None:
        """Keep every recent state and at most `checkpoints` older ones (every other one when too many)."""
        older = sorted(key for key in self.snapshots if key < newest - self.recent and key != self.base)
        while len(older) > self.checkpoints:
            for key in older[1::2]:
                del self.snapshots[key]
            older = older[::2]

    def reachable(self, index: int) -> bool:
        return self.base <= index <= self.newest

    def restore(self, index: int) -> None:
        """Put the training in the state after `index` committed batches (base ≤ index ≤ newest):
        restore the nearest snapshot at or before it and replay; later snapshots are dropped."""
        if not self.reachable(index):
            raise ValueError(f"batch {index} is outside {self.base}..{self.newest}")
        start = max(key for key in self.snapshots if key <= index)
        for key in [key for key in self.snapshots if key > index]:
            del self.snapshots[key]
        self.snapshots[start].apply(self.training)
        if index > start:
            # The fast path gives the same numbers as stepping, and a gap between snapshots is what a
            # run did between two looks (up to a slice of Run to End): replayed at the run's speed.
            self.training.run(max_steps=index - start)     # the training tells `_moved`, which keeps it


# -- stepping back with the phase stepper -------------------------------------------------------
#: `revealed` of a position that shows every record of its batch (the epoch's end included).
END = -1


def cursor(stepper: Stepper, timeline: Timeline) -> tuple[int, int]:
    """Where the stepper is: (batch, revealed) — the batch whose records it shows, and how many.

    (b, 0) shows nothing with b batches committed; after a batch is applied its records stay in view,
    so the batch shown is the one before the committed count."""
    committed = batch_index(timeline.training)
    if stepper.records and stepper.batch is None:
        return committed - 1, stepper.revealed_count
    return committed, stepper.revealed_count


def _boundary(records: Sequence[Record], revealed: int, granularity: str) -> bool:
    """True when a forward step at `granularity` can stop with `revealed` records shown."""
    if granularity == "factor":
        return True
    before, after = records[revealed - 1], records[revealed]
    if granularity == "phase":
        return before.phase != after.phase
    if granularity == "stage":
        return before.stage != after.stage
    return before.sample != after.sample


def last_epoch_end(timeline: Timeline, batch: int) -> int | None:
    """The batch index at which the last epoch ending at or before `batch` ended, counted from the base
    (the settings are the same since: an edit rebases); None if none has ended since the base. The base
    may sit mid-epoch with batches that do not line up with the epoch's start (a batch size changed)."""
    training = timeline.training
    base = timeline.snapshots[timeline.base]
    size, rows = training.batch_size, training.n_samples
    first = base.batches + math.ceil((rows - base.position) / size)     # the end of the base's epoch
    if batch < first:
        return None
    per_epoch = math.ceil(rows / size)
    return first + (batch - first) // per_epoch * per_epoch


def back_target(stepper: Stepper, timeline: Timeline, granularity: str) -> tuple[int, int] | None:
    """The position one step back at `granularity` (a position a forward step could have stopped at);
    None when already at the earliest reachable one (the start, or the last edit)."""
    batch, revealed = cursor(stepper, timeline)
    floor = (timeline.base, 0)
    if (batch, revealed) <= floor:
        return None
    if granularity == "epoch":
        end = last_epoch_end(timeline, batch)
        if end is not None and end - 1 >= timeline.base:
            return end - 1, END
        return floor
    for shown in range(revealed - 1, 0, -1):
        if _boundary(stepper.records, shown, granularity):
            return batch, shown
    if batch - 1 >= timeline.base:
        return batch - 1, END
    return floor


def go_to(stepper: Stepper, timeline: Timeline, target: tuple[int, int]) -> None:
    """Show position `target` = (batch, revealed): restore and replay, then reveal that many records."""
    batch, revealed = target
    if stepper.batch is not None and cursor(stepper, timeline)[0] == batch and 1 <= revealed <= stepper.revealed_count:
        stepper.rewind(revealed)
        return
    timeline.restore(batch)
    stepper.clear()
    if revealed:
        # A jump: the records before it are made only if a view reads them.
        stepper.reveal_to(None if revealed == END else revealed)
    timeline.observe()
