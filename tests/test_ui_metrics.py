"""The metrics panel, the dataset table's predictions, the split setting and the loss plot's baseline and ranges."""

from __future__ import annotations


import pytest
from PySide6.QtCore import Qt

from helpers import open_window, run_to_end, type_into
from simulator.examples import load_example
from simulator.metrics import held_out_rows


@pytest.fixture
def window(qtbot):
    return open_window(qtbot, load_example("regression"))


def test_the_dataset_table_shows_each_rows_prediction_and_loss_live(qtbot, window):
    model = window.dataset_panel.model
    columns = len(window.document.session.dataset.columns)
    assert model.data(model.index(0, columns)) == "0.32"            # ŷ = 0.1·(0.1·8 + 0.1·8)·2 = 0.32
    assert model.data(model.index(0, columns + 1)) == "13.5424"     # (4 − 0.32)²
    assert not model.flags(model.index(0, columns)) & Qt.ItemFlag.ItemIsEditable
    window.document.edit_config(epochs=2)
    run_to_end(qtbot, window)
    training = window.document.training
    y_hat = training.network.predict(training.X)
    for row in range(4):
        assert model.prediction(row)[0].tolist() == y_hat[row].tolist()
        assert model.prediction(row)[1] == float((training.Y[row, 0] - y_hat[row, 0]) ** 2)


def test_a_split_is_an_undoable_setting_that_marks_the_held_out_rows(qtbot, window):
    document, settings = window.document, window.settings_panel
    window.document.edit_config(epochs=3)
    run_to_end(qtbot, window)
    type_into(qtbot, settings.validation_edit, "0.5")
    assert document.session.training.validation == 0.5
    assert document.training.epoch == 0 and len(document.training.history) == 0   # training starts again
    held_out = held_out_rows(4, 0.5, 0)
    model = window.dataset_panel.model
    assert [model.headerData(row, Qt.Orientation.Vertical) for row in range(4)] == [
        f"{row + 1} held out" if row in held_out else str(row + 1) for row in range(4)]
    run_to_end(qtbot, window)
    assert window.loss_plot.held_out_data()[1].tolist() == document.training.evaluation_series("held_out_loss").tolist()
    assert len(window.loss_plot.held_out_data()[1]) == 3
    document.undo_stack.undo()
    assert document.session.training.validation == 0.0 and document.training.held_out_rows.size == 0
    assert model.headerData(int(held_out[0]), Qt.Orientation.Vertical) == str(held_out[0] + 1)


@pytest.mark.parametrize("text", ["1", "-0.1", "abc", "1.5"])
def test_a_bad_fraction_is_refused_by_its_field_and_changes_nothing(qtbot, window, text):
    settings, document = window.settings_panel, window.document
    type_into(qtbot, settings.validation_edit, text)
    assert document.session.training.validation == 0.0 and document.undo_stack.count() == 0
    assert "validation fraction" in settings.errors["validation"].text()
    assert settings.validation_edit.text() == "0"


def test_the_metrics_panel_shows_the_engines_metrics_and_the_confusion_matrix(qtbot):
    window = open_window(qtbot, load_example("classification"))
    window.docks["metrics"].raise_()
    panel = window.metrics_panel
    qtbot.waitUntil(panel.isVisible)
    run_to_end(qtbot, window)
    training = window.document.training
    loss, metrics = training.evaluate(training.training_rows)
    assert panel.table.item(1, 0).text() == "accuracy" and panel.table.item(1, 1).text() == "0.5"
    assert [[panel.confusion.item(r, c).text() for c in range(2)] for r in range(2)] == [["0", "2"], ["0", "2"]]
    assert metrics.confusion.tolist() == [[0, 2], [0, 2]]
    # recorded every epoch while the panel is shown
    assert panel.training_curve.yData.tolist() == [0.5] * 50


def test_the_classification_loss_plot_keeps_its_baseline_in_view(qtbot):
    window = open_window(qtbot, load_example("classification"))
    run_to_end(qtbot, window)
    plot = window.loss_plot
    y_low, y_high = plot.plot.getPlotItem().getViewBox().viewRange()[1]
    baseline = window.document.training.baseline()
    assert y_low <= baseline <= y_high
    history = window.document.training.history.tolist()
    # the fall of the curve is a small part of the height shown, not all of it
    assert (history[0] - history[-1]) / (y_high - y_low) < 0.1


def test_after_a_reset_the_empty_plot_no_longer_keeps_the_last_runs_ranges(qtbot, window):
    window.document.edit_config(epochs=25)
    run_to_end(qtbot, window)
    view = window.loss_plot.plot.getPlotItem().getViewBox()
    assert view.viewRange()[0][1] >= 25
    window.document.reset()
    qtbot.waitUntil(lambda: view.viewRange()[0][1] < 12)   # the first ten epochs
    y_low, y_high = view.viewRange()[1]
    assert y_low <= window.loss_plot.baseline <= y_high and y_high < 5   # about the baseline 1.25, not the old losses
