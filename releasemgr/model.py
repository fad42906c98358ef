"""The domain model: frozen, typed dataclasses that know nothing of PyGithub or Qt.

``github/`` converts payloads into these at its boundary; ``ui/`` and ``cli/`` only read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Platform(StrEnum):
    """A platform the pipeline builds for."""

    WINDOWS = "windows"
    MACOS = "macos"
    LINUX = "linux"


class Stage(StrEnum):
    """A column of the platform x stage grid, in pipeline order."""

    BUILD = "build"
    TEST = "test"
    PACKAGE = "package"
    CANARY = "canary"
    MONITOR = "monitor"
    PRODUCTION = "production"


class Channel(StrEnum):
    """A release channel, as written to ``channel.txt``."""

    CANARY = "canary"
    STABLE = "stable"


# The platforms the seed's pipeline ships.
PIPELINE_PLATFORMS: tuple[Platform, ...] = (Platform.WINDOWS, Platform.MACOS)


# --- What the GitHub side of the app shows: runs, the grid, gates, releases, KPIs -------------
# (``github/pipeline.py`` builds these from API payloads; times are aware UTC datetimes.)


class CellState(StrEnum):
    """The state of one grid cell (a job) or of a whole run, as a person reads it."""

    PENDING = "pending"  # not started: waiting for an earlier job
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"  # paused at an approval gate
    SUCCESS = "success"
    FAILURE = "failure"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        """Whether nothing more will happen to this cell without a re-run."""
        return self in _FINISHED


_FINISHED = frozenset(
    {CellState.SUCCESS, CellState.FAILURE, CellState.CANCELLED, CellState.SKIPPED}
)


@dataclass(frozen=True)
class User:
    """A GitHub account."""

    login: str
    id: int = 0
    name: str | None = None


@dataclass(frozen=True)
class RateLimit:
    """The core rate limit, as the last response's ``X-RateLimit-*`` headers told it."""

    remaining: int
    limit: int
    reset_at: datetime | None = None
    used: int = 0


@dataclass(frozen=True)
class RunSummary:
    """One workflow run, as a row of the runs list."""

    id: int
    number: int
    attempt: int
    title: str
    branch: str
    head_sha: str
    event: str
    actor: str
    status: str  # GitHub's: queued, in_progress, waiting, completed, ...
    conclusion: str | None  # GitHub's: success, failure, cancelled, ... (None while running)
    state: CellState
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    html_url: str = ""
    workflow_path: str = ""

    @property
    def short_sha(self) -> str:
        """The first seven characters of the commit, as GitHub shows it."""
        return self.head_sha[:7]

    @property
    def duration_seconds(self) -> float:
        """Seconds from start to the last update (the run's wall time so far)."""
        start = self.started_at or self.created_at
        return max(0.0, (self.updated_at - start).total_seconds())


@dataclass(frozen=True)
class Step:
    """One step of a job."""

    number: int
    name: str
    state: CellState
    started_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class JobCell:
    """One cell of the platform x stage grid: the job behind it, or nothing yet."""

    platform: Platform
    stage: Stage
    state: CellState
    job_id: int | None = None
    job_name: str = ""
    started_at: datetime | None = None
    completed_at: datetime | None = None
    html_url: str = ""
    steps: tuple[Step, ...] = ()

    @property
    def duration_seconds(self) -> float | None:
        """Seconds the job ran, or ``None`` before it started."""
        if self.started_at is None:
            return None
        end = self.completed_at or self.started_at
        return max(0.0, (end - self.started_at).total_seconds())


@dataclass(frozen=True)
class Approval:
    """One review recorded on a run (``GET .../runs/{id}/approvals``)."""

    user: str
    state: str  # "approved" or "rejected"
    comment: str
    environments: tuple[str, ...]


@dataclass(frozen=True)
class GateRequest:
    """An approval gate of a run, waiting or decided, seen by the signed-in user.

    ``approvals_needed`` is 1 for canary and 2 for production (two distinct people);
    ``approvals_have`` counts who approved so far, so production reads "1 of 2".
    """

    run: RunSummary
    stage: Stage
    environment: str
    environment_id: int
    platform: Platform | None  # None for the once-per-run production sign-off
    waiting: bool
    reviewers: tuple[str, ...]
    may_approve: bool
    reason: str | None  # why the signed-in user may not approve, as a sentence
    approvals_have: int
    approvals_needed: int
    approved_by: tuple[str, ...] = ()
    wait_timer_minutes: int = 0
    waiting_since: datetime | None = None

    @property
    def progress(self) -> str:
        """The "k of N" label."""
        return f"{self.approvals_have} of {self.approvals_needed}"


