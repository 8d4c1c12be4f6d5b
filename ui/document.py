"""The open document: one session, its training state and stepper, and the undo stack of edits.

The engine objects are the single source of truth. Every user edit is a QUndoCommand that changes
them and emits a signal; views redraw from the engine when a signal arrives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from simulator.dataset import Dataset
from simulator.errors import ConfigError
from simulator.formatting import format_number
from simulator.initialisation import Initialisation, build_network
from simulator.limits import MAX_CELL_MAGNITUDE, MAX_HIDDEN_LAYERS, MAX_LAYER_SIZE, MAX_PARAMETER_MAGNITUDE
from simulator.network import Layer, Network
from simulator.session import Session
from simulator.stepper import Stepper
from simulator.training import TrainingConfig


class Document(QObject):
    """Owns the session, the Training over it, the Stepper, and the QUndoStack of edits."""

    structure_changed = Signal()     # network shape, activations, loss or dataset columns: rebuild views
    parameters_changed = Signal()    # weight or bias values (edit, update, reset)
    dataset_changed = Signal()       # cell values
    settings_changed = Signal()      # training settings
    records_changed = Signal()       # the stepper revealed or cleared records
    history_changed = Signal()       # epochs were added to (or removed from) the loss history
    file_state_changed = Signal()    # path or modified flag
    display_changed = Signal()       # display precision

    def __init__(self, session: Session, path: str | Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.digits = 6
        self._trained_since_save = False
        self._install(session)
        self.path: Path | None = Path(path) if path else None

    # -- state ---------------------------------------------------------------------------------
    def _install(self, session: Session) -> None:
        self.session = session
        self.training = session.make_training()
        self.stepper = Stepper(self.training)

    def replace_session(self, session: Session, path: str | Path | None = None) -> None:
        """Open another session (New, Open, an example): clears the undo history."""
        self._install(session)
        self.path = Path(path) if path else None
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._trained_since_save = False
        self._emit_all()
        self.file_state_changed.emit()

    def _emit_all(self) -> None:
        self.structure_changed.emit()
        self.parameters_changed.emit()
        self.dataset_changed.emit()
        self.settings_changed.emit()
        self.records_changed.emit()
        self.history_changed.emit()

    def _clean_changed(self, _clean: bool) -> None:
        self.file_state_changed.emit()

    @property
    def network(self) -> Network:
        return self.session.network

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean() or self._trained_since_save

    @property
    def title(self) -> str:
        if self.path:
            return self.path.name
        return self.session.title or "Untitled"

    def mark_trained(self) -> None:
        """Training changed the parameters: the document now differs from its file."""
        if not self._trained_since_save:
            self._trained_since_save = True
            self.file_state_changed.emit()

    def save(self, path: str | Path) -> None:
        """Save atomically; raises SimulatorError with a message on failure, state unchanged."""
        self.session.save(path)
        self.path = Path(path)
        self.undo_stack.setClean()
        self._trained_since_save = False
        self.file_state_changed.emit()

    def set_digits(self, digits: int) -> None:
        self.digits = max(2, min(int(digits), 17))
        self.display_changed.emit()

    # -- edits (each one undoable) -------------------------------------------------------------
    def edit_parameter(self, name: str, value: float) -> None:
        """Set a weight or bias by hand; raises ConfigError (state unchanged) on a bad value."""
        ref = self.network.resolve(name)
        number = float(value)
        if not np.isfinite(number):
            raise ConfigError(f"{ref.name} must be a finite number")
        if abs(number) > MAX_PARAMETER_MAGNITUDE:
            raise ConfigError(f"{ref.name}: {format_number(number, 6)} is too large; use a value between "
                              f"−{MAX_PARAMETER_MAGNITUDE:,.0f} and {MAX_PARAMETER_MAGNITUDE:,.0f}")
        old = self.network.get(ref)
        if old != number:
            self.undo_stack.push(_SetParameter(self, ref.name, old, number))

    def edit_cell(self, row: int, column: int, value: float) -> None:
        """Set one dataset cell; raises SimulatorError (state unchanged) on a bad value."""
        number = float(value)
        dataset = self.session.dataset
        where = f"row {row + 1}, column {dataset.columns[column]!r}"
        if not np.isfinite(number):
            raise ConfigError(f"{where}: must be a finite number")
        if abs(number) > MAX_CELL_MAGNITUDE:
            raise ConfigError(f"{where}: {format_number(number, 6)} is too large; use a value between "
                              f"−{MAX_CELL_MAGNITUDE:,.0f} and {MAX_CELL_MAGNITUDE:,.0f}")
        name = dataset.columns[column]
        if self.training.loss.needs_probabilities and name in dataset.targets and not 0 <= number <= 1:
            raise ConfigError(f"{where}: binary cross-entropy needs targets between 0 and 1")
        old = float(dataset.rows[row, column])
        if old != number:
            self.undo_stack.push(_SetCell(self, row, column, old, number))

    def edit_config(self, **changes) -> None:
        """Change training settings; raises ConfigError (state unchanged) when one is invalid."""
        new = self.session.training.with_changes(**changes)
        if new != self.session.training:
            self.undo_stack.push(_SetConfig(self, self.session.training, new))

    def edit_structure(self, text: str, change) -> None:
        """Apply `change(session_copy)` to a copy of the session and, if it validates, make it current.

        Used for the structural edits (layers, neurons, activations, loss, data, initialisation); they
        restart training. Raises SimulatorError with the state unchanged when the result is invalid.
        """
        new = self.session.copy()
        change(new)
        new = Session(new.network, new.loss, new.training, new.dataset, new.initialisation, new.standardise,
                      new.title, new.description)
        self.undo_stack.push(_ReplaceSession(self, text, self.session.copy(), new))

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

    def set_dataset(self, dataset: Dataset) -> None:
        """Replace the data (CSV import); the network's input and output layers follow its columns."""
        def change(session: Session) -> None:
            session.network = _resize_io(session.network, session.initialisation, dataset)
            session.dataset = dataset
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

    # -- applied by the commands ---------------------------------------------------------------
    def _apply_parameter(self, name: str, value: float) -> None:
        self.network.set(name, value)
        self._parameters_edited()

    def _parameters_edited(self) -> None:
        if self.training.at_start:
            self.training.capture_initial_state()
        self.stepper.invalidate()
        self.parameters_changed.emit()
        self.records_changed.emit()

    def _apply_cell(self, row: int, column: int, value: float) -> None:
        self.session.dataset.set_cell(row, column, value)
        self.training.dataset = self.session.training_dataset()
        self.training.data_changed()
        self.stepper.invalidate()
        self.dataset_changed.emit()
        self.records_changed.emit()

    def _apply_config(self, config: TrainingConfig) -> None:
        self.session.training = config
        self.training.set_config(config)
        self.stepper.invalidate()
        self.settings_changed.emit()
        self.records_changed.emit()

    def _apply_session(self, session: Session) -> None:
        self._install(session)
        self._emit_all()


