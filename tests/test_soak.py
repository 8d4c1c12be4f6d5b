"""Soak: a long scripted session through the real main window keeps memory flat and ends with the engine's numbers.

The script raises the epochs in the settings panel, steps (factor, phase, sample, step out), edits a weight
and a bias in the graph's editor, undoes and redoes, runs to the end at full speed with every view live,
and saves, cycle after cycle. The same operations are then applied headless, to a Document and the engine
with no window, and both must end with exactly the same parameters, loss history, sample losses, position,
undo stack and saved files.

`make test` runs a short variant (SOAK_EPOCHS, 1,000 epochs by default) of the numbers test; the memory
bound is a benchmark, run by `make perf` at that length and by `make soak`, which runs both tests over
100,000 epochs and prints the figures.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from simulator.examples import load_example
from ui.document import Document
from ui.main_window import MainWindow

from helpers import open_window

SOAK_EPOCHS = int(os.environ.get("SOAK_EPOCHS", "1000"))
#: Epochs trained between two rounds of steps, edits, undos and saves.
EPOCHS_PER_CYCLE = 2_500 if SOAK_EPOCHS >= 25_000 else 250
#: What the process may grow by over the whole run, after the first cycle has warmed it up; and what it
#: may grow by beyond the loss history and sample losses training keeps (about 64 bytes an epoch of this
#: four-row example, all of it shown in the loss plot), which is what must stay flat.
GROWTH_BOUND_BYTES = 48 * 2**20
OTHER_GROWTH_BOUND_BYTES = 24 * 2**20
#: Parameters the script edits by hand: (graph item, name).
EDITED = [("edge", (1, 1, 1), "w111"), ("neuron", (2, 1), "b21"), ("edge", (2, 2, 1), "w221")]


def rss_bytes() -> int:
    """The process's resident memory now (Linux), or its peak where /proc is not there."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def kept_bytes(doc: Document) -> int:
    """Memory of the losses training keeps, epoch means and sample losses: 8 bytes each, written (a
    log's unwritten capacity is not resident)."""
    return 8 * (len(doc.training.history) + len(doc.training.sample_losses))


