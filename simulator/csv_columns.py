"""The columns of an imported table: their roles, class columns as one-hot targets, and the Dataset.

A column is an `input`, a `target`, `unused`, or a `class` column: its labels (text, or a few
distinct whole numbers) become one target column per label, `COLUMN=LABEL`, holding 1 in the rows of
that label and 0 elsewhere. `suggested_session` gives an imported dataset a network suited to its
targets (see docs/cli.md, `import`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .csv_import import MAX_CLASSES, ROLES, CsvColumn, CsvTable
from .dataset import Dataset, parse_cell
from .errors import DatasetError
from .formatting import format_number
from .initialisation import Initialisation, build_network
from .limits import MAX_LAYER_SIZE
from .session import Session
from .training import TrainingConfig


@dataclass(frozen=True, slots=True)
class ClassLabels:
    """A class column's labels in order, and each row's label as its index: `codes: (n,)` ints."""

    labels: tuple[str, ...]
    codes: np.ndarray


def default_roles(table: CsvTable) -> list[str]:
    """The last column is the target (a class column if it holds 2 or more text labels); other columns
    are inputs, except those that hold 2 or more labels and no number (names, ids), which are unused."""
    labelled = [column.kind == "labels" and len({text.strip() for text in column.texts.values()}) >= 2
                for column in table.columns]
    roles = ["unused" if labels else "input" for labels in labelled]
    roles[-1] = "class" if labelled[-1] else "target"
    return roles


def describe_column(column: CsvColumn) -> str:
    """What a column holds, in a few words: `numbers`, `3 whole numbers (0 to 2)`, `3 labels: a, b, c`…"""
    if column.kind == "numbers":
        distinct = np.unique(column.values) if column.whole_numbers() else ()
        if 0 < len(distinct) <= MAX_CLASSES:
            low, high = format_number(distinct[0]), format_number(distinct[-1])
            return f"{len(distinct)} whole number{'s' if len(distinct) > 1 else ''} ({low} to {high})"
        return "numbers"
    if column.kind == "labels":
        labels = sorted({text.strip() for text in column.texts.values()})
        shown = ", ".join(labels[:4]) + (", …" if len(labels) > 4 else "")
        return f"{len(labels)} label{'s' if len(labels) > 1 else ''}: {shown}"
    return f"numbers, and text in {len(column.texts):,} row{'s' if len(column.texts) > 1 else ''}"


def class_labels(table: CsvTable, col: int, name: str) -> ClassLabels:
    """The labels of column `col` as a class column named `name`: text labels, or whole numbers."""
    column = table.columns[col]
    label_of_row = {}
    for row, text in column.texts.items():
        label = text.strip()
        if not label:
            raise DatasetError(f"{table.where(row, name)}: the cell is empty, and a class column needs a label "
                               "in every row")
        label_of_row[row] = label
    numeric = np.ones(len(table), dtype=bool)
    numeric[list(column.texts)] = False
    numbers = column.values[numeric]
    fractional = np.flatnonzero(numbers != np.round(numbers))
    if fractional.size:
        row = int(np.flatnonzero(numeric)[fractional[0]])
        raise DatasetError(f"{table.where(row, name)}: {format_number(column.values[row])} is not a whole number; "
                           "a class column holds labels or whole numbers")
    whole = np.unique(numbers).astype(np.int64)
    texts = sorted(set(label_of_row.values()) - {str(value) for value in whole})
    labels = tuple(str(value) for value in whole) + tuple(texts)
    if len(labels) < 2:
        raise DatasetError(f"column {name!r}: a class column needs at least 2 different labels; it has "
                           f"{len(labels)}" + (f" ({labels[0]!r})" if labels else ""))
    if len(labels) > MAX_CLASSES:
        raise DatasetError(f"column {name!r} has {len(labels):,} different labels; a class column can have at "
                           f"most {MAX_CLASSES} (one output neuron each)")
    index = {label: code for code, label in enumerate(labels)}
    codes = np.empty(len(table), dtype=np.int64)
    codes[numeric] = np.searchsorted(whole, numbers.astype(np.int64))
    for row, label in label_of_row.items():
        codes[row] = index[label]
    return ClassLabels(labels, codes)


def _checked_names(table: CsvTable, names: Sequence[str] | None) -> list[str]:
    names = [column.name for column in table.columns] if names is None else [str(name).strip() for name in names]
    if len(names) != len(table.columns):
        raise DatasetError(f"{len(names)} names for {len(table.columns)} columns")
    for index, name in enumerate(names, start=1):
        if not name:
            raise DatasetError(f"column {index}: the name is empty")
        if "=" in name:
            raise DatasetError(f"column {index}: a name cannot contain '=' ({name!r}); it marks a class column's labels")
    return names


def _cell_problem(table: CsvTable, column: CsvColumn, name: str) -> DatasetError:
    """The problem with the first cell of `column` that is not a usable number."""
    row = min(column.texts)
    hint = " (the column holds text: make it a class column or unused)" if column.kind == "labels" else ""
    try:
        parse_cell(column.texts[row], table.where(row, name))
    except DatasetError as error:
        return DatasetError(f"{error}{hint}")
    return DatasetError(f"{table.where(row, name)}: {column.texts[row][:40]!r} is not a usable number{hint}")


def build_dataset(table: CsvTable, roles: Sequence[str], names: Sequence[str] | None = None) -> Dataset:
    """The Dataset `table` makes with one role per column (see ROLES) and, optionally, new names.

    Unused columns are kept if they hold only numbers (the table shows them) and left out otherwise.
    """
    names = _checked_names(table, names)
    if len(roles) != len(table.columns):
        raise DatasetError(f"{len(roles)} roles for {len(table.columns)} columns")
    columns, data, inputs, targets = [], [], [], []
    for col, (column, role, name) in enumerate(zip(table.columns, roles, names)):
        if role not in ROLES:
            raise DatasetError(f"column {name!r}: the role must be {', '.join(ROLES)}, not {role!r}")
        if role == "class":
            found = class_labels(table, col, name)
            for code, label in enumerate(found.labels):
                columns.append(f"{name}={label}")
                data.append((found.codes == code).astype(float))
                targets.append(columns[-1])
            continue
        if column.texts:
            if role == "unused":
                continue
            raise _cell_problem(table, column, name)
        columns.append(name)
        data.append(column.values)
        {"input": inputs, "target": targets}.get(role, []).append(name)
    repeated = [name for name, count in Counter(columns).items() if count > 1]
    if repeated:
        raise DatasetError(f"two columns are named {repeated[0]!r}; rename one")
    for kind, chosen in (("input", inputs), ("target", targets)):
        if len(chosen) > MAX_LAYER_SIZE:
            raise DatasetError(f"{len(chosen)} {kind} columns: a network takes at most {MAX_LAYER_SIZE} "
                               f"{kind}s; set some columns to unused")
    if not inputs or not targets:
        raise DatasetError("choose at least one input column and one target column")
    return Dataset(columns, np.column_stack(data), inputs, targets)


def suggested_output(dataset: Dataset, classes: bool) -> tuple[str, str]:
    """(output activation, loss) for the targets: softmax + cross_entropy for a class column (when the
    engine has them), sigmoid + bce for 0/1 targets, otherwise linear + mse."""
    from .activations import get_activation
    from .errors import ConfigError

    if classes:
        try:
            get_activation("softmax")
            return "softmax", "cross_entropy"
        except ConfigError:
            return "sigmoid", "bce"
    targets = dataset.Y
    if np.all((targets == 0) | (targets == 1)):
        return "sigmoid", "bce"
    return "linear", "mse"


def default_hidden(dataset: Dataset) -> list[int]:
    """One hidden layer as wide as the inputs, from 2 to 16 neurons."""
    return [min(max(len(dataset.inputs), 2), 16)]


def suggested_session(dataset: Dataset, title: str, classes: bool, hidden: Sequence[int] | None = None,
                      activation: str = "tanh") -> Session:
    """A session on `dataset` with a network suited to its targets; inputs standardised, weights drawn
    (Xavier, seed 0) so the hidden neurons start different."""
    output, loss = suggested_output(dataset, classes)
    sizes = [len(dataset.inputs), *(default_hidden(dataset) if hidden is None else hidden), len(dataset.targets)]
    init = Initialisation("xavier")
    network = build_network(sizes, [activation] * (len(sizes) - 2) + [output], init, list(dataset.inputs),
                            list(dataset.targets))
    return Session(network, loss, TrainingConfig(learning_rate=0.01), dataset, init, standardise=True, title=title,
                   description=f"Imported from {title}: {len(dataset):,} rows")
