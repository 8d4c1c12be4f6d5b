"""Optimisers: how a batch's gradient moves the parameters, each rule defined once.

An `Optimizer` is the settings (its name and hyper-parameters, validated); its `OptimizerRule` (in
`RULES`) holds the update as numpy arithmetic on flat arrays in `Network.parameters()` order and the
lines that show it, so the stepper prints exactly the operations the fast path does. The rules are
PyTorch's (torch.optim.SGD with momentum, dampening 0 and optional Nesterov; RMSprop, neither
centred nor with momentum; Adam without AMSGrad), with weight decay applied as PyTorch does,
g = ∂L/∂w + λ·w (docs/engine.md gives the formulas and where Keras differs). Plain SGD (no momentum,
no decay) is `w − η·∂L/∂w` and never comes here: `training.py` keeps its own faster path for it.

The moving part is an `OptimizerState`: the step count t and the state arrays (v, s, m, …), never
modified once made, so a training snapshot can share it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, fields
from typing import Callable

import numpy as np

from .errors import ConfigError

#: Every hyper-parameter's symbol and, for the messages and the settings, its words.
SYMBOLS = {"momentum": "μ", "alpha": "α", "beta1": "β₁", "beta2": "β₂", "eps": "ε", "weight_decay": "λ"}
WORDS = {"momentum": "momentum", "nesterov": "Nesterov", "alpha": "alpha", "beta1": "beta1", "beta2": "beta2",
         "eps": "epsilon", "weight_decay": "weight decay"}


@dataclass(frozen=True)
class OptimizerState:
    """The optimiser's memory after `t` steps: `arrays` name → `(parameter_count,)` (never modified)."""

    name: str
    t: int
    arrays: tuple[tuple[str, np.ndarray], ...] = ()

    def get(self, key: str, size: int) -> np.ndarray:
        """The array `key`, or zeros when this state has none (a fresh start, or momentum just turned on)."""
        for name, array in self.arrays:
            if name == key:
                return array
        return np.zeros(size)

    def same_as(self, other: "OptimizerState | None") -> bool:
        return other is not None and (self.name, self.t) == (other.name, other.t) and \
            len(self.arrays) == len(other.arrays) and all(
                a == b and np.array_equal(x, y) for (a, x), (b, y) in zip(self.arrays, other.arrays))

    def to_dict(self) -> dict:
        return {"name": self.name, "t": self.t, **{name: array.tolist() for name, array in self.arrays}}

    def __repr__(self) -> str:
        return f"OptimizerState({self.name}, t={self.t}, {', '.join(name for name, _ in self.arrays)})"


@dataclass(frozen=True)
class UpdateLine:
    """One line of an update, as the stepper prints it: `label` = numbers = value, `{p}` in the label
    standing for the parameter's name. `sources` fill the template's slots: the name of an array of
    the step's values, or a number; `value` names the array the line computes and `expression` is
    how, in Python over the step's values, the hyper-parameters by their field names, `rate` and
    `sqrt`: the one definition of the arithmetic, evaluated on numpy arrays by `Optimizer.step` and
    generated into the per-sample kernel on floats (same operations in the same order, same bits)."""

    label: str
    template: str
    sources: tuple[str | float, ...]
    value: str
    expression: str = ""

    @property
    def code(self):
        """The expression compiled once (it is evaluated on every step)."""
        return _compiled(self.expression)


@dataclass(frozen=True)
class OptimizerStep:
    """One update computed and not yet applied: `values` name → `(parameter_count,)` (w, ∂L/∂w, g, the
    state before and after, the new parameters as `new`), the `state` it leaves, and its `lines`."""

    values: dict[str, np.ndarray]
    state: OptimizerState
    lines: tuple[UpdateLine, ...]
    rule: UpdateLine

    @property
    def new(self) -> np.ndarray:
        return self.values["new"]


@dataclass(frozen=True)
class OptimizerRule:
    """One optimiser: its name, title, the hyper-parameters it reads, the state arrays it keeps, and
    `lines(optimizer, rate, power) -> (lines, rule)`, its update as `UpdateLine`s in the order they
    are computed (given `w`, `grad`, `g` and the step `t`; a state array `x` before the step is
    `x_old`; `power` is t as an exponent, for the printed templates). `counts_steps`: whether its
    lines read the step count t (then shown first)."""

    name: str
    title: str
    hyper_parameters: tuple[str, ...]
    state: tuple[str, ...]
    lines: Callable
    counts_steps: bool = False


