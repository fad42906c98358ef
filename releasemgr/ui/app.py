"""Application set-up: the QApplication, a theme that follows the system, and ``run_gui``."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMessageLogContext, QSettings, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from releasemgr import __version__
from releasemgr.ui import resources

if TYPE_CHECKING:
    from releasemgr.ui.controller import Controller
    from releasemgr.ui.mainwindow import MainWindow

APP_NAME = "releasemgr"


def create_app(argv: list[str] | None = None) -> QApplication:
    """The one QApplication (reused when it exists), named, iconed and themed."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        app = QApplication(argv if argv is not None else sys.argv[:1])
        if app.platformName() == "offscreen":
            _quiet_offscreen_noise()
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName("Release Manager")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)
    apply_theme(app, os.environ.get("RELEASEMGR_THEME", ""))
    app.setWindowIcon(resources.icon("app"))
    return app


# Said by the offscreen platform (screenshots, self-test) each time a window is shown: not ours
# to fix and not worth a user's attention.
_OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints()"


def _quiet_offscreen_noise() -> None:
    """Drop the offscreen plugin's one routine warning; every other message still prints."""
    previous = None

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if message == _OFFSCREEN_NOISE:
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)


def apply_theme(app: QApplication, forced: str = "") -> None:
    """Follow the system's light or dark scheme (``forced`` "light"/"dark" overrides it).

    The native style already follows the system on Windows and macOS. Elsewhere (and offscreen)
    Fusion is used, with a dark palette when the system asks for dark.
    """
    hints = app.styleHints()
    scheme = hints.colorScheme()
    if forced == "dark":
        dark = True
    elif forced == "light":
        dark = False
    else:
        dark = scheme == Qt.ColorScheme.Dark
    if sys.platform.startswith("linux") or forced:
        app.setStyle("Fusion")
        app.setPalette(dark_palette() if dark else app.style().standardPalette())
    if not forced and not app.property("releasemgr.follows_scheme"):
        # Re-apply when the user flips the system theme while the window is open.
        app.setProperty("releasemgr.follows_scheme", True)
        hints.colorSchemeChanged.connect(lambda _s: apply_theme(app))


def dark_palette() -> QPalette:
    """A dark Fusion palette with enough contrast for text and status colours."""
    p = QPalette()
    window, base, text = QColor(37, 39, 43), QColor(28, 30, 33), QColor(226, 228, 232)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(44, 47, 52),
        QPalette.ColorRole.ToolTipBase: QColor(50, 53, 58),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor(140, 145, 152),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(48, 51, 56),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 110, 110),
        QPalette.ColorRole.Link: QColor(110, 170, 255),
        QPalette.ColorRole.Highlight: QColor(47, 111, 222),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Light: QColor(70, 74, 80),
        QPalette.ColorRole.Midlight: QColor(58, 61, 66),
        QPalette.ColorRole.Mid: QColor(44, 47, 52),
        QPalette.ColorRole.Dark: QColor(20, 21, 23),
        QPalette.ColorRole.Shadow: QColor(0, 0, 0),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    disabled = QColor(120, 124, 130)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def window_settings(env: Mapping[str, str] | None = None) -> QSettings:
    """Where the window remembers its geometry: an INI file beside the user's config."""
    from releasemgr.config import user_config_dir

    path = Path(user_config_dir(env)) / "window.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


def poll_interval_ms(env: Mapping[str, str]) -> int:
    """The status poll interval from the settings (``ui.poll_interval``), at least 2 s.

    Read once at start-up, before the event loop runs; a broken settings file is reported by
    the first sign-in, so here it only means the default.
    """
    from releasemgr import config
    from releasemgr.errors import InputError

    try:
        seconds = config.load(env=env).poll_interval
    except InputError:
        seconds = config.Config().poll_interval
    return int(max(2.0, seconds) * 1000)


def run_gui(
    env: Mapping[str, str] | None = None,
    *,
    api_url: str = "",
    repository: str = "",
    prepare: Callable[[MainWindow], object] | None = None,
    begin: Callable[[Controller], object] | None = None,
    argv: list[str] | None = None,
) -> int:
    """Open the window and run the event loop until it closes; returns the exit code.

    Without ``prepare`` the window restores a session from the environment or keychain in the
    background (``api_url``/``repository`` win over the settings), or offers to sign in.
    ``prepare(window)`` runs before the loop instead (the demo signs in and adds its user
    switcher there); ``begin(controller)`` runs before the window is built, so that work it
    starts (the demo's sign-in) overlaps with building it.
    """
    from releasemgr.ui.controller import Controller
    from releasemgr.ui.mainwindow import MainWindow
    from releasemgr.ui.signin import attach_sign_in

    env = dict(os.environ if env is None else env)
    app = create_app(argv)
    controller = Controller(env=env)
    if begin is not None:
        begin(controller)
    window = MainWindow(controller, settings=window_settings(env))
    stopped: list[bool] = []
    restore = _close_on_signals(window, stopped)
    previous_hook = sys.excepthook
    sys.excepthook = _sentence_hook(window, previous_hook)
    try:
        window.poll.setInterval(poll_interval_ms(env))
        attach_sign_in(window, env)
        if prepare is not None:
            prepare(window)
        else:
            controller.restore_session(api_url, repository)
        if stopped:  # interrupted before the loop ran: quit() would have had no effect
            window.close()
            return 0
        window.show()
        return int(app.exec())
    finally:
        restore()
        sys.excepthook = previous_hook


def _close_on_signals(window: MainWindow, stopped: list[bool]) -> Callable[[], None]:
    """Ctrl+C or SIGTERM in the terminal closes the window (cancelling its work) and quits.

    Python handles a signal only when it runs, so a light timer lets it run now and then while
    Qt waits for events. ``stopped`` gets an entry when a signal came. Returns a function that
    restores the previous handlers.
    """
    import signal

    from PySide6.QtCore import QTimer

    def shut() -> None:
        window.close()
        QApplication.quit()

    def close(_signum: int, _frame: object) -> None:
        # Only note it and post the work: Python may run this handler in the middle of a Qt call
        # (show(), a paint), and closing the window re-entrantly there can leave Qt looping in
        # quit() for ever. A posted call runs from the event loop, once it runs.
        stopped.append(True)
        QTimer.singleShot(0, shut)

    def wake_up() -> None:
        # Lets Python run now and then while Qt waits, so a pending signal is handled; if the
        # loop started after the posted call was dropped, close from here.
        if stopped:
            shut()

    previous = {sig: signal.signal(sig, close) for sig in (signal.SIGINT, signal.SIGTERM)}
    wake = QTimer(window)
    wake.setObjectName("app.signal_wake")
    wake.timeout.connect(wake_up)
    wake.start(250)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def _sentence_hook(window: MainWindow, previous: Callable[..., object]) -> Callable[..., None]:
    """An exception escaping a slot becomes a sentence in the status bar, not a traceback
    (``RELEASEMGR_DEBUG=1`` prints the traceback as well)."""
    from releasemgr.ui.errors import describe_error

    def hook(kind: type[BaseException], exc: BaseException, tb: object) -> None:
        if isinstance(exc, KeyboardInterrupt):
            window.close()
            QApplication.quit()
            return
        if os.environ.get("RELEASEMGR_DEBUG"):
            previous(kind, exc, tb)
        with contextlib.suppress(RuntimeError):  # the window is already gone
            window.show_error(describe_error(exc, window.controller.session))

    return hook
