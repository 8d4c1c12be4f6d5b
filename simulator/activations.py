"""Activation functions with their derivatives, written as the lectures write them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import ConfigError


# Each activation and its derivative is written once, into given arrays (so that the fast path can
# reuse its buffers); the allocating forms below call the same functions, so every path gives the
# same bits. `scratch` and `mask` are arrays like z (float, bool) that only the sigmoid uses.
def _linear_into(z: np.ndarray, out: np.ndarray, scratch, mask) -> None:
    np.copyto(out, z)


def _linear_grad_into(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    out.fill(1.0)


def _sigmoid_into(z: np.ndarray, out: np.ndarray, scratch: np.ndarray, mask: np.ndarray) -> None:
    """Numerically stable logistic: e = exp(−|z|); o = 1/(1 + e) where z ≥ 0, else e/(1 + e)."""
    np.abs(z, out=scratch)
    np.negative(scratch, out=scratch)
    np.exp(scratch, out=scratch)
    np.divide(scratch, np.add(1.0, scratch, out=out), out=out)          # e/(1 + e) everywhere
    np.greater_equal(z, 0, out=mask)
    np.divide(1.0, np.add(1.0, scratch, out=scratch), out=scratch)
    np.copyto(out, scratch, where=mask)


def _sigmoid_grad_into(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    np.subtract(1.0, a, out=out)
    np.multiply(a, out, out=out)                                        # a(1 − a)


def _tanh_into(z: np.ndarray, out: np.ndarray, scratch, mask) -> None:
    np.tanh(z, out=out)


def _tanh_grad_into(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)                                      # 1 − a²


def _relu_into(z: np.ndarray, out: np.ndarray, scratch, mask) -> None:
    np.maximum(z, 0.0, out=out)


def _relu_grad_into(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    # The derivative at exactly 0 is taken as 0, as PyTorch and TensorFlow do.
    np.greater(z, 0, out=out)   # True/False written as 1.0/0.0


@dataclass(frozen=True)
class Activation:
    """An activation f with f'(z) given from z and a = f(z); `derivative_formula` is in terms of o and z."""

    name: str
    #: f(z) written into `out`: `function_into(z, out, scratch, mask)` (scratch and mask: see `needs_scratch`).
    function_into: Callable[[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None], None]
    #: f'(z) written into `out`: `gradient_into(z, a, out)`.
    gradient_into: Callable[[np.ndarray, np.ndarray, np.ndarray], None]
    formula: str
    derivative_formula: str
    #: Whether `function_into` needs a float scratch array and a bool mask shaped like z.
    needs_scratch: bool = False

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"

    def function(self, z: np.ndarray) -> np.ndarray:
        """f(z) in a new array."""
        z = np.asarray(z, dtype=float)
        out = np.empty_like(z)
        scratch, mask = (np.empty_like(z), np.empty(z.shape, dtype=bool)) if self.needs_scratch else (None, None)
        self.function_into(z, out, scratch, mask)
        return out

    def gradient(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """f'(z), given z and a = f(z), in a new array."""
        out = np.empty(np.shape(z))
        self.gradient_into(np.asarray(z, dtype=float), np.asarray(a, dtype=float), out)
        return out


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation("linear", _linear_into, _linear_grad_into, "o = z", "1"),
    "sigmoid": Activation("sigmoid", _sigmoid_into, _sigmoid_grad_into, "o = 1/(1 + e^(−z))", "o(1 − o)",
                          needs_scratch=True),
    "tanh": Activation("tanh", _tanh_into, _tanh_grad_into, "o = tanh(z)", "1 − o²"),
    "relu": Activation("relu", _relu_into, _relu_grad_into, "o = max(0, z)", "1 if z > 0 else 0"),
}


def get_activation(name: str) -> Activation:
    """Look an activation up by name, with a message listing the known ones."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(ACTIVATIONS)
        raise ConfigError(f"unknown activation {name!r}; choose one of: {known}") from None
