"""Job logs as GitHub serves them: one timestamped line per event, grouped by step."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from releasemgr.sim.entities import Job, Run


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def job_log(run: Run, job: Job) -> str:
    """The plain-text log of a finished job."""
    lines: list[str] = []
    start = job.started_at or job.created_at
    if job.conclusion == "skipped" or not job.step_times:
        end = job.completed_at or start
        reason = job.fail_reason or "This job was skipped"
        return f"{_stamp(end)} {reason}\n"
    prev = start
    failed_at = job.spec.work_step_index if job.fail else None
    for i, name in enumerate(job.spec.steps):
        end = job.step_times[i]
        if failed_at is not None and i > failed_at and name != "Complete job":
            continue
        lines.append(f"{_stamp(prev)} ##[group]{name}")
        if name == "Set up job":
            lines.append(f"{_stamp(prev)} Runner name: 'GitHub Actions {job.runner_id}'")
            lines.append(f"{_stamp(prev)} Operating System: {job.spec.runner_label}")
        elif name == job.spec.work_step:
            lines.append(f"{_stamp(prev)} {run.app} {run.version} at {run.head_sha}")
            if failed_at == i or (job.conclusion == "failure" and job.fail_reason):
                lines.append(f"{_stamp(end)} ##[error]{job.fail_reason or 'Process failed'}")
        lines.append(f"{_stamp(end)} ##[endgroup]")
        prev = end
    if job.conclusion == "failure" and job.fail_reason and failed_at is None:
        lines.append(f"{_stamp(job.completed_at or prev)} ##[error]{job.fail_reason}")
    lines.append(f"{_stamp(job.completed_at or prev)} Job {job.conclusion or 'ended'}")
    return "\n".join(lines) + "\n"


def run_logs_zip(run: Run) -> bytes:
    """The zip ``GET .../runs/{id}/logs`` serves: ``<n>_<job>.txt`` per job of the attempt."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, job in enumerate(run.attempt.jobs):
            zf.writestr(f"{i}_{job.name}.txt", job_log(run, job))
    return buffer.getvalue()
