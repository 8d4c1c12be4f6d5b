"""`backprop-sim import`: a session from a CSV file, a network suited to its targets, what was detected."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.activations import get_activation
from simulator.cli import main
from simulator.errors import ConfigError
from simulator.session import load


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys, *argv):
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def iris_like(tmp_path):
    rows = [f"{5 + k % 7 * 0.1:.1f},{3 + k % 5 * 0.1:.1f},{1 + k % 3:.1f},{k % 4 * 0.1:.1f},{k % 3}" for k in range(30)]
    return write(tmp_path / "iris.csv", "30,4,setosa,versicolor,virginica\n" + "\n".join(rows) + "\n")


def test_a_class_column_makes_a_softmax_cross_entropy_session(capsys, tmp_path):
    try:
        get_activation("softmax")
    except ConfigError:
        pytest.skip("the engine has no softmax activation")
    saved = tmp_path / "iris.json"
    status, out, err = run(capsys, "import", iris_like(tmp_path), "--class-column", "column5", "--hidden", "8,4",
                           "--save", saved)
    assert status == 0, err
    assert "Read iris.csv: 30 rows; UTF-8, comma-delimited, no header row" in out
    assert "line 1 skipped: it looks like a line of counts and names ('30,4,setosa,versicolor,virginica')" in out
    assert "class: column5=0, column5=1, column5=2" in out
    assert "Network: 4-8-4-3 (tanh, tanh, softmax), categorical cross-entropy" in out
    session = load(saved)
    assert session.loss == "cross_entropy" and session.network.sizes == [4, 8, 4, 3]
    assert session.title == "iris" and session.dataset.targets == ["column5=0", "column5=1", "column5=2"]
    np.testing.assert_array_equal(session.dataset.Y.sum(axis=1), 1)
    assert session.dataset.Y[:3].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_a_numeric_target_makes_a_linear_mse_session_and_says_it_may_be_classes(capsys, tmp_path):
    saved = tmp_path / "s.json"
    status, out, _err = run(capsys, "import", iris_like(tmp_path), "--save", saved)
    assert status == 0
    assert "column5 holds 3 whole numbers: --class-column column5 predicts them as classes" in out
    session = load(saved)
    assert session.loss == "mse" and session.network.layers[-1].activation == "linear"
    assert session.network.sizes == [4, 4, 1] and session.standardise


def test_one_0_1_target_makes_a_sigmoid_bce_session(capsys, tmp_path):
    path = write(tmp_path / "d.csv", "hours;score;passed\n1,5;3;0\n4;2,5;1\n6;1;1\n")
    status, out, _err = run(capsys, "import", path, "--save", tmp_path / "s.json", "--activation", "relu")
    assert status == 0
    assert "semicolon-delimited, decimal comma, header on line 1" in out
    session = load(tmp_path / "s.json")
    assert session.loss == "bce" and [layer.activation for layer in session.network.layers] == ["relu", "sigmoid"]
    assert session.dataset.rows[0].tolist() == [1.5, 3, 0]


def test_inputs_targets_and_reading_options(capsys, tmp_path):
    path = write(tmp_path / "d.txt", "Measured by hand\nid a b c y\nr1 1 2 3 4\nr2 5 6 7 8\n")
    status, out, _err = run(capsys, "import", path, "--skip", "1", "--delimiter", "whitespace", "--header", "yes",
                            "--inputs", "a,c", "--target", "b", "--target", "y", "--hidden", "none",
                            "--save", tmp_path / "s.json")
    assert status == 0
    session = load(tmp_path / "s.json")
    assert session.dataset.inputs == ["a", "c"] and session.dataset.targets == ["b", "y"]
    assert session.network.sizes == [2, 2]
    assert [line.split() for line in out.splitlines() if line.startswith("  id ")] == [
        ["id", "2", "labels:", "r1,", "r2", "unused", "(text", "is", "not", "imported)"]]


@pytest.mark.parametrize("argv, message", [
    (["--target", "nope"], "--target: there is no column 'nope'; the columns are a, b, y"),
    (["--inputs", "a,y"], "column 'y' cannot be both an input (--inputs) and a target"),
    (["--hidden", "4,x"], "argument --hidden: hidden sizes must be whole numbers"),
    (["--hidden", "65"], "a hidden layer has 1 to 64 neurons"),
    (["--activation", "softmax"], "softmax belongs on the output layer only"),
    (["--activation", "cube"], "unknown activation 'cube'"),
    (["--delimiter", "|"], "delimiter must be comma, semicolon, tab or whitespace"),
    (["--skip", "-1"], "lines to skip must be a whole number ≥ 0"),
    (["--header", "maybe"], "argument --header: invalid choice"),
    (["--class-column", "y"], "a class column needs at least 2 different labels"),
])
def test_bad_options_exit_2_naming_the_option(capsys, tmp_path, argv, message):
    path = write(tmp_path / "d.csv", "a,b,y\n1,2,3\n4,5,3\n")
    saved = tmp_path / "s.json"
    status, out, err = run(capsys, "import", path, *argv, "--save", saved)
    assert status == 2 and message in err and not out
    assert not saved.exists()


def test_a_file_with_a_problem_exits_2_naming_line_and_column(capsys, tmp_path):
    status, _out, err = run(capsys, "import", write(tmp_path / "d.csv", "a,b\n1,2\n3,x\n"), "--save", tmp_path / "s")
    assert status == 2 and "line 3 (row 2), column 'b': 'x' is not a number" in err
    status, _out, err = run(capsys, "import", tmp_path / "d.csv")
    assert status == 2 and "--save" in err


def test_a_file_name_that_is_not_utf8_gives_a_title_that_can_be_saved(capsys, tmp_path):
    """A Latin-1 name such as café.csv reaches Python as an unpaired surrogate; a title holding one
    could never be saved (nor autosaved). The byte that is not UTF-8 becomes U+FFFD."""
    import os
    name = os.fsdecode(b"caf\xe9.csv")
    source = write(tmp_path / name, "a,b,y\n1,2,3\n2,3,5\n3,1,4\n")
    status, out, err = run(capsys, "import", source, "--save", tmp_path / "out.json")
    assert status == 0, err
    session = load(tmp_path / "out.json")
    assert session.title == "caf\ufffd"
    session.save(tmp_path / "again.json")              # and it saves again


def test_title_of_keeps_a_good_name_and_mends_a_bad_one():
    from simulator.files import title_of
    assert title_of("/data/Übung 1.csv") == "Übung 1"
    assert title_of("x/" + "bad\udcff.csv") == "bad\ufffd"
