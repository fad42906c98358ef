"""Clicking through approvals against the real simulator over loopback.

Both canary gates in one action (one POST); production refusing a second approval from the
person who signed off and accepting another user's; a rejection.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from releasemgr.model import CellState, GateDecision, Platform, Stage
from releasemgr.sim import Simulator
from releasemgr.ui.mainwindow import MainWindow
from releasemgr.ui.pages.approvals import ApprovalsPage
from releasemgr.ui.pages.pipeline import PipelinePage
from tests.ui.helpers import (
    advance_until_completed,
    advance_until_waiting,
    open_window,
    switcher,
)


def _approvals(window: MainWindow) -> ApprovalsPage:
    page = window.page("Approvals")
    assert isinstance(page, ApprovalsPage)
    return page


def _wait_for_group(qtbot: QtBot, page: ApprovalsPage, run_id: int, stage: Stage) -> None:
    page.refresh()
    qtbot.waitUntil(lambda: page.select(run_id, stage), timeout=20_000)


def _decide(
    qtbot: QtBot, window: MainWindow, page: ApprovalsPage, approve: bool, comment: str
) -> tuple[GateDecision, str]:
    """Type the comment, press Approve/Reject, read and accept the confirmation."""
    page.comment.clear()
    qtbot.keyClicks(page.comment, comment)
    button = page.approve_button if approve else page.reject_button
    assert button.isEnabled(), page.reason.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = page.pending_confirmation
    assert dialog is not None, page.reason.text()
    text = dialog.text
    with qtbot.waitSignal(window.controller.gate_decided, timeout=20_000) as blocker:
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    decision = blocker.args[0]
    assert isinstance(decision, GateDecision)
    return decision, text


def _posts(sim: Simulator, run_id: int) -> int:
    path = f"/actions/runs/{run_id}/pending_deployments"
    return sum(1 for r in sim.requests if r.method == "POST" and r.path.endswith(path))


def test_both_canary_gates_in_one_action_then_production_needs_another_person(
    qtbot: QtBot, sim: Simulator
) -> None:
    run_id = sim.push(branch="main", title="Ship the window", actor="jun-dev")
    assert advance_until_waiting(sim, run_id) == ("canary-macos", "canary-windows")
    window = open_window(qtbot, sim)
    manager = window.controller.session
    assert manager is not None
    window.show_page("Approvals")
    page = _approvals(window)
    _wait_for_group(qtbot, page, run_id, Stage.CANARY)
    qtbot.waitUntil(lambda: window.badge_text("Approvals") == "Approvals  (1)")

    # Both canary gates: one confirmation that names both, one POST.
    assert set(page.chosen_platforms()) == {Platform.WINDOWS, Platform.MACOS}
    before = _posts(sim, run_id)
    decision, text = _decide(qtbot, window, page, True, "Canary go for both")
    assert "canary-macos and canary-windows" in text
    assert "10% of traffic" in text and manager.login in text
    assert decision.state == "approved"
    assert set(decision.environments) == {"canary-windows", "canary-macos"}
    assert _posts(sim, run_id) - before == 1
    qtbot.waitUntil(lambda: not page.select(run_id, Stage.CANARY), timeout=20_000)

    # Canary deploys and is monitored; the release manager signs production off (1 of 2).
    assert advance_until_waiting(sim, run_id) == ("production-signoff",)
    _wait_for_group(qtbot, page, run_id, Stage.PRODUCTION)
    group = page.selected()
    assert group is not None and group.is_signoff
    assert group.monitoring == CellState.SUCCESS
    decision, text = _decide(qtbot, window, page, True, "Canary healthy, signing off")
    assert "approval 1 of 2" in text and "someone other than you" in text
    assert decision.environments == ("production-signoff",)

    # The platform gates: the same person is refused, with the reason, in the window...
    waiting = advance_until_waiting(sim, run_id)
    assert set(waiting) >= {"production-windows", "production-macos"}
    page.refresh()
    qtbot.waitUntil(
        lambda: (
            page.select(run_id, Stage.PRODUCTION)
            and bool(page.selected())
            and not page.selected().is_signoff
        ),  # type: ignore[union-attr]
        timeout=20_000,
    )
    assert not page.approve_button.isEnabled()
    assert "someone else" in page.reason.text()
    assert page.ask(approve=True) is None
    assert window.badge_text("Approvals") == "Approvals"
    # ...and by GitHub, should the request be sent anyway.
    errors: list[str] = []
    window.controller.decide(run_id, Stage.PRODUCTION, True, "me again", on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=20_000)
    assert "someone else" in errors[0]
    assert "Traceback" not in errors[0]

    # Another user gives the second approval: production deploys on both platforms.
    approver = sim.login_for_role("approver")
    with qtbot.waitSignal(window.controller.session_changed, timeout=20_000):
        switcher(window).switch_to(approver)
    assert window.controller.session is not None
    assert window.controller.session.login == approver
    assert approver in window.user_label.text()
    _wait_for_group(qtbot, page, run_id, Stage.PRODUCTION)
    assert page.approve_button.isEnabled()
    decision, text = _decide(qtbot, window, page, True, "Second approval")
    assert "approval 2 of 2" in text and "100% of users" in text
    assert decision.user == approver
    assert set(decision.environments) == {"production-windows", "production-macos"}
    assert advance_until_completed(sim, run_id) == "success"

    # The pipeline page shows the finished run with production green on both platforms.
    window.show_page("Pipeline")
    pipeline = window.page("Pipeline")
    assert isinstance(pipeline, PipelinePage)
    pipeline.refresh()
    qtbot.waitUntil(lambda: pipeline.runs.row_of(run_id) is not None, timeout=20_000)
    pipeline.select_run(run_id)
    qtbot.waitUntil(
        lambda: (
            pipeline.detail is not None
            and pipeline.detail.run.id == run_id
            and pipeline.detail.run.state == CellState.SUCCESS
        ),
        timeout=20_000,
    )
    for platform in (Platform.WINDOWS, Platform.MACOS):
        assert pipeline.detail.cell(platform, Stage.PRODUCTION).state == CellState.SUCCESS


def test_a_rejection_fails_the_run(qtbot: QtBot, sim: Simulator) -> None:
    run_id = sim.push(branch="main", title="Risky change", actor="ada-dev")
    advance_until_waiting(sim, run_id)
    window = open_window(qtbot, sim)
    window.show_page("Approvals")
    page = _approvals(window)
    _wait_for_group(qtbot, page, run_id, Stage.CANARY)

    # Without a comment nothing is sent, and the page says why.
    page.comment.clear()
    assert page.ask(approve=False) is None
    assert "comment" in page.reason.text()

    decision, text = _decide(qtbot, window, page, False, "Crash on start in QA")
    assert text.startswith("Reject canary-macos and canary-windows of run")
    assert "cannot be undone" in text
    assert decision.state == "rejected"
    assert advance_until_completed(sim, run_id) == "failure"
    page.refresh()
    qtbot.waitUntil(lambda: not page.select(run_id, Stage.CANARY), timeout=20_000)


def test_cancelling_the_confirmation_sends_nothing(qtbot: QtBot, sim: Simulator) -> None:
    run_id = sim.push(branch="main", title="Maybe later", actor="ada-dev")
    advance_until_waiting(sim, run_id)
    window = open_window(qtbot, sim)
    window.show_page("Approvals")
    page = _approvals(window)
    _wait_for_group(qtbot, page, run_id, Stage.CANARY)
    qtbot.keyClicks(page.comment, "not yet")
    before = _posts(sim, run_id)
    dialog = page.ask(approve=True)
    assert dialog is not None
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert page.pending_confirmation is None
    assert _posts(sim, run_id) == before
    assert page.select(run_id, Stage.CANARY)


def test_a_reader_sees_why_they_cannot_approve(qtbot: QtBot, sim: Simulator) -> None:
    run_id = sim.push(branch="main", title="Needs a reviewer", actor="ada-dev")
    advance_until_waiting(sim, run_id)
    window = open_window(qtbot, sim, sim.login_for_role("reader"))
    window.show_page("Approvals")
    page = _approvals(window)
    _wait_for_group(qtbot, page, run_id, Stage.CANARY)
    assert not page.approve_button.isEnabled()
    assert not page.reject_button.isEnabled()
    assert page.reason.text().startswith("You are not a reviewer for canary-")
    assert window.badge_text("Approvals") == "Approvals"
