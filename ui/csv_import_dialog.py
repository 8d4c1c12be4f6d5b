"""The CSV import dialog: choose a file, preview it, tick the input and target columns."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from simulator.dataset import Dataset, load_csv
from simulator.errors import SimulatorError
from simulator.formatting import format_number

PREVIEW_ROWS = 20
INPUT_COLUMN, TARGET_COLUMN = 1, 2
ERROR_STYLE = "color: #b00020;"


class CsvImportDialog(QDialog):
    """Loads a CSV with `simulator.dataset.load_csv`; OK is enabled only for a valid choice of columns."""

    def __init__(self, path: str | Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import CSV")
        self.path: Path | None = None
        self._loaded: Dataset | None = None
        self._chosen: Dataset | None = None
        self.path_edit = QLineEdit(self)
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText("No file chosen")
        self.path_edit.setToolTip("The CSV file being imported: a header row, then one number per cell")
        browse = QPushButton("&Browse…", self)
        browse.setToolTip("Choose a CSV file")
        browse.clicked.connect(self.browse)
        file_label = QLabel("&File:", self)
        file_label.setBuddy(browse)
        self.summary = QLabel(self)
        self.roles = QTableWidget(0, 3, self)
        self.roles.setHorizontalHeaderLabels(["Column", "Input", "Target"])
        self.roles.verticalHeader().setVisible(False)
        self.roles.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.roles.setToolTip("Tick the columns the network reads (inputs) and the ones it learns to predict "
                              "(targets); Space toggles the selected box")
        self.roles.itemChanged.connect(self._role_ticked)
        roles_label = QLabel("&Columns:", self)
        roles_label.setBuddy(self.roles)
        self.preview = QTableWidget(0, 0, self)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.setToolTip(f"The first {PREVIEW_ROWS} rows of the file")
        preview_label = QLabel("&Preview:", self)
        preview_label.setBuddy(self.preview)
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Import")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setToolTip(
            "Replace the training data with this file (Ctrl+Z undoes); training restarts")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip("Close without importing anything")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        file_row = QHBoxLayout()
        file_row.addWidget(file_label)
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(file_row)
        layout.addWidget(self.summary)
        layout.addWidget(roles_label)
        layout.addWidget(self.roles, 1)
        layout.addWidget(preview_label)
        layout.addWidget(self.preview, 2)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.resize(560, 520)
        self._set_ok(False)
        if path is not None:
            self.load(path)

    # -- result --------------------------------------------------------------------------------
    def dataset(self) -> Dataset | None:
        """The loaded data with the chosen input and target columns, or None if there is no valid choice."""
        return self._chosen

    def error_text(self) -> str:
        return self.error_label.text()

    def _set_ok(self, enabled: bool) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(enabled)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self._chosen = None
        self._set_ok(False)

    # -- loading -------------------------------------------------------------------------------
    def browse(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(self, "Import CSV", str(self.path.parent if self.path else ""),
                                                      "CSV files (*.csv);;All files (*)")
        if chosen:
            self.load(chosen)

    def load(self, path: str | Path) -> None:
        """Read `path`; on a problem show the message (row and column) and keep OK disabled."""
        self.path = Path(path)
        self.path_edit.setText(str(self.path))
        try:
            self._loaded = load_csv(self.path)
        except SimulatorError as error:
            self._loaded = None
            self.summary.clear()
            self.roles.setRowCount(0)
            self.preview.clear()
            self.preview.setRowCount(0)
            self.preview.setColumnCount(0)
            name = self.path.name  # most load errors name the file already; never say it twice
            self._show_error(str(error) if name in str(error) else f"{name}: {error}")
            return
        data = self._loaded
        self.summary.setText(f"{len(data)} rows, {len(data.columns)} columns")
        self._fill_roles(data)
        self._fill_preview(data)
        self._validate()

    def _fill_roles(self, data: Dataset) -> None:
        self.roles.blockSignals(True)
        self.roles.setRowCount(len(data.columns))
        for row, name in enumerate(data.columns):
            label = QTableWidgetItem(name)
            label.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.roles.setItem(row, 0, label)
            for column, ticked in ((INPUT_COLUMN, name in data.inputs), (TARGET_COLUMN, name in data.targets)):
                box = QTableWidgetItem()
                box.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
                box.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
                self.roles.setItem(row, column, box)
        self.roles.blockSignals(False)
        self.roles.resizeColumnsToContents()

    def _fill_preview(self, data: Dataset) -> None:
        shown = min(len(data), PREVIEW_ROWS)
        self.preview.setColumnCount(len(data.columns))
        self.preview.setRowCount(shown)
        for row in range(shown):
            for column in range(len(data.columns)):
                item = QTableWidgetItem(format_number(data.rows[row, column]))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.preview.setItem(row, column, item)

    # -- column roles --------------------------------------------------------------------------
    def set_role(self, name: str, role: str | None) -> None:
        """Make column `name` an `input`, a `target`, or unused (None), as ticking the boxes does."""
        row = self._loaded.columns.index(name)
        for column, wanted in ((INPUT_COLUMN, "input"), (TARGET_COLUMN, "target")):
            state = Qt.CheckState.Checked if role == wanted else Qt.CheckState.Unchecked
            self.roles.item(row, column).setCheckState(state)

    def chosen_columns(self) -> tuple[list[str], list[str]]:
        """(inputs, targets) as ticked, in file order."""
        inputs, targets = [], []
        for row in range(self.roles.rowCount()):
            name = self.roles.item(row, 0).text()
            if self.roles.item(row, INPUT_COLUMN).checkState() == Qt.CheckState.Checked:
                inputs.append(name)
            if self.roles.item(row, TARGET_COLUMN).checkState() == Qt.CheckState.Checked:
                targets.append(name)
        return inputs, targets

    def _role_ticked(self, item: QTableWidgetItem) -> None:
        if item.column() in (INPUT_COLUMN, TARGET_COLUMN) and item.checkState() == Qt.CheckState.Checked:
            other = TARGET_COLUMN if item.column() == INPUT_COLUMN else INPUT_COLUMN
            self.roles.blockSignals(True)
            self.roles.item(item.row(), other).setCheckState(Qt.CheckState.Unchecked)
            self.roles.blockSignals(False)
        self._validate()

    def _validate(self) -> None:
        if self._loaded is None:
            return
        inputs, targets = self.chosen_columns()
        data = self._loaded
        try:
            self._chosen = Dataset(list(data.columns), data.rows.copy(), inputs, targets)
        except SimulatorError as error:
            self._show_error(str(error))
        else:
            self.error_label.clear()
            self._set_ok(True)
        self._label_preview(inputs, targets)

    def _label_preview(self, inputs: list[str], targets: list[str]) -> None:
        titles = [f"{name} ({'input' if name in inputs else 'target' if name in targets else 'unused'})"
                  for name in self._loaded.columns]
        self.preview.setHorizontalHeaderLabels(titles)
        self.preview.resizeColumnsToContents()
