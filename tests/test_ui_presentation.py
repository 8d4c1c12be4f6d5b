"""Presentation mode: one key makes fonts and lines larger throughout; the same key puts every size back
exactly, and the choice is remembered."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QApplication

from helpers import open_window
from simulator.examples import load_example
from ui.graph import style
from ui.learn.practice import PracticePanel
from ui.presentation import PRESENTATION_KEY, SCALE


def sizes(window) -> dict:
    """Every size presentation mode changes, as numbers."""
    QApplication.processEvents()       # widgets take a new application font from an event
    scene, plot = window.view.network_scene(), window.loss_plot.plot.getPlotItem()
    edge, neuron = scene.edge_item(1, 1, 1), scene.neuron_item(1, 1)
    return {
        "app font": QApplication.font().pointSizeF(),
        "menu font": window.menuBar().font().pointSizeF(),
        "graph label font": style.label_font().pointSizeF(),
        "neuron name font": style.name_font().pointSizeF(),
        "edge width": edge._width,
        "neuron radius": neuron.radius,
        "label size": edge.label.size(),
        "inspector formula": window.inspector.browser.font().pointSizeF(),
        "practice question": window.findChild(PracticePanel).question.font().pointSizeF(),
        "table rows": window.dataset_panel.view.verticalHeader().defaultSectionSize(),
        "curve width": plot.listDataItems()[0].opts["pen"].widthF(),
        "axis font": (plot.getAxis("left").style.get("tickFont") or window.loss_plot.plot.font()).pointSizeF(),
        "axis line": plot.getAxis("left").pen().widthF(),
        "plot legend": plot.legend.opts["labelTextSize"],
        "plot legend text": plot.legend.items[0][1].item.boundingRect().height(),
    }


def test_one_key_enlarges_everything_and_the_same_key_restores_it_exactly(qtbot, window):
    window.controller.step("sample")
    before = sizes(window)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.window_actions.presentation.isChecked()
    larger = sizes(window)
    for name in ("app font", "menu font", "graph label font", "neuron name font", "edge width", "neuron radius",
                 "inspector formula", "practice question", "table rows", "curve width", "axis font", "axis line", "plot legend text"):
        assert larger[name] > before[name], name
    assert larger["graph label font"] == before["graph label font"] * SCALE
    assert larger["label size"][0] > before["label size"][0] and larger["label size"][1] > before["label size"][1]
    assert larger["plot legend"] != before["plot legend"]
    assert QSettings().value(PRESENTATION_KEY, type=bool)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not window.window_actions.presentation.isChecked()
    assert sizes(window) == before
    assert not QSettings().value(PRESENTATION_KEY, type=bool)


def test_presentation_mode_is_remembered_across_restarts(qtbot):
    first = open_window(qtbot, load_example("regression"))
    first.window_actions.presentation.trigger()
    normal = first.presentation._normal["font"].pointSizeF()
    first.window_actions.presentation.trigger()      # the next window starts from normal sizes
    QSettings().setValue(PRESENTATION_KEY, True)      # as the first window left it when it closed in the mode
    second = open_window(qtbot, load_example("xor"))
    try:
        assert second.window_actions.presentation.isChecked() and second.presentation.on
        assert QApplication.font().pointSizeF() == normal * SCALE and style.SCALE == SCALE
    finally:
        second.window_actions.presentation.trigger()
    assert QApplication.font().pointSizeF() == normal and style.SCALE == 1.0


def test_the_graph_stays_readable_in_presentation_mode(qtbot):
    window = open_window(qtbot, load_example("regression"))
    window.resize(1280, 800)
    window.window_actions.presentation.trigger()
    try:
        window.controller.step("epoch")
        QApplication.processEvents()
        scene = window.view.network_scene()
        labels = [label for label in scene.label_items() if label.isVisible() and not label.is_empty()]
        boxes = [label.sceneBoundingRect() for label in labels]
        assert all(not a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
        assert all(edge.label.isVisible() for edge in scene.edge_items())
    finally:
        window.window_actions.presentation.trigger()


def on_screen_label_height(window) -> float:
    """How many pixels high a graph label's text is on screen: its font's height at the view's zoom."""
    for _ in range(3):
        QApplication.processEvents()
    return QFontMetricsF(style.label_font()).height() * window.view.zoom()


def test_the_graphs_numbers_are_larger_on_screen_in_presentation_mode(qtbot):
    window = open_window(qtbot, load_example("regression"))
    window.resize(1280, 800)
    normal = on_screen_label_height(window)
    drawing = window.view.network_scene().sceneRect()
    window.window_actions.presentation.trigger()
    try:
        # The labels grow 1.4 times and the drawing keeps its size, so the fitted text is larger: not a
        # drawing grown with its labels and fitted back down.
        assert on_screen_label_height(window) >= 1.3 * normal
        view = window.view
        area = view.viewport().rect()
        assert area.contains(view.mapFromScene(view.network_scene().sceneRect()).boundingRect())
    finally:
        window.window_actions.presentation.trigger()
    assert window.view.network_scene().sceneRect() == drawing     # the normal drawing again


def test_turning_it_off_after_a_scaled_widget_went_away_restores_the_rest(qtbot, window):
    from PySide6.QtWidgets import QLabel
    before = sizes(window)
    doomed = QLabel("a panel's own text", window)
    own = QFont()
    own.setPointSizeF(10.5)
    doomed.setFont(own)                                  # a font of its own: presentation mode enlarges it
    window.window_actions.presentation.trigger()
    assert doomed.font().pointSizeF() == 10.5 * SCALE
    shiboken6.delete(doomed)                             # closed, as a learn tool's panel can be
    window.window_actions.presentation.trigger()
    assert sizes(window) == before
