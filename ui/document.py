"""The open document: one session, the training run from it, and the undo stack of edits.

The document is the only object that changes the model (the engine's `Run`: session, training,
stepper, timeline). After each change it emits `changed` once, with a `Change` saying what changed;
views subscribe and redraw from the engine, holding no copy of their own.

Undo rule (docs/user-guide.md, "Undo and training"): an edit records a snapshot of the complete state
before it; undoing the edit returns to exactly that state (parameters, position, losses, records shown,
step-back timeline), discarding any training done since, and redoing it returns to the state the undo
left. Every undo and redo therefore lands on a state that existed.
"""

from __future__ import annotations

import enum
import time
from contextlib import contextmanager
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from simulator.dataset import Dataset
from simulator.errors import ConfigError
from simulator.formatting import format_number
from simulator.initialisation import Initialisation, build_network
from simulator.limits import MAX_HIDDEN_LAYERS, MAX_LAYER_SIZE
from simulator.network import Layer, Network
from simulator.records import Record
from simulator.run import Run, RunState
from simulator.session import Session
from simulator.stepper import Stepper
from simulator.timeline import Timeline, back_target, go_to
from simulator.training import Training

#: Longest stretch of training work done in one call of `train_for` is the caller's; the number of
#: steps per `Training.run` call starts here and grows while calls are short.
FIRST_CHUNK = 32
#: Edits the undo stack keeps.
UNDO_LIMIT = 200


class Change(enum.Flag):
    """What a change of the document touched (one `Document.changed` carries all of it)."""

    PARAMETERS = enum.auto()   # weight or bias values
    RECORDS = enum.auto()      # the records on show (revealed, cleared)
    POSITION = enum.auto()     # epoch, sample, status
    HISTORY = enum.auto()      # the loss logs
    STRUCTURE = enum.auto()    # network shape, activations, loss, dataset columns: rebuild views
    DATA = enum.auto()         # dataset cell values
    SETTINGS = enum.auto()     # training settings
    FILE = enum.auto()         # path, title or modified flag
    DISPLAY = enum.auto()      # display precision
    #: What a move of training touches.
    MOVE = PARAMETERS | RECORDS | POSITION | HISTORY
    #: Everything about the model.
    MODEL = MOVE | STRUCTURE | DATA | SETTINGS
    ALL = MODEL | FILE | DISPLAY


def _structure_key(session: Session) -> tuple:
    network, dataset = session.network, session.dataset
    return (tuple(network.sizes), tuple(layer.activation for layer in network.layers), session.loss,
            tuple(network.input_names), tuple(network.output_names), tuple(dataset.columns),
            tuple(dataset.inputs), tuple(dataset.targets), session.standardise, session.initialisation)


