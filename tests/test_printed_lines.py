"""Every printed line can be redone by hand: the numbers a formula prints, evaluated as printed, give
the result it prints, to the digits shown — where sigmoids and tanh saturate, binary cross-entropy
clips and softmax comes near 1 — and messages write numbers as formulas do."""

from __future__ import annotations

import ast
import html
import json
import math
import operator
import re
from pathlib import Path

import numpy as np
import pytest

from simulator.analysis import GradientCheck
from simulator.cli import main
from simulator.examples import load_example
from simulator.path_text import chain_path_lines
from simulator.stepper import Stepper
from simulator.worked import worked_markdown
from ui.learn.gradient_check_dialog import AGREEMENT, verdict

from helpers import random_training

ROOT = Path(__file__).resolve().parents[1]
DIGITS = 6


# -- an evaluator of the printed arithmetic, written apart from the engine's --------------------------
def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


FUNCTIONS = {"log": math.log, "exp": math.exp, "tanh": math.tanh, "sig": _sigmoid, "max": max}
OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
             ast.Pow: operator.pow}


class NotNumbers(Exception):
    """A part of a line that is not arithmetic on numbers alone (a symbolic formula, words)."""


def python_text(printed: str) -> str:
    text = printed.replace("½·", "0.5*").replace("½", "0.5*").replace("−", "-").replace("·", "*")
    text = text.replace("²", "**2").replace("[", "(").replace("]", ")").replace("σ(", "sig(")
    return re.sub(r"(?<=[0-9.)])\(", "*(", text)     # 0.95(1 − 0.95), −2(4 − 0.3), …)(…


def evaluate(printed: str) -> float:
    """Printed arithmetic as a float; NotNumbers for anything but numbers, + − · / ², brackets and
    log, exp, tanh, σ, max. The text is walked, never executed."""
    try:
        tree = ast.parse(python_text(printed), mode="eval")
    except SyntaxError:
        raise NotNumbers(printed) from None

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            if isinstance(node.op, ast.Pow) and not (isinstance(node.right, ast.Constant) and node.right.value == 2):
                raise NotNumbers(printed)
            return OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            return FUNCTIONS[node.func.id](*(value(argument) for argument in node.args))
        raise NotNumbers(printed)

    return value(tree.body)


def test_the_evaluator_reads_the_notation():
    assert evaluate("0.5(1 − 0.5)") == 0.25
    assert evaluate("−2(4 − 0.32)") == pytest.approx(-7.36)
    assert evaluate("(−7.36)·1·0.1·1·8") == pytest.approx(-5.888)
    assert evaluate("½·[(1 − 2)² + (3 − 1)²]") == 2.5
    assert evaluate("1 − 0.5²") == 0.75
    assert evaluate("−[1·log(1) + 0·log(0.5)]") == 0
    assert evaluate("σ(0)") == 0.5 and evaluate("max(0, −1.9)") == 0
    for words in ("w111·x1", "ŷ(1 − ŷ)", "(…)/12", "__import__('os')", "(1).real", "2**3"):
        with pytest.raises(NotNumbers):
            evaluate(words)


# -- the check of a line ---------------------------------------------------------------------------
def rounded(value: float, digits: int = DIGITS) -> float:
    return float(f"{value:.{digits - 1}e}")


#: What a part of numbers alone may contain besides digits and operators: functions, exponents.
NUMBER_WORDS = re.compile(r"log|exp|tanh|max|σ|(?<=\d)e(?=[−+]?\d)")
SYMBOLIC = re.compile(r"[^\d\s.,·/²½()\[\]+−]")


def check_line(line: str) -> int:
    """Assert every all-number part of `line` gives its printed result; the number of parts checked."""
    parts = line.strip().split(" = ")
    if len(parts) < 3:
        return 0
    result_text = parts[-1].split(" (")[0].split("    ")[0]   # a note or a running product may follow
    try:
        result = float(result_text.replace("−", "-"))
    except ValueError:
        return 0
    checked = 0
    for part in parts[1:-1]:
        if SYMBOLIC.search(NUMBER_WORDS.sub("", part)):
            continue    # `ŷ(1 − ŷ)`, `w111·x1`: names, not numbers
        try:
            value = evaluate(part)
        except (ValueError, ZeroDivisionError, OverflowError):   # log(0), 1/0: as printed it is undefined
            value = math.nan
        assert rounded(value) == rounded(result), f"{part} gives {value!r}, not {result_text}, in: {line}"
        checked += 1
    return checked


