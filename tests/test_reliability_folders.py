"""Folders and files that are not there or cannot be written: a message on every file surface, never a crash.

One table per surface — Save, Open, every Export, CSV import, recent files, the crash log — against the
same places: a folder that does not exist, a file standing where a folder should be, a read-only folder,
and (for reading) a file that cannot be read. Each case checks the message names the file and says why,
the document is exactly as it was, and no file or temporary file was left behind.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from simulator.examples import load_example
from ui import app
from ui.autosave import Autosaver

from helpers import snapshot


def _can_write_in(folder: Path) -> bool:
    try:
        handle, name = tempfile.mkstemp(dir=folder)
    except OSError:
        return False
    os.close(handle)
    os.unlink(name)
    return True


@pytest.fixture
def read_only(tmp_path):
    """A folder nobody may write in: mode 0555, or sysfs when the tests run as root (root ignores modes)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    chosen = folder if not _can_write_in(folder) else Path("/sys")
    if _can_write_in(chosen):
        pytest.fail("no read-only folder to test with")
    yield chosen
    folder.chmod(0o755)


PLACES = {
    "missing folder": lambda tmp, ro: tmp / "missing" / "deeper",
    "file as folder": lambda tmp, ro: tmp / "a-file",
    "read-only folder": lambda tmp, ro: ro,
}


def _place(tmp_path, read_only, where: str) -> Path:
    (tmp_path / "a-file").write_text("a file, not a folder", encoding="utf-8")
    return PLACES[where](tmp_path, read_only)


def written_files(folder: Path, name: str) -> list[str]:
    """Whatever a failed write left in `folder` under `name` (the file or a temporary file of it)."""
    if not folder.is_dir():
        return []
    return sorted(path.name for path in folder.iterdir() if path.name == name or path.name.startswith(f".{name}."))


# -- Save and Save As ------------------------------------------------------------------------------
@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("how", ["save_to", "save_as", "save"])
def test_saving_into_a_folder_it_cannot_write_gives_a_message(window, dialogs, tmp_path, read_only, where, how):
    folder = _place(tmp_path, read_only, where)
    path = folder / "work.json"
    doc = window.document
    doc.edit_parameter("w111", 0.5)
    before = snapshot(doc)
    if how == "save_to":
        assert not window.save_to(str(path))
    elif how == "save_as":
        dialogs.save_paths.append(str(path))
        window.window_actions.save_as.trigger()
    else:                                             # Save on a document whose file's folder has gone away
        doc.path = path
        before = snapshot(doc)
        window.window_actions.save.trigger()
    (message,) = dialogs.texts("critical")
    assert "Could not save work.json" in message and ("cannot write in" in message or "cannot save" in message)
    assert any(reason in message for reason in ("No such file", "Not a directory", "Permission denied",
                                                "Read-only file system"))
    assert snapshot(doc) == before and doc.modified and window.isWindowModified()
    assert written_files(folder, "work.json") == []
    assert window.recent_files() == []


def test_a_failed_save_on_close_keeps_the_window_open(window, dialogs, tmp_path):
    window.document.edit_parameter("w111", 0.5)
    window.document.path = tmp_path / "gone" / "work.json"
    dialogs.answer = QMessageBox.StandardButton.Save
    assert not window.close()
    assert window.isVisible() and window.document.modified
    assert "Could not save work.json" in dialogs.texts("critical")[0]


