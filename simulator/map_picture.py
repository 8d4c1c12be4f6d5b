"""The colours of an input-space map, and the map as a PNG picture made with numpy and zlib alone.

The desktop app draws the same map with the same colours (`VALUE_STOPS`, `CLASS_COLOURS`); the command
line writes this picture so that it needs no Qt: the grid's colours (one square of pixels per grid
point), the boundary and the data rows. The axes' names and ranges are printed beside it (and kept
in the PNG's text chunks), since text needs a font.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from .activations import get_activation
from .input_map import InputMap, NeuronChoice, finite_span
from .metrics import true_classes

#: A diverging scale from the low end of a map's range (orange) through a light grey to the high end (blue).
VALUE_STOPS = ((0.0, (245, 147, 34)), (0.5, (232, 234, 235)), (1.0, (8, 119, 189)))
#: One colour per class: class 0 takes the low end's orange and class 1 the high end's blue, so a
#: binary map and its points agree; more classes go on with distinct colours.
CLASS_COLOURS = ((245, 147, 34), (8, 119, 189), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))
#: Shown where a value is not a finite number.
NON_FINITE_COLOUR = (0, 0, 0)
BOUNDARY_COLOUR = (20, 20, 20)


def class_colour(index: int) -> tuple[int, int, int]:
    return CLASS_COLOURS[index % len(CLASS_COLOURS)]


#: Shades of the value scale a map is drawn with: finer than a colour channel's 256 steps.
SHADES = 1024


def _shades() -> np.ndarray:
    """The value scale as `(SHADES + 1, 3)` uint8 colours, the last for values that are not finite."""
    positions = np.linspace(0.0, 1.0, SHADES)
    stops = [stop for stop, _ in VALUE_STOPS]
    table = np.stack([np.interp(positions, stops, [colour[channel] for _, colour in VALUE_STOPS])
                      for channel in range(3)], axis=-1)
    return np.vstack([np.rint(table), [NON_FINITE_COLOUR]]).astype(np.uint8)


_SHADE_TABLE = _shades()


def value_colours(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Colours of `values` on the scale from `low` to `high`: `values.shape + (3,)` uint8 (clipped to
    the scale's ends, in `SHADES` steps; non-finite values black)."""
    values = np.asarray(values, dtype=float)
    flat = values.reshape(-1)
    with np.errstate(invalid="ignore", over="ignore"):
        position = np.clip((flat - low) * ((SHADES - 1) / (high - low)), 0.0, SHADES - 1)
    not_finite = ~np.isfinite(flat)
    position[not_finite] = 0.0
    index = np.rint(position, out=position).astype(np.intp)
    index[not_finite] = SHADES
    return _SHADE_TABLE[index].reshape(values.shape + (3,))


def class_mixture(probabilities: np.ndarray) -> np.ndarray:
    """A softmax output `(…, classes)` as the probability-weighted mix of the class colours `(…, 3)` uint8."""
    palette = np.array([class_colour(k) for k in range(probabilities.shape[-1])], dtype=float)
    rgb = probabilities @ palette
    rgb[~np.isfinite(probabilities).all(axis=-1)] = NON_FINITE_COLOUR
    return np.rint(np.clip(rgb, 0, 255)).astype(np.uint8)


def value_scale(input_map: InputMap, layer: int, targets: np.ndarray | None = None) -> tuple[float, float]:
    """The colour scale of `layer` (from 1): its shared range, widened for a regression output with
    unbounded values to take in the targets `(n, n_outputs)` too, so that points and map share it."""
    low, high = input_map.layer_range(layer)
    output_range = get_activation(input_map.activations[layer - 1]).output_range
    if (targets is not None and layer == len(input_map.layers) and input_map.task == "regression"
            and not np.isfinite(output_range).all()):
        target_low, target_high = finite_span(np.asarray(targets, dtype=float))
        low, high = min(low, target_low), max(high, target_high)
    return low, high


def map_colours(input_map: InputMap, neuron: NeuronChoice | None, targets: np.ndarray | None = None) -> np.ndarray:
    """The map's colours `(resolution, resolution, 3)`, `[iy, ix]`: a neuron's value on its layer's
    scale, or the output (a softmax output as its classes' mix; else its first output)."""
    if neuron is None:
        if input_map.task == "multiclass":
            return class_mixture(input_map.output)
        neuron = NeuronChoice(len(input_map.layers), 1)
    return value_colours(input_map.values(neuron), *value_scale(input_map, neuron.layer, targets))


