"""The main window: pages from the registry, badges, shortcuts, layout remembered, signed out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from releasemgr.ui.controller import Controller
from releasemgr.ui.mainwindow import MainWindow
from releasemgr.ui.pages import PAGES, load_pages


class CountingPage(QWidget):
    """A page that counts its refreshes and keeps a badge."""

    title = "Counting"
    icon_name = "approvals"
    badge_changed = Signal(int)

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.refreshes = 0
        self.approvals = 0

    def refresh(self) -> None:
        self.refreshes += 1

    def approve_selected(self) -> None:
        self.approvals += 1


class OfflinePage(QWidget):
    """A page that works without a session."""

    title = "Offline"
    icon_name = "verify"
    needs_session = False

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.refreshes = 0

    def refresh(self) -> None:
        self.refreshes += 1


@pytest.fixture
def controller() -> Iterator[Controller]:
    ctl = Controller()
    yield ctl
    assert ctl.shutdown(10_000)


def _window(qtbot: QtBot, controller: Controller, settings: QSettings | None = None) -> MainWindow:
    window = MainWindow(controller, settings=settings, pages=[OfflinePage, CountingPage])
    qtbot.addWidget(window)
    return window


def test_every_registered_page_loads_and_follows_the_protocol(
    qtbot: QtBot, controller: Controller
) -> None:
    factories = load_pages()
    assert [f"{f.__module__.rsplit('.', 1)[1]}:{f.__name__}" for f in factories] == list(PAGES)
    window = MainWindow(controller)
    qtbot.addWidget(window)
    for factory, page in zip(factories, window.pages, strict=True):
        assert isinstance(factory.title, str) and factory.title
        assert isinstance(factory.icon_name, str) and factory.icon_name
        assert callable(getattr(page, "refresh", None))
        assert not window.sidebar.item(window.pages.index(page)).icon().isNull(), factory.title


def test_signed_out_shows_sign_in_except_on_offline_pages(
    qtbot: QtBot, controller: Controller
) -> None:
    window = _window(qtbot, controller)
    offline, counting = window.pages
    window.show_page("Offline")
    assert window.stack.currentWidget() is offline
    assert offline.refreshes >= 1  # type: ignore[attr-defined]
    window.show_page("Counting")
    assert window.stack.currentWidget().objectName() == "signed_out"
    assert counting.refreshes == 0  # type: ignore[attr-defined]
    assert window.user_label.text() == "Signed out"
    with qtbot.waitSignal(window.sign_in_requested):
        window.sign_in_action.trigger()


def test_badges_and_shortcuts(qtbot: QtBot, controller: Controller) -> None:
    window = _window(qtbot, controller)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # window shortcuts fire only in the active window
    counting = window.page("Counting")
    counting.badge_changed.emit(3)  # type: ignore[attr-defined]
    assert window.badge_text("Counting") == "Counting  (3)"
    assert window.sidebar.item(1).font().bold()
    counting.badge_changed.emit(0)  # type: ignore[attr-defined]
    assert window.badge_text("Counting") == "Counting"

    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.sidebar.currentRow() == 1
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.sidebar.currentRow() == 0
    offline = window.page("Offline")
    before = offline.refreshes  # type: ignore[attr-defined]
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert offline.refreshes == before + 1  # type: ignore[attr-defined]
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_A, ctrl_shift)
    assert window.sidebar.currentRow() == 1
    assert counting.approvals == 1  # type: ignore[attr-defined]


def test_geometry_and_page_are_remembered(
    qtbot: QtBot, controller: Controller, tmp_path: Path
) -> None:
    path = str(tmp_path / "window.ini")
    first = _window(qtbot, controller, QSettings(path, QSettings.Format.IniFormat))
    first.show()
    first.resize(720, 520)
    qtbot.waitUntil(lambda: first.width() == 720)
    first.sidebar.setCurrentRow(1)
    first.close()
    assert Path(path).is_file()

    second = _window(qtbot, controller, QSettings(path, QSettings.Format.IniFormat))
    second.show()
    qtbot.waitExposed(second)
    assert (second.width(), second.height()) == (720, 520)
    assert second.sidebar.currentRow() == 1


def test_notify_falls_back_to_the_status_bar(qtbot: QtBot, controller: Controller) -> None:
    window = _window(qtbot, controller)
    window.notify("Waiting for your approval", "canary-macos of run #41")
    assert window.statusBar().currentMessage() == (
        "Waiting for your approval: canary-macos of run #41"
    )
