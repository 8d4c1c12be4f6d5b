"""The `backprop-sim` script, `python -m ui` and `main.py`: the desktop app without a command, and the
engine's command line (train, trace, examples) with one.

Nothing from Qt is imported until the app is opened, so the commands start quickly and work where
PySide6 or a display is missing.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Sequence

from simulator import cli


def open_app(session_path: str | None, example: str | None) -> int:
    """Open the desktop app on a checked session file or example; one line and status 1 if it cannot start."""
    try:
        from ui.app import run_gui
        if importlib.util.find_spec("PySide6") is None:
            raise ImportError("PySide6 is not installed")
        code = run_gui(session_path=session_path, example=example)
    except ImportError as error:
        print(f"{cli.PROG}: the desktop app cannot start ({error}); the commands {', '.join(cli.COMMANDS)} "
              "work without it", file=sys.stderr)
        return 1
    return 0 if code is None else int(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `backprop-sim ARGS`; returns the exit status (see docs/cli.md)."""
    return cli.main(argv, open_app=open_app)
