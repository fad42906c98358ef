"""The use cases of a signed-in session: what the CLI and the window both call.

One :class:`ReleaseService` per signed-in session. It is safe to call from several worker
threads at once (each thread gets its own HTTP connection; the ETag cache and the rate-limit
figures are shared under a lock). Every method raises only :mod:`releasemgr.errors` types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from releasemgr.config import Config
from releasemgr.model import (
    ArtifactRef,
    Channel,
    GateDecision,
    GateRequest,
    KpiReport,
    Platform,
    RateLimit,
    ReleaseBoard,
    RunDetail,
    RunSummary,
    Stage,
    User,
)


class ReleaseService:
    """Release operations on one repository for one signed-in user."""

    @classmethod
    def connect(
        cls, *, api_url: str, repository: str, token: str, config: Config
    ) -> ReleaseService:
        """A service for ``repository`` at ``api_url``; checks nothing over the network yet."""
        raise NotImplementedError

    @property
    def api_url(self) -> str:
        """The API URL this session talks to."""
        raise NotImplementedError

    @property
    def repository(self) -> str:
        """``OWNER/NAME`` of the repository."""
        raise NotImplementedError

    def whoami(self) -> User:
        """The signed-in user (cached after the first call). Raises AuthError for a bad token."""
        raise NotImplementedError

    def rate_limit(self) -> RateLimit:
        """Remaining core rate limit as the last response told it (no request is made)."""
        raise NotImplementedError

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        """The latest ``limit`` runs of the configured workflow, newest first."""
        raise NotImplementedError

    def run_detail(self, run_id: int) -> RunDetail:
        """The run, its platform x stage grid and its gates (with k of N and may_approve)."""
        raise NotImplementedError

    def status_grid(self, limit: int = 20) -> list[RunDetail]:
        """Grid of each of the latest ``limit`` runs (what a dashboard polls)."""
        raise NotImplementedError

    def job_log_tail(self, job_id: int, lines: int = 40) -> str:
        """The last ``lines`` lines of a job's log."""
        raise NotImplementedError

    def pending_gates(self, limit: int = 20) -> list[GateRequest]:
        """Gates waiting now across the latest runs, each with may_approve and the reason."""
        raise NotImplementedError

    def approve(
        self,
        run_id: int,
        stage: Stage,
        comment: str,
        platforms: Sequence[Platform] | None = None,
    ) -> GateDecision:
        """Approve the stage's waiting gates of the run in one POST.

        Raises:
            ConflictError: nothing of the stage waits any more.
            PermissionDenied: the user may not approve (the reason says why).
        """
        raise NotImplementedError

    def reject(
        self,
        run_id: int,
        stage: Stage,
        comment: str,
        platforms: Sequence[Platform] | None = None,
    ) -> GateDecision:
        """Reject the stage's waiting gates of the run in one POST (the run then fails)."""
        raise NotImplementedError

    def releases(self) -> ReleaseBoard:
        """Channel x platform current releases and history, from the artifact list only."""
        raise NotImplementedError

    def rollback(self, to_run: int | None = None) -> RunSummary:
        """Dispatch the workflow to restore ``to_run``'s production release (default: the one
        before the current). Returns the run the dispatch started.

        Raises:
            ConflictError: the target's production artifacts are expired or missing.
        """
        raise NotImplementedError

    def rerun_failed(self, run_id: int) -> None:
        """Re-run the failed jobs of a run."""
        raise NotImplementedError

    def rerun_job(self, job_id: int) -> None:
        """Re-run one job."""
        raise NotImplementedError

    def cancel(self, run_id: int) -> None:
        """Cancel a run. Raises ConflictError when it has already finished."""
        raise NotImplementedError

    def kpis(self, days: int = 30) -> KpiReport:
        """The seed's four KPIs over the last ``days`` days, with per-run samples."""
        raise NotImplementedError

    def setup_environments(self) -> list[str]:
        """Create or update the five gate environments; returns what changed (idempotent)."""
        raise NotImplementedError

    def artifact_for(
        self,
        *,
        run_id: int | None = None,
        name: str | None = None,
        channel: Channel | None = None,
        platform: Platform | None = None,
    ) -> ArtifactRef:
        """Find an artifact by run and name, or the current release of channel x platform."""
        raise NotImplementedError

    def download(
        self,
        artifact: ArtifactRef,
        target_dir: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Path:
        """Download, check and extract ``artifact`` into ``target_dir``; returns the folder."""
        raise NotImplementedError
