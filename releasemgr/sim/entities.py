"""The mutable records the simulated world is made of (guarded by ``World.lock``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasemgr.sim.pipeline import JobSpec

# Roles of the simulated users and the repository permission each role has.
ROLE_PERMISSIONS: dict[str, str] = {
    "release-manager": "admin",
    "approver": "write",
    "qa": "write",
    "reader": "read",
}


@dataclass
class User:
    """A GitHub account of the simulated organisation."""

    login: str
    id: int
    role: str
    name: str
    token: str

    @property
    def permission(self) -> str:
        """The user's permission on the repository: admin, write or read."""
        return ROLE_PERMISSIONS.get(self.role, "read")

    @property
    def can_write(self) -> bool:
        """Whether the user may dispatch, cancel and re-run workflows."""
        return self.permission in ("admin", "write")


@dataclass
class Environment:
    """A deployment environment with its protection rules."""

    id: int
    name: str
    created_at: float
    updated_at: float
    reviewers: list[str] = field(default_factory=list)  # logins
    prevent_self_review: bool = False
    wait_timer: int = 0  # minutes
    can_admins_bypass: bool = False
    reviewers_rule_id: int = 0
    wait_timer_rule_id: int = 0
    branch_rule_id: int = 0
    protected_branches_only: bool = False


@dataclass
class Workflow:
    """A workflow file of the repository."""

    id: int
    name: str
    path: str
    created_at: float
    updated_at: float
    dispatchable: bool = True
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {required, ...}
    state: str = "active"


@dataclass
class Job:
    """One job of one attempt of a run; planned times drive its status lazily."""

    id: int
    run_id: int
    attempt: int
    spec: JobSpec
    created_at: float
    status: str = "queued"  # queued, waiting, in_progress, completed
    conclusion: str | None = None
    started_at: float | None = None
    completed_at: float | None = None
    # Planned instants, set when the job becomes runnable.
    start_at: float | None = None
    end_at: float | None = None
    step_times: list[float] = field(default_factory=list)  # end of each step
    fail: bool = False  # the plan: this job fails at its work step
    fail_reason: str = ""
    waiting_since: float | None = None
    deployment_id: int | None = None
    runner_id: int | None = None
    skipped_by_mode: bool = False
    log_lines: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The job's name, as GitHub lists it."""
        return self.spec.name


@dataclass
class Attempt:
    """One attempt of a run: its jobs and when it started."""

    number: int
    started_at: float
    actor: str
    jobs: list[Job] = field(default_factory=list)
    status: str = "queued"
    conclusion: str | None = None
    completed_at: float | None = None
    cancel_requested_at: float | None = None


@dataclass
class Run:
    """A workflow run with all its attempts."""

    id: int
    number: int
    workflow_id: int
    event: str
    head_branch: str
    head_sha: str
    message: str
    actor: str
    created_at: float
    version: str
    app: str
    inputs: dict[str, str] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    fail_jobs: dict[str, str] = field(default_factory=dict)  # job name -> reason, first attempt
    updated_at: float = 0.0

    @property
    def attempt(self) -> Attempt:
        """The latest attempt."""
        return self.attempts[-1]

    @property
    def rollback_target(self) -> str | None:
        """The run id this run restores, when dispatched as a rollback."""
        from releasemgr.sim.pipeline import ROLLBACK_INPUT

        value = self.inputs.get(ROLLBACK_INPUT, "").strip()
        return value or None

    @property
    def display_title(self) -> str:
        """The run's title, as the workflow's ``run-name`` makes it."""
        if self.rollback_target:
            return f"Rollback production to run {self.rollback_target}"
        return self.message.splitlines()[0] if self.message else "Build and Deploy"


@dataclass
class Artifact:
    """An uploaded artifact; its zip is built on disk the first time it is needed."""

    id: int
    name: str
    run_id: int
    kind: str
    created_at: float
    expires_at: float
    head_branch: str
    head_sha: str
    # What to build: app, platform, version, commit, channel, ... (see artifacts.py).
    recipe: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    size: int | None = None
    digest: str | None = None  # "sha256:<hex>"
    deleted: bool = False


@dataclass
class DeploymentStatus:
    """One status of a deployment."""

    id: int
    state: str
    creator: str
    description: str
    environment: str
    created_at: float
    log_url: str = ""  # set when someone posts the status; jobs' statuses link the run
    environment_url: str = ""


@dataclass
class Deployment:
    """A deployment GitHub created for a job that targets an environment."""

    id: int
    run_id: int
    sha: str
    ref: str
    environment: str
    creator: str
    created_at: float
    description: str = ""
    task: str = "deploy"
    payload: dict[str, Any] = field(default_factory=dict)
    production: bool = False
    statuses: list[DeploymentStatus] = field(default_factory=list)

    @property
    def updated_at(self) -> float:
        """When the latest status was added."""
        return self.statuses[-1].created_at if self.statuses else self.created_at


@dataclass
class Approval:
    """One review of pending deployments: who, approved or rejected, which environments."""

    run_id: int
    user: str
    state: str  # approved, rejected
    comment: str
    environments: list[str]
    at: float
    attempt: int = 1