def _sgd(opt: "Optimizer", rate: float, power: str):
    mu = opt.momentum
    if mu == 0:
        return (), UpdateLine("{p} ← {p} − η·g", "{0} − {1}·{2}", ("w", rate, "g"), "new", "w - rate * g")
    lines = (UpdateLine("v ← μ·v + g", "{0}·{1} + {2}", (mu, "v_old", "g"), "v", "momentum * v_old + g"),)
    if opt.nesterov:
        return lines, UpdateLine("{p} ← {p} − η·(g + μ·v)", "{0} − {1}·({2} + {3}·{4})",
                                 ("w", rate, "g", mu, "v"), "new", "w - rate * (g + momentum * v)")
    return lines, UpdateLine("{p} ← {p} − η·v", "{0} − {1}·{2}", ("w", rate, "v"), "new", "w - rate * v")


def _rmsprop(opt: "Optimizer", rate: float, power: str):
    alpha, eps = opt.alpha, opt.eps
    return ((UpdateLine("s ← α·s + (1 − α)·g²", "{0}·{1} + (1 − {0})·{2}²", (alpha, "s_old", "g"), "s",
                        "alpha * s_old + (1 - alpha) * (g * g)"),),
            UpdateLine("{p} ← {p} − η·g/(√s + ε)", "{0} − {1}·{2}/(√({3}) + {4})", ("w", rate, "g", "s", eps),
                       "new", "w - rate * g / (sqrt(s) + eps)"))


def _adam(opt: "Optimizer", rate: float, power: str):
    beta1, beta2, eps = opt.beta1, opt.beta2, opt.eps
    return ((UpdateLine("m ← β₁·m + (1 − β₁)·g", "{0}·{1} + (1 − {0})·{2}", (beta1, "m_old", "g"), "m",
                        "beta1 * m_old + (1 - beta1) * g"),
             UpdateLine("v ← β₂·v + (1 − β₂)·g²", "{0}·{1} + (1 − {0})·{2}²", (beta2, "v_old", "g"), "v",
                        "beta2 * v_old + (1 - beta2) * (g * g)"),
             UpdateLine("m̂ = m/(1 − β₁ᵗ)", f"{{0}}/(1 − {{1}}{power})", ("m", beta1), "m_hat",
                        "m / (1 - beta1 ** t)"),
             UpdateLine("v̂ = v/(1 − β₂ᵗ)", f"{{0}}/(1 − {{1}}{power})", ("v", beta2), "v_hat",
                        "v / (1 - beta2 ** t)")),
            UpdateLine("{p} ← {p} − η·m̂/(√v̂ + ε)", "{0} − {1}·{2}/(√({3}) + {4})",
                       ("w", rate, "m_hat", "v_hat", eps), "new", "w - rate * m_hat / (sqrt(v_hat) + eps)"))


RULES: dict[str, OptimizerRule] = {rule.name: rule for rule in (
    OptimizerRule("sgd", "SGD", ("momentum", "nesterov", "weight_decay"), ("v",), _sgd),
    OptimizerRule("rmsprop", "RMSprop", ("alpha", "eps", "weight_decay"), ("s",), _rmsprop),
    OptimizerRule("adam", "Adam", ("beta1", "beta2", "eps", "weight_decay"), ("m", "v"), _adam, counts_steps=True),
)}

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def superscript(number: int) -> str:
    """`12` → `¹²`: an exponent as formulas print it."""
    return str(number).translate(_SUPERSCRIPTS)


