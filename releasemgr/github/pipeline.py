"""GitHub payloads to the domain model: runs, the platform x stage grid, gates, releases, KPIs.

Pure functions over parsed JSON (dicts as GitHub sends them) and the settings; no I/O, so the
rules (which job is which cell, who may approve, what "1 of 2" means) are tested directly.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from releasemgr.config import Config
from releasemgr.model import (
    Approval,
    ArtifactRef,
    CellState,
    Channel,
    GateRequest,
    JobCell,
    Platform,
    Release,
    ReleaseBoard,
    RunSummary,
    Stage,
    Step,
)

Payload = Mapping[str, Any]
GATED_STAGES = (Stage.CANARY, Stage.PRODUCTION)


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from GitHub (``2024-01-02T03:04:05Z``) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def state_of(status: object, conclusion: object) -> CellState:
    """GitHub's status and conclusion of a run, job or step as one cell state."""
    if status == "completed":
        return {
            "success": CellState.SUCCESS,
            "skipped": CellState.SKIPPED,
            "neutral": CellState.SUCCESS,
            "cancelled": CellState.CANCELLED,
        }.get(str(conclusion), CellState.FAILURE)
    if status == "waiting":
        return CellState.WAITING
    if status == "in_progress":
        return CellState.RUNNING
    if status in ("queued", "requested"):
        return CellState.QUEUED
    return CellState.PENDING


def run_summary(data: Payload) -> RunSummary:
    """A run payload as a :class:`RunSummary`."""
    created = parse_time(data.get("created_at"))
    assert created is not None, "a run always has created_at"
    actor = data.get("triggering_actor") or data.get("actor") or {}
    return RunSummary(
        id=int(data["id"]),
        number=int(data.get("run_number") or 0),
        attempt=int(data.get("run_attempt") or 1),
        title=str(data.get("display_title") or data.get("name") or ""),
        branch=str(data.get("head_branch") or ""),
        head_sha=str(data.get("head_sha") or ""),
        event=str(data.get("event") or ""),
        actor=str((data.get("actor") or actor).get("login") or ""),
        status=str(data.get("status") or ""),
        conclusion=data.get("conclusion"),
        state=state_of(data.get("status"), data.get("conclusion")),
        created_at=created,
        updated_at=parse_time(data.get("updated_at")) or created,
        started_at=parse_time(data.get("run_started_at")),
        html_url=str(data.get("html_url") or ""),
        workflow_path=str(data.get("path") or ""),
    )


# --- the grid --------------------------------------------------------------------------------


def classify_job(name: str, config: Config) -> tuple[Stage, Platform | None] | None:
    """Which stage (and platform, None for all) a job of this name fills, by the patterns."""
    lowered = name.lower()
    for stage_name, patterns in config.job_patterns.items():
        stage = Stage(stage_name)
        for pattern in patterns:
            if "{platform}" in pattern:
                for platform in config.platform_list():
                    if fnmatch.fnmatchcase(lowered, pattern.format(platform=platform).lower()):
                        return stage, platform
            elif fnmatch.fnmatchcase(lowered, pattern.lower()):
                return stage, None
    return None


def _cell(job: Payload, platform: Platform, stage: Stage) -> JobCell:
    steps = tuple(
        Step(
            number=int(s.get("number") or 0),
            name=str(s.get("name") or ""),
            state=state_of(s.get("status"), s.get("conclusion")),
            started_at=parse_time(s.get("started_at")),
            completed_at=parse_time(s.get("completed_at")),
        )
        for s in job.get("steps") or ()
    )
    status = job.get("status")
    return JobCell(
        platform=platform,
        stage=stage,
        state=state_of(status, job.get("conclusion")),
        job_id=int(job["id"]),
        job_name=str(job.get("name") or ""),
        started_at=parse_time(job.get("started_at")) if status != "waiting" else None,
        completed_at=parse_time(job.get("completed_at")),
        html_url=str(job.get("html_url") or ""),
        steps=steps,
    )