# -- sessions where the numbers cancel -----------------------------------------------------------------
def _session(tmp_path: Path, name: str, hidden: str, output: str, loss: str, weights: list[list[list[float]]],
             example: str = "classification", targets: list[float] | None = None) -> Path:
    data = json.loads((ROOT / "resources" / "examples" / f"{example}.json").read_text(encoding="utf-8"))
    layers = data["network"]["layers"]
    layers[0]["activation"], layers[1]["activation"] = hidden, output
    for layer, values in zip(layers, weights):
        layer["weights"] = values
    data["loss"] = loss
    if targets is not None:
        for row, target in zip(data["dataset"]["rows"], targets):
            row[-1] = target
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


SESSIONS = {
    # o11 = σ(24) = 1 − 3.8e−11: `o11(1 − o11)` needs the digits of o11 that 1 − o11 keeps
    "saturated sigmoid, bce": ("sigmoid", "sigmoid", "bce", [[[1.5, 1.5], [1.5, 1.5]], [[1.5], [1.5]]]),
    "saturated sigmoid, mse": ("sigmoid", "sigmoid", "mse", [[[1.4, -1.4], [1.4, -1.4]], [[2.9], [-0.1]]]),
    # o11 near 1, o12 near −1, ŷ = tanh(2.4): `1 − ŷ²` and `−2(1 − ŷ)` cancel
    "tanh near ±1": ("tanh", "tanh", "mse", [[[1.2, -1.2], [0.9, -0.9]], [[1.2], [-1.2]]]),
    # ŷ = σ(±20): the loss uses ŷ clipped to 1 − 1e−7 or to 1e−7
    "clipped bce, high": ("sigmoid", "sigmoid", "bce", [[[10.0, 10.0], [10.0, 10.0]], [[10.0], [10.0]]]),
    "clipped bce, low": ("sigmoid", "sigmoid", "bce", [[[10.0, 10.0], [10.0, 10.0]], [[-10.0], [-10.0]]]),
}


def _softmax_session(tmp_path: Path, loss: str) -> Path:
    """Three classes with one ŷ within 1e−6 of 1: `ŷ(1 − ŷ)` and the Jacobian's terms cancel."""
    weights = [[[2.0, -2.0, 1.0], [2.0, -2.0, 1.0]], [[12.0, -9.0, 1.5], [-9.0, 12.0, 1.5], [6.0, 3.0, -6.0]]]
    return _session(tmp_path, f"softmax-{loss}", "tanh", "softmax", loss, weights, example="three-classes")


def _paths(tmp_path: Path) -> list[Path]:
    paths = [_session(tmp_path, re.sub(r"\W+", "-", name), *spec) for name, spec in SESSIONS.items()]
    return paths + [_softmax_session(tmp_path, "cross_entropy"), _softmax_session(tmp_path, "mse")]


