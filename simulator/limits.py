"""The domain's limits: what the app, session files and the command line all accept."""

from __future__ import annotations

import math

from .errors import ConfigError
from .formatting import format_number

# A weight or bias may be any finite number, typed or read from a file: training itself can carry one
# far beyond any bound a field could set, and what Save wrote must open again. A value too large for
# the lesson shows itself at once: the next step overflows and training stops, saying so.
#: Largest |value| of a dataset cell.
MAX_CELL_MAGNITUDE = 1e12
#: Most neurons in one layer (inputs, hidden or outputs).
MAX_LAYER_SIZE = 64
#: Most hidden layers.
MAX_HIDDEN_LAYERS = 8


def checked_number(where: str, value: float, limit: float = MAX_CELL_MAGNITUDE) -> float:
    """`value` as a float when it is finite and |value| ≤ `limit`; ConfigError naming `where` otherwise."""
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"{where} must be a finite number, not {value!r}")
    if abs(number) > limit:
        raise ConfigError(f"{where}: {format_number(number, 6)} is too large; use a value between "
                          f"−{limit:,.0f} and {limit:,.0f}")
    return number
