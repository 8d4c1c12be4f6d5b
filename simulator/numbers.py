"""One reading of a number written as text: typed fields, CSV cells and the command line all use it.

Accepted: surrounding spaces, a leading `+` or minus, decimal digits (ASCII or another script's, such
as full-width `１`; optionally grouped by single underscores, `1_000`), a decimal point and an
exponent (`1e-3`): the spellings of Python's float(). The minus may also be the typographic minus
`−`, an en dash `–` or a full-width hyphen `－`, anywhere a sign goes. Refused, each for a reason a
caller can word: an empty text, a decimal comma (`1,5`), thousands separators other than `_`
(`1,000`, `1 000`), `nan`, infinities, and numbers too large for a float."""

from __future__ import annotations

import math
import re

from .errors import SimulatorError

#: Characters people type or paste for a minus sign: the typographic minus, en dash and full-width hyphen.
MINUS_SIGNS = ("\u2212", "\u2013", "\uff0d")

_WHOLE = re.compile(r"[+-]?\d(?:_?\d)*")
_INFINITY = re.compile(r"[+-]?inf(?:inity)?", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+")

EMPTY = "empty"
NOT_A_NUMBER = "not a number"
NOT_WHOLE = "not whole"
NAN = "nan"
INFINITE = "infinite"
TOO_LARGE = "too large"


class NumberError(SimulatorError):
    """Text that is not a usable number; `reason` says which way (EMPTY, NOT_A_NUMBER, …), `text` is it stripped."""

    def __init__(self, reason: str, text: str) -> None:
        self.reason, self.text = reason, text
        shown = text[:40]
        super().__init__({
            EMPTY: "enter a number",
            NOT_A_NUMBER: f"{shown!r} is not a number" + (
                f" (write decimals with a point: {shown.replace(',', '.')})" if _DECIMAL_COMMA.fullmatch(text) else ""),
            NOT_WHOLE: f"{shown!r} is not a whole number",
            NAN: "nan is not a number",
            INFINITE: "infinity is not a finite number",
            TOO_LARGE: f"{shown} is too large to represent",
        }[reason])


def _cleaned(text: str) -> str:
    cleaned = str(text).strip()
    if not cleaned.isascii():
        for sign in MINUS_SIGNS:
            cleaned = cleaned.replace(sign, "-")
    if not cleaned:
        raise NumberError(EMPTY, cleaned)
    return cleaned


def parse_number(text: str) -> float:
    """The finite float `text` spells, or a NumberError saying why not."""
    try:
        value = float(text)   # the common case, taken first: a CSV file has millions of cells
    except ValueError:
        # float() reads exactly the spellings above but the other minus signs, plus the words nan and
        # inf(inity), refused below.
        cleaned = _cleaned(text)
        try:
            value = float(cleaned)
        except ValueError:
            raise NumberError(NOT_A_NUMBER, str(text).strip()) from None
    if math.isfinite(value):
        return value
    if math.isnan(value):
        raise NumberError(NAN, str(text).strip())
    raise NumberError(INFINITE if _INFINITY.fullmatch(_cleaned(text)) else TOO_LARGE, str(text).strip())


def parse_whole(text: str) -> int:
    """The whole number `text` spells (same signs and spaces as parse_number, no point or exponent)."""
    cleaned = _cleaned(text)
    if not _WHOLE.fullmatch(cleaned):
        raise NumberError(NOT_WHOLE, str(text).strip())
    try:
        return int(cleaned)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise NumberError(TOO_LARGE, str(text).strip()) from None
