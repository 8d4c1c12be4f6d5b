"""Practice through the real window: tries, graded hints, the mistake named, the score per kind of value,
and the levels of faded worked examples (with the adaptive rule), on the lecture's regression network."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QSettings, Qt

from simulator.examples import load_example
from ui.learn import learn_menu
from ui.learn.practice import LEVEL_KEY
from ui.learn.practice_levels import (FIRST, HELPED, RUNGS, SHOWN, START_RUNG, UP_AFTER, Fading, Scoreboard,
                                      blank_count)

from helpers import open_window, press, type_into

F10 = Qt.Key.Key_F10


def practise(qtbot, window, *kinds, level: str | None = None):
    """Practice Mode on, asking for `kinds` only, at `level` (chosen in the panel as a user would)."""
    next(action for action in learn_menu(window).actions() if action.text() == "&Practice Mode").trigger()
    panel = window.practice_panel
    for kind, box in panel.kind_boxes.items():
        box.setChecked(kind in kinds)
    if level is not None:
        panel.level_box.setCurrentIndex(panel.level_box.findData(level))
    return panel


def ask_until(qtbot, window, panel, predicate, limit: int = 100):
    """Press F10, revealing every other question, until the question asked satisfies `predicate`."""
    for _ in range(limit):
        press(qtbot, window, F10)
        if panel.pending is not None:
            if predicate(panel.pending):
                return panel.pending
            qtbot.mouseClick(panel.reveal_button, Qt.MouseButton.LeftButton)
    raise AssertionError("never asked")


def plain(label) -> str:
    """A label's rich text as read: tags dropped (subscripts read inline), each line break a newline."""
    return re.sub(r"<[^>]+>", "", label.text().replace("<br>", "\n"))


def score_row(panel, title: str) -> list[int]:
    """A row of the score table as shown: asked, right at the first try, helped, shown."""
    text = panel.score_table.text()
    cells = text.split(f">{title}</td>")[1].split("</tr>")[0]
    return [int(cell.split(">")[1].split("<")[0]) for cell in cells.split("</td>") if ">" in cell]


def test_a_wrong_answer_gets_hints_the_mistake_named_then_the_solution(qtbot, window):
    panel = practise(qtbot, window, "gradient")
    record = ask_until(qtbot, window, panel, lambda r: r.parameter == "w111")    # ∂L/∂w111 = −5.888
    assert "What is ∂L/∂w111?" in plain(panel.question) and "Hint" not in plain(panel.question)
    type_into(qtbot, panel.answer_edit, "-2.944")                  # half of it: the 2 of the square forgotten
    feedback = plain(panel.feedback)
    assert "Not quite: you typed −2.944." in feedback
    assert "matches a common mistake: forgot the 2 of the squared error" in feedback and "2 tries left" in feedback
    assert "Hint: use ∂L/∂w111 = ∂L/∂ŷ · ∂ŷ/∂z21 · ∂z21/∂o11 · ∂o11/∂z11 · ∂z11/∂w111" in plain(panel.question)
    assert "(−7.36)·1·0.1·1·8" not in plain(panel.question) and "5.888" not in feedback
    assert panel.pending is record and window.document.stepper.current.kind == "factor"
    type_into(qtbot, panel.answer_edit, "5.888")                   # the sign of y − ŷ flipped
    assert "common mistake: sign error" in plain(panel.feedback) and "1 try left" in plain(panel.feedback)
    assert "With the numbers: ∂L/∂w111 = ∂L/∂ŷ · ∂ŷ/∂z21 · ∂z21/∂o11 · ∂o11/∂z11 · ∂z11/∂w111 = " \
           "(−7.36)·1·0.1·1·8 = ?" in plain(panel.question)
    assert not panel.hint_button.isEnabled()
    type_into(qtbot, panel.answer_edit, "-6")                      # no known mistake gives −6
    assert "common mistake" not in plain(panel.feedback)
    assert "Not quite: you typed −6. The solution:\n∂L/∂w111 = ∂L/∂ŷ · ∂ŷ/∂z21 · ∂z21/∂o11 · ∂o11/∂z11 · ∂z11/∂w111 = " \
           "(−7.36)·1·0.1·1·8 = −5.888" in plain(panel.feedback)
    assert panel.pending is None and window.document.stepper.current is record
    assert score_row(panel, "Gradients") == [4, 0, 0, 4]          # three revealed on the way, then this one
    assert panel.score_label.text() == "Score: 0 of 1 right · 3 revealed"


