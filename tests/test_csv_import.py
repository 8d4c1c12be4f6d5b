"""Importing CSV files as real ones come: the engine's detection and reading, and the import dialog."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QDialogButtonBox

from simulator import dataset as dataset_module
from simulator.csv_columns import build_dataset, default_roles
from simulator.csv_import import MAX_COLUMNS, CsvOptions, CsvReader, read_table
from simulator.errors import DatasetError
from simulator.examples import load_example
from simulator.formatting import format_number
from ui.csv_import_dialog import CsvImportDialog
from ui.document import Document

RNG = np.random.default_rng(7)
IRIS_VALUES = np.round(RNG.uniform(0, 8, size=(150, 4)), 1)
IRIS_CLASSES = np.arange(150) % 3


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def iris_like(tmp_path):
    """sklearn's iris.csv shape: a first line of counts and class names, then rows without a header."""
    lines = ["150,4,setosa,versicolor,virginica"]
    lines += [",".join(f"{value:.1f}" for value in row) + f",{label}" for row, label in zip(IRIS_VALUES, IRIS_CLASSES)]
    return write(tmp_path / "iris.csv", "\n".join(lines) + "\n")


def cancer_like(tmp_path):
    """sklearn's breast_cancer.csv shape: 569 rows of 30 numbers and a 0/1 target, after a 4-cell first line."""
    values = np.round(RNG.uniform(0, 30, size=(569, 30)), 3)
    lines = ["569,30,malignant,benign"] + [",".join(map(str, row)) + f",{index % 2}" for index, row in enumerate(values)]
    return write(tmp_path / "breast_cancer.csv", "\n".join(lines) + "\n"), values


def dataset_of(path, **options):
    table = read_table(path, CsvOptions(**options))
    return table, build_dataset(table, default_roles(table))


# -- detection -------------------------------------------------------------------------------------
def test_a_metadata_first_line_is_skipped_and_the_columns_are_named_by_number(tmp_path):
    table, data = dataset_of(iris_like(tmp_path))
    assert table.layout.header_line is None and table.layout.skipped == (1,)
    assert "line 1 skipped" in table.notes[0] and "150,4,setosa" in table.notes[0]
    assert data.columns == ["column1", "column2", "column3", "column4", "column5"]
    np.testing.assert_array_equal(data.X, IRIS_VALUES)
    np.testing.assert_array_equal(data.Y[:, 0], IRIS_CLASSES)
    assert table.lines[0] == 2 and table.lines[-1] == 151


def test_a_column_of_whole_numbers_declared_a_class_column_becomes_one_hot_targets(tmp_path):
    table = read_table(iris_like(tmp_path))
    data = build_dataset(table, ["input"] * 4 + ["class"])
    assert data.targets == ["column5=0", "column5=1", "column5=2"]
    np.testing.assert_array_equal(data.Y, np.eye(3)[IRIS_CLASSES])


def test_a_569_row_31_column_file_with_a_short_first_line_imports(tmp_path):
    path, values = cancer_like(tmp_path)
    table, data = dataset_of(path)
    assert "line 1 skipped: 4 cells where the data has 31" in table.notes[0]
    assert len(data) == 569 and len(data.inputs) == 30 and data.targets == ["column31"]
    np.testing.assert_array_equal(data.X, values)


def test_without_a_header_the_first_row_is_data(tmp_path):
    table, data = dataset_of(write(tmp_path / "d.csv", "1,2,3\n4,5,6\n"))
    assert table.layout.header_line is None
    assert data.columns == ["column1", "column2", "column3"]
    np.testing.assert_array_equal(data.rows, [[1, 2, 3], [4, 5, 6]])


def test_header_yes_and_no_override_the_detection(tmp_path):
    path = write(tmp_path / "d.csv", "1,2,3\n4,5,6\n")
    table, data = dataset_of(path, header="yes")
    assert data.columns == ["1", "2", "3"] and len(data) == 1
    named = write(tmp_path / "named.csv", "a,b\n1,2\n")
    with pytest.raises(DatasetError, match=r"line 1 \(row 1\), column 'column1': 'a' is not a number"):
        dataset_of(named, header="no")


def test_text_class_labels_become_one_hot_columns_named_column_equals_label(tmp_path):
    path = write(tmp_path / "d.csv", "length,width,species\n1,2,setosa\n3,4,virginica\n5,6,versicolor\n7,8,setosa\n")
    table, data = dataset_of(path)
    assert default_roles(table) == ["input", "input", "class"]
    assert data.targets == ["species=setosa", "species=versicolor", "species=virginica"]
    np.testing.assert_array_equal(data.Y, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]])


