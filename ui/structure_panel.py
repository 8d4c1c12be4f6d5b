"""The structure panel: layers, neurons, activations and the loss, each change undoable."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QApplication, QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy,
                               QToolButton, QVBoxLayout, QWidget)

from simulator.activations import ACTIVATIONS
from simulator.errors import SimulatorError
from simulator.losses import LOSSES, loss_formula
from simulator.network import Layer, fitting_activations
from .document import Change

ERROR_STYLE = "color: #b00020;"


def loss_tooltip() -> str:
    """What the loss choice means, with the output activations each particular loss needs."""
    needs = "".join(f"; {loss.title} needs a {' or '.join(fitting_activations(loss))} output"
                    for loss in LOSSES.values() if loss.needs_probabilities or loss.needs_activation)
    return "The loss L the network minimises" + needs


def offered_activations(output: bool, n_outputs: int) -> list[str]:
    """The activations a layer's chooser lists: one over the whole layer (softmax) only for an
    output layer of two or more neurons."""
    return [name for name, activation in ACTIVATIONS.items()
            if not activation.over_layer or (output and n_outputs >= 2)]


def offered_losses(n_outputs: int) -> list[str]:
    """The losses the chooser lists: one that needs an activation over the layer only with 2+ outputs."""
    return [name for name, loss in LOSSES.items()
            if loss.needs_activation is None or not ACTIVATIONS[loss.needs_activation].over_layer or n_outputs >= 2]


def paired_loss(activation: str, loss: str) -> str | None:
    """The loss to switch to with the output activation `activation`, for a loss made for one
    activation (cross-entropy and softmax change together: either alone would be refused); None
    to keep `loss` (whose refusal, if any, is shown)."""
    current = LOSSES[loss]
    if current.needs_activation == activation:
        return None
    for name, candidate in LOSSES.items():
        if candidate.needs_activation == activation and current.needs_probabilities:
            return name     # softmax chosen after binary cross-entropy: cross-entropy
    if current.needs_activation is not None:
        # another output chosen after cross-entropy: the first loss that takes it
        return next((name for name in LOSSES if activation in fitting_activations(name)), None)
    return None


class StructurePanel(QWidget):
    """One row per layer (name, neurons with −/+, activation, remove), Add hidden layer, and the loss."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self.inputs_label = QLabel(self)
        self.inputs_label.setWordWrap(True)
        self.inputs_label.setToolTip("The inputs come from the dataset's input columns (import a CSV to change them)")
        self.rows = QWidget(self)
        self.grid = QGridLayout(self.rows)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(4)
        self.add_layer_button = QPushButton("&Add hidden layer", self)
        self.add_layer_button.setToolTip("Insert a hidden layer of two neurons just before the output layer "
                                         "(weights follow the initialisation; training restarts)")
        self.add_layer_button.clicked.connect(lambda: self._apply(lambda: document.add_layer(self._last_hidden())))
        self.loss_combo = QComboBox(self)
        self.loss_combo.setToolTip(loss_tooltip())
        self.loss_combo.activated.connect(self._loss_chosen)
        loss_label = QLabel("L&oss:", self)
        loss_label.setBuddy(self.loss_combo)
        self.loss_formula = QLabel(self)
        self.loss_formula.setToolTip("The loss of one sample")
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setVisible(False)
        loss_row = QHBoxLayout()
        loss_row.addWidget(loss_label)
        loss_row.addWidget(self.loss_combo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.inputs_label)
        layout.addWidget(self.rows)
        layout.addWidget(self.add_layer_button)
        layout.addLayout(loss_row)
        layout.addWidget(self.loss_formula)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        document.changed.connect(self._document_changed)
        self.rebuild()

    # -- edits ---------------------------------------------------------------------------------
    def _apply(self, edit: Callable[[], None]) -> bool:
        """Run one document edit; show its error inline (the view is rebuilt from the document)."""
        try:
            edit()
        except SimulatorError as error:
            self.rebuild()
            self.show_error(str(error))
            return False
        self.show_error("")
        return True

    def _document_changed(self, change: Change) -> None:
        if change & Change.STRUCTURE:
            self.show_error("")
            self.rebuild()

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _last_hidden(self) -> int:
        return len(self.document.network.layers) - 1

    def _loss_chosen(self) -> None:
        name = self.loss_combo.currentData()
        if name == self.document.session.loss:
            return
        needed = LOSSES[name].needs_activation
        network = self.document.network
        if needed is not None and network.layers[-1].activation != needed:
            # Cross-entropy and its softmax output change together: either alone would be refused.
            self._apply(lambda: self._set_output_and_loss(needed, name))
        else:
            self._apply(lambda: self.document.set_loss(name))

    def _activation_chosen(self, layer: int, combo: QComboBox) -> None:
        name = combo.currentData()
        network = self.document.network
        if name == network.layers[layer - 1].activation:
            return
        loss = paired_loss(name, self.document.session.loss) if layer == len(network.layers) else None
        if loss is not None:
            self._apply(lambda: self._set_output_and_loss(name, loss))
        else:
            self._apply(lambda: self.document.set_activation(layer, name))

    def _set_output_and_loss(self, activation: str, loss: str) -> None:
        """One undoable edit setting the output activation and the loss that goes with it."""
        output = len(self.document.network.layers)

        def change(session) -> None:
            layer = session.network.layers[output - 1]
            session.network.layers[output - 1] = Layer(layer.weights, layer.biases, activation)
            session.loss = loss
        self.document.edit_structure(f"Set the output activation to {activation} and the loss to {loss}", change)

    # -- building ------------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Rebuild the layer rows from the document; keep keyboard focus on the same control."""
        focused = QApplication.focusWidget()
        focus_name = focused.objectName() if focused is not None and self.rows.isAncestorOf(focused) else ""
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget is not None:
                widget.setObjectName("")
                widget.hide()
                widget.deleteLater()
        network = self.document.network
        names = ", ".join(network.input_names)
        self.inputs_label.setText(f"Inputs: {network.n_inputs} ({names})")
        for layer in range(1, len(network.layers) + 1):
            self._add_layer_row(layer)
        self.grid.setColumnStretch(4, 1)
        self._set_tab_order()
        for index in range(self.grid.count()):
            self.grid.itemAt(index).widget().show()   # now, not queued, so focus can return at once
        self.loss_combo.clear()
        for name in offered_losses(network.n_outputs):
            self.loss_combo.addItem(LOSSES[name].label, name)
        self.loss_combo.setCurrentIndex(self.loss_combo.findData(self.document.session.loss))
        self.loss_formula.setText(loss_formula(LOSSES[self.document.session.loss], network.n_outputs))
        if focus_name:
            target = self.rows.findChild(QWidget, focus_name)
            if target is not None and target.isEnabled():
                target.setFocus()

    def _set_tab_order(self) -> None:
        """Tab walks the rows left to right, top to bottom, then Add hidden layer and the loss."""
        controls = []
        for row in range(1, self.grid.rowCount()):
            for column in (2, 3, 4, 5):
                item = self.grid.itemAtPosition(row, column)
                if item is not None and item.widget() is not None:
                    controls.append(item.widget())
        controls += [self.add_layer_button, self.loss_combo]
        for first, second in zip(controls, controls[1:]):
            QWidget.setTabOrder(first, second)

    def _add_layer_row(self, layer: int) -> None:
        network = self.document.network
        hidden = layer < len(network.layers)
        size = network.layers[layer - 1].n_out
        title = f"Hidden &{layer}" if hidden and layer < 10 else f"Hidden {layer}" if hidden else "O&utput"
        combo = QComboBox(self.rows)
        combo.setObjectName(f"activation{layer}")
        for name in offered_activations(not hidden, network.n_outputs):
            combo.addItem(ACTIVATIONS[name].label, name)
        combo.setCurrentIndex(combo.findData(network.layers[layer - 1].activation))
        combo.setToolTip(f"Activation of {'hidden layer ' + str(layer) if hidden else 'the output layer'}: "
                         f"{ACTIVATIONS[network.layers[layer - 1].activation].formula}")
        combo.activated.connect(lambda _index, layer=layer, combo=combo: self._activation_chosen(layer, combo))
        name_label = QLabel(title, self.rows)
        name_label.setBuddy(combo)
        count = QLabel(f"{size} neuron{'s' if size != 1 else ''}", self.rows)
        count.setObjectName(f"count{layer}")
        count.setToolTip("Neurons in this layer" + ("" if hidden else ": one per target column"))
        self.grid.addWidget(name_label, layer, 0)
        self.grid.addWidget(count, layer, 1)
        if hidden:
            minus = self._tool_button("−", f"remove_neuron{layer}", f"Remove a neuron from hidden layer {layer}",
                                      lambda: self.document.remove_neuron(layer))
            minus.setEnabled(size > 1)
            plus = self._tool_button("+", f"add_neuron{layer}", f"Add a neuron to hidden layer {layer}",
                                     lambda: self.document.add_neuron(layer))
            remove = self._tool_button("✕", f"remove_layer{layer}", f"Remove hidden layer {layer}",
                                       lambda: self.document.remove_layer(layer))
            self.grid.addWidget(minus, layer, 2)
            self.grid.addWidget(plus, layer, 3)
            self.grid.addWidget(remove, layer, 5)
        self.grid.addWidget(combo, layer, 4)

    def _tool_button(self, text: str, name: str, tip: str, edit: Callable[[], None]) -> QToolButton:
        button = QToolButton(self.rows)
        button.setText(text)
        button.setObjectName(name)
        button.setToolTip(tip + " (weights follow the initialisation; training restarts; Ctrl+Z undoes)")
        button.setAccessibleName(tip)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        button.clicked.connect(lambda: self._apply(edit))
        return button
