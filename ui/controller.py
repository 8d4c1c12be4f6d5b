"""The controller: how the user drives training (step, run, pause, step back, reset).

It keeps only run state (the timer, the speed, the granularity) and asks the document to move; the
document changes the model and announces it. Runs are driven by a QTimer that does a bounded slice
of work per tick, so the window never freezes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from simulator.formatting import describe_step
from simulator.records import FactorRecord, PathTerm, Record
from simulator.stepper import GRANULARITIES

from .document import Change, Document

#: Steps per second offered for watching a run; 0 means as fast as possible.
SPEEDS = (1, 2, 5, 10, 30, 0)
#: Longest stretch of training work done in one timer tick at full speed (seconds).
SLICE_SECONDS = 0.016
#: Interval between ticks at full speed (ms): 0, the next tick as soon as the window has redrawn,
#: so a tick and a redraw alternate (about 30 to 40 a second) and training gets most of the time.
FRAME_MS = 0
#: Event-loop turns left to the views after each slice at full speed: refreshing the scene and painting
#: it take a turn each, and a zero-interval timer would otherwise start the next slice first.
REDRAW_TURNS = 1
#: Each granularity's name in the toolbar's Step by box (and, in lower case, in status messages).
GRANULARITY_LABELS = {"factor": "Chain-rule factor", "phase": "Layer or gradient", "stage": "Phase",
                      "sample": "Sample", "epoch": "Epoch"}
#: The most records one step is shown with (an epoch step of a large data set reveals far more).
MAX_STEP_RECORDS = 120
#: Shown wherever the in-place update rule (a common mistake, for demonstration) is in effect.
MISTAKEN_RULE_MARK = "MISTAKEN UPDATE RULE (in place)"


class Controller(QObject):
    """Run state (timer, speed, granularity) and the step policy; it asks the document to move, and the
    document announces every change."""

    running_changed = Signal(bool)
    message = Signal(str)            # for the status bar
    stopped = Signal(str)            # training stopped: the reason ("epochs", "converged", "diverged")
    granularity_changed = Signal()   # the Step by choice changed: what counts as the last step
    term_changed = Signal()          # another term of a sum over paths is lit (F9, Shift+F9), or none

    def __init__(self, document: Document, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.granularity = "factor"
        self.speed = 5
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._run_granularity = "factor"
        self._run_speed = self.speed
        self._redraw_turns = 0
        #: What F10 does while it is active instead of one plain step (practice mode); see `StepPolicy`.
        self.step_policy: StepPolicy | None = None
        #: The term of the current factor's sum over paths lit on the graph (1-based; 0: the whole sum).
        self._term = 0
        document.changed.connect(self._document_changed)

    def _document_changed(self, change: Change) -> None:
        if change & (Change.RECORDS | Change.STRUCTURE) and self._term:
            self._term = 0                 # another step: its sum, if any, starts whole
            self.term_changed.emit()

    def set_step_policy(self, policy: "StepPolicy | None") -> None:
        """Give the controller a policy that takes over Step while `policy.active` (None: plain steps)."""
        self.step_policy = policy

    # -- state ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def current(self) -> Record | None:
        return self.document.stepper.current

    def position_text(self) -> str:
        """`Epoch 2 of 5 · sample 3 of 4 · Forward pass: …`, marked while the mistaken update rule is on."""
        text = self._position()
        if self.document.training.config.update_rule == "in_place":
            text += " · " + MISTAKEN_RULE_MARK
        return text

    def _position(self) -> str:
        training = self.document.training
        epochs, count = training.config.epochs, training.n_samples
        if training.status in ("epochs", "converged"):
            state = "Finished" if training.status == "epochs" else "Converged"
            return f"Epoch {training.epoch} of {epochs} · {state}"
        if training.status == "diverged":
            return f"Epoch {training.epoch + 1} of {epochs} · sample {training.position + 1} of {count} · Diverged"
        record = self.current
        epoch = min(training.epoch + 1, epochs)
        if record is not None:
            # The record's own epoch: the last update of an epoch is shown after training moved on.
            epoch, sample, row = record.epoch, record.sample, getattr(record, "row", record.sample)
        else:
            sample, row = training.position + 1, int(training.current_batch()[0]) + 1
        where = f"sample {sample} of {count}" + (f" (row {row})" if row != sample else "")
        batch = getattr(record, "batch_size", 1)
        if batch > 1:   # an update of a mini-batch is about all of its samples
            where = f"samples {sample - batch + 1}–{sample} of {count}"
        phase = describe_step(self.step_records()) if record is not None else "Ready"
        return f"Epoch {epoch} of {epochs} · {where} · {phase}"

    def step_records(self) -> list[Record]:
        """The records the last step at the chosen granularity revealed, in order, ending with the
        current one (at most MAX_STEP_RECORDS, the latest): the revealed records back to where a step
        at that granularity starts. At "epoch" those of the batch on show (earlier ones are applied);
        during a full-speed run the current record alone."""
        stepper = self.document.stepper
        end = stepper.revealed_count
        if not end:
            return []
        records = stepper.records
        current = records[end - 1]
        if self.running and self._run_speed == 0:
            return [current]     # a full-speed run redraws 30 times a second: its latest record only
        key = _STEP_KEYS[self.granularity]
        if key is None or (current.kind == "epoch" and self.granularity in ("phase", "stage")):
            return [current]
        start, same = end - 1, key(current)
        while start > 0 and end - start < MAX_STEP_RECORDS and key(records[start - 1]) == same:
            start -= 1
        return list(records[start:end])

    def set_granularity(self, granularity: str) -> None:
        if granularity not in GRANULARITIES:
            raise ValueError(granularity)
        if granularity != self.granularity:
            self.granularity = granularity
            self.granularity_changed.emit()

    def set_speed(self, speed: int) -> None:
        self.speed = int(speed)
        if self.running:
            self._run_speed = self.speed
            self._timer.setInterval(self._interval())

    # -- stepping ------------------------------------------------------------------------------
    def step(self, granularity: str | None = None) -> list[Record]:
        """One step at `granularity` (default: the chosen one); F10. An active step policy steps instead."""
        self.pause()
        policy = self.step_policy
        if policy is not None and policy.active:
            return policy.step()
        return self._step(granularity or self.granularity)

    def reveal_next(self, granularity: str = "factor") -> list[Record]:
        """One step at `granularity` (by default exactly one record), bypassing the step policy."""
        self.pause()
        return self._step(granularity)

    def step_into(self) -> list[Record]:
        """One step at the next finer granularity (one chain-rule factor at the finest); F11."""
        index = GRANULARITIES.index(self.granularity)
        return self.step(GRANULARITIES[max(index - 1, 0)])

    def step_out(self) -> Sequence[Record]:
        """Finish the current sample (its update included); Shift+F11."""
        self.pause()
        if self.document.stepper.mid_batch:
            records = self.document.finish_batch()
            self._check_stopped()
            return records
        return self._step("sample")

    def _step(self, granularity: str) -> list[Record]:
        training = self.document.training
        if training.finished:
            self.message.emit(training.message or "Training has finished; reset to train again.")
            return []
        records = self.document.step(granularity)
        self._check_stopped()
        return records

    # -- the terms of a sum over paths -----------------------------------------------------------
    def sum_terms(self) -> tuple[PathTerm, ...]:
        """The terms of the current factor when it is a sum over the next layer (∂L/∂o = Σk ∂L/∂zk·wk)."""
        current = self.current
        return current.terms if isinstance(current, FactorRecord) else ()

    @property
    def term_index(self) -> int:
        """The term lit on the graph, 1-based; 0 when the whole sum is (or the step is no sum)."""
        return self._term if self._term <= len(self.sum_terms()) else 0

    def focused_term(self) -> PathTerm | None:
        index = self.term_index
        return self.sum_terms()[index - 1] if index else None

    def next_term(self) -> bool:
        """Light the next term's path (F9): term 1, 2, …, then the whole sum again."""
        return self._move_term(+1)

    def previous_term(self) -> bool:
        """Light the previous term's path (Shift+F9)."""
        return self._move_term(-1)

    def _move_term(self, by: int) -> bool:
        count = len(self.sum_terms())
        if not count:
            self.message.emit("F9 lights the terms of a sum over paths one by one: step (F10) to a chain-rule "
                              "factor that is one, ∂L/∂o of a neuron with several paths to the loss")
            return False
        self._term = (self.term_index + by) % (count + 1)
        self.term_changed.emit()
        return True

    # -- stepping back -------------------------------------------------------------------------
    def step_back(self, granularity: str | None = None) -> bool:
        """Back one step at `granularity` (default: the chosen one), to where a step could have stopped
        (Ctrl+F10, Alt+Left); False when already at the start or at the last edit."""
        self.pause()
        granularity = granularity or self.granularity
        if not self.document.step_back(granularity):
            self.message.emit(self._back_limit_text())
            return False
        self.message.emit(f"Stepped back one {GRANULARITY_LABELS[granularity].lower()}: {self.position_text()}")
        return True

    def back_to_start(self) -> bool:
        """Back to the start of training, or to the last edit if there was one since."""
        self.pause()
        if not self.document.back_to_start():
            self.message.emit(self._back_limit_text())
            return False
        self.message.emit(self._back_limit_text() if self.document.timeline.base else "Back at the start of training")
        return True

    def _back_limit_text(self) -> str:
        if self.document.timeline.base == 0:
            return "At the start of training"
        return "Stepping back stops at your last edit: an edit cannot be replayed (Reset goes to the very start)"

    def _check_stopped(self) -> None:
        training = self.document.training
        if training.finished:
            self.pause()
            self.message.emit(training.message)
            self.stopped.emit(training.status)

    # -- running -------------------------------------------------------------------------------
    def _interval(self) -> int:
        return FRAME_MS if self._run_speed == 0 else int(1000 / self._run_speed)

    def run(self) -> None:
        """Run (F5): step at the chosen granularity at the chosen speed, or train at full speed."""
        if self.document.training.finished:
            self.message.emit("Training has finished; reset (Ctrl+R) to train again.")
            return
        if not self.running:
            self._run_granularity = self.granularity
            self._run_speed = self.speed
            self._timer.start(self._interval())
            self.running_changed.emit(True)
            self.message.emit("Running…")

    def run_to_end(self) -> None:
        """Train at full speed until the epochs are done or training converges; the chosen speed is kept."""
        self.run()
        if self.running:
            self._run_speed = 0
            self._timer.setInterval(self._interval())

    def pause(self) -> None:
        """Pause (Shift+F5); takes effect at once: no work is queued."""
        if self.running:
            self._timer.stop()
            self.running_changed.emit(False)
            self.message.emit("Paused")

    def toggle_run(self) -> None:
        if self.running:
            self.pause()
        else:
            self.run()

    def reset(self) -> None:
        """Back to the start of training (Ctrl+R): initial parameters, empty history."""
        self.pause()
        self.document.reset()
        self.message.emit("Reset to the start of training")

    def _tick(self) -> None:
        if self._run_speed != 0:
            self._step(self._run_granularity)
            return
        if self._redraw_turns:   # let the views refresh and paint what the last slice did
            self._redraw_turns -= 1
            return
        self._redraw_turns = REDRAW_TURNS
        self.document.train_for(SLICE_SECONDS)
        self._check_stopped()


#: What the records of one step at each granularity share (Stepper.step stops where it changes).
_STEP_KEYS = {"factor": None, "phase": lambda record: record.phase, "stage": lambda record: record.stage,
              "sample": lambda record: (record.epoch, record.sample), "epoch": lambda record: record.epoch}


class StepPolicy(Protocol):
    """What takes over Step (F10) while `active`: practice mode asks for each value before showing it."""

    active: bool

    def step(self) -> list[Record]: ...

    def hides(self, record: Record) -> bool:
        """Whether views must not show `record`'s result yet (practice is asking for it)."""
        ...
