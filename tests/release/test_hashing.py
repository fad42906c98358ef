"""The parallel runner: input order kept, biggest first, errors and cancel stop the work."""

from __future__ import annotations

import threading

import pytest

from releasemgr.errors import Cancelled
from releasemgr.release.hashing import BATCH_BYTES, Progress, run_biggest_first


def test_results_come_back_in_input_order() -> None:
    sizes = [(i * 7919) % 1000 * 50_000 for i in range(300)]
    results = run_biggest_first(
        sizes, size=lambda s: s, work=lambda s: s * 2, workers=3, cancel=None
    )
    assert results == [s * 2 for s in sizes]


def test_the_biggest_items_start_first() -> None:
    sizes = [1, BATCH_BYTES * 3, 5, BATCH_BYTES * 2, 3]
    started: list[int] = []
    lock = threading.Lock()

    def work(size: int) -> int:
        with lock:
            started.append(size)
        return size

    run_biggest_first(sizes, size=lambda s: s, work=work, workers=2, cancel=None)
    assert started[:2] == [BATCH_BYTES * 3, BATCH_BYTES * 2]
    assert sorted(started) == sorted(sizes)


def test_an_error_in_one_item_is_raised_and_the_rest_is_dropped() -> None:
    done: list[int] = []
    lock = threading.Lock()

    def work(size: int) -> int:
        if size == BATCH_BYTES * 9:
            raise ValueError("boom")
        with lock:
            done.append(size)
        return size

    sizes = [BATCH_BYTES * 9] + [BATCH_BYTES] * 50
    with pytest.raises(ValueError, match="boom"):
        run_biggest_first(sizes, size=lambda s: s, work=work, workers=1, cancel=None)
    assert done == []


def test_cancelled_work_raises_cancelled() -> None:
    cancel = threading.Event()

    def work(size: int) -> int:
        cancel.set()
        raise Cancelled("verification cancelled")

    with pytest.raises(Cancelled):
        run_biggest_first([1, 2, 3], size=lambda s: s, work=work, workers=2, cancel=cancel)


def test_progress_reports_in_steps_and_always_the_end() -> None:
    calls: list[tuple[int, int]] = []
    progress = Progress(10 << 20, lambda done, total: calls.append((done, total)))
    progress.start()
    for _ in range(40):
        progress.add(256 << 10)
    assert calls[0] == (0, 10 << 20)
    assert calls[-1] == (10 << 20, 10 << 20)
    assert len(calls) == 11  # the start, then once per MiB
