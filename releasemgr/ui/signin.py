"""The sign-in dialog: GitHub.com or an Enterprise server, a pasted token or the device flow."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from releasemgr.ui.controller import Controller, Session
from releasemgr.ui.style import monospace

GITHUB_API = "https://api.github.com"


def api_url_from(text: str) -> str:
    """The API URL for what a person typed: an Enterprise web URL gets ``/api/v3``.

    A URL that already names an API path, GitHub.com's API host, or a loopback address (a local
    simulator or proxy serves the API at its root) is taken as it is.
    """
    text = text.strip().rstrip("/")
    if not text:
        return GITHUB_API
    if "://" not in text:
        text = "https://" + text
    parsed = urllib.parse.urlparse(text)
    if parsed.netloc in ("github.com", "www.github.com", "api.github.com"):
        return GITHUB_API
    if "/api" in parsed.path or parsed.hostname in ("localhost", "127.0.0.1", "::1"):
        return text
    return text + "/api/v3"


class SignInDialog(QDialog):
    """Sign in to GitHub.com or an Enterprise server, by token or in the browser.

    The dialog only collects intents; the controller signs in on a worker thread and the dialog
    closes itself when ``session_changed`` brings a session.
    """

    def __init__(
        self,
        controller: Controller,
        api_url: str = GITHUB_API,
        repository: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.setWindowTitle("Sign in to GitHub")
        self.setMinimumWidth(460)

        self.dotcom = QRadioButton("GitHub.com")
        self.enterprise = QRadioButton("GitHub Enterprise Server")
        group = QButtonGroup(self)
        group.addButton(self.dotcom)
        group.addButton(self.enterprise)
        self.server = QLineEdit()
        self.server.setPlaceholderText("https://github.example.com")
        if api_url.rstrip("/") == GITHUB_API:
            self.dotcom.setChecked(True)
        else:
            self.enterprise.setChecked(True)
            self.server.setText(api_url)
        self.server.setEnabled(self.enterprise.isChecked())
        self.enterprise.toggled.connect(self.server.setEnabled)
        self.repository = QLineEdit(repository)
        self.repository.setPlaceholderText("owner/name")

        where = QFormLayout()
        hosts = QHBoxLayout()
        hosts.addWidget(self.dotcom)
        hosts.addWidget(self.enterprise)
        hosts.addStretch(1)
        where.addRow("Where", hosts)
        where.addRow("Server", self.server)
        where.addRow("Repository", self.repository)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._token_tab(), "Paste a token")
        self.tabs.addTab(self._device_tab(), "Sign in with the browser")
        self.remember = QCheckBox("Remember me in the system keychain")
        self.remember.setChecked(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("signin.error")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(where)
        layout.addWidget(self.tabs)
        layout.addWidget(self.remember)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        controller.session_changed.connect(self._on_session)
        controller.sign_in_failed.connect(self._on_failed)
        controller.device_code_ready.connect(self._on_device_code)
        controller.signing_in.connect(self._on_signing_in)

    def _token_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("ghp_… or github_pat_…")
        self.token.returnPressed.connect(self.submit_token)
        hint = QLabel(
            "A token with the <i>repo</i> scope (classic) or Actions and Deployments access."
        )
        hint.setWordWrap(True)
        self.token_button = QPushButton("Sign in")
        self.token_button.setDefault(True)
        self.token_button.clicked.connect(self.submit_token)
        form.addRow("Token", self.token)
        form.addRow("", hint)
        form.addRow("", self.token_button)
        return tab

    def _device_tab(self) -> QWidget:
        tab = QWidget()
        box = QVBoxLayout(tab)
        self.device_button = QPushButton("Get a code and open the browser")
        self.device_button.clicked.connect(self.start_device_flow)
        self.code_label = QLabel()
        font = monospace()
        font.setPointSize(font.pointSize() * 2)
        font.setBold(True)
        self.code_label.setFont(font)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.device_hint = QLabel()
        self.device_hint.setWordWrap(True)
        self.device_hint.setOpenExternalLinks(True)
        self.waiting = QProgressBar()
        self.waiting.setRange(0, 0)  # busy indicator while GitHub waits for the user
        self.waiting.setVisible(False)
        self.copy_button = QPushButton("Copy code")
        self.copy_button.setVisible(False)
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.code_label.text())
        )
        box.addWidget(self.device_button)
        box.addWidget(self.code_label)
        box.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignCenter)
        box.addWidget(self.device_hint)
        box.addWidget(self.waiting)
        box.addStretch(1)
        return tab

    # -- intents -------------------------------------------------------------------------------

    def api_url(self) -> str:
        """The API URL chosen in the dialog."""
        return GITHUB_API if self.dotcom.isChecked() else api_url_from(self.server.text())

    def _check_where(self) -> bool:
        repo = self.repository.text().strip()
        if repo.count("/") != 1 or not all(repo.split("/")):
            self.error.setText("Enter the repository as owner/name.")
            return False
        if self.enterprise.isChecked() and not self.server.text().strip():
            self.error.setText("Enter the address of your GitHub Enterprise server.")
            return False
        return True

    def submit_token(self) -> None:
        """Sign in with the pasted token."""
        token = self.token.text().strip()
        if not self._check_where():
            return
        if not token:
            self.error.setText("Paste a token first.")
            return
        self.error.clear()
        self.controller.sign_in(
            self.api_url(), self.repository.text().strip(), token, self.remember.isChecked()
        )

    def start_device_flow(self) -> None:
        """Ask GitHub for a code; the browser opens when it arrives."""
        if not self._check_where():
            return
        self.error.clear()
        self.code_label.clear()
        self.device_hint.setText("Asking GitHub for a code…")
        self.controller.sign_in_with_device(
            self.api_url(), self.repository.text().strip(), self.remember.isChecked()
        )

    def reject(self) -> None:
        """Cancel: stop any sign-in in progress."""
        self.controller.cancel_sign_in()
        super().reject()

    # -- answers -------------------------------------------------------------------------------

    def _on_device_code(self, code: object) -> None:
        user_code = str(getattr(code, "user_code", ""))
        uri = str(getattr(code, "verification_uri", ""))
        self.code_label.setText(user_code)
        self.copy_button.setVisible(True)
        self.device_hint.setText(
            f'Enter this code at <a href="{uri}">{uri}</a> (opened in your browser). '
            "This window signs you in as soon as you authorize it."
        )
        self.waiting.setVisible(True)
        self.adjustSize()  # the code and the wrapped hint need more room than the empty tab
        self.open_url(QUrl(uri))

    def _on_signing_in(self, busy: bool) -> None:
        self.token_button.setEnabled(not busy)
        self.device_button.setEnabled(not busy)
        self.waiting.setVisible(busy and bool(self.code_label.text()))
        if busy and self.tabs.currentIndex() == 0:
            self.error.setText("Signing in…")

    def _on_failed(self, message: str) -> None:
        self.waiting.setVisible(False)
        self.error.setText(message)

    def _on_session(self, session: Session | None) -> None:
        if session is not None:
            self.accept()


def attach_sign_in(window: object, env: Mapping[str, str]) -> None:
    """Wire the window's sign-in and sign-out requests to the dialog and the controller."""
    from releasemgr.ui.mainwindow import MainWindow

    assert isinstance(window, MainWindow)
    controller = window.controller

    def open_dialog() -> None:
        session = controller.session
        api_url = session.api_url if session else env.get("GITHUB_API_URL", GITHUB_API)
        repository = session.repository if session else env.get("GITHUB_REPOSITORY", "")
        dialog = SignInDialog(controller, api_url, repository, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.sign_in_dialog = dialog  # type: ignore[attr-defined]
        dialog.open()

    def sign_out() -> None:
        session = controller.session
        if session is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Sign out",
            f"Sign out {session.login} from {session.host} and remove the token from the "
            "system keychain?",
            QMessageBox.StandardButton.Cancel,
            window,
        )
        box.addButton("Sign out", QMessageBox.ButtonRole.AcceptRole)
        box.accepted.connect(lambda: controller.sign_out(forget=True))
        window.sign_out_box = box  # type: ignore[attr-defined]
        box.open()

    window.sign_in_requested.connect(open_dialog)
    window.sign_out_requested.connect(sign_out)
