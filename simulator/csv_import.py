"""Reading real CSV files as they come: the layout detected, the rows read in slices, a Dataset built.

`CsvReader(path, options)` reads and decodes the file and detects its layout at once (delimiter,
decimal comma, leading lines to skip, header row); `read(rows)` reads the next slice of data rows,
so a window can keep answering; `table()` is the result, a `CsvTable` of columns. `build_dataset`
turns it into a Dataset: input, target and unused columns, and class columns as one-hot targets
named `COLUMN=LABEL`. Every problem is a DatasetError naming its line and column.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from . import dataset as dataset_module
from .errors import DatasetError
from .files import read_regular_file
from .limits import MAX_CELL_MAGNITUDE, MAX_LAYER_SIZE
from .numbers import NumberError, parse_number

#: Delimiters by the character the reader splits on; WHITESPACE splits on any run of spaces and tabs.
WHITESPACE = " "
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", WHITESPACE: "whitespace"}
HEADER_CHOICES = ("auto", "yes", "no")
ROLES = ("input", "target", "unused", "class")
#: Most columns read from a file: beyond it the file is refused before its rows are read.
MAX_COLUMNS = 256
#: Most labels of a class column: each becomes an output neuron.
MAX_CLASSES = MAX_LAYER_SIZE
#: Lines looked at to detect the layout.
SAMPLE_LINES = 200

_COMMA_DECIMAL = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
_POINT_DECIMAL = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")


def delimiter_from_text(text: str) -> str:
    """The delimiter a user names: `,`, `;`, `tab` (or a tab, `\\t`), `whitespace` (or `space`), or their names."""
    spelled = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "whitespace": WHITESPACE,
               "space": WHITESPACE}
    key = text if text in DELIMITERS else text.strip().lower()
    if key in DELIMITERS:
        return key
    if key in spelled:
        return spelled[key]
    raise DatasetError(f"delimiter must be comma, semicolon, tab or whitespace, not {text[:20]!r}")


@dataclass(frozen=True, slots=True)
class CsvOptions:
    """How to read a file; None (and header `auto`) means detect it."""

    header: str = "auto"
    skip: int | None = None
    delimiter: str | None = None
    decimal_comma: bool | None = None

    def __post_init__(self) -> None:
        if self.header not in HEADER_CHOICES:
            raise DatasetError(f"header must be auto, yes or no, not {str(self.header)[:20]!r}")
        if self.skip is not None and (isinstance(self.skip, bool) or not isinstance(self.skip, int) or self.skip < 0):
            raise DatasetError(f"lines to skip must be a whole number ≥ 0, not {self.skip!r}")
        if self.delimiter is not None and self.delimiter not in DELIMITERS:
            raise DatasetError(f"delimiter must be comma, semicolon, tab or whitespace, not {self.delimiter!r}")
        if self.decimal_comma and self.delimiter == ",":
            raise DatasetError("decimal comma: the delimiter is a comma, so a comma cannot also be the decimal "
                               "point; choose the semicolon, tab or whitespace delimiter")


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """What was detected (or set): `width` columns named `names`; `skipped` file lines; the header's line."""

    delimiter: str
    decimal_comma: bool
    width: int
    names: tuple[str, ...]
    header_line: int | None
    skipped: tuple[int, ...]
    encoding: str
    notes: tuple[str, ...]

    def description(self) -> str:
        header = f"header on line {self.header_line}" if self.header_line else "no header row"
        comma = ", decimal comma" if self.decimal_comma else ""
        return f"{self.encoding}, {DELIMITERS[self.delimiter]}-delimited{comma}, {header}"


@dataclass(slots=True)
class CsvColumn:
    """One column as read: `values: (n,)` floats (NaN where a cell is not a usable number), and the
    text of those cells by row index in `texts`."""

    name: str
    values: np.ndarray
    texts: dict[int, str]

    def __repr__(self) -> str:
        return f"CsvColumn({self.name!r}, {self.kind})"

    @property
    def kind(self) -> str:
        """`numbers` (every cell), `labels` (no cell a number) or `mixed`."""
        if not self.texts:
            return "numbers"
        return "labels" if len(self.texts) == len(self.values) else "mixed"

    def whole_numbers(self) -> bool:
        if self.texts:
            return False
        head = self.values[:1000]   # most columns of measurements show a fraction early
        return bool(np.all(head == np.round(head)) and np.all(self.values == np.round(self.values)))


