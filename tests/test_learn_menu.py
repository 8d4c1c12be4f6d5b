"""Every Learn feature from the Learn menu, as a new user reaches it, checked against the engine's numbers."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QGraphicsPathItem

from simulator.examples import load_example
from simulator.formatting import format_number
from ui.controller import MISTAKEN_RULE_MARK
from ui.learn import learn_menu

from helpers import parameters

F10 = Qt.Key.Key_F10


def learn_action(window, text: str):
    """The Learn-menu entry whose text (without its `&`) is `text`."""
    for action in learn_menu(window).actions():
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"no Learn ▸ {text}")


def test_the_learn_menu_lists_all_ten_features(window):
    texts = [action.text().replace("&", "") for action in learn_menu(window).actions() if not action.isSeparator()]
    assert texts == ["Practice Mode", "Loss Landscape: One Parameter", "Loss Landscape: Two Parameters",
                     "Learning-Rate Lab…", "Gradient Check…", "Compare with PyTorch…", "Step Back",
                     "Worked Solution of This Step…", "Worked Solution of This Epoch…",
                     "Mistaken Update Rule (In Place)", "Guided Tour"]
    # The entries shared with other menus are the same actions, with the same shortcuts.
    assert learn_action(window, "Step Back") is window.window_actions.step_back
    assert learn_action(window, "Guided Tour") is window.tour_action
    assert learn_action(window, "Worked Solution of This Step…") is window.window_actions.export_worked_step
    for action in learn_menu(window).actions():
        assert action.isSeparator() or action.statusTip(), action.text()


def test_landscape_and_surface_from_the_menu_name_the_rows_they_show(window, qtbot):
    window.controller.step("sample")                     # sample 2 (dataset row 2) is next
    learn_action(window, "Loss Landscape: One Parameter").trigger()
    panel = window.learn_tools.landscape
    qtbot.waitUntil(lambda: panel.isVisible() and panel.slice is not None)
    assert window.learn_tools.docks["landscape"].height() >= 200
    assert "loss (row 2) " + format_number(panel.slice.loss, window.document.digits) in panel.readout.text()
    panel.set_scope("dataset")
    qtbot.waitUntil(lambda: "loss (mean of the 4 rows)" in panel.readout.text())
    learn_action(window, "Loss Landscape: Two Parameters").trigger()
    surface = window.learn_tools.surface
    qtbot.waitUntil(lambda: surface.isVisible() and surface.surface is not None)
    assert f"loss (row 2) {format_number(surface.surface.loss, window.document.digits)}" in surface.readout.text()


def test_a_step_too_small_to_see_still_shows_its_arrow_beside_the_dot(window, qtbot):
    """η = 0.001 moves w211 by about a pixel: the arrow head must not hide under the dot or point back."""
    learn_action(window, "Loss Landscape: One Parameter").trigger()
    panel = window.learn_tools.landscape
    panel.set_parameter("w211")
    qtbot.waitUntil(lambda: panel.slice is not None and panel.slice.parameter == "w211")
    panel.redraw()
    part = panel.slice
    assert part.new_value > part.value                       # the update moves w211 to the right
    assert panel.arrow.pos().x() == part.new_value           # the arrow is anchored at the new value
    view = panel.plot.getPlotItem().getViewBox()
    dot_x = view.mapViewToScene(QPointF(part.value, part.loss)).x()
    head = QGraphicsPathItem.path(panel.arrow).boundingRect()   # pixels: the arrow ignores the zoom
    head.translate(panel.arrow.scenePos())
    assert head.left() > dot_x + 3                           # clear of the dot's centre, on its right
    assert head.right() - dot_x >= 15


def test_mistaken_update_rule_from_the_learn_menu_changes_the_numbers_and_is_labelled(window, qtbot):
    document = window.document
    action = learn_action(window, "Mistaken Update Rule (In Place)")
    assert action.isCheckable() and not action.isChecked()
    window.controller.step("sample")
    correct = parameters(document)
    window.controller.reset()

    action.trigger()
    assert action.isChecked() and document.session.training.update_rule == "in_place"
    assert window.settings_panel.rule_combo.currentData() == "in_place"
    assert window.settings_panel.rule_warning.isVisibleTo(window.settings_panel)
    assert "MISTAKEN UPDATE RULE" in window.windowTitle()
    assert window.position_label.text().endswith(MISTAKEN_RULE_MARK)
    window.controller.step("sample")
    mistaken = parameters(document)
    assert "MISTAKEN UPDATE RULE" in window.inspector.plain_text()
    assert mistaken["w211"] == correct["w211"] and mistaken["w111"] != correct["w111"]
    session = load_example("regression")
    session.training = session.training.with_changes(update_rule="in_place")
    training = session.make_training()
    training.step()
    assert parameters(document) == {ref.name: training.network.get(ref) for ref in training.network.parameters()}

    document.undo_stack.undo()                             # Ctrl+Z: the menu follows the document
    assert not action.isChecked() and document.session.training.update_rule == "simultaneous"
    assert "MISTAKEN" not in window.windowTitle()
    action.trigger()
    action.trigger()                                       # off again from the menu
    assert not action.isChecked() and window.settings_panel.rule_combo.currentData() == "simultaneous"
    window.open_example("classification")
    assert not action.isChecked()


def test_step_back_from_the_learn_menu(window):
    document = window.document
    window.controller.step("sample")
    after_one = parameters(document)
    window.set_granularity("sample")
    window.controller.step()
    assert parameters(document) != after_one
    learn_action(window, "Step Back").trigger()
    assert parameters(document) == after_one and document.training.position == 1


@pytest.mark.parametrize("granularity", ["factor", "phase", "sample", "epoch"])
def test_step_back_then_forward_with_the_keys_shows_identical_numbers(qtbot, window, granularity):
    """F10 a few times, Ctrl+F10 as many, F10 again: the inspector, the graph's numbers and the engine agree."""
    document = window.document
    window.set_granularity(granularity)
    seen = []
    for _ in range(3):
        qtbot.keyClick(window, F10)
        seen.append((window.inspector.plain_text(), window.position_label.text(),
                     document.network.flat_parameters().tolist(), list(document.training.history)))
    for _ in range(2):
        qtbot.keyClick(window, F10, Qt.KeyboardModifier.ControlModifier)
    assert (window.inspector.plain_text(), window.position_label.text(),
            document.network.flat_parameters().tolist(), list(document.training.history)) == seen[0]
    for expected in seen[1:]:
        qtbot.keyClick(window, F10)
        assert (window.inspector.plain_text(), window.position_label.text(),
                document.network.flat_parameters().tolist(), list(document.training.history)) == expected


