"""Exercise sets: every asked answer against an independent calculation, reproducibility, the sheets
in every format (LaTeX compiled where pdflatex is installed) and the command line's checks."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from simulator import exercises
from simulator.cli import main
from simulator.errors import ConfigError
from simulator.exercise_sheets import exercises_json, sheets, to_tex, write_sheets
from simulator.exercises import ExerciseSpec, generate
from simulator.session import from_dict, load

CASES = [((2, 2, 1), "linear", "mse"), ((2, 2, 1), "sigmoid", "bce"), ((3, 2, 2), "tanh", "half_sse"),
         ((2, 3, 3), "relu", "cross_entropy"), ((2, 2, 2, 1), "sigmoid", "mse"), ((1, 1), "linear", "bce"),
         ((2, 3, 2), "tanh", "bce")]


# -- an independent calculation: plain numpy, written out for this test --------------------------------
def _activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "linear":
        return z.copy()
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    exp = np.exp(z - z.max())
    return exp / exp.sum()


def _slope(name: str, z: np.ndarray, o: np.ndarray) -> np.ndarray:
    return {"linear": np.ones_like(z), "sigmoid": o * (1 - o), "tanh": 1 - o ** 2,
            "relu": (z > 0).astype(float)}[name]


def hand_answers(session) -> dict[str, float]:
    """z, o, ŷ, L, every ∂L/∂parameter and every new parameter of one SGD step on row 1."""
    layers = [(layer.weights, layer.biases, layer.activation) for layer in session.network.layers]
    x = session.dataset.X[0]
    y = session.dataset.Y[0]
    answers, outs, zs = {}, [x], []
    for index, (weights, biases, activation) in enumerate(layers, start=1):
        z = outs[-1] @ weights + biases
        o = _activate(activation, z)
        zs.append(z)
        outs.append(o)
        for k in range(len(z)):
            answers[f"z{index}{k + 1}"] = z[k]
            last = index == len(layers)
            answers[("y_hat" + (str(k + 1) if len(z) > 1 else "")) if last else f"o{index}{k + 1}"] = o[k]
    y_hat, m = outs[-1], len(y)
    if session.loss == "mse":
        answers["L"] = np.sum((y - y_hat) ** 2) / m
        d_out = -2 * (y - y_hat) / m
    elif session.loss == "half_sse":
        answers["L"] = 0.5 * np.sum((y - y_hat) ** 2)
        d_out = -(y - y_hat)
    elif session.loss == "bce":
        p = np.clip(y_hat, 1e-7, 1 - 1e-7)
        answers["L"] = np.sum(-(y * np.log(p) + (1 - y) * np.log(1 - p))) / m
        d_out = (-y / p + (1 - y) / (1 - p)) / m
    else:
        answers["L"] = -np.sum(y * np.log(y_hat))
    if session.loss == "cross_entropy":
        delta = y_hat - y
    else:
        delta = d_out * _slope(layers[-1][2], zs[-1], outs[-1])
    gradients = {}
    for index in range(len(layers), 0, -1):
        weights, biases, _ = layers[index - 1]
        for j in range(weights.shape[1]):
            for i in range(weights.shape[0]):
                gradients[f"w{index}{i + 1}{j + 1}"] = (delta[j] * outs[index - 1][i], weights[i, j])
            gradients[f"b{index}{j + 1}"] = (delta[j], biases[j])
        if index > 1:
            delta = (weights @ delta) * _slope(layers[index - 2][2], zs[index - 2], outs[index - 1])
    rate, optimizer = session.training.learning_rate, session.training.optimizer
    for name, (gradient, old) in gradients.items():
        answers[f"dL/d{name}"] = gradient
        if optimizer.name == "adam":      # first step: m̂ = g and v̂ = g² (PyTorch's defaults)
            step = gradient / (math.sqrt(gradient ** 2) + 1e-8)
        elif optimizer.name == "rmsprop":  # s = (1 − α)·g², α = 0.99
            step = gradient / (math.sqrt(0.01 * gradient ** 2) + 1e-8)
        else:
            step = gradient
        answers[f"{name}_new"] = old - rate * step
    return answers


@pytest.mark.parametrize("shape, activation, loss", CASES)
def test_every_asked_answer_agrees_with_an_independent_calculation(shape, activation, loss):
    spec = ExerciseSpec(count=12, seed=3, shape=shape, activation=activation, loss=loss, learning_rate=0.5)
    for problem in generate(spec):
        expected = hand_answers(problem.session)
        assert set(problem.answers) == set(expected), problem
        for name, value in problem.answers.items():
            assert value == pytest.approx(expected[name], rel=1e-12, abs=1e-12), (problem.number, name)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_one_step_of_another_optimizer_agrees_with_an_independent_calculation(optimizer):
    spec = ExerciseSpec(count=8, seed=6, activation="tanh", optimizer=optimizer)
    for problem in generate(spec):
        expected = hand_answers(problem.session)
        for name, value in problem.answers.items():
            assert value == pytest.approx(expected[name], rel=1e-9, abs=1e-12), (problem.number, name)
    key = sheets(generate(spec), spec, ("md",)).text("md", True)
    assert "from a fresh start" in key and ("m̂ = m/(1 − β₁ᵗ)" in key if optimizer == "adam" else "s ← α·s" in key)


def test_only_the_asked_parts_are_answered_and_named_in_the_lectures_notation():
    spec = ExerciseSpec(count=1, seed=0, ask=("loss", "updates"))
    answers = generate(spec)[0].answers
    assert list(answers)[:1] == ["L"]
    assert set(answers) == {"L"} | {f"{name}_new" for name in
                                    ("w211", "w221", "b21", "w111", "w121", "b11", "w112", "w122", "b12")}


def test_a_set_is_reproducible_from_its_seed_and_its_problems_all_differ():
    spec = ExerciseSpec(count=30, seed=11)
    first, again = generate(spec), generate(spec)
    assert exercises_json(first, spec) == exercises_json(again, spec)
    keys = {tuple(p.session.network.flat_parameters()) + tuple(p.session.dataset.rows.ravel()) for p in first}
    assert len(keys) == 30
    other = generate(ExerciseSpec(count=30, seed=12))
    assert exercises_json(other, spec) != exercises_json(first, spec)
    # A shorter set of the same seed is the start of the longer one.
    assert [p.answers for p in generate(ExerciseSpec(count=5, seed=11))] == [p.answers for p in first[:5]]


def test_numbers_are_round_enough_to_work_by_hand():
    for problem in generate(ExerciseSpec(count=20, seed=5)):
        for value in problem.session.network.flat_parameters():
            assert abs(value) <= 1 and round(value * 10) == pytest.approx(value * 10)
        assert all(value == int(value) and abs(value) <= 5 for value in problem.session.dataset.rows.ravel())


def test_a_set_too_small_to_hold_different_problems_says_so(monkeypatch):
    # With one weight, one bias and one input, a 1-1 network with a yes/no target has two problems.
    monkeypatch.setattr(exercises, "WEIGHTS", (0.5,))
    monkeypatch.setattr(exercises, "BIASES", (0.0,))
    monkeypatch.setattr(exercises, "INPUTS", (1.0,))
    assert len(generate(ExerciseSpec(count=2, seed=0, shape=(1, 1), loss="bce"))) == 2
    with pytest.raises(ConfigError, match="1-1 has too few different problems for a set of 3"):
        generate(ExerciseSpec(count=3, seed=0, shape=(1, 1), loss="bce"))


def test_the_json_holds_sessions_open_reads_and_every_answer_at_full_precision(tmp_path):
    spec = ExerciseSpec(count=3, seed=2, activation="sigmoid", loss="bce")
    problems = generate(spec)
    written = write_sheets(problems, spec, tmp_path)
    assert {path.name for path in written} >= {"exercises.html", "answers.html", "exercises.md", "answers.md",
                                               "exercises.tex", "answers.tex", "exercises.json", "problem-01.json"}
    data = json.loads((tmp_path / "exercises.json").read_text(encoding="utf-8"))
    assert data["settings"]["seed"] == 2 and len(data["problems"]) == 3
    for problem, stored in zip(problems, data["problems"]):
        session = from_dict(stored["session"])
        assert np.array_equal(session.network.flat_parameters(), problem.session.network.flat_parameters())
        assert stored["answers"] == problem.answers     # floats survive JSON exactly
        assert {"z11", "o11", "y_hat", "L", "dL/dw111", "w111_new"} <= set(stored["answers"])
    opened = load(tmp_path / "sessions" / "problem-02.json")
    assert opened.dataset.rows.tolist() == problems[1].session.dataset.rows.tolist()


def test_the_sheets_show_the_problem_and_only_the_key_shows_answers():
    spec = ExerciseSpec(count=2, seed=4, digits=4)
    problems = generate(spec)
    written = sheets(problems, spec)
    sheet, key = written.text("md", False), written.text("md", True)
    loss = f"{problems[0].answers['L']:.4g}".replace("-", "−")
    assert "## Problem 2" in sheet and "## Problem 2" in key
    assert loss in key and "L = ____________" in sheet
    assert "Worked solution" in key and "Worked solution" not in sheet
    assert "∂L/∂w₁₁₁ = ∂L/∂ŷ · ∂ŷ/∂z₂₁ · ∂z₂₁/∂o₁₁ · ∂o₁₁/∂z₁₁ · ∂z₁₁/∂w₁₁₁" in key


def test_html_is_self_contained_and_printable():
    spec = ExerciseSpec(count=2, seed=4)
    page = sheets(generate(spec), spec).text("html", True)
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "@media print" in page
    assert "src=" not in page and "href=" not in page and "w<sub>111</sub>" in page


def test_latex_uses_only_the_article_class_and_amsmath_and_plain_ascii():
    for (shape, activation, loss), optimizer in zip(CASES, ["adam", "rmsprop"] + ["sgd"] * len(CASES)):
        spec = ExerciseSpec(count=2, seed=1, shape=shape, activation=activation, loss=loss, optimizer=optimizer)
        for key in (False, True):
            text = sheets(generate(spec), spec, ("tex",)).text("tex", key)
            assert text.isascii()
            assert [line for line in text.splitlines() if line.startswith(r"\usepackage")] == [r"\usepackage{amsmath}"]
    assert to_tex("∂L/∂w111 = (−5.36)·1 & 50%") == r"$\partial $L/$\partial w_{111}$ = ($-$5.36)$\cdot $1 \& 50\%"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (no TeX distribution)")
def test_latex_compiles_with_pdflatex(tmp_path):
    spec = ExerciseSpec(count=2, seed=1, shape=(2, 3, 3), activation="sigmoid", loss="cross_entropy", optimizer="adam")
    write_sheets(generate(spec), spec, tmp_path, ("tex",))
    for name in ("exercises.tex", "answers.tex"):
        result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout[-2000:]
        assert (tmp_path / name).with_suffix(".pdf").stat().st_size > 0


# -- the command line ---------------------------------------------------------------------------------
def test_the_command_writes_the_chosen_formats(tmp_path, capsys):
    code = main(["exercises", "--count", "2", "--seed", "9", "--shape", "2-1", "--ask", "forward,loss",
                 "--format", "md,json", "--out", str(tmp_path / "set")])
    out = capsys.readouterr().out
    assert code == 0 and "Wrote 2 problems" in out
    assert sorted(path.name for path in (tmp_path / "set").iterdir()) == [
        "answers.md", "exercises.json", "exercises.md", "sessions"]
    answers = json.loads((tmp_path / "set" / "exercises.json").read_text(encoding="utf-8"))["problems"][0]["answers"]
    assert list(answers) == ["z11", "y_hat", "L"]


@pytest.mark.parametrize("arguments, message", [
    (["--count", "0"], "count must be a whole number"),
    (["--count", "201"], "count must be a whole number from 1 to 200"),
    (["--seed", "-1"], "seed must be a whole number"),
    (["--shape", "2x2"], "shape must be layer sizes joined by '-'"),
    (["--shape", "5-2-1"], "every layer needs from 1 to 4 neurons"),
    (["--shape", "2-2-2-2-1"], "at most 2 hidden layers"),
    (["--activation", "softmax"], "activation 'softmax' cannot be a hidden layer's"),
    (["--loss", "hinge"], "unknown loss 'hinge'"),
    (["--loss", "cross_entropy"], "cross-entropy needs at least two outputs"),
    (["--optimizer", "nesterov"], "unknown optimizer 'nesterov'"),
    (["--ask", "forward,proofs"], "ask must name one or more of forward, loss, gradients, updates"),
    (["--digits", "0"], "digits must be a whole number"),
    (["--format", "pdf"], "format must name one or more of html, md, tex, json"),
    (["--lr", "0"], "learning rate must be a finite number greater than 0"),
])
def test_every_flag_is_checked_with_a_clear_message(tmp_path, capsys, arguments, message):
    code = main(["exercises", "--out", str(tmp_path / "set"), *arguments])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert not (tmp_path / "set").exists()


def test_an_output_path_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "taken").write_text("x")
    assert main(["exercises", "--out", str(tmp_path / "taken")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "taken").read_text() == "x"


def test_the_sample_set_in_the_docs_is_what_the_command_writes(tmp_path, capsys):
    """docs/samples/ is `exercises --count 2 --seed 7 --format md,html`, as the user guide says."""
    samples = Path(__file__).resolve().parent.parent / "docs" / "samples"
    assert main(["exercises", "--count", "2", "--seed", "7", "--format", "md,html", "--out", str(tmp_path)]) == 0
    for name in ("exercises.md", "answers.md", "exercises.html", "answers.html"):
        assert (samples / name).read_text(encoding="utf-8") == (tmp_path / name).read_text(encoding="utf-8"), name
