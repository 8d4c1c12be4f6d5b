"""Shared test set-up: Qt runs offscreen, settings and data folders are throw-away, dialogs never block."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402

from simulator.examples import load_example  # noqa: E402

# Tests never read or write the user's real settings or data folder.
QCoreApplication.setOrganizationName("Backprop Simulator Tests")
QCoreApplication.setApplicationName("Backprop Simulator Tests")
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QStandardPaths.setTestModeEnabled(True)


def pytest_configure(config):
    # The offscreen platform cannot pass size limits on to a window system and says so; it is not an error.
    config.addinivalue_line("qt_log_ignore", "This plugin does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory):
    """Each test starts with empty QSettings in a temporary folder."""
    folder = str(tmp_path_factory.mktemp("settings"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.SystemScope, folder)
    QSettings().clear()
    yield folder
    QSettings().clear()


class DialogRecorder:
    """Stands in for QMessageBox's and QFileDialog's static functions, which would block a test."""

    def __init__(self):
        self.shown: list[tuple[str, str]] = []          # (kind, text) of every message box
        self.answer = QMessageBox.StandardButton.Discard  # what `question` answers
        self.open_paths: list[str] = []                  # answers of getOpenFileName, in order
        self.save_paths: list[str] = []                  # answers of getSaveFileName, in order

    def message(self, kind: str):
        def show(parent, title, text, *args, **kwargs):
            self.shown.append((kind, text))
            return self.answer if kind == "question" else QMessageBox.StandardButton.Ok
        return show

    def texts(self, kind: str | None = None) -> list[str]:
        return [text for shown_kind, text in self.shown if kind in (None, shown_kind)]

    def open_file(self, *args, **kwargs):
        return (self.open_paths.pop(0) if self.open_paths else "", "")

    def save_file(self, *args, **kwargs):
        return (self.save_paths.pop(0) if self.save_paths else "", "")


@pytest.fixture(autouse=True)
def dialogs(monkeypatch) -> DialogRecorder:
    """Message boxes are recorded (questions answered with `dialogs.answer`); file dialogs return queued paths."""
    recorder = DialogRecorder()
    for kind in ("question", "warning", "critical", "information", "about"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(recorder.message(kind)))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(recorder.open_file))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(recorder.save_file))
    return recorder


@pytest.fixture
def document(qapp):
    """A Document on the regression example."""
    from ui.document import Document

    return Document(load_example("regression"))


@pytest.fixture
def window(qtbot, document):
    """The real main window on the regression example, shown and active."""
    from ui.main_window import MainWindow

    main_window = MainWindow(document)
    qtbot.addWidget(main_window)
    main_window.show()
    qtbot.waitExposed(main_window)
    main_window.activateWindow()
    qtbot.waitUntil(main_window.isActiveWindow)
    return main_window
