"""The inspector: the current phase in words and its formula with the engine's numbers substituted."""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QSplitter, QTextBrowser, QToolButton,
                               QVBoxLayout, QWidget)

from simulator.formatting import (describe, describe_step, factor_line, gradient_line, record_lines, running_product_line,
                                  simplification_line)
from simulator.path_text import (delta_gradient_line, delta_lines, describe_with_paths, factor_line_in_deltas,
                                 path_product_lines, paths_line, term_lines)
from simulator.records import FactorRecord, GradientRecord, Record
from simulator.worked import to_html, to_unicode_subscripts

from .document import Change
from .size_gate import SizeGate

#: The history list keeps this many of the most recent records (a full batch can have thousands).
MAX_HISTORY = 200

HINT = ("Press F10 to step through training one piece at a time: the forward pass neuron by neuron, "
        "the loss, every factor of the chain rule, and the updates. F11 steps into finer pieces, "
        "Shift+F11 finishes the sample, F5 runs.")

_STYLE = """
p { margin: 0 0 6px 0; }
.phase { font-weight: bold; }
.step { font-weight: bold; color: #404040; margin-top: 6px; }
.current { font-weight: bold; background-color: #fff1b8; color: #000000; }
.later { color: #8a8a8a; }
.note { color: #606060; }
.mistake { color: #b00020; font-weight: bold; font-size: small; }
"""
#: Shown on every backward and update record while the in-place update rule is in effect.
#: The QSettings key of the δ notation option (off: the lectures' full chains).
DELTA_NOTATION_KEY = "display/delta_notation"
MISTAKE_NOTE = ("MISTAKEN UPDATE RULE (in place): later layers were updated before the gradient passed "
                "through them. This is not gradient descent.")


#: Fonts that place a combining accent over its letter (Adam's m̂ and v̂); some common sans fonts drop it.
ACCENT_FAMILIES = ("DejaVu Serif", "Liberation Sans", "Segoe UI", "Helvetica Neue", "serif")
_ACCENTED = re.compile("(\\w\u0302)")


def _with_accents(html_text: str) -> str:
    """HTML with each accented letter (m̂) in a font that draws its accent."""
    families = ", ".join(f"'{family}'" for family in ACCENT_FAMILIES)
    return _ACCENTED.sub(lambda found: f'<span style="font-family: {families};">{found.group(1)}</span>', html_text)


#: The slash of a derivative such as ∂L/∂w<sub>211</sub> in HTML, where a line could break ("∂L/" | "∂w211").
_FRACTION = re.compile(r"(∂[^\s/<>∂]*(?:<sub>[^<]*</sub>)?/)(?=∂)")
#: Joins the two halves of a derivative into one word (Qt's text layout ignores `white-space: nowrap`
#: on a span); it is invisible, and taken out of copied and read text.
WORD_JOINER = "\u2060"


def _unbroken_fractions(html_text: str) -> str:
    """HTML in which no line breaks inside a derivative ∂a/∂b."""
    return _FRACTION.sub(lambda found: found.group(1) + WORD_JOINER, html_text)


class _FormulaBrowser(QTextBrowser):
    """The formula view; a copied selection leaves out the word joiners that keep a derivative whole."""

    def createMimeDataFromSelection(self):
        data = super().createMimeDataFromSelection()
        data.setText(data.text().replace(WORD_JOINER, ""))
        return data


def _paragraph(text: str, css_class: str = "") -> str:
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<p{attribute}>{_unbroken_fractions(_with_accents(to_html(text)))}</p>"


#: Lets the history list wrap a long product such as `(−1.8467)·0.248277·0.1·…` after a `·`.
BREAK_AFTER_PRODUCT = "·\u200b"


def history_text(record: Record, digits: int) -> str:
    """One line for the history list: the z line of a forward record, the last formula line otherwise."""
    lines = record_lines(record, digits)
    text = to_unicode_subscripts(lines[0] if record.kind == "forward" else lines[-1])
    return text.replace("·", BREAK_AFTER_PRODUCT)


