"""Activation functions, each defined once: numpy, derivative, formulas, kernel lines and PyTorch twin.

Every part of the engine that needs an activation asks its `Activation` object: the numpy passes
(`function_into`, `gradient_into`), the generated per-sample kernel (`kernel_lines`), the stepper's
chain-rule factor (`factor`), the formula text (`applied`, `formula`), the PyTorch cross-check
(`torch_function`) and the app (`label`, `output_range`). Adding one is one `register_activation`
call; see docs/engine.md, "How to add an activation or a loss".
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from .errors import ConfigError


# Each activation and its derivative is written once, into given arrays (so that the fast path can
# reuse its buffers); the allocating forms call the same functions, so every path gives the same
# bits. `scratch` and `mask` are arrays like z (float, bool), made only for `needs_scratch`.
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


def _softmax_into(z: np.ndarray, out: np.ndarray, scratch, mask) -> None:
    """Softmax over each row (the layer's neurons): the row's largest z is subtracted before e^z, so
    nothing overflows and the largest output is e⁰/Σ ≥ 1/m; the same ŷ mathematically."""
    np.subtract(z, np.max(z, axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    np.divide(out, np.sum(out, axis=-1, keepdims=True), out=out)


def _softmax_diagonal_into(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    # Only the Jacobian's diagonal ∂ok/∂zk = ok(1 − ok); the backward pass uses `vector_jacobian_into`.
    _sigmoid_grad_into(z, a, out)


def _softmax_vector_jacobian_into(z: np.ndarray, a: np.ndarray, d_out: np.ndarray, out: np.ndarray) -> None:
    """∂L/∂zk = Σj ∂L/∂oj·∂oj/∂zk = Σj ∂L/∂oj·oj(δjk − ok) = ok·(∂L/∂ok − Σj ∂L/∂oj·oj), row by row."""
    np.subtract(d_out, np.sum(d_out * a, axis=-1, keepdims=True), out=out)
    np.multiply(a, out, out=out)


def positional(template: str) -> tuple[str, tuple[str, ...]]:
    """A template with named slots as one with numbered slots, and the names in slot order:
    `"{o}(1 − {o})"` → `("{0}(1 − {0})", ("o",))`."""
    names: list[str] = []
    pieces = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        pieces.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is not None:
            if spec or conversion:
                raise ValueError(f"template slots take no format: {template!r}")
            if name not in names:
                names.append(name)
            pieces.append(f"{{{names.index(name)}}}")
    return "".join(pieces), tuple(names)


@dataclass(frozen=True, slots=True, eq=False)
class Activation:
    """An activation o = f(z) and everything each part of the engine and the app needs of it.

    Templates name their slots: `{z}` and `{o}` in `factor`; `{z}`, `{o}` and `{g}` (f′(z), for the
    backward pass) in `kernel_lines`; `applied` has one slot, `{0}`, for the argument of f.
    """

    name: str
    #: The name shown in lists: "Sigmoid σ".
    label: str
    #: f(z) written into `out`: `function_into(z, out, scratch, mask)` (scratch and mask: see `needs_scratch`).
    function_into: Callable[[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None], None]
    #: f'(z) written into `out`: `gradient_into(z, a, out)` with a = f(z).
    gradient_into: Callable[[np.ndarray, np.ndarray, np.ndarray], None]
    #: "o = 1/(1 + e^(−z))".
    formula: str
    #: f applied to one argument in a forward line, "σ({0})"; exactly "{0}" for the identity.
    applied: str
    #: ∂o/∂z as a chain-rule factor, in {o} and {z}: "{o}(1 − {o})".
    factor: str
    #: The generated kernel's lines setting {o} = f({z}) and {g} = f′({z}) for one neuron, in the
    #: order of the numpy functions' arithmetic (same bits); None keeps networks using it on numpy.
    kernel_lines: tuple[str, ...] | None
    #: The PyTorch counterpart: given the torch module, a function of a tensor.
    torch_function: Callable[[Any], Callable[[Any], Any]]
    #: Functions and constants `kernel_lines` call by name, e.g. {"tanh": math.tanh}.
    kernel_names: Mapping[str, Any] = field(default_factory=dict)
    #: Whether `function_into` needs a float scratch array and a bool mask shaped like z.
    needs_scratch: bool = False
    #: The closed interval every output lies in.
    output_range: tuple[float, float] = (-math.inf, math.inf)
    #: For an activation over the whole layer (each o depends on every z of its layer, as softmax):
    #: ∂L/∂z from ∂L/∂o, `vector_jacobian_into(z, a, d_out, out)`, all `(n, neurons)`. None for an
    #: elementwise one, whose ∂L/∂z is ∂L/∂o·f′(z). Such an activation is for the output layer only,
    #: with at least two neurons; `factor` and `gradient_into` then give the Jacobian's diagonal.
    vector_jacobian_into: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None] | None = None
    #: For an activation over the layer, each neuron's share in `{0}`: o = term(z)/(term(z1) + … + term(zm)).
    layer_term: str = ""

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"

    @property
    def derivative_formula(self) -> str:
        """f′ in o and z: "o(1 − o)"."""
        return self.factor.format(o="o", z="z")

    @property
    def is_identity(self) -> bool:
        """Whether o = z (a forward line then reads `o = z = 1.6`)."""
        return self.applied == "{0}"

    @property
    def over_layer(self) -> bool:
        """Whether each output depends on every z of its layer (softmax), not on its own z alone."""
        return self.vector_jacobian_into is not None

    @property
    def gives_probabilities(self) -> bool:
        """Whether every output lies in [0, 1], as a probability does."""
        return 0.0 <= self.output_range[0] and self.output_range[1] <= 1.0

    def factor_template(self, z_label: str, o_label: str) -> tuple[str, tuple[str, ...]]:
        """∂o/∂z as (numbered template, labels in slot order): `("{0}(1 − {0})", ("o11",))`."""
        template, names = positional(self.factor)
        return template, tuple({"z": z_label, "o": o_label}[name] for name in names)

    def kernel_source(self, z: str, o: str, g: str) -> list[str]:
        """The kernel lines of one neuron whose variables are named z, o and g."""
        return [line.format(z=z, o=o, g=g) for line in self.kernel_lines]

    def function(self, z: np.ndarray) -> np.ndarray:
        """f(z) in a new array."""
        z = np.asarray(z, dtype=float)
        out = np.empty_like(z)
        scratch, mask = (np.empty_like(z), np.empty(z.shape, dtype=bool)) if self.needs_scratch else (None, None)
        self.function_into(z, out, scratch, mask)
        return out

    def backward_into(self, z: np.ndarray, a: np.ndarray, d_out: np.ndarray, act_grad: np.ndarray,
                      out: np.ndarray) -> None:
        """∂L/∂z into `out` from ∂L/∂o = `d_out`, given `act_grad` = f′(z) (the diagonal for softmax)."""
        if self.vector_jacobian_into is None:
            np.multiply(d_out, act_grad, out=out)
        else:
            self.vector_jacobian_into(z, a, d_out, out)

    def gradient(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """f'(z), given z and a = f(z), in a new array."""
        out = np.empty(np.shape(z))
        self.gradient_into(np.asarray(z, dtype=float), np.asarray(a, dtype=float), out)
        return out


#: Every known activation by name, in the order the app lists them.
ACTIVATIONS: dict[str, Activation] = {}
#: The activation of a layer that names none: the identity.
DEFAULT_ACTIVATION = "linear"


def register_activation(activation: Activation) -> Activation:
    """Make `activation` known by its name everywhere (session files, the app, the kernel)."""
    if activation.name in ACTIVATIONS:
        raise ConfigError(f"an activation named {activation.name!r} is already registered")
    if activation.kernel_lines is not None:
        template_names = {name for line in activation.kernel_lines for name in positional(line)[1]}
        if not template_names <= {"z", "o", "g"}:
            raise ConfigError(f"{activation.name}: kernel lines may only name {{z}}, {{o}} and {{g}}")
    if not set(positional(activation.factor)[1]) <= {"z", "o"}:
        raise ConfigError(f"{activation.name}: the factor may only name {{z}} and {{o}}")
    ACTIVATIONS[activation.name] = activation
    return activation


def unregister_activation(name: str) -> None:
    """Forget an activation registered by `register_activation`."""
    del ACTIVATIONS[name]


def probability_activations() -> list[str]:
    """The names of the activations whose outputs are probabilities (what a loss of probabilities needs)."""
    return [name for name, activation in ACTIVATIONS.items() if activation.gives_probabilities]


def get_activation(name: str) -> Activation:
    """Look an activation up by name, with a message listing the known ones."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(ACTIVATIONS)
        raise ConfigError(f"unknown activation {name!r}; choose one of: {known}") from None


register_activation(Activation(
    "linear", "Linear", _linear_into, _linear_grad_into, "o = z", applied="{0}", factor="1",
    kernel_lines=("{o} = {z}", "{g} = 1.0"),
    torch_function=lambda torch: lambda z: z))
register_activation(Activation(
    "sigmoid", "Sigmoid σ", _sigmoid_into, _sigmoid_grad_into, "o = 1/(1 + e^(−z))", applied="σ({0})",
    factor="{o}(1 − {o})",
    kernel_lines=("e = exp(-abs({z}))",
                  "{o} = 1.0 / (1.0 + e) if {z} >= 0.0 else e / (1.0 + e)",
                  "{g} = {o} * (1.0 - {o})"),
    torch_function=lambda torch: torch.sigmoid, kernel_names={"exp": math.exp}, needs_scratch=True,
    output_range=(0.0, 1.0)))
register_activation(Activation(
    "tanh", "tanh", _tanh_into, _tanh_grad_into, "o = tanh(z)", applied="tanh({0})", factor="1 − {o}²",
    kernel_lines=("{o} = tanh({z})", "{g} = 1.0 - {o} * {o}"),
    torch_function=lambda torch: torch.tanh, kernel_names={"tanh": math.tanh}, output_range=(-1.0, 1.0)))
register_activation(Activation(
    "relu", "ReLU", _relu_into, _relu_grad_into, "o = max(0, z)", applied="max(0, {0})",
    factor="1 if {z} > 0 else 0",
    # `not z <= 0` keeps a NaN a NaN, as numpy's maximum does.
    kernel_lines=("{o} = {z} if not {z} <= 0.0 else 0.0", "{g} = 1.0 if {z} > 0.0 else 0.0"),
    torch_function=lambda torch: torch.relu, output_range=(0.0, math.inf)))
register_activation(Activation(
    "softmax", "Softmax (output, 2+ classes)", _softmax_into, _softmax_diagonal_into,
    "ŷk = e^zk/Σj e^zj", applied="softmax({0})", factor="{o}(1 − {o})", kernel_lines=None,
    torch_function=lambda torch: lambda z: torch.softmax(z, dim=-1), output_range=(0.0, 1.0),
    vector_jacobian_into=_softmax_vector_jacobian_into, layer_term="exp({0})"))
