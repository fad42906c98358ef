"""The one task helper: runs a callable on ``QThreadPool`` and brings its outcome back by signal.

Every request names a *key* (one per view, e.g. ``"pipeline.runs"``). A newer request with the
same key supersedes the older one: the older task's cancel event is set and whatever it returns
is dropped, so a view only ever sees the answer to the last thing it asked. The callable receives
a :class:`TaskContext`: it should check ``ctx.cancelled`` between steps (or hand it to the core,
which accepts a ``threading.Event``) and may report progress with ``ctx.progress(done, total)``.

Outcomes are delivered on the GUI thread: the worker emits the runner's own signals, and because
the runner lives on the GUI thread Qt queues them there.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

T = TypeVar("T")

ResultHandler = Callable[[Any], None]
ErrorHandler = Callable[[BaseException], None]
ProgressHandler = Callable[[int, int], None]


class TaskContext:
    """What a running callable gets: a cancel event and a way to report progress."""

    def __init__(self, task_id: int, cancelled: threading.Event, runner: TaskRunner) -> None:
        self.task_id = task_id
        self.cancelled = cancelled
        self._runner = runner

    def progress(self, done: int, total: int = 0) -> None:
        """Report ``done`` of ``total`` units (``total`` 0 when unknown); thread-safe, coalesced."""
        if self.cancelled.is_set():
            return
        self._runner._post_progress(self.task_id, done, total)

    def report(self, value: object) -> None:
        """Send an intermediate value to the GUI thread (e.g. a device code to show)."""
        if not self.cancelled.is_set():
            self._runner._post_report(self.task_id, value)

    def raise_if_cancelled(self) -> None:
        """Stop the callable here if the task was cancelled or superseded."""
        if self.cancelled.is_set():
            from releasemgr.errors import Cancelled

            raise Cancelled("cancelled")


@dataclass
class Task(Generic[T]):
    """A handle to a submitted callable: cancel it, or ask whether it is still wanted."""

    key: str
    task_id: int
    cancel_event: threading.Event = field(default_factory=threading.Event)
    on_result: ResultHandler | None = None
    on_error: ErrorHandler | None = None
    on_progress: ProgressHandler | None = None
    on_report: Callable[[Any], None] | None = None
    finished: bool = False

    def cancel(self) -> None:
        """Ask the callable to stop; its outcome will not be delivered."""
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        """Whether cancel() was called or a newer request superseded this one."""
        return self.cancel_event.is_set()


class _Job(QRunnable):
    """The QRunnable that runs one callable and reports through the runner's signals."""

    def __init__(self, runner: TaskRunner, task: Task[Any], fn: Callable[[TaskContext], Any]):
        super().__init__()
        self.setAutoDelete(True)
        self._runner = runner
        self._task = task
        self._fn = fn
        self._ctx = TaskContext(task.task_id, task.cancel_event, runner)

    def run(self) -> None:
        task = self._task
        try:
            if task.cancel_event.is_set():
                outcome: tuple[bool, Any] = (False, None)
            else:
                outcome = (True, self._fn(self._ctx))
        except BaseException as exc:
            outcome = (False, exc)
        finally:
            self._fn = _nothing  # release whatever the callable closed over, on this thread
        try:
            self._runner._post_outcome(task.task_id, outcome)
        except RuntimeError:
            pass  # the runner was deleted while we worked: nobody is waiting for this answer
        finally:
            self._runner._release_slot()


def _nothing(_ctx: TaskContext) -> None:
    return None


