"""Input-space maps in the engine and `backprop-sim map`: the grid's values are the network's own
predictions, the boundary is where they cross, and bad settings are refused by name."""

from __future__ import annotations

import csv
import struct
import zlib
from dataclasses import replace

import numpy as np
import pytest

from simulator.cli import main
from simulator.errors import ConfigError
from simulator.examples import load_example
from simulator.input_map import (MAX_RESOLUTION, MapSettings, NeuronChoice, checked_resolution, compute_map,
                                 contour_segments, default_settings)
from simulator.map_picture import png_bytes, value_colours
from simulator.run import Run


def _settings_on_rows(session, resolution):
    """A grid whose corners and steps fall on the data's own values (the examples' data lie on one)."""
    inputs = session.dataset.X
    ranges = tuple((float(inputs[:, k].min()), float(inputs[:, k].max())) for k in (0, 1))
    return MapSettings((0, 1), ranges, tuple(inputs.mean(axis=0)), resolution)


@pytest.mark.parametrize("name, resolution", [("xor", 2), ("three-classes", 9)])
def test_grid_values_at_data_rows_are_the_predictions(name, resolution):
    session = load_example(name)
    run = Run(session)
    run.training.run(max_steps=7)          # live parameters that differ from the starting ones
    network = run.training.network
    settings = _settings_on_rows(session, resolution)
    input_map = compute_map(session, network, settings)
    y_hat, _ = run.training.predictions()
    found = 0
    for row, (x, y) in enumerate(session.dataset.X[:, :2]):
        ix = np.flatnonzero(np.isclose(input_map.xs, x, rtol=0, atol=1e-12))
        iy = np.flatnonzero(np.isclose(input_map.ys, y, rtol=0, atol=1e-12))
        if ix.size and iy.size and input_map.xs[ix[0]] == x and input_map.ys[iy[0]] == y:
            found += 1
            np.testing.assert_allclose(input_map.output[iy[0], ix[0]], y_hat[row], rtol=1e-13, atol=1e-15)
    assert found >= 4


def test_every_layer_is_the_forward_pass_by_hand():
    session = load_example("xor")
    settings = MapSettings((0, 1), ((-1.0, 2.0), (0.0, 3.0)), (0.0, 0.0), 4)
    input_map = compute_map(session, session.network, settings)
    first, second = session.network.layers
    x, y = input_map.xs[3], input_map.ys[1]
    hidden = np.tanh(np.array([x, y]) @ first.weights + first.biases)
    output = 1 / (1 + np.exp(-(hidden @ second.weights + second.biases)))
    np.testing.assert_allclose(input_map.values(NeuronChoice(1, 2))[1, 3], hidden[1], rtol=1e-14)
    np.testing.assert_allclose(input_map.output[1, 3, 0], output[0], rtol=1e-14)
    assert np.array_equal(input_map.at(3, 1), [x, y])


def test_standardised_axes_read_in_the_users_units():
    session = load_example("three-classes")
    assert session.standardise
    settings = default_settings(session)
    input_map = compute_map(session, session.network, settings)
    raw = session.dataset.X
    assert input_map.xs[0] < raw[:, 0].min() and input_map.xs[-1] > raw[:, 0].max()
    means, divisors = session.dataset.standardisation()
    point = input_map.at(5, 7)
    expected = session.network.predict(((point - means) / divisors)[None, :])[0]
    np.testing.assert_allclose(input_map.output[7, 5], expected, rtol=1e-13)


def test_contour_of_a_plane_lies_on_its_line():
    xs, ys = np.linspace(0.0, 2.0, 7), np.linspace(-1.0, 1.0, 5)
    values = 2 * xs[None, :] - ys[:, None]
    segments = contour_segments(values, 1.3, xs, ys)
    np.testing.assert_allclose(2 * segments[..., 0] - segments[..., 1], 1.3, atol=1e-12)
    # From (0.15, −1) to (1.15, 1), unbroken: the pieces add up to the whole line.
    lengths = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1)
    assert lengths.sum() == pytest.approx(np.hypot(1.0, 2.0), rel=1e-12)


def test_saddle_cell_is_split_by_its_centre():
    xs = ys = np.array([0.0, 1.0])
    centre_high = np.array([[1.0, -1.0], [-1.0, 1.0]]) + 0.5   # corners 1.5, −0.5; centre 0.5 ≥ 0
    segments = contour_segments(centre_high, 0.0, xs, ys)
    assert len(segments) == 2
    # The high corners (bottom-left, top-right) are joined: the low corners are cut off.
    cut = sorted(tuple(np.round(segment.mean(axis=0), 3)) for segment in segments)
    assert cut == [(0.125, 0.875), (0.875, 0.125)]


def test_boundary_moves_after_an_edit():
    session = load_example("xor")
    settings = default_settings(session)
    run = Run(session)
    run.training.run(max_steps=40)
    before = compute_map(session, run.training.network, settings).boundary()
    run.set_parameter("b21", run.training.network.get("b21") + 0.02)
    after = compute_map(session, run.training.network, settings).boundary()
    assert len(before) and len(after)
    assert before.shape != after.shape or not np.allclose(before, after)