@dataclass(frozen=True)
class Optimizer:
    """An optimiser's settings. Only the hyper-parameters of `name`'s rule are read; the others keep
    their defaults (PyTorch's)."""

    name: str = "sgd"
    momentum: float = 0.0
    nesterov: bool = False
    alpha: float = 0.99
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        problem = settings_problem({key: getattr(self, key) for key in OPTIMIZER_FIELDS})
        if problem:
            raise ConfigError(problem[1])

    @property
    def rule(self) -> OptimizerRule:
        return RULES[self.name]

    @property
    def plain(self) -> bool:
        """Plain gradient descent, w ← w − η·∂L/∂w: no state, the engine's own fastest path."""
        return self.name == "sgd" and self.momentum == 0 and self.weight_decay == 0

    def to_dict(self) -> dict:
        """`name` and the hyper-parameters its rule reads (as the session format writes them)."""
        return {"name": self.name, **{key: getattr(self, key) for key in self.rule.hyper_parameters}}

    @classmethod
    def from_dict(cls, data: dict) -> "Optimizer":
        """The settings of a session file's `training.optimizer`; ConfigError naming the field."""
        if not isinstance(data, dict):
            raise ConfigError("optimizer: expected an object with a name")
        name = data.get("name")
        if not isinstance(name, str):
            raise ConfigError(f"optimizer.name: expected one of {', '.join(RULES)}")
        if name not in RULES:
            raise ConfigError(f"optimizer.name: must be one of {', '.join(RULES)}, not {name!r}")
        known = RULES[name].hyper_parameters
        for key in data:
            if key != "name" and key not in known:
                raise ConfigError(f"optimizer.{key}: not a setting of {name}; its settings are {', '.join(known)}")
        values = {key: data[key] for key in known if key in data}
        for key, value in values.items():
            wanted = bool if key == "nesterov" else (int, float)
            if not isinstance(value, wanted) or (key != "nesterov" and isinstance(value, bool)):
                raise ConfigError(f"optimizer.{key}: expected {'true or false' if key == 'nesterov' else 'a number'}")
        defaults = {key: getattr(cls, key) for key in OPTIMIZER_FIELDS}
        found = settings_problem({**defaults, "name": name, **values})
        if found:
            raise ConfigError(f"optimizer.{found[0]}: {found[1]}")
        return cls(name, **values)

    def describe(self) -> str:
        """`Adam (β₁ 0.9, β₂ 0.999, ε 1e-08)`, `SGD`: the optimiser in a few words."""
        parts = []
        for key in self.rule.hyper_parameters:
            value = getattr(self, key)
            if key == "nesterov":
                if value:
                    parts.append("Nesterov")
            elif key not in ("momentum", "weight_decay") or value:
                parts.append(f"{SYMBOLS[key]} {value:g}")
        return self.rule.title + (f" ({', '.join(parts)})" if parts else "")

    def fresh_state(self) -> OptimizerState:
        return OptimizerState(self.name, 0)

    def update_lines(self, rate: float, t: int) -> tuple[UpdateLine, tuple[UpdateLine, ...], UpdateLine]:
        """Step `t`'s update as it is computed: the count t ← t + 1, then g, the rule's state lines and
        the rule giving the new parameter (`new`)."""
        if self.weight_decay:
            first = UpdateLine("g = ∂L/∂{p} + λ·{p}", "{0} + {1}·{2}", ("grad", self.weight_decay, "w"), "g",
                               "grad + weight_decay * w")
        else:
            first = UpdateLine("g = ∂L/∂{p}", "", (), "g", "grad")
        lines, rule = self.rule.lines(self, rate, superscript(t))
        return COUNT, (first, *lines), rule

    def step(self, parameters: np.ndarray, gradients: np.ndarray, state: OptimizerState | None,
             rate: float) -> OptimizerStep:
        """One update of `parameters: (n,)` by the batch gradient `gradients: (n,)`; nothing is modified.
        A state of another optimiser (the optimiser was changed) is a fresh start."""
        if state is None or state.name != self.name:
            state = self.fresh_state()
        count, lines, rule = self.update_lines(rate, state.t + 1)
        values = {"w": parameters, "grad": gradients, "t_old": state.t}
        names = {key: getattr(self, key) for key in OPTIMIZER_FIELDS[1:]}
        names["rate"] = rate
        for line in (*lines, rule):
            for key in self.rule.state:
                if f"{key}_old" in line.code.co_names:
                    values[f"{key}_old"] = state.get(key, parameters.size)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for line in (count, *lines, rule):
                values[line.value] = eval(line.code, {"__builtins__": {}, "sqrt": np.sqrt}, {**names, **values})
        kept = tuple((key, values[key]) for key in self.rule.state if key in values)
        shown = (count, *lines) if self.rule.counts_steps else lines
        return OptimizerStep(values, OptimizerState(self.name, values["t"], kept), shown, rule)