def _trace(capsys, *argv: str) -> str:
    assert main(["trace", *argv]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("sample", [1, 3])
def test_every_line_of_trace_gives_its_printed_result(capsys, tmp_path, sample):
    cancelling = 0
    for path in _paths(tmp_path):
        out = _trace(capsys, "--session", str(path), "--sample", str(sample))
        assert sum(check_line(line) for line in out.splitlines()) > 25
        cancelling += len(re.findall(r"1 − 0\.9999", out))
        assert "log(1 − 1)" not in out and "log(0)" not in out
    assert cancelling > 0   # the sessions do reach the lines that cancel


def test_the_clipped_loss_is_written_with_the_clipped_value(capsys, tmp_path):
    high = _trace(capsys, "--session", str(_session(tmp_path, "high", *SESSIONS["clipped bce, high"])))
    assert "= −1·log(0.9999999) − (1 − 1)·log(1 − 0.9999999) = 1e−07" in high
    assert "(ŷ = 1 is clipped to 1 − 1e−07 = 0.9999999 before the logarithm)" in high
    low = _trace(capsys, "--session", str(_session(tmp_path, "low", *SESSIONS["clipped bce, low"])))
    assert "= −1·log(1e−07) − (1 − 1)·log(1 − 1e−07) = 16.1181" in low


def test_the_json_html_and_markdown_lines_give_their_results_too(capsys, tmp_path):
    path = _paths(tmp_path)[2]   # tanh near ±1
    records = json.loads(_trace(capsys, "--session", str(path), "--json"))
    assert sum(check_line(line) for record in records for line in record["text"]) > 30
    page, notes = tmp_path / "step.html", tmp_path / "step.md"
    _trace(capsys, "--session", str(path), "--html", str(page), "--markdown", str(notes))
    paragraphs = re.findall(r"<p[^>]*>(.*?)</p>", page.read_text(encoding="utf-8"))
    assert sum(check_line(html.unescape(re.sub(r"<[^>]+>", "", text))) for text in paragraphs) > 30
    items = [line.removeprefix("- ").strip("*").replace("\\", "") for line in notes.read_text(encoding="utf-8")
             .splitlines() if line.startswith("- ")]
    assert sum(check_line(line) for line in items) > 30


def test_a_line_that_does_not_cancel_keeps_its_digits(capsys):
    out = _trace(capsys, "--example", "regression")
    assert "    z11 = w111·x1 + w121·x2 + b11 = 0.1·8 + 0.1·8 + 0 = 1.6" in out
    assert "    L = (y − ŷ)² = (4 − 0.32)² = 13.5424" in out
    assert "    w111 ← w111 − η·∂L/∂w111 = 0.1 − 0.001·(−5.888) = 0.105888" in out


# -- messages --------------------------------------------------------------------------------------
def test_a_convergence_message_tells_the_change_from_the_tolerance():
    session = load_example("regression")
    session.training = session.training.with_changes(epochs=8)
    free = session.make_training()
    free.run()
    change = abs(free.history[-1] - free.history[-2])
    tolerance = change * (1 + 3e-8)      # above the change in the eighth significant digit
    session = load_example("regression")
    session.training = session.training.with_changes(epochs=100, tolerance=tolerance, convergence="loss")
    training = session.make_training()
    assert training.run() == "converged" and training.epoch == 8
    shown, limit = re.search(r"changed by (\S+), below the tolerance (\S+)\.$", training.message).groups()
    # Was "changed by 0.0089, below the tolerance 0.0089.": read as written, not below at all.
    assert float(shown.replace("−", "-")) < float(limit.replace("−", "-"))


def test_divergence_names_the_first_parameter_in_the_order_of_the_updates_with_a_typographic_minus():
    session = load_example("regression")
    session.dataset.rows[:, -1] = -4.0                  # ŷ above the target: the steps are negative
    session.training = session.training.with_changes(learning_rate=1e308)
    training = session.make_training()
    assert training.run() == "diverged"
    # w211, b21 and w111 all overflow; the updates list w211 first (last layer first, docs/notation.md).
    assert "sample 1 (row 1): w211 would become −inf." in training.message
    assert "-" not in training.message.replace("step-", "")
    assert np.isfinite(training.network.flat_parameters()).all()


@pytest.mark.parametrize("numeric", [1.0 - 9.96e-7, 1.0 + 1.0004e-6])
def test_the_gradient_check_verdict_tells_the_largest_difference_from_the_threshold(numeric):
    check = GradientCheck("w111", 1.0, numeric)
    text, agree = verdict([check])
    assert agree == (check.relative_difference < AGREEMENT)
    threshold, largest = (float(number.replace("−", "-")) for number in re.findall(r"\d[\d.]*e−\d+", text))
    # Was "below 1e−06 (largest 1e−06)": as written, the largest was not below the threshold.
    assert (largest < threshold) == agree


def test_the_sum_over_paths_and_each_path_give_their_printed_results():
    """A 2-3-3-1 network of saturating tanh units: term by term, the δ lines and every path's product."""
    training = random_training(5, [2, 3, 3, 1], ["tanh", "tanh", "sigmoid"], "bce", rows=4)
    for layer in training.network.layers:
        layer.weights *= 6.0
    records = Stepper(training).step("sample")
    lines = [line for record in records for line in chain_path_lines(record, DIGITS, deltas=True)]
    assert any(line.startswith("path 3, ") for line in lines) and any(" = sum over the 3 paths = " in line for line in lines)
    page = worked_markdown(records, "2-3-3-1", [], DIGITS)
    lines += [line.removeprefix("- ").strip("*").replace("\\", "") for line in page.splitlines() if line.startswith("- ")]
    # Was "−2.51005e−05 + 1.85215e−13 + 2.97809e−05 = 4.68035e−06": as printed, they add up to 4.6804e−06.
    assert sum(check_line(line) for line in lines) > 200
