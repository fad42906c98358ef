"""The use cases end to end against the simulator over real HTTP: nothing here is mocked."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from releasemgr.errors import Cancelled, ConflictError, PermissionDenied, UsageError
from releasemgr.model import CellState, Platform, Stage
from tests.github.conftest import Connect, advance_until, finished, login_for, waiting_for


def test_whoami_runs_and_grid(gh_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(gh_sim, "release-manager")
    assert rm.whoami().login == login_for(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="Add a feature")
    runs = rm.list_runs(5)
    assert runs[0].id == run_id and runs[0].title == "Add a feature"
    detail = rm.run_detail(run_id)
    assert len(detail.cells) == 12
    assert detail.cell(Platform.WINDOWS, Stage.BUILD).state in (
        CellState.QUEUED,
        CellState.RUNNING,
        CellState.PENDING,
    )
    assert rm.rate_limit().remaining > 0


def test_run_from_push_to_production_with_two_people(gh_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(gh_sim, "release-manager")
    approver = connect_as(gh_sim, "approver")
    run_id = gh_sim.push(branch="main", title="Release")
    detail = advance_until(gh_sim, rm, run_id, waiting_for("canary"))
    canary = [g for g in detail.waiting_gates if g.stage == Stage.CANARY]
    assert {g.platform for g in canary} == {Platform.WINDOWS, Platform.MACOS}
    assert all(g.progress == "0 of 1" for g in canary)

    decision = rm.approve(run_id, Stage.CANARY, "canary looks fine")
    assert set(decision.environments) == {"canary-windows", "canary-macos"}
    assert decision.attempts == 1

    detail = advance_until(gh_sim, rm, run_id, waiting_for("production"))
    signoff = detail.waiting_gates[0]
    assert signoff.environment == "production-signoff" and signoff.progress == "0 of 2"
    rm.approve(run_id, Stage.PRODUCTION, "signed off")

    detail = advance_until(
        gh_sim,
        rm,
        run_id,
        lambda d: any(
            g.environment.startswith("production-") and g.platform for g in d.waiting_gates
        ),
    )
    gates = [g for g in detail.waiting_gates if g.platform is not None]
    assert all(g.progress == "1 of 2" and not g.may_approve for g in gates)
    with pytest.raises(PermissionDenied, match="must come from someone else"):
        rm.approve(run_id, Stage.PRODUCTION, "me again")

    pending = approver.pending_gates()
    mine = [g for g in pending if g.run.id == run_id]
    assert mine and all(g.may_approve for g in mine)
    approver.approve(run_id, Stage.PRODUCTION, "second pair of eyes")
    detail = advance_until(gh_sim, rm, run_id, finished)
    assert detail.run.state == CellState.SUCCESS
    assert detail.cell(Platform.MACOS, Stage.PRODUCTION).state == CellState.SUCCESS


def test_reject_fails_the_run(gh_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="Risky")
    advance_until(gh_sim, rm, run_id, waiting_for("canary"))
    decision = rm.reject(run_id, Stage.CANARY, "not today", [Platform.WINDOWS])
    assert decision.environments == ("canary-windows",)
    detail = rm.run_detail(run_id)
    assert [g.environment for g in detail.waiting_gates] == ["canary-macos"]
    assert rm.reject(run_id, Stage.CANARY, "nor here").environments == ("canary-macos",)
    detail = advance_until(gh_sim, rm, run_id, finished)
    assert detail.run.state == CellState.FAILURE


def test_reader_may_not_approve_and_nothing_waiting_is_a_conflict(
    gh_sim: Any, connect_as: Connect
) -> None:
    rm = connect_as(gh_sim, "release-manager")
    reader = connect_as(gh_sim, "reader")
    run_id = gh_sim.push(branch="main", title="Release")
    with pytest.raises(ConflictError, match="no canary gate is waiting"):
        rm.approve(run_id, Stage.CANARY, "too early")
    advance_until(gh_sim, rm, run_id, waiting_for("canary"))
    with pytest.raises(PermissionDenied, match="not a reviewer"):
        reader.approve(run_id, Stage.CANARY, "let me")


def test_repeated_status_poll_costs_no_rate_limit(gh_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(gh_sim, "release-manager")
    for n in range(3):
        gh_sim.push(branch="main", title=f"change {n}")
    gh_sim.advance(600)
    first = rm.status_grid(20)
    spent = rm.gateway.counters.points
    remaining = rm.rate_limit().remaining
    again = rm.status_grid(20)
    assert [d.run.id for d in again] == [d.run.id for d in first]
    assert rm.gateway.counters.points == spent
    assert rm.rate_limit().remaining == remaining
    assert rm.gateway.counters.not_modified >= len(first) + 1


def test_setup_environments_is_idempotent(gh_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(gh_sim, "release-manager")
    reviewers = (login_for(gh_sim, "release-manager"), login_for(gh_sim, "approver"))
    first = connect_as(gh_sim, "release-manager", reviewers=reviewers).setup_environments()
    second = connect_as(gh_sim, "release-manager", reviewers=reviewers).setup_environments()
    assert second == []
    assert first and all("prevent_self_review on" in line for line in first)
    assert rm.setup_environments() == []  # keeping the existing reviewers changes nothing either
    with pytest.raises(PermissionDenied, match="admin"):
        connect_as(gh_sim, "reader", reviewers=reviewers[:1]).setup_environments()


def test_reader_may_not_cancel(gh_sim: Any, connect_as: Connect) -> None:
    run_id = gh_sim.push(branch="main", title="Mine")
    with pytest.raises(PermissionDenied, match=f"cancelling run {run_id}"):
        connect_as(gh_sim, "reader").cancel(run_id)


def test_one_service_serves_several_threads(gh_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(gh_sim, "release-manager")
    runs = [gh_sim.push(branch="main", title=f"t{n}") for n in range(4)]
    gh_sim.advance(120)
    expected = {run_id: rm.run_detail(run_id).cells for run_id in runs}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda r: (r, rm.run_detail(r).cells), runs * 3))
    assert all(cells == expected[run_id] for run_id, cells in results)


def test_log_tail_rerun_and_cancel(gh_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="Logs")
    detail = advance_until(
        gh_sim, rm, run_id, lambda d: d.cell(Platform.WINDOWS, Stage.BUILD).state.finished
    )
    job_id = detail.cell(Platform.WINDOWS, Stage.BUILD).job_id
    assert job_id is not None
    tail = rm.job_log_tail(job_id, lines=5)
    assert 0 < len(tail.splitlines()) <= 5
    rm.cancel(run_id)
    detail = advance_until(gh_sim, rm, run_id, finished)
    assert detail.run.state == CellState.CANCELLED
    with pytest.raises(ConflictError):
        rm.cancel(run_id)
    rm.rerun_failed(run_id)
    assert rm.run_detail(run_id).run.attempt == 2


def test_artifact_by_name_prefix_download_and_cancel(
    gh_sim: Any, connect_as: Connect, tmp_path: Path
) -> None:
    qa = connect_as(gh_sim, "qa")
    run_id = gh_sim.push(branch="main", title="Package")
    advance_until(
        gh_sim, qa, run_id, lambda d: d.cell(Platform.MACOS, Stage.PACKAGE).state.finished
    )
    with pytest.raises(UsageError, match="matches several"):
        qa.artifact_for(run_id=run_id, name="ZyraVideoAgentBackend-")
    ref = qa.artifact_for(run_id=run_id, name="ZyraVideoAgentBackend-macos-release")
    assert ref.name.startswith("ZyraVideoAgentBackend-macos-release-") and ref.digest
    with pytest.raises(Cancelled):
        qa.download(ref, tmp_path / "cancelled", cancel=lambda: True)
    assert not any((tmp_path / "cancelled").iterdir())
    folder = qa.download(ref, tmp_path / "ok")
    assert folder == tmp_path / "ok" / ref.name and folder.is_dir()
