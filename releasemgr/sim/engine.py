"""How runs progress: jobs become ready, wait at gates, run, finish, and upload artifacts.

Every transition happens at a planned instant computed from earlier ones (seeded jitter), so
bringing a run up to ``now`` gives the same result however often or late ``sync`` is called.
Nothing here sleeps or reads a clock: the caller passes ``now``.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from releasemgr.sim import naming
from releasemgr.sim.entities import Artifact, Attempt, Deployment, DeploymentStatus, Job, Run
from releasemgr.sim.pipeline import (
    JOBS,
    JOBS_BY_NAME,
    PLATFORMS,
    PRODUCTION_ENVIRONMENTS,
    RELEASE_BRANCH,
    RETENTION_DAYS,
    SIGNOFF_ENVIRONMENT,
    JobSpec,
)
from releasemgr.sim.reports import monitoring_report

if TYPE_CHECKING:
    from releasemgr.sim.world import World

DAY = 86_400.0
GATE_TIMEOUT = 30 * DAY  # GitHub fails a job whose environment waits longer than 30 days
FAILED = ("failure", "cancelled", "timed_out")


def sync(world: World, now: float) -> None:
    """Bring every active run up to ``now``."""
    for run_id in sorted(world.active_runs):
        advance_run(world, world.runs[run_id], now)


def advance_run(world: World, run: Run, now: float) -> None:
    """Apply every transition of the run's latest attempt due at or before ``now``."""
    att = run.attempt
    changed = True
    while changed and att.status != "completed":
        changed = False
        jobs = {j.name: j for j in att.jobs}
        for spec in JOBS:
            job = jobs.get(spec.name)
            if job is None:
                job = _maybe_create(world, run, att, spec, jobs, now)
                if job is None:
                    continue
                jobs[spec.name] = job
                changed = True
            changed = _step(world, run, job, now) or changed
        _update_status(world, run, att)
    if att.status == "completed":
        world.active_runs.discard(run.id)


def _touch(run: Run, ts: float | None) -> None:
    if ts is not None and ts > run.updated_at:
        run.updated_at = ts


def _maybe_create(
    world: World, run: Run, att: Attempt, spec: JobSpec, jobs: dict[str, Job], now: float
) -> Job | None:
    if att.cancel_requested_at is not None:
        return None
    needs = [jobs.get(n) for n in spec.needs]
    if any(n is None or n.status != "completed" or n.completed_at is None for n in needs):
        return None
    done = [n for n in needs if n is not None]
    ready = max([att.started_at, *(n.completed_at or 0.0 for n in done)])
    if ready > now:
        return None
    job = Job(world.next_id("job"), run.id, att.number, spec, created_at=ready)
    att.jobs.append(job)
    _touch(run, ready)
    if run.rollback_target and not spec.runs_in_rollback:
        _finish(world, run, job, ready, "skipped", by_mode=True)
    elif (spec.release_branch_only and run.head_branch != RELEASE_BRANCH) or any(
        n.conclusion != "success" and not n.skipped_by_mode for n in done
    ):
        _finish(world, run, job, ready, "skipped")
    elif spec.environment:
        env = world.environments.get(spec.environment) or world.add_environment(
            spec.environment, at=ready
        )
        _new_deployment(world, run, job, ready)
        if env.reviewers:
            job.status = "waiting"
            job.waiting_since = ready
            _deployment_status(world, job, "pending", ready, "Waiting for review")
        else:
            _deployment_status(world, job, "queued", ready, "")
            _plan(world, run, job, ready + env.wait_timer * 60)
    else:
        _plan(world, run, job, ready)
    return job


def _job_rng(world: World, run: Run, job: Job) -> random.Random:
    return random.Random(f"{world.seed}:{run.id}:{job.attempt}:{job.name}")