@dataclass(frozen=True)
class RunDetail:
    """A run with its grid of cells and its gates."""

    run: RunSummary
    cells: tuple[JobCell, ...]
    gates: tuple[GateRequest, ...] = ()
    approvals: tuple[Approval, ...] = ()
    platforms: tuple[Platform, ...] = PIPELINE_PLATFORMS

    def cell(self, platform: Platform, stage: Stage) -> JobCell:
        """The cell at ``platform`` x ``stage`` (a pending placeholder when no job matched)."""
        for cell in self.cells:
            if cell.platform == platform and cell.stage == stage:
                return cell
        return JobCell(platform=platform, stage=stage, state=CellState.PENDING)

    @property
    def waiting_gates(self) -> tuple[GateRequest, ...]:
        """The gates that wait for a review now."""
        return tuple(g for g in self.gates if g.waiting)


@dataclass(frozen=True)
class GateDecision:
    """What an approve or reject did."""

    run_id: int
    stage: Stage
    state: str  # "approved" or "rejected"
    environments: tuple[str, ...]
    comment: str
    user: str
    attempts: int = 1  # POSTs actually sent (a retry happens only after re-reading the state)


@dataclass(frozen=True)
class ArtifactRef:
    """An artifact as listed by GitHub, enough to download and check it."""

    id: int
    name: str
    run_id: int
    size_in_bytes: int
    digest: str | None  # "sha256:<hex>" when GitHub gives one
    archive_download_url: str
    created_at: datetime | None
    expires_at: datetime | None
    expired: bool


@dataclass(frozen=True)
class Release:
    """A canary or production release of one platform, read from the artifact list alone."""

    channel: Channel
    platform: Platform
    app: str
    version: str  # the app's version, e.g. "1.9.3"
    run_id: int  # the run that published this artifact (a rollback run re-publishes)
    run_number: int
    artifact: ArtifactRef
    deployed_at: datetime | None
    traffic_percentage: int  # 10 for canary, 100 for stable, as in the seed
    commit: str = ""  # the commit the release was built from (7 hex digits or the full SHA)

    @property
    def short_commit(self) -> str:
        """The first seven characters of the commit, as ``version.txt`` identifies it."""
        return self.commit[:7]


@dataclass(frozen=True)
class ReleaseBoard:
    """Channel x platform: the current release of each, and every release still listed."""

    current: Mapping[tuple[Channel, Platform], Release]
    history: tuple[Release, ...]  # newest first

    def current_for(self, channel: Channel, platform: Platform) -> Release | None:
        """The current release of ``channel`` on ``platform``, if any."""
        return self.current.get((channel, platform))

    def previous_production_run(self) -> int | None:
        """The run of the stable release before the current one (the default rollback target).

        "Before" means an earlier, different build (another commit), still within retention.
        """
        current = [r for r in self.history if r.channel == Channel.STABLE]
        if not current:
            return None
        now = current[0].commit or current[0].version
        for release in current[1:]:
            if (release.commit or release.version) != now and not release.artifact.expired:
                return release.run_id
        return None


class KpiStatus(StrEnum):
    """How a KPI stands against the seed's target and alert threshold."""

    OK = "ok"  # meets the target
    WARN = "warn"  # misses the target, not yet at the alert threshold
    ALERT = "alert"
    UNKNOWN = "unknown"  # no data in the window


@dataclass(frozen=True)
class Kpi:
    """One of the seed's four KPIs over a window of runs."""

    key: str  # build_success_rate, test_pass_rate, workflow_duration, canary_success_rate
    title: str
    value: float | None  # percent for rates, minutes for duration
    unit: str  # "%" or "min"
    target: str  # e.g. "> 95%"
    alert: str  # e.g. "< 90%"
    status: KpiStatus
    samples: int


@dataclass(frozen=True)
class RunSample:
    """One run's contribution to the KPIs, for charts over time."""

    run_id: int
    created_at: datetime
    build_ok: bool | None  # None when the stage did not finish
    tests_ok: bool | None
    canary_ok: bool | None
    duration_minutes: float | None


@dataclass(frozen=True)
class KpiReport:
    """The four KPIs over the last ``days`` days, with the per-run samples behind them."""

    days: int
    kpis: tuple[Kpi, ...]
    samples: tuple[RunSample, ...]

    def get(self, key: str) -> Kpi:
        """The KPI named ``key``."""
        for kpi in self.kpis:
            if kpi.key == key:
                return kpi
        raise KeyError(key)
