"""Gradient check: backpropagation's gradient of every parameter beside a central-difference estimate."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView,
                               QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout)

from simulator.analysis import GradientCheck, focus_rows, gradient_check
from simulator.errors import SimulatorError
from simulator.formatting import digits_apart, format_number

from ..inspector import to_unicode_subscripts
from . import RedrawScheduler, fill_scope_combo
from ..document import Change

#: Relative differences below this mean the two gradients agree.
AGREEMENT = 1e-6
#: Significant digits in the table: enough to see where the two estimates part.
TABLE_DIGITS = 12
HEADERS = ("Parameter", "Backpropagation ∂L/∂θ", "Central difference", "Relative difference")
EXPLANATION = (
    "A central difference estimates a derivative from the loss alone: nudge one parameter up and down "
    "by a small h and take (L(θ + h) − L(θ − h)) / 2h, here with h = 10⁻⁶·max(1, |θ|). Its error shrinks "
    "like h², so when backpropagation is right the two columns agree to about 10⁻⁸ or better. "
    "Relative difference = |a − n| / max(|a|, |n|). Near a ReLU's kink the estimate straddles the corner "
    "and can differ for a good reason.")


def verdict(checks: list[GradientCheck]) -> tuple[str, bool]:
    """The line under the table and whether every parameter agrees."""
    worst = max(checks, key=lambda check: check.relative_difference)
    name = to_unicode_subscripts(worst.parameter)
    # Digits enough that the largest difference never reads the same as the threshold it is compared with.
    digits = digits_apart(worst.relative_difference, AGREEMENT, 3)
    largest, threshold = format_number(worst.relative_difference, digits), format_number(AGREEMENT, digits)
    if worst.relative_difference < AGREEMENT:
        return (f"The gradients agree: every relative difference is below {threshold} "
                f"(largest {largest}, for {name})."), True
    bad = sum(check.relative_difference >= AGREEMENT for check in checks)
    return (f"{bad} of {len(checks)} gradients differ by more than {threshold}; the largest is "
            f"{largest}, for {name}."), False


class GradientCheckDialog(QDialog):
    """A table of `simulator.analysis.gradient_check` on the current sample or the whole dataset."""

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self.checks: list[GradientCheck] = []
        self.setWindowTitle("Gradient Check")
        self.scope_box = QComboBox(self)
        fill_scope_combo(self.scope_box)
        self.scope_box.currentIndexChanged.connect(lambda _index: self.scheduler.request())
        self.rows_label = QLabel(self)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # The number columns share the width: right-aligned twelve-digit numbers sized to their contents
        # would touch the next column's and read as one.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.verdict_label = QLabel(self)
        self.verdict_label.setWordWrap(True)
        self.explanation = QLabel(EXPLANATION, self)
        self.explanation.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        top = QHBoxLayout()
        label = QLabel("Loss &of:", self)
        label.setBuddy(self.scope_box)
        top.addWidget(label)
        top.addWidget(self.scope_box)
        top.addWidget(self.rows_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.verdict_label)
        layout.addWidget(self.explanation)
        layout.addWidget(buttons)
        self.resize(760, 520)
        self.scheduler = RedrawScheduler(self, self.refresh)
        document.changed.connect(self._document_changed)

    def _document_changed(self, change: Change) -> None:
        if change & (Change.STRUCTURE | Change.PARAMETERS | Change.RECORDS | Change.DATA):
            self.scheduler.request()

    @property
    def scope(self) -> str:
        return self.scope_box.currentData()

    def set_scope(self, scope: str) -> None:
        self.scope_box.setCurrentIndex(self.scope_box.findData(scope))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.scheduler.shown()

    def refresh(self) -> None:
        """Run the engine's gradient check on the chosen rows and fill the table."""
        training = self.document.training
        try:
            rows = focus_rows(training, self.document.stepper.batch, self.scope)
            self.checks = gradient_check(training.network, training.X[rows], training.Y[rows], training.loss)
        except SimulatorError as error:
            self.checks = []
            self.table.setRowCount(0)
            self.verdict_label.setText(str(error))
            return
        shown = ", ".join(str(int(row) + 1) for row in rows[:8]) + (" …" if len(rows) > 8 else "")
        self.rows_label.setText(f"dataset row{'s' if len(rows) > 1 else ''} {shown}")
        self.table.setRowCount(len(self.checks))
        for row, check in enumerate(self.checks):
            texts = (to_unicode_subscripts(check.parameter), format_number(check.analytic, TABLE_DIGITS),
                     format_number(check.numeric, TABLE_DIGITS), format_number(check.relative_difference, 3))
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        text, agree = verdict(self.checks)
        self.verdict_label.setText(text)
        self.verdict_label.setStyleSheet(f"color: {'#1b6e20' if agree else '#b00020'}; font-weight: bold;")