def grid(jobs: Iterable[Payload], config: Config) -> tuple[JobCell, ...]:
    """The platform x stage cells of a run from its jobs (latest attempt).

    A platform-less job (the monitor) fills its stage for every platform. While the production
    sign-off waits, the production cells show "waiting" too.
    """
    platforms = config.platform_list()
    cells: dict[tuple[Platform, Stage], JobCell] = {}
    signoff_waiting = False
    for job in jobs:
        name = str(job.get("name") or "")
        if name.lower() == config.signoff_environment.lower() and job.get("status") == "waiting":
            signoff_waiting = True
        found = classify_job(name, config)
        if found is None:
            continue
        stage, platform = found
        for p in platforms if platform is None else (platform,):
            cells[(p, stage)] = _cell(job, p, stage)
    out: list[JobCell] = []
    for platform in platforms:
        for stage in Stage:
            cell = cells.get((platform, stage))
            if cell is None:
                state = CellState.PENDING
                if stage == Stage.PRODUCTION and signoff_waiting:
                    state = CellState.WAITING
                cell = JobCell(platform=platform, stage=stage, state=state)
            elif stage == Stage.PRODUCTION and signoff_waiting and not cell.state.finished:
                cell = JobCell(**{**cell.__dict__, "state": CellState.WAITING})
            out.append(cell)
    return tuple(out)


# --- gates -----------------------------------------------------------------------------------


def approvals(data: Iterable[Payload]) -> tuple[Approval, ...]:
    """The run's approval history (``GET .../approvals``), oldest first as GitHub lists it."""
    return tuple(
        Approval(
            user=str((a.get("user") or {}).get("login") or ""),
            state=str(a.get("state") or ""),
            comment=str(a.get("comment") or ""),
            environments=tuple(str(e.get("name") or "") for e in a.get("environments") or ()),
        )
        for a in data
    )


def gate_of(environment: str, config: Config) -> tuple[Stage, Platform | None] | None:
    """The stage and platform a gate environment stands for (None: not one of ours)."""
    if environment == config.signoff_environment:
        return Stage.PRODUCTION, None
    for platform in config.platform_list():
        if environment == config.environment(Stage.CANARY, platform):
            return Stage.CANARY, platform
        if environment == config.environment(Stage.PRODUCTION, platform):
            return Stage.PRODUCTION, platform
    return None


def approvers(history: Sequence[Approval], environment: str) -> tuple[str, ...]:
    """Distinct users who approved ``environment``, in order."""
    seen: list[str] = []
    for a in history:
        if a.state == "approved" and environment in a.environments and a.user not in seen:
            seen.append(a.user)
    return tuple(seen)


def gates(
    run: RunSummary,
    pending: Iterable[Payload],
    history: Sequence[Approval],
    config: Config,
    me: str,
) -> tuple[GateRequest, ...]:
    """The run's waiting gates, each with k of N and whether ``me`` may approve, and why not."""
    out: list[GateRequest] = []
    signoff = approvers(history, config.signoff_environment)
    for item in pending:
        env = item.get("environment") or {}
        name = str(env.get("name") or "")
        found = gate_of(name, config)
        if found is None:
            continue
        stage, platform = found
        reviewers = tuple(_reviewer_name(r) for r in item.get("reviewers") or ())
        user_reviewers = {
            _reviewer_name(r) for r in item.get("reviewers") or () if r.get("type") == "User"
        }
        has_teams = any(r.get("type") == "Team" for r in item.get("reviewers") or ())
        if stage == Stage.PRODUCTION:
            needed = config.production_approvals
            approved_by = signoff if platform is None else _union(signoff, approvers(history, name))
        else:
            needed = 1
            approved_by = approvers(history, name)
        may = bool(item.get("current_user_can_approve"))
        reason: str | None = None
        if stage == Stage.PRODUCTION and platform is not None and me in signoff:
            may = False
            reason = (
                f"You signed off this release in {config.signoff_environment}; "
                "the second approval must come from someone else"
            )
        elif not may:
            if me not in user_reviewers and not has_teams:
                reason = f"You are not a reviewer for {name}"
            elif me == run.actor:
                reason = f"Self-review is prevented for {name}: you started this run"
            else:
                reason = f"GitHub does not let you approve {name}"
        out.append(
            GateRequest(
                run=run,
                stage=stage,
                environment=name,
                environment_id=int(env.get("id") or 0),
                platform=platform,
                waiting=True,
                reviewers=reviewers,
                may_approve=may,
                reason=reason,
                approvals_have=min(len(approved_by), needed),
                approvals_needed=needed,
                approved_by=approved_by,
                wait_timer_minutes=int(item.get("wait_timer") or 0),
                waiting_since=parse_time(item.get("wait_timer_started_at")),
            )
        )
    return tuple(out)