class _SetParameter(QUndoCommand):
    def __init__(self, document: Document, name: str, old: float, new: float):
        super().__init__(f"Set {name} to {format_number(new)}")
        self.document, self.name, self.old, self.new = document, name, old, new

    def redo(self) -> None:
        self.document._apply_parameter(self.name, self.new)

    def undo(self) -> None:
        self.document._apply_parameter(self.name, self.old)


class _SetCell(QUndoCommand):
    def __init__(self, document: Document, row: int, column: int, old: float, new: float):
        super().__init__(f"Set row {row + 1}, {document.session.dataset.columns[column]} to {format_number(new)}")
        self.document, self.row, self.column, self.old, self.new = document, row, column, old, new

    def redo(self) -> None:
        self.document._apply_cell(self.row, self.column, self.new)

    def undo(self) -> None:
        self.document._apply_cell(self.row, self.column, self.old)


class _SetConfig(QUndoCommand):
    def __init__(self, document: Document, old: TrainingConfig, new: TrainingConfig):
        changed = [key for key, value in new.to_dict().items() if old.to_dict()[key] != value]
        super().__init__("Change " + ", ".join(key.replace("_", " ") for key in changed))
        self.document, self.old, self.new = document, old, new

    def redo(self) -> None:
        self.document._apply_config(self.new)

    def undo(self) -> None:
        self.document._apply_config(self.old)


class _ReplaceSession(QUndoCommand):
    def __init__(self, document: Document, text: str, old: Session, new: Session):
        super().__init__(text)
        self.document, self.old, self.new = document, old, new

    def redo(self) -> None:
        self.document._apply_session(self.new.copy())

    def undo(self) -> None:
        self.document._apply_session(self.old.copy())


def _resize_io(network: Network, init: Initialisation, dataset: Dataset) -> Network:
    """Keep the hidden layers; give the network as many inputs and outputs as the data has."""
    sizes = network.sizes
    if sizes[0] == len(dataset.inputs) and sizes[-1] == len(dataset.targets):
        return Network([layer.copy() for layer in network.layers], list(dataset.inputs), list(dataset.targets))
    sizes[0], sizes[-1] = len(dataset.inputs), len(dataset.targets)
    return build_network(sizes, [layer.activation for layer in network.layers], init,
                         list(dataset.inputs), list(dataset.targets))

