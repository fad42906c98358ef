"""How runs behave: gates, rejections, failures, cancel, re-runs, dispatch, rollback, rules."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest

from releasemgr.sim import Simulator
from tests.sim.conftest import REPO, Api, request

DAY = 86_400


def _jobs(api: Api, run_id: int, which: str = "latest") -> dict[str, dict]:
    jobs = api.ok(f"{REPO}/actions/runs/{run_id}/jobs?filter={which}&per_page=100")["jobs"]
    return {j["name"]: j for j in jobs}


def _review(
    api: Api, run_id: int, envs: set[str] | None, state: str = "approved", comment: str = "ok"
):
    path = f"{REPO}/actions/runs/{run_id}/pending_deployments"
    pending = api.ok(path)
    ids = [
        p["environment"]["id"] for p in pending if envs is None or p["environment"]["name"] in envs
    ]
    return api.post(path, {"environment_ids": ids, "state": state, "comment": comment})


def _run(api: Api, run_id: int) -> dict:
    return api.ok(f"{REPO}/actions/runs/{run_id}")


def _to_production_gates(sim: Simulator, api: Api, run_id: int) -> None:
    sim.advance(3600)
    assert _review(api, run_id, None).status == 200  # canary
    sim.advance(1800)
    assert _review(api, run_id, {"production-signoff"}).status == 200
    sim.advance(600)


def test_rejecting_the_canary_fails_the_run(sim: Simulator, api: Api) -> None:
    run_id = sim.push(title="Risky")
    sim.advance(3600)
    answer = _review(api, run_id, None, "rejected", "Crashes on start")
    assert answer.status == 200 and len(answer.json()) == 2
    sim.advance(600)
    run = _run(api, run_id)
    assert (run["status"], run["conclusion"]) == ("completed", "failure")
    jobs = _jobs(api, run_id)
    assert jobs["deploy-canary-windows"]["conclusion"] == "failure"
    assert jobs["monitor"]["conclusion"] == "skipped"
    dep = api.ok(f"{REPO}/deployments?environment=canary-windows")[0]
    assert api.ok(f"{REPO}/deployments/{dep['id']}/statuses")[0]["state"] == "failure"
    history = api.ok(f"{REPO}/actions/runs/{run_id}/approvals")
    assert history[0]["state"] == "rejected" and history[0]["comment"] == "Crashes on start"


def test_a_failed_job_skips_what_needs_it(sim: Simulator, api: Api) -> None:
    run_id = sim.push(title="Broken on mac", fail={"test-macos": "font glyph missing"})
    sim.advance(3600)
    jobs = _jobs(api, run_id)
    assert jobs["test-macos"]["conclusion"] == "failure"
    failed_step = next(s for s in jobs["test-macos"]["steps"] if s["conclusion"] == "failure")
    assert failed_step["name"] == "Run test suite"
    assert jobs["package-macos"]["conclusion"] == "skipped"
    assert jobs["deploy-canary-windows"]["conclusion"] == "skipped"
    assert jobs["package-windows"]["conclusion"] == "success"
    assert _run(api, run_id)["conclusion"] == "failure"
    assert api.ok(f"{REPO}/actions/runs/{run_id}/pending_deployments") == []


def test_other_branches_stop_after_packaging(sim: Simulator, api: Api) -> None:
    run_id = sim.push(branch="develop", title="Experiment")
    sim.advance(3600)
    jobs = _jobs(api, run_id)
    assert jobs["package-macos"]["conclusion"] == "success"
    assert all(jobs[n]["conclusion"] == "skipped" for n in ("deploy-canary-windows", "monitor"))
    assert _run(api, run_id)["conclusion"] == "success"


def test_jobs_progress_with_the_clock(sim: Simulator, api: Api) -> None:
    run_id = sim.push(title="Tick")
    assert _run(api, run_id)["status"] == "queued"
    sim.advance(60)
    jobs = _jobs(api, run_id)
    assert set(jobs) == {"build-windows", "build-macos"}
    assert jobs["build-windows"]["status"] == "in_progress"
    steps = jobs["build-windows"]["steps"]
    assert steps[0]["status"] == "completed" and steps[-1]["status"] == "queued"
    assert _run(api, run_id)["status"] == "in_progress"


def test_cancel_and_rerun(sim: Simulator, api: Api) -> None:
    run_id = sim.push(title="Cancel me")
    sim.advance(60)
    assert api.post(f"{REPO}/actions/runs/{run_id}/rerun").status == 403  # still running
    assert api.post(f"{REPO}/actions/runs/{run_id}/cancel").status == 202
    run = _run(api, run_id)
    assert (run["status"], run["conclusion"]) == ("completed", "cancelled")
    assert api.post(f"{REPO}/actions/runs/{run_id}/cancel").status == 409
    assert api.post(f"{REPO}/actions/runs/{run_id}/rerun").status == 201
    run = _run(api, run_id)
    assert run["run_attempt"] == 2 and run["status"] == "queued"
    assert run["previous_attempt_url"].endswith("/attempts/1")
    first = api.ok(f"{REPO}/actions/runs/{run_id}/attempts/1")
    assert first["conclusion"] == "cancelled"
    sim.advance(3600)
    assert _run(api, run_id)["status"] == "waiting"
    everything = api.ok(f"{REPO}/actions/runs/{run_id}/jobs?filter=all&per_page=100")["jobs"]
    assert {j["run_attempt"] for j in everything} == {1, 2}


def test_rerun_failed_jobs_and_one_job(sim: Simulator, api: Api) -> None:
    run_id = sim.push(title="Flaky", fail={"test-windows": "timeout"})
    sim.advance(3600)
    assert api.post(f"{REPO}/actions/runs/{run_id}/rerun-failed-jobs").status == 201
    jobs = _jobs(api, run_id)
    assert jobs["build-windows"]["conclusion"] == "success"  # kept from attempt 1
    assert "test-windows" not in jobs or jobs["test-windows"]["run_attempt"] == 2
    sim.advance(3600)
    assert _run(api, run_id)["status"] == "waiting"  # the failure was flaky: now at the gates
    other = sim.push(title="Again", fail={"test-macos": "timeout"})
    sim.advance(3600)
    failed = _jobs(api, other)["test-macos"]
    assert api.post(f"{REPO}/actions/jobs/{failed['id']}/rerun").status == 201
    sim.advance(3600)
    again = _jobs(api, other)
    assert again["test-macos"]["conclusion"] == "success"
    assert again["test-macos"]["id"] != failed["id"]


def test_dispatch_validation(sim: Simulator, api: Api) -> None:
    path = f"{REPO}/actions/workflows/build-and-deploy.yml/dispatches"
    assert api.post(path, {"ref": "main"}).status == 204
    details = api.post(path, {"ref": "refs/heads/develop", "return_run_details": True})
    assert details.status == 200
    run = api.ok(f"{REPO}/actions/runs/{details.json()['workflow_run_id']}")
    assert (run["event"], run["head_branch"]) == ("workflow_dispatch", "develop")
    sha = run["head_sha"]
    assert "No ref found" in api.post(path, {"ref": sha}).json()["message"]
    assert api.post(path, {"ref": sha}).status == 422
    unexpected = api.post(path, {"ref": "main", "inputs": {"colour": "blue"}})
    assert unexpected.status == 422 and "Unexpected inputs" in unexpected.json()["message"]
    assert api.post(path, {}).status == 422
    lint = api.post(f"{REPO}/actions/workflows/lint.yml/dispatches", {"ref": "main"})
    assert lint.status == 422 and "workflow_dispatch" in lint.json()["message"]
    sim.world.main_workflow.inputs["reason"] = {"required": True, "type": "string"}
    missing = api.post(path, {"ref": "main"})
    assert missing.json()["message"] == "Required input 'reason' not provided"
    reader = api.as_user(sim.login_for_role("reader"))
    assert reader.post(path, {"ref": "main", "inputs": {"reason": "x"}}).status == 403


def test_who_may_approve_what(sim: Simulator, api: Api) -> None:
    reader = api.as_user(sim.login_for_role("reader"))
    qa = api.as_user(sim.login_for_role("qa"))
    run_id = sim.push(title="Reviews")
    sim.advance(3600)
    pending = reader.ok(f"{REPO}/actions/runs/{run_id}/pending_deployments")
    assert [p["current_user_can_approve"] for p in pending] == [False, False]
    refused = _review(reader, run_id, None)
    assert refused.status == 422 and "not a required reviewer" in refused.json()["message"]
    assert _review(qa, run_id, {"canary-windows"}).status == 200  # QA may approve a canary
    assert _review(qa, run_id, {"canary-macos"}).status == 200
    sim.advance(1800)
    assert _review(qa, run_id, {"production-signoff"}).status == 422  # but not production
    assert _review(api, run_id, {"production-signoff"}).status == 200
    sim.advance(600)
    signoff = api.ok(f"{REPO}/environments/production-signoff")["id"]
    again = api.post(
        f"{REPO}/actions/runs/{run_id}/pending_deployments",
        {"environment_ids": [signoff], "state": "approved", "comment": "twice"},
    )
    assert again.status == 422 and "not waiting" in again.json()["message"]


def test_self_review_is_prevented_in_production(sim: Simulator, api: Api) -> None:
    approver = api.as_user(sim.login_for_role("approver"))
    run_id = sim.push(title="My own change", actor=sim.login_for_role("approver"))
    _to_production_gates(sim, api, run_id)
    refused = _review(approver, run_id, None)
    assert refused.status == 422 and "triggered this run" in refused.json()["message"]


def test_the_production_job_checks_two_distinct_approvers(sim: Simulator, api: Api) -> None:
    sim.world.enforce_distinct_production_approvers = False  # only the pipeline's check remains
    run_id = sim.push(title="Same person twice")
    _to_production_gates(sim, api, run_id)
    assert _review(api, run_id, None).status == 200
    sim.advance(1800)
    jobs = _jobs(api, run_id)
    assert jobs["deploy-production-windows"]["conclusion"] == "failure"
    assert _run(api, run_id)["conclusion"] == "failure"
    log = api.get(f"{REPO}/actions/jobs/{jobs['deploy-production-windows']['id']}/logs")
    text = request(log.header("Location") or "").body.decode()
    assert "two different approvers" in text


def test_rollback_republishes_an_earlier_release(sim: Simulator, api: Api) -> None:
    approver = api.as_user(sim.login_for_role("approver"))
    runs = api.ok(f"{REPO}/actions/runs?status=success")["workflow_runs"]
    target = runs[-1]
    newer = sim.push(title="Newer release")
    _to_production_gates(sim, api, newer)
    assert _review(approver, newer, None).status == 200
    sim.advance(1800)
    path = f"{REPO}/actions/workflows/build-and-deploy.yml/dispatches"
    body = {
        "ref": "main",
        "inputs": {"rollback_run_id": str(target["id"])},
        "return_run_details": True,
    }
    rollback = api.post(path, body).json()["workflow_run_id"]
    run = _run(api, rollback)
    assert run["display_title"] == f"Rollback production to run {target['id']}"
    sim.advance(120)
    jobs = _jobs(api, rollback)
    assert jobs["build-windows"]["conclusion"] == "skipped"
    assert _review(api, rollback, {"production-signoff"}).status == 200
    sim.advance(300)
    assert _review(approver, rollback, None).status == 200
    sim.advance(1800)
    assert _run(api, rollback)["conclusion"] == "success"
    names = [a["name"] for a in api.ok(f"{REPO}/actions/runs/{rollback}/artifacts")["artifacts"]]
    assert sorted(n.rsplit("-", 1)[-1] for n in names) == [target["head_sha"][:7]] * 2
    current = api.ok(f"{REPO}/deployments?environment=production-windows")
    assert current[0]["sha"] == run["head_sha"]
    older = api.ok(f"{REPO}/deployments/{current[1]['id']}/statuses")
    assert older[0]["state"] == "inactive"


def test_rollback_to_a_missing_run_fails_with_the_reason(sim: Simulator, api: Api) -> None:
    path = f"{REPO}/actions/workflows/build-and-deploy.yml/dispatches"
    body = {"ref": "main", "inputs": {"rollback_run_id": "42"}, "return_run_details": True}
    run_id = api.post(path, body).json()["workflow_run_id"]
    sim.advance(60)
    _review(api, run_id, None)
    sim.advance(300)
    _review(api.as_user(sim.login_for_role("approver")), run_id, None)
    sim.advance(600)
    job = _jobs(api, run_id)["deploy-production-macos"]
    assert job["conclusion"] == "failure"
    text = request(api.get(f"{REPO}/actions/jobs/{job['id']}/logs").header("Location") or "")
    assert "rollback target run 42 does not exist" in text.body.decode()


def test_environments_put_and_wait_timer(sim: Simulator, api: Api) -> None:
    qa_id = api.as_user(sim.login_for_role("qa")).ok("/user")["id"]
    body = {
        "wait_timer": 120,
        "prevent_self_review": True,
        "reviewers": [{"type": "User", "id": qa_id}],
    }
    first = api.call("PUT", f"{REPO}/environments/canary-windows", body).json()
    second = api.call("PUT", f"{REPO}/environments/canary-windows", body).json()
    assert {k: v for k, v in first.items() if k != "updated_at"} == {
        k: v for k, v in second.items() if k != "updated_at"
    }
    rules = {r["type"]: r for r in second["protection_rules"]}
    assert rules["wait_timer"]["wait_timer"] == 120
    assert [r["reviewer"]["id"] for r in rules["required_reviewers"]["reviewers"]] == [qa_id]
    reader = api.as_user(sim.login_for_role("reader"))
    assert reader.call("PUT", f"{REPO}/environments/canary-windows", body).status == 403
    run_id = sim.push(title="Timer")
    sim.advance(3600)
    qa = api.as_user(sim.login_for_role("qa"))
    pending = qa.ok(f"{REPO}/actions/runs/{run_id}/pending_deployments")
    timed = next(p for p in pending if p["environment"]["name"] == "canary-windows")
    assert timed["wait_timer"] == 120 and timed["wait_timer_started_at"]
    assert _review(qa, run_id, {"canary-windows"}).status == 200
    sim.advance(30)
    assert _jobs(api, run_id)["deploy-canary-windows"]["status"] == "queued"  # timer running
    sim.advance(2 * 3600)
    assert _jobs(api, run_id)["deploy-canary-windows"]["status"] != "queued"


def test_gates_time_out_after_thirty_days(sim: Simulator, api: Api) -> None:
    run_id = sim.push(title="Forgotten")
    sim.advance(3600)
    sim.advance(30 * DAY)
    run = _run(api, run_id)
    assert (run["status"], run["conclusion"]) == ("completed", "failure")


def test_an_unhealthy_canary_fails_the_monitor_for_real(
    sim: Simulator, api: Api, tmp_path: Path
) -> None:
    from releasemgr.release.monitor import monitor

    run_id = sim.push(title="Corrupt canary", fail={"monitor": "integrity"})
    sim.advance(3600)
    _review(api, run_id, None)
    sim.advance(1800)
    jobs = _jobs(api, run_id)
    assert jobs["monitor"]["conclusion"] == "failure"
    assert "production-signoff" not in jobs or jobs["production-signoff"]["conclusion"] == "skipped"
    for art in api.ok(f"{REPO}/actions/runs/{run_id}/artifacts")["artifacts"]:
        if "-canary-" in art["name"]:
            location = api.get(f"{REPO}/actions/artifacts/{art['id']}/zip").header("Location")
            (tmp_path / f"{art['name']}.zip").write_bytes(request(location or "").body)
    real = monitor(tmp_path)
    assert real.healthy is False
    assert any("macos" in reason for reason in real.reasons)


def test_demo_world(sim_demo: Simulator) -> None:
    api = Api(sim_demo, sim_demo.login_for_role("release-manager"))
    runs = api.ok(f"{REPO}/actions/runs?per_page=100")["workflow_runs"]
    assert 35 <= len(runs) <= 45
    waiting = [r for r in runs if r["status"] == "waiting"]
    gates = {
        r["id"]: {
            p["environment"]["name"]
            for p in api.ok(f"{REPO}/actions/runs/{r['id']}/pending_deployments")
        }
        for r in waiting
    }
    assert {"canary-windows", "canary-macos"} in gates.values()
    assert {"production-windows", "production-macos"} in gates.values()
    second = next(i for i, g in gates.items() if "production-macos" in g)
    signed = api.ok(f"{REPO}/actions/runs/{second}/approvals")
    assert any(a["environments"][0]["name"] == "production-signoff" for a in signed)
    conclusions = {r["conclusion"] for r in runs}
    assert {"success", "failure", "cancelled", None} <= conclusions
    assert any(
        r["display_title"].startswith("Rollback") and r["conclusion"] == "success" for r in runs
    )
    assert any(r["run_attempt"] > 1 for r in runs)
    oldest = min(r["created_at"] for r in runs)
    assert oldest >= runs[0]["created_at"][:0] and len({r["created_at"][:10] for r in runs}) > 15
    expired = api.ok(f"{REPO}/actions/artifacts?per_page=100")
    assert any(a["expired"] for a in expired["artifacts"]) or expired["total_count"] > 100


def test_same_seed_same_world() -> None:
    def snapshot(seed: int) -> list[tuple]:
        with Simulator(seed=seed, scenario="demo", now=1_790_000_000) as s:
            w = s.world
            arts = sorted(w.artifacts.values(), key=lambda a: a.id)[:5]
            return [(r.id, r.head_sha, r.attempt.conclusion) for r in w.runs.values()] + [
                (a.name, s.store.ensure(a) and a.digest) for a in arts
            ]

    assert snapshot(4) == snapshot(4)
    assert snapshot(4) != snapshot(5)


@pytest.mark.parametrize("scenario", ["unknown"])
def test_unknown_scenario(scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(ValueError, match="unknown scenario"):
        Simulator(scenario=scenario)
    assert list(tmp_path.iterdir()) == []  # no artifact folder left behind


def test_run_logs_zip_lists_every_job(sim: Simulator, api: Api) -> None:
    run_id = api.ok(f"{REPO}/actions/runs")["workflow_runs"][0]["id"]
    archive = zipfile.ZipFile(
        io.BytesIO(
            request(api.get(f"{REPO}/actions/runs/{run_id}/logs").header("Location") or "").body
        )
    )
    assert len(archive.namelist()) == len(_jobs(api, run_id))


def test_released_versions_are_tagged_and_dispatchable(sim: Simulator, api: Api) -> None:
    tags = sim.world.tags
    assert tags  # the basic world's production release
    tag, sha = next(iter(tags.items()))
    path = f"{REPO}/actions/workflows/build-and-deploy.yml/dispatches"
    answer = api.post(path, {"ref": f"refs/tags/{tag}", "return_run_details": True})
    run = _run(api, answer.json()["workflow_run_id"])
    assert (run["head_branch"], run["head_sha"]) == (tag, sha)
    sim.advance(3600)
    arts = api.ok(f"{REPO}/actions/runs/{run['id']}/artifacts")["artifacts"]
    assert any(f"-release-{tag[1:]}-{sha[:7]}" in a["name"] for a in arts)


def test_a_rerun_upload_replaces_the_earlier_artifact(sim: Simulator, api: Api) -> None:
    run_id = sim.push(title="Twice", fail={"test-macos": "flaky"})
    sim.advance(3600)
    before = {a["name"] for a in api.ok(f"{REPO}/actions/runs/{run_id}/artifacts")["artifacts"]}
    assert api.post(f"{REPO}/actions/runs/{run_id}/rerun").status == 201
    sim.advance(3600)
    after = api.ok(f"{REPO}/actions/runs/{run_id}/artifacts")["artifacts"]
    names = [a["name"] for a in after]
    assert len(names) == len(set(names)) and before <= set(names)


def test_latest_run_id(sim: Simulator) -> None:
    newest = sim.push(branch="develop", title="Newest")
    assert sim.latest_run_id() == newest == sim.latest_run_id("develop")
    assert sim.latest_run_id("main") != newest
    with pytest.raises(KeyError):
        sim.latest_run_id("nowhere")


def test_scheduled_activity_keeps_a_demo_alive() -> None:
    with Simulator(seed=1, scenario="basic", activity_every=3600) as running:
        before = len(running.world.runs)
        running.advance(3 * 3600 + 1)
        api = Api(running, running.login_for_role("reader"))
        runs = api.ok(f"{REPO}/actions/runs?per_page=100")["workflow_runs"]
        assert len(runs) == before + 3
        assert {r["head_branch"] for r in runs[:3]} == {"main", "develop"}
        assert running.errors == []


def test_rollback_to_an_expired_release_fails_with_the_reason(sim: Simulator, api: Api) -> None:
    target = api.ok(f"{REPO}/actions/runs?status=success")["workflow_runs"][-1]
    sim.advance(91 * DAY)  # production releases are kept 90 days
    path = f"{REPO}/actions/workflows/build-and-deploy.yml/dispatches"
    body = {
        "ref": "main",
        "inputs": {"rollback_run_id": str(target["id"])},
        "return_run_details": True,
    }
    run_id = api.post(path, body).json()["workflow_run_id"]
    sim.advance(60)
    _review(api, run_id, None)
    sim.advance(300)
    _review(api.as_user(sim.login_for_role("approver")), run_id, None)
    sim.advance(600)
    job = _jobs(api, run_id)["deploy-production-windows"]
    assert job["conclusion"] == "failure"
    text = request(api.get(f"{REPO}/actions/jobs/{job['id']}/logs").header("Location") or "")
    assert f"the production release of run {target['id']} for windows has expired" in (
        text.body.decode()
    )