def test_a_headerless_file_with_text_labels_keeps_its_first_row(tmp_path):
    path = write(tmp_path / "iris.data", "5.1,3.5,Iris-setosa\n4.9,3.0,Iris-setosa\n6.3,3.3,Iris-virginica\n")
    table, data = dataset_of(path)
    assert len(data) == 3 and data.targets == ["column3=Iris-setosa", "column3=Iris-virginica"]


def test_semicolons_with_decimal_commas(tmp_path):
    path = write(tmp_path / "d.csv", "Größe;Gewicht;Note\n1,75;70,5;2\n1,62;55,25;-1,5\n")
    table, data = dataset_of(path)
    assert table.layout.delimiter == ";" and table.layout.decimal_comma
    np.testing.assert_array_equal(data.rows, [[1.75, 70.5, 2], [1.62, 55.25, -1.5]])
    table = read_table(path, CsvOptions(decimal_comma=False))
    with pytest.raises(DatasetError, match=r"line 2 \(row 1\), column 'Größe': '1,75' is not a number "
                                           r"\(write decimals with a point: 1.75\)"):
        build_dataset(table, ["input", "input", "target"])


def test_a_decimal_comma_is_refused_with_the_comma_delimiter(tmp_path):
    with pytest.raises(DatasetError, match="decimal comma: the delimiter is a comma"):
        dataset_of(write(tmp_path / "d.csv", "a,b\n1,2\n"), delimiter=",", decimal_comma=True)


def test_utf8_with_a_bom_and_latin1_with_a_note(tmp_path):
    table, data = dataset_of(write(tmp_path / "bom.csv", "\ufefftempérature,y\n1,2\n", "utf-8"))
    assert data.columns == ["température", "y"] and table.layout.encoding == "UTF-8 with BOM"
    table, data = dataset_of(write(tmp_path / "latin.csv", "température,état\n1,élevé\n2,bas\n", "latin-1"))
    assert table.layout.encoding == "Latin-1" and "read as Latin-1" in table.notes[0]
    assert data.targets == ["état=bas", "état=élevé"]


def test_quoted_fields_empty_lines_trailing_delimiters_and_crlf(tmp_path):
    path = write(tmp_path / "d.csv", '"a","b","label"\r\n\r\n"1","2","x, y",\r\n  \r\n3,4,z,\r\n')
    table, data = dataset_of(path)
    assert any("ends with a delimiter" in note for note in table.notes)
    assert data.targets == ["label=x, y", "label=z"]
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4]])
    assert list(table.lines) == [3, 5]


def test_lines_ended_by_a_carriage_return_alone(tmp_path):
    table, data = dataset_of(write(tmp_path / "d.csv", "a,b\r1,2\r3,4\r"))
    np.testing.assert_array_equal(data.rows, [[1, 2], [3, 4]])
    assert list(table.lines) == [2, 3]


@pytest.mark.parametrize("text, delimiter", [("a\tb\n1.5\t2\n", "\t"), ("a  b\n 1.5   2\n", " "),
                                             ("a;b\n1.5;2\n", ";")])
def test_the_delimiter_is_detected(tmp_path, text, delimiter):
    table, data = dataset_of(write(tmp_path / "d.txt", text))
    assert table.layout.delimiter == delimiter and data.rows.tolist() == [[1.5, 2]]


def test_lines_to_skip_leave_out_exactly_those_lines(tmp_path):
    path = write(tmp_path / "d.csv", "Measurements\nby hand, 2024\nx,y\n1,2\n")
    table, data = dataset_of(path, skip=2)
    assert table.layout.skipped == (1, 2) and data.columns == ["x", "y"]
    with pytest.raises(DatasetError, match="the file has 4 lines, so nothing is left after skipping 9"):
        dataset_of(path, skip=9)


def test_every_problem_names_its_line_and_column(tmp_path):
    with pytest.raises(DatasetError, match=r"line 4 \(row 2\), column 'b': 'x' is not a number"):
        dataset_of(write(tmp_path / "d.csv", "a,b\n1,2\n\n3,x\n"))
    with pytest.raises(DatasetError, match=r"line 3 \(row 2\): 3 cells, but the header has 2 columns"):
        dataset_of(write(tmp_path / "e.csv", "a,b\n1,2\n3,4,5\n"))


