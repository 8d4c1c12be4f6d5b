"""The main window through its real widgets: keys, menus, toolbar, files, settings and the status bar."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from simulator.examples import example_names, load_example
from simulator.formatting import describe, format_number
from simulator.session import load
from ui.main_window import MainWindow

from helpers import parameters, press

F10, F11, F5 = Qt.Key.Key_F10, Qt.Key.Key_F11, Qt.Key.Key_F5
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


# -- stepping ------------------------------------------------------------------------------------
def test_f10_steps_one_factor_and_every_view_shows_the_engines_numbers(qtbot, window):
    document = window.document
    press(qtbot, window, F10, times=3)
    assert document.stepper.revealed_count == 3
    record = document.stepper.current
    assert record.kind == "forward" and (record.layer, record.neuron) == (2, 1)
    assert window.position_label.text() == window.controller.position_text()
    assert describe(record) in window.position_label.text()
    assert "Epoch 1 of 5 · sample 1 of 4" in window.position_label.text()
    inspector = window.inspector.plain_text()
    assert format_number(record.z, document.digits) in inspector
    assert format_number(record.out, document.digits) in inspector
    scene = window.view.network_scene()
    qtbot.waitUntil(lambda: not scene.refresh_pending())
    first = document.stepper.revealed[0]
    assert (first.layer, first.neuron) == (1, 1)
    label = window.view.neuron_item(1, 1).label_text().splitlines()
    assert f"z = {format_number(first.z, document.digits)}" in label


def test_step_into_and_step_out(qtbot, window):
    document = window.document
    window.set_granularity("phase")
    press(qtbot, window, F11)
    assert document.stepper.revealed_count == 1
    press(qtbot, window, Qt.Key.Key_F11, SHIFT)
    assert document.training.position == 1
    assert document.stepper.current.kind == "update"
    # At "Layer or gradient" the step that ends here is all the updates: the status bar names it.
    assert window.position_label.text() == "Epoch 1 of 5 · sample 1 of 4 · Updates: 9 parameters"
    press(qtbot, window, F10)
    assert "sample 2 of 4" in window.position_label.text()


def test_toolbar_and_menu_tooltips_name_the_shortcuts(window):
    actions = window.window_actions
    assert actions.step.toolTip() == "Step (F10)"
    assert actions.step_into.toolTip().endswith("(F11)")
    assert actions.step_out.toolTip().endswith("(Shift+F11)")
    assert actions.run_to_end.toolTip().endswith("(Ctrl+F5)")
    assert actions.reset.toolTip().endswith("(Ctrl+R)")
    assert actions.run_pause.toolTip() == "Run (F5)"
    assert [key.toString() for key in actions.redo.shortcuts()] == ["Ctrl+Shift+Z", "Ctrl+Y"]


def test_granularity_from_the_combo_and_the_menu(qtbot, window):
    combo = window.window_actions.granularity_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert window.controller.granularity == "phase"
    assert window.window_actions.granularity["phase"].isChecked()
    window.window_actions.granularity["sample"].trigger()
    assert window.controller.granularity == "sample"
    assert combo.currentText() == "Sample"
    press(qtbot, window, F10)
    records = window.document.stepper.revealed
    assert {record.sample for record in records} == {1}
    assert records[-1].kind == "update"
    assert window.document.training.position == 1


def test_run_then_pause(qtbot, window):
    document, controller = window.document, window.controller
    window.set_speed(30)
    with qtbot.waitSignal(controller.running_changed):
        press(qtbot, window, F5)
    assert window.window_actions.run_pause.text() == "Pause"
    assert window.progress.isVisible()
    qtbot.waitUntil(lambda: document.stepper.revealed_count >= 3, timeout=5000)
    press(qtbot, window, F5, SHIFT)
    assert not controller.running
    assert not window.progress.isVisible()
    assert window.window_actions.run_pause.text() == "Run"
    assert window.statusBar().currentMessage() == "Paused"
    assert window.position_label.text() == controller.position_text()


def test_run_to_end_fills_the_plot_and_keeps_the_chosen_speed(qtbot, window):
    document = window.document
    window.set_speed(2)
    press(qtbot, window, F5, CTRL)
    qtbot.waitUntil(lambda: document.training.finished, timeout=10000)
    epochs = document.training.config.epochs
    assert len(document.training.history) == epochs
    x, y = window.loss_plot.curve_data()
    assert list(x) == list(range(1, epochs + 1))
    assert list(y) == document.training.history
    assert window.position_label.text().endswith("Finished")
    assert window.controller.speed == 2 and window.window_actions.speed_combo.currentText() == "2 steps/s"
    assert not window.isWindowModified()        # training is no edit: the file gives it again


def test_reset_returns_to_the_start(qtbot, window):
    document = window.document
    before = parameters(document)
    window.window_actions.granularity["epoch"].trigger()
    press(qtbot, window, F10)
    assert parameters(document) != before and len(document.training.history) == 1
    press(qtbot, window, Qt.Key.Key_R, CTRL)
    assert parameters(document) == before
    assert document.training.history == []
    assert window.position_label.text() == "Epoch 1 of 5 · sample 1 of 4 · Ready"
    assert window.statusBar().currentMessage() == "Reset to the start of training"


# -- files ---------------------------------------------------------------------------------------
def test_save_as_then_open_round_trip(qtbot, window, dialogs, tmp_path):
    document = window.document
    window.window_actions.granularity["epoch"].trigger()
    press(qtbot, window, F10, times=2)
    trained = parameters(document)
    path = tmp_path / "trained"
    dialogs.save_paths.append(str(path))
    press(qtbot, window, Qt.Key.Key_S, CTRL | SHIFT)
    saved = tmp_path / "trained.json"
    assert saved.is_file() and document.path == saved
    assert not window.isWindowModified()
    assert window.windowTitle() == "trained.json[*] — Backprop Simulator"
    assert window.recent_files()[0] == str(saved.resolve())
    assert parameters(type(document)(load(saved))) == trained

    press(qtbot, window, Qt.Key.Key_N, CTRL)
    assert parameters(document) == parameters(type(document)(load_example("regression")))
    assert document.path is None and window.windowTitle().startswith("Untitled[*]")
    dialogs.open_paths.append(str(saved))
    press(qtbot, window, Qt.Key.Key_O, CTRL)
    assert parameters(document) == trained
    assert document.path == saved and not document.modified
    assert dialogs.texts("question") == []


def test_ctrl_s_saves_to_the_same_file(qtbot, window, dialogs, tmp_path):
    path = tmp_path / "session.json"
    dialogs.save_paths.append(str(path))
    window.save_as()
    window.document.edit_parameter("w111", 0.25)
    assert window.isWindowModified()
    press(qtbot, window, Qt.Key.Key_S, CTRL)
    assert json.loads(path.read_text())["network"]["layers"][0]["weights"][0][0] == 0.25
    assert not window.isWindowModified()


def test_save_failure_shows_a_message_and_keeps_the_document_modified(window, dialogs, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    window.document.edit_parameter("w111", 0.5)
    dialogs.save_paths.append(str(blocker / "session.json"))
    assert window.save() is False
    assert len(dialogs.texts("critical")) == 1 and "session.json" in dialogs.texts("critical")[0]
    assert window.document.modified and window.isWindowModified()
    assert window.document.path is None
    assert window.document.network.get(window.document.network.resolve("w111")) == 0.5


def test_open_error_keeps_the_current_document(window, dialogs, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    before = parameters(window.document)
    title = window.windowTitle()
    dialogs.open_paths.append(str(bad))
    window.open_dialog()
    assert "bad.json" in dialogs.texts("warning")[0] and "not valid JSON" in dialogs.texts("warning")[0]
    assert parameters(window.document) == before and window.windowTitle() == title
    assert window.recent_files() == []


def test_recent_files_menu_and_a_missing_file(window, dialogs, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    for path in (first, second):
        dialogs.save_paths.append(str(path))
        window.save_as()
    assert window.recent_files() == [str(second.resolve()), str(first.resolve())]
    menu = window.window_actions.recent_menu
    menu.aboutToShow.emit()
    assert [action.text() for action in menu.actions()] == ["&1 second.json", "&2 first.json"]
    first.unlink()
    menu.actions()[1].trigger()
    assert "no longer exists" in dialogs.texts("warning")[0]
    assert window.recent_files() == [str(second.resolve())]


def test_examples_menu_loads_xor(qtbot, window):
    xor = load_example("xor")
    menu = window.window_actions.examples_menu
    assert [action.text() for action in menu.actions()] == [load_example(name).title for name in example_names()]
    action = next(action for action in menu.actions() if action.data() == "xor")
    action.trigger()
    assert window.document.session.title == xor.title
    assert parameters(window.document) == parameters(type(window.document)(xor))
    assert window.windowTitle() == f"{xor.title}[*] — Backprop Simulator"
    assert "Epoch 1 of 2000 · sample 1 of 4" in window.position_label.text()


# -- unsaved changes -----------------------------------------------------------------------------
def test_close_asks_about_unsaved_changes(window, dialogs):
    window.document.edit_parameter("w111", 0.5)
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert window.close() is False
    assert window.isVisible() and len(dialogs.texts("question")) == 1
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert window.close() is True
    assert not window.isVisible()


def test_example_load_asks_first_and_cancel_keeps_the_edit(window, dialogs):
    window.document.edit_parameter("w111", 0.5)
    dialogs.answer = QMessageBox.StandardButton.Cancel
    window.open_example("xor")
    assert window.document.network.sizes == [2, 2, 1]
    assert window.document.network.get(window.document.network.resolve("w111")) == 0.5
    assert window.document.session.title != load_example("xor").title


def test_save_answer_with_cancelled_dialog_keeps_the_window_open(window, dialogs):
    window.document.edit_parameter("w111", 0.5)
    dialogs.answer = QMessageBox.StandardButton.Save
    assert window.close() is False
    assert window.document.modified


# -- edits ---------------------------------------------------------------------------------------
def test_undo_and_redo_keys(qtbot, window):
    document = window.document
    weight = document.network.resolve("w111")
    before = document.network.get(weight)
    assert not window.window_actions.undo.isEnabled()
    document.edit_parameter("w111", 0.5)
    assert window.window_actions.undo.isEnabled() and window.isWindowModified()
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert document.network.get(weight) == before and not window.isWindowModified()
    press(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)
    assert document.network.get(weight) == 0.5
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    press(qtbot, window, Qt.Key.Key_Y, CTRL)
    assert document.network.get(weight) == 0.5


def test_f2_edits_the_selected_weight_in_the_graph(qtbot, window):
    document, view = window.document, window.view
    press(qtbot, window, Qt.Key.Key_F2)
    assert view.editor() is None and "Select a weight or bias" in window.statusBar().currentMessage()
    view.setFocus()
    view.edge_item(1, 2, 1).setSelected(True)
    press(qtbot, window, Qt.Key.Key_F2)
    editor = view.editor()
    assert editor is not None and editor.isVisible()
    editor.line_edit.clear()
    qtbot.keyClicks(editor.line_edit, "0.75")
    qtbot.keyClick(editor.line_edit, Qt.Key.Key_Return)
    assert document.network.get("w121") == 0.75
    assert window.statusBar().currentMessage() == "w121 = 0.75"
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert document.network.get("w121") == 0.1


def test_f2_edits_the_current_cell_of_the_data_table(qtbot, window):
    table = window.dataset_panel.view
    table.setFocus()
    table.setCurrentIndex(table.model().index(1, 0))
    press(qtbot, window, Qt.Key.Key_F2)
    assert table.state() == table.State.EditingState


def test_messages_from_every_source_reach_the_status_bar(window):
    window.view.message.emit("w111 must be a finite number")
    assert window.statusBar().currentMessage() == "w111 must be a finite number"
    window.dataset_panel.message.emit("row 1: must be a finite number")
    assert window.statusBar().currentMessage() == "row 1: must be a finite number"


# -- settings ------------------------------------------------------------------------------------
def test_choices_and_layout_are_restored_next_time(qtbot, window, document):
    window.set_granularity("sample")
    window.set_speed(0)
    window.settings_panel.digits_spin.setValue(4)
    window.docks["dataset"].toggleViewAction().trigger()
    window.docks["settings"].raise_()
    window.close()
    settings = QSettings()
    assert settings.value("simulation/granularity") == "sample"
    again = MainWindow(document)
    qtbot.addWidget(again)
    assert again.controller.granularity == "sample"
    assert again.docks["dataset"].isHidden() and not again.docks["loss_plot"].isHidden()
    assert again.tabifiedDockWidgets(again.docks["settings"])
    assert again.controller.speed == 0 and again.window_actions.speed_combo.currentText() == "As fast as possible"
    document.set_digits(6)
    again.restore_settings()
    assert document.digits == 4


def test_default_size_and_docks(window):
    assert (window.width(), window.height()) == (1280, 800)
    assert set(window.docks) == {"inspector", "loss_plot", "dataset", "settings", "structure", "metrics",
                                 "input_space"}
    assert all(dock.objectName() for dock in window.docks.values())
    assert window.dockWidgetArea(window.docks["inspector"]) == Qt.DockWidgetArea.RightDockWidgetArea


@pytest.mark.parametrize("name, suffix", [("export_plot_png", "png"), ("export_plot_csv", "csv"),
                                          ("export_graph_png", "png"), ("export_graph_svg", "svg")])
def test_exports_write_files(window, dialogs, tmp_path, name, suffix):
    path = tmp_path / f"out.{suffix}"
    dialogs.save_paths.append(str(path))
    getattr(window.window_actions, name).trigger()
    assert path.is_file() and path.stat().st_size > 0
    assert str(path) in window.statusBar().currentMessage()


def test_view_menu_mirrors_the_plot_options(window):
    actions, plot = window.window_actions, window.loss_plot
    actions.sample_losses.trigger()
    assert plot.samples_box.isChecked() and plot.sample_curve.isVisible()
    plot.log_box.setChecked(True)
    assert actions.log_scale.isChecked()
    actions.log_scale.trigger()
    assert not plot.log_box.isChecked()


def test_help_dialogs(window, dialogs):
    window.window_actions.getting_started.trigger()
    window.window_actions.shortcuts.trigger()
    window.window_actions.about.trigger()
    assert "F10" in dialogs.texts("information")[0]
    assert "Ctrl+Shift+Z, Ctrl+Y" in dialogs.texts("information")[1]
    assert "Backprop Simulator" in dialogs.texts("about")[0]


def test_a_long_status_message_is_cut_before_the_position_text_and_whole_in_the_tooltip(qtbot):
    from helpers import open_window
    from simulator.examples import load_example
    window = open_window(qtbot, load_example("regression"))
    window.resize(1280, 800)
    text = "Training diverged in epoch 3 at sample 2 (row 2): w111 would become inf (the loss became inf). " * 3
    window.show_message(text)
    bar = window.statusBar()
    shown = bar.currentMessage()
    assert shown.endswith("…") and text.startswith(shown[:-1]) and window.status_text == text
    assert bar.toolTip() == text
    position = window.position_label.parentWidget().geometry()
    assert bar.fontMetrics().horizontalAdvance(shown) < position.left()
    window.show_message("Paused")
    assert bar.currentMessage() == "Paused" and bar.toolTip() == ""


def test_enter_in_the_inline_editor_applies_and_closes_it_and_ctrl_z_then_undoes_the_edit(qtbot, window):
    """In the window, Enter also means "edit the selected value": the editor must use it up, or a new
    editor opens at once over the node and Ctrl+Z edits its text instead of undoing."""
    view = window.view
    view.edge_item(1, 1, 1).setSelected(True)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    editor = view.editor()
    editor.line_edit.selectAll()
    qtbot.keyClicks(editor.line_edit, "0.5")
    qtbot.keyClick(editor.line_edit, Qt.Key.Key_Return)
    assert view.editor() is None and window.document.network.get("w111") == 0.5
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.network.get("w111") == 0.1 and view.editor() is None
    qtbot.keyClick(view, Qt.Key.Key_Enter)               # the keypad's Enter opens and applies too
    editor = view.editor()
    editor.line_edit.selectAll()
    qtbot.keyClicks(editor.line_edit, "0.25")
    qtbot.keyClick(editor.line_edit, Qt.Key.Key_Enter)
    assert view.editor() is None and window.document.network.get("w111") == 0.25


def test_the_three_class_example_opens_from_the_menu_and_steps_its_softmax(qtbot, window):
    menu = window.window_actions.examples_menu
    next(action for action in menu.actions() if action.data() == "three-classes").trigger()
    document = window.document
    assert document.network.layers[-1].activation == "softmax" and document.session.loss == "cross_entropy"
    press(qtbot, window, F10, times=4)          # the three hidden neurons, then the first output
    record = document.stepper.current
    assert record.kind == "forward" and (record.layer, record.neuron) == (2, 1)
    subscripts = str.maketrans("₁₂₃", "123")
    assert "ŷ1 = exp(z21)/(exp(z21) + exp(z22) + exp(z23))" in window.inspector.plain_text().translate(subscripts)
    scene = window.view.network_scene()
    qtbot.waitUntil(lambda: not scene.refresh_pending())
    assert f"z = {format_number(record.z, document.digits)}" in window.view.neuron_item(2, 1).label_text()
    while document.stepper.current.kind != "factor":
        press(qtbot, window, F10)
    inspector = window.inspector.plain_text()
    assert "simplifies it" in inspector
    assert format_number(document.stepper.current.value, document.digits) in inspector


def test_a_layout_remembered_by_an_earlier_version_is_not_used(qtbot):
    """A layout saved before a panel existed would leave the new panel wherever Qt puts it (the Metrics
    panel squeezed beside the table); the window keeps its own layout instead."""
    from helpers import open_window
    from simulator.examples import load_example
    first = open_window(qtbot, load_example("regression"))
    first.splitDockWidget(first.docks["dataset"], first.docks["metrics"], Qt.Orientation.Horizontal)
    QSettings().setValue("window/state", first.saveState())          # an unversioned (older) layout
    first.close()
    window = open_window(qtbot, load_example("regression"))
    window.restore_settings()
    assert window.docks["metrics"] in window.tabifiedDockWidgets(window.docks["dataset"])
    window.docks["loss_plot"].hide()
    window.save_settings()                                             # this version's layout is kept
    again = open_window(qtbot, load_example("regression"))
    again.restore_settings()
    assert not again.docks["loss_plot"].isVisible() and again.docks["dataset"].isVisible()


def test_the_step_by_box_names_what_each_step_shows(window):
    from ui.controller import GRANULARITY_LABELS
    assert list(GRANULARITY_LABELS.values()) == ["Chain-rule factor", "Layer or gradient", "Phase", "Sample", "Epoch"]
    window.set_granularity("stage")
    window.controller.step()
    assert {record.kind for record in window.document.stepper.revealed} == {"forward"}
    window.controller.step_into()                     # one finer: the loss alone
    assert window.document.stepper.current.kind == "loss"
    assert window.controller.step_back("stage") and window.document.stepper.current.kind == "forward"


def test_the_dataset_is_the_tab_shown_beside_the_loss_plot_at_first(qtbot, window):
    assert window.docks["metrics"] in window.tabifiedDockWidgets(window.docks["dataset"])
    qtbot.waitUntil(lambda: window.dataset_panel.isVisible() and not window.metrics_panel.shown())
    window.controller.step("epoch")
    assert not window.document.training.record_metrics       # behind its tab: no per-epoch metric to pay for
    window.docks["metrics"].raise_()
    qtbot.waitUntil(window.metrics_panel.shown)
    assert window.document.training.record_metrics
    window.docks["dataset"].raise_()
    qtbot.waitUntil(lambda: not window.document.training.record_metrics)
