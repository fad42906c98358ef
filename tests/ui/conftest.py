"""Qt test settings for the window: no test may leave pool tasks running or touch the keychain."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from PySide6.QtCore import QThreadPool

from tests.memkeyring import MemoryKeyring

# Showing a top-level window on the offscreen platform makes Qt say it cannot propagate size
# hints to a window manager; that is a fact about the test platform, not a bug of ours.
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Ignore the offscreen platform's one harmless warning in the window's tests."""
    for item in items:
        if "tests/ui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def keychain() -> Iterator[MemoryKeyring]:
    """An in-memory keychain per test: sign-in never touches the developer's real one."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _no_pool_tasks_left(keychain: MemoryKeyring) -> Iterator[None]:
    """Fail a test that leaves work running on the thread pool after it ends.

    A worker that has just delivered its answer may need a moment to leave ``run()``; anything
    still running half a second later was left behind.
    """
    yield
    pool = QThreadPool.globalInstance()
    quickly = pool.waitForDone(500)
    finished = quickly or pool.waitForDone(10_000)
    assert finished, "a pool task was still running 10 s after the test ended"
    assert quickly, "a pool task was still running when the test ended"
