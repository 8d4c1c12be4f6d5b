"""Loss functions of one sample, each defined once: numpy value and derivative, formulas, kernel
lines and PyTorch twin.

A loss is averaged over the outputs (the half sum of squares sums them). Every part of the engine
asks the `Loss` object; adding one is one `register_loss` call (docs/engine.md, "How to add an
activation or a loss").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

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


def _cross_entropy(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    # −Σk yk·log(ŷk), summed over the outputs; a term with yk = 0 is 0 even where ŷk is 0.
    logs = np.log(y_hat, out=np.zeros(np.broadcast_shapes(y.shape, np.shape(y_hat))), where=y != 0)
    return -np.sum(y * logs, axis=-1)


def _cross_entropy_grad(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    # −yk/ŷk; 0 where yk = 0 (even where ŷk is 0).
    return -np.divide(y, y_hat, out=np.zeros(np.broadcast_shapes(y.shape, np.shape(y_hat))), where=y != 0)


def _cross_entropy_of_z(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    # ∂L/∂z through softmax: ŷk·Σj yj − yk = ŷk − yk for targets that sum to 1 (one-hot).
    return y_hat - y


def _cross_entropy_torch(torch):
    def losses(y_hat, y):
        return -(torch.where(y != 0, y * torch.log(y_hat), torch.zeros_like(y_hat))).sum(dim=1)
    return losses


# The generated kernel's lines of each loss: they set `L` and `d{k}` (∂L/∂ŷ_k) from the targets
# `y{k}` and the predictions, with the numpy functions' arithmetic in the same order (same bits).
def _squares_kernel(m: int, y_hat: list[str], mean: bool) -> list[str]:
    lines = [f"r{k} = y{k} - {y_hat[k]}" for k in range(m)]
    squares = " + ".join(f"r{k} * r{k}" for k in range(m))
    lines.append(f"L = ({squares}) / {m}.0" if mean else f"L = 0.5 * ({squares})")
    lines += [f"d{k} = -2.0 * r{k} / {m}.0" if mean else f"d{k} = -r{k}" for k in range(m)]
    return lines


def _bce_kernel(m: int, y_hat: list[str]) -> list[str]:
    lines, terms = [], []
    for k in range(m):
        lines.append(f"c{k} = min(max({y_hat[k]}, EPS), ONE_EPS)")
        terms.append(f"-(y{k} * log(c{k}) + (1.0 - y{k}) * log(1.0 - c{k}))")
        lines.append(f"d{k} = (-(y{k} / c{k}) + (1.0 - y{k}) / (1.0 - c{k})) / {m}.0 "
                     f"if EPS < {y_hat[k]} < ONE_EPS else 0.0")
    lines.append(f"L = ({' + '.join(terms)}) / {m}.0")
    return lines


def _bce_torch(torch):
    def losses(y_hat, y):
        p = torch.clamp(y_hat, BCE_EPSILON, 1 - BCE_EPSILON)
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean(dim=1)
    return losses


@dataclass(frozen=True, slots=True, eq=False)
class Loss:
    """A loss L(y, ŷ) over the last axis (outputs), ∂L/∂ŷ, and what each part of the engine and the app
    needs of it. Templates have two slots, `{0}` for y and `{1}` for ŷ, and `{m}` for the output count."""

    name: str
    #: The name in a sentence: "binary cross-entropy".
    title: str
    #: The name shown in lists: "Binary cross-entropy".
    label: str
    #: Per-sample loss: `value(y, ŷ)` with `y, ŷ: (n, m)` gives `(n,)`.
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    #: ∂L/∂ŷ: `gradient(y, ŷ)` gives `(n, m)`.
    gradient: Callable[[np.ndarray, np.ndarray], np.ndarray]
    #: One output's term: "({0} − {1})²".
    term: str
    #: ∂L/∂ŷ as a chain-rule factor with one output, "−2({0} − {1})", and with {m} outputs.
    derivative: str
    derivative_of_many: str
    #: The generated kernel's lines: `kernel_lines(m, predictions)` sets `L` and `d{k}` from `y{k}`;
    #: None keeps networks using it on numpy.
    kernel_lines: Callable[[int, list[str]], list[str]] | None
    #: The PyTorch counterpart: given the torch module, `losses(ŷ, y)` per sample, `(n,)`.
    torch_losses: Callable[[Any], Callable[[Any, Any], Any]]
    #: Functions and constants `kernel_lines` call by name.
    kernel_names: Mapping[str, Any] = field(default_factory=dict)
    #: What multiplies the term with one output ("" or "½") and the sum of the terms with {m} outputs.
    scale: str = ""
    scale_of_many: str = "(1/{m})·"
    #: Whether each term is bracketed inside a sum (a term that is itself a difference).
    bracket_terms: bool = False
    #: ŷ is clipped to [clip, 1 − clip] before the loss (None: no clipping).
    clip: float | None = None
    #: Whether ŷ and the targets must lie in [0, 1].
    needs_probabilities: bool = False
    #: Whether every target row must be one-hot: one 1, every other target 0.
    one_hot_targets: bool = False
    #: The output activation this loss needs (None: any that fits `needs_probabilities`).
    needs_activation: str | None = None
    #: ∂L/∂z of the output layer when it has the activation `simplifies_with`, as a template in
    #: `{0}` = y, `{1}` = ŷ, `{m}` = outputs: `"{1} − {0}"`; stated beside the factors it replaces.
    simplified: str | None = None
    simplified_of_many: str = ""
    simplifies_with: str | None = None
    #: The engine's own ∂L/∂z with `simplifies_with`, `(n, m)` from `(y, ŷ)`, used instead of carrying
    #: ∂L/∂ŷ through the activation (finite where ŷ underflows to 0); None: the simplification is
    #: only stated, the factors are multiplied as usual.
    gradient_of_z: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def __repr__(self) -> str:
        return f"Loss({self.name!r})"

    @property
    def formula(self) -> str:
        """With one output: "L = (y − ŷ)²"."""
        return "L = " + self.text([("y", "ŷ")])

    @property
    def derivative_formula(self) -> str:
        """∂L/∂ŷ with one output: "−2(y − ŷ)"."""
        return self.derivative.format("y", "ŷ")

    def text(self, labels: list[tuple[str, str]]) -> str:
        """The loss with `labels` = [(y, ŷ), ...] substituted, e.g. `(y − ŷ)²`, without the `L =`."""
        terms = [self.term.format(y, y_hat) for y, y_hat in labels]
        if len(terms) == 1:
            return self.scale + terms[0]
        if self.bracket_terms:   # each output's two-part term in brackets: no "… + −y2·log(ŷ2)"
            terms = [f"({term})" for term in terms]
        return self.scale_of_many.replace("{m}", str(len(terms))) + "[" + " + ".join(terms) + "]"

    def formula_for(self, n_outputs: int) -> str:
        """The loss formula as shown for a network with `n_outputs` outputs: "L = (1/2)·Σₖ (yₖ − ŷₖ)²"."""
        if n_outputs == 1:
            return self.formula
        term = self.term.format("yₖ", "ŷₖ")
        term = f"[{term}]" if self.bracket_terms else term
        return "L = " + self.scale_of_many.replace("{m}", str(n_outputs)) + "Σₖ " + term

    def factor_template(self, n_outputs: int) -> str:
        """∂L/∂ŷₖ as a chain-rule factor template, `{0}` for y and `{1}` for ŷ."""
        if n_outputs == 1:
            return self.derivative
        return self.derivative_of_many.replace("{m}", str(n_outputs))

    def simplified_template(self, n_outputs: int) -> str | None:
        """∂L/∂z of one output through `simplifies_with`, `{0}` = y, `{1}` = ŷ; None if none is stated."""
        if self.simplified is None or n_outputs == 1:
            return self.simplified
        return self.simplified_of_many.replace("{m}", str(n_outputs))

    def kernel_source(self, n_outputs: int, predictions: list[str]) -> list[str]:
        """The kernel lines setting L and each d{k} from y{k} and the prediction variables."""
        return self.kernel_lines(n_outputs, predictions)

    def clipped(self, y_hat: float) -> bool:
        """Whether ŷ lies where the clip is active (the loss is flat there)."""
        return self.clip is not None and not self.clip < y_hat < 1.0 - self.clip


#: Every known loss by name, in the order the app lists them.
LOSSES: dict[str, Loss] = {}


def register_loss(loss: Loss) -> Loss:
    """Make `loss` known by its name everywhere (session files, the app, the kernel)."""
    if loss.name in LOSSES:
        raise ConfigError(f"a loss named {loss.name!r} is already registered")
    LOSSES[loss.name] = loss
    return loss


def unregister_loss(name: str) -> None:
    """Forget a loss registered by `register_loss`."""
    del LOSSES[name]


def get_loss(name: str) -> Loss:
    """Look a loss up by name, with a message listing the known ones."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        known = ", ".join(LOSSES)
        raise ConfigError(f"unknown loss {name!r}; choose one of: {known}") from None


