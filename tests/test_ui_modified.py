"""What marks a session modified: edits do; training, stepping, Step Back and Reset do not (a file's data,
settings and seed give the same training bit for bit). Save writes the live parameters; File ▸ Save
Untrained Copy As… writes the starting ones."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QMessageBox

from helpers import run_to_end
from simulator.session import load
from ui.autosave import Autosaver


def test_training_then_resetting_asks_nothing_on_new(window, dialogs):
    window.controller.step("epoch")
    window.controller.step("sample")
    window.controller.reset()
    assert not window.document.modified and not window.isWindowModified()
    window.window_actions.new.trigger()
    assert dialogs.texts("question") == []


def test_a_trained_session_closes_without_asking_and_its_title_has_no_marker(qtbot, window, dialogs):
    run_to_end(qtbot, window)
    window.window_actions.step_back.trigger()
    assert "[*]" in window.windowTitle() and not window.isWindowModified()
    assert window.close()
    assert dialogs.texts("question") == []


def test_an_edit_during_training_is_asked_about(window, dialogs):
    window.controller.step("epoch")
    window.document.edit_parameter("w211", 0.3)             # the live value: an edit all the same
    dialogs.answer = QMessageBox.StandardButton.Cancel
    window.open_example("xor")
    assert len(dialogs.texts("question")) == 1 and window.document.network.get("w211") == 0.3


def test_save_writes_the_trained_parameters_and_the_untrained_copy_the_starting_ones(window, dialogs, tmp_path):
    document = window.document
    document.edit_parameter("w111", 0.5)                     # before training: a starting parameter
    start = document.session.network.flat_parameters().copy()
    window.controller.step("epoch")
    window.controller.step("epoch")
    document.edit_parameter("w211", 0.25)                    # after training began: the live value only
    trained = document.network.flat_parameters().copy()
    assert not np.array_equal(start, trained)
    assert window.save_to(str(tmp_path / "work.json"))
    dialogs.save_paths.append(str(tmp_path / "start"))
    window.window_actions.save_untrained.trigger()
    copy, saved = load(tmp_path / "start.json"), load(tmp_path / "work.json")
    np.testing.assert_array_equal(copy.network.flat_parameters(), start)
    np.testing.assert_array_equal(saved.network.flat_parameters(), trained)
    assert copy.network.get("w111") == 0.5 and copy.network.get("w211") == 0.1
    assert copy.training == saved.training and copy.loss == saved.loss
    assert copy.dataset.rows.tolist() == saved.dataset.rows.tolist()
    assert document.path == tmp_path / "work.json" and not document.modified      # still the session's file
    assert document.training.epoch == 2 and np.array_equal(document.network.flat_parameters(), trained)
    assert "starting parameters" in window.status_text


def test_the_untrained_copy_leaves_the_modified_flag_as_it_was(window, dialogs, tmp_path):
    window.document.edit_parameter("w111", 0.5)
    dialogs.save_paths.append(str(tmp_path / "copy.json"))
    assert window.save_untrained_copy()
    assert window.document.modified and window.document.path is None
    assert load(tmp_path / "copy.json").network.get("w111") == 0.5


def test_an_untrained_copy_that_cannot_be_written_says_so(window, dialogs, tmp_path):
    window.controller.step("epoch")
    before = window.document.network.flat_parameters().copy()
    dialogs.save_paths.append(str(tmp_path / "missing" / "copy.json"))
    assert not window.save_untrained_copy()
    (message,) = dialogs.texts("critical")
    assert "Could not save copy.json" in message
    assert np.array_equal(window.document.network.flat_parameters(), before) and not window.document.modified
    assert not (tmp_path / "missing").exists()


def test_training_alone_writes_no_recovery_file(qtbot, window, tmp_path):
    saver = Autosaver(window.document, tmp_path / "data" / "recovery.json", interval_ms=10, parent=window)
    saver.start()
    run_to_end(qtbot, window)
    qtbot.wait(50)
    assert not saver.path.exists()
    window.document.edit_parameter("w111", 0.5)
    qtbot.waitUntil(saver.path.exists)


def test_the_save_and_untrained_copy_actions_say_which_parameters_they_write(window):
    actions = window.window_actions
    assert "trained so far" in actions.save.statusTip()
    assert "starting parameters" in actions.save_untrained.statusTip()
    file_menu = window.menuBar().actions()[0].menu()
    assert actions.save_untrained in file_menu.actions()
