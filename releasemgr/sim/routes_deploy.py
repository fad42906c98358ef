"""Pending deployments and their review, approval history, environments, deployments."""

from __future__ import annotations

from typing import Any

from releasemgr.sim import payloads_deploy as payloads
from releasemgr.sim.entities import Deployment, DeploymentStatus
from releasemgr.sim.router import API, HttpError, Request, Response, paginate
from releasemgr.sim.world import WorldError

D = "https://docs.github.com/rest"
R = "/repos/{owner}/{repo}"
RUN = f"{R}/actions/runs/{{run_id:int}}"


def _invalid(req: Request, detail: str) -> HttpError:
    return HttpError(422, f"Invalid request.\n\n{detail}", req.doc)


@API.route(
    "GET",
    f"{RUN}/pending_deployments",
    doc=f"{D}/actions/workflow-runs#get-pending-deployments-for-a-workflow-run",
)
def get_pending(req: Request) -> Response:
    """Environments this run waits on, with reviewers and whether the caller may approve."""
    world = req.backend.world
    run = world.run(req.int_param("run_id"))
    if run is None:
        raise HttpError(404, "Not Found", req.doc)
    data = [
        payloads.pending_deployment(world, run, job, req.backend.urls, req.user)
        for job in world.pending(run)
    ]
    return Response(data=data)


@API.route(
    "POST",
    f"{RUN}/pending_deployments",
    doc=f"{D}/actions/workflow-runs#review-pending-deployments-for-a-workflow-run",
)
def review_pending(req: Request) -> Response:
    """Approve or reject waiting environments (all listed, or none); the deployments."""
    world = req.backend.world
    run = world.run(req.int_param("run_id"))
    if run is None:
        raise HttpError(404, "Not Found", req.doc)
    body = req.json()
    if not isinstance(body, dict):
        raise _invalid(req, "The request body must be an object.")
    for key in ("environment_ids", "state", "comment"):
        if key not in body:
            raise _invalid(req, f'"{key}" wasn\'t supplied.')
    ids = body["environment_ids"]
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        raise _invalid(
            req, "For 'properties/environment_ids', it must be a non-empty array of integers."
        )
    if body["state"] not in ("approved", "rejected"):
        raise _invalid(
            req,
            f"For 'properties/state', {body['state']!r} is not one of ['approved', 'rejected'].",
        )
    if not isinstance(body["comment"], str):
        raise _invalid(req, "For 'properties/comment', it must be a string.")
    if req.user is None:
        raise HttpError(401, "Requires authentication", req.doc)
    try:
        deployments = world.review(
            run, list(dict.fromkeys(ids)), body["state"], body["comment"], req.user.login
        )
    except WorldError as exc:
        raise HttpError(exc.status, exc.message, req.doc) from None
    return Response(data=[payloads.deployment(world, d, req.backend.urls) for d in deployments])


@API.route(
    "GET",
    f"{RUN}/approvals",
    doc=f"{D}/actions/workflow-runs#get-the-review-history-for-a-workflow-run",
)
def approvals(req: Request) -> Response:
    """Every review of the run's environments, oldest first."""
    world = req.backend.world
    run = world.run(req.int_param("run_id"))
    if run is None:
        raise HttpError(404, "Not Found", req.doc)
    items = [a for a in world.approvals if a.run_id == run.id]
    return Response(data=[payloads.approval(world, a, req.backend.urls) for a in items])


# ---- environments ----------------------------------------------------------------------------


@API.route("GET", f"{R}/environments", doc=f"{D}/deployments/environments#list-environments")
def list_environments(req: Request) -> Response:
    """The repository's environments, by name."""
    world = req.backend.world
    envs = sorted(world.environments.values(), key=lambda e: e.name)
    page, link = paginate(req, envs)
    data = [payloads.environment(world, e, req.backend.urls) for e in page]
    return Response(data={"total_count": len(envs), "environments": data}, headers=link)


@API.route(
    "GET", f"{R}/environments/{{name}}", doc=f"{D}/deployments/environments#get-an-environment"
)
def get_environment(req: Request) -> Response:
    """One environment with its protection rules."""
    world = req.backend.world
    env = world.environments.get(req.params["name"])
    if env is None:
        raise HttpError(404, "Not Found", req.doc)
    return Response(data=payloads.environment(world, env, req.backend.urls))


