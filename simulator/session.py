"""Session files (JSON, format `backprop-sim/1`): the network, loss, training settings and dataset.

See docs/session-format.md. Reading validates everything and raises SessionError naming the field;
writing is atomic (a temporary file in the same folder, flushed, then renamed over the target).
"""

from __future__ import annotations

import glob
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .dataset import Dataset
from .errors import SessionError, SimulatorError
from .files import check_path, not_regular, read_regular_file
from .activations import get_activation
from .initialisation import Initialisation
from .limits import MAX_CELL_MAGNITUDE, MAX_HIDDEN_LAYERS, MAX_LAYER_SIZE
from .losses import get_loss
from .network import Layer, Network, check_loss_compatible
from .optimizers import Optimizer, state_from_dict
from .training import Progress, Training, TrainingConfig, resume

FORMAT = "backprop-sim/1"
MAX_SESSION_BYTES = 100 * 1024 * 1024


@dataclass
class Session:
    """Everything a user builds: what is saved to and loaded from a session file."""

    network: Network
    loss: str
    training: TrainingConfig
    dataset: Dataset
    initialisation: Initialisation = field(default_factory=Initialisation)
    standardise: bool = False
    title: str = ""
    description: str = ""
    #: How far training got when the file was saved (see `training.Progress`), or None: from the start.
    progress: Progress | None = None

    def __post_init__(self) -> None:
        get_loss(self.loss)
        check_loss_compatible(self.network, self.loss)
        if get_loss(self.loss).one_hot_targets:
            self.dataset.check_one_hot_targets()
        if get_loss(self.loss).needs_probabilities:
            self.dataset.check_binary_targets()
        training = Training(self.network.copy(), self.training_dataset(), self.loss, self.training)
        if self.progress is not None:
            resume(training, self.progress)

    def __repr__(self) -> str:
        return f"Session({self.title or 'untitled'}: {self.network!r}, {self.loss}, {self.dataset!r})"

    def training_dataset(self) -> Dataset:
        """The rows training sees: standardised inputs if asked for."""
        return self.dataset.standardised() if self.standardise else self.dataset

    def make_training(self) -> Training:
        """A Training over this session's network (updated in place), data and settings."""
        return Training(self.network, self.training_dataset(), self.loss, self.training)

    def copy(self) -> "Session":
        return Session(self.network.copy(), self.loss, self.training, self.dataset.copy(),
                       self.initialisation, self.standardise, self.title, self.description, self.progress)

    def to_dict(self) -> dict:
        progress = {} if self.progress is None else {"progress": self.progress.to_dict()}
        return {
            "format": FORMAT,
            "title": self.title,
            "description": self.description,
            "network": {
                "inputs": list(self.network.input_names),
                "outputs": list(self.network.output_names),
                "layers": [{"activation": layer.activation, "weights": layer.weights.tolist(),
                            "biases": layer.biases.tolist()} for layer in self.network.layers],
            },
            "loss": self.loss,
            "training": self.training.to_dict(),
            "initialisation": self.initialisation.to_dict(),
            "dataset": {**self.dataset.to_dict(), "standardise": self.standardise},
            **progress,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, ensure_ascii=False) + "\n"

    def save(self, path: str | Path) -> None:
        """Write atomically: the previous file stays intact until the new one is complete."""
        write_atomically(Path(path), self.to_json())


def _file_mode(path: Path) -> int:
    """The permissions the saved file should have: the existing file's, or what the umask gives a new one."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename.

    A symbolic link is kept: the file it points to is replaced (its temporary file made beside it).
    Nothing is left behind on any failure; the previous file stays as it was.
    """
    path = check_path(path, SessionError, "save")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise SessionError(f"cannot save {path.name}: the text holds {_character(text[error.start])}, "
                           "which cannot be written as UTF-8") from None
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        kind = not_regular(os.stat(path).st_mode)
    except OSError:         # nothing there yet (or unreadable): the write below says what is wrong
        kind = None
    if kind:
        raise SessionError(f"cannot save over {path.name}: it is {kind}, not a file")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise SessionError(f"cannot write in {folder}: {error.strerror or error}") from None
    try:
        os.chmod(temporary, _file_mode(path))  # mkstemp makes the file private (0600)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as error:   # whatever stopped it (even Ctrl+C), no half-written file stays
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise SessionError(f"cannot save {path.name}: {error.strerror or error}") from None
        raise
    _remove_leftovers(folder, path.name)


