"""Nothing a user made is lost: atomic saves, the unsaved-changes prompt, autosave and recovery."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from simulator import cli
from simulator.examples import load_example
from simulator.session import load
from ui.autosave import (DEFAULT_INTERVAL_MS, RECOVERY_FORMAT, Autosaver, interval_from_env, lock_path,
                         offer_orphaned_recoveries, offer_recovery, orphaned_recoveries, read_recovery)

from helpers import snapshot

ROOT = Path(__file__).resolve().parent.parent


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".tmp"))


def child_env(tmp_path: Path, **extra: str) -> dict:
    """Offscreen, with throw-away home, settings and data folders."""
    os.chmod(tmp_path, 0o700)
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_RUNTIME_DIR": str(tmp_path), **extra}


# -- atomic saves ----------------------------------------------------------------------------------
KILLED_SAVE = """
import os, sys
from simulator.examples import load_example
session = load_example("regression")
session.title = "second"
def hang(fd):      # the new text is written but not yet renamed over the old file: die here
    print("writing", flush=True)
    sys.stdin.read()
os.fsync = hang
session.save(sys.argv[1])
"""


def test_a_save_killed_mid_write_leaves_the_previous_file_intact(qtbot, tmp_path):
    target = tmp_path / "work.json"
    first = load_example("regression")
    first.title = "first"
    first.save(target)
    before = target.read_bytes()
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(target)], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "writing\n"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
        child.stdin.close()
        child.stdout.close()
    assert target.read_bytes() == before and load(target).title == "first"
    (leftover,) = leftovers(tmp_path)           # the killed save's temporary file, complete but never renamed
    assert "second" in (tmp_path / leftover).read_text(encoding="utf-8")
    first.save(target)                          # the next save cleans up after the killed one
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("target, error", [
    ("os.replace", OSError(errno.EXDEV, "Invalid cross-device link")),
    ("os.fsync", OSError(errno.EIO, "Input/output error")),
    ("os.chmod", PermissionError(errno.EPERM, "Operation not permitted")),
    ("tempfile.mkstemp", PermissionError(errno.EACCES, "Permission denied")),
    ("os.fdopen", OSError(errno.ENOSPC, "No space left on device")),
])
def test_a_failing_save_keeps_the_file_the_document_and_no_temporary_files(window, dialogs, tmp_path, monkeypatch,
                                                                          target, error):
    path = tmp_path / "work.json"
    assert window.save_to(str(path))
    before = path.read_bytes()
    window.document.edit_parameter("w111", 0.5)
    undo = window.document.undo_stack.count()

    def fail(*args, **kwargs):
        raise error

    module, name = target.split(".")
    with monkeypatch.context() as patch:
        patch.setattr({"os": os, "tempfile": tempfile}[module], name, fail)
        assert not window.save_to(str(path))
    (message,) = dialogs.texts("critical")
    assert "work.json" in message and error.strerror in message
    assert path.read_bytes() == before and leftovers(tmp_path) == []
    assert window.document.modified and window.isWindowModified()
    assert window.document.undo_stack.count() == undo and window.document.network.get("w111") == 0.5


@pytest.mark.parametrize("where, words", [
    (lambda tmp: tmp / "missing" / "work.json", "cannot write in"),
    (lambda tmp: tmp / "a-file" / "work.json", "cannot write in"),
    (lambda tmp: tmp, "cannot save"),
])
def test_saving_where_it_cannot_gives_a_message(window, dialogs, tmp_path, where, words):
    (tmp_path / "a-file").write_text("not a folder")
    assert not window.save_to(str(where(tmp_path)))
    assert words in dialogs.texts("critical")[0]
    assert window.document.path is None


# -- the unsaved-changes prompt --------------------------------------------------------------------
def _new(window, tmp_path):
    window.new_document()


def _example(window, tmp_path):
    window.open_example("xor")


def _open(window, tmp_path, dialogs=None):
    other = tmp_path / "other.json"
    load_example("classification").save(other)
    window.open_path(str(other))


def _close(window, tmp_path):
    window.close()


@pytest.mark.parametrize("action", [_new, _example, _open, _close], ids=["new", "example", "open", "close"])
@pytest.mark.parametrize("answer", ["Cancel", "Discard", "Save"])
def test_unsaved_changes_are_asked_about_before_they_could_be_lost(window, dialogs, tmp_path, action, answer):
    path = tmp_path / "mine.json"
    window.save_to(str(path))
    window.document.edit_parameter("w111", 0.75)
    window.controller.step("sample")
    dialogs.answer = getattr(QMessageBox.StandardButton, answer)
    action(window, tmp_path)
    assert any("Save the changes to mine.json" in text for text in dialogs.texts("question"))
    kept = answer == "Cancel"
    assert (window.document.path == path) == (kept or action is _close)
    if kept:
        assert window.document.network.get("w111") != 0.1 and window.document.modified
        assert window.isVisible() or action is not _close
    saved = load(path)
    assert (saved.network.get("w111") != 0.1) == (answer == "Save")


# -- autosave --------------------------------------------------------------------------------------
@pytest.fixture
def autosaver(window, tmp_path):
    saver = Autosaver(window.document, tmp_path / "data" / "recovery.json", interval_ms=20, parent=window)
    saver.message.connect(window.show_message)
    saver.start()
    return saver


def test_interval_comes_from_the_environment():
    assert interval_from_env({}) == DEFAULT_INTERVAL_MS == 30_000
    assert interval_from_env({"BACKPROP_SIM_AUTOSAVE_MS": "250"}) == 250
    for bad in ("", "0", "-5", "soon", "1.5"):
        assert interval_from_env({"BACKPROP_SIM_AUTOSAVE_MS": bad}) == DEFAULT_INTERVAL_MS


def test_autosave_writes_only_unsaved_work_and_removes_it_on_save(qtbot, window, autosaver, tmp_path):
    qtbot.wait(60)                                  # several intervals with nothing to save
    assert not autosaver.path.exists()
    window.document.edit_parameter("w111", 0.25)
    window.controller.step("sample")
    qtbot.waitUntil(autosaver.path.exists)
    data, description = read_recovery(autosaver.path)
    assert data["format"] == RECOVERY_FORMAT and "Regression" in description
    from simulator.session import from_dict
    np.testing.assert_array_equal(from_dict(data["session"]).network.flat_parameters(),
                                  window.document.network.flat_parameters())
    assert leftovers(autosaver.path.parent) == []
    assert window.save_to(str(tmp_path / "saved.json"))
    assert not autosaver.path.exists()
    window.document.edit_parameter("w111", 0.5)
    qtbot.waitUntil(autosaver.path.exists)
    window.document.undo_stack.undo()               # back to the saved state: nothing to recover
    assert not window.document.modified and not autosaver.path.exists()


def test_autosave_into_a_folder_it_cannot_write_says_so_once(qtbot, window, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    saver = Autosaver(window.document, tmp_path / "a-file" / "recovery.json", interval_ms=10, parent=window)
    messages = []
    saver.message.connect(messages.append)
    saver.start()
    window.document.edit_parameter("w111", 0.25)
    qtbot.waitUntil(lambda: len(messages) == 1)
    qtbot.wait(50)
    assert len(messages) == 1 and "Autosave failed" in messages[0] and "recovery.json" in messages[0]
    assert window.document.network.get("w111") == 0.25 and window.isVisible()


def _write_recovery(window, path: Path) -> np.ndarray:
    """Autosave an edited and trained session to `path`, then show a fresh session as a restart would."""
    saver = Autosaver(window.document, path, parent=window)
    window.document.edit_parameter("w111", 0.625)
    window.controller.step("sample")
    assert saver.autosave()
    content, work = path.read_bytes(), window.document.network.flat_parameters()
    window.document.replace_session(load_example("regression"))
    assert not path.exists()          # another session replaced the work: its recovery file went with it
    path.write_bytes(content)
    return work


@pytest.mark.parametrize("answer", ["Yes", "No"])
def test_a_recovery_file_is_offered_at_start(window, dialogs, tmp_path, answer):
    path = tmp_path / "recovery.json"
    work = _write_recovery(window, path)
    dialogs.answer = getattr(QMessageBox.StandardButton, answer)
    assert offer_recovery(window.document, path, window) == (answer == "Yes")
    (question,) = dialogs.texts("question")
    assert "did not close normally" in question and "Regression" in question
    if answer == "Yes":
        np.testing.assert_array_equal(window.document.network.flat_parameters(), work)
        assert window.document.modified and window.isWindowModified()
    else:
        assert window.document.network.get("w111") == 0.1 and not window.document.modified
    assert not path.exists()


def test_each_copy_keeps_its_own_recovery_file_and_offers_only_orphaned_ones(qtbot, window, dialogs, tmp_path):
    mine = Autosaver(window.document, tmp_path / "recovery-1.json", parent=window)
    other = Autosaver(window.document, tmp_path / "recovery-2.json", parent=window)
    window.document.edit_parameter("w111", 0.25)
    assert mine.autosave() and other.autosave()
    assert lock_path(mine.path).exists() and lock_path(other.path).exists()
    # Both copies are running: neither is offered the other's work.
    assert orphaned_recoveries(tmp_path, own=mine.path) == []
    assert not offer_orphaned_recoveries(window.document, mine.path, window) and dialogs.texts("question") == []
    other.discard()                             # a copy removes only its own file and lock
    assert not other.path.exists() and not lock_path(other.path).exists() and mine.path.exists()
    # A copy that crashed left its file and a lock naming a process that no longer runs: offered.
    crashed = tmp_path / "recovery-3.json"
    crashed.write_bytes(mine.path.read_bytes())
    script = ("import os, sys; from PySide6.QtCore import QLockFile; lock = QLockFile(sys.argv[1]); "
              "lock.setStaleLockTime(0); assert lock.tryLock(0); os._exit(0)")
    subprocess.run([sys.executable, "-c", script, str(lock_path(crashed))], check=True, timeout=60)
    assert lock_path(crashed).exists()
    ((found, lock),) = orphaned_recoveries(tmp_path, own=mine.path)
    assert found == crashed
    lock.unlock()
    dialogs.answer = QMessageBox.StandardButton.No
    assert not offer_orphaned_recoveries(window.document, mine.path, window)
    assert len(dialogs.texts("question")) == 1
    assert not crashed.exists() and not lock_path(crashed).exists() and mine.path.exists()
    mine.discard()
    assert sorted(path.name for path in tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"", b"{", b"\xff\xfe", b"[]", json.dumps({"format": "other"}).encode(),
                                     json.dumps({"format": RECOVERY_FORMAT, "session": {"format": "x"}}).encode()])
def test_an_unreadable_recovery_file_is_reported_and_removed(window, dialogs, tmp_path, content):
    path = tmp_path / "recovery.json"
    path.write_bytes(content)
    before = window.document.network.flat_parameters()
    assert not offer_recovery(window.document, path, window)
    (warning,) = dialogs.texts("warning")
    assert "cannot be restored" in warning
    assert not path.exists()
    np.testing.assert_array_equal(window.document.network.flat_parameters(), before)


# -- recovery after the real app is killed ---------------------------------------------------------
EDIT_THEN_WAIT = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from ui import app
from ui.autosave import recovery_path
from ui.main_window import MainWindow
qapp = QApplication(sys.argv[:1])
def edit():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    window.document.edit_parameter("w111", 0.375)
    window.controller.step("sample")
    print(json.dumps({"recovery": str(recovery_path()),
                      "parameters": window.document.network.flat_parameters().tolist()}), flush=True)
QTimer.singleShot(100, edit)
sys.exit(app.run_gui(example="regression"))
"""