def test_bad_options_are_refused_naming_the_option():
    with pytest.raises(DatasetError, match="header must be auto, yes or no"):
        CsvOptions(header="maybe")
    with pytest.raises(DatasetError, match="lines to skip must be a whole number"):
        CsvOptions(skip=-1)
    with pytest.raises(DatasetError, match="delimiter must be"):
        CsvOptions(delimiter="|")


# -- limits ----------------------------------------------------------------------------------------
def test_too_many_columns_are_refused_before_the_rows_are_read(tmp_path, monkeypatch):
    path = write(tmp_path / "wide.csv", "\n".join(",".join("1" for _ in range(10_000)) for _ in range(3)))
    read = []
    monkeypatch.setattr(CsvReader, "read", lambda self, rows: read.append(rows))
    with pytest.raises(DatasetError, match=f"10,000 columns; the importer reads at most {MAX_COLUMNS}"):
        CsvReader(path)
    assert not read


def test_more_inputs_than_a_layer_holds_are_refused_naming_the_limit(tmp_path):
    path = write(tmp_path / "d.csv", "\n".join(",".join("1" for _ in range(66)) for _ in range(2)))
    with pytest.raises(DatasetError, match="65 input columns: a network takes at most 64 inputs"):
        dataset_of(path)


def test_more_rows_than_the_limit_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_module, "MAX_ROWS", 100)
    with pytest.raises(DatasetError, match="more than 100 rows, the most the app supports"):
        dataset_of(write(tmp_path / "d.csv", "a,b\n" + "1,2\n" * 101))
    assert len(dataset_of(write(tmp_path / "e.csv", "a,b\n" + "1,2\n" * 100))[1]) == 100


# -- columns ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("a,y\n1,p\n2,p\n", r"column 'y': a class column needs at least 2 different labels; it has 1 \('p'\)"),
    ("a,y\n1,2.5\n2,1\n", r"line 2 \(row 1\), column 'y': 2.5 is not a whole number"),
    ("a,y\n1,p\n2,\n3,q\n", r"line 3 \(row 2\), column 'y': the cell is empty"),
    ("a,y\n" + "".join(f"1,{k}\n" for k in range(65)), "65 different labels; a class column can have at most 64"),
])
def test_class_columns_refuse_what_cannot_be_classes(tmp_path, text, message):
    table = read_table(write(tmp_path / "d.csv", text))
    with pytest.raises(DatasetError, match=message):
        build_dataset(table, ["input", "class"])


def test_columns_can_be_renamed_and_left_unused(tmp_path):
    table = read_table(write(tmp_path / "d.csv", "id,a,b,y\nr1,1,2,3\nr2,4,5,6\n"))
    assert default_roles(table) == ["unused", "input", "input", "target"]
    data = build_dataset(table, ["unused", "input", "unused", "target"], ["id", "first", "b", "goal"])
    assert data.columns == ["first", "b", "goal"] and data.inputs == ["first"] and data.targets == ["goal"]
    for names, message in ((["id", "a", "a", "y"], "two columns are named 'a'"), (["id", "", "b", "y"], "column 2"),
                           (["id", "a=1", "b", "y"], "cannot contain '='")):
        with pytest.raises(DatasetError, match=message):
            build_dataset(table, ["unused", "input", "input", "target"], names)


def test_reading_in_slices_gives_the_table_read_at_once(tmp_path):
    path, _values = cancer_like(tmp_path)
    whole = read_table(path)
    reader = CsvReader(path)
    slices = 0
    while not reader.read(7):
        slices += 1
        assert 0 < reader.progress < 1
    sliced = reader.table()
    assert slices == 569 // 7
    np.testing.assert_array_equal(build_dataset(sliced, default_roles(sliced)).rows,
                                  build_dataset(whole, default_roles(whole)).rows)
    np.testing.assert_array_equal(sliced.lines, whole.lines)


# -- the dialog ------------------------------------------------------------------------------------
def _ok(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_the_dialog_reads_a_typed_path(qtbot, tmp_path):
    dialog = CsvImportDialog()
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(iris_like(tmp_path)))
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    assert dialog.column_names() == ["column1", "column2", "column3", "column4", "column5"]
    assert "Line 1 skipped" in dialog.summary.text()
    dialog.path_edit.setText(str(tmp_path / "missing.csv"))
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    assert "cannot read missing.csv" in dialog.error_text() and not _ok(dialog).isEnabled()


