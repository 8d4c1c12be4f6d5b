"""Autosave: the working session is copied to a recovery file while it has unsaved changes.

The file is written atomically every `interval_ms` (30 s by default) when something changed, and
removed when the session is saved, its changes are discarded, or the app exits normally. A recovery
file found at start-up therefore means the last run ended abnormally; the user is offered its content.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from simulator.errors import SessionError, SimulatorError
from simulator.files import check_path, read_regular_file
from simulator.session import MAX_SESSION_BYTES, from_dict, parse_json, write_atomically

from .document import Change, Document

INTERVAL_ENV = "BACKPROP_SIM_AUTOSAVE_MS"
DEFAULT_INTERVAL_MS = 30_000
RECOVERY_NAME = "recovery.json"
RECOVERY_FORMAT = "backprop-sim-recovery/1"


def recovery_path() -> Path:
    """The recovery file in the user's data folder."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder) / RECOVERY_NAME


def interval_from_env(env=os.environ) -> int:
    """The autosave interval in ms: `BACKPROP_SIM_AUTOSAVE_MS` if it is a whole number ≥ 1, else 30 s."""
    try:
        value = int(env.get(INTERVAL_ENV, ""))
    except ValueError:
        return DEFAULT_INTERVAL_MS
    return value if value >= 1 else DEFAULT_INTERVAL_MS


class Autosaver(QObject):
    """Writes `document` to `path` every `interval_ms` while it has unsaved changes."""

    message = Signal(str)     # a problem writing the recovery file, for the status bar (said once)

    def __init__(self, document: Document, path: Path, interval_ms: int = DEFAULT_INTERVAL_MS,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.document, self.path = document, Path(path)
        self._changed = False
        self._failed = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.autosave)
        document.changed.connect(self._document_changed)

    def start(self) -> None:
        self._timer.start()

    def _document_changed(self, change: Change) -> None:
        if change & (Change.PARAMETERS | Change.DATA | Change.SETTINGS | Change.STRUCTURE):
            self._changed = True
        if change & Change.FILE:
            self._file_state_changed()

    def _file_state_changed(self) -> None:
        if self.document.modified:
            self._changed = True
        else:                              # saved, or replaced by another session: nothing to recover
            self._changed = False
            self.discard()

    def autosave(self) -> bool:
        """Write the recovery file if the session changed since the last write; False if that failed."""
        if not self._changed or not self.document.modified:
            return True
        document = self.document
        record = {"format": RECOVERY_FORMAT, "saved": datetime.datetime.now().isoformat(timespec="seconds"),
                  "path": str(document.path) if document.path else None,
                  "session": document.run.current_session().to_dict()}
        try:
            check_path(self.path, SessionError, "write")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, json.dumps(record, allow_nan=False, ensure_ascii=False))
        except (OSError, SimulatorError) as error:
            if not self._failed:   # every 30 s would drown the status bar; say it once
                self.message.emit(f"Autosave failed: cannot write {self.path}: {getattr(error, 'strerror', None) or error}")
            self._failed = True
            return False
        self._failed = False
        self._changed = False
        return True

    def discard(self) -> None:
        """Remove the recovery file (after a save, or a normal exit)."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError as error:
            self.message.emit(f"Could not remove the recovery file {self.path}: {error.strerror or error}")


def read_recovery(path: Path) -> tuple[dict, str]:
    """The recovery record at `path` and a one-line description; raises SimulatorError if unusable."""
    try:
        data = parse_json(read_regular_file(path, MAX_SESSION_BYTES, SessionError, "a recovery file").decode("utf-8"))
    except (SimulatorError, UnicodeDecodeError) as error:
        raise SimulatorError(f"the recovery file cannot be read ({error})") from None
    if not isinstance(data, dict) or data.get("format") != RECOVERY_FORMAT or not isinstance(data.get("session"), dict):
        raise SimulatorError("the recovery file is not in a format this version reads")
    session = from_dict(data["session"])
    title = Path(data["path"]).name if isinstance(data.get("path"), str) else (session.title or "Untitled")
    return data, f"{title}, autosaved {str(data.get('saved', '')).replace('T', ' at ')}"


def offer_recovery(document: Document, path: Path, parent: QWidget | None = None) -> bool:
    """If `path` exists, offer to restore it into `document`; True if restored. The file is removed either way."""
    if not path.is_file():
        return False
    title = "Recover unsaved work"
    try:
        data, description = read_recovery(path)
        session = from_dict(data["session"])
    except SimulatorError as error:
        QMessageBox.warning(parent, title, f"The app did not close normally last time, but its unsaved work "
                            f"cannot be restored: {error}")
        _remove(path)
        return False
    answer = QMessageBox.question(
        parent, title, f"The app did not close normally last time. Restore the unsaved work ({description})?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    restored = answer == QMessageBox.StandardButton.Yes
    if restored:
        document.replace_session(session, data.get("path"))
        document.mark_unsaved()   # restored work is unsaved work: closing asks before losing it
    _remove(path)
    return restored


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass   # a recovery file that cannot be removed is offered again next time; nothing is lost