def script(total_epochs: int) -> list[tuple]:
    """The operations, in order; every cycle ends with a run to the next epoch target and a save."""
    operations: list[tuple] = []
    cycles = max(1, total_epochs // EPOCHS_PER_CYCLE)
    for cycle in range(cycles):
        target = total_epochs if cycle == cycles - 1 else (cycle + 1) * EPOCHS_PER_CYCLE
        kind, where, name = EDITED[cycle % len(EDITED)]
        value = [0.125, -0.25, 0.375, 0.0625, -0.5][cycle % 5]
        operations += [
            ("epochs", target),
            ("step", "factor"), ("step", "factor"), ("step", "phase"), ("step_out",), ("step", "sample"),
            ("edit", kind, where, name, value),          # mid-training: the half-shown step is dropped
            ("undo",), ("redo",),
            ("step", "phase"),
            ("edit", kind, where, name, -value), ("undo",),   # tried and taken back
            ("run",),
            ("save", cycle % 2),
        ]
    return operations


# -- the window ------------------------------------------------------------------------------------
def through_the_window(qtbot, window: MainWindow, operations, folder: Path, samples: list) -> list[bytes]:
    doc, controller, actions = window.document, window.controller, window.window_actions
    saved = []
    start = time.perf_counter()
    for operation in operations:
        kind = operation[0]
        if kind == "epochs":
            spin = window.settings_panel.epochs_spin
            spin.lineEdit().selectAll()
            qtbot.keyClicks(spin, str(operation[1]))
            qtbot.keyClick(spin, Qt.Key.Key_Return)
            assert doc.training.config.epochs == operation[1]
        elif kind == "step":
            controller.set_granularity(operation[1])
            actions.step.trigger()
        elif kind == "step_out":
            actions.step_out.trigger()
        elif kind == "edit":
            _, item_kind, where, name, value = operation
            item = window.view.edge_item(*where) if item_kind == "edge" else window.view.neuron_item(*where)
            item.edit()
            editor = window.view.editor()
            editor.line_edit.selectAll()
            qtbot.keyClicks(editor.line_edit, repr(value))
            qtbot.keyClick(editor.line_edit, Qt.Key.Key_Return)
            assert doc.network.get(name) == value
        elif kind == "undo":
            actions.undo.trigger()
        elif kind == "redo":
            actions.redo.trigger()
        elif kind == "run":
            actions.run_to_end.trigger()
            qtbot.waitUntil(lambda: doc.training.finished and not controller.running, timeout=600_000)
            assert doc.training.status == "epochs", doc.training.message
            assert window.position_label.text() == controller.position_text()
            gc.collect()
            samples.append((doc.training.epoch, rss_bytes(), time.perf_counter() - start, kept_bytes(doc)))
        elif kind == "save":
            path = folder / f"soak-{operation[1]}.json"
            assert window.save_to(str(path)) and not doc.modified
            saved.append(path.read_bytes())
    return saved


# -- headless --------------------------------------------------------------------------------------
def headless(operations, folder: Path) -> tuple[Document, list[bytes]]:
    """The same operations on a Document and its engine objects: no window, no controller, no timer."""
    doc = Document(load_example("regression"))
    saved = []
    for operation in operations:
        kind, training, stepper = operation[0], doc.training, doc.stepper
        if kind == "epochs":
            doc.edit_config(epochs=operation[1])
        elif kind == "step":
            if not training.finished:
                stepper.step(operation[1])
        elif kind == "step_out":
            if stepper.mid_batch:
                stepper.finish_batch()
            elif not training.finished:
                stepper.step("sample")
        elif kind == "edit":
            doc.edit_parameter(operation[3], operation[4])
        elif kind == "undo":
            doc.undo_stack.undo()
        elif kind == "redo":
            doc.undo_stack.redo()
        elif kind == "run":
            stepper.finish_batch()
            training.run()
            stepper.clear()
        elif kind == "save":
            path = folder / f"soak-{operation[1]}.json"
            doc.save(path)
            saved.append(path.read_bytes())
    return doc, saved


def state(doc: Document) -> dict:
    training = doc.training
    return {"parameters": doc.network.flat_parameters().tolist(), "history": list(training.history),
            "sample_losses": list(training.sample_losses), "epoch": training.epoch, "position": training.position,
            "status": training.status, "config": training.config.to_dict(),
            "undo": (doc.undo_stack.count(), doc.undo_stack.index(), doc.undo_stack.cleanIndex())}


def soak_through_the_window(qtbot, tmp_path: Path) -> tuple[list, MainWindow, list[bytes], list]:
    """The script run through a new main window: (operations, window, saved files, memory samples)."""
    operations = script(SOAK_EPOCHS)
    window = open_window(qtbot, load_example("regression"))
    gc.collect()
    samples = [(0, rss_bytes(), 0.0, kept_bytes(window.document))]
    (tmp_path / "window").mkdir()
    saved = through_the_window(qtbot, window, operations, tmp_path / "window", samples)
    return operations, window, saved, samples


@pytest.mark.soak
@pytest.mark.perf
def test_a_long_session_through_the_window_keeps_memory_flat(qtbot, tmp_path):
    operations, window, _, samples = soak_through_the_window(qtbot, tmp_path)
    assert window.document.training.epoch == SOAK_EPOCHS
    warm, end = samples[1], samples[-1]
    growth = end[1] - warm[1]
    other = growth - (end[3] - warm[3])
    counts = {kind: sum(1 for operation in operations if operation[0] == kind)
              for kind in dict.fromkeys(operation[0] for operation in operations)}
    megabytes = lambda amount: f"{amount / 2**20:.1f} MB"   # noqa: E731
    print(f"\nsoak: {SOAK_EPOCHS:,} epochs ({SOAK_EPOCHS * 4:,} samples) in {end[2]:.1f} s through the window; "
          f"{len(operations)} operations {counts}\n"
          f"RSS {megabytes(samples[0][1])} at start, {megabytes(warm[1])} after epoch {warm[0]:,}, "
          f"{megabytes(end[1])} at the end: growth {megabytes(growth)} ({growth / (end[0] - warm[0]):.0f} bytes "
          f"an epoch), of which the kept losses {megabytes(end[3] - warm[3])}, the rest {megabytes(other)}")
    for epoch, rss, seconds, kept in samples[1::max(1, len(samples) // 10)]:
        print(f"  epoch {epoch:>7,}  RSS {megabytes(rss):>9}  losses kept {megabytes(kept):>8}  {seconds:6.1f} s")
    assert growth < GROWTH_BOUND_BYTES and other < OTHER_GROWTH_BOUND_BYTES


# The memory test runs first: in `make soak` the numbers test's headless replay would otherwise
# be part of the process it measures.
@pytest.mark.soak
def test_a_long_session_through_the_window_ends_with_the_engines_numbers(qtbot, tmp_path):
    operations, window, saved, _ = soak_through_the_window(qtbot, tmp_path)
    (tmp_path / "headless").mkdir()
    expected_doc, expected_saved = headless(operations, tmp_path / "headless")

    got, expected = state(window.document), state(expected_doc)
    assert got["epoch"] == SOAK_EPOCHS and len(got["history"]) == SOAK_EPOCHS
    for key in expected:
        assert got[key] == expected[key], key
    assert np.isfinite(got["parameters"]).all()
    assert saved == expected_saved                       # every save, byte for byte
    assert json.loads(saved[-1])["network"] == expected_doc.run.current_session().to_dict()["network"]