def ask_for_the_loss(qtbot, window):
    learn_action(window, "Practice Mode").trigger()
    panel = window.practice_panel
    for kind, box in panel.kind_boxes.items():
        box.setChecked(kind == "loss")
    qtbot.keyClick(window, F10)
    assert panel.pending is not None and panel.pending.kind == "loss"
    return panel


@pytest.mark.parametrize("relative, right", [(0.999e-3, True), (-0.999e-3, True), (1.001e-3, False),
                                             (-1.001e-3, False)])
def test_practice_answer_typed_just_inside_or_outside_the_tolerance(qtbot, window, relative, right):
    panel = ask_for_the_loss(qtbot, window)
    value = panel.pending.value                              # 13.5424 on the regression example
    qtbot.keyClicks(panel.answer_edit, repr(value * (1 + relative)))
    qtbot.keyClick(panel.answer_edit, Qt.Key.Key_Return)
    assert ("Right." in panel.feedback.text()) is right
    if right:
        assert panel.pending is None and window.document.stepper.current.kind == "loss"
        assert panel.score_label.text() == "Score: 1 of 1 right"
        assert format_number(value, window.document.digits) in panel.feedback.text()
    else:   # another try, with a hint; the value stays hidden
        assert panel.pending is not None and window.document.stepper.current.kind == "forward"
        # a question counts as asked from its first answer: the wrong one is on the score at once
        assert "Not quite" in panel.feedback.text() and panel.score_label.text() == "Score: 0 of 1 right"
        assert format_number(value, window.document.digits) not in panel.feedback.text()


