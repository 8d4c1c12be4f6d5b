"""Names of parameters and values in the lectures' notation (see docs/notation.md).

Layers are numbered from 1 (the first hidden layer); layer 0 is the input. Neurons from 1.
`w{layer}{from}{to}`, `b{layer}{neuron}`, `z{layer}{neuron}`, `o{layer}{neuron}`; when any index is
10 or more, the indices are separated by underscores: `w1_10_2`, `b12_3`. Shown, the indices are
subscripts and the underscores commas: `w₁,₁₀,₂` (HTML `w<sub>1,10,2</sub>`), by `subscripted` and
`shown_indices` here, the one place the graph, the inspector and the worked solutions take them from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .errors import ConfigError


@lru_cache(maxsize=65536)   # the stepper names every value of every step
def _join(letter: str, *indices: int) -> str:
    if all(i < 10 for i in indices):
        return letter + "".join(str(i) for i in indices)
    return letter + "_".join(str(i) for i in indices)


#: What separates the shown indices of a name in which any index is 10 or more: `o1_10` is shown `o₁,₁₀`.
INDEX_SEPARATOR = ","
_SUBSCRIPT_DIGITS = str.maketrans("0123456789_", "₀₁₂₃₄₅₆₇₈₉" + INDEX_SEPARATOR)


def shown_indices(indices: str) -> str:
    """A name's indices as written in a subscript: `111` → `111`, `1_10_2` → `1,10,2`."""
    return indices.replace("_", INDEX_SEPARATOR)


def subscript_indices(indices: str) -> str:
    """A name's indices as Unicode subscripts: `111` → `₁₁₁`, `1_10_2` → `₁,₁₀,₂`."""
    return indices.translate(_SUBSCRIPT_DIGITS)


def subscripted(name: str) -> str:
    """`o11` → `o₁₁`, `ŷ2` → `ŷ₂`, `o1_10` → `o₁,₁₀`: a name with its trailing indices as subscripts."""
    head = name.rstrip("0123456789_")
    return head + subscript_indices(name[len(head):])


def weight_name(layer: int, source: int, target: int) -> str:
    """`w{layer}{from}{to}` with 1-based layer and neurons."""
    return _join("w", layer, source, target)


def bias_name(layer: int, neuron: int) -> str:
    return _join("b", layer, neuron)


def z_name(layer: int, neuron: int) -> str:
    return _join("z", layer, neuron)


def output_name(layer: int, neuron: int) -> str:
    """`o{layer}{neuron}`; layer 0 is the input, named `x{neuron}`."""
    if layer == 0:
        return f"x{neuron}"
    return _join("o", layer, neuron)


@dataclass(frozen=True, order=True)
class ParameterRef:
    """One parameter: a weight (source ≥ 1) or a bias (source = 0); all indices 1-based."""

    layer: int
    target: int
    source: int = 0

    @property
    def is_bias(self) -> bool:
        return self.source == 0

    @property
    def name(self) -> str:
        if self.is_bias:
            return bias_name(self.layer, self.target)
        return weight_name(self.layer, self.source, self.target)

    def __repr__(self) -> str:
        return f"ParameterRef({self.name})"


_COMPACT = re.compile(r"^([wb])(\d+)$")
_SEPARATED = re.compile(r"^([wb])(\d+(?:_\d+)+)$")


def parse_parameter(name: str) -> ParameterRef:
    """Parse `w111`, `b21`, `w1_10_2` or `b12_3` into a ParameterRef (no bounds check)."""
    text = str(name).strip().lower()
    match = _SEPARATED.match(text)
    if match:
        indices = [int(part) for part in match.group(2).split("_")]
    else:
        match = _COMPACT.match(text)
        if not match:
            raise ConfigError(f"{name!r} is not a parameter name such as w111 or b21")
        indices = [int(ch) for ch in match.group(2)]
    letter = match.group(1)
    expected = 3 if letter == "w" else 2
    if len(indices) != expected or min(indices) < 1:
        raise ConfigError(f"{name!r} is not a parameter name such as w111 or b21")
    if letter == "w":
        return ParameterRef(layer=indices[0], source=indices[1], target=indices[2])
    return ParameterRef(layer=indices[0], target=indices[1])