@dataclass(slots=True)
class CsvTable:
    """A file as read: its layout, columns and the file line of each row (`lines: (n,)`)."""

    name: str
    layout: CsvLayout
    columns: list[CsvColumn]
    lines: np.ndarray
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"CsvTable({self.name!r}, {len(self)} rows, {[column.name for column in self.columns]})"

    def __len__(self) -> int:
        return len(self.lines)

    def where(self, row: int, name: str) -> str:
        return f"line {int(self.lines[row])} (row {row + 1}), column {name!r}"


# -- decoding and layout ---------------------------------------------------------------------------
def decode(raw: bytes, name: str) -> tuple[str, str, list[str]]:
    """(text, encoding, notes): UTF-8 with or without a BOM, else Latin-1 with a note."""
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text, encoding, notes = raw.decode("utf-8-sig"), "UTF-8 with BOM" if bom else "UTF-8", []
    except UnicodeDecodeError as error:
        if b"\x00" in raw:
            raise DatasetError(f"{name} is not UTF-8 text (byte {error.start + 1} cannot be decoded): "
                               "it contains binary data") from None
        text, encoding = raw.decode("latin-1"), "Latin-1"
        notes = [f"not UTF-8 (byte {error.start + 1} cannot be decoded): read as Latin-1"]
    if "\x00" in text:
        raise DatasetError("the file is not a text CSV file (it contains binary data)")
    if "\n" not in text and "\r" in text:   # lines ended by a carriage return alone (old Mac files)
        text = text.replace("\r", "\n")
    return text, encoding, notes


def _after_lines(text: str, lines: int) -> str:
    """`text` without its first `lines` lines."""
    position = 0
    for skipped in range(lines):
        found = text.find("\n", position)
        if found < 0:
            total = skipped + bool(text[position:])
            raise DatasetError(f"lines to skip: the file has {total} line{'s' if total != 1 else ''}, so nothing "
                               f"is left after skipping {lines}")
        position = found + 1
    return text[position:]


