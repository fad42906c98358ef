"""The use cases of a signed-in session: what the CLI and the window both call.

One :class:`ReleaseService` per signed-in session. It is safe to call from several worker
threads at once (each thread gets its own HTTP connection; the ETag cache and the rate-limit
figures are shared under a lock). Every method raises only :mod:`releasemgr.errors` types.
The reads live in :class:`~releasemgr.github.reads.RepositoryReader`; this module adds what
changes state.

Writes that change state (approve, reject, dispatch, re-run, cancel) are never resent blindly:
after a failure whose outcome is unknown, the state is read again and the write is sent again
only if it did not land.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from releasemgr.config import Config
from releasemgr.errors import (
    ConflictError,
    NetworkError,
    NotFoundError,
    PermissionDenied,
    UsageError,
)
from releasemgr.github import pipeline
from releasemgr.github.errors import TransientError
from releasemgr.github.gateway import Gateway
from releasemgr.github.reads import RepositoryReader
from releasemgr.model import (
    Channel,
    GateDecision,
    Platform,
    RunSummary,
    Stage,
)

WRITE_ATTEMPTS = 3


class ReleaseService(RepositoryReader):
    """Release operations on one repository for one signed-in user."""

    @classmethod
    def connect(
        cls,
        *,
        api_url: str,
        repository: str,
        token: str,
        config: Config,
        sleep: Callable[[float], None] = time.sleep,
    ) -> ReleaseService:
        """A service for ``repository`` at ``api_url``; checks nothing over the network yet."""
        return cls(Gateway(api_url, token, sleep=sleep), repository, config)

    def close(self) -> None:
        """Close the session's connections; the service may still be used (it reconnects)."""
        self._gw.close()

    # -- reviews ----------------------------------------------------------------------------

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
        return self._review(run_id, stage, comment, platforms, "approved")

    def reject(
        self,
        run_id: int,
        stage: Stage,
        comment: str,
        platforms: Sequence[Platform] | None = None,
    ) -> GateDecision:
        """Reject the stage's waiting gates of the run in one POST (the run then fails)."""
        return self._review(run_id, stage, comment, platforms, "rejected")

    def _review(
        self,
        run_id: int,
        stage: Stage,
        comment: str,
        platforms: Sequence[Platform] | None,
        state: str,
    ) -> GateDecision:
        if stage not in pipeline.GATED_STAGES:
            raise UsageError(f"stage {stage} has no approval gate (use canary or production)")
        if not comment.strip():
            raise UsageError("a comment is required (-m COMMENT)")
        _, gates = self._waiting(run_id, fresh=True)
        chosen = [
            g
            for g in gates
            if g.stage == stage and (not platforms or g.platform is None or g.platform in platforms)
        ]
        if not chosen:
            raise ConflictError(
                f"no {stage} gate is waiting for a review on run {run_id}",
                hint=f"it may have been reviewed already; check `releasemgr status {run_id}`",
            )
        for gate in chosen:
            if not gate.may_approve:
                raise PermissionDenied(gate.reason or f"you may not review {gate.environment}")
        names = tuple(g.environment for g in chosen)
        ids = [g.environment_id for g in chosen]
        body = {"environment_ids": ids, "state": state, "comment": comment}
        me = self.whoami().login
        path = f"{self._repo}/actions/runs/{run_id}/pending_deployments"
        what = f"the {stage} review of run {run_id}"
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self._gw.write("POST", path, what=what, body=body)
            except TransientError as exc:
                landed = self._review_landed(run_id, names, state, me)
                if landed is True:
                    return GateDecision(run_id, stage, state, names, comment, me, attempt)
                if landed is None or attempt == WRITE_ATTEMPTS:
                    raise NetworkError(
                        f"{what}: {exc.message}; the review did not land",
                        hint="check `releasemgr status` and try again",
                    ) from None
                self._pause(exc, attempt)
                continue
            except ConflictError:
                _, still = self._waiting(run_id, fresh=True)
                if not any(g.environment in names for g in still):
                    raise ConflictError(
                        f"the {stage} gate of run {run_id} is no longer waiting",
                        hint="someone else may have reviewed it, or the run was cancelled",
                    ) from None
                raise
            return GateDecision(run_id, stage, state, names, comment, me, attempt)
        raise AssertionError("unreachable")

    def _review_landed(
        self, run_id: int, names: tuple[str, ...], state: str, me: str
    ) -> bool | None:
        """True when our review is recorded, False when the gates still wait, None if unclear."""
        try:
            history = pipeline.approvals(self._approvals(run_id, fresh=True))
            if any(
                a.user == me and a.state == state and set(names) <= set(a.environments)
                for a in history
            ):
                return True
            waiting = {
                str((p.get("environment") or {}).get("name"))
                for p in self._pending(run_id, fresh=True)
            }
        except NetworkError:
            return None
        return False if set(names) <= waiting else None

    def _pause(self, exc: TransientError, attempt: int) -> None:
        """Back off before a second write (honouring Retry-After of a secondary limit)."""
        self._gw.pause(exc, attempt)

    # -- rollback and run control -----------------------------------------------------------

    def rollback_target(self, to_run: int | None = None) -> int:
        """The run whose production release a rollback restores, checked to be restorable.

        Raises:
            NotFoundError: there is no earlier release.
            ConflictError: the target's production artifacts are expired or missing.
        """
        board = self.releases()
        target = to_run if to_run is not None else board.previous_production_run()
        if target is None:
            raise NotFoundError("there is no earlier production release to roll back to")
        for platform in self._config.platform_list():
            found = [
                r
                for r in board.history
                if r.channel == Channel.STABLE and r.platform == platform and r.run_id == target
            ]
            if not found:
                raise ConflictError(
                    f"run {target} has no production release for {platform} to restore"
                )
            if all(r.artifact.expired for r in found):
                when = found[0].artifact.expires_at
                date = when.strftime("%Y-%m-%d") if when else "an earlier date"
                raise ConflictError(
                    f"run {target}'s production release for {platform} expired on {date} "
                    "(outside retention), so it cannot be restored"
                )
        return target

    def rollback(self, to_run: int | None = None) -> RunSummary:
        """Dispatch the workflow to restore ``to_run``'s production release (default: the one
        before the current). Returns the run the dispatch started.

        Raises:
            ConflictError: the target's production artifacts are expired or missing.
        """
        target = self.rollback_target(to_run)
        ref = self._config.default_branch or self._default_branch()
        body = {
            "ref": ref,
            "inputs": {self._config.rollback_input: str(target)},
            "return_run_details": True,
        }
        path = f"{self._repo}/actions/workflows/{self._config.workflow}/dispatches"
        what = f"the rollback dispatch of {self._what_workflow()}"
        known = {r.id for r in self.list_runs(20)}
        since = self._gw.server_time() - timedelta(seconds=5)
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                response = self._gw.write("POST", path, what=what, body=body)
            except TransientError as exc:
                started = self._new_dispatch_run(known, since)
                if started is not None:
                    return started
                if attempt == WRITE_ATTEMPTS:
                    raise NetworkError(f"{what}: {exc.message}") from None
                self._pause(exc, attempt)
                continue
            run_id = (response.body or {}).get("workflow_run_id")
            if run_id:
                return self._run(int(run_id))
            started = self._new_dispatch_run(known, since)
            if started is None:
                raise NotFoundError("the rollback was dispatched but its run does not show yet")
            return started
        raise AssertionError("unreachable")

    def _default_branch(self) -> str:
        data = self._gw.get(self._repo, what=f"repository {self._repository}").body or {}
        return str(data.get("default_branch") or "main")

    def _new_dispatch_run(self, known: set[int], since: datetime) -> RunSummary | None:
        me = self.whoami().login
        for payload in self._list_run_payloads(20, event="workflow_dispatch", actor=me):
            run = pipeline.run_summary(payload)
            if run.id not in known and run.created_at >= since - timedelta(minutes=5):
                return run
        return None

    def rerun_failed(self, run_id: int) -> None:
        """Re-run the failed jobs of a run."""
        before = self._run(run_id).attempt
        self._write_checked(
            f"{self._repo}/actions/runs/{run_id}/rerun-failed-jobs",
            f"re-running the failed jobs of run {run_id}",
            lambda: self._run(run_id).attempt > before,
        )

    def rerun_job(self, job_id: int, run_id: int | None = None) -> None:
        """Re-run one job (and the jobs that depend on it)."""
        if run_id is None:
            job = self._gw.get(f"{self._repo}/actions/jobs/{job_id}", what=f"job {job_id}").body
            run_id = int((job or {}).get("run_id") or 0)
        before = self._run(run_id).attempt
        self._write_checked(
            f"{self._repo}/actions/jobs/{job_id}/rerun",
            f"re-running job {job_id}",
            lambda: self._run(int(run_id or 0)).attempt > before,
        )

    def cancel(self, run_id: int) -> None:
        """Cancel a run. Raises ConflictError when it has already finished."""
        self._write_checked(
            f"{self._repo}/actions/runs/{run_id}/cancel",
            f"cancelling run {run_id}",
            lambda: self._run(run_id).status == "completed",
        )

    def _write_checked(self, path: str, what: str, landed: Callable[[], bool]) -> None:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self._gw.write("POST", path, what=what)
                return
            except TransientError as exc:
                try:
                    if landed():
                        return
                except NetworkError:
                    pass
                if attempt == WRITE_ATTEMPTS:
                    raise NetworkError(f"{what}: {exc.message}") from None
                self._pause(exc, attempt)

    # -- set-up -----------------------------------------------------------------------------

    def setup_environments(self) -> list[str]:
        """Create or update the five gate environments; returns what changed (idempotent)."""
        from releasemgr.github.environments import ensure_environments

        return ensure_environments(
            self._gw, self._repo, self._repository, self._config, self.whoami()
        )
