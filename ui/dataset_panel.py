"""The dataset panel: the training rows in an editable table, the current sample's row highlighted."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from simulator.errors import SimulatorError
from simulator.formatting import format_number

from .csv_import_dialog import CsvImportDialog
from .parsing import parse_float
from .document import Change

HIGHLIGHT = QColor(255, 225, 120)
FULL_PRECISION = 17
#: Up to this many columns share the panel's width; more get their natural widths and a scroll bar.
STRETCHED_COLUMNS = 4
ERROR_STYLE = "color: #b00020;"


class DatasetModel(QAbstractTableModel):
    """`document.session.dataset` as a table; edits go through `document.edit_cell` (undoable)."""

    edit_failed = Signal(str)
    edit_succeeded = Signal()
    highlight_moved = Signal()

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self.highlighted: set[int] = self.current_rows()
        document.changed.connect(self._document_changed)

    def _document_changed(self, change: Change) -> None:
        if change & Change.STRUCTURE:
            self._reset()
            return
        if change & (Change.DATA | Change.DISPLAY):
            self._cells_changed()
        if change & (Change.RECORDS | Change.POSITION | Change.SETTINGS | Change.DATA):
            self.update_highlight()

    @property
    def dataset(self):
        return self.document.session.dataset

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.dataset)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.dataset.columns)

    def column_title(self, column: int) -> str:
        """`cgpa (input)` or `lpa (target)`."""
        name = self.dataset.columns[column]
        role = "input" if name in self.dataset.inputs else "target" if name in self.dataset.targets else "unused"
        return f"{name} ({role})"

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return self.column_title(section).replace(" (", "\n(")
            return str(section + 1)
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            return f"Column {self.column_title(section)}; the target is what the network learns to predict"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = float(self.dataset.rows[index.row(), index.column()])
        if role == Qt.ItemDataRole.DisplayRole:
            return format_number(value, self.document.digits)
        if role == Qt.ItemDataRole.EditRole:
            return format_number(value, FULL_PRECISION)
        if role == Qt.ItemDataRole.BackgroundRole and index.row() in self.highlighted:
            return HIGHLIGHT
        if role == Qt.ItemDataRole.ForegroundRole and index.row() in self.highlighted:
            return QColor(0, 0, 0)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            current = " (the current sample)" if index.row() in self.highlighted else ""
            return (f"Row {index.row() + 1}{current}, {self.column_title(index.column())}: "
                    f"{format_number(value, FULL_PRECISION)}. Double-click or F2 to edit.")
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Parse the typed text and edit the cell through the document; False (and a message) if invalid."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        where = f"row {index.row() + 1}, {self.dataset.columns[index.column()]}"
        try:
            number = parse_float(str(value), where)
            self.document.edit_cell(index.row(), index.column(), number)
        except SimulatorError as error:
            self.edit_failed.emit(str(error))
            return False
        self.edit_succeeded.emit()
        return True

    # -- following the document ----------------------------------------------------------------
    def _reset(self) -> None:
        self.beginResetModel()
        self.highlighted = self.current_rows()
        self.endResetModel()

    def _cells_changed(self) -> None:
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)

    def current_rows(self) -> set[int]:
        """0-based rows of the sample being shown, or of the next batch when nothing is revealed."""
        stepper, training = self.document.stepper, self.document.training
        record = stepper.current
        if record is not None and record.kind == "epoch":   # the epoch's end: no row is the current one
            return set()
        if record is not None and getattr(record, "rows", ()):   # an update: the rows of its batch
            return {row - 1 for row in record.rows}
        if record is not None and hasattr(record, "row"):
            return {record.row - 1}
        if stepper.batch is not None:
            return {int(row) for row in stepper.batch.indices}
        if training.finished:
            return set()
        return {int(row) for row in training.current_batch()}

    def update_highlight(self) -> None:
        rows = self.current_rows()
        if rows == self.highlighted:
            return
        changed = rows ^ self.highlighted
        self.highlighted = rows
        last = self.columnCount() - 1
        for row in changed:
            if row < self.rowCount():
                self.dataChanged.emit(self.index(row, 0), self.index(row, last),
                                      [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole])
        self.highlight_moved.emit()


class DatasetPanel(QWidget):
    """The table, the import button, the standardise switch and a line for edit errors."""

    message = Signal(str)

    def __init__(self, document, controller, parent=None):
        super().__init__(parent)
        self.document = document
        self.controller = controller
        self.import_dialog: CsvImportDialog | None = None
        self.model = DatasetModel(document, self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setToolTip("The training data; the current sample's row is highlighted. "
                             "Double-click or F2 edits a cell (Ctrl+Z undoes)")
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        self.import_button = QPushButton("&Import CSV…", self)
        self.import_button.setToolTip("Load training data from a CSV file with a header row and choose "
                                      "the input and target columns")
        self.import_button.clicked.connect(lambda: self.import_csv())
        self.standardise_box = QCheckBox("S&tandardise inputs", self)
        self.standardise_box.setToolTip("Train on inputs scaled to mean 0 and standard deviation 1 "
                                        "(the table keeps showing the raw values); restarts training")
        self.standardise_box.toggled.connect(self._standardise_toggled)
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.standardise_box)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self.model.edit_failed.connect(self.show_error)
        self.model.edit_succeeded.connect(self.clear_error)
        self.model.highlight_moved.connect(self._scroll_to_current)
        self.model.modelReset.connect(self._structure_changed)
        self._structure_changed()

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(True)
        self.message.emit(text)

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.setVisible(False)

    def _structure_changed(self) -> None:
        self.standardise_box.blockSignals(True)
        self.standardise_box.setChecked(self.document.session.standardise)
        self.standardise_box.blockSignals(False)
        header = self.view.horizontalHeader()
        fits = self.model.columnCount() <= STRETCHED_COLUMNS
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch if fits else QHeaderView.ResizeMode.Interactive)
        if not fits:
            self.view.resizeColumnsToContents()
        self._scroll_to_current()

    def _scroll_to_current(self) -> None:
        if self.model.highlighted:
            self.view.scrollTo(self.model.index(min(self.model.highlighted), 0))

    def _standardise_toggled(self, on: bool) -> None:
        try:
            self.document.set_standardise(on)
        except SimulatorError as error:
            self.show_error(str(error))
            self._structure_changed()

    # -- import --------------------------------------------------------------------------------
    def import_csv(self, path: str | Path | None = None) -> CsvImportDialog | None:
        """Choose a CSV file (or use `path`), open the import dialog; its OK replaces the data (undoable)."""
        if path is None:
            chosen, _filter = QFileDialog.getOpenFileName(self, "Import CSV", "", "CSV files (*.csv);;All files (*)")
            if not chosen:
                return None
            path = chosen
        self.import_dialog = CsvImportDialog(path, self)
        self.import_dialog.accepted.connect(self._import_accepted)
        self.import_dialog.open()
        return self.import_dialog

    def _import_accepted(self) -> None:
        dialog = self.import_dialog
        if dialog is None or dialog.dataset() is None:
            return
        try:
            self.document.set_dataset(dialog.dataset())
        except SimulatorError as error:
            self.show_error(f"The data was not imported: {error}")
            return
        self.clear_error()
        self.message.emit(f"Imported {len(dialog.dataset())} rows from {Path(dialog.path).name}")
