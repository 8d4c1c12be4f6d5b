"""Practice mode: before a value is revealed, the learner types it; the answer is checked and scored.

While practice mode is on, Step (F10) reveals records up to the next value of a practised kind and
asks for it. The correct value and formula come from the engine's records, as in the inspector.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDockWidget, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from simulator.errors import SimulatorError
from simulator.formatting import describe, format_number, record_lines
from simulator.records import Record
from simulator.worked import to_html

from ..document import Change
from ..parsing import parse_float
from . import learn_menu

#: An answer is right when |answer − value| ≤ max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE·|value|).
RELATIVE_TOLERANCE = 1e-3
ABSOLUTE_TOLERANCE = 1e-6
KINDS = (("forward", "Outputs"), ("loss", "Loss"), ("factor", "Factors"), ("gradient", "Gradients"),
         ("update", "Updates"))
KIND_TIPS = {"forward": "each neuron's output in the forward pass", "loss": "the loss of each sample",
             "factor": "each factor of the chain rule", "gradient": "each gradient (the product of its factors)",
             "update": "each parameter's new value"}
#: Most records one Step reveals while looking for the next question.
MAX_REVEAL = 100_000
RIGHT_STYLE, WRONG_STYLE = "color: #1b6e20;", "color: #b00020;"


def answer_is_correct(answer: float, value: float) -> bool:
    """True when `answer` is within the tolerance of the engine's `value` (the boundary included)."""
    return abs(answer - value) <= max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE * abs(value))


def asked_value(record: Record) -> tuple[str, float] | None:
    """The name and engine value a learner is asked for in `record`; None for an epoch's end."""
    if record.kind == "forward":
        return record.out_label, record.out
    if record.kind == "loss":
        return "L", record.value
    if record.kind == "factor":
        return record.label, record.value
    if record.kind == "gradient":
        return f"∂L/∂{record.parameter}", record.value
    if record.kind == "update":
        return f"the new {record.parameter}", record.new
    return None


def question_lines(record: Record, digits: int) -> list[str]:
    """The record's formula lines with the results left out: `L = (y − ŷ)² = (4 − 0.32)² = ?`."""
    lines = []
    for line in record_lines(record, digits):
        lines.append(line.rsplit(" = ", 1)[0] + " = ?" if " = " in line else line)
    return lines


