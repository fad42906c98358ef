"""The window's controller: owns the signed-in session and runs every core call off the GUI thread.

Pages never call the core themselves. They call a controller method (an *intent*); the controller
runs the matching :class:`~releasemgr.github.service.ReleaseService` call on the task runner and
answers with a typed signal, or with a sentence on :attr:`Controller.error` when it failed.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from releasemgr.model import Platform, RateLimit, Stage
from releasemgr.ui import session as steps
from releasemgr.ui.errors import describe_error
from releasemgr.ui.session import Session, WaitingGates
from releasemgr.ui.tasks import TaskContext, TaskRunner

if TYPE_CHECKING:
    from releasemgr.config import Config
    from releasemgr.github.service import ReleaseService

__all__ = ["Controller", "Session", "WaitingGates"]

T = TypeVar("T")

ServiceCall = Callable[["ReleaseService", TaskContext], T]


class Controller(QObject):
    """Runs the core for the window and tells the pages what came back.

    Signals:
        session_changed(object): the new :class:`Session`, or None after signing out.
        busy_changed(bool): whether any request is in flight.
        error(str): a sentence a person can act on ("Sign in again", ...).
        notice(str): a short sentence for the status bar ("Approved canary of run 41").
        rate_limit_changed(object): the latest :class:`~releasemgr.model.RateLimit`.
        refreshed(object): the UTC ``datetime`` of the last successful read.
        runs_loaded(object): ``list[RunSummary]``, newest first.
        run_loaded(object): a :class:`~releasemgr.model.RunDetail`.
        log_tail_loaded(int, str): ``(job_id, text)``.
        gates_loaded(object): ``list[GateRequest]`` that wait, across runs.
        gate_decided(object): a :class:`~releasemgr.model.GateDecision` after approve/reject.
        action_done(str, str, object): ``(kind, summary, details)`` after anything the user did
            (approve, reject, rerun, cancel, ...), for the activity log.
        signing_in(bool): a sign-in started (True) or ended (False).
        sign_in_failed(str): why signing in did not work, as a sentence.
        device_code_ready(object): the :class:`~releasemgr.github.auth.DeviceCode` to show.
    """

    session_changed = Signal(object)
    busy_changed = Signal(bool)
    error = Signal(str)
    notice = Signal(str)
    rate_limit_changed = Signal(object)
    refreshed = Signal(object)
    runs_loaded = Signal(object)
    run_loaded = Signal(object)
    log_tail_loaded = Signal(object, str)  # GitHub ids outgrow a C++ int
    gates_loaded = Signal(object)
    gate_decided = Signal(object)
    action_done = Signal(str, str, object)
    signing_in = Signal(bool)
    sign_in_failed = Signal(str)
    device_code_ready = Signal(object)

    def __init__(
        self,
        parent: QObject | None = None,
        runner: TaskRunner | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.env: dict[str, str] = dict(os.environ if env is None else env)
        # Settings to use instead of reading them (the demo runs on the defaults).
        self.config: Config | None = None
        self.tasks = runner or TaskRunner(self)
        self.tasks.busy_changed.connect(self.busy_changed)
        self.tasks.error.connect(self._on_unhandled_error)
        self._service: ReleaseService | None = None
        self._session: Session | None = None
        self.rate_limit: RateLimit | None = None
        self.last_refresh: datetime | None = None
        self._loading_run: int | None = None
        self._retired: list[TaskRunner] = []  # runners of earlier sessions, still finishing

    # -- session -----------------------------------------------------------------------------

    @property
    def session(self) -> Session | None:
        """The signed-in session, or None."""
        return self._session

    @property
    def service(self) -> ReleaseService | None:
        """The connected service (None while signed out); only for use inside task callables."""
        return self._service

    def adopt(self, service: ReleaseService, session: Session) -> None:
        """Take a connected service as the current session (answers of the old one are dropped)."""
        if self._service is not None:
            self._reset_runner()
        self._service = service
        self._session = session
        self.rate_limit = None
        self.session_changed.emit(session)

    def restore_session(self, api_url: str = "", repository: str = "") -> None:
        """Sign in quietly from the environment or keychain, if a token and repository are known.

        ``api_url`` and ``repository`` (from the command line) win over the settings.
        Answers on ``session_changed`` when it worked; stays signed out (no error) otherwise.
        """
        env = dict(self.env)
        given_url, given_repo = api_url, repository
        preset = self.config

        def work(ctx: TaskContext) -> tuple[ReleaseService, Session] | None:
            from releasemgr import config
            from releasemgr.github import auth

            cfg = preset or config.load(env=env)
            api_url = given_url.rstrip("/") or steps.resolve_api_url(cfg.api_url, env)
            repository = given_repo or cfg.repository or env.get("GITHUB_REPOSITORY", "")
            found = auth.find_token(api_url, env)
            if found is None or not repository:
                return None
            ctx.raise_if_cancelled()
            service, session = steps.connect(api_url, repository, found.token, cfg)
            return service, dataclasses.replace(session, origin=found.source)

        def done(answer: tuple[ReleaseService, Session] | None) -> None:
            if answer is not None:
                self.adopt(*answer)

        self.tasks.submit("session", work, done, self._sign_in_error)

    def sign_in(self, api_url: str, repository: str, token: str, remember: bool = True) -> None:
        """Sign in with a pasted token; keep it in the keychain when ``remember``.

        Answers on ``session_changed``, or ``sign_in_failed(sentence)``.
        """
        env = dict(self.env)
        preset = self.config
        self.signing_in.emit(True)

        def work(_ctx: TaskContext) -> tuple[ReleaseService, Session, str]:
            from releasemgr import config

            cfg = preset or config.load(env=env)
            service, session = steps.connect(api_url, repository, token, cfg)
            return steps.kept(service, session, token, cfg, env, remember)

        self.tasks.submit("session", work, self._signed_in, self._sign_in_error)

    def sign_in_with_device(self, api_url: str, repository: str, remember: bool = True) -> None:
        """Sign in through the OAuth device flow.

        Emits ``device_code_ready(DeviceCode)`` once the code is known (show it, open the
        browser), then ``session_changed`` when the user authorized, or ``sign_in_failed``.
        """
        env = dict(self.env)
        preset = self.config
        self.signing_in.emit(True)

        def work(ctx: TaskContext) -> tuple[ReleaseService, Session, str]:
            from releasemgr import config
            from releasemgr.github import auth

            cfg = preset or config.load(env=env)
            web = (
                cfg.web_url or env.get("GITHUB_SERVER_URL", "") or auth.web_url_for(api_url)
            ).rstrip("/")
            code = auth.start_device_flow(web, cfg.oauth_client_id)
            ctx.report(code)
            token = auth.poll_device_flow(
                web,
                cfg.oauth_client_id,
                code,
                sleep=lambda seconds: steps.wait(ctx, seconds),
                cancelled=ctx.cancelled.is_set,
            )
            service, session = steps.connect(api_url, repository, token, cfg)
            return steps.kept(service, session, token, cfg, env, remember)

        self.tasks.submit(
            "session",
            work,
            self._signed_in,
            self._sign_in_error,
            on_report=self.device_code_ready.emit,
        )

    def cancel_sign_in(self) -> None:
        """Stop a sign-in in progress (the device flow stops polling)."""
        self.tasks.cancel("session")
        self.signing_in.emit(False)

    def sign_out(self, forget: bool = True) -> None:
        """End the session; with ``forget`` also delete the keychain entry it came from.

        A token from ``GH_TOKEN``/``GITHUB_TOKEN`` or kept only in memory leaves nothing to forget.
        """
        session = self._session
        self._reset_runner()
        self._service = None
        self._session = None
        self.rate_limit = None
        self.session_changed.emit(None)
        if forget and session is not None and session.origin == "keyring":
            api_url = session.api_url

            def work(_ctx: TaskContext) -> bool:
                from releasemgr.github import auth

                return auth.delete_token(api_url)

            self.tasks.submit("signout", work, None, self._on_error_exc)

    def _signed_in(self, answer: tuple[ReleaseService, Session, str]) -> None:
        service, session, warning = answer
        self.signing_in.emit(False)
        self.adopt(service, session)
        if warning:
            self.notice.emit(warning)

    def _sign_in_error(self, exc: BaseException) -> None:
        self.signing_in.emit(False)
        self.sign_in_failed.emit(describe_error(exc, None))

    def _on_error_exc(self, exc: BaseException) -> None:
        self.error.emit(describe_error(exc, self._session))

    def _reset_runner(self) -> None:
        # The old session's answers must not reach the new one: its runner drops them. Its
        # workers may still be returning; shutdown() waits for them too.
        old = self.tasks
        old.shutdown(timeout_ms=0)
        old.busy_changed.disconnect(self.busy_changed)
        self._retired = [r for r in self._retired if not r.wait(0)] + [old]
        self.tasks = self._fresh_runner()
        self.busy_changed.emit(False)

    def _fresh_runner(self) -> TaskRunner:
        runner = TaskRunner(self)
        runner.busy_changed.connect(self.busy_changed)
        runner.error.connect(self._on_unhandled_error)
        return runner

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel every request and wait for the workers (closing the window)."""
        done = self.tasks.shutdown(timeout_ms)
        for runner in self._retired:
            done = runner.wait(timeout_ms) and done
        return done

    # -- the generic path every page can use -------------------------------------------------

    def call(
        self,
        key: str,
        fn: ServiceCall[T],
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        *,
        read: bool = True,
    ) -> None:
        """Run ``fn(service, ctx)`` on the pool under ``key`` (newest per key wins).

        Errors become sentences: given to ``on_error`` when passed, else emitted on ``error``
        (which the status bar shows).
        ``read`` marks a read, whose success updates the last-refresh time and the rate limit.
        """
        service = self._service
        if service is None:
            self._fail("Sign in first.", on_error)
            return

        def work(ctx: TaskContext) -> tuple[T, RateLimit | None]:
            value = fn(service, ctx)
            return value, steps.rate_limit_of(service)

        def done(answer: tuple[T, RateLimit | None]) -> None:
            value, limit = answer
            self._note_success(limit, read)
            if on_result is not None:
                on_result(value)

        def failed(exc: BaseException) -> None:
            steps.debug(exc)
            self._fail(describe_error(exc, self._session), on_error)

        self.tasks.submit(key, work, done, failed, on_progress)

    def run_local(
        self,
        key: str,
        fn: Callable[[TaskContext], T],
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Run offline work (hashing, verifying, file I/O) on the pool; no session needed."""

        def failed(exc: BaseException) -> None:
            steps.debug(exc)
            self._fail(describe_error(exc, self._session), on_error)

        self.tasks.submit(key, fn, on_result, failed, on_progress)

    def cancel(self, key: str) -> None:
        """Cancel the request running under ``key``."""
        self.tasks.cancel(key)

    # -- intents of the pipeline and approvals pages -----------------------------------------

    def load_runs(self, limit: int = 30, *, poll: bool = False, first_detail: bool = False) -> None:
        """Read the recent runs; answers on ``runs_loaded``.

        ``poll`` marks a timer's request: it is skipped while the same read is in flight, so a
        poll faster than the server never starves itself by superseding its own requests.
        ``first_detail`` also reads the newest run's grid in the same task (a page's first
        load), answering on ``run_loaded`` right after ``runs_loaded``.
        """
        if poll and self.tasks.is_running("runs"):
            return

        def work(svc: ReleaseService, ctx: TaskContext) -> tuple[list[Any], Any]:
            runs = svc.list_runs(limit)
            if not first_detail or not runs:
                return runs, None
            ctx.raise_if_cancelled()
            return runs, svc.run_detail(runs[0].id)

        def done(answer: tuple[list[Any], Any]) -> None:
            runs, detail = answer
            self.runs_loaded.emit(runs)
            if detail is not None:
                self.run_loaded.emit(detail)

        self.call("runs", work, done)

    def load_run(self, run_id: int, *, poll: bool = False) -> None:
        """Read one run's grid and gates; answers on ``run_loaded`` (``poll``: see load_runs)."""
        if poll and self._loading_run == run_id and self.tasks.is_running("run"):
            return
        self._loading_run = run_id
        self.call("run", lambda svc, _ctx: svc.run_detail(run_id), self.run_loaded.emit)

    def load_log_tail(self, job_id: int) -> None:
        """Read the end of a job's log; answers on ``log_tail_loaded`` (also with why not)."""
        self.call(
            "log",
            lambda svc, _ctx: svc.job_log_tail(job_id),
            lambda text: self.log_tail_loaded.emit(job_id, str(text)),
            lambda message: self.log_tail_loaded.emit(job_id, f"No log to show. {message}"),
        )

    def load_gates(self, *, poll: bool = False) -> None:
        """Read every gate waiting across runs; answers on ``gates_loaded`` (WaitingGates)."""
        if poll and self.tasks.is_running("gates"):
            return
        self.call("gates", steps.waiting_gates, self.gates_loaded.emit)

    def decide(
        self,
        run_id: int,
        stage: Stage,
        approve: bool,
        comment: str,
        platforms: Sequence[Platform] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """Approve or reject ``stage`` of ``run_id`` (all of its waiting platforms in one POST).

        Answers on ``gate_decided`` and ``action_done``; a failure goes to ``on_error``.
        """
        plats = tuple(platforms) if platforms else None
        verb = "approve" if approve else "reject"

        def work(svc: ReleaseService, _ctx: TaskContext) -> Any:
            if approve:
                return svc.approve(run_id, stage, comment, plats)
            return svc.reject(run_id, stage, comment, plats)

        def done(decision: Any) -> None:
            envs = ", ".join(getattr(decision, "environments", ()) or ())
            past = "Approved" if approve else "Rejected"
            summary = f"{past} {stage.value} of run {run_id}" + (f" ({envs})" if envs else "")
            self.gate_decided.emit(decision)
            self.action_done.emit(verb, summary, decision)
            self.notice.emit(summary + ".")
            self.load_gates()
            self.load_run(run_id)

        self.call(f"decide.{run_id}.{stage.value}", work, done, on_error, read=False)

    def rerun_failed(self, run_id: int) -> None:
        """Re-run the failed jobs of ``run_id``."""

        def done(_value: Any) -> None:
            summary = f"Re-running the failed jobs of run {run_id}"
            self.action_done.emit("rerun", summary, {"run_id": run_id})
            self.notice.emit(summary + ".")
            self.load_run(run_id)
            self.load_runs()

        self.call(f"rerun.{run_id}", lambda svc, _ctx: svc.rerun_failed(run_id), done, read=False)

    def rerun_job(self, run_id: int, job_id: int, job_name: str = "") -> None:
        """Re-run one job of ``run_id`` (and the jobs that depend on it)."""
        what = job_name or f"job {job_id}"

        def done(_value: Any) -> None:
            summary = f"Re-running {what} of run {run_id}"
            self.action_done.emit("rerun", summary, {"run_id": run_id, "job_id": job_id})
            self.notice.emit(summary + ".")
            self.load_run(run_id)
            self.load_runs()

        self.call(
            f"rerun.{run_id}", lambda svc, _ctx: svc.rerun_job(job_id, run_id), done, read=False
        )

    def cancel_run(self, run_id: int) -> None:
        """Cancel ``run_id``."""

        def done(_value: Any) -> None:
            summary = f"Cancelling run {run_id}"
            self.action_done.emit("cancel", summary, {"run_id": run_id})
            self.notice.emit(summary + ".")
            self.load_run(run_id)
            self.load_runs()

        self.call(f"cancel.{run_id}", lambda svc, _ctx: svc.cancel(run_id), done, read=False)

    # -- internals ---------------------------------------------------------------------------

    def _note_success(self, limit: RateLimit | None, read: bool) -> None:
        if limit is not None and limit != self.rate_limit:
            self.rate_limit = limit
            self.rate_limit_changed.emit(limit)
        if read:
            self.last_refresh = datetime.now(UTC)
            self.refreshed.emit(self.last_refresh)

    def _fail(self, message: str, on_error: Callable[[str], None] | None) -> None:
        # A caller that handles the error shows it where it happened; else the status bar does.
        if on_error is not None:
            on_error(message)
        else:
            self.error.emit(message)

    def _on_unhandled_error(self, _key: str, exc: object) -> None:
        if isinstance(exc, BaseException):
            self.error.emit(describe_error(exc, self._session))