def _plan(world: World, run: Run, job: Job, ready: float) -> None:
    """Schedule a runnable job: queue delay, then its steps; failing ones stop at the work step."""
    rng = _job_rng(world, run, job)
    spec = job.spec
    job.status = "queued"
    job.start_at = ready + rng.uniform(3, 20)
    job.fail = job.attempt == 1 and spec.name in run.fail_jobs and spec.uploads != "monitor"
    job.fail_reason = run.fail_jobs.get(spec.name, "") if job.fail else ""
    total = spec.duration * rng.uniform(0.85, 1.15)
    fixed = {
        "Set up job": rng.uniform(2, 4),
        "Check out repository": rng.uniform(1, 3),
        "Complete job": 1.0,
    }
    rest = max(1.0, total - sum(fixed.values()))
    others = [s for s in spec.steps if s not in fixed]
    weights = [6.0 if s == spec.work_step else 1.0 for s in others]
    t = job.start_at
    job.step_times = []
    failed_at = spec.work_step_index if job.fail else None
    for i, name in enumerate(spec.steps):
        if failed_at is not None and i > failed_at and name != "Complete job":
            dur = 0.0
        elif name in fixed:
            dur = fixed[name]
        else:
            dur = rest * weights[others.index(name)] / sum(weights)
        t += dur
        job.step_times.append(t)
    job.end_at = t


def _step(world: World, run: Run, job: Job, now: float) -> bool:
    changed = False
    if job.status == "queued" and job.start_at is not None and job.start_at <= now:
        job.status = "in_progress"
        job.started_at = job.start_at
        job.runner_id = world.next_id("runner")
        _deployment_status(world, job, "in_progress", job.start_at, "")
        _touch(run, job.start_at)
        changed = True
    if job.status == "in_progress" and job.end_at is not None and job.end_at <= now:
        _complete(world, run, job)
        changed = True
    if job.status == "waiting" and job.waiting_since is not None:
        deadline = job.waiting_since + GATE_TIMEOUT
        if deadline <= now:
            job.fail_reason = "The environment was not approved within 30 days"
            _deployment_status(world, job, "failure", deadline, job.fail_reason)
            _finish(world, run, job, deadline, "failure")
            changed = True
    return changed


def _finish(
    world: World, run: Run, job: Job, at: float, conclusion: str, *, by_mode: bool = False
) -> None:
    job.status = "completed"
    job.conclusion = conclusion
    job.completed_at = at
    job.skipped_by_mode = by_mode
    _touch(run, at)


def _complete(world: World, run: Run, job: Job) -> None:
    """The job's last step ended: decide its conclusion and upload what it uploads."""
    assert job.end_at is not None
    at = job.end_at
    spec = job.spec
    ok = not job.fail
    kind = spec.uploads
    if kind == "monitor":
        report = monitoring_report(world, run, at)
        ok = bool(report["healthy"])
        if not ok:
            job.fail_reason = "; ".join(report["reasons"])
        _upload_monitor(world, run, job, report, at)
    elif kind == "production" and ok:
        reason = _production_check(world, run, job, at)
        if reason:
            ok = False
            job.fail_reason = reason
        else:
            _upload_release(world, run, job, at)
    elif kind == "test-report":
        _upload_test_report(world, run, job, ok, at)
    elif kind and ok:
        _upload_release(world, run, job, at)
    conclusion = "success" if ok else "failure"
    if ok and kind == "production" and not run.rollback_target:
        world.tags.setdefault(f"v{run.version}", run.head_sha)  # the release's tag
    if job.deployment_id is not None:
        _deployment_status(world, job, "success" if ok else "failure", at, job.fail_reason)
        if ok:
            _inactivate_older(world, job, at)
    _finish(world, run, job, at, conclusion)


def _production_check(world: World, run: Run, job: Job, at: float) -> str:
    """What the production job's first step checks; the reason it fails, or ``""``."""
    env = job.spec.environment or ""
    signer = world.signoff_approver(run)
    approver = None
    for approval in reversed(world.approvals):
        if (
            approval.run_id == run.id
            and approval.attempt == job.attempt
            and approval.state == "approved"
            and env in approval.environments
        ):
            approver = approval.user
            break
    if signer is None or approver is None:
        return f"no approval of {SIGNOFF_ENVIRONMENT} and {env} found in the run's history"
    if signer == approver:
        return (
            f"production needs two different approvers: {signer} approved both "
            f"{SIGNOFF_ENVIRONMENT} and {env}"
        )
    if run.rollback_target:
        source = _rollback_source(world, run, job.spec.platform or "", at)
        if isinstance(source, str):
            return source
    return ""


