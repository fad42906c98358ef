"""Render every page of the window to PNG, offscreen, once its data has arrived."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from releasemgr.ui.mainwindow import MainWindow

SETTLE_MS = 400  # quiet time after the last answer before a page counts as drawn
PAGE_TIMEOUT_S = 15.0


def spin_until(condition: Callable[[], bool], timeout_s: float, step_ms: int = 20) -> bool:
    """Run the event loop until ``condition()`` holds or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    while not condition():
        if time.monotonic() >= deadline:
            return False
        QTimer.singleShot(step_ms, loop.quit)
        loop.exec()
    return True


def wait_idle(window: MainWindow, timeout_s: float = PAGE_TIMEOUT_S) -> bool:
    """Wait until no request has been in flight for ``SETTLE_MS`` (chained loads included)."""
    controller = window.controller
    quiet_since: list[float] = [time.monotonic()]

    def idle() -> bool:
        now = time.monotonic()
        if controller.tasks.busy:
            quiet_since[0] = now
            return False
        return (now - quiet_since[0]) * 1000 >= SETTLE_MS

    return spin_until(idle, timeout_s)


def slug(title: str) -> str:
    """``"Pipeline"`` -> ``"pipeline"`` for file names."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "page"


def render_pages(window: MainWindow, out_dir: Path) -> list[Path]:
    """Show each page in turn, wait for its data, and save ``NN-title.png`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    window.show()
    for index, page in enumerate(window.pages):
        window.sidebar.setCurrentRow(index)
        wait_idle(window)
        stage = getattr(page, "prepare_screenshot", None)
        if callable(stage):
            stage()  # e.g. Verify checks a release so the picture shows verdicts
            wait_idle(window)
        QApplication.processEvents()
        title = str(getattr(type(page), "title", f"page {index + 1}"))
        path = out_dir / f"{index + 1:02d}-{slug(title)}.png"
        if not window.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written
