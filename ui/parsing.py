"""Reading numbers typed by a user, with messages that name the field."""

from __future__ import annotations

import math

from simulator.errors import ConfigError
from simulator.formatting import MINUS

#: Characters people paste for a minus sign: the typographic minus, en dash and full-width hyphen.
_MINUS_SIGNS = (MINUS, "\u2013", "\uff0d")
_INFINITY_WORDS = ("inf", "+inf", "-inf", "infinity", "+infinity", "-infinity")


def parse_float(text: str, field_name: str) -> float:
    """A finite float from `text` (spaces and a typographic minus allowed); ConfigError naming the field."""
    cleaned = str(text).strip()
    for sign in _MINUS_SIGNS:
        cleaned = cleaned.replace(sign, "-")
    if not cleaned:
        raise ConfigError(f"{field_name}: enter a number")
    try:
        number = float(cleaned)
    except ValueError:
        raise ConfigError(f"{field_name}: {str(text).strip()!r} is not a number") from None
    if math.isnan(number):
        raise ConfigError(f"{field_name} must be a number, not nan")
    if math.isinf(number):
        if cleaned.lower() in _INFINITY_WORDS:
            raise ConfigError(f"{field_name} must be a finite number, not infinity")
        raise ConfigError(f"{field_name}: {str(text).strip()} is too large to represent")
    return number
