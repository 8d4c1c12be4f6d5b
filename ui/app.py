"""Starting the desktop app: check that Qt can open a window, then show the main window.

Only the standard library is imported at module level: the platform check must run before Qt's
GUI libraries are loaded, because a missing system library would otherwise abort the process.
"""

from __future__ import annotations

import ctypes
import datetime
import os
import sys
import traceback
from pathlib import Path
from typing import Callable, Mapping

PROG = "backprop-sim"
APP_NAME = "Backprop Simulator"
ORGANISATION = "Backprop Simulator"
QUIT_AFTER_ENV = "BACKPROP_SIM_QUIT_AFTER_MS"

#: System libraries every Qt GUI platform needs, with the Debian/Ubuntu package providing each.
GUI_LIBRARIES = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
#: The extra libraries of Qt's X11 (xcb) platform plugin.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11-xcb.so.1": "libx11-xcb1",
}


def library_loads(soname: str) -> bool:
    """True when the dynamic loader can load the shared library `soname`."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def _uses_xcb(env: Mapping[str, str]) -> bool:
    """Whether Qt will pick its X11 platform: asked for, or the default outside a Wayland session."""
    platforms = [name.strip() for name in env.get("QT_QPA_PLATFORM", "").split(";") if name.strip()]
    if platforms:
        return platforms[0] == "xcb"
    wayland_session = bool(env.get("WAYLAND_DISPLAY")) and (
        env.get("XDG_SESSION_TYPE") == "wayland" or not env.get("DISPLAY"))
    return not wayland_session


def platform_problem(env: Mapping[str, str], system: str,
                     loads: Callable[[str], bool] = library_loads) -> str | None:
    """One line saying why Qt cannot open a window here, or None when it can (Linux checks only)."""
    if not system.startswith("linux"):
        return None
    needed = dict(GUI_LIBRARIES)
    if _uses_xcb(env):
        if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
            return ("no display found: DISPLAY and WAYLAND_DISPLAY are not set. Run the app in a desktop "
                    "session (or set QT_QPA_PLATFORM=offscreen for a headless test); the commands "
                    "train, trace and examples work without a display")
        needed.update(XCB_LIBRARIES)
    missing = [soname for soname in needed if not loads(soname)]
    if not missing:
        return None
    packages = " ".join(dict.fromkeys(needed[soname] for soname in missing))
    return (f"the desktop app needs system libraries that are missing ({', '.join(missing)}); "
            f"install them with: sudo apt install {packages}")


# -- uncaught exceptions -------------------------------------------------------------------------
def crash_log_path() -> Path:
    """The log of uncaught exceptions in the user's data folder."""
    from PySide6.QtCore import QStandardPaths

    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder) / "errors.log"


def log_exception(details: str, path: Path) -> str | None:
    """Append `details` to the log at `path`; returns why it could not be written, or None."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as stream:
            stream.write(f"--- {datetime.datetime.now().isoformat(timespec='seconds')}\n{details}\n")
    except OSError as error:
        return f"could not write {path}: {error.strerror or error}"
    return None


_dialog_open = False


def show_exception(exc_type, exc_value, exc_traceback) -> None:
    """The excepthook: log the error, show it with copyable details, and keep the app running."""
    global _dialog_open
    details = "".join(traceback.format_exception(exc_type, exc_value, exc_traceback))
    sys.stderr.write(details)
    from PySide6.QtWidgets import QApplication, QMessageBox

    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    log = crash_log_path()
    problem = log_exception(details, log)
    if _dialog_open:  # an error repeating on every timer tick must not stack up dialogs
        return
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, f"Something went wrong: {exc_value or exc_type.__name__}",
                      QMessageBox.StandardButton.Ok, QApplication.activeWindow())
    box.setInformativeText("The app keeps running; your work is still open. "
                           + (problem or f"Details were saved to {log}."))
    box.setDetailedText(details)
    _dialog_open = True
    try:
        box.exec()
    finally:
        _dialog_open = False


# -- starting ------------------------------------------------------------------------------------
def _open_document(session_path: str | None, example: str | None):
    """The Document to show first and, if the file could not be opened, why (shown after start)."""
    from simulator.errors import SimulatorError
    from simulator.examples import DEFAULT_EXAMPLE, load_example
    from simulator.session import load

    from .document import Document

    try:
        if session_path:
            return Document(load(session_path), path=session_path), None
        if example:
            return Document(load_example(example)), None
    except SimulatorError as error:
        name = Path(session_path).name if session_path else example
        return Document(load_example(DEFAULT_EXAMPLE)), f"Could not open {name}: {error}"
    return Document(load_example(DEFAULT_EXAMPLE)), None


def run_gui(session_path: str | None = None, example: str | None = None) -> int:
    """Open the main window on `session_path`, the example `example`, or the regression example."""
    problem = platform_problem(os.environ, sys.platform)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 1
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon, QPixmap
    from PySide6.QtWidgets import QApplication, QMessageBox

    from .autosave import Autosaver, interval_from_env, offer_orphaned_recoveries, recovery_path
    from .learn.tour import show_on_first_start
    from .main_window import MainWindow
    from .resources import icon_svg

    QApplication.setApplicationName(APP_NAME)
    QApplication.setOrganizationName(ORGANISATION)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationDisplayName(APP_NAME)
    icon = QPixmap()
    if icon.loadFromData(icon_svg(), "SVG"):   # without Qt's SVG plugin the window keeps the default icon
        app.setWindowIcon(QIcon(icon))
    document, error = _open_document(session_path, example)
    window = MainWindow(document)
    window.show()
    QTimer.singleShot(0, lambda: show_on_first_start(window))   # the guided tour, on the very first start
    autosaver = Autosaver(window.document, recovery_path(), interval_from_env(), window)
    autosaver.message.connect(window.show_message)

    def after_start() -> None:
        if error:
            QMessageBox.warning(window, APP_NAME, error + "\n\nShowing the default example.")
        offer_orphaned_recoveries(window.document, autosaver.path, window)   # only copies no longer running
        autosaver.start()

    QTimer.singleShot(0, after_start)
    app.aboutToQuit.connect(autosaver.discard)   # a normal exit: our own recovery file is not needed
    quit_after = os.environ.get(QUIT_AFTER_ENV, "").strip()
    if quit_after:
        QTimer.singleShot(int(quit_after), app.quit)
    previous_hook = sys.excepthook
    sys.excepthook = show_exception
    try:
        return app.exec()
    finally:
        sys.excepthook = previous_hook
