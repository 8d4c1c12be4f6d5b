"""A whole-number spin box that says why it refused what was typed, instead of dropping it silently."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QSpinBox, QWidget


class RefusingSpinBox(QSpinBox):
    """A QSpinBox that emits `refused(message)` for a key it drops or a text it reverts on Return or focus-out."""

    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = "the value"

    def range_text(self) -> str:
        low = f"{self.minimum():,}" + (f" ({self.specialValueText()})" if self.specialValueText() else "")
        return f"a whole number from {low} to {self.maximum():,}"

    def _refuse(self, text: str) -> None:
        shown = text.strip() or "an empty field"
        self.refused.emit(f"{self.name} must be {self.range_text()}, not "
                          + (repr(shown[:40]) if text.strip() else shown))

    def validate(self, text: str, pos: int):
        result = super().validate(text, pos)
        state = result[0] if isinstance(result, tuple) else result
        if state == QValidator.State.Invalid:   # the key is dropped: say why
            self._refuse(text)
        return result

    def fixup(self, text: str) -> str:
        """Editing finished on a text that is not a value in range; Qt then shows the previous value again."""
        self._refuse(text)
        return super().fixup(text)
