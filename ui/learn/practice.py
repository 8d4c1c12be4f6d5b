"""Practice mode: before a value is revealed, the learner types it; the answer is checked, a wrong one
gets hints and the common mistake it matches, and the result is scored per kind of quantity.

While practice mode is on, Step (F10) reveals records up to the next value of a practised kind; at the
chosen level (practice_levels.py) that value is either shown worked or left blank and asked for. The
correct value and formula come from the engine's records, as in the inspector; the mistakes from
simulator/mistakes.py.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from simulator.batch_records import BatchRecords
from simulator.errors import SimulatorError
from simulator.formatting import describe, format_number, record_lines
from simulator.mistakes import (ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, StepValues, asked_value, close,
                                diagnose)
from simulator.records import Record
from simulator.worked import to_html

from ..document import Change
from ..parsing import parse_float
from . import learn_menu
from .practice_levels import (FIRST, HELPED, KINDS, LEVELS, SHOWN, Fading, Scoreboard, blank_count,
                              share_text)

__all__ = ["ABSOLUTE_TOLERANCE", "RELATIVE_TOLERANCE", "answer_is_correct", "asked_value", "PracticePanel",
           "install_practice"]

KIND_TIPS = {"forward": "each neuron's output in the forward pass", "loss": "the loss of each sample",
             "factor": "each factor of the chain rule", "gradient": "each gradient (the product of its factors)",
             "update": "each parameter's new value"}
#: Most records one Step reveals while looking for the next question.
MAX_REVEAL = 100_000
#: Tries at one question; after the last wrong one the solution is shown. Each wrong try before it
#: shows the next hint: first the formula, then the formula with the numbers in it.
MAX_TRIES = 3
HINTS = 2
RIGHT_STYLE, WRONG_STYLE = "color: #1b6e20;", "color: #b00020;"
#: The QSettings key of the practice level.
LEVEL_KEY = "practice/level"
TRY_WORDS = {2: "second", 3: "third"}


def answer_is_correct(answer: float, value: float) -> bool:
    """True when `answer` is within the tolerance of the engine's `value` (the boundary included)."""
    return close(answer, value)


def question_lines(record: Record, digits: int) -> list[str]:
    """The record's formula lines with the results left out: `L = (y − ŷ)² = (4 − 0.32)² = ?`."""
    return [line.rsplit(" = ", 1)[0] + " = ?" if " = " in line else line for line in record_lines(record, digits)]


def formula_lines(record: Record, digits: int) -> list[str]:
    """The record's formulas in symbols only, which quantity to use: `L = (y − ŷ)²` (a note in brackets,
    such as where binary cross-entropy clips ŷ, is left for the solution)."""
    formulas = []
    for line in record_lines(record, digits):
        if " = " in line and not line.startswith("("):
            parts = line.split(" = ")
            # `w ← w − η·∂L/∂w = 0.1 − …`: the rule is all before the numbers
            formulas.append(parts[0] if "←" in parts[0] else " = ".join(parts[:2]))
    return formulas


