"""The simulator's clock: simulated time the caller controls, scaled real time, or both."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime


class Clock:
    """Simulated time for the world, and "wall" time for things that must follow real seconds.

    ``now()`` is the world's time: the start instant, plus every ``advance()``, plus real elapsed
    time multiplied by ``speed`` (``None`` freezes it, which is what tests want). ``wall()`` moves
    with real seconds (unscaled) plus every ``advance()``: signed URLs and device codes expire on
    it, so a fast demo clock does not expire a download half-way, and a test can still expire one
    by advancing.
    """

    def __init__(
        self,
        start: float | None = None,
        speed: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._real0 = monotonic()
        self._start = time.time() if start is None else start
        self._offset = 0.0
        self._speed = speed
        self._lock = threading.Lock()

    @property
    def speed(self) -> float | None:
        """How many simulated seconds pass per real second (``None``: only ``advance`` moves)."""
        return self._speed

    def now(self) -> float:
        """The world's current time, as a Unix timestamp."""
        with self._lock:
            scaled = (self._monotonic() - self._real0) * self._speed if self._speed else 0.0
            return self._start + self._offset + scaled

    def wall(self) -> float:
        """Real elapsed seconds since the start, plus every ``advance()``, as a Unix timestamp."""
        with self._lock:
            return self._start + self._offset + (self._monotonic() - self._real0)

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds


def iso(ts: float | None) -> str | None:
    """A Unix timestamp as GitHub writes it (``2026-05-29T15:42:05Z``), or ``None``."""
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    """A date or date-time as GitHub's ``created`` filter takes it, as a Unix timestamp."""
    value = text.strip()
    if len(value) == 10:
        value += "T00:00:00Z"
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
