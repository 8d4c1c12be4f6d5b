"""Datasets: named numeric columns, some of them inputs and some targets; CSV loading."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import DatasetError
from .files import read_regular_file
from .formatting import format_number
from .limits import MAX_CELL_MAGNITUDE
from .numbers import EMPTY, NOT_A_NUMBER, NumberError, parse_number

#: Files larger than this are refused before reading: the simulator is for small teaching data.
MAX_CSV_BYTES = 50 * 1024 * 1024
MAX_ROWS = 1_000_000


def parse_cell(text: str, where: str) -> float:
    """A finite float within ±MAX_CELL_MAGNITUDE from a cell's text, or a DatasetError naming `where`."""
    try:
        value = parse_number(text)
    except NumberError as error:
        if error.reason == EMPTY:
            raise DatasetError(f"{where}: the cell is empty") from None
        if error.reason == NOT_A_NUMBER:
            raise DatasetError(f"{where}: {error}") from None
        raise DatasetError(f"{where}: {error.text[:40]!r} is not a finite number") from None
    if abs(value) > MAX_CELL_MAGNITUDE:
        raise DatasetError(f"{where}: {str(text).strip()[:40]} is beyond the limit of ±{MAX_CELL_MAGNITUDE:g} for a cell")
    return value


@dataclass
class Dataset:
    """`rows: (n, n_columns)` floats; `inputs` and `targets` are column names, in order."""

    columns: list[str]
    rows: np.ndarray
    inputs: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    description: str = ""

    def __post_init__(self) -> None:
        self.columns = [str(name) for name in self.columns]
        if len(set(self.columns)) != len(self.columns):
            raise DatasetError("column names must be unique")
        try:
            rows = np.array(self.rows, dtype=float)
        except (TypeError, ValueError):
            raise DatasetError("every cell must be a number and every row as long as the header") from None
        if rows.size == 0:
            rows = rows.reshape(0, len(self.columns))
        if rows.ndim != 2 or rows.shape[1] != len(self.columns):
            raise DatasetError(f"every row needs {len(self.columns)} values, one per column")
        if rows.shape[0] == 0:
            raise DatasetError("the dataset has no rows")
        bad = np.argwhere(~np.isfinite(rows))
        if bad.size:
            row, col = bad[0]
            raise DatasetError(f"row {row + 1}, column {self.columns[col]!r}: not a finite number")
        self.rows = rows
        if not self.inputs and not self.targets:
            self.inputs, self.targets = self.columns[:-1], self.columns[-1:]
        for name in list(self.inputs) + list(self.targets):
            if name not in self.columns:
                raise DatasetError(f"there is no column {name!r}; the columns are {', '.join(self.columns)}")
        if not self.inputs or not self.targets:
            raise DatasetError("choose at least one input column and one target column")
        if set(self.inputs) & set(self.targets):
            raise DatasetError("a column cannot be both an input and a target")

    def __repr__(self) -> str:
        return f"Dataset({len(self)} rows, inputs={self.inputs}, targets={self.targets})"

    def __len__(self) -> int:
        return self.rows.shape[0]

    def copy(self) -> "Dataset":
        return Dataset(list(self.columns), self.rows.copy(), list(self.inputs), list(self.targets),
                       self.description)

    def _indices(self, names: Sequence[str]) -> list[int]:
        return [self.columns.index(name) for name in names]

    @property
    def X(self) -> np.ndarray:
        """Inputs: (n, n_inputs), row by row in memory (a batch takes rows: from a column-ordered
        array, numpy's `take` into a buffer copied the whole array for every batch)."""
        return np.ascontiguousarray(self.rows[:, self._indices(self.inputs)])

    @property
    def Y(self) -> np.ndarray:
        """Targets: (n, n_targets), row by row in memory (see `X`)."""
        return np.ascontiguousarray(self.rows[:, self._indices(self.targets)])

    def check_binary_targets(self) -> None:
        """Binary cross-entropy needs every target in [0, 1]."""
        targets = self.Y
        bad = np.argwhere((targets < 0) | (targets > 1))
        if bad.size:
            row, col = bad[0]
            raise DatasetError(
                f"row {row + 1}, column {self.targets[col]!r}: target {format_number(targets[row, col], 6)} is outside "
                "[0, 1], which binary cross-entropy needs")

    def check_one_hot_targets(self) -> None:
        """Cross-entropy over classes needs one-hot target rows: one 1, every other target 0."""
        targets = self.Y
        bad = np.argwhere((targets != 0) & (targets != 1))
        if bad.size:
            row, col = bad[0]
            raise DatasetError(
                f"row {row + 1}, column {self.targets[col]!r}: target {format_number(targets[row, col], 6)} is "
                "neither 0 nor 1; categorical cross-entropy needs one-hot targets (one 1 per row, the rest 0)")
        counts = targets.sum(axis=1)
        wrong = np.flatnonzero(counts != 1)
        if wrong.size:
            row = wrong[0]
            ones = int(counts[row])
            raise DatasetError(
                f"row {row + 1}: {'no target is 1' if ones == 0 else f'{ones} targets are 1'} "
                f"(of {', '.join(self.targets)}); categorical cross-entropy needs exactly one 1 per row")

    def set_cell(self, row: int, column: int, value: float) -> None:
        if not math.isfinite(float(value)):
            raise DatasetError(f"row {row + 1}, column {self.columns[column]!r}: not a finite number")
        self.rows[row, column] = float(value)

    def standardisation(self) -> tuple[np.ndarray, np.ndarray]:
        """What `standardised` subtracts from and divides each input column by: `(n_inputs,)` each
        (the mean, and the standard deviation, or 1 for a column that does not vary)."""
        means, divisors = [], []
        for index in self._indices(self.inputs):
            column = self.rows[:, index]
            spread = column.std()
            means.append(column.mean())
            divisors.append(spread if spread > 0 else 1.0)
        return np.array(means), np.array(divisors)

    def standardised(self) -> "Dataset":
        """A copy with every input column scaled to mean 0 and standard deviation 1."""
        copy = self.copy()
        means, divisors = self.standardisation()
        for index, mean, divisor in zip(self._indices(self.inputs), means, divisors):
            copy.rows[:, index] = (copy.rows[:, index] - mean) / divisor
        return copy

    def to_dict(self) -> dict:
        return {"columns": list(self.columns), "rows": self.rows.tolist(),
                "inputs": list(self.inputs), "targets": list(self.targets)}


