"""`backprop-sim map`: the network's output (or one neuron) over a grid of two inputs, as CSV and PNG.

    backprop-sim map --example xor --resolution 32 --csv xor.csv --png xor.png

See docs/cli.md. The values are the engine's own forward pass (`simulator.input_map`), written to
full precision; the picture is made without Qt (`simulator.map_picture`).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from typing import Callable

import numpy as np

from .errors import ConfigError, SimulatorError
from .formatting import format_number
from .input_map import (DEFAULT_RESOLUTION, MAX_RESOLUTION, InputMap, MapSettings, NeuronChoice, checked_range,
                        checked_resolution, checked_value, compute_map, default_settings, input_index)
from .map_picture import picture, png_bytes, value_scale
from .notation import output_name
from .numbers import EMPTY, NOT_A_NUMBER, NumberError, parse_number
from .session import Session
from .training import Training

ArgumentType = Callable[[str], object]
#: Pixels along each side of the PNG picture.
PICTURE_PIXELS = 512


def _names(text: str) -> tuple[str, str]:
    names = tuple(name.strip() for name in text.split(","))
    if len(names) != 2 or not all(names):
        raise argparse.ArgumentTypeError(f"--inputs takes two input names separated by a comma, such as x1,x2, "
                                         f"not {text[:60]!r}")
    return names


def _number(text: str, where: str) -> float:
    try:
        return parse_number(text)
    except NumberError as error:
        kind = "a number" if error.reason in (EMPTY, NOT_A_NUMBER) else "a finite number"
        raise argparse.ArgumentTypeError(f"{where} must be {kind}, not {text[:40]!r}") from None


def _fixed(text: str) -> tuple[str, float]:
    name, equals, value = text.rpartition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"--fixed takes NAME=VALUE, such as x3=0.5, not {text[:60]!r}")
    return name.strip(), _number(value.strip(), f"the value of {name.strip()}")


def _range(text: str) -> tuple[str, float, float]:
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[0].strip():
        raise argparse.ArgumentTypeError(f"--range takes NAME:LOW:HIGH, such as x1:-1:2, not {text[:60]!r}")
    name = parts[0].strip()
    return name, _number(parts[1].strip(), f"the low end of {name}"), _number(parts[2].strip(), f"the high end of {name}")


def _neuron(text: str) -> tuple[int, int]:
    parts = text.split(",")
    try:
        layer, index = (int(part.strip()) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--neuron takes LAYER,INDEX counted from 1, such as 1,2 (the second "
                                         f"neuron of the first hidden layer), not {text[:60]!r}") from None
    return layer, index


def _resolution(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"resolution must be a whole number of points, not {text[:40]!r}") from None
    try:
        checked_resolution(value)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def add_map_parser(commands, add_source: Callable[[argparse.ArgumentParser], None],
                   given: Callable[[str], ArgumentType]) -> None:
    """The `map` subcommand on `commands` (argparse subparsers), with cli's source options and file type."""
    parser = commands.add_parser("map", help="the output (or a neuron) over a grid of two inputs, as CSV and PNG")
    add_source(parser)
    parser.add_argument("--inputs", type=_names, metavar="A,B", help="the inputs on the x and y axes "
                        "(default: the first two)")
    parser.add_argument("--fixed", type=_fixed, action="append", default=[], metavar="NAME=VALUE",
                        help="hold another input at VALUE (default: its mean over the training rows); repeatable")
    parser.add_argument("--resolution", type=_resolution, default=DEFAULT_RESOLUTION, metavar="N",
                        help=f"points along each axis (default {DEFAULT_RESOLUTION}, at most {MAX_RESOLUTION})")
    parser.add_argument("--range", type=_range, action="append", default=[], metavar="A:LOW:HIGH",
                        help="the span of an axis in the data's units (default: the data's, plus 10%% each side); "
                        "repeatable")
    parser.add_argument("--neuron", type=_neuron, metavar="LAYER,INDEX",
                        help="map this neuron's activation instead of the output (layers and neurons from 1)")
    parser.add_argument("--csv", type=given("CSV file"), metavar="FILE",
                        help="write the grid: the two inputs, then the value(s), one row per point ('-': stdout)")
    parser.add_argument("--png", type=given("PNG file"), metavar="FILE", help="write the map as a picture")


