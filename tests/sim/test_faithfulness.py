"""Every response body, for every endpoint, checked against GitHub's published description.

Always: the pydantic models generated from GitHub's OpenAPI description
(``githubkit-schemas-2022-11-28``), in strict mode. When the team's reference data is present
(``../shared/github-api``, optional): its JSON Schemas too, and the key sets of runs, jobs,
artifacts, environments, deployments, pending deployments and approvals against real recordings
(schemas allow unknown keys, so only this catches a misspelled field).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from githubkit_schemas.v2022_11_28 import models as m
from pydantic import TypeAdapter

from releasemgr.sim import Simulator
from tests.sim.conftest import REPO, Answer, Api

SHARED = Path(__file__).resolve().parents[3] / "shared" / "github-api"
T = "/repos/{owner}/{repo}"


@dataclass
class Seen:
    """One answer and the operation it belongs to."""

    operation: str  # "GET /repos/{owner}/{repo}/actions/runs/{run_id}"
    status: int
    body: Any
    model: Any  # a pydantic model class or a TypeAdapter


def _walk(sim: Simulator) -> Iterator[Seen]:
    """Drive the basic world through every endpoint and yield what each answered."""
    rm = Api(sim, sim.login_for_role("release-manager"))
    approver = Api(sim, sim.login_for_role("approver"))
    run_id = sim.push(branch="main", title="Faithful")
    sim.advance(3600)  # build, test, package: both canary gates wait

    def seen(op: str, answer: Answer, model: Any, status: int = 200) -> Seen:
        assert answer.status == status, (op, answer.status, answer.body[:300])
        return Seen(op, answer.status, answer.json() if answer.body else None, model)

    runs = f"{REPO}/actions/runs"
    run = f"{runs}/{run_id}"
    yield seen("GET /user", rm.get("/user"), m.PrivateUser)
    yield seen("GET /rate_limit", rm.get("/rate_limit"), m.RateLimitOverview)
    yield seen(f"GET {T}", rm.get(REPO), m.FullRepository)
    yield seen(
        f"GET {T}/actions/workflows",
        rm.get(f"{REPO}/actions/workflows"),
        m.ReposOwnerRepoActionsWorkflowsGetResponse200,
    )
    yield seen(
        f"GET {T}/actions/workflows/{{workflow_id}}",
        rm.get(f"{REPO}/actions/workflows/build-and-deploy.yml"),
        m.Workflow,
    )
    yield seen(
        f"GET {T}/actions/workflows/{{workflow_id}}/runs",
        rm.get(f"{REPO}/actions/workflows/build-and-deploy.yml/runs?branch=main"),
        m.ReposOwnerRepoActionsWorkflowsWorkflowIdRunsGetResponse200,
    )
    yield seen(
        f"GET {T}/actions/runs",
        rm.get(f"{runs}?per_page=100"),
        m.ReposOwnerRepoActionsRunsGetResponse200,
    )
    yield seen(f"GET {T}/actions/runs/{{run_id}}", rm.get(run), m.WorkflowRun)
    yield seen(
        f"GET {T}/actions/runs/{{run_id}}/attempts/{{attempt_number}}",
        rm.get(f"{run}/attempts/1"),
        m.WorkflowRun,
    )
    jobs = rm.get(f"{run}/jobs")
    yield seen(
        f"GET {T}/actions/runs/{{run_id}}/jobs",
        jobs,
        m.ReposOwnerRepoActionsRunsRunIdJobsGetResponse200,
    )
    yield seen(
        f"GET {T}/actions/runs/{{run_id}}/attempts/{{attempt_number}}/jobs",
        rm.get(f"{run}/attempts/1/jobs"),
        m.ReposOwnerRepoActionsRunsRunIdAttemptsAttemptNumberJobsGetResponse200,
    )
    job_id = jobs.json()["jobs"][0]["id"]
    yield seen(f"GET {T}/actions/jobs/{{job_id}}", rm.get(f"{REPO}/actions/jobs/{job_id}"), m.Job)
    pending = rm.get(f"{run}/pending_deployments")
    yield seen(
        f"GET {T}/actions/runs/{{run_id}}/pending_deployments",
        pending,
        TypeAdapter(list[m.PendingDeployment]),
    )
    ids = [p["environment"]["id"] for p in pending.json()]
    review = {"environment_ids": ids, "state": "approved", "comment": "go"}
    yield seen(
        f"POST {T}/actions/runs/{{run_id}}/pending_deployments",
        rm.post(f"{run}/pending_deployments", review),
        TypeAdapter(list[m.Deployment]),
    )
    sim.advance(1800)
    signoff = [p["environment"]["id"] for p in rm.ok(f"{run}/pending_deployments")]
    rm.post(f"{run}/pending_deployments", {**review, "environment_ids": signoff})
    sim.advance(600)
    platforms = [p["environment"]["id"] for p in rm.ok(f"{run}/pending_deployments")]
    refused = rm.post(f"{run}/pending_deployments", {**review, "environment_ids": platforms})
    yield seen(f"POST {T}/actions/runs/{{run_id}}/pending_deployments", refused, m.BasicError, 422)
    approver.post(f"{run}/pending_deployments", {**review, "environment_ids": platforms})
    sim.advance(1800)
    yield seen(
        f"GET {T}/actions/runs/{{run_id}}/approvals",
        rm.get(f"{run}/approvals"),
        TypeAdapter(list[m.EnvironmentApprovals]),
    )
    arts = rm.get(f"{run}/artifacts")
    yield seen(
        f"GET {T}/actions/runs/{{run_id}}/artifacts",
        arts,
        m.ReposOwnerRepoActionsRunsRunIdArtifactsGetResponse200,
    )
    yield seen(
        f"GET {T}/actions/artifacts",
        rm.get(f"{REPO}/actions/artifacts?per_page=5"),
        m.ReposOwnerRepoActionsArtifactsGetResponse200,
    )
    art_id = arts.json()["artifacts"][0]["id"]
    yield seen(
        f"GET {T}/actions/artifacts/{{artifact_id}}",
        rm.get(f"{REPO}/actions/artifacts/{art_id}"),
        m.Artifact,
    )
    yield seen(
        f"GET {T}/environments",
        rm.get(f"{REPO}/environments"),
        m.ReposOwnerRepoEnvironmentsGetResponse200,
    )
    yield seen(
        f"GET {T}/environments/{{environment_name}}",
        rm.get(f"{REPO}/environments/production-macos"),
        m.Environment,
    )
    yield seen(
        f"GET {T}/environments/{{environment_name}}/deployment_protection_rules",
        rm.get(f"{REPO}/environments/production-macos/deployment_protection_rules"),
        m.ReposOwnerRepoEnvironmentsEnvironmentNameDeploymentProtectionRulesGetResponse200,
    )
    yield seen(
        f"PUT {T}/environments/{{environment_name}}",
        rm.call("PUT", f"{REPO}/environments/staging", {"wait_timer": 5}),
        m.Environment,
    )
    deployments = rm.get(f"{REPO}/deployments?environment=production-windows")
    yield seen(f"GET {T}/deployments", deployments, TypeAdapter(list[m.Deployment]))
    dep_id = deployments.json()[0]["id"]
    yield seen(
        f"GET {T}/deployments/{{deployment_id}}",
        rm.get(f"{REPO}/deployments/{dep_id}"),
        m.Deployment,
    )
    statuses = rm.get(f"{REPO}/deployments/{dep_id}/statuses")
    yield seen(
        f"GET {T}/deployments/{{deployment_id}}/statuses",
        statuses,
        TypeAdapter(list[m.DeploymentStatus]),
    )
    st_id = statuses.json()[0]["id"]
    yield seen(
        f"GET {T}/deployments/{{deployment_id}}/statuses/{{status_id}}",
        rm.get(f"{REPO}/deployments/{dep_id}/statuses/{st_id}"),
        m.DeploymentStatus,
    )
    created = rm.post(
        f"{REPO}/deployments",
        {"ref": "main", "environment": "staging", "description": "manual", "payload": {"a": 1}},
    )
    yield seen(f"POST {T}/deployments", created, m.Deployment, 201)
    yield seen(
        f"POST {T}/deployments",
        rm.post(f"{REPO}/deployments", {"ref": "nowhere"}),
        m.BasicError,
        422,
    )
    yield seen(
        f"POST {T}/deployments/{{deployment_id}}/statuses",
        rm.post(
            f"{REPO}/deployments/{created.json()['id']}/statuses",
            {"state": "success", "log_url": "https://ci.example/1"},
        ),
        m.DeploymentStatus,
        201,
    )
    yield seen(
        f"POST {T}/deployments/{{deployment_id}}/statuses",
        rm.post(f"{REPO}/deployments/{created.json()['id']}/statuses", {"state": "odd"}),
        m.BasicError,
        422,
    )
    dispatch = {
        "ref": "main",
        "inputs": {"rollback_run_id": str(run_id)},
        "return_run_details": True,
    }
    yield seen(
        f"POST {T}/actions/workflows/{{workflow_id}}/dispatches",
        rm.post(f"{REPO}/actions/workflows/build-and-deploy.yml/dispatches", dispatch),
        m.WorkflowDispatchResponse,
    )
    yield seen(
        f"POST {T}/actions/workflows/{{workflow_id}}/dispatches",
        rm.post(f"{REPO}/actions/workflows/build-and-deploy.yml/dispatches", {"ref": "0" * 40}),
        m.BasicError,
        422,
    )
    yield seen(
        f"POST {T}/actions/runs/{{run_id}}/rerun", rm.post(f"{run}/rerun"), m.EmptyObject, 201
    )
    yield seen(
        f"POST {T}/actions/runs/{{run_id}}/cancel", rm.post(f"{run}/cancel"), m.EmptyObject, 202
    )
    yield seen(
        f"POST {T}/actions/runs/{{run_id}}/cancel", rm.post(f"{run}/cancel"), m.BasicError, 409
    )
    yield seen(
        f"POST {T}/actions/runs/{{run_id}}/force-cancel",
        rm.post(f"{run}/force-cancel"),
        m.BasicError,
        409,
    )
    yield seen(
        f"POST {T}/actions/runs/{{run_id}}/rerun-failed-jobs",
        rm.post(f"{run}/rerun-failed-jobs"),
        m.EmptyObject,
        201,
    )
    yield seen(
        f"GET {T}/actions/artifacts/{{artifact_id}}",
        rm.get(f"{REPO}/actions/artifacts/1"),
        m.BasicError,
        404,
    )
    yield seen("GET /user", Api(sim, None).get("/user"), m.BasicError, 401)
    reader = Api(sim, sim.login_for_role("reader"))
    yield seen(
        f"POST {T}/actions/runs/{{run_id}}/cancel", reader.post(f"{run}/cancel"), m.BasicError, 403
    )
    yield seen("GET /users/{username}", rm.get(f"/users/{sim.login_for_role('qa')}"), m.PublicUser)
    rm.post(f"{run}/cancel")
    failed = next(j for j in rm.ok(f"{run}/jobs")["jobs"] if j["conclusion"] == "cancelled")
    yield seen(
        f"POST {T}/actions/jobs/{{job_id}}/rerun",
        rm.post(f"{REPO}/actions/jobs/{failed['id']}/rerun"),
        m.EmptyObject,
        201,
    )
    sim.faults.once("/user", "secondary")
    limited = rm.get("/user")
    assert limited.status in (403, 429)
    yield seen("GET /user", limited, m.BasicError, limited.status)
    sim.faults.set("exhausted")
    yield seen("GET /user", rm.get("/user"), m.BasicError, 403)
    sim.faults.clear()
    yield seen(
        f"DELETE {T}/actions/artifacts/{{artifact_id}}",
        rm.call("DELETE", f"{REPO}/actions/artifacts/{art_id}"),
        None,
        204,
    )
    canary = next(a for a in arts.json()["artifacts"] if "-canary-" in a["name"])
    sim.advance(8 * 86_400)
    yield seen(
        f"GET {T}/actions/artifacts/{{artifact_id}}/{{archive_format}}",
        rm.get(f"{REPO}/actions/artifacts/{canary['id']}/zip"),
        m.BasicError,
        410,
    )


@pytest.fixture
def answers(sim: Simulator) -> list[Seen]:
    return list(_walk(sim))


def test_every_body_matches_githubs_models(answers: list[Seen]) -> None:
    assert len({a.operation for a in answers}) >= 28
    for item in answers:
        if item.model is None:  # no body (204)
            assert item.body is None
            continue
        adapter = item.model if isinstance(item.model, TypeAdapter) else TypeAdapter(item.model)
        adapter.validate_json(json.dumps(item.body), strict=True)


def test_lists_are_not_empty_so_validation_covered_items(answers: list[Seen]) -> None:
    wrapped = {"workflow_runs", "jobs", "artifacts", "environments", "workflows"}
    for item in answers:
        if isinstance(item.body, dict):
            for key in wrapped & set(item.body):
                assert item.body[key], item.operation
                assert item.body["total_count"] >= len(item.body[key])
        elif isinstance(item.body, list):
            assert item.body, item.operation


needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="reference data not present")


@needs_shared
def test_every_body_matches_githubs_json_schemas(answers: list[Seen]) -> None:
    import jsonschema

    doc = json.loads((SHARED / "response-schemas.jsonschema.json").read_text())
    checked = 0
    for item in answers:
        op = doc["operations"].get(item.operation)
        schema = op and op["responses"].get(str(item.status), {}).get("schema")
        if not schema:
            continue
        validator = jsonschema.Draft202012Validator({**schema, "$defs": doc["$defs"]})
        errors = [e.message for e in validator.iter_errors(item.body)]
        assert not errors, (item.operation, item.status, errors[:3])
        checked += 1
    assert checked >= 30


def _recorded(name: str) -> Any:
    return json.loads((SHARED / name).read_text())


@needs_shared
def test_key_sets_match_real_recordings(answers: list[Seen]) -> None:
    by_op = {(a.operation, a.status): a.body for a in answers}
    run = by_op[(f"GET {T}/actions/runs/{{run_id}}", 200)]
    job = by_op[(f"GET {T}/actions/jobs/{{job_id}}", 200)]
    art = by_op[(f"GET {T}/actions/artifacts/{{artifact_id}}", 200)]
    env = by_op[(f"GET {T}/environments/{{environment_name}}", 200)]
    dep = by_op[(f"GET {T}/deployments/{{deployment_id}}", 200)]
    status = by_op[(f"GET {T}/deployments/{{deployment_id}}/statuses/{{status_id}}", 200)]
    approvals = by_op[(f"GET {T}/actions/runs/{{run_id}}/approvals", 200)]
    pending = by_op[(f"GET {T}/actions/runs/{{run_id}}/pending_deployments", 200)]
    recorded_run = _recorded("workflow-run.json")
    pairs = [
        (run, recorded_run, set()),
        (run["actor"], recorded_run["actor"], set()),
        (run["repository"], recorded_run["repository"], set()),
        (run["head_commit"], recorded_run["head_commit"], set()),
        (job, _recorded("job.json"), set()),
        (job["steps"][0], _recorded("job.json")["steps"][0], set()),
        (art, _recorded("artifact.json"), {"digest"}),  # newer than the recording
        (env, _recorded("environment-octokit-rb.json"), set()),
        (dep, _recorded("deployment.json"), set()),
        (status, _recorded("deployment-status.json"), set()),
        (pending[0], _recorded("official-example-pending-deployments.json")[0], set()),
        (approvals[0], _recorded("official-example-run-approvals.json")[0], set()),
    ]
    for ours, theirs, allowed_extra in pairs:
        assert set(theirs) <= set(ours), sorted(set(theirs) - set(ours))
        assert set(ours) - set(theirs) <= allowed_extra, sorted(set(ours) - set(theirs))


@needs_shared
def test_every_operation_releasemgr_uses_has_a_route() -> None:
    import re

    import releasemgr.sim.server  # noqa: F401 - registers the routes
    from releasemgr.sim.router import API

    samples = {
        "{owner}": "o",
        "{repo}": "r",
        "{environment_name}": "canary-macos",
        "{workflow_id}": "build-and-deploy.yml",
        "{archive_format}": "zip",
    }
    doc = json.loads((SHARED / "response-schemas.jsonschema.json").read_text())
    missing = []
    for operation in doc["operations"]:
        method, path = operation.split(" ", 1)
        concrete = re.sub(r"\{[^}]+\}", lambda m: samples.get(m.group(0), "123"), path)
        if API.match(method, concrete) is None:
            missing.append(operation)
    assert missing == []
    assert len(doc["operations"]) >= 34
