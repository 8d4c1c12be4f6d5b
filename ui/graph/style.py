"""Colours, fonts and sizes shared by the graph items (Okabe–Ito colours, safe for colour-blind readers)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QFont, QFontMetricsF

from simulator.formatting import format_number

POSITIVE = QColor("#0072B2")        # blue: positive weight
NEGATIVE = QColor("#D55E00")        # vermillion: negative weight
ZERO = QColor("#8C8C8C")            # grey: a weight of exactly zero
HIGHLIGHT = QColor(240, 170, 0)     # amber: what the current step is about
HIGHLIGHT_HALO = QColor(240, 170, 0, 120)
SELECTION = QColor("#5B3A9E")       # purple: the keyboard/mouse selection
UPDATED = QColor("#007A55")         # bluish green: a value that was just updated
TEXT = QColor("#1A1A1A")
MUTED_TEXT = QColor("#555555")
LABEL_BACKGROUND = QColor(255, 255, 255, 225)
LABEL_BORDER = QColor(0, 0, 0, 60)
NEURON_FILL = QColor("#F4F7FB")
INPUT_FILL = QColor("#EAF2E3")
OUTPUT_FILL = QColor("#FBEFE4")
NEURON_BORDER = QColor("#3C4650")
SCENE_BACKGROUND = QColor("#FFFFFF")

#: How much larger than normal the graph is drawn: 1 normally, more in presentation mode (for a
#: projector). The sizes below follow it (`set_scale`); items multiply their own line widths by it.
SCALE = 1.0
_BASE_SIZES = {"LABEL_POINT_SIZE": 9.5, "NAME_POINT_SIZE": 12.0, "EDGE_MIN_WIDTH": 1.0, "EDGE_MAX_WIDTH": 5.0}
LABEL_POINT_SIZE = 9.5
NAME_POINT_SIZE = 12.0
EDGE_MIN_WIDTH = 1.0
EDGE_MAX_WIDTH = 5.0


def set_scale(scale: float) -> None:
    """Draw the graph `scale` times its normal size (fonts, lines, circles); the scene is built again after."""
    global SCALE
    SCALE = float(scale)
    for name, size in _BASE_SIZES.items():
        globals()[name] = size * SCALE
    label_metrics.cache_clear()


def label_font(bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(LABEL_POINT_SIZE)
    font.setBold(bold)
    return font


def legend_font(bold: bool = False) -> QFont:
    """The legend's font: the normal label size in every mode (presentation mode enlarges the graph's
    numbers, and leaves the key to them the room)."""
    font = QFont()
    font.setPointSizeF(_BASE_SIZES["LABEL_POINT_SIZE"])
    font.setBold(bold)
    return font


@cache
def label_metrics(bold: bool = False) -> QFontMetricsF:
    """Metrics of the label font (measured once: labels are measured on every refresh)."""
    return QFontMetricsF(label_font(bold))


def name_font() -> QFont:
    font = QFont()
    font.setPointSizeF(NAME_POINT_SIZE)
    return font


def sign_colour(value: float) -> QColor:
    if value > 0:
        return POSITIVE
    if value < 0:
        return NEGATIVE
    return ZERO


def exact(value: float) -> str:
    """A value at full precision for a tooltip, written like every other number (− for minus, −0 as 0)."""
    return format_number(value, 17)
