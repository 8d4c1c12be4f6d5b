"""File ▸ Export ▸ Training as PyTorch / Keras Script…: the session's training as a script to run."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from simulator.errors import SimulatorError
from simulator.export_script import write_script

NAMES = {"pytorch": "PyTorch", "keras": "Keras"}


def export_training_script(window, framework: str) -> None:
    """Ask for a .py file and write the `framework` script of the session as shown (what Save writes:
    the parameters trained so far, the data and the settings)."""
    window.controller.pause()
    document = window.document
    stem = (document.path.stem if document.path else "network").replace("-", "_")
    start = str(Path(window._last_folder()) / f"{stem}_{framework}.py")
    path, _chosen = QFileDialog.getSaveFileName(window, f"Export Training as {NAMES[framework]} Script", start,
                                                "Python script (*.py)")
    if not path:
        return
    if not Path(path).suffix:
        path += ".py"
    try:
        write_script(document.run.current_session(), path, framework)
    except SimulatorError as error:
        QMessageBox.critical(window, "Backprop Simulator", f"Could not export the {NAMES[framework]} script:\n{error}")
        return
    window.show_message(f"Exported the training as a {NAMES[framework]} script to {path}")