def test_practice_boundary_is_sharp_to_the_last_digit(qtbot, window):
    """The largest number within 10⁻³·|value| counts as right; the next number a float can hold does not."""
    import math

    panel = ask_for_the_loss(qtbot, window)
    value = panel.pending.value
    edge = value + 1e-3 * abs(value)
    while abs(edge - value) > max(1e-6, 1e-3 * abs(value)):     # the largest float still within the tolerance
        edge = math.nextafter(edge, value)
    beyond = math.nextafter(edge, math.inf)
    panel.answer_edit.setText(repr(beyond))
    assert panel.check() is False and panel.pending is not None
    panel.reveal()
    qtbot.keyClick(window, F10)
    assert panel.pending.kind == "loss" and panel.pending.sample == 2
    value = panel.pending.value
    edge = value + 1e-3 * abs(value)
    while abs(edge - value) > max(1e-6, 1e-3 * abs(value)):
        edge = math.nextafter(edge, value)
    panel.answer_edit.setText(repr(edge))
    assert panel.check() is True
    # the first question was answered (wrongly) before its reveal: answered, and revealed
    assert panel.score_label.text() == "Score: 1 of 2 right · 1 revealed"


@pytest.mark.parametrize("asked", [("gradient",), ("factor", "gradient")])
def test_practice_never_shows_the_gradient_it_asks_for(qtbot, window, asked):
    """After a chain's last factor the running product is the gradient: hidden while it is the question."""
    learn_action(window, "Practice Mode").trigger()
    panel = window.practice_panel
    for kind, box in panel.kind_boxes.items():
        box.setChecked(kind in asked)
    for _ in range(10):
        qtbot.keyClick(window, F10)
        if panel.pending is not None and panel.pending.kind == "gradient":
            break
        panel.reveal()
    gradient = panel.pending
    assert gradient is not None and gradient.kind == "gradient"
    current = window.document.stepper.current
    assert current.kind == "factor" and current.index == current.count and current.running_product == gradient.value
    shown = format_number(gradient.value, window.document.digits)
    assert "running product" not in window.inspector.plain_text()
    assert shown not in window.inspector.plain_text() and shown not in panel.question.text()
    panel.reveal()
    assert window.document.stepper.current is gradient
    assert shown in window.inspector.plain_text()
    window.controller.step_back("factor")              # the last factor again: the gradient is asked next
    assert "running product" not in window.inspector.plain_text()
    learn_action(window, "Practice Mode").trigger()      # practice off: the running product is back
    assert f"running product after {current.count} of {current.count}: {shown}" in window.inspector.plain_text()


def test_practice_answering_the_last_factor_does_not_give_away_the_gradient_asked_next(qtbot, window):
    learn_action(window, "Practice Mode").trigger()
    panel = window.practice_panel
    for kind, box in panel.kind_boxes.items():
        box.setChecked(kind in ("factor", "gradient"))
    while not (panel.pending is not None and panel.pending.kind == "factor"
               and panel.pending.index == panel.pending.count):
        if panel.pending is not None:
            panel.reveal()
        qtbot.keyClick(window, F10)
    last = panel.pending
    panel.answer_edit.setText(repr(last.value))
    assert panel.check() is True
    assert window.document.stepper.current is last
    gradient = format_number(last.running_product, window.document.digits)
    assert "running product" not in window.inspector.plain_text() and gradient not in window.inspector.plain_text()
    assert gradient not in panel.feedback.text()
    qtbot.keyClick(window, F10)
    assert panel.pending.kind == "gradient" and panel.pending.value == last.running_product
    panel.kind_boxes["gradient"].setChecked(False)       # no longer practised: nothing to hide
    panel.reveal()
    assert gradient in window.inspector.plain_text()