RESTART = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from ui import app
from ui.autosave import recovery_path
from ui.main_window import MainWindow
qapp = QApplication(sys.argv[:1])
asked = []
def question(parent, title, text, *args, **kwargs):
    asked.append(text)
    return QMessageBox.StandardButton.Yes if title == "Recover unsaved work" else QMessageBox.StandardButton.Discard
QMessageBox.question = staticmethod(question)
def report():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    print(json.dumps({"asked": asked, "parameters": window.document.network.flat_parameters().tolist(),
                      "modified": window.document.modified}), flush=True)
    window.close()
# Counted from the first turn of the event loop: a slow start must not let the report come before the
# recovery offer, which the app makes on that first turn.
QTimer.singleShot(0, lambda: QTimer.singleShot(300, report))
sys.exit(app.run_gui(example="regression"))
"""


def test_work_is_recovered_after_the_app_is_killed(qtbot, tmp_path):
    env = child_env(tmp_path, BACKPROP_SIM_AUTOSAVE_MS="50")
    child = subprocess.Popen([sys.executable, "-c", EDIT_THEN_WAIT], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        state = json.loads(child.stdout.readline())
        recovery = Path(state["recovery"])
        assert recovery.is_relative_to(tmp_path)
        qtbot.waitUntil(recovery.exists, timeout=10_000)
        # A second copy started while the first still runs offers nothing and, on its normal exit,
        # leaves the first copy's recovery file in place.
        other = subprocess.run([sys.executable, "-c", RESTART], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=60)
        assert other.returncode == 0, other.stderr
        assert json.loads(other.stdout.splitlines()[-1])["asked"] == []
        assert recovery.exists() and child.poll() is None
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
        child.stdout.close()
        child.stderr.close()
    assert recovery.exists()
    restart = subprocess.run([sys.executable, "-c", RESTART], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
    assert restart.returncode == 0, restart.stderr
    report = json.loads(restart.stdout.splitlines()[-1])
    (offer,) = report["asked"]
    assert "did not close normally" in offer
    assert report["parameters"] == state["parameters"] and report["modified"]
    assert not recovery.exists()                # a normal exit leaves nothing to recover
    assert list(recovery.parent.glob("recovery*")) == []   # the crashed copy's stale lock went with its file
    again = subprocess.run([sys.executable, "-c", RESTART], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60)
    assert json.loads(again.stdout.splitlines()[-1])["asked"] == []


UNWRITABLE = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from ui import app
from ui.main_window import MainWindow
from PySide6.QtCore import QSettings
from ui.learn.tour import SEEN_KEY
qapp = QApplication(sys.argv[:1])
qapp.setApplicationName(app.APP_NAME)
qapp.setOrganizationName(app.ORGANISATION)
QSettings().setValue(SEEN_KEY, True)     # the tour's first-start message would take the status bar
QMessageBox.question = staticmethod(lambda *args, **kwargs: QMessageBox.StandardButton.Discard)
def window():
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
def edit():
    window().document.edit_parameter("w111", 0.375)
waited = 0
def report():      # once the autosave has had its go (a busy machine may take a while), or after 20 s
    global waited
    status = window().statusBar().currentMessage()
    if not status.startswith("Autosave") and waited < 400:
        waited += 1
        QTimer.singleShot(50, report)
        return
    print(json.dumps({"status": status, "w111": window().document.network.get("w111")}), flush=True)
    window().close()
QTimer.singleShot(50, edit)
QTimer.singleShot(100, report)
sys.exit(app.run_gui(example="regression"))
"""


