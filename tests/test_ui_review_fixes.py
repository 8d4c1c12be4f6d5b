"""What a new user saw cut, elided or misplaced at 1280×800: every number and name shows in full, in
normal and presentation mode, and the layout comes back after a panel that took room is closed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from helpers import open_window, run_to_end
from simulator.examples import load_example


def _cut_cells(panel) -> list[str]:
    """Header titles and cell texts of the shown rows that are wider than their column."""
    QApplication.processEvents()
    view, model = panel.view, panel.model
    header = view.horizontalHeader()
    metrics = view.fontMetrics()
    cut = []
    for column in range(model.columnCount()):
        room = header.sectionSize(column) - 8       # the cell's margins
        title = model.headerData(column, Qt.Orientation.Horizontal)
        for line in str(title).split("\n"):
            if header.fontMetrics().horizontalAdvance(line) > room:
                cut.append(line)
        for row in range(model.rowCount()):
            text = str(model.data(model.index(row, column)))
            if metrics.horizontalAdvance(text) > room:
                cut.append(text)
    return cut


def test_dataset_numbers_and_headers_are_never_cut(qtbot):
    window = open_window(qtbot, load_example("classification"))
    window.resize(1280, 800)
    run_to_end(qtbot, window)
    panel = window.dataset_panel
    assert panel.view.textElideMode() == Qt.TextElideMode.ElideNone
    assert _cut_cells(panel) == []
    window.presentation.set_on(True)
    try:
        qtbot.waitUntil(lambda: _cut_cells(panel) == [], timeout=3000)
    finally:
        window.presentation.set_on(False)
    qtbot.waitUntil(lambda: _cut_cells(panel) == [], timeout=3000)


def test_a_narrow_dataset_panel_scrolls_sideways_rather_than_squeeze(qtbot):
    window = open_window(qtbot, load_example("classification"))
    run_to_end(qtbot, window)
    panel = window.dataset_panel
    panel.setMaximumWidth(250)
    qtbot.waitUntil(lambda: panel.view.viewport().width() < 300, timeout=3000)
    assert _cut_cells(panel) == []
    assert panel.view.horizontalScrollBar().maximum() > 0


def test_exercises_dialog_names_match_the_rest_of_the_window(qtbot):
    from ui.learn.exercises_dialog import ExercisesDialog

    dialog = ExercisesDialog()
    qtbot.addWidget(dialog)
    labels = [label.text() for label in dialog.findChildren(type(dialog.message))]
    assert "&Optimiser:" in labels and "&Optimizer:" not in labels
    assert [box.text() for box in dialog.asks.values()] == ["Outputs", "Loss", "Gradients", "Updates"]


def test_view_menu_separates_presentation_mode_from_neuron_maps(qtbot):
    window = open_window(qtbot, load_example("regression"))
    view = next(item.menu() for item in window.menuBar().actions() if item.text() == "&View")
    actions = view.actions()
    place = actions.index(window.window_actions.presentation)
    assert actions[place + 1].isSeparator()


def _legend_overlaps_data(window) -> bool:
    """Whether the loss plot's key lies over the area where the curves are drawn, or is cut off."""
    QApplication.processEvents()
    item = window.loss_plot.plot.getPlotItem()
    legend = window.loss_plot.legend
    key = legend.mapRectToScene(legend.boundingRect())
    area = item.vb.mapRectToScene(item.vb.boundingRect())
    whole = item.mapRectToScene(item.boundingRect())
    return key.intersects(area) or key.right() > whole.right() + 0.5


def test_loss_plot_key_never_covers_the_curves(qtbot):
    window = open_window(qtbot, load_example("xor"))
    window.resize(1280, 800)
    run_to_end(qtbot, window)
    qtbot.waitUntil(lambda: not _legend_overlaps_data(window), timeout=3000)
    window.presentation.set_on(True)
    try:
        qtbot.waitUntil(lambda: not _legend_overlaps_data(window), timeout=3000)
    finally:
        window.presentation.set_on(False)
    qtbot.waitUntil(lambda: not _legend_overlaps_data(window), timeout=3000)