def _index(session: Session, option: str, name: str) -> int:
    try:
        return input_index(session, name)
    except ConfigError as error:
        raise ConfigError(f"{option} {name}: {error}") from None


def map_settings(session: Session, args: argparse.Namespace) -> tuple[MapSettings, NeuronChoice | None, str]:
    """The settings the arguments ask for, the neuron (None: the output) and a note when the
    resolution was capped. Raises ConfigError naming the argument."""
    names = session.dataset.inputs
    if len(names) < 2:
        raise ConfigError("map needs a network with at least two inputs; this one has "
                          f"{len(names)} ({', '.join(names)})")
    axes = (0, 1) if args.inputs is None else tuple(_index(session, "--inputs", name) for name in args.inputs)
    if axes[0] == axes[1]:
        raise ConfigError(f"--inputs: choose two different inputs, not {names[axes[0]]} twice")
    resolution, capped = checked_resolution(args.resolution)
    rows = Training(session.network.copy(), session.training_dataset(), session.loss, session.training).training_rows
    settings = default_settings(session, rows, axes, resolution)
    ranges = dict(zip(axes, settings.ranges))
    for name, low, high in args.range:
        index = _index(session, "--range", name)
        if index not in axes:
            raise ConfigError(f"--range {name}: {name} is not on an axis (the axes are {names[axes[0]]} "
                              f"and {names[axes[1]]}); hold it with --fixed {name}=VALUE")
        ranges[index] = checked_range(name, low, high)
    fixed = list(settings.fixed)
    for name, value in args.fixed:
        index = _index(session, "--fixed", name)
        if index in axes:
            raise ConfigError(f"--fixed {name}: {name} is on an axis; give its span with --range {name}:LOW:HIGH")
        fixed[index] = checked_value(f"--fixed {name}", value)
    neuron = None
    if args.neuron is not None:
        layer, index = args.neuron
        layers = session.network.layers
        if not 1 <= layer <= len(layers):
            raise ConfigError(f"--neuron {layer},{index}: the network has layers 1 to {len(layers)} "
                              f"(layer {len(layers)} is the output)")
        if not 1 <= index <= layers[layer - 1].n_out:
            raise ConfigError(f"--neuron {layer},{index}: layer {layer} has neurons 1 to {layers[layer - 1].n_out}")
        neuron = NeuronChoice(layer, index)
    return MapSettings(axes, (ranges[axes[0]], ranges[axes[1]]), tuple(fixed), resolution), neuron, capped


def value_names(session: Session, neuron: NeuronChoice | None) -> list[str]:
    """The CSV's value columns: the neuron's o, or every output named after its target column."""
    if neuron is None:
        return [f"ŷ {name}" for name in session.network.output_names]
    if neuron.layer == len(session.network.layers):
        return [f"ŷ {session.network.output_names[neuron.index - 1]}"]
    return [output_name(neuron.layer, neuron.index)]


def grid_rows(input_map: InputMap, neuron: NeuronChoice | None) -> tuple[np.ndarray, np.ndarray]:
    """Every grid point's (x, y) `(resolution², 2)` and value(s) `(resolution², k)`, row by row (y outer)."""
    size = input_map.settings.resolution
    xs = np.tile(input_map.xs, size)
    ys = np.repeat(input_map.ys, size)
    values = input_map.output if neuron is None else input_map.values(neuron)[:, :, None]
    return np.column_stack([xs, ys]), values.reshape(size * size, -1)