def _rollback_source(world: World, run: Run, platform: str, now: float) -> Artifact | str:
    """The production artifact a rollback restores for ``platform``, or why there is none."""
    target = run.rollback_target or ""
    source = world.runs.get(int(target)) if target.isdigit() else None
    if source is None:
        return f"rollback target run {target} does not exist"
    found = [
        art
        for art in world.artifacts.values()
        if art.run_id == source.id
        and art.kind == "production"
        and art.recipe.get("platform") == platform
        and not art.deleted
    ]
    if not found:
        return f"run {source.id} has no production release for {platform}"
    if found[-1].expires_at <= now:
        return f"the production release of run {source.id} for {platform} has expired"
    return found[-1]


def _new_artifact(
    world: World, run: Run, name: str, kind: str, at: float, recipe: dict[str, Any]
) -> Artifact:
    art = Artifact(
        id=world.next_id("artifact"),
        name=name,
        run_id=run.id,
        kind=kind,
        created_at=at,
        expires_at=at + RETENTION_DAYS.get(kind, 90) * DAY,
        head_branch=run.head_branch,
        head_sha=run.head_sha,
        recipe=recipe,
    )
    for other in world.artifacts.values():
        # upload-artifact with overwrite: a re-run's upload replaces the earlier one
        if other.run_id == run.id and other.name == name and not other.deleted:
            other.deleted = True
    world.artifacts[art.id] = art
    return art


def _upload_release(world: World, run: Run, job: Job, at: float) -> None:
    spec = job.spec
    kind = spec.uploads or "release"
    platform = spec.platform or ""
    version, commit = run.version, run.head_sha
    if run.rollback_target and kind == "production":
        source = _rollback_source(world, run, platform, at)
        if isinstance(source, Artifact):
            version = str(source.recipe["version"])
            commit = str(source.recipe["commit"])
    channel = {"canary": "canary", "production": "stable"}.get(kind)
    recipe: dict[str, Any] = {
        "app": run.app,
        "platform": platform,
        "version": version,
        "commit": commit,
        "ref": f"refs/heads/{run.head_branch}",
        "run_id": run.id,
        "run_attempt": job.attempt,
        "channel": channel,
        "traffic": {"canary": 10, "production": 100}.get(kind),
        "built_at": at,
        "tamper": kind == "canary"
        and platform == PLATFORMS[-1]
        and "monitor" in run.fail_jobs
        and job.attempt == 1,
    }
    name = naming.release_artifact(run.app, platform, kind, version, commit)
    _new_artifact(world, run, name, kind, at, recipe)


def _upload_test_report(world: World, run: Run, job: Job, ok: bool, at: float) -> None:
    rng = _job_rng(world, run, job)
    total = 412
    failed = 0 if ok else rng.randint(1, 4)
    recipe = {
        "platform": job.spec.platform,
        "report": {
            "platform": job.spec.platform,
            "commit": run.head_sha,
            "total": total,
            "passed": total - failed,
            "failed": failed,
            "failures": [job.fail_reason or "test_render_pipeline: output differs"]
            if failed
            else [],
        },
    }
    name = naming.test_report_artifact(job.spec.platform or "", run.head_sha)
    _new_artifact(world, run, name, "test-report", at, recipe)


def _upload_monitor(world: World, run: Run, job: Job, report: dict[str, Any], at: float) -> None:
    name = naming.monitoring_report_artifact(run.version, run.head_sha)
    _new_artifact(world, run, name, "monitor", at, {"report": report})


def _new_deployment(world: World, run: Run, job: Job, at: float) -> None:
    env = job.spec.environment or ""
    dep = Deployment(
        id=world.next_id("deployment"),
        run_id=run.id,
        sha=run.head_sha,
        ref=run.head_branch,
        environment=env,
        creator=run.attempt.actor,
        created_at=at,
        production=env in PRODUCTION_ENVIRONMENTS,
    )
    world.deployments[dep.id] = dep
    job.deployment_id = dep.id


def _deployment_status(world: World, job: Job, state: str, at: float, description: str) -> None:
    if job.deployment_id is None:
        return
    dep = world.deployments[job.deployment_id]
    dep.statuses.append(
        DeploymentStatus(
            world.next_id("status"), state, dep.creator, description[:140], dep.environment, at
        )
    )


