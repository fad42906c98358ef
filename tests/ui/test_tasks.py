"""The task runner: results on the GUI thread, newest request per key wins, clean cancellation."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QThread
from pytestqt.qtbot import QtBot

from releasemgr.errors import Cancelled, NotFoundError
from releasemgr.ui.tasks import TaskContext, TaskRunner


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    r = TaskRunner()
    yield r
    assert r.shutdown(10_000)


def test_result_arrives_on_the_gui_thread(qtbot: QtBot, runner: TaskRunner) -> None:
    seen: list[tuple[int, bool]] = []
    gui = QThread.currentThread()

    def work(_ctx: TaskContext) -> int:
        return 6 * 7 if QThread.currentThread() is not gui else -1

    runner.submit("view", work, lambda v: seen.append((v, QThread.currentThread() is gui)))
    qtbot.waitUntil(lambda: bool(seen))
    assert seen == [(42, True)]
    assert not runner.busy


def test_newest_request_per_key_wins(qtbot: QtBot, runner: TaskRunner) -> None:
    release = threading.Event()
    results: list[str] = []
    first_ctx: list[TaskContext] = []

    def slow(ctx: TaskContext) -> str:
        first_ctx.append(ctx)
        release.wait(10)
        return "old"

    runner.submit("runs", slow, results.append)
    qtbot.waitUntil(lambda: bool(first_ctx))
    runner.submit("runs", lambda _ctx: "new", results.append)
    qtbot.waitUntil(lambda: results == ["new"])
    assert first_ctx[0].cancelled.is_set(), "the superseded task was told to stop"
    release.set()
    assert runner.wait(5_000)
    qtbot.waitUntil(lambda: not runner.busy)
    assert results == ["new"], "the stale answer was dropped"


def test_other_keys_are_not_superseded(qtbot: QtBot, runner: TaskRunner) -> None:
    results: list[str] = []
    runner.submit("a", lambda _ctx: "a", results.append)
    runner.submit("b", lambda _ctx: "b", results.append)
    qtbot.waitUntil(lambda: len(results) == 2)
    assert sorted(results) == ["a", "b"]


def test_errors_go_to_the_handler_and_cancelled_is_silent(qtbot: QtBot, runner: TaskRunner) -> None:
    errors: list[BaseException] = []

    def missing(_ctx: TaskContext) -> None:
        raise NotFoundError("run 7 not found")

    runner.submit("x", missing, None, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], NotFoundError)

    def gives_up(_ctx: TaskContext) -> None:
        raise Cancelled("stopped")

    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda busy: not busy):
        runner.submit("y", gives_up, None, errors.append)
    assert len(errors) == 1


def test_unhandled_error_is_emitted_with_its_key(qtbot: QtBot, runner: TaskRunner) -> None:
    def boom(_ctx: TaskContext) -> None:
        raise ValueError("bad")

    with qtbot.waitSignal(runner.error) as blocker:
        runner.submit("view.k", boom)
    key, exc = blocker.args
    assert key == "view.k"
    assert isinstance(exc, ValueError)


def test_cancel_stops_a_cooperative_task(qtbot: QtBot, runner: TaskRunner) -> None:
    started = threading.Event()
    stopped = threading.Event()
    results: list[object] = []

    def loop(ctx: TaskContext) -> str:
        started.set()
        while not ctx.cancelled.wait(0.01):
            pass
        stopped.set()
        ctx.raise_if_cancelled()
        return "never"

    runner.submit("dl", loop, results.append, results.append)
    assert started.wait(5)
    runner.cancel("dl")
    assert stopped.wait(5)
    assert runner.wait(5_000)
    qtbot.waitUntil(lambda: not runner.busy)
    assert results == []


def test_progress_is_coalesced_and_reaches_the_gui(qtbot: QtBot, runner: TaskRunner) -> None:
    reports: list[tuple[int, int]] = []
    done: list[str] = []

    def produce(ctx: TaskContext) -> str:
        for i in range(1, 20_001):
            ctx.progress(i, 20_000)
        return "ok"

    runner.submit("p", produce, done.append, None, lambda d, t: reports.append((d, t)))
    qtbot.waitUntil(lambda: done == ["ok"])
    assert reports, "some progress arrived"
    assert len(reports) < 20_000, "reports were coalesced, not one event each"
    assert all(total == 20_000 for _, total in reports)
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)


def test_report_carries_intermediate_values(qtbot: QtBot, runner: TaskRunner) -> None:
    reported: list[object] = []
    results: list[str] = []

    def work(ctx: TaskContext) -> str:
        ctx.report({"user_code": "ABCD-1234"})
        return "token-free answer"

    runner.submit("s", work, results.append, on_report=reported.append)
    qtbot.waitUntil(lambda: bool(results))
    assert reported == [{"user_code": "ABCD-1234"}]


def test_shutdown_cancels_everything_and_refuses_new_work(qtbot: QtBot) -> None:
    runner = TaskRunner()
    seen: list[str] = []

    def wait_for_cancel(ctx: TaskContext) -> str:
        ctx.cancelled.wait(10)
        return "late"

    runner.submit("a", wait_for_cancel, seen.append)
    runner.submit("b", wait_for_cancel, seen.append)
    assert runner.shutdown(5_000)
    task = runner.submit("c", lambda _ctx: "after", seen.append)
    assert task.cancelled
    QCoreApplication.processEvents()  # deliver anything (wrongly) queued: there must be none
    QCoreApplication.processEvents()
    assert seen == []