class TaskRunner(QObject):
    """Runs callables on a thread pool, newest request per key wins.

    Signals:
        busy_changed(bool): True while at least one task that still matters is running.
        error(str, object): ``(key, exception)`` for a failed task without its own error handler.
    """

    busy_changed = Signal(bool)
    error = Signal(str, object)
    # Workers only ever send a task id across threads; the values wait in dicts under a lock.
    # (Python objects in queued signal arguments have shown refcount bugs in PySide6.)
    _finished = Signal(int)
    _progressed = Signal(int)
    _reported = Signal(int)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._ids = itertools.count(1)
        self._current: dict[str, Task[Any]] = {}  # key -> newest task
        self._by_id: dict[int, Task[Any]] = {}
        self._lock = threading.Lock()
        self._running = 0  # jobs started and not yet returned, touched by workers too
        self._pending_progress: dict[int, tuple[int, int]] = {}
        self._outcomes: dict[int, tuple[bool, Any]] = {}
        self._reports: dict[int, list[object]] = {}
        self._closed = False
        self._busy = False
        self._finished.connect(self._on_finished)
        self._progressed.connect(self._on_progress)
        self._reported.connect(self._on_report)

    def submit(
        self,
        key: str,
        fn: Callable[[TaskContext], T],
        on_result: Callable[[T], None] | None = None,
        on_error: ErrorHandler | None = None,
        on_progress: ProgressHandler | None = None,
        on_report: Callable[[Any], None] | None = None,
    ) -> Task[T]:
        """Run ``fn(ctx)`` on the pool; cancel and drop any earlier task with the same ``key``.

        Handlers run on the GUI thread, only if this is still the newest task for ``key``.
        A :class:`~releasemgr.errors.Cancelled` raised by a cancelled task is dropped silently.
        """
        task: Task[T] = Task(key, next(self._ids), threading.Event(), on_result, on_error)
        task.on_progress = on_progress
        task.on_report = on_report
        if self._closed:
            task.cancel()
            return task
        older = self._current.get(key)
        if older is not None:
            older.cancel()
            self._by_id.pop(older.task_id, None)
        self._current[key] = task
        self._by_id[task.task_id] = task
        with self._lock:
            self._running += 1
        self._pool.start(_Job(self, task, fn))
        self._update_busy()
        return task

    def cancel(self, key: str) -> None:
        """Cancel the newest task for ``key``, if any; its outcome will be dropped."""
        task = self._current.pop(key, None)
        if task is not None:
            task.cancel()
            self._by_id.pop(task.task_id, None)
            self._update_busy()

    def is_running(self, key: str) -> bool:
        """Whether a task for ``key`` is still wanted and not finished."""
        task = self._current.get(key)
        return task is not None and not task.finished

    @property
    def busy(self) -> bool:
        """Whether any task that still matters is running."""
        return bool(self._by_id)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything, refuse new work, and wait for running callables to return.

        Returns True when every worker returned within ``timeout_ms``.
        """
        self._closed = True
        for task in list(self._by_id.values()):
            task.cancel()
        self._by_id.clear()
        self._current.clear()
        self._update_busy()
        return self.wait(timeout_ms)

    def wait(self, timeout_ms: int) -> bool:
        """Block until this runner's workers returned (tests and shutdown only)."""
        import time

        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            with self._lock:
                if self._running == 0:
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._pool.waitForDone(int(min(left, 0.05) * 1000) or 1)

    # -- worker side -------------------------------------------------------------------------

    def _release_slot(self) -> None:
        with self._lock:
            self._running -= 1

    def _post_progress(self, task_id: int, done: int, total: int) -> None:
        # Coalesce: only the first report since the last delivery posts an event, so a fast
        # producer cannot flood the GUI thread's queue.
        with self._lock:
            first = task_id not in self._pending_progress
            self._pending_progress[task_id] = (done, total)
        if first:
            with contextlib.suppress(RuntimeError):
                self._progressed.emit(task_id)

    def _post_report(self, task_id: int, value: object) -> None:
        with self._lock:
            self._reports.setdefault(task_id, []).append(value)
        with contextlib.suppress(RuntimeError):
            self._reported.emit(task_id)

    def _post_outcome(self, task_id: int, outcome: tuple[bool, Any]) -> None:
        with self._lock:
            self._outcomes[task_id] = outcome
        self._finished.emit(task_id)

    # -- GUI side ----------------------------------------------------------------------------

    @Slot(int)
    def _on_progress(self, task_id: int) -> None:
        with self._lock:
            pending = self._pending_progress.pop(task_id, None)
        if pending is None:
            return
        done, total = pending
        task = self._by_id.get(task_id)
        if task is None or task.cancelled or task.on_progress is None:
            return
        task.on_progress(done, total)

    @Slot(int)
    def _on_report(self, task_id: int) -> None:
        with self._lock:
            values = self._reports.pop(task_id, [])
        task = self._by_id.get(task_id)
        if task is not None and not task.cancelled and task.on_report is not None:
            for value in values:
                task.on_report(value)

    @Slot(int)
    def _on_finished(self, task_id: int) -> None:
        with self._lock:
            self._pending_progress.pop(task_id, None)
            self._reports.pop(task_id, None)
            outcome = self._outcomes.pop(task_id, (False, None))
        task = self._by_id.pop(task_id, None)
        if task is None:
            return  # superseded or cancelled: drop it
        task.finished = True
        if self._current.get(task.key) is task:
            del self._current[task.key]
        ok, value = outcome
        try:
            if task.cancelled:
                return
            if ok:
                if task.on_result is not None:
                    task.on_result(value)
            elif value is not None:
                from releasemgr.errors import Cancelled

                if isinstance(value, Cancelled):
                    return
                if task.on_error is not None:
                    task.on_error(value)
                else:
                    self.error.emit(task.key, value)
        finally:
            self._update_busy()

    def _update_busy(self) -> None:
        busy = bool(self._by_id)
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)