def loss_formula(loss: Loss, n_outputs: int) -> str:
    """The loss formula as shown for a network with `n_outputs` outputs."""
    return loss.formula_for(n_outputs)


register_loss(Loss(
    "mse", "mean squared error", "Mean squared error", _mse, _mse_grad, term="({0} − {1})²",
    derivative="−2({0} − {1})", derivative_of_many="−(2/{m})({0} − {1})",
    kernel_lines=lambda m, y_hat: _squares_kernel(m, y_hat, mean=True),
    torch_losses=lambda torch: lambda y_hat, y: ((y - y_hat) ** 2).mean(dim=1)))
register_loss(Loss(
    "bce", "binary cross-entropy", "Binary cross-entropy", _bce, _bce_grad,
    term="−{0}·log({1}) − (1 − {0})·log(1 − {1})",
    derivative="−{0}/{1} + (1 − {0})/(1 − {1})",
    derivative_of_many="(1/{m})·(−{0}/{1} + (1 − {0})/(1 − {1}))",
    kernel_lines=_bce_kernel, torch_losses=_bce_torch,
    kernel_names={"log": math.log, "EPS": BCE_EPSILON, "ONE_EPS": 1.0 - BCE_EPSILON},
    bracket_terms=True, clip=BCE_EPSILON, needs_probabilities=True,
    simplified="{1} − {0}", simplified_of_many="({1} − {0})/{m}", simplifies_with="sigmoid"))
register_loss(Loss(
    "half_sse", "half sum of squared errors", "½ sum of squared errors", _half_sse, _half_sse_grad,
    term="({0} − {1})²", derivative="−({0} − {1})", derivative_of_many="−({0} − {1})",
    kernel_lines=lambda m, y_hat: _squares_kernel(m, y_hat, mean=False),
    torch_losses=lambda torch: lambda y_hat, y: 0.5 * ((y - y_hat) ** 2).sum(dim=1),
    scale="½", scale_of_many="½·"))
register_loss(Loss(
    "cross_entropy", "categorical cross-entropy", "Cross-entropy (softmax, one-hot)", _cross_entropy,
    _cross_entropy_grad, term="{0}·log({1})", derivative="−{0}/{1}", derivative_of_many="−{0}/{1}",
    kernel_lines=None, torch_losses=_cross_entropy_torch, scale="−", scale_of_many="−",
    needs_probabilities=True, one_hot_targets=True, needs_activation="softmax",
    simplified="{1} − {0}", simplified_of_many="{1} − {0}", simplifies_with="softmax", gradient_of_z=_cross_entropy_of_z))