def test_right_column_tabs_have_short_whole_names(qtbot):
    from PySide6.QtWidgets import QComboBox, QTabBar

    window = open_window(qtbot, load_example("regression"))
    window.resize(1280, 800)
    QApplication.processEvents()
    bars = [bar for bar in window.findChildren(QTabBar) if bar.parent() is window and bar.isVisible()]
    titles = {bar.tabText(index) for bar in bars for index in range(bar.count())}
    assert {"Inspector", "Settings", "Structure", "Input Space"} <= titles
    assert all(bar.elideMode() == Qt.TextElideMode.ElideNone for bar in bars)
    assert window.docks["settings"].toggleViewAction().text() == "Training &Settings"    # View ▸ Panels in full
    window.presentation.set_on(True)
    try:
        QApplication.processEvents()
        combo = window.window_actions.granularity_combo
        assert combo.width() >= combo.sizeHint().width()
        assert isinstance(combo, QComboBox)
    finally:
        window.presentation.set_on(False)


def test_closing_practice_puts_the_panels_back_to_their_sizes(qtbot):
    window = open_window(qtbot, load_example("regression"))
    window.resize(1280, 800)
    QApplication.processEvents()
    before = window.dock_sizes()
    action = window.practice_dock.toggleViewAction()
    for close in (action.trigger, window.practice_dock.close):
        action.trigger()
        qtbot.waitUntil(lambda: window.practice_dock.isVisible() and window.dock_sizes() != before, timeout=3000)
        close()
        qtbot.waitUntil(lambda: window.dock_sizes() == before, timeout=3000)


def test_tour_callout_follows_its_panel_and_ends_cleanly_when_the_panel_goes(qtbot):
    from PySide6.QtCore import QRect

    from ui.learn.tour import STEPS

    window = open_window(qtbot, load_example("regression"))
    window.resize(1280, 800)
    tour = window.guided_tour
    tour.start()
    callout = tour.callout

    def beside_target() -> bool:
        target = STEPS[tour.index].target(window)
        frame = QRect(target.mapTo(window, target.rect().topLeft()), target.size())
        return (callout.frame.geometry() == frame and window.rect().contains(callout.geometry())
                and callout.isVisible())

    assert beside_target()
    window.practice_dock.toggleViewAction().trigger()      # the network gets another shape
    qtbot.waitUntil(lambda: window.practice_dock.isVisible() and beside_target(), timeout=3000)
    window.practice_dock.toggleViewAction().trigger()
    qtbot.waitUntil(beside_target, timeout=3000)
    tour.show_step(1)                                       # the Dataset panel
    assert beside_target() and "Guided tour, 2 of" in window.status_text
    window.docks["metrics"].raise_()                        # its tab hides the table
    qtbot.waitUntil(lambda: not tour.showing, timeout=3000)
    assert not callout.isVisible() and not callout.frame.isVisible()
    assert "Guided tour, 2 of" not in window.status_text


def test_sizing_the_columns_of_a_large_table_reads_only_the_rows_in_view(qtbot, monkeypatch):
    import numpy as np

    from simulator.dataset import Dataset
    from ui.dataset_panel import SIZED_ROWS, DatasetModel

    session = load_example("regression")
    X = np.random.default_rng(1).uniform(0, 1, size=(100_000, 2))
    session.dataset = Dataset(["x1", "x2", "y"], np.hstack([X, X.sum(axis=1, keepdims=True)]), ["x1", "x2"], ["y"])
    window = open_window(qtbot, session)
    panel = window.dataset_panel
    rows: set[int] = set()
    original = DatasetModel.data

    def counted(self, index, role=Qt.ItemDataRole.DisplayRole):
        rows.add(index.row())
        return original(self, index, role)

    monkeypatch.setattr(DatasetModel, "data", counted)
    panel.fit_columns(fresh=True)
    assert 0 < len(rows) <= SIZED_ROWS
    assert _cut_cells_in_view(panel) == []


def _cut_cells_in_view(panel) -> list[str]:
    view, model = panel.view, panel.model
    header, metrics = view.horizontalHeader(), view.fontMetrics()
    last = view.rowAt(view.viewport().height() - 1)
    return [str(model.data(model.index(row, column)))
            for row in range(max(view.rowAt(0), 0), (last if last >= 0 else 10) + 1)
            for column in range(model.columnCount())
            if metrics.horizontalAdvance(str(model.data(model.index(row, column)))) > header.sectionSize(column) - 8]
