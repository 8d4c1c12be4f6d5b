"""Reading numbers typed by a user, with messages that name the field."""

from __future__ import annotations

from simulator.errors import ConfigError
from simulator.numbers import INFINITE, NAN, NumberError, parse_number


def parse_float(text: str, field_name: str) -> float:
    """A finite float from `text` (simulator.numbers' spellings); ConfigError naming the field."""
    try:
        return parse_number(text)
    except NumberError as error:
        if error.reason == NAN:
            raise ConfigError(f"{field_name} must be a number, not nan") from None
        if error.reason == INFINITE:
            raise ConfigError(f"{field_name} must be a finite number, not infinity") from None
        raise ConfigError(f"{field_name}: {error}") from None
