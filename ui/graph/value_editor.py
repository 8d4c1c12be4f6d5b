"""The inline editor of a weight or bias: a line edit over the item, Enter commits, Escape cancels."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QVBoxLayout, QWidget

ERROR_STYLE = "QLineEdit { border: 2px solid #C0392B; border-radius: 3px; padding: 1px 3px; }"
MESSAGE_STYLE = "QLabel { color: #A93226; background: #FDEDEC; border: 1px solid #E6B0AA; padding: 2px 4px; }"
#: Losing focus this way means the user went elsewhere: the edit is dropped, as with Escape.
_LEAVING = (Qt.FocusReason.MouseFocusReason, Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason)


class ValueEditor(QFrame):
    """Edits the value of parameter `name`, prefilled with `text`; reports what the user chose."""

    committed = Signal(str)    # Enter was pressed: the text to parse and apply
    cancelled = Signal()       # Escape was pressed or the user clicked elsewhere

    def __init__(self, name: str, text: str, parent: QWidget):
        super().__init__(parent)
        self.name = name
        self.setObjectName("valueEditor")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.line_edit = QLineEdit(text, self)
        self.line_edit.setObjectName("valueEditorLine")
        self.line_edit.setAccessibleName(f"Value of {name}")
        self.line_edit.setToolTip(f"New value of {name}: Enter to apply, Escape to cancel")
        self.line_edit.setMinimumWidth(self.line_edit.fontMetrics().horizontalAdvance("−0.000000000000000000") + 12)
        self.line_edit.selectAll()
        self.message_label = QLabel(self)
        self.message_label.setObjectName("valueEditorMessage")
        self.message_label.setStyleSheet(MESSAGE_STYLE)
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.line_edit)
        layout.addWidget(self.message_label)
        self.line_edit.textEdited.connect(lambda _text: self.clear_error())
        self.line_edit.installEventFilter(self)

    def text(self) -> str:
        return self.line_edit.text()

    def error_text(self) -> str:
        return self.message_label.text() if self.message_label.isVisible() else ""

    def show_error(self, message: str) -> None:
        """Keep the editor open with a red border and the reason beside it."""
        self.line_edit.setStyleSheet(ERROR_STYLE)
        self.message_label.setText(message)
        self.message_label.setMaximumWidth(max(self.line_edit.width(), 260))
        self.message_label.show()
        self.adjustSize()
        self.line_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def clear_error(self) -> None:
        if self.message_label.isVisible():
            self.line_edit.setStyleSheet("")
            self.message_label.hide()
            self.adjustSize()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.line_edit:
            if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                    and event.key() == Qt.Key.Key_Escape:
                self.cancelled.emit()
                return True
            # Enter is used up here: a line edit passes it on to its parents after returnPressed, and
            # the network view would take it as "edit the selected value" and open a new editor.
            if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                    and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.committed.emit(self.line_edit.text())
                return True
            if event.type() == QEvent.Type.FocusOut and isinstance(event, QFocusEvent) and event.reason() in _LEAVING:
                self.cancelled.emit()
        return super().eventFilter(watched, event)