def target_colours(input_map: InputMap, targets: np.ndarray) -> np.ndarray:
    """Each data row's colour by its target `(n, n_outputs)` → `(n, 3)` uint8: its class's colour for
    classification (the first output's for a binary one), its first target on the output's scale for
    regression."""
    targets = np.asarray(targets, dtype=float)
    if input_map.task == "regression":
        return value_colours(targets[:, 0], *value_scale(input_map, len(input_map.layers), targets))
    classes = true_classes(input_map.task, targets)
    if input_map.task == "binary":
        classes = classes[:, 0]
    return np.array([class_colour(int(k)) for k in classes], dtype=np.uint8).reshape(-1, 3)


# -- the picture ----------------------------------------------------------------------------------
def _pixel(values: np.ndarray, low: float, high: float, pixels: int) -> np.ndarray:
    """Pixel coordinates of values on an axis from `low` (pixel 0) to `high` (pixel `pixels`)."""
    return (np.asarray(values, dtype=float) - low) / (high - low) * pixels


def picture(input_map: InputMap, neuron: NeuronChoice | None, points: np.ndarray, targets: np.ndarray,
            pixels: int = 512) -> np.ndarray:
    """The map as an RGB image `(pixels, pixels, 3)` uint8, y up: each grid point a square of colour,
    the decision boundary as a dark line (for the output), the data rows `points: (n, 2)` (user's
    units) as discs coloured by their `targets: (n, n_outputs)`, ringed white and dark."""
    size = input_map.settings.resolution
    colours = map_colours(input_map, neuron, targets)
    point_colours = target_colours(input_map, targets)
    index = np.minimum(np.arange(pixels) * size // pixels, size - 1)
    image = colours[index][:, index][::-1].copy()     # row 0 is the top: the highest y
    xs, ys = input_map.xs, input_map.ys
    # A grid point is the centre of its square: the picture spans half a step beyond the ends.
    x_low, x_high = xs[0] - (xs[1] - xs[0]) / 2, xs[-1] + (xs[1] - xs[0]) / 2
    y_low, y_high = ys[0] - (ys[1] - ys[0]) / 2, ys[-1] + (ys[1] - ys[0]) / 2

    def to_pixels(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _pixel(x, x_low, x_high, pixels), pixels - _pixel(y, y_low, y_high, pixels)

    if neuron is None:
        for start, end in input_map.boundary():
            length = max(abs(end - start) / np.array([xs[1] - xs[0], ys[1] - ys[0]])) * pixels / size
            steps = np.linspace(0.0, 1.0, max(2, int(length * 2) + 2))
            px, py = to_pixels(start[0] + steps * (end[0] - start[0]), start[1] + steps * (end[1] - start[1]))
            _stamp(image, px, py, 1.2, BOUNDARY_COLOUR)
    if len(points):
        px, py = to_pixels(points[:, 0], points[:, 1])
        for x, y, colour in zip(px, py, point_colours):
            for radius, ring in ((8.0, BOUNDARY_COLOUR), (6.5, (255, 255, 255)), (5.0, tuple(int(c) for c in colour))):
                _stamp(image, np.array([x]), np.array([y]), radius, ring)
    return image


def _stamp(image: np.ndarray, px: np.ndarray, py: np.ndarray, radius: float, colour: tuple) -> None:
    """Paint discs of `radius` pixels centred on (px, py) (pixel coordinates, y down)."""
    height, width = image.shape[:2]
    reach = int(np.ceil(radius))
    offsets = np.arange(-reach, reach + 1)
    dx, dy = np.meshgrid(offsets, offsets)
    disc = dx ** 2 + dy ** 2 <= radius ** 2
    dx, dy = dx[disc], dy[disc]
    cols = (np.floor(px)[:, None] + dx).astype(int).ravel()
    rows = (np.floor(py)[:, None] + dy).astype(int).ravel()
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    image[rows[inside], cols[inside]] = colour


def png_bytes(image: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    """An RGB image `(height, width, 3)` uint8 as a PNG file, with `text` as tEXt chunks (Latin-1)."""
    height, width = image.shape[:2]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = np.hstack([np.zeros((height, 1), dtype=np.uint8), image.reshape(height, width * 3)])
    parts = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))]
    for key, value in (text or {}).items():
        parts.append(chunk(b"tEXt", key.encode("latin-1", "replace") + b"\0"
                           + value.encode("latin-1", "replace")))
    parts += [chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)), chunk(b"IEND", b"")]
    return b"".join(parts)
