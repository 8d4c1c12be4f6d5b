"""Loss functions of one sample, averaged over outputs, and their derivatives with respect to ŷ."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import ConfigError

#: ŷ is clipped to [BCE_EPSILON, 1 − BCE_EPSILON] inside binary cross-entropy, as Keras does.
BCE_EPSILON = 1e-7


def _mse(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    return np.mean((y - y_hat) ** 2, axis=-1)


def _mse_grad(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    return -2.0 * (y - y_hat) / y.shape[-1]


def _half_sse(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    return 0.5 * np.sum((y - y_hat) ** 2, axis=-1)


def _half_sse_grad(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    return -(y - y_hat)


def _bce(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    p = np.clip(y_hat, BCE_EPSILON, 1.0 - BCE_EPSILON)
    return np.mean(-(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)), axis=-1)


def _bce_grad(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    # The exact derivative of the clipped loss: where the clip is active the loss is flat in ŷ.
    inside = (y_hat > BCE_EPSILON) & (y_hat < 1.0 - BCE_EPSILON)
    p = np.clip(y_hat, BCE_EPSILON, 1.0 - BCE_EPSILON)
    grad = (-(y / p) + (1.0 - y) / (1.0 - p)) / y.shape[-1]
    return np.where(inside, grad, 0.0)


@dataclass(frozen=True)
class Loss:
    """A loss L(y, ŷ) over the last axis (outputs) and ∂L/∂ŷ; formulas are for display."""

    name: str
    title: str
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray]
    formula: str
    derivative_formula: str
    needs_probabilities: bool = False

    def __repr__(self) -> str:
        return f"Loss({self.name!r})"


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", "mean squared error", _mse, _mse_grad,
                "L = (y − ŷ)²", "−2(y − ŷ)"),
    "bce": Loss("bce", "binary cross-entropy", _bce, _bce_grad,
                "L = −y·log(ŷ) − (1 − y)·log(1 − ŷ)", "−y/ŷ + (1 − y)/(1 − ŷ)",
                needs_probabilities=True),
    "half_sse": Loss("half_sse", "half sum of squared errors", _half_sse, _half_sse_grad,
                     "L = ½(y − ŷ)²", "−(y − ŷ)"),
}


def get_loss(name: str) -> Loss:
    """Look a loss up by name, with a message listing the known ones."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        known = ", ".join(LOSSES)
        raise ConfigError(f"unknown loss {name!r}; choose one of: {known}") from None


def loss_formula(loss: Loss, n_outputs: int) -> str:
    """The loss formula as shown for a network with `n_outputs` outputs."""
    if n_outputs == 1:
        return loss.formula
    if loss.name == "mse":
        return f"L = (1/{n_outputs})·Σₖ (yₖ − ŷₖ)²"
    if loss.name == "half_sse":
        return "L = ½·Σₖ (yₖ − ŷₖ)²"
    return f"L = (1/{n_outputs})·Σₖ [−yₖ·log(ŷₖ) − (1 − yₖ)·log(1 − ŷₖ)]"
