"""The per-sample training kernel: one SGD step of a small network in plain Python floats.

numpy spends about a microsecond on every call whatever the array size, and one step of the
lectures' 2-2-1 network needs dozens of calls. For per-sample training of small networks the
engine instead generates, once per network shape, straight-line Python for one step: every
parameter, activation and chain-rule term is a local float. Three functions come from the same
lines: `step` (one sample: new parameters and the loss), `run` (a stretch of samples in a loop,
the parameters kept in locals from one to the next, for the fast path) and `trace` (every
intermediate value as well, for the phase stepper). CPython evaluates each float expression in
the order it is written, one rounding per operation (no fused multiply-add, no reassociation), so
the three give bit-identical numbers. The order of the arithmetic is the engine's definition:

    z_j = a_1·w_1j + a_2·w_2j + … + b_j                 (left to right, then the bias)
    ∂L/∂o_i (layer l−1) = δ_1·w_i1 + δ_2·w_i2 + …        (left to right over layer l's neurons)
    ∂L/∂w_ij = a_i·δ_j,  ∂L/∂b_j = δ_j,  w ← w − η·∂L/∂w

Parameters travel as one flat list in `Network.parameters()` order. An optimiser with state gets a
fourth function, `optimizer_run_for`: `run`'s loop with the optimiser's update generated from its
own `UpdateLine` expressions (optimizers.py) in place of w ← w − η·∂L/∂w.
"""

from __future__ import annotations

import ast
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .activations import Activation, get_activation
from .losses import Loss, get_loss

#: Networks with more parameters than this train per sample through numpy instead.
MAX_KERNEL_PARAMETERS = 2000


