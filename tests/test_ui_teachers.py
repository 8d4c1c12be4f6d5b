"""The teacher's kit in the app: File ▸ Export Exercises… and File ▸ Export ▸ Training as a script."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog

from simulator.exercise_sheets import exercises_json
from simulator.exercises import ExerciseSpec, generate
from simulator.export_script import keras_script, pytorch_script
from ui.learn.exercises_dialog import ExercisesDialog


def make_dialog(qtbot, tmp_path) -> ExercisesDialog:
    dialog = ExercisesDialog(folder=str(tmp_path / "set"))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_the_dialog_writes_the_set_the_command_line_writes(qtbot, tmp_path):
    dialog = make_dialog(qtbot, tmp_path)
    dialog.count.setValue(4)
    dialog.seed.setValue(21)
    dialog.shape.setText("3-2-2")
    dialog.activation.setCurrentIndex(dialog.activation.findData("tanh"))
    dialog.loss.setCurrentIndex(dialog.loss.findData("half_sse"))
    dialog.rate.setText("0.5")
    dialog.asks["forward"].setChecked(False)
    dialog.formats["tex"].setChecked(False)
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    folder = tmp_path / "set"
    assert sorted(path.name for path in folder.iterdir()) == [
        "answers.html", "answers.md", "exercises.html", "exercises.json", "exercises.md", "sessions"]
    spec = ExerciseSpec(count=4, seed=21, shape=(3, 2, 2), activation="tanh", loss="half_sse", learning_rate=0.5,
                        ask=("loss", "gradients", "updates"))
    assert (folder / "exercises.json").read_text(encoding="utf-8") == exercises_json(generate(spec), spec)
    assert "z11" not in json.loads((folder / "exercises.json").read_text(encoding="utf-8"))["problems"][0]["answers"]


def test_a_bad_field_is_named_and_nothing_is_written(qtbot, tmp_path):
    dialog = make_dialog(qtbot, tmp_path)
    dialog.shape.setText("2-9-1")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "shape 2-9-1: every layer needs from 1 to 4 neurons" in dialog.message.text()
    dialog.shape.setText("2-2-1")
    dialog.rate.setText("1,5")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text().startswith("learning rate: '1,5' is not a number")
    dialog.rate.setText("0.1")
    for box in dialog.asks.values():
        box.setChecked(False)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "ask for: tick at least one" in dialog.message.text()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert not (tmp_path / "set").exists()


def test_cancel_stops_a_set_being_made_and_writes_nothing(qtbot, tmp_path):
    dialog = make_dialog(qtbot, tmp_path)
    dialog.count.setValue(200)
    dialog.shape.setText("4-4-4-4")
    dialog.start()
    assert dialog.progress.isVisible() and not dialog.export_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 2, timeout=10_000)
    dialog.cancel()
    assert dialog.message.text() == "Cancelled: nothing was written." and dialog.export_button.isEnabled()
    assert dialog.isVisible() and not (tmp_path / "set").exists()


def test_the_file_menu_opens_the_dialog(window, qtbot):
    actions = window.window_actions
    assert actions.export_exercises in window.menuBar().actions()[0].menu().actions()
    seen = []

    def close_it():
        dialog = window.findChild(ExercisesDialog)
        seen.append(dialog)
        dialog.reject()

    QTimer.singleShot(0, close_it)
    actions.export_exercises.trigger()
    assert seen and seen[0] is not None


def test_the_script_is_of_the_parameters_shown(window, qtbot, dialogs, tmp_path):
    window.controller.step("sample")
    live = window.document.run.current_session()
    dialogs.save_paths = [str(tmp_path / "step"), str(tmp_path / "step_keras.py")]
    window.window_actions.export_pytorch.trigger()
    window.window_actions.export_keras.trigger()
    assert (tmp_path / "step.py").read_text(encoding="utf-8") == pytorch_script(live)
    assert (tmp_path / "step_keras.py").read_text(encoding="utf-8") == keras_script(live)
    trained = live.network.get("w111")
    assert trained != 0.1 and repr(trained) in (tmp_path / "step.py").read_text(encoding="utf-8")
    assert "Exported the training as a Keras script" in window.statusBar().currentMessage()


def test_a_session_no_framework_can_train_is_refused_with_the_reason(window, dialogs, tmp_path):
    window.document.edit_config(update_rule="in_place")
    dialogs.save_paths = [str(tmp_path / "s.py")]
    window.window_actions.export_pytorch.trigger()
    assert "in-place update rule is a mistake no framework makes" in dialogs.texts("critical")[0]
    assert not (tmp_path / "s.py").exists()