def _head(text: str, lines: int) -> str:
    position = 0
    for _ in range(lines):
        found = text.find("\n", position)
        if found < 0:
            return text
        position = found + 1
    return text[:position]


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings, one at a time (a copy of a large file all at once would
    keep the window waiting)."""
    position, end_of_text = 0, len(text)
    while position < end_of_text:
        end = text.find("\n", position)
        if end < 0:
            yield text[position:]
            return
        yield text[position:end + 1]
        position = end + 1


def records(text: str, delimiter: str, first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    """(file line, cells) of each row that is not blank; `first_line` is the line `text` starts on."""
    if delimiter == WHITESPACE:
        for number, line in enumerate(_lines(text), start=first_line):
            cells = line.split()
            if cells:
                yield number, cells
        return
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield first_line - 1 + reader.line_num, cells
    except csv.Error as error:
        raise DatasetError(f"line {first_line - 1 + reader.line_num}: not valid CSV ({error})") from None


def _detect_delimiter(sample: str) -> str:
    """The first of tab, semicolon, comma, whitespace that splits the sample into a steady width ≥ 2."""
    scores = []
    for delimiter in ("\t", ";", ",", WHITESPACE):
        counts = [len(cells) for _, cells in records(sample, delimiter)]
        if not counts:
            continue
        tail = counts[len(counts) // 2:]
        width, hits = Counter(tail).most_common(1)[0]
        steady = hits / len(tail)
        if width >= 2 and steady >= 0.9:
            return delimiter
        scores.append((width >= 2, steady, width, delimiter))
    usable = [score for score in scores if score[0]]
    return max(usable)[3] if usable else ","


def _detect_decimal_comma(rows: list[list[str]], delimiter: str) -> bool:
    """A decimal comma is unambiguous when the comma is not the delimiter and no cell uses a point."""
    if delimiter == ",":
        return False
    cells = [cell.strip() for row in rows for cell in row]
    return (any(_COMMA_DECIMAL.fullmatch(cell) for cell in cells)
            and not any(_POINT_DECIMAL.fullmatch(cell) for cell in cells))


def _data_width(rows: list[list[str]]) -> tuple[int, bool]:
    """(width, trailing): the cell count most later rows have; `trailing` if each ends in an empty cell."""
    counts = [len(row) for row in rows]
    width = Counter(counts[len(counts) // 2:]).most_common(1)[0][0]
    trailing = width > 1 and all(not row[-1].strip() for row in rows if len(row) == width)
    return (width - 1, True) if trailing else (width, False)


def _trimmed(cells: list[str], width: int) -> list[str]:
    """A row that ends in one delimiter too many loses its empty last cell."""
    return cells[:-1] if len(cells) == width + 1 and not cells[-1].strip() else cells


def _is_number(cell: str, decimal_comma: bool) -> bool:
    try:
        parse_number(cell.replace(",", ".") if decimal_comma else cell)
    except NumberError:
        return False
    return True


def _first_row_kind(rows: list[list[str]], width: int, decimal_comma: bool) -> str:
    """`header`, `data` or `metadata` (numbers beside a name over a column of numbers, as in
    '150,4,setosa,versicolor,virginica': a row count, a column count and class names)."""
    first, below = rows[0], [row for row in rows[1:] if len(row) == width]
    numbers = [_is_number(cell, decimal_comma) for cell in first]
    if not any(numbers):
        return "header"
    names_over_numbers = any(
        not number and below and all(_is_number(row[col], decimal_comma) for row in below)
        for col, number in enumerate(numbers))
    return "metadata" if names_over_numbers else "data"


def _shown(cells: list[str]) -> str:
    text = ",".join(cell.strip() for cell in cells)
    return repr(text if len(text) <= 40 else text[:39] + "…")


def detect_layout(text: str, options: CsvOptions, encoding: str = "UTF-8",
                  notes: Sequence[str] = ()) -> CsvLayout:
    """The layout of `text` (the whole file) as `options` set it and detection fills in the rest."""
    notes = list(notes)
    start = options.skip or 0
    sample = _head(_after_lines(text, start), SAMPLE_LINES)
    delimiter = options.delimiter or _detect_delimiter(sample)
    found = list(records(sample, delimiter, start + 1))
    if not found:
        raise DatasetError(f"nothing is left after skipping {start} lines" if start else
                           "the file is empty: it needs at least one row of data")
    lines, rows = [line for line, _ in found], [cells for _, cells in found]
    decimal_comma = (_detect_decimal_comma(rows, delimiter) if options.decimal_comma is None
                     else options.decimal_comma)
    CsvOptions(options.header, options.skip, delimiter, decimal_comma)   # a comma cannot be both
    width, trailing = _data_width(rows)
    rows = [_trimmed(row, width) for row in rows]
    if width > MAX_COLUMNS:
        raise DatasetError(f"the data has {width:,} columns; the importer reads at most {MAX_COLUMNS} "
                           f"(and a network takes at most {MAX_LAYER_SIZE} inputs)")
    skipped = list(range(1, start + 1))
    if options.skip is None:
        while len(rows) > 1 and len(rows[0]) != width:
            notes.append(f"line {lines[0]} skipped: {len(rows[0])} cells where the data has {width} "
                         f"({_shown(rows[0])})")
            skipped.append(lines.pop(0))
            rows.pop(0)
    kind = _first_row_kind(rows, width, decimal_comma)
    if kind == "metadata" and options.skip is None and options.header != "yes" and len(rows) > 1:
        notes.append(f"line {lines[0]} skipped: it looks like a line of counts and names "
                     f"({_shown(rows[0])}), not a header")
        skipped.append(lines.pop(0))
        rows.pop(0)
        kind = _first_row_kind(rows, width, decimal_comma)
    header = options.header == "yes" or (options.header == "auto" and kind == "header")
    if header:
        names = _header_names(rows[0], lines[0], width, notes)
    else:
        names = tuple(f"column{index}" for index in range(1, width + 1))
    if trailing:
        notes.append("every row ends with a delimiter: the empty last column is left out")
    return CsvLayout(delimiter, decimal_comma, width, names, lines[0] if header else None, tuple(skipped),
                     encoding, tuple(notes))


def _header_names(cells: list[str], line: int, width: int, notes: list[str]) -> tuple[str, ...]:
    if len(cells) != width:
        raise DatasetError(f"line {line}: the header has {len(cells)} cells, but the data has {width} columns")
    names = []
    for index, cell in enumerate(cells, start=1):
        name = cell.strip()
        if not name:
            name = f"column{index}"
            notes.append(f"line {line}: column {index} of the header has no name; it is called {name}")
        names.append(name)
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise DatasetError(f"line {line}: the header repeats a column name ({repeated[0]!r})")
    return tuple(names)


# -- reading the rows ------------------------------------------------------------------------------
class CsvReader:
    """Reads a file's data rows a slice at a time: `read(rows)` until it returns True, then `table()`."""

    def __init__(self, path: str | Path, options: CsvOptions = CsvOptions()):
        self.name = Path(path).name
        raw = read_regular_file(path, dataset_module.MAX_CSV_BYTES, DatasetError, "a CSV file")
        text, encoding, notes = decode(raw, self.name)
        self.layout = detect_layout(text, options, encoding, notes)
        start = options.skip or 0
        self._records = records(_after_lines(text, start), self.layout.delimiter, start + 1)
        consumed = len(self.layout.skipped) - start + (self.layout.header_line is not None)
        for _ in islice(self._records, consumed):
            pass
        self._total_lines = text.count("\n") + 1
        self._line = 0
        self._chunks: list[np.ndarray] = []
        self._lines: list[int] = []
        self._texts: list[dict[int, str]] = [{} for _ in range(self.layout.width)]
        self.done = False

    @property
    def rows_read(self) -> int:
        return len(self._lines)

    @property
    def progress(self) -> float:
        """The share of the file's lines read, 0 to 1."""
        return 1.0 if self.done else min(self._line / self._total_lines, 1.0)

    def read(self, rows: int) -> bool:
        """Read up to `rows` more rows; True when the file is finished."""
        width, comma = self.layout.width, self.layout.decimal_comma
        limit = dataset_module.MAX_ROWS
        header = self.layout.header_line is not None
        first = len(self._lines)
        cells_of_slice, values = [], []
        for line, cells in islice(self._records, rows):
            if len(cells) != width:
                cells = _trimmed(cells, width)
                if len(cells) != width:
                    raise DatasetError(f"line {line} (row {first + len(values) + 1}): {len(cells)} cells, but the "
                                       f"{'header has' if header else 'data has'} {width} columns")
            written = cells
            if comma:
                cells = [cell.replace(",", ".") for cell in cells]
            try:
                values.append([float(cell) for cell in cells])
            except ValueError:
                values.append(self._slow_row(cells, written, first + len(values)))
            cells_of_slice.append(written)
            self._lines.append(line)
            self._line = line
        if len(self._lines) > limit:
            raise DatasetError(f"the file has more than {limit:,} rows, the most the app supports")
        if values:
            chunk = np.array(values, dtype=float)
            for row, col in np.argwhere(~(np.abs(chunk) <= MAX_CELL_MAGNITUDE)):
                self._texts[col].setdefault(first + row, cells_of_slice[row][col])
                chunk[row, col] = np.nan
            self._chunks.append(chunk)
        if len(values) < rows:
            self.done = True
            if not self._lines:
                raise DatasetError("the file has a header but no data rows" if header
                                   else "the file has no data rows")
        return self.done

    def _slow_row(self, cells: list[str], written: list[str], row: int) -> list[float]:
        """A row with a cell float() does not read: other minus signs, or text kept as written."""
        values = []
        for col, cell in enumerate(cells):
            try:
                values.append(parse_number(cell))
            except NumberError:
                self._texts[col][row] = written[col]
                values.append(np.nan)
        return values

    def table(self) -> CsvTable:
        if not self.done:
            raise DatasetError("the file has not been read to its end")
        values = np.concatenate(self._chunks) if self._chunks else np.empty((0, self.layout.width))
        columns = [CsvColumn(name, np.ascontiguousarray(values[:, col]), self._texts[col])
                   for col, name in enumerate(self.layout.names)]
        return CsvTable(self.name, self.layout, columns, np.array(self._lines), list(self.layout.notes))


def read_table(path: str | Path, options: CsvOptions = CsvOptions(), rows_per_slice: int = 50_000) -> CsvTable:
    """The whole file read at once (the command line; the app reads in slices)."""
    reader = CsvReader(path, options)
    while not reader.read(rows_per_slice):
        pass
    return reader.table()
