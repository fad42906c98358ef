"""The Pipeline page against the simulator: runs, the grid, a cell's steps and log, live updates,
re-running failed jobs and cancelling a run."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from releasemgr.model import CellState, Platform, Stage
from releasemgr.sim import Simulator
from releasemgr.ui.mainwindow import MainWindow
from releasemgr.ui.pages.pipeline import PipelinePage
from tests.ui.helpers import STEP_S, advance_until_completed, open_window, status_of


def _pipeline(qtbot: QtBot, window: MainWindow) -> PipelinePage:
    window.show_page("Pipeline")
    page = window.page("Pipeline")
    assert isinstance(page, PipelinePage)
    qtbot.waitUntil(lambda: page.runs.rowCount() > 0, timeout=20_000)
    return page


def _show_run(qtbot: QtBot, page: PipelinePage, run_id: int) -> None:
    qtbot.waitUntil(lambda: page.runs.row_of(run_id) is not None, timeout=20_000)
    page.select_run(run_id)
    qtbot.waitUntil(
        lambda: page.detail is not None and page.detail.run.id == run_id, timeout=20_000
    )


def _failed_run(sim: Simulator) -> int:
    with sim.world.lock:
        for run in sim.world.runs.values():
            if run.attempt.conclusion == "failure":
                return run.id
    raise AssertionError("the basic world has a failed run")


def test_grid_of_a_failed_run_shows_the_failing_cell_its_steps_and_log(
    qtbot: QtBot, sim: Simulator
) -> None:
    window = open_window(qtbot, sim)
    page = _pipeline(qtbot, window)
    run_id = _failed_run(sim)
    _show_run(qtbot, page, run_id)
    detail = page.detail
    assert detail is not None and detail.run.state == CellState.FAILURE
    assert detail.cell(Platform.MACOS, Stage.TEST).state == CellState.FAILURE
    assert detail.cell(Platform.WINDOWS, Stage.TEST).state == CellState.SUCCESS
    macos_row = list(detail.platforms).index(Platform.MACOS)
    item = page.grid.item(macos_row, list(Stage).index(Stage.TEST))
    assert item is not None and item.text().startswith("✗ Failed")
    assert page.grid.verticalHeaderItem(macos_row).text() == "macOS"

    # The failing cell is shown first: its steps, and the end of its log.
    page.select_cell(macos_row, Stage.TEST)
    assert page.selected_cell is not None and page.selected_cell.stage == Stage.TEST
    assert page.steps.count() > 0
    assert any(page.steps.item(i).text().startswith("✗") for i in range(page.steps.count()))
    qtbot.waitUntil(lambda: "audio drift" in page.log.toPlainText(), timeout=20_000)
    assert page.open_job_button.isEnabled()
    assert page.rerun_button.isEnabled()
    assert not page.cancel_button.isEnabled()


def test_rerun_failed_jobs_starts_a_new_attempt(qtbot: QtBot, sim: Simulator) -> None:
    window = open_window(qtbot, sim)
    page = _pipeline(qtbot, window)
    run_id = _failed_run(sim)
    _show_run(qtbot, page, run_id)
    with qtbot.waitSignal(window.controller.action_done, timeout=20_000) as blocker:
        qtbot.mouseClick(page.rerun_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "rerun"
    with sim.world.lock:
        run = sim.world.run(run_id)
        assert run is not None and run.attempt.number == 2
    qtbot.waitUntil(
        lambda: page.detail is not None and page.detail.run.attempt == 2, timeout=20_000
    )
    assert not page.detail.run.state.finished  # type: ignore[union-attr]
    assert page.cancel_button.isEnabled()


def test_live_updates_while_running_and_cancel(qtbot: QtBot, sim: Simulator) -> None:
    run_id = sim.push(branch="main", title="Watch me build", actor="jun-dev")
    sim.advance(STEP_S)
    window = open_window(qtbot, sim)
    page = _pipeline(qtbot, window)
    _show_run(qtbot, page, run_id)
    assert page.live.isActive(), "a running run is followed live"
    page.live.setInterval(50)  # the test need not wait the real three seconds per poll
    build = page.detail.cell(Platform.WINDOWS, Stage.BUILD).state  # type: ignore[union-attr]
    assert build in (CellState.QUEUED, CellState.RUNNING, CellState.PENDING)

    for _ in range(200):  # until the Windows build is done in the simulator
        assert status_of(sim, run_id)[0] != "completed"
        with sim.world.lock:
            run = sim.world.run(run_id)
            assert run is not None
            done = {j.name: j.conclusion for j in run.attempt.jobs}
        if done.get("build-windows") == "success":
            break
        sim.advance(STEP_S)
    qtbot.waitUntil(
        lambda: (
            page.detail is not None
            and page.detail.cell(Platform.WINDOWS, Stage.BUILD).state == CellState.SUCCESS
        ),
        timeout=20_000,
    )

    # Cancel: a confirmation that names the run; then the run ends cancelled.
    page.cancel_run()
    box = page.pending_confirmation
    assert box is not None and f"#{page.detail.run.number}" in box.text()  # type: ignore[union-attr]
    with qtbot.waitSignal(window.controller.action_done, timeout=20_000) as blocker:
        box.accept()
    assert blocker.args[0] == "cancel"
    assert advance_until_completed(sim, run_id) == "cancelled"
    qtbot.waitUntil(
        lambda: page.detail is not None and page.detail.run.state == CellState.CANCELLED,
        timeout=20_000,
    )
    qtbot.waitUntil(lambda: not page.live.isActive())


def test_rerun_one_failed_job_from_its_cell(qtbot: QtBot, sim: Simulator) -> None:
    window = open_window(qtbot, sim)
    page = _pipeline(qtbot, window)
    run_id = _failed_run(sim)
    _show_run(qtbot, page, run_id)
    macos_row = list(page.detail.platforms).index(Platform.MACOS)  # type: ignore[union-attr]
    page.select_cell(macos_row, Stage.TEST)
    assert page.rerun_job_button.isEnabled()
    page.select_cell(macos_row, Stage.BUILD)  # a green job is not offered again
    assert not page.rerun_job_button.isEnabled()
    page.select_cell(macos_row, Stage.TEST)
    failed_job = page.selected_cell.job_id  # type: ignore[union-attr]
    with qtbot.waitSignal(window.controller.action_done, timeout=20_000) as blocker:
        qtbot.mouseClick(page.rerun_job_button, Qt.MouseButton.LeftButton)
    kind, summary, details = blocker.args
    assert kind == "rerun" and "test-macos" in summary
    assert details["job_id"] == failed_job
    with sim.world.lock:
        run = sim.world.run(run_id)
        assert run is not None and run.attempt.number == 2