class Document(QObject):
    """Owns the `Run` (session and training), the display precision and the QUndoStack of edits."""

    changed = Signal(object)     # a Change: emitted once per change, after it
    message = Signal(str)        # for the status bar: what an undo or redo discarded

    def __init__(self, session: Session, path: str | Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        # Each edit keeps a snapshot of the run (shared arrays and frozen logs, not copies); a limit
        # keeps a long session's memory bounded.
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.undo_stack.cleanChanged.connect(self._stack_changed)
        self.undo_stack.indexChanged.connect(self._stack_changed)
        self.digits = 6
        #: Work restored from a recovery file: unsaved although no edit has been made since it opened.
        self._restored_unsaved = False
        #: The modified flag the views were last told of, and what an undo or redo changed (told once the
        #: stack has moved, with the flag, in one notification).
        self._shown_modified = False
        self._deferred = Change(0)
        self._holding = False
        self._chunk = FIRST_CHUNK
        self.run = Run(session)
        self.path: Path | None = Path(path) if path else None

    # -- reading -------------------------------------------------------------------------------
    @property
    def session(self) -> Session:
        """What the user built: the starting parameters, data and settings."""
        return self.run.session

    @property
    def training(self) -> Training:
        return self.run.training

    @property
    def stepper(self) -> Stepper:
        return self.run.stepper

    @property
    def timeline(self) -> Timeline:
        return self.run.timeline

    @property
    def network(self) -> Network:
        """The network as trained so far (the live parameters)."""
        return self.run.training.network

    @property
    def modified(self) -> bool:
        """Edits not saved yet. Training, stepping, Step Back and Reset never count: a file's data, settings
        and seed give the same training bit for bit (docs/user-guide.md, "Undo and training")."""
        return not self.undo_stack.isClean() or self._restored_unsaved

    @property
    def title(self) -> str:
        if self.path:
            return self.path.name
        return self.session.title or "Untitled"

    def _emit(self, change: Change) -> None:
        """Tell the views, once, everything `change` holds, and FILE if the modified flag changed."""
        modified = self.modified
        if modified != self._shown_modified:
            self._shown_modified = modified
            change |= Change.FILE
        if change:
            self.changed.emit(change)

    def _stack_changed(self, *_args) -> None:
        """The undo stack moved (undo, redo) or became clean: one notification with what moved."""
        if not self._holding:
            change, self._deferred = self._deferred, Change(0)
            self._emit(change)

    @contextmanager
    def _stack_held(self):
        """Change the undo stack without a notification of its own: the caller tells the views."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    # -- whole documents -------------------------------------------------------------------------
    def replace_session(self, session: Session, path: str | Path | None = None) -> None:
        """Open another session (New, Open, an example): clears the undo history."""
        self.run = Run(session)
        self.path = Path(path) if path else None
        self._restored_unsaved = False
        with self._stack_held():
            self.undo_stack.clear()
            self.undo_stack.setClean()
        self._emit(Change.ALL)

    def save(self, path: str | Path) -> None:
        """Save atomically what is shown (the live parameters); raises SimulatorError, state unchanged."""
        self.run.current_session().save(path)
        self.path = Path(path)
        self._restored_unsaved = False
        with self._stack_held():
            self.undo_stack.setClean()
        self._emit(Change.FILE)

    def save_untrained_copy(self, path: str | Path) -> None:
        """Save atomically the session as training starts from it (the starting parameters, the same data
        and settings), whatever has been trained; the document keeps its file and its modified flag.
        Raises SimulatorError, state unchanged."""
        self.session.save(path)

    def mark_unsaved(self) -> None:
        """The session on show was restored from a recovery file: it is unsaved work until it is saved."""
        self._restored_unsaved = True
        self._emit(Change(0))

    def set_digits(self, digits: int) -> None:
        self.digits = max(2, min(int(digits), 17))
        self._emit(Change.DISPLAY)

    # -- moving training (not undoable: Step Back and Reset go back) ----------------------------------
    def _moved(self, trained: bool) -> None:
        change = Change.RECORDS | Change.POSITION
        if trained:
            change |= Change.PARAMETERS | Change.HISTORY
        self._emit(change)

    def step(self, granularity: str) -> list[Record]:
        """Reveal the next factor, phase, sample or epoch of training (applying updates as they come)."""
        records = self.run.stepper.step(granularity)
        self._moved(any(record.kind in ("update", "epoch") for record in records))
        return records

    def finish_batch(self) -> Sequence[Record]:
        """Reveal the rest of the batch under way, applying it; its records are made only when read
        (a batch may hold many rows)."""
        stepper = self.run.stepper
        start = stepper.skip_batch()
        records = stepper.records[start:]
        self._moved(len(records) > 0)
        return records

    def train_for(self, seconds: float) -> None:
        """Train on the fast path for about `seconds`: finish the batch on show, then whole steps."""
        training = self.training
        before = (training.epoch, training.position, training.status)
        stepper = self.run.stepper
        start = stepper.skip_batch()
        finished_batch = stepper.revealed_count > start
        deadline = time.perf_counter() + seconds
        training.thin_evaluations = True
        try:
            while not training.finished and (start := time.perf_counter()) < deadline:
                training.run(max_steps=self._chunk)
                took = time.perf_counter() - start
                if took < seconds / 16:
                    self._chunk *= 2
                elif took > seconds / 4 and self._chunk > 1:
                    self._chunk //= 2
        finally:
            training.thin_evaluations = False
        # A run that stops on its very first step changed no numbers, but the views must show why it stopped.
        if finished_batch or (training.epoch, training.position, training.status) != before or training.finished:
            stepper.clear()
            self._moved(True)

    def step_back(self, granularity: str) -> bool:
        """Back one step at `granularity` to where a step could have stopped; False at the earliest one."""
        target = back_target(self.stepper, self.timeline, granularity)
        if target is None:
            return False
        go_to(self.stepper, self.timeline, target)
        self._emit(Change.MOVE)
        return True

    def back_to_start(self) -> bool:
        """Back to the start of training, or to the last edit if there was one since."""
        if back_target(self.stepper, self.timeline, "factor") is None:
            return False
        go_to(self.stepper, self.timeline, (self.timeline.base, 0))
        self._emit(Change.MOVE)
        return True

    def reset(self) -> None:
        """Back to the start of training: the session's starting parameters, no history."""
        self.run.reset()
        self._emit(Change.MOVE)

    # -- snapshots (undo) ----------------------------------------------------------------------------
    def _snapshot(self) -> tuple[Run, RunState]:
        return self.run, self.run.snapshot()

    def _restore(self, state: tuple[Run, RunState]) -> Change:
        """Put the run back to `state`; returns what changed (the undo stack's move tells the views)."""
        run, run_state = state
        old_session = self.session
        self.run = run
        run.restore(run_state)
        change = Change.MOVE
        if _structure_key(old_session) != _structure_key(self.session):
            change |= Change.STRUCTURE | Change.DATA | Change.SETTINGS
        if old_session.dataset is not self.session.dataset:
            change |= Change.DATA
        if old_session.training != self.session.training:
            change |= Change.SETTINGS
        return change

    def _trained_samples(self, state: tuple[Run, RunState]) -> int:
        """How many samples the current run trained beyond `state` (what returning to it discards)."""
        run, run_state = state
        done = len(self.training.sample_losses)
        return max(0, done - (len(run_state.training.sample_losses) if run is self.run else 0))

    def _edit(self, text: str, change: Change, apply) -> None:
        """Apply `apply()` as one undoable edit; when it raises, the state is left as it was."""
        before = self._snapshot()
        try:
            apply()
        except BaseException:
            self.run = before[0]
            self.run.restore(before[1])
            raise
        with self._stack_held():
            self.undo_stack.push(_Edit(self, text, before, self._snapshot()))
        self._emit(change)

    # -- edits (each one undoable) -------------------------------------------------------------
    def edit_parameter(self, name: str, value: float) -> None:
        """Set a weight or bias by hand; raises ConfigError (state unchanged) on a bad value."""
        ref = self.network.resolve(name)
        if self.network.get(ref) == float(value):
            return

        def apply() -> None:
            self.run = self.run.set_parameter(ref.name, value)
        self._edit(f"Set {ref.name} to {format_number(float(value))}", Change.MOVE, apply)

    def edit_cell(self, row: int, column: int, value: float) -> None:
        """Set one dataset cell; raises SimulatorError (state unchanged) on a bad value."""
        dataset = self.session.dataset
        if float(dataset.rows[row, column]) == float(value):
            return
        self._edit(f"Set row {row + 1}, {dataset.columns[column]} to {format_number(float(value))}",
                   Change.DATA | Change.RECORDS | Change.POSITION, lambda: self.run.set_cell(row, column, value))

    def bring_forward(self, row: int) -> bool:
        """Make dataset row `row` (0-based) the next sample to step, as an undoable edit; False when it is
        next already. Raises SimulatorError (state unchanged) when it cannot be (see `Training.bring_forward`)."""
        training = self.training
        order = training.order(training.epoch)
        if not training.finished and 0 <= row < training.X.shape[0] and training.position < len(order) \
                and int(order[training.position]) == row:
            return False
        self._edit(f"Make row {row + 1} the next sample", Change.RECORDS | Change.POSITION,
                   lambda: self.run.bring_forward(row))
        return True

    def edit_config(self, **changes) -> None:
        """Change training settings; raises ConfigError (state unchanged) when one is invalid."""
        old = self.session.training
        new = old.with_changes(**changes)
        if new == old:
            return
        before, after = old.to_dict(), new.to_dict()
        text = "Change " + ", ".join(key.replace("_", " ") for key in {**before, **after}
                                     if before.get(key) != after.get(key))
        change = Change.SETTINGS | Change.RECORDS | Change.POSITION
        if (new.validation, new.validation_seed) != (old.validation, old.validation_seed):
            change |= Change.MOVE   # other rows held out: training starts again (Training.set_config)
        self._edit(text, change, lambda: self.run.set_config(new))

    def edit_structure(self, text: str, change) -> None:
        """Apply `change(session_copy)` to a copy of the session as it is now (with the live parameters)
        and, if it validates, start a new run from it.

        Used for the structural edits (layers, neurons, activations, loss, data, initialisation).
        Raises SimulatorError with the state unchanged when the result is invalid.
        """
        new = self.run.current_session().copy()
        change(new)
        new = Session(new.network, new.loss, new.training, new.dataset, new.initialisation, new.standardise,
                      new.title, new.description)

        def apply() -> None:
            self.run = Run(new)
        self._edit(text, Change.MODEL, apply)

    def set_activation(self, layer: int, activation: str) -> None:
        def change(session: Session) -> None:
            session.network.layers[layer - 1] = Layer(session.network.layers[layer - 1].weights,
                                                      session.network.layers[layer - 1].biases, activation)
        self.edit_structure(f"Set layer {layer} activation to {activation}", change)

    def set_loss(self, loss: str) -> None:
        def change(session: Session) -> None:
            session.loss = loss
        self.edit_structure(f"Set loss to {loss}", change)

    def reinitialise(self, init: Initialisation) -> None:
        def change(session: Session) -> None:
            init.apply(session.network)
            session.initialisation = init
        self.edit_structure(f"Re-initialise ({init.scheme})", change)

    def set_standardise(self, on: bool) -> None:
        def change(session: Session) -> None:
            session.standardise = bool(on)
        self.edit_structure("Standardise inputs" if on else "Use raw inputs", change)

    def set_dataset(self, dataset: Dataset, title: str | None = None) -> None:
        """Replace the data (CSV import); the network's input and output layers follow its columns.
        With a `title` the session is named after it (the imported file)."""
        def change(session: Session) -> None:
            session.network = _resize_io(session.network, session.initialisation, dataset)
            session.dataset = dataset
            if title is not None:
                session.title = title
        self.edit_structure("Import data", change)

    def add_neuron(self, layer: int) -> None:
        """Add a neuron to hidden layer `layer` (1-based); new weights follow the initialisation."""
        self._check_hidden(layer)
        sizes = self.network.sizes
        if sizes[layer] >= MAX_LAYER_SIZE:
            raise ConfigError(f"a layer can have at most {MAX_LAYER_SIZE} neurons")
        sizes[layer] += 1
        self._reshape(sizes, f"Add a neuron to layer {layer}")

    def remove_neuron(self, layer: int) -> None:
        self._check_hidden(layer)
        sizes = self.network.sizes
        if sizes[layer] <= 1:
            raise ConfigError("a hidden layer needs at least one neuron; remove the layer instead")
        sizes[layer] -= 1
        self._reshape(sizes, f"Remove a neuron from layer {layer}")

    def add_layer(self, after: int, neurons: int = 2, activation: str | None = None) -> None:
        """Insert a hidden layer after layer `after` (0 = right after the inputs)."""
        if len(self.network.layers) - 1 >= MAX_HIDDEN_LAYERS:
            raise ConfigError(f"at most {MAX_HIDDEN_LAYERS} hidden layers")
        if not 0 <= after < len(self.network.layers):
            raise ConfigError("a hidden layer goes between the inputs and the output layer")
        sizes = self.network.sizes
        sizes.insert(after + 1, int(neurons))
        activations = [layer.activation for layer in self.network.layers]
        activations.insert(after, activation or activations[max(after - 1, 0)])
        self._reshape(sizes, f"Add a hidden layer after layer {after}", activations)

    def remove_layer(self, layer: int) -> None:
        self._check_hidden(layer)
        sizes = self.network.sizes
        del sizes[layer]
        activations = [item.activation for item in self.network.layers]
        del activations[layer - 1]
        self._reshape(sizes, f"Remove hidden layer {layer}", activations)

    def _check_hidden(self, layer: int) -> None:
        if not 1 <= layer < len(self.network.layers):
            raise ConfigError(f"layer {layer} is not a hidden layer")

    def _reshape(self, sizes: list[int], text: str, activations: list[str] | None = None) -> None:
        """A network of new `sizes`, initialised by the session's scheme (a structural edit)."""
        acts = activations or [layer.activation for layer in self.network.layers]

        def change(session: Session) -> None:
            session.network = build_network(sizes, acts, session.initialisation, session.network.input_names,
                                            session.network.output_names)
        self.edit_structure(text, change)


class _Edit(QUndoCommand):
    """One edit as two snapshots: the state before it, and the state to redo to (after it at first;
    after an undo, the state the undo left, so Undo then Redo changes nothing)."""

    def __init__(self, document: Document, text: str, before: tuple[Run, RunState], after: tuple[Run, RunState]):
        super().__init__(text)
        self.document, self.before, self.after = document, before, after
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:      # pushing: the edit is applied already
            self._pushed = True
            return
        self._go(self.after, "Redo")

    def undo(self) -> None:
        self.after = self.document._snapshot()
        self._go(self.before, "Undo")

    def _go(self, state: tuple[Run, RunState], verb: str) -> None:
        document = self.document
        discarded = document._trained_samples(state)
        document._deferred |= document._restore(state)
        text = f"{verb}: {self.text()}"
        if discarded:
            text += (f" — the training done since ({discarded:,} sample{'s' if discarded != 1 else ''})"
                     " is discarded")
        document.message.emit(text)


def _resize_io(network: Network, init: Initialisation, dataset: Dataset) -> Network:
    """Keep the hidden layers; give the network as many inputs and outputs as the data has."""
    sizes = network.sizes
    if sizes[0] == len(dataset.inputs) and sizes[-1] == len(dataset.targets):
        return Network([layer.copy() for layer in network.layers], list(dataset.inputs), list(dataset.targets))
    sizes[0], sizes[-1] = len(dataset.inputs), len(dataset.targets)
    return build_network(sizes, [layer.activation for layer in network.layers], init,
                         list(dataset.inputs), list(dataset.targets))

