"""Starting the real app: the entry point in a subprocess, and the check that Qt can open a window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ui.app import GUI_LIBRARIES, XCB_LIBRARIES, log_exception, platform_problem

ROOT = Path(__file__).resolve().parent.parent


def run_main(*args: str, quit_after_ms: int | None = 1000, tmp_path: Path | None = None) -> subprocess.CompletedProcess:
    """`python main.py ARGS` offscreen, with throw-away settings and data folders."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if tmp_path is not None:
        env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
                   XDG_DATA_HOME=str(tmp_path / "data"), XDG_RUNTIME_DIR=str(tmp_path))
        os.chmod(tmp_path, 0o700)
    if quit_after_ms is not None:
        env["BACKPROP_SIM_QUIT_AFTER_MS"] = str(quit_after_ms)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_app_starts_and_quits_cleanly(tmp_path):
    result = run_main(tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "config" / "Backprop Simulator" / "Backprop Simulator.conf").is_file()


def test_app_opens_an_example(tmp_path):
    result = run_main("--example", "xor", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_example_is_one_clear_line(tmp_path):
    result = run_main("--example", "nonexistent", quit_after_ms=None, tmp_path=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "nonexistent" in lines[0] and "regression" in lines[0]


def test_missing_file_is_one_clear_line(tmp_path):
    result = run_main(str(tmp_path / "missing.json"), quit_after_ms=None, tmp_path=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "missing.json" in result.stderr


def test_no_display_is_reported_before_qt_starts(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "no display found" in result.stderr


# -- the decision, with the environment and the loader injected -----------------------------------
def loads_all_but(*missing: str):
    return lambda soname: soname not in missing


@pytest.mark.parametrize("env", [{"DISPLAY": ":0"}, {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":1"},
                                 {"WAYLAND_DISPLAY": "wayland-0"}, {"QT_QPA_PLATFORM": "offscreen"}])
def test_nothing_missing_is_no_problem(env):
    assert platform_problem(env, "linux", loads_all_but()) is None


@pytest.mark.parametrize("env", [{}, {"QT_QPA_PLATFORM": "xcb"}, {"QT_QPA_PLATFORM": "xcb;wayland"}])
def test_no_display(env):
    problem = platform_problem(env, "linux", loads_all_but())
    assert problem.startswith("no display found:")
    assert "\n" not in problem


def test_missing_xcb_libraries_name_the_packages():
    problem = platform_problem({"DISPLAY": ":0"}, "linux", loads_all_but("libxcb-cursor.so.0", "libxcb-icccm.so.4"))
    assert "libxcb-cursor.so.0" in problem and "libxcb-icccm.so.4" in problem
    assert problem.endswith("sudo apt install libxcb-cursor0 libxcb-icccm4")
    assert "\n" not in problem


def test_missing_gui_library_is_reported_on_every_platform():
    problem = platform_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", loads_all_but("libGL.so.1"))
    assert problem.endswith("sudo apt install libgl1")


def test_xcb_libraries_do_not_matter_off_x11():
    missing = loads_all_but(*XCB_LIBRARIES)
    assert platform_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", missing) is None
    assert platform_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", missing) is None
    assert platform_problem({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"},
                            "linux", missing) is None
    assert "libxcb-cursor0" in platform_problem({"WAYLAND_DISPLAY": "w", "DISPLAY": ":0"}, "linux", missing)


def test_other_systems_are_not_checked():
    def never(soname):
        raise AssertionError(f"looked up {soname}")
    assert platform_problem({}, "win32", never) is None
    assert platform_problem({}, "darwin", never) is None


def test_every_library_has_a_package():
    assert all(package for package in {**GUI_LIBRARIES, **XCB_LIBRARIES}.values())


def test_exception_log_appends(tmp_path):
    log = tmp_path / "folder" / "errors.log"
    assert log_exception("first", log) is None
    assert log_exception("second", log) is None
    text = log.read_text(encoding="utf-8")
    assert text.index("first") < text.index("second")


def test_exception_log_failure_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    problem = log_exception("details", blocker / "errors.log")
    assert problem is not None and "could not write" in problem


def test_uncaught_exception_is_shown_logged_and_survived(qtbot, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from ui import app

    monkeypatch.setenv("HOME", str(tmp_path))
    assert app.crash_log_path().is_relative_to(tmp_path)
    shown = []

    def exec_(box):   # while the dialog is open the same error comes again, as from a timer
        shown.append((box.text(), box.detailedText()))
        app.show_exception(type(error), error, error.__traceback__)
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    error = ZeroDivisionError("a slot divided by zero")
    try:
        raise error
    except ZeroDivisionError:
        app.show_exception(type(error), error, error.__traceback__)
    assert len(shown) == 1
    text, details = shown[0]
    assert "a slot divided by zero" in text
    assert "Traceback" in details and "ZeroDivisionError" in details
    assert app.crash_log_path().read_text(encoding="utf-8").count("a slot divided by zero") == 2