def test_an_unwritable_data_folder_gives_a_message_not_a_crash(tmp_path):
    (tmp_path / "data").write_text("a file where the data folder should be")
    env = child_env(tmp_path, BACKPROP_SIM_AUTOSAVE_MS="20")
    result = subprocess.run([sys.executable, "-c", UNWRITABLE], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["status"].startswith("Autosave failed: cannot write") and "recovery-" in report["status"]
    assert report["w111"] == 0.375


# -- hostile files: a message and an unchanged state, through the window, the CLI and autosave -----
def _hostile_session(tmp_path: Path, case: str) -> Path:
    path = tmp_path / "hostile.json"
    if case == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("this system has no named pipes")
        os.mkfifo(path)
        return path
    if case == "nul":
        return tmp_path / "host\x00ile.json"
    text = json.dumps(load_example("regression").to_dict(), indent=2)
    weights = '"weights": [\n          [\n            0.1'
    assert weights in text
    text = {
        "5,001 digits": lambda: text.replace(weights, weights[:-3] + "9" * 5001, 1),
        "10**400": lambda: text.replace(weights, weights[:-3] + str(10 ** 400), 1),
        "1e400": lambda: text.replace(weights, weights[:-3] + "1e400", 1),
        "surrogate": lambda: text.replace('"title": "', '"title": "\\ud800', 1),
    }[case]()
    path.write_text(text, encoding="utf-8")
    return path


HOSTILE_SESSIONS = {
    "fifo": "cannot read hostile.json: it is a named pipe (FIFO), not a session file",
    "nul": "a file name cannot contain a NUL character",
    "5,001 digits": "network.layers[0].weights[0][0]: a number of 5,001 digits is too large to represent",
    "10**400": "network.layers[0].weights[0][0]: a number of 401 digits is too large to represent",
    "1e400": "network.layers[0].weights[0][0]: 1e400 is too large to represent",
    "surrogate": "title: the text holds an unpaired surrogate (U+D800), which is not a character",
}


@pytest.mark.parametrize("case", HOSTILE_SESSIONS)
def test_a_hostile_session_file_is_refused_by_the_window_with_the_state_unchanged(window, dialogs, tmp_path, case):
    path = _hostile_session(tmp_path, case)
    window.document.edit_parameter("w111", 0.5)
    before = snapshot(window.document)
    assert not window.open_path(str(path), asked=True)
    (message,) = dialogs.texts("warning")
    assert HOSTILE_SESSIONS[case] in message
    assert snapshot(window.document) == before and window.document.path is None


@pytest.mark.parametrize("case", HOSTILE_SESSIONS)
@pytest.mark.parametrize("command", ["train", "trace"])
def test_a_hostile_session_file_is_one_line_on_the_command_line(capsys, tmp_path, case, command):
    path = _hostile_session(tmp_path, case)
    assert cli.main([command, "--session", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    (line,) = captured.err.strip().splitlines()
    reason = ("session file cannot contain a NUL character" if case == "nul" else HOSTILE_SESSIONS[case])
    assert line.startswith("backprop-sim: error:") and reason in line


def test_the_app_started_on_a_fifo_says_so_at_once(capsys, tmp_path):
    path = _hostile_session(tmp_path, "fifo")
    assert cli.main([str(path)]) == 2
    assert HOSTILE_SESSIONS["fifo"] in capsys.readouterr().err


@pytest.mark.parametrize("case", ["fifo", "nul"])
def test_a_csv_that_is_a_fifo_or_has_a_nul_in_its_name_is_refused_by_import(qtbot, window, tmp_path, case):
    if case == "fifo":
        path = _hostile_session(tmp_path, "fifo").rename(tmp_path / "data.csv")
        reason = "cannot read data.csv: it is a named pipe (FIFO), not a CSV file"
    else:
        path, reason = tmp_path / "da\x00ta.csv", "a file name cannot contain a NUL character"
    before = snapshot(window.document)
    dialog = window.dataset_panel.import_csv(path)
    qtbot.addWidget(dialog)
    assert reason in dialog.error_text()
    dialog.accept()
    assert snapshot(window.document) == before


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_saving_through_a_symbolic_link_keeps_the_link(window, tmp_path):
    (tmp_path / "real").mkdir()
    target, link = tmp_path / "real" / "work.json", tmp_path / "work.json"
    load_example("xor").save(target)
    link.symlink_to(target)
    assert window.open_path(str(link), asked=True)
    window.document.edit_parameter("w111", 0.5)
    assert window.save_to(str(link))
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load(target).network.get("w111") == 0.5
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "real") == []


def test_a_save_of_text_that_cannot_be_encoded_says_so_and_writes_nothing(window, dialogs, tmp_path):
    path = tmp_path / "work.json"
    assert window.save_to(str(path))
    before = path.read_bytes()
    window.document.session.title = "lone \ud800 half"     # no editor types one; a save must still not half-write
    window.document.edit_parameter("w111", 0.5)
    assert not window.save_to(str(path))
    (message,) = dialogs.texts("critical")
    assert "unpaired surrogate (U+D800)" in message and "work.json" in message
    assert path.read_bytes() == before and leftovers(tmp_path) == [] and window.document.modified


def test_an_autosave_that_cannot_encode_says_so_once_and_leaves_no_temporary_file(qtbot, window, tmp_path):
    folder = tmp_path / "data"
    saver = Autosaver(window.document, folder / "recovery.json", interval_ms=10, parent=window)
    messages = []
    saver.message.connect(messages.append)
    window.document.session.title = "lone \udfff half"
    window.document.edit_parameter("w111", 0.25)
    assert not saver.autosave() and not saver.autosave()
    assert len(messages) == 1 and "unpaired surrogate (U+DFFF)" in messages[0]
    assert not (folder / "recovery.json").exists() and leftovers(folder) == []


def test_an_autosave_path_with_a_nul_is_a_message(window, tmp_path):
    saver = Autosaver(window.document, tmp_path / "da\x00ta" / "recovery.json", parent=window)
    messages = []
    saver.message.connect(messages.append)
    window.document.edit_parameter("w111", 0.25)
    assert not saver.autosave()
    assert len(messages) == 1 and "a file name cannot contain a NUL character" in messages[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["train", "--example", "xor", "--save", "out\x00.json"],
                                  ["trace", "--example", "xor", "--html", "out\x00.html"], ["wo\x00rk.json"]])
def test_a_nul_in_a_file_name_on_the_command_line_is_a_usage_error(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert "cannot contain a NUL character" in line and "Traceback" not in captured.err
    assert list(tmp_path.iterdir()) == []


def test_saving_to_a_name_with_a_nul_from_the_window_says_so(window, dialogs, tmp_path):
    window.document.edit_parameter("w111", 0.5)
    assert not window.save_to(str(tmp_path / "wo\x00rk.json"))
    (message,) = dialogs.texts("critical")
    assert "a file name cannot contain a NUL character" in message
    assert window.document.modified and window.document.path is None and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_saving_over_something_that_is_not_a_file_is_refused_and_leaves_it(tmp_path, capsys, kind):
    """Reading refuses non-regular files; so does writing: a FIFO or a device node (as root, even
    /dev/null) would otherwise be replaced by a regular file."""
    from simulator import cli
    from simulator.errors import SessionError
    target = tmp_path / "target"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    session = load_example("regression")
    with pytest.raises(SessionError, match="cannot save over target: it is .*, not a file"):
        session.save(target)
    assert cli.main(["train", "--example", "regression", "--epochs", "1", "--save", str(target)]) == 2
    assert "not a file" in capsys.readouterr().err
    assert (stat.S_ISFIFO if kind == "fifo" else stat.S_ISDIR)(os.lstat(target).st_mode)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["target"]      # no temporary file left
