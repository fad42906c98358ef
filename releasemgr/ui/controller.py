"""The window's controller: owns the signed-in session and runs every core call off the GUI thread.

Pages never call the core themselves. They call a controller method (an *intent*); the controller
runs the matching :class:`~releasemgr.github.service.ReleaseService` call on the task runner and
answers with a typed signal, or with a sentence on :attr:`Controller.error` when it failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from releasemgr.model import Platform, RateLimit, Stage
from releasemgr.ui.errors import describe_error
from releasemgr.ui.tasks import TaskContext, TaskRunner

if TYPE_CHECKING:
    from releasemgr.github.service import ReleaseService

T = TypeVar("T")

ServiceCall = Callable[["ReleaseService", TaskContext], T]


@dataclass(frozen=True)
class Session:
    """Who is signed in, where, and to which repository."""

    login: str
    host: str
    api_url: str
    repository: str
    web_url: str = "https://github.com"


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
    """

    session_changed = Signal(object)
    busy_changed = Signal(bool)
    error = Signal(str)
    notice = Signal(str)
    rate_limit_changed = Signal(object)
    refreshed = Signal(object)
    runs_loaded = Signal(object)
    run_loaded = Signal(object)
    log_tail_loaded = Signal(int, str)
    gates_loaded = Signal(object)
    gate_decided = Signal(object)
    action_done = Signal(str, str, object)

    def __init__(self, parent: QObject | None = None, runner: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.tasks = runner or TaskRunner(self)
        self.tasks.busy_changed.connect(self.busy_changed)
        self.tasks.error.connect(self._on_unhandled_error)
        self._service: ReleaseService | None = None
        self._session: Session | None = None
        self.rate_limit: RateLimit | None = None
        self.last_refresh: datetime | None = None
        self._poll = QTimer(self)
        self._poll.setObjectName("controller.poll")

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
        """Take an already connected service (sign-in dialog, demo) as the current session."""
        self._service = service
        self._session = session
        self.session_changed.emit(session)

    def sign_out(self) -> None:
        """Forget the session in this window (the keychain entry is handled by the dialog)."""
        self.tasks.shutdown(timeout_ms=0)
        self.tasks = self._fresh_runner()
        self._service = None
        self._session = None
        self.session_changed.emit(None)

    def _fresh_runner(self) -> TaskRunner:
        runner = TaskRunner(self)
        runner.busy_changed.connect(self.busy_changed)
        runner.error.connect(self._on_unhandled_error)
        return runner

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel every request and wait for the workers (closing the window)."""
        self._poll.stop()
        return self.tasks.shutdown(timeout_ms)

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

        Errors become sentences: given to ``on_error`` when passed, else emitted on ``error``.
        ``read`` marks a read, whose success updates the last-refresh time and the rate limit.
        """
        service = self._service
        if service is None:
            self._fail("Sign in first.", on_error)
            return

        def work(ctx: TaskContext) -> tuple[T, RateLimit | None]:
            value = fn(service, ctx)
            return value, _rate_limit_of(service)

        def done(answer: tuple[T, RateLimit | None]) -> None:
            value, limit = answer
            self._note_success(limit, read)
            if on_result is not None:
                on_result(value)

        def failed(exc: BaseException) -> None:
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
            self._fail(describe_error(exc, self._session), on_error)

        self.tasks.submit(key, fn, on_result, failed, on_progress)

    def cancel(self, key: str) -> None:
        """Cancel the request running under ``key``."""
        self.tasks.cancel(key)

    # -- intents of the pipeline and approvals pages -----------------------------------------

    def load_runs(self, limit: int = 30) -> None:
        """Read the recent runs; answers on ``runs_loaded``."""
        self.call("runs", lambda svc, _ctx: svc.list_runs(limit), self.runs_loaded.emit)

    def load_run(self, run_id: int) -> None:
        """Read one run's grid and gates; answers on ``run_loaded``."""
        self.call("run", lambda svc, _ctx: svc.run_detail(run_id), self.run_loaded.emit)

    def load_log_tail(self, job_id: int) -> None:
        """Read the end of a job's log; answers on ``log_tail_loaded``."""
        self.call(
            "log",
            lambda svc, _ctx: svc.job_log_tail(job_id),
            lambda text: self.log_tail_loaded.emit(job_id, str(text)),
        )

    def load_gates(self) -> None:
        """Read every gate waiting across runs; answers on ``gates_loaded``."""
        self.call("gates", lambda svc, _ctx: list(svc.pending_gates()), self.gates_loaded.emit)

    def decide(
        self,
        run_id: int,
        stage: Stage,
        approve: bool,
        comment: str,
        platforms: Sequence[Platform] | None = None,
    ) -> None:
        """Approve or reject ``stage`` of ``run_id`` (all of its waiting platforms in one POST)."""
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

        self.call(f"decide.{run_id}.{stage.value}", work, done, read=False)

    def rerun_failed(self, run_id: int) -> None:
        """Re-run the failed jobs of ``run_id``."""

        def done(_value: Any) -> None:
            summary = f"Re-running the failed jobs of run {run_id}"
            self.action_done.emit("rerun", summary, {"run_id": run_id})
            self.notice.emit(summary + ".")
            self.load_run(run_id)
            self.load_runs()

        self.call(f"rerun.{run_id}", lambda svc, _ctx: svc.rerun_failed(run_id), done, read=False)

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
        if on_error is not None:
            on_error(message)
        self.error.emit(message)

    def _on_unhandled_error(self, _key: str, exc: object) -> None:
        if isinstance(exc, BaseException):
            self.error.emit(describe_error(exc, self._session))


def _rate_limit_of(service: ReleaseService) -> RateLimit | None:
    """The rate limit the service last saw, without spending a request."""
    getter = getattr(service, "last_rate_limit", None)
    try:
        value = getter() if callable(getter) else getter
    except Exception:
        return None
    return value if isinstance(value, RateLimit) else None
