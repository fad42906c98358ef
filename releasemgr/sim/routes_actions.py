"""Workflows, runs, attempts, jobs, logs, re-runs, cancellation and dispatch."""

from __future__ import annotations

from releasemgr.sim import payloads
from releasemgr.sim.clock import parse_iso
from releasemgr.sim.entities import Job, Run
from releasemgr.sim.router import API, HttpError, Request, Response, paginate
from releasemgr.sim.world import WorldError

D = "https://docs.github.com/rest/actions"
R = "/repos/{owner}/{repo}/actions"
RUN_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")


def _need_write(req: Request) -> None:
    if req.user is None or not req.user.can_write:
        raise HttpError(403, "Must have admin rights to Repository.", req.doc)


def _run(req: Request) -> Run:
    run = req.backend.world.run(req.int_param("run_id"))
    if run is None:
        raise HttpError(404, "Not Found", req.doc)
    return run


def _world_error(req: Request, exc: WorldError) -> HttpError:
    return HttpError(exc.status, exc.message, req.doc)


# ---- workflows -------------------------------------------------------------------------------


@API.route("GET", f"{R}/workflows", doc=f"{D}/workflows#list-repository-workflows")
def list_workflows(req: Request) -> Response:
    """The repository's workflows."""
    world = req.backend.world
    items = [payloads.workflow(world, wf, req.backend.urls) for wf in world.workflows.values()]
    page, link = paginate(req, items)
    return Response(data={"total_count": len(items), "workflows": page}, headers=link)


def _workflow(req: Request) -> payloads.Workflow:
    wf = req.backend.world.workflow(req.params["workflow_id"])
    if wf is None:
        raise HttpError(404, "Not Found", req.doc)
    return wf


@API.route("GET", f"{R}/workflows/{{workflow_id}}", doc=f"{D}/workflows#get-a-workflow")
def get_workflow(req: Request) -> Response:
    """One workflow, by id or file name."""
    return Response(data=payloads.workflow(req.backend.world, _workflow(req), req.backend.urls))


@API.route(
    "POST",
    f"{R}/workflows/{{workflow_id}}/dispatches",
    doc=f"{D}/workflows#create-a-workflow-dispatch-event",
)
def dispatch(req: Request) -> Response:
    """``workflow_dispatch``: 204, or 200 with the run when ``return_run_details`` is true."""
    wf = _workflow(req)
    _need_write(req)
    body = req.json()
    if not isinstance(body, dict) or not isinstance(body.get("ref"), str) or not body["ref"]:
        raise HttpError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.', req.doc)
    inputs = body.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise HttpError(
            422,
            "Invalid request.\n\nFor 'properties/inputs', "
            f"{body.get('inputs')!r} is not an object.",
            req.doc,
        )
    assert req.user is not None
    try:
        run = req.backend.world.dispatch(wf, body["ref"], inputs, req.user.login)
    except WorldError as exc:
        raise _world_error(req, exc) from None
    if body.get("return_run_details") is True:
        world, urls = req.backend.world, req.backend.urls
        return Response(
            200,
            {
                "workflow_run_id": run.id,
                "run_url": payloads.run_url(world, run.id, urls),
                "html_url": f"{urls.web}/{world.repo.full_name}/actions/runs/{run.id}",
            },
        )
    return Response(204)


# ---- runs ------------------------------------------------------------------------------------


def _created_range(text: str) -> tuple[float, float]:
    """GitHub's ``created`` syntax (``D``, ``>=D``, ``<D``, ``D1..D2``) as ``[low, high)``."""
    inf = float("inf")

    def first(v: str) -> float:
        return parse_iso(v)

    def after(v: str) -> float:  # the first instant after a date (whole day) or a time
        return parse_iso(v) + (86_400 if len(v.strip()) == 10 else 1)

    value = text.strip()
    if ".." in value:
        lo, _, hi = value.partition("..")
        return (
            first(lo) if lo not in ("", "*") else -inf,
            after(hi) if hi not in ("", "*") else inf,
        )
    for op, bounds in (
        (">=", lambda v: (first(v), inf)),
        ("<=", lambda v: (-inf, after(v))),
        (">", lambda v: (after(v), inf)),
        ("<", lambda v: (-inf, first(v))),
    ):
        if value.startswith(op):
            return bounds(value[len(op) :])
    return first(value), after(value)