# -- Open ------------------------------------------------------------------------------------------
def _refuse_reading(path: Path, monkeypatch) -> Path:
    """Make `path`'s bytes unreadable, as a file without read permission behaves (even for root)."""
    real = os.open

    def refuse(file, *args, **kwargs):
        if os.fspath(file) == os.fspath(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    return path


def _unreadable(tmp_path, monkeypatch) -> Path:
    """A session file whose bytes cannot be read."""
    path = tmp_path / "locked.json"
    load_example("xor").save(path)
    return _refuse_reading(path, monkeypatch)


OPEN_CASES = {
    "missing folder": (lambda tmp, mp: tmp / "missing" / "work.json", "No such file or directory"),
    "file as folder": (lambda tmp, mp: tmp / "a-file" / "work.json", "Not a directory"),
    "missing file": (lambda tmp, mp: tmp / "work.json", "No such file or directory"),
    "folder as file": (lambda tmp, mp: (tmp / "work.json").mkdir() or tmp / "work.json", "it is a folder"),
    "unreadable file": (_unreadable, "Permission denied"),
}


@pytest.mark.parametrize("case", OPEN_CASES)
@pytest.mark.parametrize("how", ["open_path", "open_dialog"])
def test_opening_what_cannot_be_read_gives_a_message(window, dialogs, tmp_path, monkeypatch, case, how):
    (tmp_path / "a-file").write_text("a file, not a folder", encoding="utf-8")
    make, reason = OPEN_CASES[case]
    path = make(tmp_path, monkeypatch)
    doc = window.document
    doc.edit_parameter("w111", 0.5)
    before = snapshot(doc)
    if how == "open_path":
        assert not window.open_path(str(path), asked=True)
    else:
        dialogs.answer = QMessageBox.StandardButton.Discard
        dialogs.open_paths.append(str(path))
        window.window_actions.open.trigger()
    (message,) = dialogs.texts("warning")
    assert f"Could not open {path.name}" in message and "cannot read" in message and reason in message
    assert snapshot(doc) == before and window.recent_files() == []


# -- recent files ----------------------------------------------------------------------------------
RECENT_CASES = {
    "file deleted": lambda path: path.unlink(),
    "folder deleted": lambda path: (path.unlink(), path.parent.rmdir()),
    "folder renamed": lambda path: path.parent.rename(path.parent.with_name("renamed")),
    "a folder now": lambda path: (path.unlink(), path.mkdir()),
}


@pytest.mark.parametrize("case", RECENT_CASES)
def test_a_recent_file_that_no_longer_exists_is_reported_and_forgotten(window, dialogs, tmp_path, case):
    keep, gone = tmp_path / "keep.json", tmp_path / "sub" / "gone.json"
    gone.parent.mkdir()
    for path in (keep, gone):
        assert window.save_to(str(path))
    RECENT_CASES[case](gone)
    window.document.edit_parameter("w111", 0.5)
    before = snapshot(window.document)
    menu = window.window_actions.recent_menu
    menu.aboutToShow.emit()
    assert [action.text() for action in menu.actions()] == ["&1 gone.json", "&2 keep.json"]
    menu.actions()[0].trigger()
    (message,) = dialogs.texts("warning")
    assert str(gone.resolve()) in message and "no longer exists" in message
    assert window.recent_files() == [str(keep.resolve())]
    assert snapshot(window.document) == before
    menu.aboutToShow.emit()
    assert [action.text() for action in menu.actions()] == ["&1 keep.json"]


def test_a_recent_file_that_became_unreadable_keeps_the_document(window, dialogs, tmp_path):
    path = tmp_path / "spoilt.json"
    assert window.save_to(str(path))
    path.write_bytes(b"\x00" * 32)
    window.document.edit_parameter("w111", 0.5)
    before = snapshot(window.document)
    dialogs.answer = QMessageBox.StandardButton.Discard
    window.open_recent(str(path.resolve()))
    (message,) = dialogs.texts("warning")
    assert "Could not open spoilt.json" in message and "not valid JSON" in message
    assert snapshot(window.document) == before


# -- exports ---------------------------------------------------------------------------------------
EXPORTS = [("export_plot_png", "png"), ("export_plot_csv", "csv"), ("export_graph_png", "png"),
           ("export_graph_svg", "svg"), ("export_worked_step", "html"), ("export_worked_epoch", "md")]


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("action, suffix", EXPORTS)
def test_exporting_into_a_folder_it_cannot_write_gives_a_message(window, dialogs, tmp_path, read_only, where,
                                                                 action, suffix):
    folder = _place(tmp_path, read_only, where)
    path = folder / f"out.{suffix}"
    window.controller.step("sample")
    doc = window.document
    before = snapshot(doc)
    dialogs.save_paths.append(str(path))
    getattr(window.window_actions, action).trigger()
    (message,) = dialogs.texts("critical")
    assert message.startswith("Could not export") and (f"out.{suffix}" in message or "worked solution" in message)
    assert "Exported" not in window.statusBar().currentMessage()
    assert snapshot(doc) == before
    assert written_files(folder, f"out.{suffix}") == []


# -- CSV import ------------------------------------------------------------------------------------
def _unreadable_csv(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "data.csv"
    path.write_text("a,b,y\n1,2,3\n", encoding="utf-8")
    return _refuse_reading(path, monkeypatch)


CSV_PLACES = {
    "missing folder": (lambda tmp, mp: tmp / "missing" / "data.csv", "No such file or directory"),
    "file as folder": (lambda tmp, mp: tmp / "a-file" / "data.csv", "Not a directory"),
    "folder as file": (lambda tmp, mp: (tmp / "data.csv").mkdir() or tmp / "data.csv", "it is a folder"),
    "unreadable file": (_unreadable_csv, "Permission denied"),
}


@pytest.mark.parametrize("case", CSV_PLACES)
@pytest.mark.parametrize("how", ["menu", "browse"])
def test_importing_a_csv_that_cannot_be_read_gives_a_message(qtbot, window, dialogs, tmp_path, monkeypatch,
                                                             case, how):
    (tmp_path / "a-file").write_text("a file, not a folder", encoding="utf-8")
    make, reason = CSV_PLACES[case]
    path = make(tmp_path, monkeypatch)
    doc = window.document
    before = snapshot(doc)
    panel = window.dataset_panel
    if how == "menu":
        dialogs.open_paths.append(str(path))
        window.window_actions.import_csv.trigger()
        dialog = panel.import_dialog
    else:                                             # a good file first, then Browse… to the bad one
        good = tmp_path / "good.csv"
        good.write_text("p,q,r\n1,2,3\n", encoding="utf-8")
        dialog = panel.import_csv(good)
        dialogs.open_paths.append(str(path))
        dialog.browse()
    qtbot.addWidget(dialog)
    text = dialog.error_text()
    assert f"cannot read {path.name}" in text and reason in text and text.count(path.name) == 1
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.accept()
    assert snapshot(doc) == before


# -- the crash log and the recovery file -----------------------------------------------------------
# Both live in the user's data folder, which is created when it is missing; the other places refuse.
UNWRITABLE = ["file as folder", "read-only folder"]


def test_a_missing_data_folder_is_created_for_the_crash_log_and_the_recovery_file(window, tmp_path):
    log, recovery = tmp_path / "new" / "errors.log", tmp_path / "other" / "deeper" / "recovery.json"
    assert app.log_exception("Traceback: boom", log) is None and "boom" in log.read_text(encoding="utf-8")
    saver = Autosaver(window.document, recovery, parent=window)
    window.document.edit_parameter("w111", 0.25)
    assert saver.autosave() and recovery.is_file()


@pytest.mark.parametrize("where", UNWRITABLE)
def test_a_crash_log_that_cannot_be_written_is_said_in_the_crash_dialog(qtbot, window, tmp_path, read_only,
                                                                       monkeypatch, where):
    log = _place(tmp_path, read_only, where) / "errors.log"
    monkeypatch.setattr(app, "crash_log_path", lambda: log)
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.informativeText()) or 0)
    try:
        raise ValueError("boom")
    except ValueError as error:
        app.show_exception(type(error), error, error.__traceback__)
    (info,) = shown
    assert "keeps running" in info and f"could not write {log}" in info
    assert not log.exists() and window.isVisible()


@pytest.mark.parametrize("where", UNWRITABLE)
def test_autosave_into_a_folder_it_cannot_write_says_so(qtbot, window, tmp_path, read_only, where):
    path = _place(tmp_path, read_only, where) / "recovery.json"
    saver = Autosaver(window.document, path, parent=window)
    messages = []
    saver.message.connect(messages.append)
    window.document.edit_parameter("w111", 0.25)
    before = snapshot(window.document)
    assert not saver.autosave()
    (message,) = messages
    assert message.startswith("Autosave failed: cannot write") and str(path.parent) in message
    assert snapshot(window.document) == before and not path.exists()
