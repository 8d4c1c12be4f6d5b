"""Run to End with the view live, through the real main window: what each frame redraws, and what
the user sees once the run stops."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from simulator.formatting import format_number
from ui.document import Change
from ui.loss_plot import RANGE_STEPS, grown_range, step_up
from ui.size_gate import SizeGate


def view_box(window):
    return window.loss_plot.plot.getPlotItem().getViewBox()


def feed(window, losses) -> None:
    """Append epochs (their samples' losses, then their mean) as the fast path does, and say so."""
    training = window.document.training
    for loss in losses:
        training.sample_losses.extend([loss] * training.n_samples)
        training.history.append(loss)
    window.document.changed.emit(Change.HISTORY)


def assert_shows(view, x_range, y_range) -> None:
    """The view shows exactly x_range × y_range widened by pyqtgraph's padding on each side (a
    share of the range from 2 to 10 %, which depends on the plot's size in pixels)."""
    for (shown_low, shown_high), (low, high) in zip(view.viewRange(), (x_range, y_range)):
        padding = (low - shown_low) / (high - low)
        assert 0.02 <= padding <= 0.1
        assert shown_high == pytest.approx(high + padding * (high - low), rel=1e-9, abs=1e-9)


class EventCounter(QObject):
    def __init__(self, watched: QObject, kind: QEvent.Type):
        super().__init__()
        self.kind, self.count = kind, 0
        watched.installEventFilter(self)

    def eventFilter(self, watched, event):   # noqa: N802 (Qt override)
        if event.type() == self.kind:
            self.count += 1
        return False


# -- the steps themselves -------------------------------------------------------------------------
def test_steps_and_units():
    steps = [step_up(value) for value in (1, 1.01, 101, 120, 121, 8001, 0.3)]
    assert steps == pytest.approx([1, 1.2, 120, 120, 150, 10000, 0.3], rel=1e-12)
    assert all(step_up(value) >= value for value in range(1, 3000))
    assert all(step_up(value) <= 1.34 * value for value in range(1, 3000))   # the curve fills ≥ 3/4 of the width
    assert grown_range(0.099, 10.0, None) == (0.0, 10.0)
    assert grown_range(0.05, 9.0, (0.0, 10.0)) == (0.0, 10.0)          # inside: kept
    assert grown_range(0.05, 25.0, (0.0, 10.0)) == (0.0, 25.0)         # outside: whole units of 5
    low, high = grown_range(1.0, 1.0, None)                             # one value: a range around it
    assert low < 1.0 < high
    low, high = grown_range(0.693101, 0.693145, None)
    assert low <= 0.693101 and high >= 0.693145 and high - low < 1e-4
    assert len(RANGE_STEPS) == len(set(RANGE_STEPS))


# -- the loss plot while a run goes on --------------------------------------------------------------
def test_plot_ranges_grow_in_steps_during_a_run_and_fit_exactly_when_it_stops(window):
    plot, view = window.loss_plot, view_box(window)
    plot.set_running(True)
    feed(window, [10.0 / epoch for epoch in range(1, 102)])   # 101 epochs, losses 10 … 0.099
    assert plot.stepping and not any(view.autoRangeEnabled())
    assert_shows(view, (1, 120), (0, 10))                      # the epoch axis ends at the next step
    before = view.viewRange()
    feed(window, [10.0 / epoch for epoch in range(102, 121)])  # up to 120, every loss inside 0..10
    assert view.viewRange() == before                          # neither axis moved: nothing to redraw
    feed(window, [10.0 / 121])
    assert_shows(view, (1, 150), (0, 10))                      # past 120: the next step
    feed(window, [25.0])                                       # a loss above the range: whole units again
    assert_shows(view, (1, 150), (0, 25))
    x, y = plot.curve_data()
    assert list(y) == window.document.training.history        # the numbers drawn are the engine's
    plot.set_running(False)
    assert not plot.stepping and all(view.autoRangeEnabled())
    history = window.document.training.history
    assert_shows(view, (1, len(history)), (min(history), max(history)))   # all the data, exactly


def test_a_real_run_steps_and_fits_when_paused(qtbot, window):
    plot, view, document = window.loss_plot, view_box(window), window.document
    document.edit_config(epochs=10_000_000)
    frames = []
    document.changed.connect(lambda change: change & Change.HISTORY and frames.append((plot.stepping, tuple(view.viewRange()[0]))))
    qtbot.keyClick(window, Qt.Key.Key_F5, Qt.KeyboardModifier.ControlModifier)   # Run to End
    qtbot.waitUntil(lambda: len(frames) >= 20, timeout=30000)
    window.controller.pause()
    assert all(stepping for stepping, _ in frames[1:])
    assert len({x_range for _, x_range in frames}) < len(frames)   # the epoch axis jumped, not moved every frame
    assert not plot.stepping and all(view.autoRangeEnabled())
    shown = view.viewRange()
    view.updateAutoRange()
    assert view.viewRange() == shown   # pyqtgraph's own fit (of the curve as thinned to the plot's width)
    history = document.training.history
    (x_low, x_high), (y_low, y_high) = shown
    assert x_low < 1 and len(history) < x_high < 1.15 * len(history)
    spread = max(history) - min(history)
    assert y_low < min(history) and max(history) < y_high < max(history) + 0.15 * spread
    assert list(plot.curve_data()[1]) == history


def test_zooming_during_a_run_is_kept_when_it_stops(qtbot, window):
    plot, view = window.loss_plot, view_box(window)
    plot.set_running(True)
    feed(window, [10.0 / epoch for epoch in range(1, 50)])
    viewport = plot.plot.viewport()
    centre = QPointF(viewport.rect().center())
    wheel = QWheelEvent(centre, QPointF(viewport.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, wheel)
    assert not plot.stepping
    zoomed = view.viewRange()
    feed(window, [0.1] * 10)
    plot.set_running(False)
    assert view.viewRange() == zoomed and not any(view.autoRangeEnabled())


def test_zooming_only_the_loss_axis_during_a_run_leaves_the_epoch_axis_following(qtbot, window):
    # The wheel over the loss axis zooms that axis alone; the epoch axis goes on following the
    # data, as it did before the run stepped the ranges, and all of it is shown when the run stops.
    plot, view = window.loss_plot, view_box(window)
    plot.set_running(True)
    feed(window, [10.0 / epoch for epoch in range(1, 50)])
    before = view.viewRange()
    axis = plot.plot.getPlotItem().getAxis("left")
    viewport = plot.plot.viewport()
    centre = QPointF(plot.plot.mapFromScene(axis.parentItem().mapRectToScene(axis.geometry()).center()))
    wheel = QWheelEvent(centre, QPointF(viewport.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, wheel)
    zoomed = view.viewRange()
    assert zoomed[1] != before[1], "the wheel did not reach the loss axis"
    assert not plot.stepping and view.autoRangeEnabled()[1] is False
    feed(window, [0.1] * 100)
    plot.set_running(False)
    qtbot.wait(20)
    (x_low, x_high), y_range = view.viewRange()
    assert x_low < 1 and 149 < x_high < 1.15 * 149
    assert y_range == zoomed[1]


def test_log_scale_during_a_run_steps_in_decades(window):
    plot, view = window.loss_plot, view_box(window)
    plot.set_running(True)
    feed(window, [100.0, 10.0, 1.0, 0.0, 0.01])   # a zero cannot be drawn on a log axis
    plot.set_log_scale(True)
    assert plot.stepping
    (_, _), (y0, y1) = view.viewRange()
    assert y0 <= -2 and y1 >= 2 and y1 - y0 < 6
    plot.set_running(False)
    assert all(view.autoRangeEnabled())
    assert_shows(view, (1, 5), (-2, 2))


@pytest.mark.parametrize("transform", ["derivativeCheck", "phasemapCheck"])
@pytest.mark.parametrize("when", ["before", "during"])
def test_a_transform_from_the_plots_menu_is_fitted_not_stepped(window, transform, when):
    # pyqtgraph's right-click menu can draw dy/dx (or y against dy/dx) instead of the losses: ranges
    # grown from the losses would leave that curve outside the view.
    plot, view = window.loss_plot, view_box(window)
    box = getattr(plot.plot.getPlotItem().ctrl, transform)
    plot.set_running(True)
    if when == "before":
        box.setChecked(True)
    feed(window, [10.0 / epoch for epoch in range(1, 40)])
    if when == "during":
        box.setChecked(True)
        feed(window, [10.0 / epoch for epoch in range(40, 45)])
    plot.samples_box.setChecked(True)    # the per-sample curve shown and hidden:
    plot.samples_box.setChecked(False)   # the ranges are looked at again
    y = np.array(window.document.training.history)
    x = np.arange(1, len(y) + 1, dtype=float)
    slope = np.diff(y) / np.diff(x)
    x, y = (x[:-1], slope) if transform == "derivativeCheck" else (y[:-1], slope)
    (x_low, x_high), (y_low, y_high) = view.viewRange()
    assert x_low <= x.min() and x.max() <= x_high
    assert y_low <= y.min() and y.max() <= y_high
    box.setChecked(False)
    feed(window, [0.2])
    assert plot.stepping   # back to the losses: stepping again


# -- labels whose text changes every frame ----------------------------------------------------------
def test_a_text_of_the_same_size_does_not_lay_the_window_out_again(qtbot, window):
    label = window.position_label
    label.setText("Epoch 11 of 20 · Ready")
    qtbot.wait(50)
    requests = EventCounter(window, QEvent.Type.LayoutRequest)
    label.setText("Epoch 12 of 20 · Ready")   # the same room
    qtbot.wait(50)   # a layout request travels up one widget per turn of the event loop
    assert requests.count == 0
    long_text = "Epoch 12 of 20 · sample 3 of 4 · Backward pass: ∂L/∂w111 of the output layer"
    label.setText(long_text)
    qtbot.waitUntil(lambda: label.width() >= label.sizeHint().width())   # more room: laid out again
    assert label.text() == long_text


def test_the_labels_in_gates_show_their_whole_text_when_the_window_opens(qtbot, window):
    # Their texts are set before the window is shown, when the gates hear nothing of them.
    qtbot.wait(50)
    status = window.position_label
    assert status.text().startswith("Epoch 1 of ")
    assert status.width() >= status.sizeHint().width()
    for label in (window.inspector.position_label, window.loss_plot.status):
        assert label.text()
        assert label.height() == label.heightForWidth(label.width())
        assert label.width() >= label.minimumSizeHint().width()


def test_size_gate_passes_on_a_wrapping_label_that_needs_another_line(qtbot):
    outer = QWidget()
    qtbot.addWidget(outer)
    label = QLabel("short")
    label.setWordWrap(True)
    layout = QVBoxLayout(outer)
    layout.addWidget(SizeGate(label, outer))
    layout.addStretch(1)
    outer.resize(120, 300)
    outer.show()
    qtbot.waitExposed(outer)
    qtbot.wait(50)
    one_line = label.height()
    requests = EventCounter(outer, QEvent.Type.LayoutRequest)
    label.setText("shorts")
    qtbot.wait(50)
    assert requests.count == 0
    label.setText("a text long enough to wrap onto several lines at this width")
    qtbot.waitUntil(lambda: label.height() > one_line)


def test_inspector_lays_out_its_hint_once_during_a_run(qtbot, window):
    document = window.document
    document.edit_config(epochs=10_000_000)
    formula = window.inspector.browser.document()
    revisions = []
    document.changed.connect(lambda change: change & Change.HISTORY and revisions.append(formula.revision()))
    window.controller.run_to_end()
    qtbot.waitUntil(lambda: len(revisions) >= 5, timeout=30000)
    window.controller.pause()
    assert len(set(revisions[1:])) == 1
    assert window.inspector.plain_text().startswith("Press F10")
    qtbot.keyClick(window, Qt.Key.Key_F10)
    assert window.inspector.plain_text() != "" and not window.inspector.plain_text().startswith("Press F10")


# -- the network's labels ----------------------------------------------------------------------------
def test_graph_labels_are_placed_again_only_when_their_room_changes(qtbot, window, monkeypatch):
    scene = window.view.network_scene()
    qtbot.waitUntil(lambda: not scene.refresh_pending())
    placed = []
    place = scene.place_labels
    monkeypatch.setattr(scene, "place_labels", lambda: (placed.append(True), place()))
    scene.refresh()   # the same texts: every label keeps its place
    assert placed == []
    window.document.edit_parameter("w111", -123456.789)   # a much wider label
    qtbot.waitUntil(lambda: not scene.refresh_pending())
    assert placed
    label = window.view.edge_item(1, 1, 1).label
    document = window.document
    assert label.isVisible() and label.text() == f"w111 = {format_number(document.network.get('w111'), document.digits)}"
    rects = [item.sceneBoundingRect() for item in scene.label_items() if item.isVisible() and not item.is_empty()]
    assert not any(first.intersects(second) for i, first in enumerate(rects) for second in rects[i + 1:])
