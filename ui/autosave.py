"""Autosave: the working session is copied to a recovery file while it has unsaved changes.

The file is written atomically every `interval_ms` (30 s by default) when something changed, and
removed when the session is saved, its changes are discarded, or the app exits normally. A recovery
file found at start-up therefore means a run ended abnormally; the user is offered its content.

Each running copy of the app has its own recovery file, `recovery-<process id>.json`, guarded by a
lock file `recovery-<process id>.lock` (a QLockFile) that the copy holds while the recovery file
exists. At start-up only files whose lock is not held by a running copy are offered: a lock held
means another copy is still working on that session; a lock left by a copy that crashed is stale.
A copy removes only its own recovery file.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from simulator.errors import SessionError, SimulatorError
from simulator.files import check_path, read_regular_file
from simulator.session import MAX_SESSION_BYTES, from_dict, parse_json, write_atomically

from .document import Change, Document

INTERVAL_ENV = "BACKPROP_SIM_AUTOSAVE_MS"
DEFAULT_INTERVAL_MS = 30_000
RECOVERY_FORMAT = "backprop-sim-recovery/1"
RECOVERY_GLOB = "recovery*.json"      # recovery-<pid>.json, and recovery.json from versions before the locks


def recovery_folder() -> Path:
    """The user's data folder, where recovery files are kept."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def recovery_path(copy_id: int | str | None = None) -> Path:
    """The recovery file of the running copy `copy_id` (this process by default) in the user's data folder."""
    return recovery_folder() / f"recovery-{os.getpid() if copy_id is None else copy_id}.json"


def lock_path(path: Path) -> Path:
    """The lock file a running copy holds while its recovery file `path` exists."""
    return Path(path).with_suffix(".lock")


def _lock(path: Path) -> QLockFile:
    lock = QLockFile(str(lock_path(path)))
    lock.setStaleLockTime(0)   # a copy may run for days: only a lock whose process is gone is stale
    return lock


def orphaned_recoveries(folder: Path, own: Path | None = None) -> list[tuple[Path, QLockFile]]:
    """Recovery files in `folder` whose copy of the app is no longer running, newest first.

    Each comes with its lock, now held by this process so that no other copy offers the same file at
    the same time; release it (`unlock()`) once the file has been dealt with. Files whose lock another
    running copy holds, and `own`, are left alone.
    """
    try:
        candidates = [path for path in Path(folder).glob(RECOVERY_GLOB) if path.is_file()]
    except OSError:
        return []
    found = []
    for path in candidates:
        if own is not None and path == Path(own):
            continue
        lock = _lock(path)
        if lock.tryLock(0):          # free, or stale (its copy crashed): the work is orphaned
            found.append((path, lock))
    def modified(item):
        try:
            return item[0].stat().st_mtime
        except OSError:
            return 0.0
    return sorted(found, key=modified, reverse=True)


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
        self._lock: QLockFile | None = None   # held while our recovery file exists
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
            self._hold_lock()
            write_atomically(self.path, json.dumps(record, allow_nan=False, ensure_ascii=False))
        except (OSError, SimulatorError) as error:
            if not self._failed:   # every 30 s would drown the status bar; say it once
                self.message.emit(f"Autosave failed: cannot write {self.path}: {getattr(error, 'strerror', None) or error}")
            self._failed = True
            if not self.path.exists():
                self._release_lock()
            return False
        self._failed = False
        self._changed = False
        return True

    def discard(self) -> None:
        """Remove this copy's recovery file (after a save, or a normal exit), then its lock."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError as error:
            self.message.emit(f"Could not remove the recovery file {self.path}: {error.strerror or error}")
            return                 # keep the lock: the file is this running copy's, not an orphan
        self._release_lock()

    def _hold_lock(self) -> None:
        if self._lock is not None:
            return
        lock = _lock(self.path)
        if not lock.tryLock(0):
            reason = {QLockFile.LockError.LockFailedError: "another running copy holds its lock"}.get(
                lock.error(), "its lock file cannot be created")
            raise OSError(0, reason)
        self._lock = lock

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None


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


def offer_orphaned_recoveries(document: Document, own: Path, parent: QWidget | None = None) -> bool:
    """Offer, newest first, the recovery files left by copies of the app that are no longer running.

    Stops at the first one restored (the others are offered at the next start); True if one was.
    Files of copies still running, and this copy's own file `own`, are not touched.
    """
    orphans = orphaned_recoveries(Path(own).parent, own)
    restored = False
    for path, lock in orphans:
        try:
            if not restored:
                restored = offer_recovery(document, path, parent)
        finally:
            lock.unlock()
    return restored


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass   # a recovery file that cannot be removed is offered again next time; nothing is lost
