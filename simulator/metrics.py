"""Whether the model is right: metrics of predictions, the held-out split, and the loss baseline.

Classification is told from the loss and the output activation (`task_of`): a softmax output (or the
categorical cross-entropy) is one class per row, the arg max of ŷ against the arg max of the one-hot
targets; binary cross-entropy thresholds each output at 0.5. Any other loss is regression.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .losses import Loss

#: ŷ at or above it is class 1 for a binary (sigmoid, binary cross-entropy) output.
THRESHOLD = 0.5
TASKS = ("regression", "binary", "multiclass")


def task_of(loss: Loss, output_activation: str) -> str:
    """`multiclass` for a softmax output or cross_entropy, `binary` for a loss on probabilities, else `regression`."""
    if output_activation == "softmax" or loss.name == "cross_entropy":
        return "multiclass"
    if loss.needs_probabilities:
        return "binary"
    return "regression"


@dataclass(frozen=True, slots=True)
class Metrics:
    """The metrics of `rows` predictions. Classification: `accuracy` (0 to 1) and `confusion`
    `(classes, classes)`, row = true class, column = predicted class (binary: 0 then 1, counted over
    every output). Regression: `rmse`, `mae` over every output and `r2` (1 − SSE/SST over every output
    column; NaN when the targets do not vary). The others are None."""

    task: str
    rows: int
    accuracy: float | None = None
    confusion: np.ndarray | None = None
    rmse: float | None = None
    mae: float | None = None
    r2: float | None = None

    def __repr__(self) -> str:
        if self.task == "regression":
            return f"Metrics(regression, {self.rows} rows, rmse={self.rmse:.6g}, mae={self.mae:.6g}, r2={self.r2:.6g})"
        return f"Metrics({self.task}, {self.rows} rows, accuracy={self.accuracy:.6g})"

    @property
    def headline(self) -> float:
        """The one number plotted per epoch: accuracy for classification, R² for regression."""
        return self.accuracy if self.task != "regression" else self.r2

    def to_dict(self) -> dict:
        """JSON-ready: `accuracy` and `confusion_matrix`, or `rmse`, `mae` and `r2` (null when undefined)."""
        if self.task == "regression":
            return {"rows": self.rows, "rmse": _plain(self.rmse), "mae": _plain(self.mae), "r2": _plain(self.r2)}
        return {"rows": self.rows, "accuracy": _plain(self.accuracy),
                "confusion_matrix": self.confusion.astype(int).tolist()}


def _plain(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def predicted_classes(task: str, y_hat: np.ndarray) -> np.ndarray:
    """The class each prediction `y_hat: (n, m)` stands for: multiclass `(n,)` arg max, binary `(n, m)` 0 or 1."""
    if task == "multiclass":
        return np.argmax(y_hat, axis=1)
    return (y_hat >= THRESHOLD).astype(int)


def true_classes(task: str, y: np.ndarray) -> np.ndarray:
    """The class of each target row, as `predicted_classes` gives it for ŷ."""
    return predicted_classes(task, y)


def compute_metrics(task: str, y: np.ndarray, y_hat: np.ndarray) -> Metrics:
    """The metrics of predictions `y_hat: (n, m)` against targets `y: (n, m)`, n ≥ 1."""
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    rows = y.shape[0]
    if task == "regression":
        residual = y - y_hat
        with np.errstate(over="ignore", invalid="ignore"):
            sse = float(np.sum(residual ** 2))
            sst = float(np.sum((y - y.mean(axis=0)) ** 2))
            r2 = 1.0 - sse / sst if sst > 0 else math.nan
            return Metrics(task, rows, rmse=math.sqrt(sse / y.size), mae=float(np.mean(np.abs(residual))), r2=r2)
    classes = y.shape[1] if task == "multiclass" else 2
    truth = true_classes(task, y).ravel()
    predicted = predicted_classes(task, y_hat).ravel()
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    return Metrics(task, rows, accuracy=float(np.mean(truth == predicted)), confusion=confusion)


def baseline_loss(loss: Loss, y: np.ndarray) -> float:
    """The mean loss over targets `y: (n, m)` of always predicting their column means: the mean for
    regression, the class frequencies for classification. A model worth having does better."""
    y = np.asarray(y, dtype=float)
    constant = np.broadcast_to(y.mean(axis=0), y.shape)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return float(np.mean(loss.value(y, constant)))


def held_out_rows(n_rows: int, fraction: float, seed: int) -> np.ndarray:
    """The rows kept out of training, in increasing order: the first ⌈fraction·n⌉ of the seeded
    permutation `default_rng(seed).permutation(n)`, at most n − 1 (one row is always trained on)."""
    if fraction <= 0 or n_rows < 2:
        return np.empty(0, dtype=np.intp)
    # Rounded first: 0.3 · 10 is 3.0000000000000004 in floating point, which is 3 rows, not 4.
    count = min(math.ceil(round(fraction * n_rows, 9)), n_rows - 1)
    return np.sort(np.random.default_rng(seed).permutation(n_rows)[:count])