def _inactivate_older(world: World, job: Job, at: float) -> None:
    current = job.deployment_id
    for dep in world.deployments.values():
        if (
            dep.id != current
            and dep.environment == job.spec.environment
            and dep.statuses
            and dep.statuses[-1].state == "success"
        ):
            dep.statuses.append(
                DeploymentStatus(
                    world.next_id("status"),
                    "inactive",
                    dep.creator,
                    "Superseded by a newer deployment",
                    dep.environment,
                    at,
                )
            )


def _update_status(world: World, run: Run, att: Attempt) -> None:
    jobs = att.jobs
    all_done = all(j.status == "completed" for j in jobs)
    if all_done and (att.cancel_requested_at is not None or len(jobs) == len(JOBS)):
        att.status = "completed"
        conclusions = {j.conclusion for j in jobs}
        if att.cancel_requested_at is not None or "cancelled" in conclusions:
            att.conclusion = "cancelled"
        elif conclusions & {"failure", "timed_out"}:
            att.conclusion = "failure"
        else:
            att.conclusion = "success"
        att.completed_at = max((j.completed_at or 0.0 for j in jobs), default=att.started_at)
        _touch(run, att.completed_at)
        return
    if any(j.status == "in_progress" for j in jobs) or any(j.status == "completed" for j in jobs):
        att.status = "in_progress"
        if not any(j.status in ("in_progress", "queued") for j in jobs) and any(
            j.status == "waiting" for j in jobs
        ):
            att.status = "waiting"
    elif any(j.status == "waiting" for j in jobs):
        att.status = "waiting"
    else:
        att.status = "queued"


def review_job(
    world: World, run: Run, job: Job, state: str, login: str, comment: str, now: float
) -> None:
    """Apply one environment's review: approval schedules the job, rejection fails it."""
    env = world.environments.get(job.spec.environment or "")
    if state == "approved":
        _deployment_status(world, job, "queued", now, f"Approved by {login}")
        earliest = (job.waiting_since or now) + (env.wait_timer * 60 if env else 0)
        _plan(world, run, job, max(now, earliest))
    else:
        job.fail_reason = f"Deployment rejected by {login}: {comment}".strip(": ")
        _deployment_status(world, job, "failure", now, job.fail_reason)
        job.started_at = now
        _finish(world, run, job, now, "failure")


def cancel_attempt(world: World, run: Run, now: float, login: str) -> None:
    """Cancel every unfinished job of the latest attempt."""
    att = run.attempt
    att.cancel_requested_at = now
    for job in att.jobs:
        if job.status != "completed":
            _deployment_status(world, job, "failure", now, f"Cancelled by {login}")
            _finish(world, run, job, now, "cancelled")
    _update_status(world, run, att)
    _touch(run, now)
    if att.status == "completed":
        world.active_runs.discard(run.id)


def _dependents(names: set[str]) -> set[str]:
    result = set(names)
    grew = True
    while grew:
        grew = False
        for spec in JOBS:
            if spec.name not in result and any(n in result for n in spec.needs):
                result.add(spec.name)
                grew = True
    return result


def new_attempt(
    world: World, run: Run, now: float, login: str, *, only_failed: bool, job: Job | None
) -> None:
    """Start the next attempt: everything, the failed jobs and dependents, or one job."""
    prev = run.attempt
    att = Attempt(prev.number + 1, now, login)
    if job is not None:
        again = _dependents({job.name})
    elif only_failed:
        again = _dependents({j.name for j in prev.jobs if j.conclusion in FAILED})
    else:
        again = set(JOBS_BY_NAME)
    for old in prev.jobs:
        if old.name in again:
            continue
        copy = Job(
            world.next_id("job"),
            run.id,
            att.number,
            old.spec,
            old.created_at,
            status=old.status,
            conclusion=old.conclusion,
            started_at=old.started_at,
            completed_at=old.completed_at,
            start_at=old.start_at,
            end_at=old.end_at,
            step_times=list(old.step_times),
            fail=old.fail,
            fail_reason=old.fail_reason,
            runner_id=old.runner_id,
            skipped_by_mode=old.skipped_by_mode,
        )
        att.jobs.append(copy)
    run.attempts.append(att)
    world.active_runs.add(run.id)
    _touch(run, now)
    advance_run(world, run, now)
