"""One training run of a session, and its snapshots: what undo restores.

A `Run` joins the `Session` a user builds (the starting parameters, data and settings, never changed
in place) to the moving state trained from it: the `Training` (over its own copy of the network), the
phase `Stepper` that shows its records, and the `Timeline` that steps back. `snapshot` takes all of
that at once as a `RunState`; `restore` puts it back exactly, so anything that returns to a snapshot
(undo, redo) lands on a state that existed.

The edit rule (docs/user-guide.md, "Undo and training"):
- an edit of a parameter before the first update sets a starting parameter: the session changes and
  training starts again from it (a new run);
- an edit of a parameter later (or once training has stopped) sets only the live value; Reset still
  goes back to the session's starting parameters;
- a cell or a setting changes the session and the run goes on from where it is;
- a structural change (layers, activations, loss, data columns, initialisation) starts a new run;
- every edit drops the records on show (they describe the numbers before it) and makes the edited
  state the earliest one Step Back reaches.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import math

from .errors import ConfigError
from .limits import checked_number
from .session import Session
from .stepper import Stepper
from .timeline import Timeline
from .training import Training, TrainingConfig, TrainingState, progress_of, resume, split_of


def _object_state(item: object) -> dict[str, Any]:
    """An object's attributes, with lists and dicts copied one level: enough for the stepper and the
    timeline, whose records and snapshots are never modified once made."""
    return {key: (value.copy() if isinstance(value, (list, dict)) else value) for key, value in vars(item).items()}


def _restore_object(item: object, state: dict[str, Any]) -> None:
    vars(item).clear()
    vars(item).update({key: (value.copy() if isinstance(value, (list, dict)) else value)
                       for key, value in state.items()})


@dataclass(frozen=True)
class RunState:
    """A `Run` at one moment: its session, the training's memento and the stepper's and timeline's."""

    session: Session
    training: TrainingState
    stepper: dict[str, Any]
    timeline: dict[str, Any]

    def __repr__(self) -> str:
        return f"RunState({self.training!r}, revealed={self.stepper.get('revealed_count')})"


class Run:
    """A session and the training run from it; the only place that changes either (see the module doc)."""

    def __init__(self, session: Session):
        self.session = session
        self.training = Training(session.network.copy(), session.training_dataset(), session.loss, session.training)
        if session.progress is not None:
            # A file saved mid-training: training continues where it stopped, and the run's session is
            # the one it started from (Reset goes back to it), holding no progress of its own.
            resume(self.training, session.progress)
            start = session.network.copy()
            start.set_flat_parameters(session.progress.start_parameters)
            self.session = replace(session, network=start, progress=None)
        self.stepper = Stepper(self.training)
        self.timeline = Timeline(self.training)

    def __repr__(self) -> str:
        return f"Run({self.session.title or 'untitled'}, {self.training.epoch} epochs, position {self.training.position})"

    # -- snapshots -----------------------------------------------------------------------------
    def snapshot(self) -> RunState:
        return RunState(self.session, self.training.snapshot(), _object_state(self.stepper),
                        _object_state(self.timeline))

    def restore(self, state: RunState) -> None:
        """Back exactly to `state`, a snapshot of this run."""
        self.session = state.session
        self.training.restore(state.training)
        _restore_object(self.stepper, state.stepper)
        _restore_object(self.timeline, state.timeline)

    # -- edits -----------------------------------------------------------------------------------
    def _edited(self) -> None:
        """After an edit: the records on show describe other numbers, and the edit cannot be replayed."""
        self.stepper.clear()
        self.timeline.rebase()

    def set_parameter(self, name: str, value: float) -> "Run":
        """Set a weight or bias. Before the first update it is a starting parameter: returns a new run
        from the edited session. Later (or once training has stopped, even on its first sample) it sets
        the live value only: returns this run."""
        network = self.training.network
        ref = network.resolve(name)
        number = checked_number(ref.name, value, math.inf)
        if self.training.at_start and not self.training.finished:
            start = self.session.network.copy()
            start.set(ref, number)
            return Run(replace(self.session, network=start))
        network.set(ref, number)
        self._edited()
        return self

    def set_cell(self, row: int, column: int, value: float) -> None:
        """Set one dataset cell; training goes on over the new rows. Raises ConfigError, state unchanged."""
        dataset = self.session.dataset
        where = f"row {row + 1}, column {dataset.columns[column]!r}"
        number = checked_number(where, value)
        if self.training.loss.needs_probabilities and dataset.columns[column] in dataset.targets \
                and not 0 <= number <= 1:
            raise ConfigError(f"{where}: {self.training.loss.title} needs targets between 0 and 1")
        dataset = dataset.copy()
        dataset.set_cell(row, column, number)
        self.session = replace(self.session, dataset=dataset)
        self.training.dataset = self.session.training_dataset()
        self.training.data_changed()
        self._edited()

    def set_config(self, config: TrainingConfig) -> None:
        """New training settings; the run goes on from where it is. Raises ConfigError (state unchanged)
        for fewer epochs than training has begun."""
        training = self.training
        begun = training.epoch + (1 if training.position else 0)
        if config.epochs < begun and split_of(config) == split_of(training.config):
            raise ConfigError(f"epochs must be at least {begun:,}: training has begun epoch {begun:,} "
                              "(Reset, Ctrl+R, to train fewer)" if training.position else
                              f"epochs must be at least {begun:,}: {begun:,} epochs are trained "
                              "(Reset, Ctrl+R, to train fewer)")
        self.session = replace(self.session, training=config)
        self.training.set_config(config)
        self._edited()

    def bring_forward(self, row: int) -> bool:
        """Make dataset row `row` (0-based) the next sample (`Training.bring_forward`); the records on
        show are dropped. False (nothing changed) when it is next already; ConfigError, state unchanged."""
        if not self.training.bring_forward(row):
            return False
        self._edited()
        return True

    def reset(self) -> None:
        """Back to the start of training: the session's starting parameters, no history."""
        self.training.reset()
        self.stepper.clear()
        self.timeline.rebase()

    def current_session(self) -> Session:
        """The session as it would be saved now: the live parameters as the network, and how far training
        got (the epochs, the position in the epoch's order, the losses and the optimiser's state)."""
        return replace(self.session, network=self.training.network.copy(), progress=progress_of(self.training))
