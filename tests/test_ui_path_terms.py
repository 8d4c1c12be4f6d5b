"""The sum over paths, term by term: F9 lights one term of ∂L/∂o = Σk ∂L/∂zk·wk at a time, its path's
neurons and edges on the graph with that term's numbers alone, and the inspector marks it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from simulator.dataset import Dataset
from simulator.formatting import format_number
from simulator.initialisation import Initialisation, build_network
from simulator.records import FactorRecord
from simulator.session import Session
from simulator.training import TrainingConfig

from helpers import open_window, press, settle, step_until


def session_2331() -> Session:
    """A 2-3-3-1 tanh network (linear output) on four rows, one sample per batch."""
    rng = np.random.default_rng(5)
    network = build_network([2, 3, 3, 1], ["tanh", "tanh", "linear"], Initialisation("uniform", seed=5),
                            ["x1", "x2"], ["y"])
    rows = rng.normal(size=(4, 3)).round(2)
    return Session(network, "mse", TrainingConfig(learning_rate=0.05, epochs=2, batch_size=1),
                   Dataset(["x1", "x2", "y"], rows, ["x1", "x2"], ["y"]), title="2-3-3-1")


def to_sum(qtbot, window) -> FactorRecord:
    """Step to the first factor of w111's chain: ∂L/∂o11, a sum over the three neurons of layer 2."""
    record = step_until(window.controller, lambda r: isinstance(r, FactorRecord) and r.parameter == "w111",
                        view=window.view)
    assert record.index == 1 and len(record.terms) == 3
    return record


def lit(scene) -> tuple[set, set]:
    neurons = {(item.layer, item.neuron) for item in scene.neuron_items() if item.highlighted}
    edges = {(item.layer, item.source, item.target) for item in scene.edge_items() if item.highlighted}
    return neurons, edges


def test_f9_lights_each_term_of_the_sum_with_its_numbers_alone(qtbot):
    window = open_window(qtbot, session_2331())
    record = to_sum(qtbot, window)
    scene, digits = window.view.network_scene(), window.document.digits
    assert lit(scene)[1] == {(2, 1, 1), (2, 1, 2), (2, 1, 3)}       # the whole sum: every first edge
    assert "F9 lights each term's path" in window.inspector.plain_text()
    for k in (1, 2, 3):
        press(qtbot, window, Qt.Key.Key_F9)
        settle(window.view)
        term = record.terms[k - 1]
        assert window.controller.term_index == k and scene.lit_term() == term
        neurons, edges = lit(scene)
        assert neurons == {(1, 1), (2, k), (3, 1)}
        assert edges == {(2, 1, k), (3, k, 1)}
        # The term's numbers: its weight on its edge, its ∂L/∂z on its neuron; no gradient on the path.
        assert term.weight == window.document.network.get(f"w21{k}")
        # (a 2-3-3-1 network's weight labels are narrow: the value alone, the name in the tooltip)
        assert scene.edge_item(2, 1, k).label_text() == format_number(term.weight, digits)
        assert f"δ {format_number(term.delta, digits)}" in scene.neuron_item(2, k).label_text().split("\n")
        for layer, source, target in edges:
            assert "∂L/∂w" not in scene.edge_item(layer, source, target).label_text()
        for layer, neuron in neurons - {(2, k)}:
            assert "∂L/∂b" not in scene.neuron_item(layer, neuron).label_text()
        text = window.inspector.plain_text()
        assert f"On the graph: term {k}'s path, through z2{k}" in text
        assert window.inspector.term_caption.text() == f"Term {k} of 3 lit"
    press(qtbot, window, Qt.Key.Key_F9)                  # after the last term: the whole sum again
    settle(window.view)
    assert window.controller.term_index == 0 and scene.lit_term() is None
    assert lit(scene)[1] == {(2, 1, 1), (2, 1, 2), (2, 1, 3)}
    press(qtbot, window, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)    # Shift+F9: back to the last
    settle(window.view)
    assert window.controller.term_index == 3


def test_the_stepper_numbers_are_the_same_with_a_term_lit_and_a_step_puts_the_whole_sum_back(qtbot):
    plain = open_window(qtbot, session_2331())
    lit_window = open_window(qtbot, session_2331())
    to_sum(qtbot, plain)
    to_sum(qtbot, lit_window)
    press(qtbot, lit_window, Qt.Key.Key_F9, times=2)
    for window in (plain, lit_window):
        window.controller.step("factor")
        settle(window.view)
    assert plain.document.stepper.current == lit_window.document.stepper.current
    assert lit_window.controller.term_index == 0 and lit_window.view.network_scene().lit_term() is None
    assert not lit_window.inspector.term_bar.isVisibleTo(lit_window.inspector)   # ∂o11/∂z11 is no sum
    assert np.array_equal(plain.document.network.flat_parameters(), lit_window.document.network.flat_parameters())


def test_f9_without_a_sum_says_what_it_does(qtbot):
    window = open_window(qtbot, session_2331())
    messages = []
    window.controller.message.connect(messages.append)
    window.controller.step("factor")                     # a forward step
    assert not window.controller.next_term()
    assert "sum over paths" in messages[-1] and window.controller.term_index == 0


def test_the_term_buttons_light_the_terms(qtbot):
    window = open_window(qtbot, session_2331())
    to_sum(qtbot, window)
    inspector = window.inspector
    assert inspector.term_bar.isVisibleTo(inspector)
    qtbot.mouseClick(inspector.next_term_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(inspector.next_term_button, Qt.MouseButton.LeftButton)
    settle(window.view)
    assert window.view.network_scene().lit_term() == window.document.stepper.current.terms[1]
    qtbot.mouseClick(inspector.previous_term_button, Qt.MouseButton.LeftButton)
    assert window.controller.term_index == 1
