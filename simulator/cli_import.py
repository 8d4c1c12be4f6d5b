"""`backprop-sim import FILE … --save SESSION`: a session from a CSV file, with what was detected printed.

See docs/cli.md. The columns' roles start as the import dialog's (the last column the target, a
column of text labels there a class column); `--target`, `--class-column` and `--inputs` change them.
"""

from __future__ import annotations

import argparse
from typing import Callable

import numpy as np

from .activations import get_activation
from .csv_columns import build_dataset, default_roles, describe_column, suggested_session
from .csv_import import HEADER_CHOICES, CsvOptions, CsvTable, delimiter_from_text, read_table
from .errors import ConfigError, DatasetError
from .files import title_of
from .formatting import format_number
from .limits import MAX_HIDDEN_LAYERS, MAX_LAYER_SIZE
from .losses import get_loss
from .numbers import NumberError, parse_whole
from .session import Session

ArgumentType = Callable[[str], object]
#: A numeric target with this few distinct whole numbers gets the hint that it may be classes.
CLASS_HINT_LIMIT = 20


def _delimiter(text: str) -> str:
    try:
        return delimiter_from_text(text)
    except DatasetError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _hidden(text: str) -> list[int]:
    """Hidden layer sizes, `4` or `8,4` (`none` for no hidden layer)."""
    if text.strip().lower() in ("none", "0"):
        return []
    sizes = []
    for part in text.replace("-", ",").split(","):
        try:
            size = parse_whole(part)
        except NumberError:
            raise argparse.ArgumentTypeError(f"hidden sizes must be whole numbers separated by commas "
                                             f"(such as 8,4), not {text[:40]!r}") from None
        if not 1 <= size <= MAX_LAYER_SIZE:
            raise argparse.ArgumentTypeError(f"a hidden layer has 1 to {MAX_LAYER_SIZE} neurons, not {size}")
        sizes.append(size)
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_HIDDEN_LAYERS} hidden layers, not {len(sizes)}")
    return sizes


def _activation(text: str) -> str:
    try:
        activation = get_activation(text.strip())
    except ConfigError as error:
        raise argparse.ArgumentTypeError(f"hidden activation: {error}") from None
    if activation.name == "softmax":
        raise argparse.ArgumentTypeError("hidden activation: softmax belongs on the output layer only")
    return activation.name


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"inputs must be column names separated by commas, not {text[:40]!r}")
    return names


def add_import_parser(commands, whole: Callable[..., ArgumentType], given: Callable[[str], ArgumentType]) -> None:
    """The `import` subcommand on `commands` (argparse subparsers), with cli's whole and given types."""
    parser = commands.add_parser("import", help="make a session from a CSV file and print what was detected")
    parser.add_argument("file", type=given("CSV file"), metavar="FILE", help="the CSV file to read")
    parser.add_argument("--header", choices=HEADER_CHOICES, default="auto",
                        help="is the first row (after skipped lines) the column names? (default auto)")
    parser.add_argument("--skip", type=whole("lines to skip", 0), metavar="N",
                        help="leave out the first N lines (default: leading lines unlike the data)")
    parser.add_argument("--delimiter", type=_delimiter, metavar="D",
                        help="comma, semicolon, tab or whitespace (default: detected)")
    parser.add_argument("--decimal-comma", choices=("auto", "yes", "no"), default="auto",
                        help="numbers written 1,5 (default auto: with another delimiter and no decimal point)")
    parser.add_argument("--target", type=given("target column"), action="append", metavar="COLUMN",
                        help="a column to predict (repeat for more; default the last column)")
    parser.add_argument("--class-column", type=given("class column"), metavar="COLUMN",
                        help="a column of labels to predict as classes: one-hot targets COLUMN=LABEL")
    parser.add_argument("--inputs", type=_names, metavar="A,B,…",
                        help="the input columns (default every other column that holds numbers)")
    parser.add_argument("--hidden", type=_hidden, metavar="SIZES",
                        help="hidden layer sizes such as 8 or 8,4, or none (default one layer as wide as the "
                             "inputs, 2 to 16)")
    parser.add_argument("--activation", type=_activation, default="tanh", metavar="NAME",
                        help="the hidden layers' activation (default tanh)")
    parser.add_argument("--save", type=given("session file"), required=True, metavar="SESSION",
                        help="the session file to write (.json)")