def read_csv_text(text: str, inputs: Sequence[str] | None = None,
                  targets: Sequence[str] | None = None) -> Dataset:
    """Parse CSV text with a header row; all cells numeric; by default the last column is the target."""
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise DatasetError("the file is not a text CSV file (it contains binary data)")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        lines = [(reader.line_num, row) for row in reader if row and any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise DatasetError(f"line {reader.line_num}: not valid CSV ({error})") from None
    if not lines:
        raise DatasetError("the file is empty: it needs a header row and at least one data row")
    header_line, header = lines[0]
    columns = [cell.strip() for cell in header]
    for index, name in enumerate(columns, start=1):
        if not name:
            raise DatasetError(f"line {header_line}: column {index} of the header has no name")
    if len(set(columns)) != len(columns):
        raise DatasetError(f"line {header_line}: the header repeats a column name")
    if len(lines) < 2:
        raise DatasetError("the file has a header but no data rows")
    if len(lines) - 1 > MAX_ROWS:
        raise DatasetError(f"the file has more than {MAX_ROWS:,} rows")
    rows = []
    for data_row, (line, cells) in enumerate(lines[1:], start=1):
        if len(cells) != len(columns):
            raise DatasetError(
                f"line {line} (row {data_row}): {len(cells)} cells, but the header has {len(columns)} columns")
        rows.append([parse_cell(cell, f"line {line} (row {data_row}), column {columns[col]!r}")
                     for col, cell in enumerate(cells)])
    chosen_targets = list(targets) if targets else columns[-1:]
    chosen_inputs = list(inputs) if inputs else [name for name in columns if name not in chosen_targets]
    return Dataset(columns, np.array(rows), chosen_inputs, chosen_targets)


def load_csv(path: str | Path, inputs: Sequence[str] | None = None,
             targets: Sequence[str] | None = None) -> Dataset:
    """Load a CSV file (UTF-8, a header row; regular files only, so a FIFO never blocks); problems are DatasetErrors."""
    raw = read_regular_file(path, MAX_CSV_BYTES, DatasetError, "a CSV file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetError(f"{Path(path).name} is not UTF-8 text (byte {error.start + 1} cannot be decoded)") from None
    return read_csv_text(text, inputs, targets)
