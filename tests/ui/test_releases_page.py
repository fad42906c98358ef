"""The Releases page against the simulator: download, verify, smoke test, cancel, roll back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from releasemgr.activity import ActivityKind, ActivityLog, Outcome
from releasemgr.config import Config
from releasemgr.github.service import ReleaseService
from releasemgr.model import Channel, Platform, Release, ReleaseBoard, RunSummary
from releasemgr.ui.controller import Controller, Session
from releasemgr.ui.pages.releases import ReleasesPage
from releasemgr.ui.pages.releases_logic import rollback_targets


@pytest.fixture(scope="module")
def demo_sim() -> Iterator[Any]:
    """One demo world for the module: these tests read releases and add runs, never conflict."""
    from releasemgr.sim import Simulator

    sim = Simulator(seed=1, scenario="demo")
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def controller() -> Iterator[Controller]:
    ctl = Controller()
    yield ctl
    assert ctl.shutdown(20_000)


def _sign_in(controller: Controller, sim: Any, role: str) -> None:
    login = sim.login_for_role(role)
    service = ReleaseService.connect(
        api_url=sim.api_url, repository=sim.repository, token=sim.token(login), config=Config()
    )
    controller.adopt(
        service,
        Session(login=login, host="127.0.0.1", api_url=sim.api_url, repository=sim.repository),
    )


@pytest.fixture
def page(qtbot: QtBot, controller: Controller, tmp_path: Path) -> ReleasesPage:
    widget = ReleasesPage(controller)
    widget.download_dir = tmp_path / "downloads"
    widget.opened: list[str] = []  # type: ignore[misc]
    widget.open_url = lambda url: widget.opened.append(url.toLocalFile()) or True  # type: ignore[attr-defined]
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    return widget


def _load(qtbot: QtBot, page: ReleasesPage) -> ReleaseBoard:
    with qtbot.waitSignal(page.board_loaded, timeout=20_000) as blocker:
        page.refresh()
    board = blocker.args[0]
    assert isinstance(board, ReleaseBoard)
    return board


def _production(board: ReleaseBoard, platform: Platform) -> Release:
    release = board.current_for(Channel.STABLE, platform)
    assert release is not None, f"the demo world has a production release for {platform}"
    return release


def test_board_shows_each_channel_and_platform(
    qtbot: QtBot, demo_sim: Any, controller: Controller, page: ReleasesPage
) -> None:
    _sign_in(controller, demo_sim, "qa")
    board = _load(qtbot, page)
    windows = _production(board, Platform.WINDOWS)
    rows = {
        (page.board_table.item(r, 0).text(), page.board_table.item(r, 1).text()): r
        for r in range(page.board_table.rowCount())
    }
    row = rows[("Production", "windows")]
    assert page.board_table.item(row, 2).text() == windows.version
    assert page.board_table.item(row, 3).text() == windows.short_commit
    assert page.board_table.item(row, 6).text() == f"{windows.traffic_percentage}%"
    assert ("Canary", "macos") in rows
    assert page.history_table.rowCount() == len(board.history)
    assert page.rollback_combo.currentData() == board.previous_production_run()

    # The current production release is preselected; a pick in the history survives a poll.
    assert page.selected == board.current_for(Channel.STABLE, Platform.WINDOWS)
    page.history_table.selectRow(3)
    picked = page.selected
    assert picked == board.history[3]
    _load(qtbot, page)
    assert page.selected == picked
    assert page.history_table.selectedItems()[0].row() == 3


def test_download_verify_and_smoke_test_a_release(
    qtbot: QtBot, demo_sim: Any, controller: Controller, page: ReleasesPage
) -> None:
    _sign_in(controller, demo_sim, "qa")
    board = _load(qtbot, page)
    release = _production(board, Platform.WINDOWS)
    page.board_table.selectRow(
        next(
            r
            for r in range(page.board_table.rowCount())
            if page.board_table.item(r, 1).text() == "windows"
            and page.board_table.item(r, 0).text() == "Production"
        )
    )
    assert page.selected == release
    assert not page.verify_button.isEnabled()

    with qtbot.waitSignal(page.downloaded, timeout=30_000) as done:
        page.download_button.click()
    folder = done.args[0]
    assert isinstance(folder, Path) and folder.is_dir()
    assert (folder / "checksums.txt").is_file()
    assert "Downloaded and checked" in page.status_label.text()
    assert not [p for p in page.download_dir.iterdir() if ".part" in p.name]

    with qtbot.waitSignal(page.verified, timeout=30_000) as done:
        page.verify_button.click()
    assert done.args[0].ok
    assert page.status_label.text().startswith("Verified")

    with qtbot.waitSignal(page.smoke_tested, timeout=60_000) as done:
        page.smoke_button.click()
    report = done.args[0]
    assert report.passed, page.report_view.toPlainText()
    text = page.report_view.toPlainText()
    assert text.startswith("PASS")
    assert "--version" in text and "--self-test" in text
    kept = folder.with_name(f"{folder.name}.smoke.json")
    assert kept.is_file()
    assert str(kept) in page.status_label.text()

    page.open_button.click()
    assert page.opened == [str(folder)]  # type: ignore[attr-defined]

    def logged() -> list[ActivityKind]:
        # Recorded on the pool, so the file may hold them in any order; each carries its time.
        return [e.kind for e in sorted(ActivityLog().read().events, key=lambda e: e.at)]

    qtbot.waitUntil(
        lambda: (
            logged() == [ActivityKind.DOWNLOAD, ActivityKind.VERIFICATION, ActivityKind.SMOKE_TEST]
        )
    )
    events = ActivityLog().read().events
    assert all(e.outcome is Outcome.OK for e in events)
    assert all(e.run_id == release.run_id and e.user for e in events)


def test_cancelled_download_leaves_nothing(
    qtbot: QtBot, demo_sim: Any, controller: Controller, page: ReleasesPage
) -> None:
    _sign_in(controller, demo_sim, "qa")
    board = _load(qtbot, page)
    page.select(_production(board, Platform.MACOS))
    # The zip request waits a second at the server, so the cancel lands mid-download.
    demo_sim.faults.set("latency=1s@/repos/*/actions/artifacts/*/zip")
    try:
        page.download()
        assert page.cancel_button.isVisibleTo(page)
        page.cancel_button.click()
        assert "cancelled; nothing was kept" in page.status_label.text()
        assert page.download_button.isEnabled()
        assert controller.tasks.wait(20_000)
    finally:
        demo_sim.faults.clear()
    leftovers = list(page.download_dir.rglob("*")) if page.download_dir.exists() else []
    assert [p for p in leftovers if not p.name.endswith(".releasemgr.json")] == []
    qtbot.waitUntil(lambda: len(ActivityLog().read().events) == 1)
    assert ActivityLog().read().events[0].outcome is Outcome.CANCELLED


def test_rollback_confirms_exactly_and_shows_the_run(
    qtbot: QtBot, demo_sim: Any, controller: Controller, page: ReleasesPage
) -> None:
    _sign_in(controller, demo_sim, "release-manager")
    board = _load(qtbot, page)
    target_run = board.previous_production_run()
    assert target_run is not None
    target = next(r for r in rollback_targets(board) if r.run_id == target_run)
    current = _production(board, Platform.WINDOWS)

    page.rollback_button.click()
    dialog = page.pending_confirmation
    assert dialog is not None
    assert f"run #{target.run_number}" in dialog.text
    assert target.version in dialog.text and target.short_commit in dialog.text
    assert current.version in dialog.text
    assert "two different people" in dialog.text
    assert dialog.cancel_button.isDefault()  # Enter does not roll production back

    with qtbot.waitSignal(page.rollback_started, timeout=20_000) as started:
        dialog.confirm_button.click()
    run = started.args[0]
    assert isinstance(run, RunSummary)
    assert f"#{run.number}" in page.rollback_label.text()
    qtbot.waitUntil(
        lambda: any(e.kind is ActivityKind.ROLLBACK for e in ActivityLog().read().events)
    )
    event = next(e for e in ActivityLog().read().events if e.kind is ActivityKind.ROLLBACK)
    assert event.run_id == run.id
    assert event.details["target_run_id"] == target_run


def test_reader_cannot_roll_back_and_is_told_why(
    qtbot: QtBot, demo_sim: Any, controller: Controller, page: ReleasesPage
) -> None:
    _sign_in(controller, demo_sim, "reader")
    _load(qtbot, page)
    page.rollback_button.click()
    dialog = page.pending_confirmation
    assert dialog is not None
    with qtbot.waitSignal(page.failed, timeout=20_000) as failed:
        dialog.confirm_button.click()
    assert "Traceback" not in failed.args[0]
    assert page.rollback_label.text().startswith("The rollback was not started.")
    assert page.rollback_button.isEnabled()


def test_closing_mid_download_cancels_and_leaves_no_partial_file(
    qtbot: QtBot, demo_sim: Any, controller: Controller, page: ReleasesPage
) -> None:
    _sign_in(controller, demo_sim, "qa")
    board = _load(qtbot, page)
    page.select(_production(board, Platform.WINDOWS))
    demo_sim.faults.set("latency=1s@/repos/*/actions/artifacts/*/zip")
    try:
        page.download()
        assert page.downloading is not None
        page.shutdown()  # what the window does on close, before the controller stops
        assert controller.shutdown(20_000)
    finally:
        demo_sim.faults.clear()
    leftovers = list(page.download_dir.rglob("*")) if page.download_dir.exists() else []
    assert [p for p in leftovers if not p.name.endswith(".releasemgr.json")] == []


def test_a_dropped_transfer_resumes_and_a_corrupt_one_keeps_nothing(
    qtbot: QtBot, demo_sim: Any, controller: Controller, page: ReleasesPage
) -> None:
    _sign_in(controller, demo_sim, "qa")
    board = _load(qtbot, page)
    canary = board.current_for(Channel.CANARY, Platform.MACOS)
    assert canary is not None
    page.select(canary)
    demo_sim.faults.once("/artifacts/*.zip", "corrupt")
    with qtbot.waitSignal(page.failed, timeout=30_000) as failed:
        page.download_button.click()
    assert "Could not download" in failed.args[0]
    assert "Traceback" not in failed.args[0]
    leftovers = list(page.download_dir.rglob("*")) if page.download_dir.exists() else []
    assert leftovers == []
    assert page.download_button.isEnabled()  # the person can try again

    demo_sim.faults.once("/artifacts/*.zip", "drop")
    with qtbot.waitSignal(page.downloaded, timeout=30_000) as done:
        page.download_button.click()
    assert (done.args[0] / "checksums.txt").is_file()