def _filtered_runs(req: Request, workflow_id: int | None) -> list[Run]:
    world = req.backend.world
    runs = [r for r in world.runs.values() if workflow_id is None or r.workflow_id == workflow_id]
    branch, event, status = req.q("branch"), req.q("event"), req.q("status")
    sha, actor, created = req.q("head_sha"), req.q("actor"), req.q("created")
    if branch:
        runs = [r for r in runs if r.head_branch == branch]
    if event:
        runs = [r for r in runs if r.event == event]
    if sha:
        runs = [r for r in runs if r.head_sha == sha]
    if actor:
        runs = [r for r in runs if r.actor == actor or r.attempt.actor == actor]
    if status:
        if status in RUN_STATUSES:
            runs = [r for r in runs if r.attempt.status == status]
        else:
            runs = [r for r in runs if r.attempt.conclusion == status]
    if created:
        try:
            low, high = _created_range(created)
        except ValueError:
            raise HttpError(
                422, f"Invalid request.\n\n{created!r} is not a valid date range.", req.doc
            ) from None
        runs = [r for r in runs if low <= r.created_at < high]
    runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    return runs


def _runs_page(req: Request, runs: list[Run]) -> Response:
    page, link = paginate(req, runs)
    world, urls = req.backend.world, req.backend.urls
    data = [payloads.workflow_run(world, r, urls) for r in page]
    return Response(data={"total_count": len(runs), "workflow_runs": data}, headers=link)


@API.route("GET", f"{R}/runs", doc=f"{D}/workflow-runs#list-workflow-runs-for-a-repository")
def list_runs(req: Request) -> Response:
    """Runs of the repository, newest first, filtered."""
    return _runs_page(req, _filtered_runs(req, None))


@API.route(
    "GET",
    f"{R}/workflows/{{workflow_id}}/runs",
    doc=f"{D}/workflow-runs#list-workflow-runs-for-a-workflow",
)
def list_workflow_runs(req: Request) -> Response:
    """Runs of one workflow, newest first, filtered."""
    return _runs_page(req, _filtered_runs(req, _workflow(req).id))


@API.route("GET", f"{R}/runs/{{run_id:int}}", doc=f"{D}/workflow-runs#get-a-workflow-run")
def get_run(req: Request) -> Response:
    """One run (its latest attempt)."""
    return Response(data=payloads.workflow_run(req.backend.world, _run(req), req.backend.urls))


def _attempt_number(req: Request, run: Run) -> int:
    number = req.int_param("attempt")
    if not 1 <= number <= len(run.attempts):
        raise HttpError(404, "Not Found", req.doc)
    return number


@API.route(
    "GET",
    f"{R}/runs/{{run_id:int}}/attempts/{{attempt:int}}",
    doc=f"{D}/workflow-runs#get-a-workflow-run-attempt",
)
def get_attempt(req: Request) -> Response:
    """One attempt of a run."""
    run = _run(req)
    number = _attempt_number(req, run)
    return Response(data=payloads.workflow_run(req.backend.world, run, req.backend.urls, number))


def _jobs_page(req: Request, run: Run, jobs: list[Job]) -> Response:
    page, link = paginate(req, jobs)
    world, urls = req.backend.world, req.backend.urls
    now = world.clock.now()
    data = [payloads.job_payload(world, run, j, urls, now) for j in page]
    return Response(data={"total_count": len(jobs), "jobs": data}, headers=link)


@API.route(
    "GET", f"{R}/runs/{{run_id:int}}/jobs", doc=f"{D}/workflow-jobs#list-jobs-for-a-workflow-run"
)
def list_jobs(req: Request) -> Response:
    """Jobs of the latest attempt (``filter=latest``) or of every attempt (``filter=all``)."""
    run = _run(req)
    which = req.q("filter", "latest")
    if which not in ("latest", "all"):
        raise HttpError(422, f"Invalid request.\n\n{which!r} is not a valid filter.", req.doc)
    if which == "all":
        jobs = [j for att in reversed(run.attempts) for j in att.jobs]
    else:
        jobs = list(run.attempt.jobs)
    return _jobs_page(req, run, jobs)


@API.route(
    "GET",
    f"{R}/runs/{{run_id:int}}/attempts/{{attempt:int}}/jobs",
    doc=f"{D}/workflow-jobs#list-jobs-for-a-workflow-run-attempt",
)
def list_attempt_jobs(req: Request) -> Response:
    """Jobs of one attempt."""
    run = _run(req)
    number = _attempt_number(req, run)
    return _jobs_page(req, run, list(run.attempts[number - 1].jobs))