def _reviewer_name(reviewer: Payload) -> str:
    body = reviewer.get("reviewer") or {}
    return str(body.get("login") or body.get("slug") or body.get("name") or "")


def _union(a: Sequence[str], b: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*a, *b]))


# --- releases from the artifact list ---------------------------------------------------------


def artifact_ref(data: Payload) -> ArtifactRef:
    """An artifact payload as an :class:`ArtifactRef`."""
    run = data.get("workflow_run") or {}
    digest = data.get("digest")
    return ArtifactRef(
        id=int(data["id"]),
        name=str(data.get("name") or ""),
        run_id=int(run.get("id") or 0),
        size_in_bytes=int(data.get("size_in_bytes") or 0),
        digest=str(digest) if digest else None,
        archive_download_url=str(data.get("archive_download_url") or ""),
        created_at=parse_time(data.get("created_at")),
        expires_at=parse_time(data.get("expires_at")),
        expired=bool(data.get("expired")),
    )


def name_pattern(kind: str, config: Config) -> re.Pattern[str]:
    """A regex reading app, platform, version and commit from an artifact name of ``kind``."""
    pattern = config.artifact_names[kind]
    platforms = "|".join(re.escape(p.value) for p in config.platform_list())
    pieces = {
        "{app}": r"(?P<app>[A-Za-z0-9_.-]+?)",
        "{platform}": rf"(?P<platform>{platforms})",
        "{version}": r"(?P<version>[A-Za-z0-9_.+-]+?)",
        "{commit}": r"(?P<commit>[0-9a-fA-F]{7,40})",
    }
    regex = "".join(
        pieces.get(part, re.escape(part))
        for part in re.split(r"(\{app\}|\{platform\}|\{version\}|\{commit\})", pattern)
    )
    return re.compile(rf"^{regex}$")


def release_of(data: Payload, config: Config, run_numbers: Mapping[int, int]) -> Release | None:
    """The release an artifact carries, or None when it is not a canary/production release."""
    name = str(data.get("name") or "")
    for channel in Channel:
        match = name_pattern(config.channel_kind(channel), config).match(name)
        if not match:
            continue
        ref = artifact_ref(data)
        groups = match.groupdict()
        commit = groups.get("commit") or str((data.get("workflow_run") or {}).get("head_sha") or "")
        return Release(
            channel=channel,
            platform=Platform(groups["platform"]),
            app=groups.get("app") or config.app,
            version=groups.get("version") or commit[:7],
            run_id=ref.run_id,
            run_number=run_numbers.get(ref.run_id, 0),
            artifact=ref,
            deployed_at=ref.created_at,
            traffic_percentage=10 if channel == Channel.CANARY else 100,
            commit=commit,
        )
    return None


def release_board(
    artifacts: Iterable[Payload], config: Config, run_numbers: Mapping[int, int] | None = None
) -> ReleaseBoard:
    """Current release per channel x platform (newest unexpired) and the history, newest first."""
    releases = [r for a in artifacts if (r := release_of(a, config, run_numbers or {})) is not None]
    releases.sort(key=lambda r: (r.deployed_at or datetime.min.astimezone(), r.artifact.id))
    releases.reverse()
    current: dict[tuple[Channel, Platform], Release] = {}
    for release in releases:
        key = (release.channel, release.platform)
        if key not in current and not release.artifact.expired:
            current[key] = release
    return ReleaseBoard(current=current, history=tuple(releases))