def choose_roles(table: CsvTable, targets: list[str] | None, class_column: str | None,
                 inputs: list[str] | None) -> list[str]:
    """Each column's role: the defaults, changed by --target, --class-column and --inputs."""
    names = [column.name for column in table.columns]

    def index(name: str, option: str) -> int:
        if name not in names:
            raise DatasetError(f"{option}: there is no column {name!r}; the columns are {', '.join(names)}")
        return names.index(name)

    roles = default_roles(table)
    chosen = {index(name, "--target"): "target" for name in targets or []}
    if class_column is not None:
        column = index(class_column, "--class-column")
        if column in chosen:
            raise DatasetError(f"column {class_column!r} is given as both --target and --class-column")
        chosen[column] = "class"
    if chosen:   # the columns named are the only targets; a default target becomes an input
        roles = [chosen.get(col, "input" if role in ("target", "class") and table.columns[col].kind != "labels"
                            else "unused" if role in ("target", "class") else role)
                 for col, role in enumerate(roles)]
    if inputs is not None:
        wanted = {index(name, "--inputs") for name in inputs}
        for col in wanted:
            if roles[col] in ("target", "class"):
                raise DatasetError(f"column {names[col]!r} cannot be both an input (--inputs) and a target")
        roles = [role if role in ("target", "class") else "input" if col in wanted else "unused"
                 for col, role in enumerate(roles)]
    return roles


def run_import(args: argparse.Namespace) -> int:
    decimal = {"auto": None, "yes": True, "no": False}[args.decimal_comma]
    table = read_table(args.file, CsvOptions(args.header, args.skip, args.delimiter, decimal))
    roles = choose_roles(table, args.target, args.class_column, args.inputs)
    dataset = build_dataset(table, roles)
    session = suggested_session(dataset, title_of(args.file), "class" in roles, args.hidden, args.activation)
    session.save(args.save)
    print("\n".join(report_lines(table, roles, session) + [f"Saved the session to {args.save}"]))
    return 0


def report_lines(table: CsvTable, roles: list[str], session: Session) -> list[str]:
    """What was detected and made, for the terminal."""
    lines = [f"Read {table.name}: {len(table):,} rows; {table.layout.description()}"]
    lines += [f"  {note}" for note in table.notes]
    rows = [("column", "holds", "role")]
    for column, role in zip(table.columns, roles):
        shown = role
        if role == "class":
            shown += ": " + ", ".join(name for name in session.dataset.targets if name.startswith(column.name + "="))
        elif role == "unused" and column.texts:
            shown += " (text is not imported)"
        rows.append((column.name, describe_column(column), shown))
    for column, role in zip(table.columns, roles):
        distinct = len(np.unique(column.values)) if column.whole_numbers() else 0
        if role == "target" and 3 <= distinct <= CLASS_HINT_LIMIT:
            lines.append(f"  {column.name} holds {distinct} whole numbers: --class-column {column.name} predicts them "
                         "as classes")
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    lines += ["Columns:"] + ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                             for row in rows]
    network = session.network
    activations = ", ".join(layer.activation for layer in network.layers)
    lines.append(f"Network: {'-'.join(str(size) for size in network.sizes)} ({activations}), "
                 f"{get_loss(session.loss).title}; inputs standardised; weights {session.initialisation.scheme} "
                 f"(seed {session.initialisation.seed}); learning rate "
                 f"{format_number(session.training.learning_rate)}, {session.training.epochs} epochs")
    return lines
