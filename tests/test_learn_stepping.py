"""Learning aids through the real window: the mistaken update rule, stepping back, worked solutions."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from simulator.examples import load_example
from simulator.formatting import factor_line
from ui.controller import MISTAKEN_RULE_MARK

F10 = Qt.Key.Key_F10


def parameters(document) -> dict[str, float]:
    network = document.network
    return {ref.name: network.get(ref) for ref in network.parameters()}


def choose(combo, value) -> None:
    """Pick `value` in a combo box as a user would (the panel listens to `activated`)."""
    index = combo.findData(value)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def step_to(window, predicate, limit=400):
    for _ in range(limit):
        records = window.controller.step("factor")
        if records and predicate(records[-1]):
            return records[-1]
    raise AssertionError("no such record")


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
    step_to(window, lambda record: record.kind == "loss")
    assert "MISTAKEN" not in window.inspector.plain_text()
    factor = step_to(window, lambda record: record.kind == "factor"
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