def _character(char: str) -> str:
    """How a message names a character that may not be printable: `an unpaired surrogate (U+D800)`."""
    if "\ud800" <= char <= "\udfff":
        return f"an unpaired surrogate (U+{ord(char):04X})"
    return f"the character U+{ord(char):04X}"


def _remove_leftovers(folder: Path, name: str) -> None:
    """Delete temporary files of earlier saves of `name` that were killed before their rename."""
    for leftover in folder.glob(f".{glob.escape(name)}.*.tmp"):
        try:
            leftover.unlink()
        except OSError:
            continue  # another save may be finishing with it; the next save tries again


# -- reading ------------------------------------------------------------------------------------
#: A UTF-16 surrogate left alone: legal in JSON (`"\\ud800"`), but no character, so never writable.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _TooLarge(float):
    """A JSON number beyond a float's range (`1e400`, a 5,001-digit integer): ±infinity that remembers its text."""

    text: str

    def __new__(cls, text: str) -> "_TooLarge":
        number = super().__new__(cls, -math.inf if text.startswith("-") else math.inf)
        number.text = text
        return number


def _read_int(text: str) -> int | float:
    # Python refuses to convert more than 4,300 digits and no float holds more than 309.
    if len(text) < 300:
        return int(text)
    return int(text) if math.isfinite(float(text)) else _TooLarge(text)


def _read_float(text: str) -> float:
    number = float(text)
    return number if math.isfinite(number) else _TooLarge(text)


def _unusable(value: Any) -> tuple[list[str], str] | None:
    """The first value in parsed JSON that no session can hold: (its field, inside out; what is wrong)."""
    if isinstance(value, float):
        if math.isfinite(value):
            return None
        if isinstance(value, _TooLarge):
            digits = sum(char.isdigit() for char in value.text)
            shown = value.text if len(value.text) <= 24 else f"a number of {digits:,} digits"
            return [], f"{shown} is too large to represent"
        shown = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return [], f"{shown} is not a finite number"
    if isinstance(value, str):
        found = _LONE_SURROGATE.search(value)
        return ([], f"the text holds {_character(found.group())}, which is not a character") if found else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, int):   # ints (and bools) are always usable: the common case, checked fast
                problem = _unusable(item)
                if problem:
                    problem[0].append(f"[{index}]")
                    return problem
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _LONE_SURROGATE.search(key)
            if found:
                return [], f"a field name holds {_character(found.group())}, which is not a character"
            problem = _unusable(item)
            if problem:
                problem[0].append(f".{key}")
                return problem
    return None


def _check_values(data: Any) -> None:
    """Refuse NaN, infinities, numbers too large for a float and unpaired surrogates, naming the field."""
    try:
        problem = _unusable(data)
    except RecursionError:
        raise SessionError("not a session file (its JSON is nested too deeply)") from None
    if problem:
        parts, message = problem
        where = "".join(reversed(parts)).removeprefix(".")
        raise SessionError(f"{where or 'the file'}: {message}")


def loads(text: str) -> Session:
    """Parse and validate a session from JSON text."""
    return from_dict(parse_json(text))


