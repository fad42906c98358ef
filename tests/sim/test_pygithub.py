"""PyGithub, the client the app uses, parses every simulator response without error."""

from __future__ import annotations

import warnings
from typing import Any

import github
import pytest
from github import Auth, Github, GithubException

from releasemgr.sim import Simulator

Seen = set[str]


def _touch(obj: Any, seen: Seen) -> int:
    """Read every property PyGithub maps from the payload (a type mismatch raises).

    Only fields present in the payload are read: PyGithub fetches missing ones lazily, and
    GitHub's own nested objects (a run's ``head_commit``) have no URL to fetch from.
    """
    count = 0
    seen.add(type(obj).__name__)
    raw = getattr(obj, "_rawData", {})  # raw_data itself would fetch what is missing
    for name in dir(type(obj)):
        if name.startswith("_") or not isinstance(getattr(type(obj), name, None), property):
            continue
        if name not in raw:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            value = getattr(obj, name)
        count += 1
        if isinstance(value, github.GithubObject.GithubObject):
            key = f"{type(value).__name__}"
            if key not in seen:
                seen.add(key)
                count += _touch(value, seen)
    return count


def test_pygithub_reads_everything(sim: Simulator) -> None:
    rm = sim.login_for_role("release-manager")
    gh = Github(base_url=sim.api_url, auth=Auth.Token(sim.token(rm)), retry=None)
    run_id = sim.push(branch="main", title="PyGithub")
    sim.advance(3600)
    seen: Seen = set()
    touched = _touch(gh.get_user(), seen)
    touched += _touch(gh.get_rate_limit(), seen)
    repo = gh.get_repo(sim.repository)
    touched += _touch(repo, seen)
    for wf in repo.get_workflows():
        touched += _touch(wf, seen)
    workflow = repo.get_workflow("build-and-deploy.yml")
    runs = list(workflow.get_runs(branch="main"))
    assert any(r.id == run_id for r in runs)
    for run in runs:
        touched += _touch(run, seen)
        for job in run.jobs():
            touched += _touch(job, seen)
            for step in job.steps:
                touched += _touch(step, seen)
        for art in run.get_artifacts():
            touched += _touch(art, seen)
    for art in repo.get_artifacts():
        touched += _touch(art, seen)
    run = repo.get_workflow_run(run_id)
    _headers, pending = run.requester.requestJsonAndCheck("GET", f"{run.url}/pending_deployments")
    assert [p["environment"]["name"] for p in pending] == ["canary-windows", "canary-macos"]
    for env in repo.get_environments():
        touched += _touch(env, seen)
        for rule in env.protection_rules:
            touched += _touch(rule, seen)
    for dep in repo.get_deployments():
        touched += _touch(dep, seen)
        for status in dep.get_statuses():
            touched += _touch(status, seen)
    assert run.rerun() is False  # the run is waiting: refused (PyGithub reports, not raises)
    assert run.cancel() is True
    with pytest.raises(GithubException) as gone:
        repo.get_workflow_run(1)
    assert gone.value.status == 404
    assert touched > 300
    expected = {
        "WorkflowRun",
        "WorkflowJob",
        "Artifact",
        "Environment",
        "Deployment",
        "DeploymentStatus",
        "Workflow",
        "Repository",
        "AuthenticatedUser",
        "RateLimit",
    }
    assert expected <= seen
