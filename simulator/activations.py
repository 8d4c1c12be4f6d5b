"""Activation functions with their derivatives, written as the lectures write them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import ConfigError


def _linear(z: np.ndarray) -> np.ndarray:
    return z.copy()


def _linear_grad(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic: never evaluates exp of a large positive number."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_grad(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return a * (1.0 - a)


def _tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def _tanh_grad(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return 1.0 - a * a


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _relu_grad(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    # The derivative at exactly 0 is taken as 0, as PyTorch and TensorFlow do.
    return (z > 0).astype(float)


@dataclass(frozen=True)
class Activation:
    """An activation f with f'(z) given from z and a = f(z); `derivative_formula` is in terms of o and z."""

    name: str
    function: Callable[[np.ndarray], np.ndarray]
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray]
    formula: str
    derivative_formula: str

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation("linear", _linear, _linear_grad, "o = z", "1"),
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_grad, "o = 1/(1 + e^(−z))", "o(1 − o)"),
    "tanh": Activation("tanh", _tanh, _tanh_grad, "o = tanh(z)", "1 − o²"),
    "relu": Activation("relu", _relu, _relu_grad, "o = max(0, z)", "1 if z > 0 else 0"),
}


def get_activation(name: str) -> Activation:
    """Look an activation up by name, with a message listing the known ones."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(ACTIVATIONS)
        raise ConfigError(f"unknown activation {name!r}; choose one of: {known}") from None