@API.route(
    "GET",
    f"{R}/environments/{{name}}/deployment_protection_rules",
    doc=f"{D}/deployments/protection-rules#get-all-deployment-protection-rules-for-an-environment",
)
def protection_rules(req: Request) -> Response:
    """Custom protection rules (GitHub Apps): none in the simulated organisation."""
    if req.params["name"] not in req.backend.world.environments:
        raise HttpError(404, "Not Found", req.doc)
    return Response(data={"total_count": 0, "custom_deployment_protection_rules": []})


@API.route(
    "PUT",
    f"{R}/environments/{{name}}",
    doc=f"{D}/deployments/environments#create-or-update-an-environment",
)
def put_environment(req: Request) -> Response:
    """Create or update an environment: reviewers, ``prevent_self_review``, wait timer."""
    world = req.backend.world
    if req.user is None or req.user.permission != "admin":
        raise HttpError(403, "Must have admin rights to Repository.", req.doc)
    body = req.json()
    if not isinstance(body, dict):
        raise _invalid(req, "The request body must be an object.")
    env = world.environments.get(req.params["name"])
    wait = body.get("wait_timer", env.wait_timer if env else 0)
    if not isinstance(wait, int) or isinstance(wait, bool) or not 0 <= wait <= 43_200:
        raise _invalid(req, "For 'properties/wait_timer', it must be an integer from 0 to 43200.")
    prevent = body.get("prevent_self_review", env.prevent_self_review if env else False)
    if not isinstance(prevent, bool):
        raise _invalid(req, "For 'properties/prevent_self_review', it must be a boolean.")
    logins = list(env.reviewers) if env else []
    if "reviewers" in body:
        logins = _reviewer_logins(req, body["reviewers"])
    env = world.add_environment(
        req.params["name"], logins, prevent_self_review=prevent, wait_timer=wait
    )
    policy = body.get("deployment_branch_policy")
    if isinstance(policy, dict):
        env.protected_branches_only = bool(policy.get("protected_branches"))
    elif "deployment_branch_policy" in body:
        env.protected_branches_only = False
    return Response(data=payloads.environment(world, env, req.backend.urls))


