"""The settings panel: training settings, initialisation and display precision."""

from __future__ import annotations

import dataclasses
from typing import Callable

from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from simulator.dataset import MAX_ROWS
from simulator.errors import ConfigError, SimulatorError
from simulator.formatting import format_number
from simulator.initialisation import SCHEMES, Initialisation
from simulator.optimizers import RULES, Optimizer
from simulator.training import MAX_EPOCHS, MAX_SEED

from .parsing import parse_float
from .spin_box import RefusingSpinBox
from .document import Change

FULL_PRECISION = 17
ERROR_STYLE = "color: #b00020;"
ORDERS = (("sequential", "In order"), ("shuffled", "Shuffled each epoch"))
CRITERIA = (("parameters", "Largest parameter change"), ("loss", "Change of epoch loss"))
UPDATE_RULES = (("simultaneous", "Simultaneous (gradient descent)"), ("in_place", "In place (the common mistake)"))
MISTAKE_STYLE = "color: #ffffff; background-color: #b00020; padding: 4px; font-weight: bold;"
MISTAKE_WARNING = ("MISTAKEN UPDATE RULE: each layer is updated before the gradient is carried back "
                   "through it, so earlier layers use already-updated weights. This is not gradient descent; "
                   "switch back to Simultaneous for correct training.")
#: The optimiser's number fields: (key, label, tooltip).
OPTIMIZER_NUMBERS = (
    ("momentum", "Momentum μ:", "SGD: v ← μ·v + g, w ← w − η·v; from 0 (none) up to but not including 1 (e.g. 0.9)"),
    ("alpha", "Alpha α:", "RMSprop: s ← α·s + (1 − α)·g²; from 0 up to but not including 1 (PyTorch: 0.99)"),
    ("beta1", "Beta β₁:", "Adam: m ← β₁·m + (1 − β₁)·g; from 0 up to but not including 1 (0.9)"),
    ("beta2", "Beta β₂:", "Adam: v ← β₂·v + (1 − β₂)·g²; from 0 up to but not including 1 (0.999)"),
    ("eps", "Epsilon ε:", "RMSprop and Adam: added to the square root in the denominator; greater than 0 (1e-08)"),
    ("weight_decay", "Weight decay λ:", "Every optimiser: the gradient used is g = ∂L/∂w + λ·w; 0 (none) or more"),
)
TRAINING_FIELDS = ("learning_rate", "epochs", "order", "seed", "batch_size", "tolerance", "convergence",
                   "update_rule", "validation", "validation_seed", "optimizer", "nesterov",
                   *(key for key, _label, _tip in OPTIMIZER_NUMBERS))
SCHEME_TITLES = {"constant": "Constant", "uniform": "Uniform random", "xavier": "Xavier (Glorot)", "he": "He"}


def exact(value: float) -> str:
    """A number as typed back into a field: the shortest text that reads back as the same float."""
    return format_number(value, FULL_PRECISION)


def error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setVisible(False)
    return label


