"""Input-space maps: the network's output, and every neuron's activation, over a grid of two inputs.

The grid is laid out in the user's units (the dataset's own numbers); when the session standardises
its inputs, each grid point is standardised exactly as the training rows are (`Dataset.standardisation`)
before it goes through the network. The values come from the network's own forward pass
(`Network.forward`, the pass that makes every prediction), so a point of the grid that lies on a data
row has that row's ŷ. The other inputs are held at values the caller gives (by default their mean over
the training rows). One forward pass gives every layer: the map of each neuron comes with the output's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .activations import get_activation
from .errors import ConfigError
from .formatting import format_number
from .limits import checked_number
from .losses import get_loss
from .metrics import THRESHOLD, predicted_classes, task_of
from .session import Session

#: Points along each axis unless the caller asks for another number.
DEFAULT_RESOLUTION = 64
#: Fewest points along an axis (a grid needs two to have cells).
MIN_RESOLUTION = 2
#: Most points along an axis: 512 × 512 points is 262,144 forward passes; more is capped to this.
MAX_RESOLUTION = 512
#: The share of the data's span added on each side of an axis by default.
MARGIN = 0.1


@dataclass(frozen=True, slots=True)
class MapSettings:
    """What to map: `axes` the 0-based input columns on x and y, `ranges` their (low, high) in the
    user's units, `fixed` every input's held value in the user's units `(n_inputs,)` (the two on the
    axes are ignored), `resolution` points along each axis."""

    axes: tuple[int, int]
    ranges: tuple[tuple[float, float], tuple[float, float]]
    fixed: tuple[float, ...]
    resolution: int = DEFAULT_RESOLUTION

    def __repr__(self) -> str:
        return (f"MapSettings(axes={self.axes}, ranges={self.ranges}, resolution={self.resolution})")


@dataclass(frozen=True, slots=True)
class NeuronChoice:
    """A neuron of the network: `layer` from 1 (the output layer is the last), `index` from 1."""

    layer: int
    index: int

    def __repr__(self) -> str:
        return f"NeuronChoice({self.layer}, {self.index})"


@dataclass(frozen=True, eq=False)
class InputMap:
    """The grid and what the network computes on it.

    `xs: (resolution,)` and `ys: (resolution,)` are the axes' values in the user's units; `layers[l]`
    is layer l+1's activations `(resolution, resolution, n_out)`, indexed `[iy, ix, neuron]`.
    `task` is `regression`, `binary` or `multiclass`.
    """

    settings: MapSettings
    xs: np.ndarray
    ys: np.ndarray
    layers: tuple[np.ndarray, ...]
    activations: tuple[str, ...]
    task: str
    capped: str = ""
    _ranges: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        size = self.settings.resolution
        return f"InputMap({size}×{size}, {len(self.layers)} layers, {self.task})"

    @property
    def output(self) -> np.ndarray:
        """ŷ on the grid: `(resolution, resolution, n_outputs)`."""
        return self.layers[-1]

    def values(self, neuron: NeuronChoice) -> np.ndarray:
        """One neuron's activation on the grid: `(resolution, resolution)`, `[iy, ix]`."""
        return self.layers[neuron.layer - 1][:, :, neuron.index - 1]

    def non_finite(self, layer: int | None = None) -> int:
        """How many grid points have a value that is not a finite number (in layer `layer`, from 1;
        by default the output)."""
        values = self.layers[(layer or len(self.layers)) - 1]
        return int(np.count_nonzero(~np.isfinite(values).all(axis=2)))

    def layer_range(self, layer: int) -> tuple[float, float]:
        """The colour scale the neurons of `layer` (from 1) share: the activation's own range when it
        is bounded (a sigmoid's [0, 1]), else the lowest and highest finite value on the grid."""
        if layer not in self._ranges:
            low, high = get_activation(self.activations[layer - 1]).output_range
            if not (math.isfinite(low) and math.isfinite(high)):
                low, high = finite_span(self.layers[layer - 1])
            self._ranges[layer] = (low, high)
        return self._ranges[layer]

    def classes(self) -> np.ndarray | None:
        """The class each grid point is given, `(resolution, resolution)`: the arg max of a softmax
        output, ŷ ≥ 0.5 of the first output of a binary one; None for regression."""
        if self.task == "regression":
            return None
        output = self.output.reshape(-1, self.output.shape[2])
        classes = predicted_classes(self.task, output)
        if self.task == "binary":
            classes = classes[:, 0]
        return classes.reshape(self.output.shape[:2])

    def boundary(self, output: int = 1) -> np.ndarray:
        """The decision boundary as line segments `(m, 2, 2)` ([segment, end, (x, y)]) in the user's
        units: where ŷ of `output` (from 1) crosses 0.5 for a binary output; for a softmax output, where
        the arg max changes (each class's ŷk − max of the others crosses 0). Empty for regression."""
        if self.task == "regression":
            return np.empty((0, 2, 2))
        if self.task == "binary":
            return contour_segments(self.output[:, :, output - 1], THRESHOLD, self.xs, self.ys)
        pieces = []
        count = self.output.shape[2]
        with np.errstate(invalid="ignore"):
            for k in range(count):
                others = np.delete(self.output, k, axis=2).max(axis=2)
                pieces.append(contour_segments(self.output[:, :, k] - others, 0.0, self.xs, self.ys))
        return np.concatenate(pieces) if pieces else np.empty((0, 2, 2))

    def at(self, ix: int, iy: int) -> np.ndarray:
        """The user's inputs at grid point (ix, iy): `(n_inputs,)`."""
        point = np.array(self.settings.fixed, dtype=float)
        point[self.settings.axes[0]] = self.xs[ix]
        point[self.settings.axes[1]] = self.ys[iy]
        return point