def _reviewer_logins(req: Request, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 6:
        raise _invalid(req, "For 'properties/reviewers', it must be an array of at most 6 items.")
    by_id = {u.id: u.login for u in req.backend.world.accounts.values()}
    logins = []
    for item in value:
        if not isinstance(item, dict) or item.get("type") not in ("User", "Team"):
            raise _invalid(req, "For 'items', each reviewer needs a type of User or Team.")
        if item["type"] == "Team" or item.get("id") not in by_id:
            raise HttpError(
                422, f"Reviewer {item.get('type')} {item.get('id')} was not found", req.doc
            )
        logins.append(by_id[item["id"]])
    return list(dict.fromkeys(logins))


# ---- deployments -----------------------------------------------------------------------------


@API.route("GET", f"{R}/deployments", doc=f"{D}/deployments/deployments#list-deployments")
def list_deployments(req: Request) -> Response:
    """Deployments, newest first, filtered by ``environment``, ``sha``, ``ref``, ``task``."""
    world = req.backend.world
    deps = list(world.deployments.values())
    for key in ("environment", "sha", "ref", "task"):
        value = req.q(key)
        if value:
            deps = [d for d in deps if getattr(d, key) == value]
    deps.sort(key=lambda d: (d.created_at, d.id), reverse=True)
    page, link = paginate(req, deps)
    return Response(
        data=[payloads.deployment(world, d, req.backend.urls) for d in page], headers=link
    )


def _deployment(req: Request) -> Deployment:
    dep = req.backend.world.deployments.get(req.int_param("deployment_id"))
    if dep is None:
        raise HttpError(404, "Not Found", req.doc)
    return dep


@API.route(
    "GET",
    f"{R}/deployments/{{deployment_id:int}}",
    doc=f"{D}/deployments/deployments#get-a-deployment",
)
def get_deployment(req: Request) -> Response:
    """One deployment."""
    return Response(data=payloads.deployment(req.backend.world, _deployment(req), req.backend.urls))


@API.route(
    "GET",
    f"{R}/deployments/{{deployment_id:int}}/statuses",
    doc=f"{D}/deployments/statuses#list-deployment-statuses",
)
def list_statuses(req: Request) -> Response:
    """A deployment's statuses, newest first."""
    dep = _deployment(req)
    items = list(reversed(dep.statuses))
    page, link = paginate(req, items)
    world, urls = req.backend.world, req.backend.urls
    return Response(
        data=[payloads.deployment_status(world, dep, s, urls) for s in page], headers=link
    )


@API.route(
    "GET",
    f"{R}/deployments/{{deployment_id:int}}/statuses/{{status_id:int}}",
    doc=f"{D}/deployments/statuses#get-a-deployment-status",
)
def get_status(req: Request) -> Response:
    """One deployment status."""
    dep = _deployment(req)
    wanted = req.int_param("status_id")
    for st in dep.statuses:
        if st.id == wanted:
            return Response(
                data=payloads.deployment_status(req.backend.world, dep, st, req.backend.urls)
            )
    raise HttpError(404, "Not Found", req.doc)


STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")


def _need_write(req: Request) -> None:
    if req.user is None or not req.user.can_write:
        raise HttpError(403, "Resource not accessible by personal access token", req.doc)


def _resolve(req: Request, ref: str) -> str | None:
    world = req.backend.world
    name = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    if name in world.branches:
        return world.branches[name]
    if name in world.tags:
        return world.tags[name]
    known = {r.head_sha for r in world.runs.values()}
    return ref if ref in known else None


@API.route("POST", f"{R}/deployments", doc=f"{D}/deployments/deployments#create-a-deployment")
def create_deployment(req: Request) -> Response:
    """Create a deployment of a ref to an environment (201)."""
    _need_write(req)
    assert req.user is not None
    world = req.backend.world
    body = req.json()
    if not isinstance(body, dict) or not isinstance(body.get("ref"), str):
        raise _invalid(req, '"ref" wasn\'t supplied.')
    sha = _resolve(req, body["ref"])
    if sha is None:
        raise HttpError(422, f"No ref found for: {body['ref']}", req.doc)
    env = body.get("environment", "production")
    payload = body.get("payload", {})
    if isinstance(payload, str):
        payload = {"raw": payload}
    if not isinstance(env, str) or not isinstance(payload, dict):
        raise _invalid(req, "For 'properties/environment', it must be a string.")
    now = world.clock.now()
    dep = Deployment(
        id=world.next_id("deployment"),
        run_id=0,
        sha=sha,
        ref=body["ref"],
        environment=env,
        creator=req.user.login,
        created_at=now,
        description=str(body.get("description") or ""),
        task=str(body.get("task") or "deploy"),
        payload=payload,
        production=bool(body.get("production_environment", env == "production")),
    )
    world.deployments[dep.id] = dep
    return Response(201, payloads.deployment(world, dep, req.backend.urls))


@API.route(
    "POST",
    f"{R}/deployments/{{deployment_id:int}}/statuses",
    doc=f"{D}/deployments/statuses#create-a-deployment-status",
)
def create_status(req: Request) -> Response:
    """Add a status to a deployment (201); ``auto_inactive`` marks older ones inactive."""
    dep = _deployment(req)
    _need_write(req)
    assert req.user is not None
    world = req.backend.world
    body = req.json()
    state = body.get("state") if isinstance(body, dict) else None
    if state not in STATES:
        raise _invalid(req, f"For 'properties/state', {state!r} is not one of {list(STATES)}.")
    now = world.clock.now()
    status = DeploymentStatus(
        id=world.next_id("status"),
        state=state,
        creator=req.user.login,
        description=str(body.get("description") or "")[:140],
        environment=str(body.get("environment") or dep.environment),
        created_at=now,
        log_url=str(body.get("log_url") or body.get("target_url") or ""),
        environment_url=str(body.get("environment_url") or ""),
    )
    dep.statuses.append(status)
    if state == "success" and body.get("auto_inactive", True):
        for other in world.deployments.values():
            if (
                other.id != dep.id
                and other.environment == dep.environment
                and other.statuses
                and other.statuses[-1].state == "success"
            ):
                other.statuses.append(
                    DeploymentStatus(
                        world.next_id("status"),
                        "inactive",
                        req.user.login,
                        "Superseded by a newer deployment",
                        other.environment,
                        now,
                    )
                )
    return Response(201, payloads.deployment_status(world, dep, status, req.backend.urls))