class InspectorPanel(QWidget):
    """The phase, the position, the formula with numbers, and the earlier records of this sample."""

    def __init__(self, document, controller, parent=None):
        super().__init__(parent)
        self.document = document
        self.controller = controller
        self.position_label = QLabel(self)
        self.position_label.setWordWrap(True)
        self.position_label.setTextFormat(Qt.TextFormat.RichText)
        self.position_label.setToolTip("Where training is: epoch, sample and phase")
        self.browser = _FormulaBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.setToolTip("The current step's formula with the engine's numbers (select to copy)")
        self.browser.document().setDefaultStyleSheet(_STYLE)
        formula_font = QFont(self.font())
        formula_font.setPointSizeF(max(12.0, formula_font.pointSizeF()))
        self.browser.setFont(formula_font)
        self.history = QListWidget(self)
        self.history.setToolTip("Earlier steps of this sample, the most recent at the bottom; "
                                "select one to see its formula again")
        self.history.setWordWrap(True)
        self.history.currentRowChanged.connect(self._history_selected)
        history_label = QLabel("Histor&y of this sample", self)
        history_label.setBuddy(self.history)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(history_label)
        lower_layout.addWidget(self.history)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.browser)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(SizeGate(self.position_label, self))   # its text changes every frame of a run
        layout.addWidget(self._build_term_bar())
        layout.addWidget(splitter, 1)
        self._history_records: list[Record] = []
        self._history_digits: int | None = None
        self._shown_html: str | None = None   # what the formula view holds, when it shows the current step
        self.delta_notation = bool(QSettings().value(DELTA_NOTATION_KEY, False, type=bool))
        document.changed.connect(self._document_changed)
        controller.term_changed.connect(self.refresh)
        controller.granularity_changed.connect(self.refresh)
        controller.running_changed.connect(lambda _running: self.refresh())   # a run's end: the whole step
        self.refresh()

    def _build_term_bar(self) -> QWidget:
        """Buttons that light the terms of a sum over paths one by one (F9, Shift+F9), shown with one."""
        self.term_bar = QWidget(self)
        row = QHBoxLayout(self.term_bar)
        row.setContentsMargins(0, 0, 0, 0)
        self.term_caption = QLabel(self.term_bar)
        self.previous_term_button = QToolButton(self.term_bar)
        self.previous_term_button.setText("◀ Previous term")
        self.previous_term_button.setToolTip("Light the previous term's path on the graph (Shift+F9)")
        self.previous_term_button.clicked.connect(self.controller.previous_term)
        self.next_term_button = QToolButton(self.term_bar)
        self.next_term_button.setText("Next term ▶")
        self.next_term_button.setToolTip("Light the next term's path on the graph, with its numbers (F9)")
        self.next_term_button.clicked.connect(self.controller.next_term)
        row.addWidget(self.term_caption, 1)
        row.addWidget(self.previous_term_button)
        row.addWidget(self.next_term_button)
        self.term_bar.hide()
        return self.term_bar

    def _show_term_bar(self) -> None:
        count, index = len(self.controller.sum_terms()), self.controller.term_index
        self.term_bar.setVisible(count > 0)
        if count:
            self.term_caption.setText(f"Term {index} of {count} lit" if index else f"All {count} terms lit")

    def _document_changed(self, change: Change) -> None:
        if change & (Change.MODEL | Change.DISPLAY):
            self.refresh()

    def set_delta_notation(self, on: bool) -> None:
        """Write ∂L/∂z as δ, each δ introduced where the backward pass reaches its neuron; remembered."""
        QSettings().setValue(DELTA_NOTATION_KEY, bool(on))
        if bool(on) != self.delta_notation:
            self.delta_notation = bool(on)
            self._shown_html = None
            self.refresh()

    # -- content -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw from the stepper's revealed records."""
        self.position_label.setText(_unbroken_fractions(to_html(self.controller.position_text())))
        current = self.document.stepper.current
        self._show_term_bar()
        self._fill_history(current)
        html = self.step_html(self.controller.step_records()) if current is not None else self._idle_html()
        if html != self._shown_html:   # a run shows the same hint every frame: laid out once
            self._shown_html = html
            self.browser.setHtml(html)

    def _idle_html(self) -> str:
        training = self.document.training
        if training.finished and training.message:
            return _paragraph(training.message, "phase") + _paragraph("Reset (Ctrl+R) to train again.", "note")
        return _paragraph(HINT, "note")

    def step_html(self, records: Sequence[Record]) -> str:
        """HTML of what the last step revealed: one record as `record_html`; several under a heading
        naming the step, each with its formula lines in order, the last (the current one) in full."""
        if len(records) == 1:
            return self.record_html(records[0])
        digits = self.document.digits
        parts = [_paragraph(describe_step(records), "phase")]
        for record in records[:-1]:
            parts.append(_paragraph(describe(record), "step"))
            parts += [_paragraph(line) for line in self._brief_lines(record, digits)]
        parts.append("<hr/>")
        return "".join(parts) + self.record_html(records[-1])

    def _brief_lines(self, record: Record, digits: int) -> list[str]:
        """An earlier record of a step: its formula lines without the chain's repetition."""
        if isinstance(record, FactorRecord):
            return [self._factor_line(record, digits)]
        if isinstance(record, GradientRecord):
            return [gradient_line(record, digits)]
        return record_lines(record, digits)

    def record_html(self, record: Record, shown_as_current: bool = True) -> str:
        """HTML of one record: the phase in words, then its formula lines."""
        digits = self.document.digits
        parts = [_paragraph(describe_with_paths(record), "phase")]
        if isinstance(record, FactorRecord):
            parts += self._chain_html(record, digits, shown_as_current)
        elif isinstance(record, GradientRecord):
            parts.append(_paragraph(gradient_line(record, digits), "current"))
            if self.delta_notation and (line := delta_gradient_line(record, digits)):
                parts.append(_paragraph(line, "current"))
            if record.paths > 1:
                parts.append(_paragraph(paths_line(record), "note"))
            parts += [_paragraph(line) for line in path_product_lines(record, digits)]
            parts += [_paragraph(self._factor_line(factor, digits), "note") for factor in record.factors]
        else:
            parts += [_paragraph(line) for line in record_lines(record, digits)]
        if record.kind in ("factor", "gradient", "update") and self.document.training.config.update_rule == "in_place":
            parts.insert(0, _paragraph(MISTAKE_NOTE, "mistake"))
        if not shown_as_current:
            parts.insert(0, _paragraph("An earlier step of this sample (Esc returns to the current step):", "note"))
        return "".join(parts)

    def _chain_html(self, record: FactorRecord, digits: int, current: bool = True) -> list[str]:
        """The parameter's chain so far: earlier factors, the current one, the running product, the full chain."""
        # Only the record's own sample is read: a full batch's records are made when they are read.
        chain = self._factors_of(record, self.document.stepper.sample_records(record))
        earlier = [other for other in chain if other.index < record.index]
        parts = [_paragraph(paths_line(record), "note")] if record.paths > 1 else []
        parts += [_paragraph(self._factor_line(other, digits)) for other in earlier]
        parts.append(_paragraph(self._factor_line(record, digits), "current"))
        parts += self._terms_html(record, digits, self.controller.term_index if current else 0)
        if self.delta_notation and record.delta is not None:
            parts += [_paragraph(line, "current") for line in delta_lines(record, digits)]
        elif record.simplification is not None:
            parts.append(_paragraph(simplification_line(record, digits), "current"))
        policy = self.controller.step_policy     # practice mode asking for this gradient: not its answer
        if policy is None or not policy.hides(record):
            parts.append(_paragraph(running_product_line(record, digits), "note"))
        labels = {other.index: other.label for other in chain}
        labels.setdefault(record.index, record.label)
        pieces = []
        for index in range(1, record.count + 1):
            label = f'<span style="white-space: nowrap;">{to_html(labels.get(index, "…"))}</span>'
            if index > record.index:
                label = f'<span class="later">{label}</span>'
            elif index == record.index:
                label = f"<b>{label}</b>"
            pieces.append(label)
        parts.append(_unbroken_fractions(f"<p>{to_html('∂L/∂' + record.parameter)} = {' · '.join(pieces)}</p>"))
        return parts

    def _terms_html(self, record: FactorRecord, digits: int, lit: int) -> list[str]:
        """The sum's terms, then their total; term `lit` (1-based), lit on the graph by F9, marked and the
        others greyed (0: none lit)."""
        lines = term_lines(record, digits, self.delta_notation)
        if not lines:
            return []
        parts = [_paragraph(line, "current" if lit in (0, number) else "later")
                 for number, line in enumerate(lines[:-1], start=1)]
        parts.append(_paragraph(lines[-1], "current"))
        if lit:
            term = record.terms[lit - 1]
            parts.append(_paragraph(f"On the graph: term {lit}'s path, through {term.z_label}: {term.weight_name} "
                                    f"on its edge and ∂L/∂{term.z_label} ({term.delta_name}) on its neuron. "
                                    "F9: the next term.", "note"))
        else:
            parts.append(_paragraph("F9 lights each term's path on the graph in turn, with its numbers.", "note"))
        return parts

    def _factor_line(self, record: FactorRecord, digits: int) -> str:
        return factor_line_in_deltas(record, digits) if self.delta_notation else factor_line(record, digits)

    @staticmethod
    def _factors_of(record: FactorRecord, records: Sequence[Record]) -> list[FactorRecord]:
        return [other for other in records if isinstance(other, FactorRecord)
                and other.parameter == record.parameter and other.sample == record.sample
                and other.epoch == record.epoch]

    # -- history -------------------------------------------------------------------------------
    def _fill_history(self, current: Record | None) -> None:
        revealed = self.document.stepper.revealed
        # The last rows only (a sample's records are the last ones revealed): a full batch reveals
        # millions, made only when read.
        earlier = list(revealed[-MAX_HISTORY - 1:-1]) if current is not None else []
        if current is not None and current.kind not in ("update", "epoch"):
            earlier = [record for record in earlier if record.sample == current.sample]
        if not earlier and not self._history_records:   # empty and empty, as on every frame of a run
            return
        digits = self.document.digits
        shown = self._history_records
        # A step usually shows the rows it showed before and one more, the oldest dropping off the
        # top once the list is full: keep the rows already made rather than make them all again.
        first = earlier[0] if earlier else None
        dropped = next((index for index, record in enumerate(shown) if record is first), len(shown))
        kept = len(shown) - dropped
        if (digits != self._history_digits or kept > len(earlier)
                or any(old is not new for old, new in zip(shown[dropped:], earlier))):
            dropped, kept = len(shown), 0
        self._history_records, self._history_digits = earlier, digits
        self.history.blockSignals(True)
        self.history.setCurrentRow(-1)      # a row looked at before the step: the view shows the step now
        if kept:
            for _ in range(dropped):
                self.history.takeItem(0)
        else:
            self.history.clear()
        for record in earlier[kept:]:
            item = QListWidgetItem(history_text(record, digits))
            if "\u0302" in item.text():    # an optimiser's m̂, v̂: a font that draws the accent
                font = item.font()
                font.setFamilies(list(ACCENT_FAMILIES))
                item.setFont(font)
            item.setToolTip(to_unicode_subscripts(describe(record)))
            self.history.addItem(item)
        self.history.blockSignals(False)
        if len(earlier) > kept or dropped:
            self.history.scrollToBottom()

    def _history_selected(self, row: int) -> None:
        if 0 <= row < len(self._history_records):
            self._shown_html = None
            self.browser.setHtml(self.record_html(self._history_records[row], shown_as_current=False))
        else:
            self.refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.history.currentRow() >= 0:
            self.history.setCurrentRow(-1)
            event.accept()
            return
        super().keyPressEvent(event)

    def plain_text(self) -> str:
        """What the formula view shows, as plain text (for tests and copying)."""
        return self.browser.toPlainText().replace(WORD_JOINER, "")