def test_the_user_guide_documents_every_learn_entry_with_a_screenshot(window):
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs"
    guide = (docs / "user-guide.md").read_text(encoding="utf-8")
    menu_line = guide[guide.index("- **Learn:**"):guide.index("- **Help:**")]
    section = guide[guide.index("## Learn the why"):guide.index("## Menus and shortcuts")]
    for action in learn_menu(window).actions():
        if not action.isSeparator():
            name = action.text().replace("&", "")
            assert " ".join(name.split()) in " ".join(menu_line.split()), name
            assert name in " ".join(section.split()), name
    images = re.findall(r"!\[[^\]]*\]\((images/[^)]+)\)", section)
    assert len(images) >= 10
    for image in images:
        assert (docs / image).is_file(), image
    for link in re.findall(r"\]\(([\w-]+\.md)[)#]", guide):
        assert (docs / link).is_file(), link


NUMBER = r"(?<![\w.])[−-]?\d+(?:\.\d+)?(?:e[−+-]?\d+)?"


@pytest.mark.parametrize("kind, digits", [("forward", 3), ("loss", 10), ("factor", 3), ("gradient", 10),
                                          ("update", 3), ("epoch", 10)])
def test_worked_solution_from_the_learn_menu_has_every_number_the_inspector_shows(qtbot, window, dialogs, tmp_path,
                                                                                   kind, digits):
    import html
    import re

    document = window.document
    document.set_digits(digits)
    if kind == "epoch":
        window.controller.step("sample")
        window.controller.step("sample")
        window.controller.step("sample")                 # the last sample of epoch 1 comes next
    for _ in range(200):
        window.controller.step("factor")
        if document.stepper.current.kind == kind:
            break
    assert document.stepper.current.kind == kind
    shown = window.inspector.plain_text()
    target = tmp_path / "step.html"
    dialogs.save_paths.append(str(target))
    learn_action(window, "Worked Solution of This Step…").trigger()
    page = html.unescape(re.sub(r"<sub>(\d+)</sub>", r"\1", target.read_text(encoding="utf-8")))
    missing = set(re.findall(NUMBER, shown)) - set(re.findall(NUMBER, page))
    assert not missing, (missing, shown)


def test_getting_started_points_a_new_user_to_the_learn_menu_and_the_tour(window, dialogs):
    window.window_actions.getting_started.trigger()
    [text] = dialogs.texts("information")
    assert "Learn ▸" in text and "Help ▸ Guided Tour" in text and "Step Back (Ctrl+F10)" in text


def test_stepping_back_says_so_in_the_status_bar(window):
    controller = window.controller
    window.set_granularity("sample")
    controller.step()
    controller.step()
    window.window_actions.step_back.trigger()
    assert window.statusBar().currentMessage() == f"Stepped back one sample: {controller.position_text()}"
    assert window.document.training.position == 1
    window.window_actions.back_to_start.trigger()
    assert window.statusBar().currentMessage() == "Back at the start of training"
    window.window_actions.step_back.trigger()
    assert window.statusBar().currentMessage() == "At the start of training"


def test_practice_buttons_leave_the_menu_letters_alone(window):
    """Alt+V and Alt+S opened Practice's Reveal and Reset Score instead of the View and Simulation menus."""
    import re
    from PySide6.QtWidgets import QAbstractButton, QLabel

    def letters(widgets):
        found = [re.search(r"&([^&])", widget.text() or "") for widget in widgets]
        return [match.group(1).lower() for match in found if match]

    menus = set(letters(window.menuBar().actions()))
    practice = letters(window.practice_panel.findChildren(QAbstractButton)
                       + window.practice_panel.findChildren(QLabel))
    dataset = window.docks["dataset"]
    beside = letters(dataset.findChildren(QAbstractButton) + dataset.findChildren(QLabel))
    assert practice and len(practice) == len(set(practice))
    assert not set(practice) & menus and not set(practice) & set(beside), sorted(practice)
