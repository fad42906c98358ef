"""Must show: one run from push to production through the HTTP API alone."""

from __future__ import annotations

from releasemgr.sim import Simulator
from tests.sim.conftest import REPO, Api


def _advance_until(sim: Simulator, api: Api, run_id: int, want: str, limit: int = 200) -> dict:
    for _ in range(limit):
        run = api.ok(f"{REPO}/actions/runs/{run_id}")
        if run["status"] == want:
            return run
        sim.advance(30)
    raise AssertionError(f"run {run_id} never became {want}")


def _env_ids(api: Api, run_id: int) -> dict[str, int]:
    pending = api.ok(f"{REPO}/actions/runs/{run_id}/pending_deployments")
    return {p["environment"]["name"]: p["environment"]["id"] for p in pending}


def test_push_to_production_over_http(sim: Simulator, api: Api) -> None:
    manager = api  # the release manager
    approver = api.as_user(sim.login_for_role("approver"))
    run_id = sim.push(branch="main", title="Ship the walkthrough")

    # Build, test and package run by themselves; both canary gates then wait together.
    _advance_until(sim, manager, run_id, "waiting")
    waiting = _env_ids(manager, run_id)
    assert set(waiting) == {"canary-windows", "canary-macos"}
    answer = manager.post(
        f"{REPO}/actions/runs/{run_id}/pending_deployments",
        {"environment_ids": list(waiting.values()), "state": "approved", "comment": "Canary go"},
    )
    assert answer.status == 200
    assert sorted(d["environment"] for d in answer.json()) == ["canary-macos", "canary-windows"]

    # Canary deploys, the monitor reports healthy, then production sign-off waits.
    _advance_until(sim, manager, run_id, "waiting")
    jobs = {j["name"]: j for j in manager.ok(f"{REPO}/actions/runs/{run_id}/jobs")["jobs"]}
    assert jobs["monitor"]["conclusion"] == "success"
    assert set(_env_ids(manager, run_id)) == {"production-signoff"}
    artifacts = manager.ok(f"{REPO}/actions/runs/{run_id}/artifacts")["artifacts"]
    assert any(a["name"].startswith("monitoring-report-") for a in artifacts)

    signoff = _env_ids(manager, run_id)["production-signoff"]
    answer = manager.post(
        f"{REPO}/actions/runs/{run_id}/pending_deployments",
        {"environment_ids": [signoff], "state": "approved", "comment": "Canary healthy"},
    )
    assert answer.status == 200

    # The platform gates wait; the person who signed off may not give the second approval.
    _advance_until(sim, manager, run_id, "waiting")
    production = _env_ids(manager, run_id)
    assert set(production) == {"production-windows", "production-macos"}
    pending = manager.ok(f"{REPO}/actions/runs/{run_id}/pending_deployments")
    assert not any(p["current_user_can_approve"] for p in pending)
    body = {"environment_ids": list(production.values()), "state": "approved", "comment": "me"}
    refused = manager.post(f"{REPO}/actions/runs/{run_id}/pending_deployments", body)
    assert refused.status == 422
    assert "someone else" in refused.json()["message"]
    assert set(_env_ids(manager, run_id)) == set(production)  # still waiting

    accepted = approver.post(
        f"{REPO}/actions/runs/{run_id}/pending_deployments", {**body, "comment": "Second approval"}
    )
    assert accepted.status == 200
    assert all(d["production_environment"] for d in accepted.json())

    run = _advance_until(sim, manager, run_id, "completed")
    assert run["conclusion"] == "success"
    history = manager.ok(f"{REPO}/actions/runs/{run_id}/approvals")
    approvers = {e["name"]: h["user"]["login"] for h in history for e in h["environments"]}
    assert approvers["production-signoff"] != approvers["production-windows"]
    names = [a["name"] for a in manager.ok(f"{REPO}/actions/runs/{run_id}/artifacts")["artifacts"]]
    assert any("-windows-production-" in n for n in names)
    assert any("-macos-production-" in n for n in names)
