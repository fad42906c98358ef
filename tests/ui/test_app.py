"""Starting and closing the window: run_gui, closing mid-work, notifications, themes."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from releasemgr.sim import Simulator
from releasemgr.ui import style
from releasemgr.ui.app import apply_theme, dark_palette, run_gui
from releasemgr.ui.demo import DemoWorld, prepare_demo
from releasemgr.ui.mainwindow import MainWindow
from releasemgr.ui.pages.approvals import ApprovalsPage
from releasemgr.ui.tasks import TaskContext
from tests.ui.helpers import advance_until_waiting, open_window


def test_run_gui_opens_signed_in_and_returns_when_closed(qtbot: QtBot, sim: Simulator) -> None:
    seen: list[str] = []

    def prepare(window: MainWindow) -> None:
        prepare_demo(window, DemoWorld.from_simulator(sim))

        def close_when_signed_in(session: object) -> None:
            if session is not None:
                seen.append(window.user_label.text())
                QTimer.singleShot(0, window.close)

        window.controller.session_changed.connect(close_when_signed_in)

    assert run_gui(prepare=prepare) == 0
    assert seen and seen[0].startswith(sim.login_for_role("release-manager"))


def test_closing_the_window_mid_work_cancels_and_waits(qtbot: QtBot, sim: Simulator) -> None:
    window = open_window(qtbot, sim)
    started = threading.Event()
    stopped = threading.Event()
    delivered: list[object] = []

    def long_work(ctx: TaskContext) -> str:
        started.set()
        ctx.cancelled.wait(30)
        stopped.set()
        ctx.raise_if_cancelled()
        return "finished"

    window.controller.run_local("bench.long", long_work, delivered.append, delivered.append)
    assert started.wait(10)
    window.close()  # returns only once the worker has returned
    assert stopped.is_set()
    QApplication.processEvents()
    assert delivered == []
    assert not window.controller.tasks.busy


def test_a_new_gate_raises_a_notification_and_the_badge(qtbot: QtBot, sim: Simulator) -> None:
    window = open_window(qtbot, sim)
    page = window.page("Approvals")
    assert isinstance(page, ApprovalsPage)
    page.refresh()
    qtbot.waitUntil(lambda: page._seen is not None, timeout=20_000)
    assert window.badge_text("Approvals") == "Approvals"
    run_id = sim.push(branch="main", title="Notify me", actor="ada-dev")
    advance_until_waiting(sim, run_id)
    with qtbot.waitSignal(page.notify_requested, timeout=20_000) as blocker:
        window.refresh_background()  # what the poll timer does
    title, text = blocker.args
    assert title == "Waiting for your approval"
    assert text.startswith("canary-macos and canary-windows of run #")
    assert window.badge_text("Approvals") == "Approvals  (1)"
    assert window.statusBar().currentMessage().startswith("Waiting for your approval:")


def test_dark_theme_keeps_status_text_readable(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    try:
        apply_theme(app, "dark")
        palette = app.palette()
        assert style.is_dark(palette)
        for state in ("success", "failure", "running", "waiting", "pending"):
            back = style.background(state, palette)
            text = palette.color(QPalette.ColorRole.Text)
            assert abs(text.lightness() - back.lightness()) > 110, state
            fore = style.foreground(state, palette)
            base = palette.color(QPalette.ColorRole.Base)
            assert abs(fore.lightness() - base.lightness()) > 80, state
        apply_theme(app, "light")
        light = app.palette()
        assert not style.is_dark(light)
        for state in ("success", "failure", "running", "waiting", "pending"):
            back = style.background(state, light)
            text = light.color(QPalette.ColorRole.Text)
            assert abs(text.lightness() - back.lightness()) > 110, state
            fore = style.foreground(state, light)
            assert abs(fore.lightness() - light.color(QPalette.ColorRole.Base).lightness()) > 80
    finally:
        app.setPalette(before)
    assert dark_palette().color(QPalette.ColorRole.Window).lightness() < 60


def test_sign_out_from_the_menu_asks_then_clears_every_page(qtbot: QtBot, sim: Simulator) -> None:
    from releasemgr.ui.signin import attach_sign_in

    window = open_window(qtbot, sim)
    attach_sign_in(window, {})
    window.show_page("Pipeline")
    pipeline = window.page("Pipeline")
    qtbot.waitUntil(lambda: pipeline.runs.rowCount() > 0, timeout=20_000)  # type: ignore[attr-defined]
    window.sign_out_action.trigger()
    box = window.sign_out_box  # type: ignore[attr-defined]
    assert sim.login_for_role("release-manager") in box.text()
    with qtbot.waitSignal(window.controller.session_changed) as blocker:
        box.accept()
    assert blocker.args[0] is None
    assert window.user_label.text() == "Signed out"
    assert window.stack.currentWidget().objectName() == "signed_out"
    assert pipeline.runs.rowCount() == 0  # type: ignore[attr-defined]
    assert window.sign_in_action.isEnabled() and not window.sign_out_action.isEnabled()


def test_poll_interval_comes_from_the_settings(tmp_path: Path) -> None:
    from releasemgr.ui.app import poll_interval_ms

    env = {"RELEASEMGR_CONFIG_DIR": str(tmp_path)}
    assert poll_interval_ms(env) == 15_000
    (tmp_path / "config.toml").write_text("[ui]\npoll_interval = 5.0\n", encoding="utf-8")
    assert poll_interval_ms(env) == 5_000
    (tmp_path / "config.toml").write_text("[ui]\npoll_interval = 0.1\n", encoding="utf-8")
    assert poll_interval_ms(env) == 2_000
    (tmp_path / "config.toml").write_text("[ui\nbroken", encoding="utf-8")
    assert poll_interval_ms(env) == 15_000
