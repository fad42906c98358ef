"""A small progress bar on stderr, drawn only when stderr is a terminal.

Thread-safe: ``update`` may be called from worker threads. It draws at most ten times a second
and only once the work has run for a moment, so quick jobs print nothing at all.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

from releasemgr.cli.context import Context

_WIDTH = 30


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


class ProgressBar:
    """``label [#####.....]  42%  1.2 GiB / 2.9 GiB  310 MiB/s`` on one rewritten line.

    Args:
        stream: where to draw (stderr).
        label: a word or two saying what is progressing.
        delay: seconds to wait before the first draw (quick jobs never show a bar).
        interval: least seconds between two draws.
    """

    def __init__(
        self, stream: TextIO, label: str, *, delay: float = 0.5, interval: float = 0.1
    ) -> None:
        self._stream = stream
        self._label = label
        self._start = time.monotonic()
        self._delay = delay
        self._interval = interval
        self._last = 0.0
        self._drawn = False
        self._lock = threading.Lock()

    def update(self, done: int, total: int) -> None:
        """Record progress; redraw when enough time has passed. Safe from any thread."""
        now = time.monotonic()
        with self._lock:
            if now - self._start < self._delay or now - self._last < self._interval:
                return
            self._last = now
            self._draw(done, total, now)

    def _draw(self, done: int, total: int, now: float) -> None:
        fraction = min(1.0, done / total) if total > 0 else 1.0
        filled = int(fraction * _WIDTH)
        rate = done / max(now - self._start, 1e-6)
        line = (
            f"\r{self._label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {fraction:4.0%}  "
            f"{_size(done)} / {_size(total)}  {_size(rate)}/s"
        )
        self._stream.write(line + "\x1b[K")
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the bar, if one was drawn, leaving the cursor at the start of a clean line."""
        with self._lock:
            if self._drawn:
                self._stream.write("\r\x1b[K")
                self._stream.flush()
                self._drawn = False


def progress_bar(ctx: Context, label: str) -> ProgressBar | None:
    """A bar on ``ctx.stderr`` when it is a terminal, else None (nothing extra when piped)."""
    if not ctx.stderr_isatty:
        return None
    return ProgressBar(ctx.stderr, label)
