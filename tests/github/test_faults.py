"""Faults from the simulator: retries for reads, no blind resend of writes, clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from releasemgr.config import Config
from releasemgr.errors import AuthError, NetworkError, NotFoundError, RateLimited
from releasemgr.github.service import ReleaseService
from releasemgr.model import Stage
from tests.github.conftest import Connect, advance_until, login_for, waiting_for


def approvals_by(service: ReleaseService, run_id: int, login: str) -> int:
    return sum(1 for a in service.run_detail(run_id).approvals if a.user == login)


@pytest.mark.parametrize("landed", [False, True])
def test_approval_after_a_502_is_sent_at_most_once(
    gh_sim: Any, connect_as: Connect, landed: bool
) -> None:
    rm = connect_as(gh_sim, "release-manager")
    me = login_for(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="Release")
    advance_until(gh_sim, rm, run_id, waiting_for("canary"))
    gh_sim.faults.once("*/pending_deployments", "502", method="POST", landed=landed)
    decision = rm.approve(run_id, Stage.CANARY, "ok")
    # Landed on the first try: re-read, saw it, did not resend. Not landed: resent once.
    assert decision.attempts == (1 if landed else 2)
    assert approvals_by(rm, run_id, me) == 1


def test_reads_retry_5xx_drops_and_secondary_limits(gh_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="x")
    for kind in ("502", "drop", "secondary", "reset"):
        gh_sim.faults.once(f"*/runs/{run_id}", kind, method="GET")
        assert rm.run_detail(run_id).run.id == run_id


def test_persistent_5xx_gives_up_with_a_network_error(gh_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(gh_sim, "release-manager")
    gh_sim.faults.set("503=1@/user")
    with pytest.raises(NetworkError, match="gave up after 4 tries"):
        rm.whoami()


def test_exhausted_rate_limit_names_the_reset_time(gh_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(gh_sim, "release-manager")
    gh_sim.faults.set("exhausted")
    with pytest.raises(RateLimited) as info:
        rm.list_runs()
    assert "rate limiting this user until" in str(info.value)
    assert info.value.reset_at is not None


def test_bad_token_and_missing_repository(gh_sim: Any) -> None:
    bad = ReleaseService.connect(
        api_url=gh_sim.api_url, repository=gh_sim.repository, token="ghp_wrong", config=Config()
    )
    with pytest.raises(AuthError, match="sign in again"):
        bad.list_runs()
    owner = gh_sim.repository.split("/")[0]
    good = ReleaseService.connect(
        api_url=gh_sim.api_url,
        repository=f"{owner}/nope",
        token=gh_sim.token(login_for(gh_sim, "release-manager")),
        config=Config(),
    )
    with pytest.raises(NotFoundError, match="not found"):
        good.list_runs()
    wrong_workflow = ReleaseService.connect(
        api_url=gh_sim.api_url,
        repository=gh_sim.repository,
        token=gh_sim.token(login_for(gh_sim, "release-manager")),
        config=Config(workflow="missing.yml"),
    )
    with pytest.raises(NotFoundError, match=r"missing\.yml"):
        wrong_workflow.list_runs()


def test_network_down(gh_sim: Any) -> None:
    service = ReleaseService.connect(
        api_url="http://127.0.0.1:9",
        repository="o/r",
        token="x",
        config=Config(),
        sleep=lambda _s: None,
    )
    with pytest.raises(NetworkError, match="cannot reach GitHub"):
        service.whoami()


@pytest.mark.slow
def test_rollback_dispatch_that_landed_behind_a_502_is_not_sent_again(
    demo_sim: Any, connect_as: Connect
) -> None:
    rm = connect_as(demo_sim, "release-manager")
    before = {r.id for r in rm.list_runs(50)}
    demo_sim.faults.once("*/dispatches", "502", method="POST", landed=True)
    started = rm.rollback()
    new = [r for r in rm.list_runs(50) if r.id not in before]
    assert [r.id for r in new] == [started.id]


def test_cancel_that_landed_behind_a_502_is_not_sent_again(
    gh_sim: Any, connect_as: Connect
) -> None:
    rm = connect_as(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="x")
    gh_sim.faults.once(f"*/runs/{run_id}/cancel", "502", method="POST", landed=True)
    rm.cancel(run_id)  # a second POST would answer 409 and raise ConflictError
    assert rm.run_detail(run_id).run.status == "completed"


def test_secondary_limit_on_an_approval_waits_then_resends_once(gh_sim: Any) -> None:
    waits: list[float] = []
    me = login_for(gh_sim, "release-manager")
    rm = ReleaseService.connect(
        api_url=gh_sim.api_url,
        repository=gh_sim.repository,
        token=gh_sim.token(me),
        config=Config(),
        sleep=waits.append,
    )
    run_id = gh_sim.push(branch="main", title="Release")
    advance_until(gh_sim, rm, run_id, waiting_for("canary"))
    gh_sim.faults.once("*/pending_deployments", "secondary", method="POST")
    decision = rm.approve(run_id, Stage.CANARY, "ok")
    assert decision.attempts == 2
    assert waits == [60.0]  # the simulator's Retry-After, honoured before the second POST
    assert approvals_by(rm, run_id, me) == 1
