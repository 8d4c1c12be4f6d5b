"""File ▸ Export ▸ Worked Solution: the complete calculation of this step or epoch, as HTML or Markdown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from simulator.errors import SimulatorError
from simulator.worked import context_lines, epoch_records, step_records, worked_html, worked_markdown

HTML_FILTER = "HTML page (*.html)"
MARKDOWN_FILTER = "Markdown (*.md)"
SCOPES = {"step": "this step", "epoch": "this epoch"}


def worked_title(document, records) -> str:
    first, last = records[0], records[-1]
    samples = f"sample {first.sample}" if first.sample == last.sample else f"samples {first.sample}–{last.sample}"
    epochs = f"epoch {first.epoch}" if first.epoch == last.epoch else f"epochs {first.epoch}–{last.epoch}"
    return f"Worked solution: {document.title}, {epochs}, {samples}"


def worked_text(document, scope: str, markdown: bool) -> str:
    """The worked solution of the current step (`step`) or the rest of its epoch (`epoch`), at the
    document's precision; raises SimulatorError when there is nothing to write. Training is unchanged."""
    stepper = document.stepper
    records = step_records(stepper) if scope == "step" else epoch_records(stepper)
    title = worked_title(document, records)
    context = context_lines(document.training, document.digits)
    write = worked_markdown if markdown else worked_html
    return write(records, title, context, document.digits)


def export_worked_solution(window, scope: str) -> None:
    """Ask for a file (.html or .md) and write the worked solution of `scope` (`step` or `epoch`) to it."""
    window.controller.pause()
    document = window.document
    stem = document.path.stem if document.path else "network"
    start = str(Path(window._last_folder()) / f"{stem}-worked-{scope}.html")
    path, chosen = QFileDialog.getSaveFileName(window, f"Export Worked Solution of {SCOPES[scope].capitalize()}",
                                               start, f"{HTML_FILTER};;{MARKDOWN_FILTER}")
    if not path:
        return
    if not Path(path).suffix:
        path += ".md" if chosen == MARKDOWN_FILTER else ".html"
    markdown = Path(path).suffix.lower() in (".md", ".markdown")
    try:
        text = worked_text(document, scope, markdown)
        Path(path).write_text(text, encoding="utf-8")
    except (SimulatorError, OSError) as error:
        QMessageBox.critical(window, "Backprop Simulator", f"Could not export the worked solution:\n{error}")
        return
    window.show_message(f"Exported the worked solution of {SCOPES[scope]} to {path}")
