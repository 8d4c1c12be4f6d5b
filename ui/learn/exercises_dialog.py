"""File ▸ Export Exercises…: a set of problems to work by hand, with answer keys, written to a folder.

The dialog builds an `ExerciseSpec` from its fields (a bad field is named under the form and nothing
is written), then makes the problems one per timer tick, and writes the files one per tick, with a
progress bar and Cancel, so the window never freezes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from simulator.activations import ACTIVATIONS
from simulator.errors import SimulatorError
from simulator.exercise_sheets import FORMATS, SheetSet
from simulator.exercises import ASKS, MAX_COUNT, OPTIMIZERS, OUTPUT_ACTIVATION, ExerciseSpec, iter_problems, parse_shape
from simulator.losses import get_loss
from simulator.numbers import NumberError, parse_number
from simulator.optimizers import Optimizer
from simulator.training import MAX_SEED

FOLDER_KEY = "exercises/folder"
OPTIMIZER_LABELS = {"sgd": "SGD (plain gradient descent)"}
FORMAT_LABELS = {"html": "HTML", "md": "Markdown", "tex": "LaTeX", "json": "JSON (sessions and answers)"}
#: The parts as Practice names the same kinds of question (the CLI's --ask keeps the keys).
ASK_LABELS = {"forward": "Outputs", "loss": "Loss", "gradients": "Gradients", "updates": "Updates"}
ASK_TIPS = {"forward": "Every neuron's z and o, and ŷ", "loss": "The loss L of the sample",
            "gradients": "Every ∂L/∂w and ∂L/∂b", "updates": "Every parameter after one step of gradient descent"}


class ExercisesDialog(QDialog):
    """The fields of `backprop-sim exercises`, a progress bar, and Export / Cancel."""

    def __init__(self, parent=None, folder: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export Exercises")
        self.written: list[Path] = []
        self._job = None
        self._files = None      # the files being written, once every problem is made
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._advance)
        form = QFormLayout()
        self.count = self._spin(1, MAX_COUNT, 5, "How many problems (each one different)")
        self.seed = self._spin(0, MAX_SEED, 0, "The same seed and settings always give the same set")
        self.shape = QLineEdit("2-2-1", self)
        self.shape.setToolTip("Layer sizes joined by '-', inputs first: 2-2-1, 3-2-2, 2-2-2-1 "
                              "(at most 2 hidden layers and 4 neurons a layer)")
        self.activation = QComboBox(self)
        for name, item in ACTIVATIONS.items():
            if not item.over_layer:
                self.activation.addItem(item.label, name)
        self.activation.setToolTip("The hidden layers' activation")
        self.loss = QComboBox(self)
        for name, output in OUTPUT_ACTIVATION.items():
            self.loss.addItem(f"{get_loss(name).label} ({output} output)", name)
        self.loss.setToolTip("The loss decides the output layer: linear for squared errors, sigmoid for binary "
                             "cross-entropy, softmax for cross-entropy")
        self.optimizer = QComboBox(self)
        for name in OPTIMIZERS:
            self.optimizer.addItem(OPTIMIZER_LABELS.get(name) or Optimizer(name).describe(), name)
        self.optimizer.setToolTip("How the gradient moves each parameter, with PyTorch's default settings; the key "
                                  "shows one step from a fresh start")
        self.rate = QLineEdit("0.1", self)
        self.rate.setToolTip("The learning rate η of every problem")
        self.asks = {part: QCheckBox(ASK_LABELS[part], self) for part in ASKS}
        for part, box in self.asks.items():
            box.setChecked(True)
            box.setToolTip(ASK_TIPS[part])
        self.digits = self._spin(1, 17, 6, "Significant digits the sheet asks for and the key shows")
        self.formats = {kind: QCheckBox(FORMAT_LABELS[kind], self) for kind in FORMATS}
        for box in self.formats.values():
            box.setChecked(True)
        self.folder = QLineEdit(folder or str(QSettings().value(FOLDER_KEY, str(Path.home() / "exercises"))), self)
        self.folder.setToolTip("The folder the sheets are written into (made if missing)")
        browse = QPushButton("&Browse…", self)
        browse.clicked.connect(self._browse)
        form.addRow("&Problems:", self.count)
        form.addRow("&Seed:", self.seed)
        form.addRow("S&hape:", self.shape)
        form.addRow("&Activation:", self.activation)
        form.addRow("&Loss:", self.loss)
        form.addRow("&Optimiser:", self.optimizer)
        form.addRow("Learning &rate:", self.rate)
        form.addRow("Ask for:", self._row(list(self.asks.values())))
        form.addRow("&Digits:", self.digits)
        form.addRow("Formats:", self._row(list(self.formats.values())))
        form.addRow("&Folder:", self._row([self.folder, browse], stretch=0))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.progress = QProgressBar(self)
        self.progress.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = self.buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.cancel)
        layout = QVBoxLayout(self)
        intro = QLabel("Problems of one training step on one sample, with round numbers to work by hand: a student "
                       "sheet and an answer key with each worked solution.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

    def _spin(self, low: int, high: int, value: int, tip: str) -> QSpinBox:
        box = QSpinBox(self)
        box.setRange(low, high)
        box.setValue(value)
        box.setToolTip(tip)
        return box

    def _row(self, widgets: list[QWidget], stretch: int = 1) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            layout.addWidget(widget)
        if stretch:
            layout.addStretch(1)
        return row

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the Exercises", self.folder.text())
        if folder:
            self.folder.setText(folder)

    # -- the set --------------------------------------------------------------------------------
    def spec(self) -> ExerciseSpec:
        """The fields as a spec; SimulatorError naming the field that is wrong."""
        try:
            rate = parse_number(self.rate.text())
        except NumberError as error:
            raise SimulatorError(f"learning rate: {error}") from None
        ask = tuple(part for part, box in self.asks.items() if box.isChecked())
        if not ask:
            raise SimulatorError("ask for: tick at least one of Outputs, Loss, Gradients, Updates")
        return ExerciseSpec(count=self.count.value(), seed=self.seed.value(), shape=parse_shape(self.shape.text()),
                            activation=self.activation.currentData(), loss=self.loss.currentData(),
                            optimizer=self.optimizer.currentData(), learning_rate=rate, ask=ask,
                            digits=self.digits.value())

    def chosen_formats(self) -> tuple[str, ...]:
        return tuple(kind for kind, box in self.formats.items() if box.isChecked())

    def start(self) -> None:
        """Check the fields, then make the problems one per timer tick."""
        if self._job is not None:
            return
        try:
            spec = self.spec()
            formats = self.chosen_formats()
            if not formats:
                raise SimulatorError("formats: tick at least one")
            if not self.folder.text().strip():
                raise SimulatorError("folder: choose a folder for the sheets")
            folder = Path(self.folder.text().strip()).expanduser()
            if folder.exists() and not folder.is_dir():
                raise SimulatorError(f"folder: {folder} is a file, not a folder")
        except SimulatorError as error:
            self.message.setText(str(error))
            return
        self.message.setText("")
        self._job = (iter_problems(spec), SheetSet(spec, formats), folder)
        self._files = None
        self.written = []
        self.progress.setRange(0, spec.count)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.export_button.setEnabled(False)
        self._timer.start()

    def _advance(self) -> None:
        """One problem made, or (once they all are) one file written, per tick."""
        problems, sheets, folder = self._job
        try:
            if self._files is None:
                problem = next(problems, None)
                if problem is not None:
                    sheets.add(problem)
                    self.progress.setValue(problem.number)
                    return
                self._files = sheets.writing(folder)
                self.progress.setRange(0, len(sheets.problems) + sheets.file_count())
            path = next(self._files, None)
            if path is not None:
                self.written.append(path)
                self.progress.setValue(self.progress.value() + 1)
                return
        except SimulatorError as error:
            self._stop()
            self.message.setText(str(error))
            return
        self._stop()
        QSettings().setValue(FOLDER_KEY, str(folder))
        self.accept()

    def _stop(self) -> None:
        self._timer.stop()
        self._job = self._files = None
        self.progress.setVisible(False)
        self.export_button.setEnabled(True)

    def cancel(self) -> None:
        """Stop a set being made or written, or close the dialog."""
        if self._job is not None:
            writing = self._files is not None
            self._stop()
            self.message.setText(f"Cancelled: {len(self.written)} of the set's files were written." if writing
                                 else "Cancelled: nothing was written.")
            return
        self.reject()


def export_exercises(window) -> None:
    """File ▸ Export Exercises…: the dialog, then a status message naming the folder."""
    window.controller.pause()
    dialog = ExercisesDialog(window)
    if dialog.exec() == QDialog.DialogCode.Accepted and dialog.written:
        sheets = [path for path in dialog.written if path.parent.name != "sessions"]
        window.show_message(f"Exported {dialog.count.value()} exercises to {sheets[0].parent}")
