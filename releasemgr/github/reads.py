"""The read side of a session: runs, the grid, gates, releases, KPIs, downloads.

:class:`RepositoryReader` holds the gateway and the settings and turns GitHub's answers into the
domain model; :class:`~releasemgr.github.service.ReleaseService` adds the use cases that change
state. Every GET here is conditional (kept ETags), so polling what did not change is free.
"""

from __future__ import annotations

import collections
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasemgr.config import Config
from releasemgr.errors import NetworkError, NotFoundError, UsageError
from releasemgr.github import kpis as kpi_rules
from releasemgr.github import pipeline
from releasemgr.github.gateway import Gateway
from releasemgr.model import (
    ArtifactRef,
    CellState,
    Channel,
    GateRequest,
    KpiReport,
    Platform,
    RateLimit,
    ReleaseBoard,
    RunDetail,
    RunSummary,
    User,
)

if TYPE_CHECKING:
    from releasemgr.github.download import DownloadResult


class RepositoryReader:
    """Reads one repository's pipeline state for one signed-in user."""

    def __init__(self, gateway: Gateway, repository: str, config: Config) -> None:
        owner, _, name = repository.partition("/")
        if not owner or not name or "/" in name:
            raise UsageError(f"repository {repository!r} is not OWNER/NAME")
        self._gw = gateway
        self._repository = repository
        self._repo = f"/repos/{owner}/{name}"
        self._config = config
        self._me: User | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._gw.api_url!r}, {self._repository!r})"

    @property
    def api_url(self) -> str:
        """The API URL this session talks to."""
        return self._gw.api_url

    @property
    def repository(self) -> str:
        """``OWNER/NAME`` of the repository."""
        return self._repository

    @property
    def config(self) -> Config:
        """The settings this session runs with."""
        return self._config

    @property
    def gateway(self) -> Gateway:
        """The HTTP gateway (for counters in benchmarks and tests)."""
        return self._gw

    # -- who and how much -------------------------------------------------------------------

    def whoami(self) -> User:
        """The signed-in user (cached after the first call). Raises AuthError for a bad token."""
        with self._lock:
            if self._me is not None:
                return self._me
        data = self._gw.get("/user", what="the signed-in user").body or {}
        user = User(
            login=str(data.get("login") or ""), id=int(data.get("id") or 0), name=data.get("name")
        )
        with self._lock:
            self._me = user
        return user

    def rate_limit(self) -> RateLimit:
        """Remaining core rate limit as the last response told it (no request is made)."""
        return self._gw.rate_limit()

    # -- runs and the grid ------------------------------------------------------------------

    def _runs_path(self) -> str:
        return f"{self._repo}/actions/workflows/{self._config.workflow}/runs"

    def _what_workflow(self) -> str:
        return f"workflow {self._config.workflow} of {self._repository}"

    def _list_run_payloads(self, limit: int, **params: Any) -> list[Any]:
        return self._gw.get_list(
            self._runs_path(),
            what=self._what_workflow(),
            key="workflow_runs",
            params=params,
            limit=limit,
        )

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        """The latest ``limit`` runs of the configured workflow, newest first."""
        if limit < 1:
            raise UsageError(f"--limit must be at least 1, not {limit}")
        return [pipeline.run_summary(r) for r in self._list_run_payloads(limit)]

    def _run(self, run_id: int) -> RunSummary:
        data = self._gw.get(
            f"{self._repo}/actions/runs/{run_id}", what=f"run {run_id} of {self._repository}"
        ).body
        return pipeline.run_summary(data)

    def _jobs(self, run_id: int) -> list[Any]:
        return self._gw.get_list(
            f"{self._repo}/actions/runs/{run_id}/jobs", what=f"jobs of run {run_id}", key="jobs"
        )

    def _pending(self, run_id: int, *, fresh: bool = False) -> list[Any]:
        path = f"{self._repo}/actions/runs/{run_id}/pending_deployments"
        return list(
            self._gw.get(
                path, what=f"pending deployments of run {run_id}", conditional=not fresh
            ).body
            or []
        )

    def _approvals(self, run_id: int, *, fresh: bool = False) -> list[Any]:
        path = f"{self._repo}/actions/runs/{run_id}/approvals"
        return list(
            self._gw.get(path, what=f"approvals of run {run_id}", conditional=not fresh).body or []
        )

    def _detail(self, run: RunSummary, *, with_gates: bool = True) -> RunDetail:
        cells = pipeline.grid(self._jobs(run.id), self._config)
        if not with_gates:
            return RunDetail(run=run, cells=cells, platforms=self._config.platform_list())
        gated = any(
            c.stage in pipeline.GATED_STAGES
            and c.state not in (CellState.PENDING, CellState.SKIPPED)
            for c in cells
        )
        history = pipeline.approvals(self._approvals(run.id)) if gated else ()
        gates: tuple[GateRequest, ...] = ()
        if run.status == "waiting":
            gates = pipeline.gates(
                run, self._pending(run.id), history, self._config, self.whoami().login
            )
        return RunDetail(
            run=run,
            cells=cells,
            gates=gates,
            approvals=history,
            platforms=self._config.platform_list(),
        )

    def run_detail(self, run_id: int) -> RunDetail:
        """The run, its platform x stage grid and its gates (with k of N and may_approve)."""
        return self._detail(self._run(run_id))

    def latest_run_id(self) -> int:
        """The newest run of the workflow. Raises NotFoundError when there is none."""
        runs = self.list_runs(1)
        if not runs:
            raise NotFoundError(f"{self._what_workflow()} has no runs yet")
        return runs[0].id

    def status_grid(self, limit: int = 20) -> list[RunDetail]:
        """Grid of each of the latest ``limit`` runs (what a dashboard polls)."""
        return [self._detail(run) for run in self.list_runs(limit)]

    def job_log_tail(self, job_id: int, lines: int = 40) -> str:
        """The last ``lines`` lines of a job's log."""
        location = self._gw.redirect_location(
            f"{self._repo}/actions/jobs/{job_id}/logs", what=f"log of job {job_id}"
        )
        # The signed URL is on another host: no Authorization header goes there.
        request = urllib.request.Request(location, headers={"User-Agent": "releasemgr"})  # noqa: S310
        tail: collections.deque[str] = collections.deque(maxlen=max(1, lines))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the configured GitHub host  # nosec B310
                for raw in response:
                    tail.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
        except OSError as exc:
            raise NetworkError(
                f"cannot fetch the log of job {job_id} ({type(exc).__name__})"
            ) from None
        return "\n".join(tail)

    # -- gates ------------------------------------------------------------------------------

    def pending_gates(self, limit: int = 20) -> list[GateRequest]:
        """Gates waiting now across the latest runs, each with may_approve and the reason."""
        out: list[GateRequest] = []
        for payload in self._list_run_payloads(limit, status="waiting"):
            run = pipeline.run_summary(payload)
            history = pipeline.approvals(self._approvals(run.id))
            out.extend(
                pipeline.gates(
                    run, self._pending(run.id), history, self._config, self.whoami().login
                )
            )
        return out

    def _waiting(self, run_id: int, *, fresh: bool) -> tuple[RunSummary, list[GateRequest]]:
        run = self._run(run_id)
        history = pipeline.approvals(self._approvals(run_id, fresh=fresh))
        pending = self._pending(run_id, fresh=fresh) if run.status == "waiting" else []
        me = self.whoami().login
        return run, list(pipeline.gates(run, pending, history, self._config, me))

    # -- releases ---------------------------------------------------------------------------

    def releases(self) -> ReleaseBoard:
        """Channel x platform current releases and history, from the artifact list only."""
        artifacts = self._gw.get_list(
            f"{self._repo}/actions/artifacts",
            what=f"artifacts of {self._repository}",
            key="artifacts",
            limit=2000,
        )
        numbers = {r.id: r.number for r in self.list_runs(100)}
        return pipeline.release_board(artifacts, self._config, numbers)

    def artifact_for(
        self,
        *,
        run_id: int | None = None,
        name: str | None = None,
        channel: Channel | None = None,
        platform: Platform | None = None,
    ) -> ArtifactRef:
        """Find an artifact by run and name (or unique name prefix), or the current release
        of channel x platform."""
        if run_id is not None and name:
            items = [
                pipeline.artifact_ref(a)
                for a in self._gw.get_list(
                    f"{self._repo}/actions/runs/{run_id}/artifacts",
                    what=f"artifacts of run {run_id}",
                    key="artifacts",
                )
            ]
            exact = [a for a in items if a.name == name]
            matches = exact or [a for a in items if a.name.startswith(name)]
            if not matches:
                names = ", ".join(sorted(a.name for a in items)) or "none"
                raise NotFoundError(
                    f"run {run_id} has no artifact named {name!r} (it has: {names})"
                )
            if len(matches) > 1:
                raise UsageError(
                    f"{name!r} matches several artifacts of run {run_id}: "
                    + ", ".join(a.name for a in matches)
                )
            found = matches[0]
        elif channel is not None and platform is not None:
            release = self.releases().current_for(channel, platform)
            if release is None:
                raise NotFoundError(f"there is no current {channel} release for {platform}")
            found = release.artifact
        else:
            raise UsageError("give a run and an artifact name, or a channel and a platform")
        if found.expired:
            raise NotFoundError(f"artifact {found.name} has expired (past its retention)")
        return found

    def download(
        self,
        artifact: ArtifactRef,
        target_dir: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | Callable[[], bool] | None = None,
    ) -> Path:
        """Download, check and extract ``artifact`` into ``target_dir``; returns the folder.

        An artifact already downloaded and verified there is reused, not fetched again.
        """
        return self.fetch_artifact(artifact, target_dir, progress=progress, cancel=cancel).path

    def fetch_artifact(
        self,
        artifact: ArtifactRef,
        target_dir: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | Callable[[], bool] | None = None,
        extract: bool = True,
    ) -> DownloadResult:
        """Like :meth:`download`, with the whole result (digest, size, reused, resumes)."""
        from releasemgr.github.download import download_artifact

        event = cancel if isinstance(cancel, threading.Event) or cancel is None else _Polled(cancel)
        return download_artifact(
            api_url=self._gw.api_url,
            token=self._gw.token,
            repository=self._repository,
            artifact_id=artifact.id,
            dest_dir=target_dir,
            expected_size=artifact.size_in_bytes or None,
            expected_digest=artifact.digest,
            progress=progress,
            cancel=event,
            extract=extract,
            name=artifact.name,
        )

    # -- insights ---------------------------------------------------------------------------

    def kpis(self, days: int = 30) -> KpiReport:
        """The seed's four KPIs over the last ``days`` days, with per-run samples."""
        self.whoami()  # one answer first, so the server's clock is known
        since = (self._gw.server_time() - timedelta(days=days)).strftime("%Y-%m-%d")
        payloads = self._list_run_payloads(1000, created=f">={since}")
        details = [self._detail(pipeline.run_summary(p), with_gates=False) for p in payloads]
        return kpi_rules.report(details, days)


class _Polled(threading.Event):
    """An Event that is also set once ``check()`` says so (a cancel flag given as a function)."""

    def __init__(self, check: Callable[[], bool]) -> None:
        super().__init__()
        self._check = check

    def is_set(self) -> bool:
        """Set, or the function says cancel."""
        return super().is_set() or bool(self._check())

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds, looking at the function every 50 ms."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if left <= 0:
                return False
            super().wait(left)
        return True
