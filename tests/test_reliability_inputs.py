"""Bad input everywhere a user can type or load it: refused with a message naming the field, state unchanged.

One table per input surface. Every case checks three things: the message names the field (and the row
and column where there is one), the engine's numbers are exactly what they were, and the undo stack
did not grow. The value parsers are also fuzzed with hypothesis.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

import simulator.dataset as dataset_module
import simulator.session as session_module
from simulator import cli
from simulator.errors import ConfigError, SimulatorError
from simulator.examples import load_example
from ui import app, launcher
from ui.csv_import_dialog import CsvImportDialog
from ui.document import Document
from ui.parsing import parse_float

from helpers import snapshot, type_into

ROOT = Path(__file__).resolve().parent.parent

# Texts that are not usable numbers anywhere; each surface adds its own.
NOT_NUMBERS = [("", "enter a number"), ("   ", "enter a number"), ("abc", "not a number"), ("1,5", "not a number"),
               ("0x10", "not a number"), ("1/2", "not a number"), ("--1", "not a number"), ("nan", "nan"),
               ("NaN", "nan"), ("inf", "infinity"), ("-inf", "infinity"), ("Infinity", "infinity"),
               ("1e400", "too large"), ("-1e400", "too large"), ("\x00", "not a number"), ("1e", "not a number")]


def _sparse(path, size: int) -> None:
    with path.open("wb") as stream:   # a file that large on disk, without writing its bytes
        stream.truncate(size)


@pytest.fixture
def controller(document):
    from ui.controller import Controller
    return Controller(document)


@pytest.fixture
def view(qtbot, document):
    from ui.graph.network_view import NetworkView
    network_view = NetworkView(document)
    qtbot.addWidget(network_view)
    network_view.resize(900, 600)
    network_view.show()
    qtbot.waitExposed(network_view)
    return network_view


@pytest.fixture
def settings_panel(qtbot, document):
    from ui.settings_panel import SettingsPanel
    panel = SettingsPanel(document)
    qtbot.addWidget(panel)
    return panel


@pytest.fixture
def dataset_panel(qtbot, document, controller):
    from ui.dataset_panel import DatasetPanel
    panel = DatasetPanel(document, controller)
    qtbot.addWidget(panel)
    return panel


# -- weight and bias editors in the graph ----------------------------------------------------------
PARAMETER_CASES = NOT_NUMBERS + [("１e400", "too large"), ("-1e400", "too large")]


@pytest.mark.parametrize("name", ["w111", "b21"])
@pytest.mark.parametrize("text, reason", PARAMETER_CASES)
def test_parameter_editor_refuses(qtbot, view, controller, name, text, reason):
    doc = view.document
    controller.step("phase")        # mid-sample: the refusal must not disturb the stepper either
    before, records = snapshot(doc), len(doc.stepper.records)
    item = view.edge_item(1, 1, 1) if name == "w111" else view.neuron_item(2, 1)
    item.edit()
    editor = view.editor()
    with qtbot.waitSignal(view.message) as message:
        type_into(qtbot, editor.line_edit, text)
    assert name in message.args[0] and reason in message.args[0]
    assert reason in editor.error_text() and view.editor() is editor
    assert snapshot(doc) == before and len(doc.stepper.records) == records


@pytest.mark.parametrize("name, value, reason", [
    ("w111", math.nan, "finite"), ("w111", math.inf, "finite"), ("b21", -math.inf, "finite"),
    ("w999", 1.0, "w999"), ("x1", 1.0, "parameter name"), ("", 1.0, "parameter name"),
])
def test_document_refuses_parameter_values(document, name, value, reason):
    before = snapshot(document)
    with pytest.raises(SimulatorError, match=reason):
        document.edit_parameter(name, value)
    assert snapshot(document) == before


# -- training settings -----------------------------------------------------------------------------
RATE_CASES = NOT_NUMBERS + [("0", "greater than 0"), ("-0", "greater than 0"), ("-0.1", "greater than 0"),
                            ("1e-400", "greater than 0"), ("−1", "greater than 0")]
TOLERANCE_CASES = NOT_NUMBERS + [("-1", "0 (off) or more"), ("-1e-300", "0 (off) or more")]


@pytest.mark.parametrize("field, text, reason", [("learning_rate", *case) for case in RATE_CASES]
                         + [("tolerance", *case) for case in TOLERANCE_CASES])
def test_settings_fields_refuse(qtbot, settings_panel, field, text, reason):
    doc, panel = settings_panel.document, settings_panel
    edit = panel.rate_edit if field == "learning_rate" else panel.tolerance_edit
    shown = edit.text()
    before = snapshot(doc)
    type_into(qtbot, edit, text)
    error = panel.errors[field].text()
    assert field.replace("_", " ") in error and reason in error
    assert not panel.errors[field].isHidden()
    assert edit.text() == shown
    assert snapshot(doc) == before


SPINS = {"epochs_spin": ("epochs", "Epochs", "epochs"), "seed_spin": ("seed", "Shuffle seed", "seed"),
         "batch_spin": ("batch_size", "Batch size", "batch_size"),
         "init_seed_spin": ("init_seed", "Random seed", None), "digits_spin": ("digits", "Significant digits", None)}
NOT_WHOLE = ["", "   ", "abc", "nan", "inf", "-inf", "1e400", "1.5", "1e3", "0x10", "-1", "99999999999", "1" * 400]
SPIN_CASES = ([(spin, text) for spin in SPINS for text in NOT_WHOLE]
              + [("epochs_spin", "0"), ("epochs_spin", "100000001"), ("digits_spin", "1"), ("digits_spin", "18"),
                 ("seed_spin", "2147483648"), ("batch_spin", "1000001")])


def enable_seed(panel, spin: str) -> None:
    """A seed field is enabled only where it has an effect: a shuffled order, a random initialisation."""
    if spin == "seed_spin":
        panel.document.edit_config(order="shuffled")
    elif spin == "init_seed_spin":
        panel.scheme_combo.setCurrentIndex(panel.scheme_combo.findData("xavier"))


@pytest.mark.parametrize("spin, text", SPIN_CASES)
def test_whole_number_fields_refuse_naming_the_field(qtbot, settings_panel, spin, text):
    """Typed or pasted, a text that is not a whole number in range is refused by the field, which says why."""
    doc, widget = settings_panel.document, getattr(settings_panel, spin)
    key, label, _attribute = SPINS[spin]
    enable_seed(settings_panel, spin)
    shown, before, digits = widget.value(), snapshot(doc), doc.digits
    widget.lineEdit().selectAll()
    widget.lineEdit().insert(text)                # as a paste: the whole text at once
    qtbot.keyClick(widget, Qt.Key.Key_Return)
    error = settings_panel.errors[key]
    assert not error.isHidden() and error.text().startswith(f"{label} must be a whole number from")
    assert f"to {widget.maximum():,}" in error.text()
    assert widget.value() == shown and widget.text() == widget.textFromValue(shown)
    assert snapshot(doc) == before and doc.digits == digits


@pytest.mark.parametrize("spin", ["epochs_spin", "seed_spin", "batch_spin"])
def test_keys_a_whole_number_field_drops_are_said_and_a_good_value_clears_the_message(qtbot, settings_panel, spin):
    doc, widget = settings_panel.document, getattr(settings_panel, spin)
    key, label, attribute = SPINS[spin]
    enable_seed(settings_panel, spin)
    widget.lineEdit().selectAll()
    qtbot.keyClicks(widget, "x")
    assert settings_panel.errors[key].text() == f"{label} must be {widget.range_text()}, not 'x'"
    widget.lineEdit().selectAll()
    qtbot.keyClicks(widget, "3")
    qtbot.keyClick(widget, Qt.Key.Key_Return)
    assert getattr(doc.training.config, attribute) == 3 and settings_panel.errors[key].isHidden()


@pytest.mark.parametrize("changes, reason", [
    ({"learning_rate": 0}, "learning rate"), ({"learning_rate": -1.0}, "learning rate"),
    ({"learning_rate": math.nan}, "learning rate"), ({"learning_rate": math.inf}, "learning rate"),
    ({"learning_rate": True}, "learning rate"), ({"learning_rate": "0.1"}, "learning rate"),
    ({"epochs": 0}, "epochs"), ({"epochs": -3}, "epochs"), ({"epochs": 2.5}, "epochs"), ({"epochs": 10**9}, "epochs"),
    ({"epochs": True}, "epochs"), ({"batch_size": -1}, "batch size"), ({"batch_size": 1.5}, "batch size"),
    ({"seed": -1}, "seed"), ({"seed": "7"}, "seed"), ({"tolerance": -0.5}, "tolerance"),
    ({"tolerance": math.nan}, "tolerance"), ({"order": "random"}, "order"), ({"convergence": "gradient"}, "convergence"),
    ({"update_rule": "adam"}, "update rule"),
])
def test_document_refuses_settings(document, changes, reason):
    before = snapshot(document)
    with pytest.raises(ConfigError, match=reason):
        document.edit_config(**changes)
    assert snapshot(document) == before


# -- initialisation fields -------------------------------------------------------------------------
@pytest.mark.parametrize("field, text, reason", [(field, *case) for field in ("weight", "bias")
                                                 for case in NOT_NUMBERS[::3]]
                         + [("low", "nan", "nan"), ("high", "inf", "infinity"), ("low", "5", "low < high"),
                            ("high", "-5", "low < high")])
def test_initialisation_fields_refuse(qtbot, settings_panel, field, text, reason):
    doc, panel = settings_panel.document, settings_panel
    scheme = "uniform" if field in ("low", "high") else "constant"
    panel.scheme_combo.setCurrentIndex(panel.scheme_combo.findData(scheme))
    before = snapshot(doc)
    getattr(panel, f"{field}_edit").setText(text)
    qtbot.mouseClick(panel.reinit_button, Qt.MouseButton.LeftButton)
    shown = panel.errors[field].text() or panel.errors["initialisation"].text()
    assert reason in shown and (field in shown or "low < high" in shown)
    assert snapshot(doc) == before


# -- dataset cells ---------------------------------------------------------------------------------
CELL_CASES = NOT_NUMBERS + [("1e13", "too large"), ("-1e13", "too large")]


@pytest.mark.parametrize("row, column", [(0, 0), (3, 2)])
@pytest.mark.parametrize("text, reason", CELL_CASES)
def test_dataset_cells_refuse(dataset_panel, row, column, text, reason):
    doc, panel = dataset_panel.document, dataset_panel
    before = snapshot(doc)
    assert not panel.model.setData(panel.model.index(row, column), text)
    name = doc.session.dataset.columns[column]
    message = panel.error_label.text()
    assert f"row {row + 1}" in message and name in message and reason in message
    assert snapshot(doc) == before


@pytest.mark.parametrize("text", ["2", "-0.5", "1.0000001"])
def test_bce_target_cells_outside_0_1_refuse(qtbot, text):
    doc = Document(load_example("classification"))
    from ui.controller import Controller
    from ui.dataset_panel import DatasetPanel
    panel = DatasetPanel(doc, Controller(doc))
    qtbot.addWidget(panel)
    target = doc.session.dataset.columns.index(doc.session.dataset.targets[0])
    before = snapshot(doc)
    assert not panel.model.setData(panel.model.index(1, target), text)
    assert "row 2" in panel.error_label.text() and "between 0 and 1" in panel.error_label.text()
    assert snapshot(doc) == before


# -- CSV import ------------------------------------------------------------------------------------
CSV_CASES = [
    (b"", "empty"), (b"\n\n  \n", "empty"), (b"a,b\n", "no data rows"), (b"a,b\n1,2\n3\n", "line 3 (row 2): 1 cells"),
    (b"a,b\n1,2\n3,4,5\n", "line 3 (row 2): 3 cells"), (b"a,b\n1,x\n", "line 2 (row 1), column 'b'"),
    (b"a,b\n1,nan\n", "line 2 (row 1), column 'b'"), (b"a,b\ninf,1\n", "line 2 (row 1), column 'a'"),
    (b"a,b\n1,1e400\n", "line 2 (row 1), column 'b'"), (b"a,b\n1,\n", "line 2 (row 1), column 'b': the cell is empty"),
    (b"a,a\n1,2\n", "repeats a column name"), (b"a,,c,c\n1,2,3,4\n", "repeats a column name ('c')"),
    (b"a,b\n1,2\n\x00\x01\x02", "binary data"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
    ("a,b\n1,2\n3,\u00e9\n".encode("latin-1"), "line 3 (row 2), column 'b': '\u00e9' is not a number"),
    (b"only\n1\n2\n", "input"), ("a,b\n1,\u221e\n".encode(), "line 2 (row 1), column 'b'"),
    ("a,b\n1,2\n".encode("utf-16"), "not UTF-8 text (byte 1"), (b"\xef\xbb\xbfa,b\nx,1\n", "line 2 (row 1), column 'a':"),
]


def _import(qtbot, panel, path):
    dialog = panel.import_csv(path)
    qtbot.addWidget(dialog)
    return dialog


@pytest.mark.parametrize("content, reason", CSV_CASES)
def test_csv_import_refuses(qtbot, dataset_panel, tmp_path, content, reason):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    doc = dataset_panel.document
    before = snapshot(doc)
    dialog = _import(qtbot, dataset_panel, path)
    assert reason in dialog.error_text() and dialog.error_text().count("data.csv") <= 1
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.accept()
    assert snapshot(doc) == before


@pytest.mark.parametrize("make, reason", [
    (lambda path: path.mkdir(), "cannot read data.csv"),
    (lambda path: None, "cannot read data.csv"),
])
def test_csv_import_refuses_what_is_not_a_file(qtbot, dataset_panel, tmp_path, make, reason):
    path = tmp_path / "data.csv"
    make(path)
    before = snapshot(dataset_panel.document)
    assert reason in _import(qtbot, dataset_panel, path).error_text()
    assert snapshot(dataset_panel.document) == before


def test_csv_import_refuses_a_huge_file_and_too_many_rows(qtbot, dataset_panel, tmp_path, monkeypatch):
    huge = tmp_path / "huge.csv"
    _sparse(huge, dataset_module.MAX_CSV_BYTES + 1)
    before = snapshot(dataset_panel.document)
    assert "the limit is 50 MB" in _import(qtbot, dataset_panel, huge).error_text()
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 1001)
    monkeypatch.setattr(dataset_module, "MAX_ROWS", 1000)
    assert "more than 1,000 rows" in _import(qtbot, dataset_panel, big).error_text()
    assert snapshot(dataset_panel.document) == before


def test_csv_with_targets_bce_cannot_use_is_refused_on_import(qtbot, tmp_path):
    doc = Document(load_example("classification"))
    path = tmp_path / "data.csv"
    path.write_text("p,q,y\n1,2,0\n3,4,5\n", encoding="utf-8")
    before = snapshot(doc)
    dialog = CsvImportDialog(path)
    qtbot.addWidget(dialog)
    with pytest.raises(SimulatorError, match="row 2, column 'y'"):
        doc.set_dataset(dialog.dataset())
    assert snapshot(doc) == before


# -- session files ---------------------------------------------------------------------------------
def _session(**edits) -> bytes:
    data = load_example("regression").to_dict()
    for path, value in edits.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key) if key.isdigit() else key]
        last = keys[-1]
        target[int(last) if last.isdigit() else last] = value
    return json.dumps(data).encode()


SESSION_CASES = [
    (b"", "not valid JSON"), (b"{", "not valid JSON (line 1"), (b"[]", "JSON object"), (b"42", "JSON object"),
    (b"null", "JSON object"), (b"{}", "format"), (b"\xff\xfe{\x00}\x00", "not UTF-8"), (b"\x00" * 64, "not valid JSON"),
    ("{\"title\": \"caf\u00e9\"}".encode("latin-1"), "not UTF-8"),
    (_session(format="backprop-sim/2"), "backprop-sim/2"), (_session(format="something-else"), "format"),
    (_session(network__layers__0__weights=[[0.1, 0.1]]), "network.layers[0].weights"),
    (_session(network__layers__0__weights="heavy"), "network.layers[0].weights"),
    (_session(network__layers__0__biases=[0.0, "x"]), "network.layers[0].biases"),
    (_session(network__layers__1__activation="softmax"), "network.layers[1]"),
    (_session(network__layers=[]), "network.layers"), (_session(network__inputs=[]), "network.inputs"),
    (_session(network__outputs=["a", "b"]), "network.outputs"), (_session(loss="hinge"), "hinge"),
    (_session(training__learning_rate=-1), "learning rate"), (_session(training__learning_rate="fast"), "training.learning_rate"),
    (_session(training__epochs=0), "epochs"), (_session(training__epochs=1.5), "training.epochs"),
    (_session(training__batch_size="half"), "training.batch_size"), (_session(training__seed=-2), "seed"),
    (_session(training__momentum=0.9), "training.momentum"), (_session(dataset__rows=[]), "no rows"),
    (_session(dataset__rows__0=[1, 2]), "dataset.rows[0]"), (_session(dataset__rows__1__2="4"), "dataset.rows[1][2]"),
    (_session(dataset__rows__1__2=True), "dataset.rows[1][2]"), (_session(dataset__columns=["a", "a", "b"]), "unique"),
    (_session(dataset__standardise="yes"), "dataset.standardise"), (_session(initialisation__scheme="magic"), "magic"),
    (_session(network="net"), "session.network"),
    (_session().replace(b'"learning_rate": 0.001', b'"learning_rate": NaN'), "training.learning_rate: NaN"),
    (_session().replace(b'"learning_rate": 0.001', b'"learning_rate": 1e400'),
     "training.learning_rate: 1e400 is too large to represent"),
    # empty, zero, negative and huge values of every setting
    (_session(training__learning_rate=""), "training.learning_rate"),
    (_session(training__learning_rate=0), "learning rate"),
    (_session(training__epochs=10**12), "epochs must be at most 100,000,000"),
    (_session().replace(b'"epochs": 5', b'"epochs": 1e400'), "training.epochs: 1e400 is too large to represent"),
    (_session(training__batch_size=-1), "batch size"),
    (_session(training__batch_size=10**12), "batch size must be at most"),
    (_session(training__seed=10**30), "seed must be at most 2,147,483,647"),
    (_session(training__seed=None), "training.seed"),
    (_session(training__tolerance=-1), "tolerance"), (_session(training__tolerance="small"), "training.tolerance"),
    (_session(initialisation__seed=2**40), "initialisation seed must be at most"),
    (_session(initialisation__weight="nan"), "initialisation weight"),
    # non-finite parameters and cells, and shapes that do not fit together
    (_session().replace(b'"weights": [[', b'"weights": [[NaN, ', 1), "network.layers[0].weights[0][0]: NaN"),
    (_session().replace(b'"biases": [0.0', b'"biases": [-Infinity', 1), "network.layers[0].biases[0]: -Infinity"),
    (_session().replace(b'"rows": [[', b'"rows": [[1e400, ', 1), "dataset.rows[0][0]: 1e400 is too large to represent"),
    (_session(network__layers__0__weights=[[0.1] * 5000] * 2, network__layers__0__biases=[0.0] * 5000),
     "network.layers[0]: 5000 neurons; a hidden layer can have at most 64"),
    (_session(network__layers__0__weights=[[0.1] * 3] * 2, network__layers__0__biases=[0.0] * 3),
     "network.layers[1].weights: expected shape 3 × 1"),
    (_session(dataset__targets=["zz"]), "no column 'zz'"), (_session(network__layers__0="dense"), "network.layers[0]"),
    # newer versions, other encodings, and JSON no parser should recurse into
    (_session(format="backprop-sim/99"), "written by a newer version"),
    (json.dumps(load_example("regression").to_dict()).encode("utf-16"), "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"), (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "not UTF-8"),
]


@pytest.fixture(scope="module")
def open_window(qapp, tmp_path_factory):
    """One main window for the many files it must refuse to open: a refused file changes nothing in it."""
    from PySide6.QtCore import QSettings
    from ui.main_window import MainWindow
    folder = str(tmp_path_factory.mktemp("settings"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
    main_window = MainWindow(Document(load_example("regression")))
    main_window.show()
    yield main_window
    main_window.hide()                # not close(): the unsaved-changes question would wait for an answer
    main_window.deleteLater()


@pytest.mark.parametrize("content, reason", SESSION_CASES)
def test_opening_a_bad_session_file_refuses(open_window, dialogs, tmp_path, content, reason):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    window, doc = open_window, open_window.document
    doc.edit_parameter("w111", 0.5)         # unsaved work that a failed open must not touch
    before = snapshot(doc)
    assert not window.open_path(str(path), asked=True)
    (message,) = dialogs.texts("warning")
    assert "bad.json" in message and reason in message
    assert snapshot(doc) == before


@pytest.mark.parametrize("make, reason", [
    (lambda path: path.mkdir(), "cannot read"),
    (lambda path: None, "cannot read"),
    (lambda path: _sparse(path, session_module.MAX_SESSION_BYTES + 1), "too large"),
])
def test_opening_what_is_not_a_session_file_refuses(open_window, dialogs, tmp_path, make, reason):
    path = tmp_path / "thing.json"
    make(path)
    window = open_window
    before = snapshot(window.document)
    assert not window.open_path(str(path), asked=True)
    assert reason in dialogs.texts("warning")[0] and "thing.json" in dialogs.texts("warning")[0]
    assert snapshot(window.document) == before


# -- command-line arguments ------------------------------------------------------------------------
CLI_CASES = [
    (["--epochs", "0"], "epochs"), (["--epochs", "-1"], "epochs"), (["--epochs", "abc"], "epochs"),
    (["--epochs", "1.5"], "epochs"), (["--epochs", ""], "epochs"), (["--epochs", "1e400"], "epochs"),
    (["--epochs", "999999999999"], "epochs must be at most"), (["--lr", "nan"], "learning rate"),
    (["--lr", "inf"], "learning rate"), (["--lr", "1e400"], "learning rate"), (["--lr", "0"], "learning rate"),
    (["--lr", "-0.5"], "learning rate"), (["--lr", "abc"], "learning rate"), (["--lr", ""], "learning rate"),
    (["--seed", "-1"], "seed"), (["--seed", "x"], "seed"), (["--batch-size", "-2"], "batch size"),
    (["--batch-size", "half"], "batch size"), (["--tolerance", "-1"], "tolerance"), (["--tolerance", "nan"], "tolerance"),
    (["--digits", "0"], "digits"), (["--digits", "99999999999"], "digits must be a whole number from 1 to 17"), (["--order", "random"], "order"), (["--convergence", "x"], "convergence"),
    (["--update-rule", "x"], "update-rule"),
    (["--seed", ""], "seed"), (["--seed", "nan"], "seed"), (["--seed", "inf"], "seed"), (["--seed", "1e400"], "seed"),
    (["--seed", "99999999999"], "seed must be at most 2,147,483,647"),
    (["--batch-size", ""], "batch size"), (["--batch-size", "nan"], "batch size"),
    (["--batch-size", "inf"], "batch size"),
    (["--batch-size", "1e400"], "batch size"), (["--batch-size", "99999999999"], "batch size must be at most"),
    (["--tolerance", ""], "tolerance"), (["--tolerance", "abc"], "tolerance"), (["--tolerance", "inf"], "tolerance"),
    (["--tolerance", "1e400"], "tolerance"), (["--epochs", "nan"], "epochs"), (["--epochs", "inf"], "epochs"),
    (["--digits", ""], "digits"), (["--digits", "nan"], "digits"),
]


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("backprop-sim: error:") and "Traceback" not in captured.err
    return lines[0]


@pytest.mark.parametrize("args, reason", CLI_CASES)
def test_cli_train_refuses_bad_numbers(capsys, args, reason):
    assert cli.main(["train", "--example", "regression", *args]) == 2
    assert reason in _one_error_line(capsys)


@pytest.mark.parametrize("args, reason", [(["--sample", "0"], "sample"), (["--sample", "99"], "sample must be between"),
                                          (["--sample", "two"], "sample"), (["--digits", "-3"], "digits")])
def test_cli_trace_refuses_bad_numbers(capsys, args, reason):
    assert cli.main(["trace", "--example", "regression", *args]) == 2
    assert reason in _one_error_line(capsys)


@pytest.mark.parametrize("content, reason", SESSION_CASES)
def test_cli_refuses_bad_session_files(capsys, tmp_path, content, reason):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert cli.main(["train", "--session", str(path)]) == 2
    line = _one_error_line(capsys)
    assert reason in line and "bad.json" in line


NOT_SESSION_FILES = [(lambda path: path.mkdir(), "cannot read thing.json: it is a folder"),
                     (lambda path: None, "cannot read thing.json: No such file"),
                     (lambda path: _sparse(path, session_module.MAX_SESSION_BYTES + 1), "too large")]


@pytest.mark.parametrize("make, reason", NOT_SESSION_FILES)
@pytest.mark.parametrize("where", ["train", "trace", "app start"])
def test_what_is_not_a_session_file_is_refused_on_the_command_line_and_at_start(qapp, capsys, tmp_path, make, reason,
                                                                               where):
    path = tmp_path / "thing.json"
    make(path)
    if where == "app start":
        document, error = app._open_document(str(path), None)
        assert error.startswith("Could not open thing.json: ") and reason in error and document.path is None
    else:
        assert cli.main([where, "--session", str(path)]) == 2
        assert reason in _one_error_line(capsys)


@pytest.mark.parametrize("argv, reason", [(["train", "--session", "missing.json"], "missing.json"),
                                          (["train", "--example", "nope"], "nope"),
                                          (["train"], "required"), (["--example", "nope"], "nope")])
def test_cli_refuses_missing_sources(capsys, argv, reason):
    assert cli.main(argv) == 2
    assert reason in _one_error_line(capsys)


# -- fuzzing the value parsers ---------------------------------------------------------------------
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
number_texts = st.one_of(
    st.text(max_size=12),
    st.floats().map(repr),
    st.floats().map(lambda value: f"{value:e}"),
    st.integers(-10**400, 10**400).map(str),
    st.sampled_from(["1e308", "1.8e308", "-1.8e308", "4.9e-324", "1e-400", "0", "-0", "+5", " 7 ", "1_000", "٣",
                     "\u22121", "\u20132", "\uff0d3", "infinity", "-Infinity", "nAn", "1e", ".", "-.5e-3"]),
)


@FUZZ
@given(number_texts)
def test_parse_float_returns_a_finite_float_or_names_the_field(text):
    try:
        value = parse_float(text, "the field")
    except ConfigError as error:
        assert str(error).startswith("the field")
    else:
        assert isinstance(value, float) and math.isfinite(value)


def undone(doc: Document) -> Document:
    """The document as it was opened: every edit of the previous example undone and forgotten."""
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    doc.undo_stack.clear()
    return doc


@FUZZ
@given(number_texts)
def test_learning_rate_field_takes_a_positive_number_or_refuses(settings_panel, text):
    panel, doc = settings_panel, undone(settings_panel.document)
    before = snapshot(doc)
    panel.rate_edit.setText(text)
    panel.rate_edit.editingFinished.emit()
    rate = doc.training.config.learning_rate
    if panel.errors["learning_rate"].isHidden():
        assert rate == parse_float(text, "x") and rate > 0 and doc.session.training.learning_rate == rate
        assert doc.undo_stack.count() == (0 if rate == 0.001 else 1)
    else:
        assert "learning rate" in panel.errors["learning_rate"].text()
        assert snapshot(doc) == before


@FUZZ
@given(number_texts)
def test_tolerance_field_takes_a_number_at_least_0_or_refuses(settings_panel, text):
    panel, doc = settings_panel, undone(settings_panel.document)
    before = snapshot(doc)
    panel.tolerance_edit.setText(text)
    panel.tolerance_edit.editingFinished.emit()
    if panel.errors["tolerance"].isHidden():
        assert doc.training.config.tolerance == parse_float(text, "x") >= 0
    else:
        assert "tolerance" in panel.errors["tolerance"].text()
        assert snapshot(doc) == before


@FUZZ
@given(number_texts, st.sampled_from([("--lr", "learning rate", "lr"), ("--tolerance", "tolerance", "tolerance"),
                                      ("--epochs", "epochs", "epochs"), ("--seed", "seed", "seed"),
                                      ("--batch-size", "batch size", "batch_size"), ("--digits", "digits", "digits")]))
def test_cli_number_options_parse_or_refuse_naming_the_option(text, option):
    flag, label, attribute = option
    try:
        args = cli.build_parser().parse_args(["train", "--example", "regression", f"{flag}={text}"])
    except cli.UsageError as error:
        assert label in str(error) or flag in str(error)
    else:
        value = getattr(args, attribute)
        assert isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(value, int):
            assert value >= (1 if attribute in ("epochs", "digits") else 0)
            assert attribute != "digits" or value <= cli.MAX_DIGITS
        else:
            assert math.isfinite(value)


@FUZZ
@given(number_texts)
def test_cli_whole_and_number_types_raise_only_argument_errors(text):
    for parse in (cli._whole("epochs", 1), cli._number("learning rate", 0.0, True), cli._number("tolerance", 0.0, False),
                  cli._batch_size):
        try:
            value = parse(text)
        except argparse.ArgumentTypeError as error:
            assert any(label in str(error) for label in ("epochs", "learning rate", "tolerance", "batch size"))
        else:
            assert isinstance(value, int) or (math.isfinite(value) and value >= 0)


def test_fuzzed_settings_never_left_a_non_finite_number(document):
    """The engine itself refuses what slips past a parser: a last line of defence."""
    for value in (math.nan, math.inf, -math.inf, np.float64("nan")):
        with pytest.raises(ConfigError):
            document.edit_config(learning_rate=value)
        with pytest.raises(ConfigError):
            document.edit_config(tolerance=value)
    assert document.undo_stack.count() == 0


# -- command-line arguments of the desktop app -----------------------------------------------------
@pytest.fixture
def app_starts(monkeypatch):
    """Records the app being started instead of starting it."""
    calls = []
    monkeypatch.setattr(app, "run_gui", lambda session_path=None, example=None: calls.append(session_path) or 0)
    return calls


def test_the_app_starts_for_good_arguments(app_starts, tmp_path):
    """The fixture sees a start: the refusals below are refusals, not a launcher that never starts."""
    assert launcher.main(["--example", "xor"]) == 0 and app_starts == [None]


@pytest.mark.parametrize("argv, reason", [
    ([""], "session file must not be empty"), (["  "], "session file must not be empty"),
    (["--example", ""], "example name must not be empty"), (["--example", "nope"], "there is no example 'nope'"),
    (["missing.json"], "missing.json: No such file or directory"), (["{folder}"], "folder: it is a folder"),
    (["a.json", "--example", "xor"], "not both"), (["a.json", "b.json"], "unrecognized arguments: b.json"),
    (["--wobble"], "unrecognized arguments: --wobble"), (["--example"], "expected one argument"),
    (["train", "--example", ""], "example name must not be empty"),
    (["train", "--session", ""], "session file must not be empty"),
    (["train", "--example", "regression", "--save", ""], "save file must not be empty"),
    (["trace", "--example", "regression", "--html", " "], "HTML file must not be empty"),
])
def test_app_command_line_refuses_before_starting(capsys, tmp_path, monkeypatch, app_starts, argv, reason):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    argv = [str(tmp_path / "folder") if arg == "{folder}" else arg for arg in argv]
    assert launcher.main(argv) == 2             # what `backprop-sim` runs: it would open the app
    assert reason in _one_error_line(capsys) and app_starts == []


@pytest.mark.parametrize("content, reason", SESSION_CASES)
def test_app_started_on_a_bad_session_file_says_why_and_shows_the_default(qapp, tmp_path, content, reason):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    document, error = app._open_document(str(path), None)
    assert error.startswith("Could not open bad.json: ") and reason in error
    assert document.path is None and not document.modified
    assert document.network.flat_parameters().tolist() == load_example("regression").network.flat_parameters().tolist()


START_ON = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from ui import app, launcher
from ui.main_window import MainWindow
qapp = QApplication(sys.argv[:1])
warnings = []
QMessageBox.warning = staticmethod(lambda parent, title, text, *args, **kwargs: warnings.append(text))
QMessageBox.question = staticmethod(lambda *args, **kwargs: QMessageBox.StandardButton.Discard)
def report():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    print(json.dumps({"warnings": warnings, "title": window.document.title}), flush=True)
    window.close()
QTimer.singleShot(300, report)
sys.exit(app.run_gui(session_path=sys.argv[1]))
"""