# -- the settings ---------------------------------------------------------------------------------
def training_means(session: Session, rows: np.ndarray | None = None) -> np.ndarray:
    """Each input's mean over `rows` (the training rows; all rows when None), in the user's units."""
    inputs = session.dataset.X
    return (inputs if rows is None else inputs[rows]).mean(axis=0)


def default_range(values: np.ndarray) -> tuple[float, float]:
    """The data's span with a margin of `MARGIN` of it on each side (±1 around a constant column)."""
    low, high = float(np.min(values)), float(np.max(values))
    span = high - low
    if span <= 0:
        return low - 1.0, high + 1.0
    return low - MARGIN * span, high + MARGIN * span


def default_settings(session: Session, rows: np.ndarray | None = None,
                     axes: tuple[int, int] = (0, 1), resolution: int = DEFAULT_RESOLUTION) -> MapSettings:
    """The first two inputs (or `axes`) over the data's span, the others at their mean over `rows`."""
    inputs = session.dataset.X
    x, y = axes
    return MapSettings((x, y), (default_range(inputs[:, x]), default_range(inputs[:, y])),
                       tuple(float(value) for value in training_means(session, rows)), resolution)


def input_index(session: Session, name: str) -> int:
    """The 0-based input column named `name`; ConfigError names the inputs there are."""
    inputs = session.dataset.inputs
    if name not in inputs:
        raise ConfigError(f"there is no input {name!r}; the inputs are {', '.join(inputs)}")
    return inputs.index(name)


def checked_resolution(value: float) -> tuple[int, str]:
    """A resolution to use, and a note when a larger one was capped; ConfigError for a bad one."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        if not (isinstance(value, float) and value.is_integer()):
            raise ConfigError(f"resolution must be a whole number of points, not {value!r}")
    value = int(value)
    if value < MIN_RESOLUTION:
        raise ConfigError(f"resolution must be at least {MIN_RESOLUTION} points along each axis, not {value}")
    if value > MAX_RESOLUTION:
        return MAX_RESOLUTION, (f"resolution {value:,} is more than the {MAX_RESOLUTION} points along each "
                                f"axis a map computes; using {MAX_RESOLUTION}")
    return value, ""


def checked_value(where: str, value: float) -> float:
    """A finite value no larger than a dataset cell may be; ConfigError naming `where`."""
    return checked_number(where, value)


def checked_range(name: str, low: float, high: float) -> tuple[float, float]:
    """A range of input `name`: two finite values, low below high."""
    low, high = checked_value(f"the low end of {name}", low), checked_value(f"the high end of {name}", high)
    if not low < high:
        raise ConfigError(f"the range of {name} must go from a lower to a higher value, not "
                          f"{format_number(low)} to {format_number(high)}")
    if not math.isfinite(high - low) or (high - low) / 2 < max(abs(low), abs(high)) * 1e-12:
        raise ConfigError(f"the range of {name}, {format_number(low)} to {format_number(high)}, is too narrow "
                          "to tell the points of a grid apart")
    return low, high


def check_settings(session: Session, settings: MapSettings) -> None:
    """Refuse settings that do not fit the session, with a message naming the field."""
    names = session.dataset.inputs
    if len(names) < 2:
        raise ConfigError("a map needs two inputs; this network has one")
    x, y = settings.axes
    if not (0 <= x < len(names) and 0 <= y < len(names)):
        raise ConfigError(f"the inputs are {', '.join(names)}")
    if x == y:
        raise ConfigError(f"choose two different inputs for the axes, not {names[x]} twice")
    if len(settings.fixed) != len(names):
        raise ConfigError(f"{len(settings.fixed)} held values for {len(names)} inputs")
    for axis, (low, high) in zip(settings.axes, settings.ranges):
        checked_range(names[axis], low, high)
    for index, value in enumerate(settings.fixed):
        if index not in settings.axes:
            checked_value(f"the value of {names[index]}", value)
    resolution, capped = checked_resolution(settings.resolution)
    if capped:
        raise ConfigError(capped)


# -- the map --------------------------------------------------------------------------------------
def grid_inputs(session: Session, settings: MapSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, the network's inputs at every grid point `(resolution², n_inputs)`, row iy·resolution + ix),
    standardised as the training rows are when the session standardises its inputs."""
    size = settings.resolution
    (x_low, x_high), (y_low, y_high) = settings.ranges
    xs, ys = np.linspace(x_low, x_high, size), np.linspace(y_low, y_high, size)
    points = np.empty((size * size, len(settings.fixed)))
    points[:] = settings.fixed
    points[:, settings.axes[0]] = np.tile(xs, size)
    points[:, settings.axes[1]] = np.repeat(ys, size)
    if session.standardise:
        means, divisors = session.dataset.standardisation()
        points = (points - means) / divisors
    return xs, ys, points


