"""The network graph, driven through the real view on the lectures' regression example."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from simulator.errors import ConfigError
from simulator.examples import load_example
from simulator.formatting import format_number
from simulator.initialisation import Initialisation, build_network
from simulator.notation import parse_parameter
from ui.controller import Controller
from ui.document import Document
from ui.graph import style
from ui.graph.network_view import NetworkView
from ui.parsing import parse_float

from helpers import settle, step_until

#: About the size of the graph area of the 1280×800 main window.
VIEW_SIZE = (880, 460)


@pytest.fixture
def doc(qapp):
    return Document(load_example("regression"))


@pytest.fixture
def controller(doc):
    return Controller(doc)


@pytest.fixture
def view(qtbot, doc):
    network_view = NetworkView(doc)
    qtbot.addWidget(network_view)
    network_view.resize(*VIEW_SIZE)
    network_view.show()
    qtbot.waitExposed(network_view)
    return network_view


def step(view, controller):
    """One chain-rule factor (F10 at the finest granularity); returns the record revealed."""
    record = controller.step("factor")[-1]
    settle(view)
    return record


def label_lines(item) -> list[str]:
    return item.label_text().splitlines()


def reshape(doc: Document, sizes: list[int]) -> None:
    """Give the document a network of `sizes` with random weights (one undoable structural edit)."""
    def change(session):
        session.network = build_network(sizes, "linear", Initialisation("uniform", seed=3),
                                        session.network.input_names, session.network.output_names)
    doc.edit_structure("Reshape", change)


def open_editor(qtbot, view, item):
    item.edit()
    editor = view.editor()
    assert editor is not None and editor.isVisible()
    return editor


def type_and_enter(qtbot, editor, text: str) -> None:
    editor.line_edit.clear()
    if text.isascii():
        qtbot.keyClicks(editor.line_edit, text)
    else:   # QTest types ASCII only; a pasted typographic minus arrives like this
        editor.line_edit.insert(text)
    qtbot.keyClick(editor.line_edit, Qt.Key.Key_Return)


# -- what the items show ------------------------------------------------------------------------
def test_before_any_step_items_show_names_and_parameters(view, doc):
    digits = doc.digits
    assert label_lines(view.neuron_item(0, 1)) == ["x₁", "cgpa"]
    assert label_lines(view.neuron_item(0, 2)) == ["x₂", "resume_score"]
    assert label_lines(view.neuron_item(1, 1)) == ["o₁₁", f"b11 = {format_number(doc.network.get('b11'), digits)}"]
    assert label_lines(view.neuron_item(2, 1)) == ["ŷ", "lpa", "b21 = 0"]
    assert view.edge_item(1, 2, 1).label_text() == "w121 = 0.1"
    assert view.edge_item(2, 2, 1).label_text() == "w221 = 0.1"


def test_forward_records_reveal_z_and_o_with_the_engines_numbers(view, doc, controller):
    digits = doc.digits
    for _ in range(3):
        record = step(view, controller)
        assert record.kind == "forward"
        lines = label_lines(view.neuron_item(record.layer, record.neuron))
        symbol = "ŷ" if record.layer == 2 else "o"
        assert f"z = {format_number(record.z, digits)}" in lines
        assert f"{symbol} = {format_number(record.out, digits)}" in lines
    assert "x = 8" in label_lines(view.neuron_item(0, 1))
    assert "z = 1.6" in label_lines(view.neuron_item(1, 2)) and "o = 1.6" in label_lines(view.neuron_item(1, 2))
    assert "ŷ = 0.32" in label_lines(view.neuron_item(2, 1))


def test_loss_record_shows_target_and_loss_beside_the_output(view, doc, controller):
    record = step_until(controller, view=view, predicate=lambda r: r.kind == "loss")
    lines = label_lines(view.neuron_item(2, 1))
    assert f"y = {format_number(record.targets[0], doc.digits)}" in lines
    assert f"L = {format_number(record.value, doc.digits)}" == "L = 13.5424"
    assert "L = 13.5424" in lines


def test_gradients_appear_when_their_record_is_revealed(view, doc, controller):
    edge = view.edge_item(1, 1, 1)
    step_until(controller, view=view, predicate=lambda r: r.kind == "factor" and r.parameter == "w111")
    assert not any(line.startswith("∂L/∂w111") for line in label_lines(edge))
    record = step_until(controller, view=view, predicate=lambda r: r.kind == "gradient" and r.parameter == "w111")
    assert f"∂L/∂w111 = {format_number(record.value, doc.digits)}" in label_lines(edge)
    assert "∂L/∂w111 = −5.888" in label_lines(edge)
    bias = step_until(controller, view=view, predicate=lambda r: r.kind == "gradient" and r.parameter == "b11")
    assert f"∂L/∂b11 = {format_number(bias.value, doc.digits)}" in label_lines(view.neuron_item(1, 1))


def test_updates_show_old_and_new_values_marked(view, doc, controller):
    updates = []
    while not updates or updates[-1].parameter != "b12":   # the last update applies the batch
        updates.append(step_until(controller, view=view, predicate=lambda r: r.kind == "update"))
    for update in updates:
        ref = parse_parameter(update.parameter)
        if ref.is_bias:
            item = view.neuron_item(ref.layer, ref.target)
            label = item.side_label if ref.layer == 2 else item.top_label
        else:
            label = view.edge_item(ref.layer, ref.source, ref.target).label
        old, new = format_number(update.old, doc.digits), format_number(update.new, doc.digits)
        index = label.lines().index(f"{update.parameter} = {old}")
        assert label.lines()[index + 1] == f"→ {new}"
        assert label._lines[index + 1][1] == "updated"
        assert doc.network.get(update.parameter) == update.new   # the batch was applied
    assert view.edge_item(1, 1, 1).label.lines()[-1] == "→ 0.105888"
    step(view, controller)   # the next sample starts: labels show the new values plainly
    assert view.edge_item(1, 1, 1).label_text() == f"w111 = {format_number(doc.network.get('w111'), doc.digits)}"


def test_display_precision_changes_every_label(view, doc, controller):
    step_until(controller, view=view, predicate=lambda r: r.kind == "gradient" and r.parameter == "w211")
    doc.set_digits(3)
    assert "∂L/∂w211 = −11.8" in label_lines(view.edge_item(2, 1, 1))
    doc.set_digits(8)
    assert "∂L/∂w211 = −11.776" in label_lines(view.edge_item(2, 1, 1))


def test_edges_encode_sign_by_colour_and_size_by_width(view, doc):
    doc.edit_parameter("w111", -0.4)
    doc.edit_parameter("w121", 0.2)
    settle(view)
    negative, positive, other = view.edge_item(1, 1, 1), view.edge_item(1, 2, 1), view.edge_item(1, 1, 2)
    assert negative._colour == style.NEGATIVE and positive._colour == other._colour == style.POSITIVE
    assert negative._width == style.EDGE_MAX_WIDTH   # |w| relative to the largest |w| in the network
    share = (style.EDGE_MAX_WIDTH - style.EDGE_MIN_WIDTH)
    assert positive._width == pytest.approx(style.EDGE_MIN_WIDTH + share * 0.2 / 0.4)
    assert other._width == pytest.approx(style.EDGE_MIN_WIDTH + share * 0.1 / 0.4)


def test_tooltips_give_full_precision_and_how_to_edit(view, doc):
    doc.edit_parameter("w111", 0.1234567891234)
    settle(view)
    tip = view.edge_item(1, 1, 1).tooltip_text()
    assert "0.1234567891234" in tip and "Double-click" in tip
    assert "b12 = 0\n" in view.neuron_item(1, 2).tooltip_text()
    assert "data table" in view.neuron_item(0, 1).tooltip_text()


def test_many_signals_in_one_tick_make_one_refresh(view, doc, controller):
    """A run emits several signals per tick; the graph redraws once, when the event loop turns."""
    controller.step("factor")
    assert view.network_scene().refresh_pending()
    assert "z = 1.6" not in label_lines(view.neuron_item(1, 1))
    settle(view)
    assert "z = 1.6" in label_lines(view.neuron_item(1, 1))


def test_hovering_shows_a_tooltip_and_in_a_large_network_the_values(qtbot, view, doc):
    reshape(doc, [2, 8, 8, 8, 1])
    neuron = view.neuron_item(2, 5)
    assert not neuron.bottom_label.isVisible()
    qtbot.mouseMove(view.viewport(), view.mapFromScene(neuron.scenePos()))
    qtbot.waitUntil(lambda: neuron.hovered)
    assert neuron.toolTip().startswith("Hidden neuron o25 (layer 2, neuron 5, linear)")
    assert neuron.bottom_label.isVisible() and neuron.bottom_label.lines() == ["b25 = 0"]
    assert_no_overlap(view)


# -- highlight ----------------------------------------------------------------------------------
def highlighted(view) -> set[tuple]:
    scene = view.network_scene()
    neurons = {("neuron", item.layer, item.neuron) for item in scene.neuron_items() if item.highlighted}
    edges = {("edge", item.layer, item.source, item.target) for item in scene.edge_items() if item.highlighted}
    return neurons | edges


def test_highlight_follows_every_record_of_a_sample(view, controller):
    assert highlighted(view) == set()
    seen_edges_alone = 0
    for _ in range(70):
        record = step(view, controller)
        assert highlighted(view) == set(record.highlight)
        seen_edges_alone += record.highlight == (("edge", 2, 1, 1),)
    assert seen_edges_alone > 0


# -- label placement ----------------------------------------------------------------------------
def visible_label_rects(view):
    return [label.sceneBoundingRect() for label in view.network_scene().label_items()
            if label.isVisible() and not label.is_empty()]


def assert_no_overlap(view) -> None:
    for first, second in itertools.combinations(visible_label_rects(view), 2):
        assert not first.intersects(second), (first, second)


def test_labels_never_overlap_in_the_lecture_network_and_all_weights_stay_labelled(view, controller):
    for _ in range(130):   # two samples: forward, loss, every factor, gradients and updates
        assert_no_overlap(view)
        assert all(edge.label.isVisible() for edge in view.network_scene().edge_items())
        step(view, controller)


def test_labels_never_overlap_in_a_large_network(view, doc, controller):
    reshape(doc, [2, 8, 8, 8, 1])
    scene = view.network_scene()
    assert scene.compact
    scene.edge_item(2, 3, 4).setSelected(True)
    shown_with_values = 0
    for _ in range(150):
        assert_no_overlap(view)
        shown_with_values += sum(edge.label.isVisible() for edge in scene.edge_items())
        step(view, controller)
    assert shown_with_values > 150   # the selection and the current step's weights were labelled
    current = {item[1:] for item in controller.current.highlight if item[0] == "edge"}
    assert all(edge.faded == ((edge.layer, edge.source, edge.target) not in current) for edge in scene.edge_items())
    assert scene.edge_item(2, 3, 4).label.isVisible()
    assert not scene.edge_item(2, 4, 4).label.isVisible()   # the rest only on demand


def test_hovered_and_selected_items_get_their_labels_in_a_large_network(view, doc):
    reshape(doc, [2, 8, 8, 8, 1])
    edge = view.edge_item(2, 5, 5)
    assert not edge.label.isVisible()
    edge.setSelected(True)
    assert edge.label.isVisible() and edge.label_text() == f"w255\n{format_number(doc.network.get('w255'), 6)}"
    edge.setSelected(False)
    assert not edge.label.isVisible()


# -- inline editing -----------------------------------------------------------------------------
def test_editing_a_weight_inline_changes_the_engine_and_the_next_forward_pass(qtbot, view, doc, controller):
    editor = open_editor(qtbot, view, view.edge_item(1, 1, 1))
    assert editor.text() == repr(0.1)
    with qtbot.waitSignal(view.message) as message:
        type_and_enter(qtbot, editor, "0.5")
    assert message.args == ["w111 = 0.5"]
    assert view.editor() is None
    assert doc.network.get("w111") == 0.5
    settle(view)
    assert view.edge_item(1, 1, 1).label_text() == "w111 = 0.5"
    record = step(view, controller)
    assert record.weight_names[0] == "w111" and record.weights[0] == 0.5
    assert f"z = {format_number(record.z, doc.digits)}" in label_lines(view.neuron_item(1, 1))
    assert record.z == pytest.approx(0.5 * 8 + 0.1 * 8)

    doc.undo_stack.undo()
    settle(view)
    assert doc.network.get("w111") == 0.1 and view.edge_item(1, 1, 1).label_text() == "w111 = 0.1"
    doc.undo_stack.redo()
    settle(view)
    assert doc.network.get("w111") == 0.5 and view.edge_item(1, 1, 1).label_text() == "w111 = 0.5"


def test_double_click_on_an_edge_opens_its_editor(qtbot, view, doc):
    edge = view.edge_item(1, 2, 2)
    point = view.mapFromScene(edge.point_at(0.9))
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert view.editor() is not None and view.editor().name == "w122"
    type_and_enter(qtbot, view.editor(), " -1e-3 ")
    assert doc.network.get("w122") == -0.001


def test_double_click_on_a_neuron_edits_its_bias(qtbot, view, doc):
    neuron = view.neuron_item(1, 2)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(neuron.scenePos()))
    editor = view.editor()
    assert editor is not None and editor.name == "b12"
    type_and_enter(qtbot, editor, "−0.25")
    assert doc.network.get("b12") == -0.25
    settle(view)
    assert "b12 = −0.25" in label_lines(neuron)


@pytest.mark.parametrize("text, reason", [
    ("abc", "is not a number"), ("nan", "not nan"), ("inf", "finite"), ("-inf", "finite"),
    ("1e400", "too large"), ("", "enter a number"), ("-1e400", "too large"),
])
def test_invalid_edits_are_refused_with_a_message_and_change_nothing(qtbot, view, doc, text, reason):
    editor = open_editor(qtbot, view, view.edge_item(1, 1, 1))
    with qtbot.waitSignal(view.message) as message:
        type_and_enter(qtbot, editor, text)
    assert reason in message.args[0] and "w111" in message.args[0]
    assert view.editor() is editor and editor.isVisible()
    assert reason in editor.error_text()
    assert doc.network.get("w111") == 0.1
    assert doc.undo_stack.count() == 0
    assert view.edge_item(1, 1, 1).label_text() == "w111 = 0.1"
    qtbot.keyClicks(editor.line_edit, "5")   # typing again clears the complaint
    assert editor.error_text() == ""


def test_escape_cancels_the_edit(qtbot, view, doc):
    editor = open_editor(qtbot, view, view.neuron_item(2, 1))
    editor.line_edit.clear()
    qtbot.keyClicks(editor.line_edit, "3")
    qtbot.keyClick(editor.line_edit, Qt.Key.Key_Escape)
    assert view.editor() is None
    assert doc.network.get("b21") == 0.0 and doc.undo_stack.count() == 0


def test_inputs_cannot_be_edited_in_the_graph(qtbot, view):
    with qtbot.waitSignal(view.message) as message:
        view.neuron_item(0, 1).edit()
    assert "data table" in message.args[0]
    assert view.editor() is None


# -- keyboard -----------------------------------------------------------------------------------
def test_tab_and_arrows_move_the_selection_and_enter_edits(qtbot, view, doc):
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert view.selected_item() is view.neuron_item(0, 1)
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert view.selected_item() is view.edge_item(1, 1, 1)
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert view.selected_item() is view.edge_item(1, 2, 1)
    qtbot.keyClick(view, Qt.Key.Key_Backtab)
    assert view.selected_item() is view.edge_item(1, 1, 1)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.selected_item() is view.neuron_item(1, 1)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.selected_item() is view.neuron_item(1, 2)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.selected_item() is view.neuron_item(2, 1)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert view.editor() is not None and view.editor().name == "b21"
    type_and_enter(qtbot, view.editor(), "2")
    assert doc.network.get("b21") == 2.0
    qtbot.keyClick(view, Qt.Key.Key_F2)
    assert view.editor() is not None and view.editor().text() == "2.0"


# -- zoom, structure, export --------------------------------------------------------------------
def test_zoom_keys_and_fit(qtbot, view):
    fitted = view.zoom()
    qtbot.keyClick(view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() == pytest.approx(fitted * 1.25)
    view.resize(600, 400)   # the user zoomed: resizing keeps their zoom
    assert view.zoom() == pytest.approx(fitted * 1.25)
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() == pytest.approx(fitted)
    view.fit()
    smaller = view.zoom()
    assert smaller < fitted
    view.resize(*VIEW_SIZE)   # fitted again: resizing re-fits
    assert view.zoom() == pytest.approx(fitted)


def test_ctrl_wheel_zooms(qtbot, view):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    before = view.zoom()
    centre = QPointF(view.viewport().rect().center())
    event = QWheelEvent(centre, view.viewport().mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom() == pytest.approx(before * 1.25)


def test_structure_change_rebuilds_the_items(view, doc):
    doc.add_neuron(1)
    assert doc.network.sizes == [2, 3, 1]
    third = view.neuron_item(1, 3)
    assert label_lines(third)[0] == "o₁₃"
    assert view.edge_item(2, 3, 1).label_text() == f"w231 = {format_number(doc.network.get('w231'), doc.digits)}"
    assert len(view.network_scene().edge_items()) == 2 * 3 + 3
    doc.undo_stack.undo()
    assert len(view.network_scene().edge_items()) == 6
    with pytest.raises(KeyError):
        view.neuron_item(1, 3)


def test_export_png_and_svg(view, tmp_path):
    png, svg = tmp_path / "network.png", tmp_path / "network.svg"
    view.export_png(png, scale=2)
    image = QImage(str(png))
    rect = view.network_scene().sceneRect()
    assert image.width() == round(rect.width() * 2) and image.height() == round(rect.height() * 2)
    view.export_svg(svg)
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "w111 = 0.1" in text


# -- parsing ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [
    ("0.5", 0.5), (" -1e-3 ", -0.001), ("−2.5", -2.5), ("+3", 3.0), ("1_000", 1000.0), ("7", 7.0),
])
def test_parse_float_accepts_numbers(text, value):
    assert parse_float(text, "w111") == value


@pytest.mark.parametrize("text, reason", [
    ("", "w111: enter a number"), ("   ", "w111: enter a number"), ("abc", "'abc' is not a number"),
    ("nan", "w111 must be a number, not nan"), ("inf", "finite"), ("−inf", "finite"),
    ("1e400", "w111: 1e400 is too large"), ("1,5", "is not a number"),
])
def test_parse_float_refuses_with_a_message_naming_the_field(text, reason):
    with pytest.raises(ConfigError, match=reason):
        parse_float(text, "w111")


def test_tooltips_write_numbers_like_the_labels_and_the_inspector(view, doc, controller):
    """Full precision, but with the typographic minus and without a negative zero (was repr: '-0.0')."""
    doc.edit_parameter("w111", -0.1)
    doc.edit_cell(0, 0, 0.0)   # x1 = 0 in row 1 makes ∂L/∂w111 a negative zero
    for _ in range(22):
        controller.step("factor")
    settle(view)
    record = doc.stepper.current
    assert record.kind == "gradient" and record.parameter == "w111" and str(record.value) == "-0.0"
    tip = view.edge_item(1, 1, 1).tooltip_text()
    assert "w111 = −0.1\n" in tip and "∂L/∂w111 = 0\n" in tip and "-0" not in tip
    assert "∂L/∂w111 = 0" in label_lines(view.edge_item(1, 1, 1))


@pytest.mark.parametrize("colour", ["POSITIVE", "NEGATIVE", "ZERO"])
def test_a_faded_edge_is_its_colour_a_quarter_over_the_background(qapp, monkeypatch, colour):
    from PySide6.QtGui import QColor
    from ui.graph.edge_item import FADED_OPACITY, faded_colour
    for background in (style.SCENE_BACKGROUND, QColor(30, 30, 30)):   # the made mixes follow the background
        monkeypatch.setattr(style, "SCENE_BACKGROUND", background)
        edge = getattr(style, colour)
        expected = [round(FADED_OPACITY * a + (1 - FADED_OPACITY) * b)
                    for a, b in zip(edge.getRgb()[:3], background.getRgb()[:3])]
        assert faded_colour(edge).getRgb()[:3] == tuple(expected)
        assert faded_colour(edge).alpha() == 255