def test_the_preview_is_exactly_the_imported_table_and_import_is_undoable(qtbot, tmp_path):
    doc = Document(load_example("regression"))
    path = write(tmp_path / "flowers.csv", "petal,sepal,kind\n1.5,2,a\n3,4,b\n5,6.25,c\n")
    dialog = CsvImportDialog(path)
    qtbot.addWidget(dialog)
    dialog.rename("petal", "petal length")
    data = dialog.dataset()
    assert data.columns == ["petal length", "sepal", "kind=a", "kind=b", "kind=c"]
    shown = [[dialog.preview.item(row, col).text() for col in range(5)] for row in range(3)]
    assert shown == [[format_number(value) for value in row] for row in data.rows]
    assert dialog.preview.horizontalHeaderItem(2).text() == "kind=a\n(target)"
    title_before = doc.session.title
    doc.set_dataset(data, dialog.title())
    assert doc.session.title == "flowers" and doc.network.sizes[0] == 2 and doc.network.sizes[-1] == 3
    doc.undo_stack.undo()
    assert doc.session.title == title_before and doc.session.dataset.columns == ["cgpa", "resume_score", "lpa"]


def test_options_and_roles_in_the_dialog(qtbot, tmp_path):
    dialog = CsvImportDialog(write(tmp_path / "d.csv", "1;2;3\n4;5;6\n"))
    qtbot.addWidget(dialog)
    assert dialog.delimiter_box.currentText() == "auto" and len(dialog.dataset()) == 2
    dialog.header_box.setCurrentText("yes")
    assert dialog.column_names() == ["1", "2", "3"] and len(dialog.dataset()) == 1
    dialog.delimiter_box.setCurrentText("comma")
    assert dialog.dataset() is None and "line 2 (row 1), column '1;2;3'" in dialog.error_text()
    dialog.set_options(header="yes", delimiter=";")
    dialog.set_role("2", "unused")
    assert dialog.chosen_columns() == (["1"], ["3"]) and _ok(dialog).isEnabled()


def test_a_bad_skip_value_names_the_field_and_changes_nothing(qtbot, tmp_path):
    dialog = CsvImportDialog(write(tmp_path / "d.csv", "a,b\n1,2\n"))
    qtbot.addWidget(dialog)
    before = dialog.dataset()
    dialog.skip_box.lineEdit().selectAll()
    qtbot.keyClicks(dialog.skip_box.lineEdit(), "x")
    assert "Lines to skip must be a whole number" in dialog.error_text()
    assert dialog.dataset() is before and _ok(dialog).isEnabled()


def _big_csv(path, rows: int, columns: int = 10):
    values = np.round(np.random.default_rng(1).uniform(-100, 100, size=(rows, columns)), 4)
    header = ",".join(f"c{index}" for index in range(columns))
    np.savetxt(path, values, delimiter=",", header=header, comments="", fmt="%.4f")
    return path, values


def test_a_large_file_is_read_in_slices_and_stop_leaves_nothing_to_import(qtbot, tmp_path):
    path, values = _big_csv(tmp_path / "big.csv", 30_000)
    dialog = CsvImportDialog(path)
    qtbot.addWidget(dialog)
    assert dialog.reading and dialog.dataset() is None and not _ok(dialog).isEnabled()
    with qtbot.waitSignal(dialog.read_finished, timeout=20_000):
        pass
    np.testing.assert_array_equal(dialog.dataset().rows, values)
    dialog.load(path)
    assert dialog.reading and not dialog.progress.isHidden()
    qtbot.mouseClick(dialog.cancel_read_button, Qt.MouseButton.LeftButton)
    assert not dialog.reading and dialog.dataset() is None and not _ok(dialog).isEnabled()
    assert "Reading stopped" in dialog.summary.text()


@pytest.mark.perf
def test_a_100000_row_file_imports_in_under_3_s_and_the_window_keeps_answering(qtbot, tmp_path):
    path, values = _big_csv(tmp_path / "big.csv", 100_000)
    gaps, clock = [], QElapsedTimer()
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(lambda: (gaps.append(clock.restart())))
    clock.start()
    ticker.start()
    started = time.perf_counter()
    dialog = CsvImportDialog(path)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.read_finished, timeout=20_000):
        pass
    elapsed = time.perf_counter() - started
    ticker.stop()
    np.testing.assert_array_equal(dialog.dataset().rows, values)
    assert elapsed < 3.0, elapsed
    assert max(gaps) < 100, max(gaps)