@pytest.mark.parametrize("content, reason", [(b"{", "not valid JSON"),
                                             (_session(format="backprop-sim/2"), "newer version")])
def test_the_real_app_started_on_a_bad_session_file_says_why(tmp_path, content, reason):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    os.chmod(tmp_path, 0o700)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c"),
           "XDG_DATA_HOME": str(tmp_path / "d"), "XDG_RUNTIME_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", START_ON, str(path)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    (warning,) = report["warnings"]
    assert warning.startswith("Could not open bad.json: ") and reason in warning
    assert warning.endswith("Showing the default example.") and report["title"] == load_example("regression").title


def test_the_epochs_field_shows_every_count_the_engine_accepts(settings_panel):
    from simulator.training import MAX_EPOCHS
    settings_panel.document.edit_config(epochs=MAX_EPOCHS)
    assert settings_panel.epochs_spin.value() == settings_panel.document.session.training.epochs == MAX_EPOCHS


def test_too_large_values_are_named_with_the_apps_minus_and_bounds(document):
    from simulator.errors import ConfigError
    document.edit_parameter("w111", -2e6)            # any finite weight, as files may hold (see limits.py)
    assert document.network.get("w111") == -2e6
    with pytest.raises(ConfigError) as refused:
        document.edit_cell(1, 0, -1e13)
    assert str(refused.value) == ("row 2, column 'cgpa': −1e+13 is too large; use a value between "
                                  "−1,000,000,000,000 and 1,000,000,000,000")