def compute_map(session: Session, network, settings: MapSettings, capped: str = "") -> InputMap:
    """Every layer's activations over the grid of `settings`, by `network`'s own forward pass
    (`network` holds the parameters to map: the live ones). Checks the settings first."""
    check_settings(session, settings)
    xs, ys, points = grid_inputs(session, settings)
    cache = network.forward(points)
    size = settings.resolution
    layers = tuple(out.reshape(size, size, out.shape[1]) for out in cache.out)
    task = task_of(get_loss(session.loss), network.layers[-1].activation)
    return InputMap(settings, xs, ys, layers, tuple(layer.activation for layer in network.layers), task, capped)


def finite_span(values: np.ndarray) -> tuple[float, float]:
    """The lowest and highest finite value (±0.5 around a constant; (0, 1) when none is finite)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if not high > low:
        return low - 0.5, high + 0.5
    return low, high


# -- the boundary -----------------------------------------------------------------------------------
def contour_segments(values: np.ndarray, level: float, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Marching squares: where `values: (len(ys), len(xs))` crosses `level`, as segments `(m, 2, 2)`
    of (x, y) ends, linearly interpolated along the cells' edges. A saddle cell is split by the value
    at its centre (the mean of its corners); cells with a value that is not finite are left out."""
    v = np.asarray(values, dtype=float)
    above = v >= level
    finite = np.isfinite(v)
    # Where each edge is crossed: horizontal edges (iy, ix)→(iy, ix+1), vertical (iy, ix)→(iy+1, ix).
    with np.errstate(invalid="ignore", divide="ignore"):
        tx = (level - v[:, :-1]) / (v[:, 1:] - v[:, :-1])
        ty = (level - v[:-1, :]) / (v[1:, :] - v[:-1, :])
    h_cross = above[:, :-1] != above[:, 1:]
    v_cross = above[:-1, :] != above[1:, :]
    hx = xs[:-1] + np.nan_to_num(tx) * np.diff(xs)               # (ny, nx-1): x where a horizontal edge is crossed
    hy = np.broadcast_to(ys[:, None], hx.shape)
    vy = ys[:-1, None] + np.nan_to_num(ty) * np.diff(ys)[:, None]  # (ny-1, nx)
    vx = np.broadcast_to(xs[None, :], vy.shape)
    # Each cell's four edges, in order: bottom, right, top, left; each (ny-1, nx-1).
    edges = [(h_cross[:-1], hx[:-1], hy[:-1]), (v_cross[:, 1:], vx[:, 1:], vy[:, 1:]),
             (h_cross[1:], hx[1:], hy[1:]), (v_cross[:, :-1], vx[:, :-1], vy[:, :-1])]
    crossed = np.stack([edge[0] for edge in edges], axis=-1)
    px = np.stack([edge[1] for edge in edges], axis=-1)
    py = np.stack([edge[2] for edge in edges], axis=-1)
    usable = finite[:-1, :-1] & finite[1:, :-1] & finite[:-1, 1:] & finite[1:, 1:]
    count = crossed.sum(axis=-1)
    segments = []
    two = usable & (count == 2)
    if two.any():
        order = np.argsort(~crossed[two], axis=-1, kind="stable")[:, :2]   # the two crossed edges
        cx, cy = px[two], py[two]
        rows = np.arange(order.shape[0])[:, None]
        segments.append(np.stack([cx[rows, order], cy[rows, order]], axis=-1))
    four = usable & (count == 4)
    if four.any():
        centre = (v[:-1, :-1] + v[:-1, 1:] + v[1:, :-1] + v[1:, 1:])[four] / 4
        corner_above = above[:-1, :-1][four]           # the bottom-left corner
        cx, cy = px[four], py[four]
        # Centre on the bottom-left corner's side: that side joins it to the top-right corner, and the
        # other two corners are cut off (bottom+right, top+left); otherwise bottom+left and right+top.
        joined = (centre >= level) == corner_above
        pairs = np.where(joined[:, None, None], [[0, 1], [2, 3]], [[0, 3], [1, 2]])
        for pair in (0, 1):
            index = pairs[:, pair, :]
            rows = np.arange(index.shape[0])[:, None]
            segments.append(np.stack([cx[rows, index], cy[rows, index]], axis=-1))
    return np.concatenate(segments) if segments else np.empty((0, 2, 2))
