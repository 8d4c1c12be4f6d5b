"""The inspector shows every formula one step revealed, at each granularity, and the status bar names
the step; a derivative in a heading stays on one line."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from helpers import press
from simulator.formatting import describe
from ui.inspector import _paragraph


def _step(qtbot, window, granularity: str, times: int = 1) -> None:
    window.set_granularity(granularity)
    press(qtbot, window, Qt.Key.Key_F10, times=times)


def test_a_layer_step_shows_both_neurons(qtbot, window):
    _step(qtbot, window, "phase")
    text = window.inspector.plain_text()
    assert text.startswith("Forward pass: layer 1 (o11, o12)")
    assert text.index("z11 = ") < text.index("o11 = ") < text.index("z12 = ") < text.index("o12 = ")
    assert window.position_label.text().endswith("Forward pass: layer 1 (o11, o12)")


def test_the_updates_phase_shows_every_update(qtbot, window):
    _step(qtbot, window, "stage", times=4)
    text = window.inspector.plain_text()
    assert text.startswith("Updates: 9 parameters")
    names = ["w211", "w221", "b21", "w111", "w121", "b11", "w112", "w122", "b12"]
    places = [text.index(f"{name} ← {name} − η·∂L/∂{name}") for name in names]
    assert places == sorted(places)
    assert window.position_label.text().endswith("Updates: 9 parameters")


def test_a_gradient_step_shows_its_factors(qtbot, window):
    _step(qtbot, window, "phase", times=4)   # layer 1, layer 2, the loss, then ∂L/∂w211
    text = window.inspector.plain_text()
    assert text.startswith("Backward pass: ∂L/∂w211 (3 factors and the gradient)")
    for index in (1, 2, 3):
        assert f"factor {index} of 3 of ∂L/∂w211" in text


@pytest.mark.parametrize("granularity", ["sample", "epoch"])
def test_a_sample_step_shows_its_records_in_order(qtbot, window, granularity):
    _step(qtbot, window, granularity)
    records = window.controller.step_records()
    assert len(records) > 1 and records[-1] is window.document.stepper.current
    text = window.inspector.plain_text()
    places = [text.index(describe(record)) for record in records]
    assert places == sorted(places)


def test_a_factor_step_shows_one_record_as_before(qtbot, window):
    _step(qtbot, window, "factor", times=2)
    record = window.document.stepper.current
    assert window.controller.step_records() == [record]
    assert window.inspector.plain_text() == window.inspector.browser.document().toPlainText()
    assert window.inspector.plain_text().startswith(describe(record))
    assert "Forward pass: neuron 1 of layer 1" not in window.inspector.plain_text()


def test_stepping_back_shows_the_step_it_lands_after(qtbot, window):
    _step(qtbot, window, "phase", times=2)
    window.controller.step_back()
    assert window.inspector.plain_text().startswith("Forward pass: layer 1 (o11, o12)")


def laid_out_lines(browser, width: int) -> list[str]:
    """The lines the formula view's text is laid out in at `width` pixels."""
    document = browser.document()
    document.setTextWidth(width)
    document.documentLayout().documentSize()
    lines, block = [], document.begin()
    while block.isValid():
        layout = block.layout()
        for index in range(layout.lineCount()):
            line = layout.lineAt(index)
            lines.append(block.text()[line.textStart():line.textStart() + line.textLength()])
        block = block.next()
    return lines


def test_a_derivative_in_a_heading_never_breaks_across_lines(qtbot, window):
    press(qtbot, window, Qt.Key.Key_F10, times=6)          # factor 2 of 3 of ∂L/∂w211
    browser = window.inspector.browser
    assert window.inspector.plain_text().startswith("Backward pass: factor 2 of 3 of ∂L/∂w211")
    for width in range(120, 420, 10):
        for line in laid_out_lines(browser, width):
            assert not line.rstrip().endswith("/"), (width, line)    # "∂L/" | "∂w211" before the fix
    browser.selectAll()
    assert "\u2060" not in browser.createMimeDataFromSelection().text()