def parse_json(text: str) -> Any:
    """JSON text as Python values; NaN, infinities and overflowing numbers are kept so a check can name their field."""
    try:
        return json.loads(text, parse_constant=float, parse_int=_read_int, parse_float=_read_float)
    except json.JSONDecodeError as error:
        raise SessionError(f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    except RecursionError:
        raise SessionError("not a session file (its JSON is nested too deeply)") from None


def load(path: str | Path) -> Session:
    """Read a session file (a regular file only: a FIFO or device is refused unread); every problem is one SessionError."""
    raw = read_regular_file(path, MAX_SESSION_BYTES, SessionError, "a session file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessionError(f"{Path(path).name} is not a session file (it is not UTF-8 text)") from None
    return loads(text)


def _require(data: Any, key: str, kind: type | tuple, where: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise SessionError(f"{where}: the field {key!r} is missing")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise SessionError(f"{where}.{key}: expected {_kind_name(kind)}, got {type(value).__name__}")
    return value


def _as_tuple(kind: type | tuple) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple) -> str:
    names = {dict: "an object", list: "a list", str: "text", int: "a whole number", float: "a number",
             bool: "true or false"}
    return " or ".join(names.get(item, item.__name__) for item in _as_tuple(kind))


def _number_matrix(value: Any, shape: tuple[int, ...], where: str) -> np.ndarray:
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise SessionError(f"{where}: every entry must be a number") from None
    if array.shape != shape:
        wanted = " × ".join(str(size) for size in shape)
        raise SessionError(f"{where}: expected shape {wanted}, got {' × '.join(map(str, array.shape)) or 'a single value'}")
    if not np.isfinite(array).all():
        raise SessionError(f"{where}: every entry must be a finite number")
    if any(isinstance(item, bool) for item in np.array(value, dtype=object).ravel()):
        raise SessionError(f"{where}: every entry must be a number, not true/false")
    return array


def _names(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item.strip() for item in value):
        raise SessionError(f"{where}: expected a non-empty list of names")
    return list(value)


def from_dict(data: Any) -> Session:
    """Validate a parsed session and build it; messages name the field, e.g. `network.layers[1].weights`."""
    _check_values(data)
    if not isinstance(data, dict):
        raise SessionError("a session file must contain a JSON object")
    version = data.get("format")
    if version != FORMAT:
        if isinstance(version, str) and version.startswith("backprop-sim/"):
            raise SessionError(f"this file is in format {version}, which this version cannot read "
                               f"(it reads {FORMAT}); it was probably written by a newer version")
        raise SessionError(f"not a session file: the field 'format' should be {FORMAT!r}")
    net = _require(data, "network", dict, "session")
    inputs = _names(_require(net, "inputs", list, "network"), "network.inputs")
    outputs = _names(_require(net, "outputs", list, "network"), "network.outputs")
    layer_data = _require(net, "layers", list, "network")
    if not layer_data:
        raise SessionError("network.layers: a network needs at least one layer")
    if len(layer_data) - 1 > MAX_HIDDEN_LAYERS:
        raise SessionError(f"network.layers: {len(layer_data) - 1} hidden layers; the limit is {MAX_HIDDEN_LAYERS}")
    layers, width = [], len(inputs)
    for index, item in enumerate(layer_data):
        where = f"network.layers[{index}]"
        activation = _require(item, "activation", str, where)
        weights = _require(item, "weights", list, where)
        n_out = len(weights[0]) if weights and isinstance(weights[0], list) else 0
        if n_out < 1:
            raise SessionError(f"{where}.weights: expected {width} rows, one per input, each a list with one "
                               "weight per neuron")
        if index < len(layer_data) - 1 and n_out > MAX_LAYER_SIZE:
            raise SessionError(f"{where}: {n_out} neurons; a hidden layer can have at most {MAX_LAYER_SIZE}")
        matrix = _number_matrix(weights, (width, n_out), f"{where}.weights")
        biases = _number_matrix(_require(item, "biases", list, where), (n_out,), f"{where}.biases")
        try:
            layers.append(Layer(matrix, biases, activation))
            if get_activation(activation).over_layer and index < len(layer_data) - 1:
                raise SessionError(f"{activation} is for the output layer only (this layer is hidden)")
            if get_activation(activation).over_layer and n_out < 2:
                raise SessionError(f"{activation} needs at least two outputs, one per class (with one output "
                                   "it is always 1); for a yes/no target use a sigmoid output with binary cross-entropy")
        except SimulatorError as error:
            raise SessionError(f"{where}.activation: {error}" if isinstance(error, SessionError)
                               else f"{where}: {error}") from None
        width = n_out
    if width != len(outputs):
        raise SessionError(f"network.outputs: {len(outputs)} names for an output layer of {width} neurons")
    loss = _require(data, "loss", str, "session")
    train = _require(data, "training", dict, "session")
    settings = {}
    fields = (("learning_rate", (int, float)), ("epochs", int), ("order", str), ("batch_size", (int, str)),
              ("seed", int), ("tolerance", (int, float)), ("convergence", str), ("update_rule", str),
              ("validation", (int, float)), ("validation_seed", int), ("optimizer", dict))
    unknown = sorted(set(train) - {key for key, _kind in fields})
    if unknown:
        raise SessionError(f"training.{unknown[0]}: unknown setting; the settings are "
                           + ", ".join(key for key, _kind in fields))
    for key, kind in fields:
        if key in train:
            value = _require(train, key, kind, "training")
            if key == "batch_size" and isinstance(value, str):
                if value != "full":
                    raise SessionError("training.batch_size: expected a whole number or \"full\"")
                value = 0
            if key == "optimizer":
                try:
                    value = Optimizer.from_dict(value)
                except SimulatorError as error:
                    raise SessionError(f"training.{error}") from None
            settings[key] = value
    ds = _require(data, "dataset", dict, "session")
    columns = _names(_require(ds, "columns", list, "dataset"), "dataset.columns")
    rows = _require(ds, "rows", list, "dataset")
    standardise = ds.get("standardise", False)
    if not isinstance(standardise, bool):
        raise SessionError("dataset.standardise: expected true or false")
    try:
        network = Network(layers, inputs, outputs)
        config = TrainingConfig(**settings)
        init = Initialisation(**_require(data, "initialisation", dict, "session")) \
            if "initialisation" in data else Initialisation()
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, list) or len(row) != len(columns):
                raise SessionError(f"dataset.rows[{number - 1}]: expected {len(columns)} numbers, one per column")
            for col, cell in enumerate(row):
                if isinstance(cell, bool) or not isinstance(cell, (int, float)) or not math.isfinite(cell):
                    raise SessionError(f"dataset.rows[{number - 1}][{col}] (column {columns[col]!r}): "
                                       "expected a finite number")
                if abs(cell) > MAX_CELL_MAGNITUDE:
                    raise SessionError(f"dataset.rows[{number - 1}][{col}] (column {columns[col]!r}): "
                                       f"{cell:g} is beyond the limit of ±{MAX_CELL_MAGNITUDE:g} for a cell")
        dataset = Dataset(columns, np.array(rows, dtype=float).reshape(len(rows), len(columns)),
                          ds.get("inputs") or [name for name in inputs if name in columns] or columns[:len(inputs)],
                          ds.get("targets") or [name for name in outputs if name in columns] or columns[-len(outputs):])
        progress = _progress(data["progress"], config.optimizer, network.parameter_count()) \
            if "progress" in data else None
        return Session(network, loss, config, dataset, init, standardise,
                       str(data.get("title", "")), str(data.get("description", "")), progress)
    except SessionError:
        raise
    except TypeError as error:
        raise SessionError(f"an unknown or misspelt field: {error}") from None
    except SimulatorError as error:
        raise SessionError(str(error)) from None


def _progress(data: Any, optimizer: Optimizer, size: int) -> Progress:
    """A session file's `progress` (see `training.Progress`); SessionError naming the field."""
    if not isinstance(data, dict):
        raise SessionError("progress: expected an object")
    known = ("epoch", "position", "batches", "loss_per_epoch", "sample_losses", "start_parameters", "optimizer_state",
             "brought_forward")
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SessionError(f"progress.{unknown[0]}: unknown field; the fields are {', '.join(known)}")
    counts = [_require(data, key, int, "progress") for key in known[:3]]
    for key, count in zip(known, counts):
        if count < 0:
            raise SessionError(f"progress.{key}: expected a whole number ≥ 0")
    logs = []
    for key in known[3:5]:
        values = _require(data, key, list, "progress")
        if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values):
            raise SessionError(f"progress.{key}: every entry must be a number")
        logs.append(tuple(float(value) for value in values))
    start = _number_matrix(_require(data, "start_parameters", list, "progress"), (size,), "progress.start_parameters")
    state = None
    if "optimizer_state" in data:
        try:
            state = state_from_dict(data["optimizer_state"], optimizer, size, "progress.optimizer_state")
        except SimulatorError as error:
            raise SessionError(str(error)) from None
    swaps = data.get("brought_forward", [])
    if not isinstance(swaps, list) or not all(
            isinstance(swap, list) and len(swap) == 2 and all(isinstance(item, int) and not isinstance(item, bool)
                                                              for item in swap) for swap in swaps):
        raise SessionError("progress.brought_forward: expected a list of [position, row] pairs of whole numbers")
    return Progress(*counts, *logs, start, state, tuple(tuple(swap) for swap in swaps))
