"""`train` prints the metrics per epoch, and `--json` gives them for the training and held-out rows."""

from __future__ import annotations

import json
import math

import numpy as np

from simulator.cli import main
from simulator.examples import load_example
from simulator.metrics import held_out_rows


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_train_prints_the_accuracy_of_every_epoch_and_the_confusion_matrix(capsys):
    code, out, err = run(capsys, "train", "--example", "classification", "--epochs", "2")
    assert code == 0 and err == ""
    assert "  epoch  mean loss  accuracy" in out
    assert "  1      0.693912   0.5" in out
    # ŷ ≈ 0.5 just above for every row: every row predicted class 1, two of them rightly
    assert "The 4 training rows: loss 0.693882, accuracy 0.5, confusion matrix (row: true class, " \
           "column: predicted) [[0, 2], [0, 2]]" in out
    assert "Baseline loss (always predicting the training rows' class frequencies): 0.693147" in out


def test_train_json_has_the_metrics_of_the_training_and_held_out_rows(capsys):
    code, out, err = run(capsys, "train", "--example", "regression", "--epochs", "4", "--json",
                         "--validation", "0.5", "--validation-seed", "2")
    assert code == 0 and err == ""
    summary = json.loads(out)
    metrics = summary["metrics"]
    held_out = held_out_rows(4, 0.5, 2)
    assert metrics["held_out"]["rows_held_out"] == (held_out + 1).tolist()
    # an independent computation with the trained parameters of the JSON itself
    session = load_example("regression")
    layers = summary["layers"]
    X, Y = session.dataset.X, session.dataset.Y
    hidden = X @ np.array(layers[0]["weights"]) + np.array(layers[0]["biases"])
    y_hat = hidden @ np.array(layers[1]["weights"]) + np.array(layers[1]["biases"])
    for name, rows in (("training", np.setdiff1d(np.arange(4), held_out)), ("held_out", held_out)):
        residual = (Y[rows] - y_hat[rows]).ravel()
        assert metrics[name]["rows"] == len(rows)
        assert math.isclose(metrics[name]["rmse"], math.sqrt(np.mean(residual ** 2)), rel_tol=1e-12)
        assert math.isclose(metrics[name]["mae"], np.mean(np.abs(residual)), rel_tol=1e-12)
        total = np.sum((Y[rows] - Y[rows].mean()) ** 2)
        assert math.isclose(metrics[name]["r2"], 1 - np.sum(residual ** 2) / total, rel_tol=1e-12)
        assert "accuracy" not in metrics[name]
    assert len(metrics["per_epoch"]["held_out_loss"]) == 4 == len(summary["loss_per_epoch"])
    assert metrics["per_epoch"]["held_out_loss"][-1] == metrics["held_out"]["loss"]


def test_train_json_without_a_split_has_only_the_training_rows(capsys):
    code, out, _err = run(capsys, "train", "--example", "xor", "--epochs", "1", "--json")
    metrics = json.loads(out)["metrics"]
    assert code == 0 and "held_out" not in metrics and metrics["task"] == "binary"
    assert set(metrics["training"]) == {"loss", "rows", "accuracy", "confusion_matrix"}
    assert sum(map(sum, metrics["training"]["confusion_matrix"])) == 4


def test_a_bad_validation_fraction_is_refused_naming_it(capsys):
    for value in ("1", "-0.2", "abc", "nan"):
        code, out, err = run(capsys, "train", "--example", "xor", "--validation", value)
        assert code == 2 and out == "" and "validation fraction" in err, (value, err)
    code, out, err = run(capsys, "train", "--example", "xor", "--validation-seed", "-1")
    assert code == 2 and "validation seed" in err