class PracticePanel(QWidget):
    """The question, the answer field, hints, the result, the level and the scores; `active` while
    practice mode is on."""

    question_changed = Signal()      # a question was asked, answered, revealed or withdrawn

    def __init__(self, document, controller, parent=None):
        super().__init__(parent)
        self.document, self.controller = document, controller
        self.active = False
        self.pending: Record | None = None
        self.tries = self.hints = 0
        self.correct = self.attempted = self.revealed = 0
        self._counted = False    # the open question has been answered once: counted as attempted
        self.scores = Scoreboard()
        self.fading = Fading(str(QSettings().value(LEVEL_KEY, "")))
        self._practised_cache: tuple = ()
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
                                    f"near zero); press Enter to check. {MAX_TRIES} tries, then the solution")
        self.answer_edit.returnPressed.connect(self.check)
        self.check_button = QPushButton("&Check", self)
        self.check_button.setToolTip("Check your answer against the engine's value (Enter)")
        self.check_button.clicked.connect(self.check)
        self.hint_button = QPushButton("Hi&nt", self)
        self.hint_button.setToolTip("Show the next hint: first the formula, then the formula with the numbers in it")
        self.hint_button.clicked.connect(self.hint)
        self.reveal_button = QPushButton("&Reveal", self)
        self.reveal_button.setToolTip("Show the value without answering (no credit)")
        self.reveal_button.clicked.connect(self.reveal)
        answer_row = QHBoxLayout()
        answer_row.addWidget(self.answer_edit, 1)
        answer_row.addWidget(self.check_button)
        answer_row.addWidget(self.hint_button)
        answer_row.addWidget(self.reveal_button)
        self.feedback = QLabel(self)
        self.feedback.setFont(font)
        self.feedback.setTextFormat(Qt.TextFormat.RichText)
        self.feedback.setWordWrap(True)
        self.feedback.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        question_column = QVBoxLayout()
        question_column.addLayout(boxes)
        question_column.addWidget(self.question)
        question_column.addLayout(answer_row)
        question_column.addWidget(self.feedback)
        question_column.addStretch(1)

        self.level_box = QComboBox(self)
        for level, title in LEVELS:
            self.level_box.addItem(title, level)
        self.level_box.setCurrentIndex([level for level, _ in LEVELS].index(self.fading.level))
        self.level_box.setToolTip("Worked example: every value shown. Partly worked: the later half of each "
                                  "sample's values asked. Bare: every value asked. Adaptive: more values asked "
                                  "as you answer right, fewer when you need the solution")
        self.level_box.currentIndexChanged.connect(self._level_chosen)
        self.level_label = QLabel(self)
        self.level_label.setWordWrap(True)
        self.score_table = QLabel(self)
        self.score_table.setTextFormat(Qt.TextFormat.RichText)
        self.score_table.setToolTip("Per kind of value: questions asked, right at the first try, right after "
                                    "a hint or another try, and shown (after three tries, or revealed)")
        self.score_label = QLabel(self)
        self.score_label.setWordWrap(True)
        self.reset_button = QPushButton("Reset Sc&ore", self)
        self.reset_button.setToolTip("Start counting right answers from zero again")
        self.reset_button.clicked.connect(self.reset_score)
        level_row = QHBoxLayout()
        level_row.addWidget(QLabel("Level:", self))
        level_row.addWidget(self.level_box, 1)
        record_column = QVBoxLayout()
        record_column.addLayout(level_row)
        record_column.addWidget(self.level_label)
        record_column.addWidget(self.score_table)
        record_column.addStretch(1)
        record_column.addWidget(self.score_label)
        record_column.addWidget(self.reset_button)
        record_widget = QWidget(self)
        record_widget.setLayout(record_column)
        record_widget.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 26)
        record_column.setContentsMargins(0, 0, 0, 0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(question_column, 1)
        layout.addWidget(record_widget)
        document.changed.connect(self._document_changed)
        controller.set_step_policy(self)
        self._show_question()
        self._show_score()
        self._show_level()

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
        if self._counted:        # it never ended: not counted
            self.attempted -= 1
            self.scores.withdraw()
            self._counted = False
            self._show_score()
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
        stepper = self.document.stepper
        return (self.active and self.kind_boxes["gradient"].isChecked() and record is stepper.current
                and self._blank_at(stepper.revealed_count))

    def _practised(self, record: Record) -> bool:
        box = self.kind_boxes.get(record.kind)
        asked = asked_value(record)
        return box is not None and box.isChecked() and asked is not None and abs(asked[1]) < float("inf")

    # -- levels --------------------------------------------------------------------------------
    def _level_chosen(self, index: int) -> None:
        level = self.level_box.itemData(index)
        self.fading.set_level(level)
        QSettings().setValue(LEVEL_KEY, level)
        self._show_level()
        self._show_question()

    def _show_level(self) -> None:
        text = share_text(self.fading.share)
        self.level_label.setText(text[:1].upper() + text[1:] + ".")

    def _unit(self, records: BatchRecords, position: int) -> range:
        """The positions of the sample `position` belongs to; the batch's updates belong to its last sample."""
        per, samples = records.per_sample, records.samples
        sample = min(position // per, samples - 1)
        end = records.updates_end if sample == samples - 1 else (sample + 1) * per
        return range(sample * per, end)

    def _practised_positions(self, records: BatchRecords, unit: range) -> list[int]:
        kinds = tuple(kind for kind, box in self.kind_boxes.items() if box.isChecked())
        cached = self._practised_cache
        if cached and cached[0] is records and cached[1] == (unit.start, kinds):
            return cached[2]
        positions = [position for position in unit if self._practised(records[position])]
        self._practised_cache = (records, (unit.start, kinds), positions)
        return positions

    def _blank_at(self, position: int) -> bool:
        """Whether the practised value at `position` of the current batch is asked at the current level:
        the last `blank_count` practised values of its sample are (the last steps are faded first)."""
        records = self.document.stepper.records
        if not isinstance(records, BatchRecords) or position >= records.updates_end:
            return False
        positions = self._practised_positions(records, self._unit(records, position))
        blanks = blank_count(len(positions), self.fading.share)
        return blanks > 0 and position >= positions[len(positions) - blanks]

    def _last_of_unit(self, position: int) -> bool:
        records = self.document.stepper.records
        positions = self._practised_positions(records, self._unit(records, position))
        return bool(positions) and position == positions[-1]

    # -- stepping ------------------------------------------------------------------------------
    def step(self) -> list[Record]:
        """F10 in practice mode: reveal up to the next practised value; ask for it when it is blank at
        this level, else show it worked."""
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
            if self._practised(upcoming):
                position = stepper.revealed_count
                if self._blank_at(position):
                    self._ask(upcoming)
                    break
                last = self._last_of_unit(position)
                shown += self.controller.reveal_next()
                self._show_worked(upcoming)
                if last and self.fading.watched():
                    self._show_level()
                break
            shown += self.controller.reveal_next()
            if shown and shown[-1].kind == "epoch":
                break
        return shown

    def _show_worked(self, record: Record) -> None:
        lines = record_lines(record, self.document.digits)
        self.feedback.setStyleSheet("")
        self.feedback.setText("<b>Worked:</b><br>" + "<br>".join(to_html(line) for line in lines))

    def _ask(self, record: Record) -> None:
        self.pending = record
        self._counted = False
        self.tries = self.hints = 0
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
        self.hint_button.setEnabled(asking and self.hints < HINTS)
        if not asking:
            ready = ("Press F10 for the next worked step." if self.fading.share == 0 else
                     "Press F10 for the next question.")
            self.question.setText(to_html(ready if self.active else "Turn on Learn ▸ Practice Mode, then press F10."))
            return
        name, _value = asked_value(record)
        text = f"<b>{to_html(describe(record))}</b><br>What is <b>{to_html(name)}</b>?"
        digits = self.document.digits
        if self.hints >= 1:
            text += "<br><i>Hint: use</i> " + "<br>".join(to_html(line) for line in formula_lines(record, digits))
        if self.hints >= 2:
            text += "<br><i>With the numbers:</i> " + "<br>".join(to_html(line) for line in question_lines(record, digits))
        self.question.setText(text)

    # -- answering -----------------------------------------------------------------------------
    def hint(self) -> None:
        """The next hint (no try is spent; an answer after a hint counts as helped)."""
        if self.pending is None or self.hints >= HINTS:
            return
        self.hints += 1
        self._show_question()
        self.answer_edit.setFocus()

    def step_values(self, record: Record) -> StepValues:
        """The true values of `record`'s step, which the mistakes are worked out from."""
        stepper = self.document.stepper
        records = stepper.records
        if record.kind == "update":
            sample = records.sample_records(records.samples - 1) if isinstance(records, BatchRecords) else ()
        else:
            sample = stepper.sample_records(record)
        return StepValues(sample, getattr(records, "updates", ()))

    def check(self) -> bool | None:
        """Check the typed answer: right, or wrong with a hint and the mistake it matches, the solution
        after the last try. None when nothing was checked."""
        record = self.pending
        if record is None:
            return None
        _name, value = asked_value(record)
        try:
            answer = parse_float(self.answer_edit.text(), "answer")
        except SimulatorError as error:
            self.feedback.setStyleSheet(WRONG_STYLE)
            self.feedback.setText(to_html(str(error)))
            return None
        self.tries += 1
        if not self._counted:    # asked from the first answer: the score shows a wrong first try at once
            self._counted = True
            self.attempted += 1
            self.scores.start(record.kind)
            self._show_score()
        digits = self.document.digits
        if answer_is_correct(answer, value):
            helped = self.tries > 1 or self.hints > 0
            verdict = f"Right, at the {TRY_WORDS[self.tries]} try." if self.tries > 1 else "Right."
            self._finish(record, verdict, RIGHT_STYLE, HELPED if helped else FIRST)
            return True
        said = f"Not quite: you typed {format_number(answer, digits)}."
        diagnosis = diagnose(answer, record, self.step_values(record), digits)
        named = diagnosis.text(digits) if diagnosis is not None else ""
        if self.tries >= MAX_TRIES:
            self._finish(record, said, WRONG_STYLE, SHOWN, note=f"{named} The solution:".lstrip())
            return False
        self.hints = max(self.hints, min(self.tries, HINTS))
        left = MAX_TRIES - self.tries
        self.feedback.setStyleSheet(WRONG_STYLE)
        self.feedback.setText(f"<b>{to_html(said)}</b> " + to_html(f"{named} Try again with the hint above ({left} "
                                                                  f"{'try' if left == 1 else 'tries'} left).".lstrip()))
        self._show_question()
        self.answer_edit.selectAll()
        self.answer_edit.setFocus()
        return False

    def reveal(self) -> None:
        """Show the value without an answer: no credit, counted as revealed."""
        record = self.pending
        if record is None:
            return
        self.revealed += 1
        self._finish(record, "Revealed (no credit).", "", SHOWN, answered=False)

    def _finish(self, record: Record, verdict: str, style: str, outcome: str, answered: bool = True,
                note: str = "") -> None:
        """Close the question: score it, show `verdict` (bold), `note` and the record's lines, reveal it."""
        self.pending = None
        self.attempted += int(answered and not self._counted)
        self._counted = False
        self.correct += int(outcome != SHOWN)
        self.scores.add(record.kind, outcome)
        moved = self.fading.record(outcome)
        lines = record_lines(record, self.document.digits)
        self.feedback.setStyleSheet(style)
        move = {1: "More values are asked now.", -1: "More values are worked now."}.get(moved, "")
        said = " ".join(part for part in (note, move) if part)
        self.feedback.setText(f"<b>{to_html(verdict)}</b> {to_html(said)}<br>" + "<br>".join(to_html(line) for line in lines))
        self._show_score()
        self._show_level()
        self._show_question()
        self.question_changed.emit()
        self.controller.reveal_next()

    def reset_score(self) -> None:
        self.correct = self.attempted = self.revealed = 0
        self._counted = False
        self.scores.reset()
        self._show_score()

    def _show_score(self) -> None:
        revealed = f" · {self.revealed} revealed" if self.revealed else ""
        weakest = self.scores.weakest()
        note = f" · weakest: {dict(KINDS)[weakest]}" if weakest else ""
        self.score_label.setText(f"Score: {self.correct} of {self.attempted} right{revealed}{note}")
        rows = ["<tr><th align='left'></th><th>Asked</th><th>1st try</th><th>Helped</th><th>Shown</th></tr>"]
        for kind, title in KINDS:
            counts = self.scores.counts[kind]
            cells = [self.scores.asked(kind), counts[FIRST], counts[HELPED], counts[SHOWN]]
            mark = " style='color: #b00020;'" if kind == weakest else ""
            rows.append(f"<tr><td{mark}>{title}</td>" + "".join(f"<td align='right'>{n}</td>" for n in cells) + "</tr>")
        self.score_table.setText("<table cellspacing='0' cellpadding='2'>" + "".join(rows) + "</table>")


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
    # The panel is wider than the loss plot it shares a place with: the sizes from before it opened
    # come back when it closes, so the table's predictions and the inspector are in view again.
    before: dict = {}

    def keep_layout(on: bool) -> None:
        if on:
            before["sizes"] = window.dock_sizes()
        elif "sizes" in before:
            sizes = before.pop("sizes")
            # Once the window has laid out the closed panel's place (the next turn is too early).
            QTimer.singleShot(0, lambda: QTimer.singleShot(0, lambda: window.restore_dock_sizes(sizes)))

    action.toggled.connect(keep_layout)
    menu = learn_menu(window)
    menu.insertAction(menu.actions()[0] if menu.actions() else None, action)
    panel.question_changed.connect(window.inspector.refresh)
    window.practice_panel, window.practice_dock = panel, dock
    return dock