@pytest.mark.parametrize("change, message", [
    (dict(axes=(0, 0)), "two different inputs"),
    (dict(ranges=((1.0, 1.0), (0.0, 1.0))), "range of x1 must go from a lower to a higher"),
    (dict(ranges=((0.0, float("nan")), (0.0, 1.0))), "high end of x1 must be a finite number"),
    (dict(ranges=((0.0, 1.0), (0.0, 1e13))), r"high end of x2: 1e\+13 is too large"),
    (dict(resolution=1), "at least 2 points"),
    (dict(resolution=MAX_RESOLUTION + 1), "using 512"),
])
def test_bad_settings_are_refused_by_name(change, message):
    session = load_example("xor")
    settings = replace(default_settings(session), **change)
    with pytest.raises(ConfigError, match=message):
        compute_map(session, session.network, settings)


def test_a_very_large_grid_is_capped_with_a_message():
    assert checked_resolution(100_000)[0] == MAX_RESOLUTION
    assert "more than the 512" in checked_resolution(100_000)[1]
    with pytest.raises(ConfigError, match="whole number"):
        checked_resolution(2.5)


def test_a_diverged_output_is_counted():
    session = load_example("regression")
    network = session.network.copy()
    network.set("w211", 1e308)
    network.set("w111", 1e308)
    input_map = compute_map(session, network, default_settings(session, resolution=8))
    assert input_map.non_finite() == 64


# -- the command line --------------------------------------------------------------------------------
def test_cli_csv_is_the_grid_at_full_precision(tmp_path, capsys):
    target = tmp_path / "xor.csv"
    assert main(["map", "--example", "xor", "--resolution", "5", "--range", "x1:-1:1", "--csv", str(target)]) == 0
    rows = list(csv.reader(target.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["x1", "x2", "ŷ xor"]
    assert len(rows) == 1 + 25
    session = load_example("xor")
    for x, y, value in rows[1:]:
        expected = session.network.predict(np.array([[float(x), float(y)]]))[0, 0]
        assert float(value) == pytest.approx(expected, rel=1e-14)
        assert repr(float(value)) == value
    assert [float(row[0]) for row in rows[1:6]] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert "x: x1 from −1 to 1" in capsys.readouterr().out


def test_cli_neuron_and_fixed_values(capsys):
    assert main(["map", "--example", "regression", "--neuron", "1,2", "--resolution", "2",
                 "--range", "cgpa:0:1", "--range", "resume_score:0:2", "--csv", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "cgpa,resume_score,o12"
    assert lines[1:] == ["0.0,0.0,0.0", "1.0,0.0,0.1", "0.0,2.0,0.2", "1.0,2.0,0.30000000000000004"]


def test_cli_png_is_a_picture_of_the_map(tmp_path):
    target = tmp_path / "map.png"
    assert main(["map", "--example", "classification", "--resolution", "8", "--png", str(target)]) == 0
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (512, 512)
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8:start - 4])[0]
    pixels = np.frombuffer(zlib.decompress(data[start:start + length]), dtype=np.uint8).reshape(512, 1 + 512 * 3)
    image = pixels[:, 1:].reshape(512, 512, 3)
    session = load_example("classification")
    input_map = compute_map(session, session.network, default_settings(session, resolution=8))
    corner = value_colours(input_map.output[7, 0, 0], 0.0, 1.0)   # top left: x low, y high
    assert np.array_equal(image[2, 2], corner)


def test_png_bytes_round_trip():
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    data = png_bytes(image, {"Title": "t"})
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8:start - 4])[0]
    raw = np.frombuffer(zlib.decompress(data[start:start + length]), dtype=np.uint8).reshape(2, 10)
    assert np.array_equal(raw[:, 1:].reshape(2, 3, 3), image)


@pytest.mark.parametrize("arguments, message", [
    (["--resolution", "1"], "at least 2 points"),
    (["--resolution", "many"], "whole number"),
    (["--range", "x1:2:1"], "lower to a higher"),
    (["--range", "x3:0:1"], "--range x3: there is no input 'x3'"),
    (["--fixed", "x1=3"], "x1 is on an axis"),
    (["--inputs", "x1"], "two input names"),
    (["--neuron", "1,5"], "layer 1 has neurons 1 to 2"),
    (["--range", "x1:0:inf"], "finite number"),
])
def test_cli_refuses_bad_arguments(arguments, message, capsys):
    assert main(["map", "--example", "xor", *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_cli_caps_a_huge_resolution(tmp_path, capsys):
    assert main(["map", "--example", "xor", "--resolution", "100000", "--csv", str(tmp_path / "m.csv")]) == 0
    assert "using 512" in capsys.readouterr().err
    assert len((tmp_path / "m.csv").read_text().splitlines()) == 1 + 512 * 512