class SettingsPanel(QWidget):
    """Every change goes through `document.edit_config` (undoable); widgets follow settings_changed."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self.errors: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._training_group())
        layout.addWidget(self._optimizer_group())
        layout.addWidget(self._initialisation_group())
        layout.addWidget(self._display_group())
        layout.addStretch(1)
        document.changed.connect(self._document_changed)
        self.refresh()

    def _document_changed(self, change: Change) -> None:
        if change & Change.SETTINGS:
            self._settings_changed()
        if change & Change.STRUCTURE:
            self.refresh_initialisation()
        if change & Change.DISPLAY:
            self.refresh_display()

    # -- building ------------------------------------------------------------------------------
    def _row(self, form: QFormLayout, text: str, field: QWidget, key: str, tip: str) -> None:
        """A labelled field with its own error line under it; the label's mnemonic focuses the field."""
        label = QLabel(text, self)
        label.setBuddy(field)
        field.setToolTip(tip)
        label.setToolTip(tip)
        form.addRow(label, field)
        self.errors[key] = error_label(self)
        form.addRow(self.errors[key])
        if isinstance(field, RefusingSpinBox):   # a refused key or text is said by the field, not dropped silently
            field.name = text.replace("&", "").rstrip(":")
            field.refused.connect(lambda message, key=key: self._show(key, message))
            field.valueChanged.connect(lambda _value, key=key: self._show(key, ""))

    def _form(self, group: QGroupBox) -> QFormLayout:
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(6, 6, 6, 6)
        form.setVerticalSpacing(3)
        return form

    def _training_group(self) -> QGroupBox:
        group = QGroupBox("Training", self)
        form = self._form(group)
        self.rate_edit = QLineEdit(self)
        self._row(form, "Le&arning rate η:", self.rate_edit, "learning_rate",
                  "Step size of every update w ← w − η·∂L/∂w; a number greater than 0 (e.g. 0.001)")
        self.rate_edit.editingFinished.connect(self._rate_edited)
        self.epochs_spin = self._spin(1, MAX_EPOCHS)
        self.epochs_spin.setGroupSeparatorShown(True)
        self._row(form, "E&pochs:", self.epochs_spin, "epochs", "How many passes over the whole dataset")
        self.epochs_spin.valueChanged.connect(lambda value: self._edit("epochs", epochs=value))
        self.order_combo = self._combo(ORDERS)
        self._row(form, "&Order:", self.order_combo, "order",
                  "Visit the rows in file order, or in a fresh random order every epoch (from the seed)")
        self.order_combo.activated.connect(lambda: self._edit("order", order=self.order_combo.currentData()))
        self.seed_spin = self._spin(0, MAX_SEED)
        self._row(form, "Shuffle see&d:", self.seed_spin, "seed", "The same seed gives the same shuffled order")
        self.seed_spin.valueChanged.connect(lambda value: self._edit("seed", seed=value))
        self.batch_spin = self._spin(0, MAX_ROWS)
        self.batch_spin.setSpecialValueText("full")
        self._row(form, "Batch si&ze:", self.batch_spin, "batch_size",
                  "Samples per update: 1 is per-sample SGD as in the lectures; 0 (\"full\") uses the whole dataset")
        self.batch_spin.valueChanged.connect(lambda value: self._edit("batch_size", batch_size=value))
        self.tolerance_edit = QLineEdit(self)
        self._row(form, "&Tolerance:", self.tolerance_edit, "tolerance",
                  "Stop early when the change over an epoch is below this; 0 turns the test off")
        self.tolerance_edit.editingFinished.connect(self._tolerance_edited)
        self.criterion_combo = self._combo(CRITERIA)
        self._row(form, "&Criterion:", self.criterion_combo, "convergence",
                  "What the tolerance is compared with after every epoch")
        self.criterion_combo.activated.connect(
            lambda: self._edit("convergence", convergence=self.criterion_combo.currentData()))
        self.rule_combo = self._combo(UPDATE_RULES)
        self._row(form, "&Update rule:", self.rule_combo, "update_rule",
                  "Simultaneous: every gradient is computed with the old weights, then all parameters move "
                  "(correct). In place: the common mistake of updating a layer before backpropagating through it")
        self.rule_combo.activated.connect(lambda: self._edit("update_rule", update_rule=self.rule_combo.currentData()))
        self.rule_warning = QLabel(MISTAKE_WARNING, self)
        self.rule_warning.setWordWrap(True)
        self.rule_warning.setStyleSheet(MISTAKE_STYLE)
        self.rule_warning.setVisible(False)
        form.addRow(self.rule_warning)
        self.validation_edit = QLineEdit(self)
        self._row(form, "Held out (fraction):", self.validation_edit, "validation",
                  "The fraction of the rows kept out of training (0: none, up to but not including 1): their "
                  "loss and metrics are measured every epoch. Changing it starts training again")
        self.validation_edit.editingFinished.connect(self._validation_edited)
        self.validation_seed_spin = self._spin(0, MAX_SEED)
        self._row(form, "Held-out seed:", self.validation_seed_spin, "validation_seed",
                  "Which rows are held out: the first of a random permutation of the rows from this seed")
        self.validation_seed_spin.valueChanged.connect(
            lambda value: self._edit("validation_seed", validation_seed=value))
        return group

    def _optimizer_group(self) -> QGroupBox:
        group = QGroupBox("Optimiser", self)
        form = self.optimizer_form = self._form(group)
        self.optimizer_combo = self._combo([(name, rule.title) for name, rule in RULES.items()])
        self._row(form, "Optimiser:", self.optimizer_combo, "optimizer",
                  "How the gradient moves the parameters: SGD (w ← w − η·g, optionally with momentum), RMSprop "
                  "or Adam, with PyTorch's update rules. Another optimiser starts with its default settings and "
                  "a fresh state")
        self.optimizer_combo.activated.connect(self._optimizer_chosen)
        self.optimizer_edits: dict[str, QLineEdit] = {}
        for key, text, tip in OPTIMIZER_NUMBERS:
            edit = self.optimizer_edits[key] = QLineEdit(self)
            self._row(form, text, edit, key, tip)
            edit.editingFinished.connect(lambda key=key: self._optimizer_number_edited(key))
            if key == "momentum":
                self.nesterov_check = QCheckBox("Nesterov momentum", self)
                self._row(form, "", self.nesterov_check, "nesterov",
                          "SGD: w ← w − η·(g + μ·v), the gradient looked up ahead; needs a momentum μ above 0")
                self.nesterov_check.toggled.connect(
                    lambda on: self._optimizer_edit("nesterov", nesterov=bool(on)))
        return group

    def _initialisation_group(self) -> QGroupBox:
        group = QGroupBox("Initialisation", self)
        form = self._form(group)
        self.scheme_combo = self._combo([(scheme, SCHEME_TITLES[scheme]) for scheme in SCHEMES])
        self._row(form, "Sche&me:", self.scheme_combo, "scheme",
                  "How Re-initialise fills the weights: one constant, uniform in [low, high], Xavier or He")
        self.scheme_combo.currentIndexChanged.connect(self._scheme_shown)
        self.weight_edit, self.bias_edit = QLineEdit(self), QLineEdit(self)
        self.low_edit, self.high_edit = QLineEdit(self), QLineEdit(self)
        self._row(form, "Constant &weight:", self.weight_edit, "weight", "Every weight's value (constant scheme)")
        self._row(form, "&Bias:", self.bias_edit, "bias", "Every bias's value (all schemes)")
        self._row(form, "Uniform low:", self.low_edit, "low", "Smallest random weight (uniform scheme)")
        self._row(form, "Uniform hi&gh:", self.high_edit, "high", "Largest random weight (uniform scheme)")
        self.init_seed_spin = self._spin(0, MAX_SEED)
        self._row(form, "&Random seed:", self.init_seed_spin, "init_seed", "The same seed gives the same random weights")
        self.reinit_button = QPushButton("Re-&initialise", self)
        self.reinit_button.setToolTip("Fill every weight and bias by this scheme and restart training (Ctrl+Z undoes)")
        self.reinit_button.clicked.connect(self.reinitialise)
        form.addRow(self.reinit_button)
        self.errors["initialisation"] = error_label(self)
        form.addRow(self.errors["initialisation"])
        return group

    def _display_group(self) -> QGroupBox:
        group = QGroupBox("Display", self)
        form = self._form(group)
        self.digits_spin = self._spin(2, 17)
        self._row(form, "Sig&nificant digits:", self.digits_spin, "digits",
                  "How many significant digits numbers are shown with (the engine keeps full precision)")
        self.digits_spin.valueChanged.connect(self.document.set_digits)
        return group

    def _spin(self, low: int, high: int) -> QSpinBox:
        spin = RefusingSpinBox(self)
        spin.setRange(low, high)
        spin.setKeyboardTracking(False)
        spin.setAccelerated(True)
        return spin

    def _combo(self, choices) -> QComboBox:
        combo = QComboBox(self)
        for value, title in choices:
            combo.addItem(title, value)
        return combo

    # -- edits ---------------------------------------------------------------------------------
    def _show(self, key: str, text: str) -> None:
        self.errors[key].setText(text)
        self.errors[key].setVisible(bool(text))

    def _edit(self, key: str, **changes) -> bool:
        """Apply a settings change (undoable); on an error show it by the field and restore the widgets."""
        try:
            self.document.edit_config(**changes)
        except SimulatorError as error:
            self.refresh_training()
            self._show(key, str(error))
            return False
        self._show(key, "")
        return True

    def _number(self, edit: QLineEdit, key: str, name: str, check: Callable[[float], str]) -> float | None:
        """The field's number, or None after showing why it is invalid and restoring the old text."""
        try:
            value = parse_float(edit.text(), name)
            problem = check(value)
            if problem:
                raise ConfigError(f"{name} {problem}")
        except SimulatorError as error:
            self.refresh_training()
            self._show(key, str(error))
            return None
        return value

    def _optimizer_edit(self, key: str, **changes) -> None:
        """Change the optimiser's settings (undoable); a refused value is said by its field."""
        current = self.document.session.training.optimizer
        try:
            optimizer = dataclasses.replace(current, **changes)
        except SimulatorError as error:
            self.refresh_training()
            self._show(key, str(error))
            return
        self._edit(key, optimizer=optimizer)

    def _optimizer_chosen(self) -> None:
        """Another optimiser, with its default settings (the weight decay kept: every optimiser reads it)."""
        name = self.optimizer_combo.currentData()
        current = self.document.session.training.optimizer
        if name != current.name:
            self._edit("optimizer", optimizer=Optimizer(name, weight_decay=current.weight_decay))

    def _optimizer_number_edited(self, key: str) -> None:
        edit = self.optimizer_edits[key]
        current = self.document.session.training.optimizer
        if edit.text().strip() == exact(getattr(current, key)):
            return
        label = next(text for field, text, _tip in OPTIMIZER_NUMBERS if field == key).rstrip(":")
        value = self._number(edit, key, label, lambda number: "")
        if value is not None:
            self._optimizer_edit(key, **{key: value})

    def _rate_edited(self) -> None:
        value = self._number(self.rate_edit, "learning_rate", "learning rate",
                             lambda number: "must be greater than 0" if number <= 0 else "")
        if value is not None:
            self._edit("learning_rate", learning_rate=value)

    def _tolerance_edited(self) -> None:
        value = self._number(self.tolerance_edit, "tolerance", "tolerance",
                             lambda number: "must be 0 (off) or more" if number < 0 else "")
        if value is not None:
            self._edit("tolerance", tolerance=value)

    def _validation_edited(self) -> None:
        value = self._number(self.validation_edit, "validation", "validation fraction",
                             lambda number: "must be from 0 (none) up to but not including 1"
                             if not 0 <= number < 1 else "")
        if value is not None:
            self._edit("validation", validation=value)

    def reinitialise(self) -> None:
        """Build an Initialisation from the fields and apply it (undoable)."""
        for key in ("weight", "bias", "low", "high", "initialisation"):
            self._show(key, "")
        values = {}
        for key, edit in (("weight", self.weight_edit), ("bias", self.bias_edit), ("low", self.low_edit),
                          ("high", self.high_edit)):
            try:
                values[key] = parse_float(edit.text(), f"initial {key}")
            except SimulatorError as error:
                self._show(key, str(error))
                return
        try:
            init = Initialisation(self.scheme_combo.currentData(), seed=self.init_seed_spin.value(), **values)
            self.document.reinitialise(init)
        except SimulatorError as error:
            self._show("initialisation", str(error))

    # -- following the document ----------------------------------------------------------------
    def refresh(self) -> None:
        """Show the document's settings in every widget."""
        self.refresh_training()
        self.refresh_initialisation()
        self.refresh_display()

    def _settings_changed(self) -> None:
        """An edit or an undo: earlier messages about the training fields no longer apply."""
        for key in TRAINING_FIELDS:
            self._show(key, "")
        self.refresh_training()

    def refresh_training(self) -> None:
        """Show the training settings (without sending edits back)."""
        config = self.document.session.training
        widgets = (self.rate_edit, self.epochs_spin, self.order_combo, self.seed_spin, self.batch_spin,
                   self.tolerance_edit, self.criterion_combo, self.rule_combo, self.validation_edit,
                   self.validation_seed_spin, self.optimizer_combo, self.nesterov_check,
                   *self.optimizer_edits.values())
        for widget in widgets:
            widget.blockSignals(True)
        self.rate_edit.setText(exact(config.learning_rate))
        self.epochs_spin.setValue(config.epochs)
        self.order_combo.setCurrentIndex(self.order_combo.findData(config.order))
        self.seed_spin.setValue(config.seed)
        self.seed_spin.setEnabled(config.order == "shuffled")   # in order, the seed has no effect
        self.batch_spin.setValue(config.batch_size)
        self.tolerance_edit.setText(exact(config.tolerance))
        self.criterion_combo.setCurrentIndex(self.criterion_combo.findData(config.convergence))
        self.criterion_combo.setEnabled(config.tolerance > 0)   # a tolerance of 0 never stops early
        self.rule_combo.setCurrentIndex(self.rule_combo.findData(config.update_rule))
        self.rule_warning.setVisible(config.update_rule == "in_place")
        self.validation_edit.setText(exact(config.validation))
        self.validation_seed_spin.setValue(config.validation_seed)
        self._show_optimizer(config.optimizer)
        for widget in widgets:
            widget.blockSignals(False)

    def _show_optimizer(self, optimizer: Optimizer) -> None:
        """The optimiser's name and the settings it reads; the rows of the others are hidden."""
        self.optimizer_combo.setCurrentIndex(self.optimizer_combo.findData(optimizer.name))
        applies = optimizer.rule.hyper_parameters
        for key, edit in self.optimizer_edits.items():
            edit.setText(exact(getattr(optimizer, key)))
            self.optimizer_form.setRowVisible(edit, key in applies)
            if key not in applies:
                self._show(key, "")
        self.nesterov_check.setChecked(optimizer.nesterov)
        self.optimizer_form.setRowVisible(self.nesterov_check, "nesterov" in applies)

    def refresh_initialisation(self) -> None:
        """Show the session's initialisation; typing here changes nothing until Re-initialise."""
        init = self.document.session.initialisation
        self.scheme_combo.setCurrentIndex(self.scheme_combo.findData(init.scheme))
        self.weight_edit.setText(exact(init.weight))
        self.bias_edit.setText(exact(init.bias))
        self.low_edit.setText(exact(init.low))
        self.high_edit.setText(exact(init.high))
        self.init_seed_spin.setValue(init.seed)
        self._scheme_shown()

    def refresh_display(self) -> None:
        self.digits_spin.blockSignals(True)
        self.digits_spin.setValue(self.document.digits)
        self.digits_spin.blockSignals(False)

    def _scheme_shown(self) -> None:
        """Enable only the fields the chosen scheme uses."""
        scheme = self.scheme_combo.currentData()
        self.weight_edit.setEnabled(scheme == "constant")
        self.low_edit.setEnabled(scheme == "uniform")
        self.high_edit.setEnabled(scheme == "uniform")
        self.init_seed_spin.setEnabled(scheme != "constant")