def test_the_in_place_and_learning_rate_mistakes_are_named_for_an_update(qtbot, window):
    panel = practise(qtbot, window, "update")
    ask_until(qtbot, window, panel, lambda r: r.parameter == "w111")     # 0.1 − 0.001·(−5.888) = 0.105888
    type_into(qtbot, panel.answer_edit, "5.988")
    assert "forgot the learning rate (w111 − ∂L/∂w111), which gives 5.988" in plain(panel.feedback)
    formula = plain(panel.question).split("Hint: use ")[1]
    assert formula == "w111 ← w111 − η·∂L/∂w111"                # the rule, not yet its numbers
    type_into(qtbot, panel.answer_edit, "0.10658137")              # ∂L/∂w111 with w211 already updated
    assert "used the already-updated weight" in plain(panel.feedback)
    type_into(qtbot, panel.answer_edit, "0.105888")
    assert plain(panel.feedback).startswith("Right, at the third try.")
    assert score_row(panel, "Updates") == [4, 0, 1, 3]            # three revealed on the way


def test_right_at_once_and_right_after_a_hint_are_scored_apart(qtbot, window):
    panel = practise(qtbot, window, "forward", "loss")
    press(qtbot, window, F10)
    type_into(qtbot, panel.answer_edit, "1.6")                     # o11, no hint
    assert plain(panel.feedback).startswith("Right.")
    press(qtbot, window, F10)
    qtbot.mouseClick(panel.hint_button, Qt.MouseButton.LeftButton)
    assert "o12 = z12" in plain(panel.question)
    type_into(qtbot, panel.answer_edit, "1.6")
    press(qtbot, window, F10)
    type_into(qtbot, panel.answer_edit, "0.32")                    # ŷ
    press(qtbot, window, F10)
    qtbot.mouseClick(panel.reveal_button, Qt.MouseButton.LeftButton)    # L
    assert score_row(panel, "Outputs") == [3, 2, 1, 0] and score_row(panel, "Loss") == [1, 0, 0, 1]
    assert panel.score_label.text() == "Score: 3 of 3 right · 1 revealed · weakest: Loss"
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert score_row(panel, "Outputs") == [0, 0, 0, 0] and panel.score_label.text() == "Score: 0 of 0 right"


def test_text_that_is_not_a_number_spends_no_try(qtbot, window):
    panel = practise(qtbot, window, "loss")
    press(qtbot, window, F10)
    for _ in range(4):
        type_into(qtbot, panel.answer_edit, "13.5x")
        assert "not a number" in plain(panel.feedback) and panel.pending is not None
    assert panel.tries == 0 and "Hint" not in plain(panel.question)


# -- levels ---------------------------------------------------------------------------------------
def test_a_worked_example_shows_every_value_and_asks_none(qtbot, window):
    panel = practise(qtbot, window, "forward", "loss", level="worked")
    assert "Press F10 for the next worked step." in plain(panel.question)
    press(qtbot, window, F10)
    assert panel.pending is None and window.document.stepper.revealed_count == 1
    assert "Worked:" in plain(panel.feedback) and "z11 = w111·x1 + w121·x2 + b11 = 0.1·8 + 0.1·8 + 0 = 1.6" \
        in plain(panel.feedback)
    press(qtbot, window, F10, times=3)
    assert panel.pending is None and window.document.stepper.current.kind == "loss"
    assert "L = (y − ŷ)² = (4 − 0.32)² = 13.5424" in plain(panel.feedback)


