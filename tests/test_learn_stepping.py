"""Learning aids through the real window: the mistaken update rule, stepping back, worked solutions."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from simulator.examples import load_example
from simulator.formatting import factor_line, format_number, record_lines, running_product_line
from simulator.worked import epoch_records, step_records, to_html
from ui.learn import learn_menu
from ui.learn.practice import answer_is_correct
from ui.learn.worked_export import worked_text
from ui.controller import MISTAKEN_RULE_MARK

from helpers import parameters, step_until

F10 = Qt.Key.Key_F10


def choose(combo, value) -> None:
    """Pick `value` in a combo box as a user would (the panel listens to `activated`)."""
    index = combo.findData(value)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


# -- the mistaken update rule -------------------------------------------------------------------
def test_in_place_rule_is_marked_everywhere_and_undo_restores(qtbot, window):
    document, panel = window.document, window.settings_panel
    assert not panel.rule_warning.isVisibleTo(panel)
    assert "MISTAKEN" not in window.windowTitle() and MISTAKEN_RULE_MARK not in window.position_label.text()
    choose(panel.rule_combo, "in_place")
    assert document.session.training.update_rule == "in_place"
    assert document.training.config.update_rule == "in_place"
    assert panel.rule_warning.isVisibleTo(panel) and "MISTAKEN UPDATE RULE" in panel.rule_warning.text()
    assert "MISTAKEN UPDATE RULE" in window.windowTitle()
    assert window.position_label.text().endswith(MISTAKEN_RULE_MARK)
    step_until(window.controller, lambda record: record.kind == "loss")
    assert "MISTAKEN" not in window.inspector.plain_text()
    factor = step_until(window.controller, lambda record: record.kind == "factor"
                        and any("already updated" in symbol for symbol in record.symbols))
    shown = window.inspector.plain_text()
    assert "MISTAKEN UPDATE RULE" in shown
    assert factor_line(factor, document.digits) in shown and "(already updated)" in shown
    window.controller.step_out()
    assert document.stepper.current.kind == "update" and "MISTAKEN UPDATE RULE" in window.inspector.plain_text()
    in_place = parameters(document)

    document.undo_stack.undo()
    assert document.session.training.update_rule == "simultaneous"
    assert panel.rule_combo.currentData() == "simultaneous"
    assert not panel.rule_warning.isVisibleTo(panel)
    assert "MISTAKEN" not in window.windowTitle() and "MISTAKEN" not in window.position_label.text()
    window.controller.reset()
    window.controller.step("sample")
    simultaneous = parameters(document)
    assert "MISTAKEN" not in window.inspector.plain_text()

    # The engine's own numbers: the two rules agree on the output layer and differ on the first.
    for rule, expected in (("in_place", in_place), ("simultaneous", simultaneous)):
        session = load_example("regression")
        session.training = session.training.with_changes(update_rule=rule)
        training = session.make_training()
        training.step()
        got = {ref.name: training.network.get(ref) for ref in training.network.parameters()}
        assert got == expected
    assert in_place["w211"] == simultaneous["w211"]
    assert in_place["w111"] != simultaneous["w111"]


# -- stepping back ------------------------------------------------------------------------------
def state(document) -> tuple:
    """Everything that decides what the window shows and what the next step computes."""
    training, stepper = document.training, document.stepper
    return (training.network.flat_parameters().tolist(), training.epoch, training.position, training.status,
            training.message, list(training.history), list(training.sample_losses), list(training._epoch_losses),
            training._epoch_start.tolist(), stepper.revealed_count, list(stepper.records), stepper.batch is None)


def make_document(qapp, **settings):
    from ui.document import Document
    session = load_example("regression")
    session.training = session.training.with_changes(**settings)
    return Document(session)


@pytest.mark.parametrize("granularity", ["factor", "phase", "sample", "epoch"])
@pytest.mark.parametrize("settings", [{"epochs": 2}, {"epochs": 3, "order": "shuffled", "batch_size": 3, "seed": 7}])
def test_step_back_then_forward_reproduces_every_state_exactly(qapp, granularity, settings):
    from ui.controller import Controller
    document = make_document(qapp, **settings)
    controller = Controller(document)
    states = [state(document)]
    while not document.training.finished:
        controller.step(granularity)
        states.append(state(document))
    assert len(states) > 2
    for expected in reversed(states[:-1]):
        assert controller.step_back(granularity)
        assert state(document) == expected
    assert not controller.step_back(granularity)
    for expected in states[1:]:
        controller.step(granularity)
        assert state(document) == expected


@pytest.mark.parametrize("granularity", ["factor", "sample"])
def test_step_back_from_a_divergence(qapp, granularity):
    from ui.controller import Controller
    document = make_document(qapp, learning_rate=0.05, epochs=3)
    controller = Controller(document)
    states = [repr(state(document))]          # repr: a nan is equal to itself only as text
    while not document.training.finished:
        controller.step(granularity)
        states.append(repr(state(document)))
    assert document.training.status == "diverged"
    for expected in reversed(states[:-1]):
        assert controller.step_back(granularity)
        assert repr(state(document)) == expected
    for expected in states[1:]:
        controller.step(granularity)
        assert repr(state(document)) == expected


def test_step_back_after_a_full_speed_run_replays_from_thinned_checkpoints(qapp):
    from simulator.timeline import Timeline
    from ui.controller import Controller
    document = make_document(qapp, epochs=300, order="shuffled")
    controller = Controller(document)
    reference = load_example("regression")
    reference.training = document.session.training
    expected = reference.make_training()
    timeline = document.timeline
    timeline.recent, timeline.checkpoints = 8, 4
    while not document.training.finished:
        controller._run_speed = 0
        controller._tick()
    assert len(timeline.snapshots) <= 8 + 4 + 2
    total = 300 * 4
    assert controller.step_back("factor")          # the last batch's records, up to its epoch's end
    assert document.stepper.current.kind == "epoch" and document.training.epoch == 300
    assert controller.step_back("factor")          # its last update (applied)
    assert document.stepper.current.kind == "update" and document.training.epoch == 300
    assert controller.step_back("factor")          # the update before: the batch is not applied yet
    assert document.stepper.mid_batch
    expected.run(max_steps=total - 1)
    assert document.training.network.flat_parameters().tolist() == expected.network.flat_parameters().tolist()
    assert document.training.sample_losses == expected.sample_losses
    assert isinstance(timeline, Timeline) and len(timeline.snapshots) <= 8 + 4 + 2


def test_stepping_back_stops_at_an_edit_and_says_so(qtbot, window):
    document, controller = window.document, window.controller
    controller.step("sample")
    controller.step("sample")
    document.edit_parameter("w111", 0.5)
    edited = state(document)
    controller.step("sample")
    assert document.training.position == 3
    assert controller.step_back("sample")
    assert state(document)[:9] == edited[:9] and document.stepper.revealed_count == 0
    with qtbot.waitSignal(controller.message) as blocker:
        assert not controller.step_back("sample")
    assert "last edit" in blocker.args[0]
    assert "last edit" in window.statusBar().currentMessage()
    assert document.network.get(document.network.resolve("w111")) == 0.5
    controller.reset()
    assert not controller.step_back("factor")
    assert window.statusBar().currentMessage() == "At the start of training"


def test_step_back_keys_menu_and_toolbar(qtbot, window):
    from PySide6.QtWidgets import QToolButton
    document, actions = window.document, window.window_actions
    press = lambda key, modifier=Qt.KeyboardModifier.NoModifier: qtbot.keyClick(window, key, modifier)  # noqa: E731
    before = state(document)
    for _ in range(5):
        press(F10)
    after_five = state(document)
    press(Qt.Key.Key_F10, Qt.KeyboardModifier.ControlModifier)
    assert document.stepper.revealed_count == 4
    press(Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert document.stepper.revealed_count == 3
    button = next(widget for widget in window.findChildren(QToolButton) if widget.defaultAction() is actions.step_back)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert document.stepper.revealed_count == 2
    assert window.position_label.text() == window.controller.position_text()
    assert "Ctrl+F10" in actions.step_back.toolTip()
    simulation = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Simulation")
    assert actions.step_back in simulation.actions() and actions.back_to_start in simulation.actions()
    press(F10, Qt.KeyboardModifier.NoModifier)
    press(F10)
    press(F10)
    assert state(document) == after_five
    actions.back_to_start.trigger()
    assert state(document) == before
    assert window.inspector.plain_text().startswith("Press F10")


# -- worked solutions ---------------------------------------------------------------------------
class PageChecker(HTMLParser):
    """Fails on a mismatched or unclosed tag; collects the text of every paragraph and heading."""

    VOID = {"meta", "br"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.blocks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag in ("p", "h1", "h2", "h3"):
            self.blocks.append("")

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()

    def handle_data(self, data):
        if self.blocks and self.stack and self.stack[-1] in ("p", "h1", "h2", "h3", "sub"):
            self.blocks[-1] += data


def page_text(page: str) -> str:
    checker = PageChecker()
    checker.feed(page)
    checker.close()
    assert checker.stack == []
    return "\n".join(checker.blocks)


NUMBER = re.compile(r"(?<![\w.])[−-]?\d+(?:\.\d+)?(?:e[−+-]?\d+)?")


def test_worked_solution_of_a_step_has_every_inspector_number(qtbot, window, dialogs, tmp_path):
    document = window.document
    document.set_digits(4)
    step_until(window.controller, lambda record: record.kind == "factor" and record.index == 3)
    inspector_numbers = set(NUMBER.findall(window.inspector.plain_text()))
    before = state(document)
    target = tmp_path / "step.html"
    dialogs.save_paths.append(str(target))
    window.window_actions.export_worked_step.trigger()
    page = target.read_text(encoding="utf-8")
    assert state(document) == before
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<script" not in page
    text = page_text(page)
    records = step_records(document.stepper)
    assert [record.kind for record in records][-1] == "update" and len(records) > len(document.stepper.revealed)
    for record in records:
        for line in record_lines(record, 4):
            assert to_html(line) in page, line
            assert line in text
        if record.kind == "factor":
            assert f"({running_product_line(record, 4)})" in text
    assert inspector_numbers and inspector_numbers <= set(NUMBER.findall(text))
    assert "w<sub>211</sub>" in page
    assert "Exported the worked solution of this step" in window.statusBar().currentMessage()


def test_worked_solution_of_an_epoch_in_markdown_leaves_training_alone(qtbot, window, dialogs, tmp_path):
    document = window.document
    window.controller.step("sample")
    step_until(window.controller, lambda record: record.kind == "loss")
    before = state(document)
    target = tmp_path / "epoch"
    dialogs.save_paths.append(str(target))
    window.window_actions.export_worked_epoch.trigger()
    written = tmp_path / "epoch.html"          # no suffix typed: the first filter's
    assert written.is_file() and state(document) == before
    page_text(written.read_text(encoding="utf-8"))
    markdown = worked_text(document, "epoch", markdown=True)
    assert state(document) == before
    reference = load_example("regression").make_training()
    reference.run(max_steps=4)
    mean = format_number(reference.history[0], document.digits)
    assert f"**epoch 1: mean loss = " in markdown and f"= {mean}**" in markdown
    assert "## Epoch 1, sample 2 (dataset row 2)" in markdown and "sample 1 (" not in markdown
    assert "∂L/∂w₁₁₁" in markdown and "w111" not in markdown
    for record in epoch_records(document.stepper):
        if record.kind == "update":
            assert format_number(record.new, document.digits) in markdown


def test_worked_solution_refuses_when_training_has_stopped(window, dialogs, tmp_path):
    training = window.document.training
    window.controller.run_to_end()
    while not training.finished:
        window.controller._tick()
    dialogs.save_paths.append(str(tmp_path / "late.html"))
    window.window_actions.export_worked_epoch.trigger()
    assert not (tmp_path / "late.html").exists()
    assert "training has stopped" in dialogs.texts("critical")[-1]


# -- practice mode ------------------------------------------------------------------------------
@pytest.mark.parametrize("answer, value, right", [
    (1001.0, 1000.0, True),                 # exactly the relative tolerance 1e-3
    (999.0, 1000.0, True),
    (1001.0000001, 1000.0, False),
    (1e-6, 0.0, True),                      # exactly the absolute tolerance near zero
    (-1e-6, 0.0, True),
    (1.0000001e-6, 0.0, False),
    (-7.36, -7.36, True),
    (7.36, -7.36, False),
])
def test_practice_tolerance_boundary(answer, value, right):
    assert answer_is_correct(answer, value) is right


def practice_window(qtbot, window):
    action = next(action for action in learn_menu(window).actions() if action.text() == "&Practice Mode")
    action.trigger()
    panel = window.practice_panel
    assert panel.active and window.practice_dock.isVisible()
    return panel


def test_practice_asks_before_revealing_and_keeps_score(qtbot, window):
    document = window.document
    panel = practice_window(qtbot, window)
    for kind, box in panel.kind_boxes.items():
        box.setChecked(kind in ("loss", "gradient"))
    qtbot.keyClick(window, F10)
    assert panel.pending is not None and panel.pending.kind == "loss"
    assert document.stepper.revealed_count == 3 and document.stepper.current.kind == "forward"
    assert "What is <b>L</b>?" in panel.question.text() and "(y − ŷ)²" not in panel.question.text()
    qtbot.mouseClick(panel.hint_button, Qt.MouseButton.LeftButton)    # the formula …
    assert "L = (y − ŷ)²" in panel.question.text() and "= ?" not in panel.question.text()
    qtbot.mouseClick(panel.hint_button, Qt.MouseButton.LeftButton)    # … then the numbers in it
    assert "L = (y − ŷ)² = (4 − 0.32)² = ?" in panel.question.text()
    assert "13.54" not in panel.question.text() and not panel.hint_button.isEnabled()
    qtbot.keyClick(window, F10)                          # asks for the answer first
    assert document.stepper.revealed_count == 3
    assert "answer first" in window.statusBar().currentMessage()
    qtbot.keyClicks(panel.answer_edit, "13.55")          # 13.5424 ± 0.0135 → right
    qtbot.keyClick(panel.answer_edit, Qt.Key.Key_Return)
    assert document.stepper.current.kind == "loss" and panel.pending is None
    assert "Right." in panel.feedback.text() and "13.5424" in panel.feedback.text()
    assert panel.score_label.text() == "Score: 1 of 1 right"
    qtbot.keyClick(window, F10)
    gradient = panel.pending
    assert gradient.kind == "gradient" and document.stepper.current.kind == "factor"
    wrong = format_number(-gradient.value, 6)
    for attempt in range(3):                             # three tries, then the solution
        assert document.stepper.current.kind == "factor"
        panel.answer_edit.clear()
        qtbot.keyClicks(panel.answer_edit, wrong)
        qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
        assert "Not quite" in panel.feedback.text() and "sign error" in panel.feedback.text()
    assert format_number(gradient.value, 6) in panel.feedback.text()
    assert document.stepper.current == gradient
    assert panel.score_label.text() == "Score: 1 of 2 right · weakest: Gradients"
    qtbot.keyClick(window, F10)
    qtbot.keyClicks(panel.answer_edit, format_number(panel.pending.value, 6).replace("−", "-") + "x")
    qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
    assert "not a number" in panel.feedback.text() and panel.pending is not None
    panel.answer_edit.setText(format_number(panel.pending.value, 6))   # the typographic minus is accepted
    panel.check()
    assert panel.score_label.text() == "Score: 2 of 3 right · weakest: Loss"    # ½ point each: helped, and 1 of 2
    qtbot.keyClick(window, F10)
    qtbot.mouseClick(panel.reveal_button, Qt.MouseButton.LeftButton)
    assert panel.score_label.text() == "Score: 2 of 3 right · 1 revealed · weakest: Gradients"
    assert document.stepper.current.kind == "gradient"
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert panel.score_label.text() == "Score: 0 of 0 right"


def test_practice_with_nothing_to_ask_steps_as_usual(qtbot, window):
    panel = practice_window(qtbot, window)
    window.set_granularity("phase")
    for box in panel.kind_boxes.values():
        box.setChecked(False)
    qtbot.keyClick(window, F10)
    assert panel.pending is None and window.document.stepper.revealed_count == 2   # layer 1's two neurons
    panel.kind_boxes["update"].setChecked(True)
    qtbot.keyClick(window, F10)
    assert panel.pending.kind == "update" and window.document.stepper.current.kind == "gradient"
    panel.hint()
    panel.hint()
    assert "η" in panel.question.text() and "= ?" in panel.question.text()


def test_practice_question_is_withdrawn_when_the_position_changes(qtbot, window):
    panel = practice_window(qtbot, window)
    qtbot.keyClick(window, F10)
    panel.reveal()
    qtbot.keyClick(window, F10)
    assert panel.pending is not None and panel.pending.kind == "forward" and panel.pending.neuron == 2
    window.controller.step_back("factor")
    assert panel.pending is None and not panel.answer_edit.isEnabled()
    learn_menu(window).actions()[0].trigger()            # practice mode off: F10 steps as usual
    assert not panel.active
    qtbot.keyClick(window, F10)
    assert window.document.stepper.revealed_count == 1 and panel.pending is None
    assert not window.practice_dock.isVisible()


# -- guided tour --------------------------------------------------------------------------------
def test_guided_tour_walks_one_step_and_back(qtbot, window):
    from ui.learn.tour import STEPS
    tour = window.guided_tour
    assert not tour.showing and not tour.callout.isVisible()    # never opens by itself in the window
    help_menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Help")
    assert help_menu.actions()[0] is window.tour_action
    window.tour_action.trigger()
    callout = tour.callout
    assert tour.index == 0 and callout.isVisible() and callout.counter.text() == f"1 of {len(STEPS)}"
    assert callout.frame.geometry().size() == window.view.size()
    assert window.rect().contains(callout.geometry())
    assert not callout.back_button.isEnabled()
    kinds = []
    for _ in range(len(STEPS) - 1):
        qtbot.mouseClick(callout.next_button, Qt.MouseButton.LeftButton)
        assert window.rect().contains(callout.geometry())
        assert not callout.geometry().intersects(callout.frame.geometry())
        kinds.append(document_kind(window))
    assert kinds == [None, "forward", "loss", "gradient", "update", "update"]
    stepper = window.document.stepper
    assert window.document.training.position == 1 and callout.next_button.text() == "Done"
    qtbot.mouseClick(callout.back_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(callout.back_button, Qt.MouseButton.LeftButton)
    assert stepper.current.kind == "gradient" and stepper.current.parameter == "w211"
    assert "∂L/∂w211 = ∂L/∂ŷ · ∂ŷ/∂z21 · ∂z21/∂w211" in window.inspector.plain_text()
    qtbot.mouseClick(callout.skip_button, Qt.MouseButton.LeftButton)
    assert not tour.showing and not callout.isVisible() and not callout.frame.isVisible()
    assert "Guided Tour" in window.statusBar().currentMessage()


def test_the_tour_answers_the_keyboard(qtbot, window):
    """Enter goes on (Next has the focus at every stop), Backspace goes back, Escape ends the tour."""
    tour = window.guided_tour
    window.tour_action.trigger()
    callout = tour.callout
    qtbot.waitUntil(callout.next_button.hasFocus)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert tour.index == 1
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Enter)
    assert tour.index == 2
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backspace)
    assert tour.index == 1
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not tour.showing and not callout.isVisible()


def document_kind(window):
    current = window.document.stepper.current
    return current.kind if current is not None else None


def test_tour_shows_only_on_the_first_start(qtbot, window):
    from ui.learn.tour import show_on_first_start
    window.open_example("xor")
    assert not show_on_first_start(window)              # a session opened at start is left alone
    window.open_example("regression")
    assert show_on_first_start(window)
    window.guided_tour.close()
    assert not show_on_first_start(window)
    assert not window.guided_tour.showing


def test_tour_switches_to_the_regression_example(qtbot, window, dialogs):
    window.open_example("xor")
    window.tour_action.trigger()
    assert window.document.session.title == load_example("regression").title
    assert window.guided_tour.index == 0


def test_trace_writes_worked_solutions(tmp_path, capsys):
    from simulator.cli import main, trace_records
    page, notes = tmp_path / "step.html", tmp_path / "step.md"
    assert main(["trace", "--example", "regression", "--sample", "3", "--digits", "4",
                 "--html", str(page), "--markdown", str(notes)]) == 0
    out, err = capsys.readouterr()
    assert f"Wrote {page}" in err and f"Wrote {notes}" in err and "Forward pass" in out
    records = trace_records(load_example("regression"), 3)
    text = page_text(page.read_text(encoding="utf-8"))
    for record in records:
        for line in record_lines(record, 4):
            assert line in text
    markdown = notes.read_text(encoding="utf-8")
    assert "## Epoch 1, sample 3 (dataset row 3)" in markdown and "batch size 1; samples in order." in markdown
    assert main(["trace", "--example", "regression", "--html", str(tmp_path / "no" / "such.html")]) == 2
    assert "such.html" in capsys.readouterr().err


@pytest.mark.parametrize("order, words", [("sequential", "samples in order."),
                                          ("shuffled", "samples shuffled each epoch (seed 3).")])
def test_a_worked_solution_names_the_order_in_the_settings_panel_words(order, words):
    from simulator.worked import context_lines
    session = load_example("regression")
    session.training = session.training.with_changes(order=order, seed=3)
    assert context_lines(session.make_training(), 4)[0].endswith("batch size 1; " + words)