def _job(req: Request) -> tuple[Run, Job]:
    found = req.backend.world.job(req.int_param("job_id"))
    if found is None:
        raise HttpError(404, "Not Found", req.doc)
    return found


@API.route("GET", f"{R}/jobs/{{job_id:int}}", doc=f"{D}/workflow-jobs#get-a-job-for-a-workflow-run")
def get_job(req: Request) -> Response:
    """One job with its steps."""
    run, job = _job(req)
    world = req.backend.world
    return Response(data=payloads.job_payload(world, run, job, req.backend.urls, world.clock.now()))


@API.route(
    "GET",
    f"{R}/jobs/{{job_id:int}}/logs",
    doc=f"{D}/workflow-jobs#download-job-logs-for-a-workflow-run",
)
def job_logs(req: Request) -> Response:
    """302 to a signed plain-text log on the blob origin."""
    _run_of_job, job = _job(req)
    if job.status != "completed":
        raise HttpError(404, "Not Found", req.doc)
    return _redirect(req, f"/logs/jobs/{job.id}.txt")


@API.route(
    "GET", f"{R}/runs/{{run_id:int}}/logs", doc=f"{D}/workflow-runs#download-workflow-run-logs"
)
def run_logs(req: Request) -> Response:
    """302 to a signed zip of the latest attempt's job logs on the blob origin."""
    run = _run(req)
    if run.attempt.status != "completed":
        raise HttpError(404, "Not Found", req.doc)
    return _redirect(req, f"/logs/runs/{run.id}.zip")


def _redirect(req: Request, blob_path: str) -> Response:
    return Response(
        302,
        content_type="text/html;charset=utf-8",
        headers={"Location": req.backend.sign(blob_path)},
    )


# ---- changing runs ---------------------------------------------------------------------------


@API.route("POST", f"{R}/runs/{{run_id:int}}/rerun", doc=f"{D}/workflow-runs#re-run-a-workflow")
def rerun(req: Request) -> Response:
    """Re-run every job: a new attempt (201 ``{}``)."""
    return _rerun(req, only_failed=False)


@API.route(
    "POST",
    f"{R}/runs/{{run_id:int}}/rerun-failed-jobs",
    doc=f"{D}/workflow-runs#re-run-failed-jobs-from-a-workflow-run",
)
def rerun_failed(req: Request) -> Response:
    """Re-run the failed jobs and their dependents."""
    return _rerun(req, only_failed=True)


def _rerun(req: Request, *, only_failed: bool) -> Response:
    run = _run(req)
    _need_write(req)
    assert req.user is not None
    try:
        req.backend.world.rerun(run, req.user.login, only_failed=only_failed)
    except WorldError as exc:
        raise _world_error(req, exc) from None
    return Response(201, {})


@API.route(
    "POST",
    f"{R}/jobs/{{job_id:int}}/rerun",
    doc=f"{D}/workflow-jobs#re-run-a-job-from-a-workflow-run",
)
def rerun_job(req: Request) -> Response:
    """Re-run one job of the latest attempt and the jobs that need it."""
    run, job = _job(req)
    _need_write(req)
    assert req.user is not None
    if job.attempt != run.attempt.number:
        raise HttpError(403, "This job is not from the latest attempt of its run", req.doc)
    try:
        req.backend.world.rerun(run, req.user.login, job=job)
    except WorldError as exc:
        raise _world_error(req, exc) from None
    return Response(201, {})


@API.route(
    "POST", f"{R}/runs/{{run_id:int}}/cancel", doc=f"{D}/workflow-runs#cancel-a-workflow-run"
)
def cancel(req: Request) -> Response:
    """Cancel: 202, or 409 when the run is already finished."""
    return _cancel(req, force=False)


@API.route(
    "POST",
    f"{R}/runs/{{run_id:int}}/force-cancel",
    doc=f"{D}/workflow-runs#force-cancel-a-workflow-run",
)
def force_cancel(req: Request) -> Response:
    """Force-cancel: like cancel, ignoring ``always()`` conditions."""
    return _cancel(req, force=True)


def _cancel(req: Request, *, force: bool) -> Response:
    run = _run(req)
    _need_write(req)
    assert req.user is not None
    try:
        req.backend.world.cancel(run, req.user.login, force=force)
    except WorldError as exc:
        raise _world_error(req, exc) from None
    return Response(202, {})