def test_partly_worked_leaves_the_later_half_of_each_sample_blank(qtbot, window):
    """Nine updates a sample: the first four are worked, the last five asked (the last steps fade first)."""
    panel = practise(qtbot, window, "update", level="partly")
    worked = []
    for _ in range(4):
        press(qtbot, window, F10)
        assert panel.pending is None and window.document.stepper.current.kind == "update"
        worked.append(window.document.stepper.current.parameter)
        assert "Worked:" in plain(panel.feedback)
    assert worked == ["w211", "w221", "b21", "w111"]
    asked = []
    for _ in range(5):
        press(qtbot, window, F10)
        asked.append(panel.pending.parameter)
        qtbot.mouseClick(panel.reveal_button, Qt.MouseButton.LeftButton)
    assert asked == ["w121", "b11", "w112", "w122", "b12"]
    press(qtbot, window, F10)                        # the next sample starts worked again
    assert panel.pending is None and window.document.stepper.current.parameter == "w211"
    assert window.document.stepper.current.sample == 2


def test_the_level_is_remembered(qtbot, window):
    practise(qtbot, window, "loss", level="adaptive")
    assert QSettings().value(LEVEL_KEY) == "adaptive"
    again = open_window(qtbot, load_example("regression"))
    assert again.practice_panel.level_box.currentData() == "adaptive"
    assert again.practice_panel.fading.level == "adaptive"


def test_adaptive_moves_up_after_right_answers_and_down_after_solutions(qtbot, window):
    panel = practise(qtbot, window, "forward", "loss", "factor", "gradient", "update", level="adaptive")
    assert panel.fading.rung == START_RUNG and "the last half" in panel.level_label.text().lower()
    from simulator.mistakes import asked_value
    answered = 0
    while answered < UP_AFTER:
        press(qtbot, window, F10)
        if panel.pending is not None:
            type_into(qtbot, panel.answer_edit, repr(asked_value(panel.pending)[1]))
            answered += 1
    assert panel.fading.rung == START_RUNG + 1 and "three quarters" in panel.level_label.text()
    assert "More values are asked now." in plain(panel.feedback)
    for _ in range(2):
        press(qtbot, window, F10)
        while panel.pending is None:
            press(qtbot, window, F10)
        qtbot.mouseClick(panel.reveal_button, Qt.MouseButton.LeftButton)
    assert panel.fading.rung == START_RUNG and "More values are worked now." in plain(panel.feedback)


# -- the rules, without the window --------------------------------------------------------------
@pytest.mark.parametrize("practised, share, blanks", [(9, 0.0, 0), (9, 0.25, 3), (9, 0.5, 5), (9, 0.75, 7),
                                                      (9, 1.0, 9), (1, 0.25, 1), (0, 0.5, 0), (4, 0.5, 2)])
def test_blank_count(practised, share, blanks):
    assert blank_count(practised, share) == blanks


def test_adaptive_rule_steps_and_limits():
    fading = Fading("adaptive")
    for outcome, rung in [(FIRST, 2), (FIRST, 2), (FIRST, 3), (HELPED, 3), (FIRST, 3), (FIRST, 3), (FIRST, 4),
                          (FIRST, 4), (FIRST, 4), (FIRST, 4), (SHOWN, 4), (SHOWN, 3), (SHOWN, 3), (SHOWN, 2),
                          (SHOWN, 2), (SHOWN, 1), (SHOWN, 1), (SHOWN, 0), (SHOWN, 0), (SHOWN, 0)]:
        fading.record(outcome)
        assert fading.rung == rung
    assert fading.share == RUNGS[0] == 0.0
    assert fading.watched() == 1 and fading.rung == 1
    fixed = Fading("partly")
    assert fixed.record(SHOWN) == 0 and fixed.record(SHOWN) == 0 and fixed.share == 0.5 and fixed.watched() == 0
    assert Fading("no such level").level == "bare"


def test_the_weakest_kind_has_the_fewest_points():
    board = Scoreboard()
    board.add("forward", FIRST)
    assert board.weakest() is None                     # one kind asked: nothing to compare
    board.add("factor", HELPED)
    board.add("factor", FIRST)                         # ¾ a question
    board.add("update", FIRST)
    board.add("update", SHOWN)                         # ½ a question
    assert board.weakest() == "update"
    board.add("update", FIRST)
    board.add("update", FIRST)                         # ¾, tied with the factors: the earlier kind
    assert board.weakest() == "factor"