class PracticePanel(QWidget):
    """The question, the answer field, the result and the score; `active` while practice mode is on."""

    question_changed = Signal()      # a question was asked, answered, revealed or withdrawn

    def __init__(self, document, controller, parent=None):
        super().__init__(parent)
        self.document, self.controller = document, controller
        self.active = False
        self.pending: Record | None = None
        self.correct = self.attempted = self.revealed = 0
        self.kind_boxes: dict[str, QCheckBox] = {}
        boxes = QHBoxLayout()
        boxes.setContentsMargins(0, 0, 0, 0)
        boxes.addWidget(QLabel("Ask for:", self))
        for kind, title in KINDS:
            box = QCheckBox(title, self)
            box.setChecked(True)
            box.setToolTip(f"Ask for {KIND_TIPS[kind]} before it is shown")
            box.toggled.connect(self.question_changed)
            self.kind_boxes[kind] = box
            boxes.addWidget(box)
        boxes.addStretch(1)
        self.question = QLabel(self)
        self.question.setTextFormat(Qt.TextFormat.RichText)
        self.question.setWordWrap(True)
        font = self.question.font()      # the question and the answer's formula: larger than the controls
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.question.setFont(font)
        self.answer_edit = QLineEdit(self)
        self.answer_edit.setPlaceholderText("Your answer, e.g. −7.36")
        self.answer_edit.setToolTip(f"Right within a relative {format_number(RELATIVE_TOLERANCE, 3)} (or {format_number(ABSOLUTE_TOLERANCE, 3)} "
                                    "near zero); press Enter to check")
        self.answer_edit.returnPressed.connect(self.check)
        self.check_button = QPushButton("&Check", self)
        self.check_button.setToolTip("Check your answer against the engine's value (Enter)")
        self.check_button.clicked.connect(self.check)
        self.reveal_button = QPushButton("&Reveal", self)
        self.reveal_button.setToolTip("Show the value without answering (no credit)")
        self.reveal_button.clicked.connect(self.reveal)
        answer_row = QHBoxLayout()
        answer_row.addWidget(self.answer_edit, 1)
        answer_row.addWidget(self.check_button)
        answer_row.addWidget(self.reveal_button)
        self.feedback = QLabel(self)
        self.feedback.setFont(font)
        self.feedback.setTextFormat(Qt.TextFormat.RichText)
        self.feedback.setWordWrap(True)
        self.feedback.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.score_label = QLabel(self)
        self.reset_button = QPushButton("Reset Sc&ore", self)
        self.reset_button.setToolTip("Start counting right answers from zero again")
        self.reset_button.clicked.connect(self.reset_score)
        score_row = QHBoxLayout()
        score_row.addWidget(self.score_label, 1)
        score_row.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(boxes)
        layout.addWidget(self.question)
        layout.addLayout(answer_row)
        layout.addWidget(self.feedback)
        layout.addStretch(1)
        layout.addLayout(score_row)
        document.changed.connect(self._document_changed)
        controller.set_step_policy(self)
        self._show_question()
        self._show_score()

    # -- state ---------------------------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        self.active = bool(active)
        if not self.active:
            self._withdraw()
        self.question_changed.emit()

    def _document_changed(self, change: Change) -> None:
        """A step, a step back or an edit: a question about a record that is no longer next is withdrawn."""
        if change & Change.MODEL and self.pending is not None:
            self._withdraw()
        if change & Change.DISPLAY:
            self._show_question()

    def _withdraw(self) -> None:
        self.pending = None
        self._show_question()
        self.question_changed.emit()

    def hides(self, record: Record) -> bool:
        """Whether a view must not show `record`'s running product: after a chain's last factor it is the
        gradient, which practice is asking for or will ask for next."""
        if record.kind != "factor" or record.index != record.count:
            return False
        pending = self.pending
        if pending is not None and pending.kind == "gradient":
            return (record.epoch, record.sample, record.parameter) == (pending.epoch, pending.sample,
                                                                       pending.parameter)
        return self.active and self.kind_boxes["gradient"].isChecked() and record is self.document.stepper.current

    def _asks(self, record: Record) -> bool:
        box = self.kind_boxes.get(record.kind)
        asked = asked_value(record)
        return box is not None and box.isChecked() and asked is not None and abs(asked[1]) < float("inf")

    # -- stepping ------------------------------------------------------------------------------
    def step(self) -> list[Record]:
        """F10 in practice mode: reveal up to the next practised value and ask for it."""
        if self.pending is not None:
            self.controller.message.emit("Type your answer first, or press Reveal")
            self.answer_edit.setFocus()
            return []
        if not any(box.isChecked() for box in self.kind_boxes.values()):
            return self.controller.reveal_next(self.controller.granularity)
        shown: list[Record] = []
        stepper = self.document.stepper
        for _ in range(MAX_REVEAL):
            if self.document.training.finished and stepper.revealed_count >= len(stepper.records):
                if not shown:
                    shown += self.controller.reveal_next()   # says why training stopped
                break
            upcoming = stepper.upcoming()
            if upcoming is None:
                break
            if self._asks(upcoming):
                self._ask(upcoming)
                break
            shown += self.controller.reveal_next()
            if shown and shown[-1].kind == "epoch":
                break
        return shown

    def _ask(self, record: Record) -> None:
        self.pending = record
        self.answer_edit.clear()
        self.feedback.clear()
        self._show_question()
        self.question_changed.emit()
        self.answer_edit.setFocus()

    def _show_question(self) -> None:
        record = self.pending
        asking = record is not None
        for widget in (self.answer_edit, self.check_button, self.reveal_button):
            widget.setEnabled(asking)
        if not asking:
            self.question.setText(to_html("Press F10 for the next question." if self.active else
                                          "Turn on Learn ▸ Practice Mode, then press F10."))
            return
        name, _value = asked_value(record)
        lines = question_lines(record, self.document.digits)
        self.question.setText(f"<b>{to_html(describe(record))}</b><br>" + "<br>".join(to_html(line) for line in lines)
                              + f"<br>What is <b>{to_html(name)}</b>?")

    # -- answering -----------------------------------------------------------------------------
    def check(self) -> bool | None:
        """Check the typed answer, score it and reveal the value; None when nothing was checked."""
        record = self.pending
        if record is None:
            return None
        name, value = asked_value(record)
        try:
            answer = parse_float(self.answer_edit.text(), "answer")
        except SimulatorError as error:
            self.feedback.setStyleSheet(WRONG_STYLE)
            self.feedback.setText(to_html(str(error)))
            return None
        right = answer_is_correct(answer, value)
        self.attempted += 1
        self.correct += int(right)
        digits = self.document.digits
        verdict = ("Right." if right else
                   f"Not quite: you typed {format_number(answer, digits)}, {name} = {format_number(value, digits)}.")
        self._finish(record, verdict, RIGHT_STYLE if right else WRONG_STYLE)
        return right

    def reveal(self) -> None:
        """Show the value without an answer: no credit, counted as revealed."""
        record = self.pending
        if record is None:
            return
        self.revealed += 1
        self._finish(record, "Revealed (no credit).", "")

    def _finish(self, record: Record, verdict: str, style: str) -> None:
        self.pending = None
        lines = record_lines(record, self.document.digits)
        self.feedback.setStyleSheet(style)
        self.feedback.setText(f"<b>{to_html(verdict)}</b><br>" + "<br>".join(to_html(line) for line in lines))
        self._show_score()
        self._show_question()
        self.question_changed.emit()
        self.controller.reveal_next()

    def reset_score(self) -> None:
        self.correct = self.attempted = self.revealed = 0
        self._show_score()

    def _show_score(self) -> None:
        revealed = f" · {self.revealed} revealed" if self.revealed else ""
        self.score_label.setText(f"Score: {self.correct} of {self.attempted} right{revealed}")


def install_practice(window) -> QDockWidget:
    """The Practice dock (hidden) and Learn ▸ Practice Mode, which shows it and turns practice on."""
    panel = PracticePanel(window.document, window.controller, window)
    dock = QDockWidget("Practice", window)
    dock.setObjectName("practice_dock")
    dock.setWidget(panel)
    # With the loss plot, below the network: the inspector stays in view with the values so far.
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    window.tabifyDockWidget(window.docks["loss_plot"], dock)
    dock.hide()
    action = dock.toggleViewAction()
    action.setText("&Practice Mode")
    action.setStatusTip("Type each value before it is shown; F10 asks the next question")
    action.toggled.connect(panel.set_active)
    action.toggled.connect(lambda on: panel._show_question())
    action.triggered.connect(lambda on: on and dock.raise_())
    menu = learn_menu(window)
    menu.insertAction(menu.actions()[0] if menu.actions() else None, action)
    panel.question_changed.connect(window.inspector.refresh)
    window.practice_panel, window.practice_dock = panel, dock
    return dock
