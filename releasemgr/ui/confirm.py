"""A confirmation that says exactly what will happen, opened without blocking the event loop.

Dangerous actions (approve, reject, cancel, roll back) open a :class:`ConfirmDialog` with
``open()``, never ``exec()``: the loop keeps running, and a test can accept it directly.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget


class ConfirmDialog(QDialog):
    """Title, one paragraph of consequences, a named confirm button and Cancel."""

    def __init__(
        self,
        title: str,
        text: str,
        confirm_label: str,
        on_confirm: Callable[[], None],
        parent: QWidget | None = None,
        *,
        destructive: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("confirm")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(440)
        self.text = text
        heading = QLabel(title)
        font = heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        heading.setFont(font)
        body = QLabel(text)
        body.setObjectName("confirm.text")
        body.setWordWrap(True)
        body.setTextFormat(Qt.TextFormat.PlainText)
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.confirm_button = self.buttons.addButton(
            confirm_label, QDialogButtonBox.ButtonRole.AcceptRole
        )
        # The safe choice is the default: Enter on a dangerous confirmation cancels.
        target = self.cancel_button if destructive else self.confirm_button
        target.setDefault(True)
        target.setFocus()
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.accepted.connect(on_confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addWidget(self.buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
