"""The stepping and editing shortcuts pressed on the real main window, on the lectures' regression example.

Each test presses keys as a user would (`qtbot.keyClick` on the window) and checks both the engine's
numbers, against the lectures' literal values, and what the graph, the inspector and the position line
show. Every weight is 0.1, every bias 0, η = 0.001, and the first sample is x = (8, 8), y = 4.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from helpers import parameters, press

F10, F11, F2 = Qt.Key.Key_F10, Qt.Key.Key_F11, Qt.Key.Key_F2
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
READY = "Epoch 1 of 5 · sample 1 of 4 · Ready"


def shown_on(qtbot, item, *lines: str) -> None:
    """Wait until the graph item's texts hold every one of `lines` (the graph redraws on the next turn)."""
    qtbot.waitUntil(lambda: all(line in item.label_text().splitlines() for line in lines), timeout=5000)


def not_shown_on(qtbot, item, prefix: str) -> None:
    qtbot.waitUntil(lambda: not any(line.startswith(prefix) for line in item.label_text().splitlines()),
                    timeout=5000)


def edit_in_the_graph(qtbot, window, item, text: str) -> None:
    """Select `item`, press F2, type `text` and Enter."""
    window.view.setFocus()
    window.view.scene().clearSelection()
    item.setSelected(True)
    press(qtbot, window, F2)
    editor = window.view.editor()
    assert editor is not None and editor.isVisible()
    editor.line_edit.selectAll()
    qtbot.keyClicks(editor.line_edit, text)
    qtbot.keyClick(editor.line_edit, Qt.Key.Key_Return)


def test_f10_shows_the_first_neuron_and_ctrl_f10_steps_back_to_before_it(qtbot, window):
    document, neuron = window.document, window.view.neuron_item(1, 1)
    window.set_granularity("factor")
    press(qtbot, window, F10)
    record = document.stepper.current
    assert (record.kind, record.layer, record.neuron) == ("forward", 1, 1)
    assert record.z == pytest.approx(1.6, rel=1e-12) and record.out == pytest.approx(1.6, rel=1e-12)
    shown_on(qtbot, neuron, "z = 1.6", "o = 1.6")
    assert "0.1·8 + 0.1·8 + 0 = 1.6" in window.inspector.plain_text()
    assert window.position_label.text() == "Epoch 1 of 5 · sample 1 of 4 · Forward pass: neuron 1 of layer 1 (o11)"

    press(qtbot, window, F10, CTRL)
    assert document.stepper.revealed_count == 0 and document.stepper.current is None
    not_shown_on(qtbot, neuron, "z =")
    assert window.position_label.text() == READY
    assert "1.6" not in window.inspector.plain_text()
    assert parameters(document) == {name: 0.1 if name.startswith("w") else 0.0 for name in parameters(document)}


def test_f10_through_the_forward_pass_to_the_loss(qtbot, window):
    document, output = window.document, window.view.neuron_item(2, 1)
    window.set_granularity("factor")
    for _ in range(3):
        press(qtbot, window, F10)
    assert document.stepper.current.out == pytest.approx(0.32, rel=1e-12)
    shown_on(qtbot, output, "ŷ = 0.32")
    press(qtbot, window, F10)
    record = document.stepper.current
    assert record.kind == "loss" and record.value == pytest.approx(13.5424, rel=1e-12) and record.targets == (4.0,)
    shown_on(qtbot, output, "y = 4", "L = 13.5424")
    assert "(4 − 0.32)² = 13.5424" in window.inspector.plain_text()


def test_f11_steps_into_a_phase_and_shift_f11_steps_out_through_the_updates(qtbot, window):
    document, edge = window.document, window.view.edge_item(1, 1, 1)
    window.set_granularity("phase")
    press(qtbot, window, F11)                       # one record of the forward pass, not the whole phase
    assert document.stepper.revealed_count == 1
    assert document.stepper.current.out == pytest.approx(1.6, rel=1e-12)
    press(qtbot, window, F11, SHIFT)                # out: to the end of the sample, its updates done
    assert document.training.position == 1 and document.stepper.current.kind == "update"
    assert document.network.get("w111") == pytest.approx(0.105888, rel=1e-12)
    assert document.network.get("w211") == pytest.approx(0.1 + 0.001 * 11.776, rel=1e-12)
    shown_on(qtbot, edge, "w111 = 0.1", "→ 0.105888")
    # at "Layer or gradient" the step that ends here is all the updates: the status bar names it
    assert window.position_label.text() == "Epoch 1 of 5 · sample 1 of 4 · Updates: 9 parameters"
    press(qtbot, window, F10)
    assert "sample 2 of 4" in window.position_label.text()


def test_an_edit_undone_with_ctrl_z_and_redone_with_ctrl_y_or_ctrl_shift_z(qtbot, window):
    document, edge = window.document, window.view.edge_item(1, 1, 1)
    edit_in_the_graph(qtbot, window, edge, "0.5")
    assert document.network.get("w111") == 0.5
    shown_on(qtbot, edge, "w111 = 0.5")
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert document.network.get("w111") == 0.1 and not window.isWindowModified()
    shown_on(qtbot, edge, "w111 = 0.1")
    press(qtbot, window, Qt.Key.Key_Y, CTRL)
    assert document.network.get("w111") == 0.5
    shown_on(qtbot, edge, "w111 = 0.5")
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    press(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)
    assert document.network.get("w111") == 0.5
    shown_on(qtbot, edge, "w111 = 0.5")
    # The redone weight is the one training uses: z11 = 0.5·8 + 0.1·8 + 0 = 4.8.
    window.set_granularity("factor")
    press(qtbot, window, F10)
    assert document.stepper.current.z == pytest.approx(4.8, rel=1e-12)
    shown_on(qtbot, window.view.neuron_item(1, 1), "z = 4.8")
    assert "0.5·8 + 0.1·8 + 0 = 4.8" in window.inspector.plain_text()


def test_ctrl_r_after_a_sample_returns_to_the_lectures_start(qtbot, window):
    document, edge = window.document, window.view.edge_item(1, 1, 1)
    window.set_granularity("sample")
    press(qtbot, window, F10)
    assert document.network.get("w111") == pytest.approx(0.105888, rel=1e-12)
    shown_on(qtbot, edge, "→ 0.105888")
    press(qtbot, window, Qt.Key.Key_R, CTRL)
    assert parameters(document) == {name: 0.1 if name.startswith("w") else 0.0 for name in parameters(document)}
    assert document.training.position == 0 and document.stepper.revealed_count == 0
    shown_on(qtbot, edge, "w111 = 0.1")
    not_shown_on(qtbot, edge, "→")
    assert window.position_label.text() == READY
