"""The CSV import dialog: a file, how to read it, each column's role and name, and the table it makes.

The file is read with `simulator.csv_import.CsvReader`: a small file at once, a large one a slice at a
time from a timer, with a progress bar and Cancel, so the window keeps answering. The preview shows
the first rows of exactly the Dataset that Import hands over.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QProgressBar, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from simulator.csv_columns import build_dataset, default_roles, describe_column
from simulator.csv_import import DELIMITERS, ROLES, CsvOptions, CsvReader, CsvTable
from simulator.dataset import Dataset
from simulator.errors import SimulatorError
from simulator.files import title_of
from simulator.formatting import format_number

from .spin_box import RefusingSpinBox

PREVIEW_ROWS = 20
NAME_COLUMN, ROLE_COLUMN, HOLDS_COLUMN = 0, 1, 2
ERROR_STYLE = "color: #b00020;"
#: Cells read before the dialog first shows itself: a file this small is read at once.
FIRST_SLICE_CELLS = 20_000
#: Time one slice of a large file may take, so the window keeps answering between slices.
SLICE_SECONDS = 0.02
AUTO = "auto"
HEADER_ITEMS = (("auto", "auto"), ("yes", "yes"), ("no", "no"))
DELIMITER_ITEMS = ((None, AUTO),) + tuple((char, name) for char, name in DELIMITERS.items())
DECIMAL_ITEMS = ((None, AUTO), (True, "yes"), (False, "no"))


def _combo(parent: QWidget, items, tip: str) -> QComboBox:
    box = QComboBox(parent)
    for data, text in items:
        box.addItem(text, data)
    box.setToolTip(tip)
    return box


class CsvImportDialog(QDialog):
    """Import is enabled only when the file is read and the chosen columns make a valid Dataset."""

    read_finished = Signal()

    def __init__(self, path: str | Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import CSV")
        self.path: Path | None = None
        self._reader: CsvReader | None = None
        self._table: CsvTable | None = None
        self._chosen: Dataset | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._read_slice)
        self._build_widgets()
        self._lay_out()
        self.resize(780, 700)
        self._set_ok(False)
        if path is not None:
            self.load(path)

    def _build_widgets(self) -> None:
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("Type or paste the path of a CSV file, or Browse")
        self.path_edit.setToolTip("The CSV file to import; press Enter to read a typed path")
        self.path_edit.returnPressed.connect(self._path_typed)
        self.browse_button = QPushButton("&Browse…", self)
        self.browse_button.setToolTip("Choose a CSV file")
        self.browse_button.clicked.connect(self.browse)
        self.header_box = _combo(self, HEADER_ITEMS, "Is the first row (after skipped lines) a row of column names? "
                                 "auto: yes when none of its cells is a number")
        self.skip_box = RefusingSpinBox(self)
        self.skip_box.name = "Lines to skip"
        self.skip_box.setRange(-1, 1_000_000)
        self.skip_box.setSpecialValueText(AUTO)
        self.skip_box.setValue(-1)
        self.skip_box.setToolTip("Lines at the top of the file to leave out; auto leaves out leading lines "
                                 "that do not look like the data (a row count, a title)")
        self.delimiter_box = _combo(self, DELIMITER_ITEMS, "What separates the cells of a row")
        self.decimal_box = _combo(self, DECIMAL_ITEMS, "Numbers written with a decimal comma (1,5); "
                                  "auto: when the delimiter is not a comma and no number uses a point")
        for box in (self.header_box, self.delimiter_box, self.decimal_box):
            box.currentIndexChanged.connect(self._options_changed)
        self.skip_box.valueChanged.connect(self._options_changed)
        self.skip_box.refused.connect(self._show_error)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setToolTip("Reading the file")
        self.cancel_read_button = QPushButton("Stop &reading", self)
        self.cancel_read_button.setToolTip("Stop reading the file (nothing is imported)")
        self.cancel_read_button.clicked.connect(self.cancel_reading)
        self.roles = QTableWidget(0, 3, self)
        self.roles.setHorizontalHeaderLabels(["Column (double-click to rename)", "Role", "Holds"])
        self.roles.verticalHeader().setVisible(False)
        self.roles.horizontalHeader().setSectionResizeMode(HOLDS_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.roles.setToolTip("Each column's name and role: input (the network reads it), target (it learns to "
                              "predict it), unused, or class (its labels become one-hot targets COLUMN=LABEL)")
        self.roles.itemChanged.connect(lambda _item: self._validate())
        self.preview = QTableWidget(0, 0, self)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.setToolTip(f"The first {PREVIEW_ROWS} rows of exactly the table Import makes")
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("&Import")
        ok.setToolTip("Replace the training data with this table (Ctrl+Z undoes); training restarts")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip("Close without importing anything")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _lay_out(self) -> None:
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)
        options = QHBoxLayout()
        for text, widget in (("&Header row:", self.header_box), ("&Skip lines:", self.skip_box),
                             ("&Delimiter:", self.delimiter_box), ("Decimal co&mma:", self.decimal_box)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            options.addWidget(label)
            options.addWidget(widget)
        options.addStretch(1)
        reading = QHBoxLayout()
        reading.addWidget(self.progress, 1)
        reading.addWidget(self.cancel_read_button)
        form = QFormLayout()
        file_label = QLabel("&File:", self)
        file_label.setBuddy(self.path_edit)
        form.addRow(file_label, file_row)
        form.addRow(options)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addLayout(reading)
        columns_label = QLabel("&Columns:", self)
        columns_label.setBuddy(self.roles)
        layout.addWidget(columns_label)
        layout.addWidget(self.roles, 1)
        preview_label = QLabel("&Preview (the table that will be imported):", self)
        preview_label.setBuddy(self.preview)
        layout.addWidget(preview_label)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._show_progress(False)

    # -- result --------------------------------------------------------------------------------
    def dataset(self) -> Dataset | None:
        """The table to import, or None while there is no valid one."""
        return self._chosen

    def title(self) -> str:
        """The session's title after an import: the file's name without its extension."""
        return title_of(self.path) if self.path else ""

    def error_text(self) -> str:
        return self.error_label.text()

    @property
    def reading(self) -> bool:
        return self._reader is not None

    def _set_ok(self, enabled: bool) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(enabled)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        if self._table is None or self.reading:
            self._chosen = None
            self._set_ok(False)

    def _show_progress(self, shown: bool) -> None:
        self.progress.setVisible(shown)
        self.cancel_read_button.setVisible(shown)

    # -- the file and its options --------------------------------------------------------------
    def browse(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(self, "Import CSV", str(self.path.parent if self.path else ""),
                                                      "CSV files (*.csv *.txt *.tsv);;All files (*)")
        if chosen:
            self.load(chosen)

    def _path_typed(self) -> None:
        text = self.path_edit.text().strip()
        if not text:
            self._show_error("File: type the path of a CSV file, or choose one with Browse")
            return
        self.load(text)

    def options(self) -> CsvOptions:
        skip = self.skip_box.value()
        return CsvOptions(self.header_box.currentData(), None if skip < 0 else skip,
                          self.delimiter_box.currentData(), self.decimal_box.currentData())

    def set_options(self, header: str = "auto", skip: int | None = None, delimiter: str | None = None,
                    decimal_comma: bool | None = None) -> None:
        """Set every reading option at once (as choosing them does) and read the file again."""
        widgets = (self.header_box, self.skip_box, self.delimiter_box, self.decimal_box)
        for widget in widgets:
            widget.blockSignals(True)
        self.header_box.setCurrentIndex(self.header_box.findData(header))
        self.skip_box.setValue(-1 if skip is None else skip)
        self.delimiter_box.setCurrentIndex(self.delimiter_box.findData(delimiter))
        self.decimal_box.setCurrentIndex(self.decimal_box.findData(decimal_comma))
        for widget in widgets:
            widget.blockSignals(False)
        self._options_changed()

    def load(self, path: str | Path) -> None:
        """Read `path` with every option back on auto; problems are shown (line, column), Import stays off."""
        self.path = Path(path)
        self.path_edit.setText(str(self.path))
        self.set_options()

    def _options_changed(self) -> None:
        if self.path is not None:
            self._start_reading()

    def _start_reading(self) -> None:
        self.cancel_reading(quiet=True)
        self._table = self._chosen = None
        self._set_ok(False)
        self.error_label.clear()
        try:
            self._reader = CsvReader(self.path, self.options())
            done = self._reader.read(max(1, FIRST_SLICE_CELLS // self._reader.layout.width))
        except SimulatorError as error:
            self._failed(error)
            return
        if done:
            self._finish()
        else:
            self.summary.setText(f"Reading {self.path.name}…")
            self._show_progress(True)
            self.progress.setValue(int(self._reader.progress * 1000))
            self._timer.start()

    def _read_slice(self) -> None:
        reader = self._reader
        if reader is None:
            self._timer.stop()
            return
        rows = max(1, FIRST_SLICE_CELLS // (4 * reader.layout.width))   # a few ms each
        deadline = time.perf_counter() + SLICE_SECONDS
        try:
            while not reader.read(rows) and time.perf_counter() < deadline:
                pass
        except SimulatorError as error:
            self._failed(error)
            return
        self.progress.setValue(int(reader.progress * 1000))
        if reader.done:
            self._finish()

    def cancel_reading(self, quiet: bool = False) -> None:
        """Stop reading the file; nothing is imported."""
        if self._reader is None:
            return
        self._timer.stop()
        rows = self._reader.rows_read
        self._reader = None
        self._show_progress(False)
        if not quiet:
            self.summary.setText(f"Reading stopped after {rows:,} rows: nothing will be imported.")
            self._clear_tables()

    def _failed(self, error: SimulatorError) -> None:
        self._timer.stop()
        self._reader = self._table = None
        self._show_progress(False)
        self.summary.clear()
        self._clear_tables()
        name = self.path.name  # many messages name the file already; never say it twice
        self._show_error(str(error) if name in str(error) else f"{name}: {error}")
        self.read_finished.emit()

    def _clear_tables(self) -> None:
        self.roles.setRowCount(0)
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview.setColumnCount(0)

    def _finish(self) -> None:
        self._timer.stop()
        table = self._reader.table()
        self._reader = None
        self._show_progress(False)
        self._table = table
        layout = table.layout
        lines = [f"{len(table):,} rows, {len(table.columns)} columns: {layout.description()}."]
        lines += [note[0].upper() + note[1:] + "." for note in table.notes]
        self.summary.setText("\n".join(lines))
        self._fill_roles(table)
        self._validate()
        self.read_finished.emit()

    # -- column roles and names ----------------------------------------------------------------
    def _fill_roles(self, table: CsvTable) -> None:
        self.roles.blockSignals(True)
        self.roles.setRowCount(len(table.columns))
        for row, (column, role) in enumerate(zip(table.columns, default_roles(table))):
            self.roles.setItem(row, NAME_COLUMN, QTableWidgetItem(column.name))
            box = _combo(self.roles, [(name, name) for name in ROLES],
                         f"The role of column {row + 1}: input, target, unused, or class (one-hot targets)")
            box.setCurrentIndex(ROLES.index(role))
            box.currentIndexChanged.connect(lambda _index: self._validate())
            self.roles.setCellWidget(row, ROLE_COLUMN, box)
            holds = QTableWidgetItem(describe_column(column))
            holds.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.roles.setItem(row, HOLDS_COLUMN, holds)
        self.roles.blockSignals(False)
        self.roles.resizeColumnToContents(NAME_COLUMN)
        self.roles.resizeColumnToContents(ROLE_COLUMN)

    def _role_box(self, row: int) -> QComboBox:
        return self.roles.cellWidget(row, ROLE_COLUMN)

    def column_roles(self) -> list[str]:
        return [self._role_box(row).currentText() for row in range(self.roles.rowCount())]

    def column_names(self) -> list[str]:
        return [self.roles.item(row, NAME_COLUMN).text() for row in range(self.roles.rowCount())]

    def _row_of(self, name: str) -> int:
        names = self.column_names()
        if name not in names:
            raise KeyError(f"there is no column {name!r}; the columns are {', '.join(names)}")
        return names.index(name)

    def set_role(self, name: str, role: str | None) -> None:
        """Make column `name` an `input`, `target`, `class` column or unused (None), as the Role box does."""
        self._role_box(self._row_of(name)).setCurrentIndex(ROLES.index(role or "unused"))

    def rename(self, name: str, new_name: str) -> None:
        """Rename column `name`, as typing in the Column cell does."""
        self.roles.item(self._row_of(name), NAME_COLUMN).setText(new_name)

    def chosen_columns(self) -> tuple[list[str], list[str]]:
        """(inputs, targets) of the table Import makes, in order (a class column as its one-hot columns)."""
        if self._chosen is not None:
            return list(self._chosen.inputs), list(self._chosen.targets)
        pairs = list(zip(self.column_names(), self.column_roles()))
        return [name for name, role in pairs if role == "input"], [name for name, role in pairs if role == "target"]

    def _validate(self) -> None:
        if self._table is None:
            return
        try:
            self._chosen = build_dataset(self._table, self.column_roles(), self.column_names())
        except SimulatorError as error:
            self._chosen = None
            self.error_label.setText(str(error))
            self._set_ok(False)
            self._fill_raw_preview(self._table)
            return
        self.error_label.clear()
        self._set_ok(True)
        self._fill_preview(self._chosen)

    # -- preview -------------------------------------------------------------------------------
    def _fill_preview(self, data: Dataset) -> None:
        shown = min(len(data), PREVIEW_ROWS)
        self.preview.clear()
        self.preview.setColumnCount(len(data.columns))
        self.preview.setRowCount(shown)
        for row in range(shown):
            for column in range(len(data.columns)):
                self._set_cell(row, column, format_number(data.rows[row, column]), True)
        self.preview.setHorizontalHeaderLabels([
            f"{name}\n({'input' if name in data.inputs else 'target' if name in data.targets else 'unused'})"
            for name in data.columns])
        self.preview.resizeColumnsToContents()

    def _fill_raw_preview(self, table: CsvTable) -> None:
        """The file's cells as read, while the chosen columns make no table."""
        shown = min(len(table), PREVIEW_ROWS)
        self.preview.clear()
        self.preview.setColumnCount(len(table.columns))
        self.preview.setRowCount(shown)
        for row in range(shown):
            for col, column in enumerate(table.columns):
                number = row not in column.texts
                self._set_cell(row, col, format_number(column.values[row]) if number else column.texts[row], number)
        self.preview.setHorizontalHeaderLabels([f"{name}\n(as read)" for name in self.column_names()])
        self.preview.setVerticalHeaderLabels([f"line {int(line)}" for line in table.lines[:shown]])
        self.preview.resizeColumnsToContents()

    def _set_cell(self, row: int, column: int, text: str, number: bool) -> None:
        item = QTableWidgetItem(text)
        if number:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.preview.setItem(row, column, item)