def test_an_adam_update_is_asked_with_every_line_of_the_optimiser_hidden(qtbot):
    from simulator.optimizers import Optimizer

    session = load_example("regression")
    session.training = session.training.with_changes(optimizer=Optimizer("adam"))
    window = open_window(qtbot, session)
    panel = practise(qtbot, window, "update")
    window.window_actions.step.trigger()                         # F10
    record = panel.pending
    assert record.kind == "update" and record.steps
    panel.hint()
    panel.hint()
    shown = plain(panel.question)
    formulas, numbers = shown.split("Hint: use ")[1].split("With the numbers: ")
    assert "m ← β₁·m + (1 − β₁)·g\n" in formulas and "w211 ← w211 − η·m̂/(√v̂ + ε)\n" in formulas
    assert "11.776" not in formulas                              # the rules alone, no numbers yet
    assert "0.1 − 0.001·(−11.776)/(√(138.674) + 10⁻⁸) = ?" in numbers
    for line in numbers.splitlines():
        assert line.rstrip().endswith("= ?"), line              # no line of the update gives its result
    type_into(qtbot, panel.answer_edit, "0.5")
    assert "Not quite" in plain(panel.feedback) and "common mistake" not in plain(panel.feedback)


def test_adaptive_on_the_fully_worked_rung_asks_again_after_a_sample_watched(qtbot, window):
    """With the loss alone practised, each sample has one value: four solutions shown in a row step down
    to the fully worked rung; the next sample's loss is shown worked, and the level moves back up."""
    panel = practise(qtbot, window, "loss", level="adaptive")
    for rung in (2, 2, 1, 1):
        assert panel.fading.rung == rung
        press(qtbot, window, F10)
        assert panel.pending is not None and panel.pending.kind == "loss"
        qtbot.mouseClick(panel.reveal_button, Qt.MouseButton.LeftButton)
    assert panel.fading.rung == 0 and "every value worked" in panel.level_label.text().lower()
    assert "Press F10 for the next worked step." in plain(panel.question)
    press(qtbot, window, F10)                        # the regression example's four rows: the epoch ends first
    assert panel.pending is None and window.document.stepper.current.kind == "epoch"
    press(qtbot, window, F10)
    current = window.document.stepper.current
    assert panel.pending is None and current.kind == "loss" and (current.epoch, current.sample) == (2, 1)
    assert "Worked:" in plain(panel.feedback) and panel.fading.rung == 1
    press(qtbot, window, F10)
    assert panel.pending is not None and panel.pending.kind == "loss"


def test_a_question_counts_as_asked_from_its_first_answer(qtbot, window):
    panel = practise(qtbot, window, "forward")
    press(qtbot, window, F10)
    assert score_row(panel, "Outputs") == [0, 0, 0, 0] and panel.score_label.text() == "Score: 0 of 0 right"
    type_into(qtbot, panel.answer_edit, "2")                       # o11 is 1.6: wrong, the question stays open
    assert panel.pending is not None
    assert score_row(panel, "Outputs") == [1, 0, 0, 0] and panel.score_label.text() == "Score: 0 of 1 right"
    type_into(qtbot, panel.answer_edit, "1.6")
    assert score_row(panel, "Outputs") == [1, 0, 1, 0] and panel.score_label.text() == "Score: 1 of 1 right"
    press(qtbot, window, F10)
    type_into(qtbot, panel.answer_edit, "3")                       # o12, wrong, then withdrawn by a step back
    assert panel.score_label.text() == "Score: 1 of 2 right"
    window.controller.step_back("factor")
    assert panel.pending is None
    assert score_row(panel, "Outputs") == [1, 0, 1, 0] and panel.score_label.text() == "Score: 1 of 1 right"


def test_the_scoreboard_counts_an_open_question_as_asked():
    scores = Scoreboard()
    scores.start("forward")
    assert scores.asked("forward") == 1 and scores.weakest() is None
    scores.add("forward", HELPED)
    assert scores.asked("forward") == 1 and scores.open is None