def csv_text(session: Session, input_map: InputMap, neuron: NeuronChoice | None) -> str:
    """The grid as CSV: a header, then per point the two inputs and the value(s), each as Python's repr."""
    names = session.dataset.inputs
    points, values = grid_rows(input_map, neuron)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([names[input_map.settings.axes[0]], names[input_map.settings.axes[1]]]
                    + value_names(session, neuron))
    for point, value in zip(points.tolist(), values.tolist()):
        writer.writerow([repr(number) for number in point + value])
    return buffer.getvalue()


def summary_lines(session: Session, input_map: InputMap, neuron: NeuronChoice | None) -> list[str]:
    """What was mapped, over what, holding what, and the values' span (and the boundary's length)."""
    names = session.dataset.inputs
    settings = input_map.settings
    what = "the output" if neuron is None else f"neuron {neuron.layer},{neuron.index} ({value_names(session, neuron)[0]})"
    lines = [f"Map of {what} of {session.title or 'the session'}: {settings.resolution} × {settings.resolution} points"]
    for axis, label, (low, high) in zip(settings.axes, ("x", "y"), settings.ranges):
        lines.append(f"  {label}: {names[axis]} from {format_number(low)} to {format_number(high)}")
    held = [f"{names[index]} = {format_number(value)}" for index, value in enumerate(settings.fixed)
            if index not in settings.axes]
    if held:
        lines.append("  held: " + ", ".join(held))
    if session.standardise:
        lines.append("  in the data's units (standardised, as training does, before the network)")
    layer = len(input_map.layers) if neuron is None else neuron.layer
    values = input_map.output if neuron is None else input_map.values(neuron)
    finite = values[np.isfinite(values)]
    lines.append(f"  values from {format_number(float(finite.min()))} to {format_number(float(finite.max()))}")
    if neuron is None and input_map.task != "multiclass":
        low, high = value_scale(input_map, layer, session.dataset.Y)
        lines.append(f"  colours: orange {format_number(low)} → grey → blue {format_number(high)}")
    if neuron is None and input_map.task != "regression":
        lines.append(f"  decision boundary: {len(input_map.boundary())} segments")
    return lines


def run_map(args: argparse.Namespace, load_session: Callable[[argparse.Namespace], Session]) -> int:
    session = load_session(args)
    settings, neuron, capped = map_settings(session, args)
    if capped:
        print(f"note: {capped}", file=sys.stderr)
    input_map = compute_map(session, session.network, settings, capped)
    layer = len(input_map.layers) if neuron is None else neuron.layer
    bad = input_map.non_finite(layer)
    if bad:
        raise SimulatorError(f"the network's values are not finite numbers at {bad:,} of the "
                             f"{settings.resolution ** 2:,} grid points: it has diverged (its weights are too "
                             "large for the numbers a float holds); nothing was written")
    if args.csv == "-":
        sys.stdout.write(csv_text(session, input_map, neuron))
    else:
        print("\n".join(summary_lines(session, input_map, neuron)))
        if args.csv:
            with open(args.csv, "w", encoding="utf-8", newline="") as file:
                file.write(csv_text(session, input_map, neuron))
            print(f"Wrote {args.csv}", file=sys.stderr)
    if args.png:
        names = session.dataset.inputs
        points = session.dataset.X[:, list(settings.axes)]
        image = picture(input_map, neuron, points, session.dataset.Y, PICTURE_PIXELS)
        text = {"Title": f"{session.title or 'Backprop Simulator'}: map of "
                         f"{'the output' if neuron is None else value_names(session, neuron)[0]}",
                "Description": "; ".join(summary_lines(session, input_map, neuron)[1:]).replace("  ", ""),
                "Software": "Backprop Simulator"}
        data = png_bytes(image, text)
        with open(args.png, "wb") as file:
            file.write(data)
        print(f"Wrote {args.png} ({names[settings.axes[0]]} across, {names[settings.axes[1]]} up)", file=sys.stderr)
    return 0