#: The step count, the same line for every optimiser (shown by those whose rule reads t).
COUNT = UpdateLine("t ← t + 1", "{0} + 1", ("t_old",), "t", "t_old + 1")


@functools.lru_cache(maxsize=None)
def _compiled(expression: str):
    return compile(expression, f"<update {expression}>", "eval")


def torch_optimizer(torch, parameters: list, optimizer: Optimizer, rate: float):
    """The `torch.optim` optimiser that updates `parameters` as `optimizer` does (the PyTorch twin;
    `torch` is the module, imported by the caller only when a comparison starts)."""
    if optimizer.name == "sgd":
        return torch.optim.SGD(parameters, lr=rate, momentum=optimizer.momentum, nesterov=optimizer.nesterov,
                               weight_decay=optimizer.weight_decay)
    if optimizer.name == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=rate, alpha=optimizer.alpha, eps=optimizer.eps,
                                   weight_decay=optimizer.weight_decay)
    return torch.optim.Adam(parameters, lr=rate, betas=(optimizer.beta1, optimizer.beta2), eps=optimizer.eps,
                            weight_decay=optimizer.weight_decay)


def state_from_dict(data: object, optimizer: Optimizer, size: int, where: str) -> OptimizerState:
    """A saved `OptimizerState` (see `OptimizerState.to_dict`); ConfigError naming the field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object")
    if data.get("name") != optimizer.name:
        raise ConfigError(f"{where}.name: the state is of {data.get('name')!r} but the optimiser is {optimizer.name!r}")
    t = data.get("t")
    if isinstance(t, bool) or not isinstance(t, int) or t < 0:
        raise ConfigError(f"{where}.t: expected a whole number ≥ 0")
    arrays = []
    for key in data:
        if key in ("name", "t"):
            continue
        if key not in optimizer.rule.state:
            raise ConfigError(f"{where}.{key}: not a state of {optimizer.name}; its state is "
                              f"{', '.join(optimizer.rule.state)}")
        values = data[key]
        if (not isinstance(values, list) or len(values) != size
                or not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values)):
            raise ConfigError(f"{where}.{key}: expected {size} numbers, one per parameter")
        array = np.array(values, dtype=float)
        if not np.isfinite(array).all():
            raise ConfigError(f"{where}.{key}: every entry must be a finite number")
        arrays.append((key, array))
    order = optimizer.rule.state
    return OptimizerState(optimizer.name, t, tuple(sorted(arrays, key=lambda item: order.index(item[0]))))


OPTIMIZER_FIELDS = tuple(field.name for field in fields(Optimizer))


def settings_problem(settings: dict) -> tuple[str, str] | None:
    """The first invalid optimiser setting in `settings` (every field of `Optimizer`): (its field, a
    message naming it), or None."""
    if settings["name"] not in RULES:
        return "name", f"optimiser must be one of {', '.join(RULES)}, not {settings['name']!r}"
    for key in ("momentum", "alpha", "beta1", "beta2", "eps", "weight_decay"):
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return key, f"optimiser {WORDS[key]} {SYMBOLS[key]} must be a finite number, not {value!r}"
    if not isinstance(settings["nesterov"], bool):
        return "nesterov", f"optimiser Nesterov must be true or false, not {settings['nesterov']!r}"
    for key in ("momentum", "alpha", "beta1", "beta2"):
        if not 0 <= settings[key] < 1:
            return key, (f"optimiser {WORDS[key]} {SYMBOLS[key]} must be from 0 up to but not including 1, "
                         f"not {settings[key]!r}")
    if settings["eps"] <= 0:
        return "eps", f"optimiser epsilon ε must be greater than 0, not {settings['eps']!r}"
    if settings["weight_decay"] < 0:
        return "weight_decay", f"optimiser weight decay λ must be 0 or more, not {settings['weight_decay']!r}"
    if settings["nesterov"] and (settings["name"] != "sgd" or settings["momentum"] == 0):
        return "nesterov", "optimiser Nesterov needs SGD with a momentum μ greater than 0"
    return None
