"""The dataset panel: the rows in an editable table, the current sample's row highlighted, with the
network's live prediction and loss for every row (read-only columns after the data) and the held-out
rows marked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from simulator.errors import SimulatorError
from simulator.formatting import format_number
from simulator.metrics import predicted_classes

from .csv_import_dialog import CsvImportDialog
from .parsing import parse_float
from .document import Change

HIGHLIGHT = QColor(255, 225, 120)
HELD_OUT = QColor(225, 225, 225)
PREDICTION_TEXT = QColor(40, 70, 150)
#: Predictions are computed for blocks of this many rows, when a row of the block is first shown.
PREDICTION_BLOCK = 512
FULL_PRECISION = 17
#: A column is as wide as its header and the widest text of the rows in view (at most this many when
#: the table is not shown yet): measuring every row of a large table would take seconds, so scrolling
#: measures the rows that come into view. A column never gets narrower while the data stay the same,
#: so the table does not jiggle as the numbers change during a run.
SIZED_ROWS = 50
#: Room beside a cell's text (Qt's item margins and the grid line).
CELL_PADDING = 14
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
        #: Per block of PREDICTION_BLOCK rows: (ŷ: (rows, n_outputs), loss: (rows,)), made when first shown.
        self._predictions: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._held_out: frozenset[int] = self._held_out_rows()
        document.changed.connect(self._document_changed)

    def _document_changed(self, change: Change) -> None:
        if change & Change.STRUCTURE:
            self._reset()
            return
        if change & (Change.DATA | Change.DISPLAY):
            self._cells_changed()
        if change & (Change.PARAMETERS | Change.RECORDS | Change.DATA | Change.SETTINGS | Change.DISPLAY):
            self._predictions_changed()
        if change & (Change.RECORDS | Change.POSITION | Change.SETTINGS | Change.DATA):
            self.update_highlight()

    @property
    def dataset(self):
        return self.document.session.dataset

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.dataset)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.dataset.columns) + len(self.prediction_columns())

    def prediction_columns(self) -> list[tuple[str, int]]:
        """The read-only columns after the data: ("ŷ", output) per output, ("class", 0) for
        classification, then ("loss", 0)."""
        training = self.document.training
        columns = [("ŷ", output) for output in range(training.network.n_outputs)]
        if training.task != "regression":
            columns.append(("class", 0))
        return columns + [("loss", 0)]

    def is_prediction(self, column: int) -> bool:
        return column >= len(self.dataset.columns)

    def column_title(self, column: int) -> str:
        """`cgpa (input)` or `lpa (target)`; `ŷ lpa (prediction)`, `class (predicted)`, `loss (this row)`."""
        if self.is_prediction(column):
            kind, output = self.prediction_columns()[column - len(self.dataset.columns)]
            if kind == "ŷ":
                return f"ŷ {self.document.training.network.output_names[output]} (prediction)"
            return "class (predicted)" if kind == "class" else "loss (this row)"
        name = self.dataset.columns[column]
        role = "input" if name in self.dataset.inputs else "target" if name in self.dataset.targets else "unused"
        return f"{name} ({role})"

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return self.column_title(section).replace(" (", "\n(")
            return f"{section + 1} held out" if section in self._held_out else str(section + 1)
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            if self.is_prediction(section):
                return (f"{self.column_title(section)}: computed by the network with its current parameters, "
                        "for every row (held-out rows too); it follows training")
            return f"Column {self.column_title(section)}; the target is what the network learns to predict"
        if role == Qt.ItemDataRole.ToolTipRole and section in self._held_out:
            return f"Row {section + 1} is held out: training never sees it; its loss is measured every epoch"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if self.is_prediction(index.column()):
            return self._prediction_data(index, role)
        if role == Qt.ItemDataRole.BackgroundRole and index.row() in self._held_out \
                and index.row() not in self.highlighted:
            return HELD_OUT
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

    def _prediction_data(self, index: QModelIndex | QPersistentModelIndex, role: int):
        row = index.row()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            return HIGHLIGHT if row in self.highlighted else HELD_OUT if row in self._held_out else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(0, 0, 0) if row in self.highlighted else PREDICTION_TEXT
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        kind, output = self.prediction_columns()[index.column() - len(self.dataset.columns)]
        text = self.prediction_text(row, kind, output)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Row {row + 1}, {self.column_title(index.column())}: {text}, with the current parameters"
        return text

    def prediction(self, row: int) -> tuple[np.ndarray, float]:
        """Row `row`'s ŷ, `(n_outputs,)`, and loss with the network's current parameters."""
        block = row // PREDICTION_BLOCK
        found = self._predictions.get(block)
        if found is None:
            training = self.document.training
            rows = slice(block * PREDICTION_BLOCK, (block + 1) * PREDICTION_BLOCK)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                y_hat = training.network.predict(training.X[rows])
                found = self._predictions[block] = (y_hat, training.loss.value(training.Y[rows], y_hat))
        y_hat, losses = found
        return y_hat[row % PREDICTION_BLOCK], float(losses[row % PREDICTION_BLOCK])

    def prediction_text(self, row: int, kind: str, output: int = 0) -> str:
        """What a prediction column shows for `row`: ŷ, the predicted class, or the row's loss."""
        y_hat, loss = self.prediction(row)
        digits = self.document.digits
        if kind == "ŷ":
            return format_number(float(y_hat[output]), digits)
        if kind == "loss":
            return format_number(loss, digits)
        training = self.document.training
        if training.task == "multiclass":
            name = training.network.output_names[int(predicted_classes("multiclass", y_hat[None, :])[0])]
            return name.split("=", 1)[1] if "=" in name else name   # a one-hot column `species=setosa`
        return ", ".join(str(value) for value in predicted_classes("binary", y_hat).tolist())

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if self.is_prediction(index.column()):
            return super().flags(index)
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Parse the typed text and edit the cell through the document; False (and a message) if invalid."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or self.is_prediction(index.column()):
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
        self._predictions = {}
        self._held_out = self._held_out_rows()
        self.endResetModel()

    def _held_out_rows(self) -> frozenset[int]:
        return frozenset(self.document.training.held_out_rows.tolist())

    def _predictions_changed(self) -> None:
        """Drop the predictions (made again when shown) and repaint their columns; re-mark held-out rows."""
        self._predictions = {}
        first, last = len(self.dataset.columns), self.columnCount() - 1
        if self.rowCount() and last >= first:
            self.dataChanged.emit(self.index(0, first), self.index(self.rowCount() - 1, last),
                                  [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole])
        held_out = self._held_out_rows()
        if held_out != self._held_out:
            self._held_out = held_out
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, max(self.rowCount() - 1, 0))
            if self.rowCount():
                self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, last),
                                      [Qt.ItemDataRole.BackgroundRole])

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
        # Numbers are never cut to "0.0056…": the columns take their contents' widths and the table
        # scrolls sideways when the panel is narrower; wider panels share the room out.
        self.view.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.content_widths: list[int] = []
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fresh_fit = False
        self._fit_timer.timeout.connect(lambda: self.fit_columns(self._fresh_fit))
        self.view.viewport().installEventFilter(self)
        self.view.verticalScrollBar().valueChanged.connect(self._fit_timer.start)
        self.import_button = QPushButton("&Import CSV…", self)
        self.import_button.setToolTip("Load training data from a CSV file (with or without a header row) and "
                                      "choose the input, target and class columns")
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
        self.model.dataChanged.connect(self._fit_timer.start)
        self.model.headerDataChanged.connect(self._fit_timer.start)
        self._structure_changed()

    # -- column widths --------------------------------------------------------------------------
    def fit_columns(self, fresh: bool = False) -> None:
        """Every column at least as wide as its header and its sampled cells (see SIZED_ROWS), never
        narrower than before unless `fresh` (new data or a new font); room left over is shared out."""
        self._fit_timer.stop()
        self._fresh_fit = False
        header = self.view.horizontalHeader()
        count = self.model.columnCount()
        old = [] if fresh or len(self.content_widths) != count else self.content_widths
        widths = [max(width, header.sectionSizeHint(column)) for column, width in enumerate(self._text_widths())]
        self.content_widths = [max(pair) for pair in zip(widths, old)] if old else widths
        self._share_room()

    def _text_widths(self) -> list[int]:
        """The widest display text of each column over the rows in view, with the cell's padding."""
        view, model = self.view, self.model
        first = max(view.rowAt(0), 0)
        last = view.rowAt(view.viewport().height() - 1)
        if last < 0 or not view.isVisible():
            last = first + SIZED_ROWS - 1
        last = min(last, model.rowCount() - 1)
        metrics = view.fontMetrics()
        widths = []
        for column in range(model.columnCount()):
            texts = (model.data(model.index(row, column)) for row in range(first, last + 1))
            widths.append(max((metrics.horizontalAdvance(str(text)) for text in texts if text is not None),
                              default=0) + CELL_PADDING)
        return widths

    def _share_room(self) -> None:
        header = self.view.horizontalHeader()
        widths = self.content_widths
        if not widths:
            return
        spare = max(0, self.view.viewport().width() - sum(widths))
        for column, width in enumerate(widths):
            share = spare // len(widths) + (1 if column < spare % len(widths) else 0)
            if header.sectionSize(column) != width + share:
                header.resizeSection(column, width + share)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._share_room()
        return super().eventFilter(watched, event)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:    # presentation mode: the numbers need other widths
            self._fresh_fit = True                     # once every widget has the new font
            self._fit_timer.start()

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
        self.fit_columns(fresh=True)
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
            self.document.set_dataset(dialog.dataset(), dialog.title())
        except SimulatorError as error:
            self.show_error(f"The data was not imported: {error}")
            return
        self.clear_error()
        self.message.emit(f"Imported {len(dialog.dataset())} rows from {Path(dialog.path).name}")