@dataclass(frozen=True)
class Kernel:
    """Generated step functions for one (sizes, activations, loss) shape.

    `step(P, x, y, rate) -> (new P, loss)`; `run(P, X, Y, order, start, end, rate, losses) -> new P`
    steps through rows `X[order[position]]` for positions start … end − 1, appending each loss to
    `losses`, without checking anything (the caller does); `trace(P, x, y, rate)` returns a dict of
    every value: `z, out, act_grad, d_out, delta` as per-layer lists, `grads` and `new` flat, and `loss`.
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str
    step: Callable
    trace: Callable
    run: Callable
    #: The generated lines an optimiser's `run` is made from (see `optimizer_run_for`).
    parts: dict = field(default=None, compare=False, repr=False)

    def __repr__(self) -> str:
        return f"Kernel({'-'.join(map(str, self.sizes))}, {','.join(self.activations)}, {self.loss})"


#: Kernels by (sizes, activation objects, loss object): a definition registered again under the
#: same name gets a kernel of its own.
_CACHE: dict[tuple, Kernel] = {}


def kernel_for(sizes, activations, loss: str) -> Kernel | None:
    """The kernel of a network shape (activation and loss names), generated on first use; None when
    the network is too large or an activation or the loss has no kernel lines."""
    key = (tuple(sizes), tuple(map(get_activation, activations)), get_loss(loss))
    kernel = _CACHE.get(key)
    if kernel is None:
        if key[2].kernel_lines is None or any(activation.kernel_lines is None for activation in key[1]):
            return None
        count = sum((n_in + 1) * n_out for n_in, n_out in zip(key[0][:-1], key[0][1:]))
        if count > MAX_KERNEL_PARAMETERS:
            return None
        kernel = _CACHE[key] = _build(*key)
    return kernel


def _parameter_index(sizes, layer: int, neuron: int, source: int | None) -> int:
    """Flat index of weight (source → neuron) or, with source None, the bias; all 0-based."""
    offset = sum((sizes[m] + 1) * sizes[m + 1] for m in range(layer))
    n_in = sizes[layer]
    return offset + neuron * (n_in + 1) + (n_in if source is None else source)


def _build(sizes: tuple[int, ...], activations: tuple[Activation, ...], loss: Loss) -> Kernel:
    n_layers = len(sizes) - 1
    count = sum((sizes[m] + 1) * sizes[m + 1] for m in range(n_layers))
    P = [f"p{i}" for i in range(count)]

    def w(layer, neuron, source=None):
        return P[_parameter_index(sizes, layer, neuron, source)]

    a = [[f"x{i}" for i in range(sizes[0])]]
    unpack_parameters = f"{', '.join(P)}, = P"
    inputs, targets = ", ".join(a[0]), ", ".join(f"y{k}" for k in range(sizes[-1]))

    def unpack_sample(x: str, y: str) -> list[str]:
        return [f"{inputs}, = {x}", f"{targets}, = {y}"]

    body = []
    z, o, g = [], [], []
    for l in range(n_layers):
        z.append([f"z{l}_{j}" for j in range(sizes[l + 1])])
        o.append([f"o{l}_{j}" for j in range(sizes[l + 1])])
        g.append([f"g{l}_{j}" for j in range(sizes[l + 1])])
        for j in range(sizes[l + 1]):
            terms = " + ".join(f"{a[l][i]} * {w(l, j, i)}" for i in range(sizes[l]))
            body.append(f"{z[l][j]} = {terms} + {w(l, j)}")
            body += activations[l].kernel_source(z[l][j], o[l][j], g[l][j])
        a.append(o[l])
    body += loss.kernel_source(sizes[-1], o[-1])
    d_out = [None] * n_layers
    delta = [None] * n_layers
    d_out[-1] = [f"d{k}" for k in range(sizes[-1])]
    # Each weight's gradient a·δ is named in `trace`, which returns it, and written inline in `step`,
    # which only subtracts it: the same product either way, one store and load fewer per weight.
    grads, products, gradient_lines = [None] * count, [None] * count, []
    for l in range(n_layers - 1, -1, -1):
        delta[l] = [f"t{l}_{j}" for j in range(sizes[l + 1])]
        for j in range(sizes[l + 1]):
            body.append(f"{delta[l][j]} = {d_out[l][j]} * {g[l][j]}")
            for i in range(sizes[l]):
                index = _parameter_index(sizes, l, j, i)
                grads[index], products[index] = f"gp{index}", f"({a[l][i]} * {delta[l][j]})"
                gradient_lines.append(f"gp{index} = {a[l][i]} * {delta[l][j]}")
            grads[_parameter_index(sizes, l, j, None)] = delta[l][j]
            products[_parameter_index(sizes, l, j, None)] = delta[l][j]
        if l > 0:
            d_out[l - 1] = [f"s{l - 1}_{i}" for i in range(sizes[l])]
            for i in range(sizes[l]):
                terms = " + ".join(f"{delta[l][j]} * {w(l, j, i)}" for j in range(sizes[l + 1]))
                body.append(f"{d_out[l - 1][i]} = {terms}")
    new = "[" + ", ".join(f"{P[k]} - rate * {grads[k]}" for k in range(count)) + "]"
    new_inline = "[" + ", ".join(f"{P[k]} - rate * {products[k]}" for k in range(count)) + "]"

    def listing(names):
        return "[" + ", ".join("[" + ", ".join(layer) + "]" for layer in names) + "]"

    trace_return = (f"new = {new}\n    return dict(z={listing(z)}, out={listing(o)}, act_grad={listing(g)}, "
                    f"d_out={listing(d_out)}, delta={listing(delta)}, grads=[{', '.join(grads)}], new=new, loss=L)")
    # `run` keeps the parameters in locals from sample to sample; each is moved by the same
    # expression that `step` puts in its list, after every line that reads the old values.
    updates = [f"{P[k]} = {P[k]} - rate * {products[k]}" for k in range(count)]
    sample = "\n        ".join(["row = order[position]"] + unpack_sample("X[row]", "Y[row]") + body + updates
                                + ["append(L)"])
    step_body = "\n    ".join([unpack_parameters] + unpack_sample("x", "y") + body)
    trace_body = "\n    ".join([unpack_parameters] + unpack_sample("x", "y") + body + gradient_lines)
    source = (f"def step(P, x, y, rate):\n    {step_body}\n    return {new_inline}, L\n\n"
              f"def trace(P, x, y, rate):\n    {trace_body}\n    {trace_return}\n\n"
              f"def run(P, X, Y, order, start, end, rate, losses):\n    {unpack_parameters}\n"
              f"    append = losses.append\n    for position in range(start, end):\n        {sample}\n"
              f"    return [{', '.join(P)}]\n")
    namespace = {}
    for definition in (*activations, loss):
        namespace.update(definition.kernel_names)
    exec(compile(source, f"<kernel {'-'.join(map(str, sizes))}>", "exec"), namespace)
    parts = dict(unpack_parameters=unpack_parameters, parameters=P, sample=unpack_sample("X[row]", "Y[row]"),
                 body=body, gradient_lines=gradient_lines, grads=grads, names=namespace)
    return Kernel(sizes, tuple(activation.name for activation in activations), loss.name,
                  namespace["step"], namespace["trace"], namespace["run"], parts)


#: Optimiser runs by (kernel, the optimiser's update lines): the hyper-parameters are arguments.
_OPTIMIZER_CACHE: dict[tuple, Callable | None] = {}


def optimizer_run_for(kernel: Kernel, lines: Sequence, state_keys: Sequence[str], scalars: Sequence[str]):
    """`(run, kept)`: `run(P, S, t, X, Y, order, start, end, rate, losses, H) -> (new P, new S, new t)`
    is `kernel.run` followed, per sample, by an optimiser's update generated from its `lines` (each
    an `UpdateLine` of `optimizers.py`: the step count first, the rule giving `new` last), every
    parameter's state a local float; `kept` names the state arrays the lines move, in `state_keys`
    order, and `S` holds one list of floats per kept array; `H` the hyper-parameters `scalars` by
    name. None when the rule does not give `new` as w − … (the caller's check that every step stayed
    finite relies on it)."""
    key = (kernel, tuple((line.value, line.expression) for line in lines), tuple(state_keys))
    if key not in _OPTIMIZER_CACHE:
        _OPTIMIZER_CACHE[key] = _build_optimizer_run(kernel, lines, tuple(state_keys), tuple(scalars))
    return _OPTIMIZER_CACHE[key]


def _build_optimizer_run(kernel: Kernel, lines: Sequence, state_keys: tuple, scalars: tuple):
    count, *per_parameter = lines
    rule = ast.parse(per_parameter[-1].expression, mode="eval").body
    if per_parameter[-1].value != "new" or not (isinstance(rule, ast.BinOp) and isinstance(rule.op, ast.Sub)
                                                and isinstance(rule.left, ast.Name) and rule.left.id == "w"):
        return None
    kept = [key for key in state_keys if any(line.value == key for line in per_parameter)]
    parts = kernel.parts
    hoisted: dict[str, str] = {}      # hoisted expression → its local
    once, per_sample = [], []         # hoisted lines: before the loop, and after the step count

    def scalar_name(name: str) -> str | None:
        if name in ("t", "t_old"):
            return "opt_t"
        if name == "rate":
            return "rate"
        return f"opt_{name}" if name in scalars else None

    class Rename(ast.NodeTransformer):
        """A line's expression for every parameter (a template); subexpressions of the hyper-parameters and t alone
        are computed once (per run, or per sample when they read t), as numpy computes them once."""

        def __init__(self, names: dict):
            self.names = names

        def visit(self, node):
            read = [name.id for name in ast.walk(node) if isinstance(name, ast.Name)]
            if (isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Constant))
                    and all(map(scalar_name, read))):
                text = ast.unparse(_Scalars().visit(node))
                if text not in hoisted:
                    hoisted[text] = f"opt_c{len(hoisted)}"
                    reads_t = any(scalar_name(name) == "opt_t" for name in read)
                    (per_sample if reads_t else once).append(f"{hoisted[text]} = {text}")
                return ast.Name(hoisted[text], ast.Load())
            return super().visit(node)

        def visit_Name(self, node):
            renamed = scalar_name(node.id) or self.names.get(node.id)
            if renamed is None:
                raise ValueError(f"an optimiser line reads {node.id!r}, which is not computed before it")
            return renamed if isinstance(renamed, ast.expr) else ast.Name(renamed, ast.Load())

    class _Scalars(ast.NodeTransformer):
        def visit_Name(self, node):
            return ast.Name(scalar_name(node.id), ast.Load())

    reads = Counter(name.id for line in per_parameter
                    for name in ast.walk(ast.parse(line.expression, mode="eval")) if isinstance(name, ast.Name))

    def parameter_lines() -> list[str]:
        """Every parameter's lines, as templates of its `{w}`, `{grad}` and index `{k}`."""
        names = {"w": "{w}", "grad": "{grad}", "sqrt": "opt_sqrt"}
        names.update({f"{key}_old": f"opt_{key}_{{k}}" for key in kept})
        out = []
        for line in per_parameter:
            expression = ast.parse(line.expression, mode="eval").body
            if isinstance(expression, ast.Name) and not scalar_name(expression.id):
                names[line.value] = names[expression.id]     # g = ∂L/∂w: the same float, no copy
                continue
            renamed = Rename(names).visit(expression)
            if (line.value not in kept and line.value != "new" and reads[line.value] == 1
                    and not any(isinstance(name, ast.Name) and name.id.endswith("_old")
                                for name in ast.walk(expression))):
                names[line.value] = renamed    # m̂, read once: written where it is read, one store fewer
                continue
            text = ast.unparse(renamed)
            if line.value in kept:     # the state moves: its old value must not be read after this line
                names.pop(f"{line.value}_old")
            target = "{w}" if line.value == "new" else f"opt_{line.value}_{{k}}"
            out.append(f"{target} = {text}")
            names[line.value] = target
        return out

    template = parameter_lines()
    P = parts["parameters"]
    updates = [text.format(w=P[k], grad=parts["grads"][k], k=k) for k in range(len(P)) for text in template]
    step_count = f"opt_t = {ast.unparse(_Scalars().visit(ast.parse(count.expression, mode='eval').body))}"
    prologue = [parts["unpack_parameters"]]
    prologue += [f"{', '.join(f'opt_{key}_{k}' for k in range(len(P)))}, = S[{index}]" for index, key in enumerate(kept)]
    sample = (["row = order[position]"] + parts["sample"] + parts["body"] + parts["gradient_lines"]
              + [step_count] + per_sample + updates + ["append(L)"])
    read = {name.id for text in once + per_sample + updates[:len(template)] for name in ast.walk(ast.parse(text))
            if isinstance(name, ast.Name)}
    prologue += ["opt_t = t"] + [f"opt_{name} = H[{name!r}]" for name in scalars if f"opt_{name}" in read]
    prologue += once + ["append = losses.append"]
    states = ", ".join("[" + ", ".join(f"opt_{key}_{k}" for k in range(len(P))) + "]" for key in kept)
    source = (f"def run(P, S, t, X, Y, order, start, end, rate, losses, H):\n    " + "\n    ".join(prologue)
              + "\n    for position in range(start, end):\n        " + "\n        ".join(sample)
              + f"\n    return [{', '.join(P)}], [{states}], opt_t\n")
    namespace = {**parts["names"], "opt_sqrt": math.sqrt}
    exec(compile(source, f"<optimizer kernel {'-'.join(map(str, kernel.sizes))}>", "exec"), namespace)
    return namespace["run"], tuple(kept)
