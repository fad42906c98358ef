"""The primary rate limit: requests per user per hour, counting down, with a reset time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW = 3600
USER_LIMIT = 5000
ANONYMOUS_LIMIT = 60


@dataclass
class Bucket:
    """One user's (or one anonymous address's) allowance in the current window."""

    limit: int
    used: int
    reset: int  # Unix time the window ends

    @property
    def remaining(self) -> int:
        """Requests left in this window."""
        return max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers GitHub sends."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Used": str(min(self.used, self.limit)),
            "X-RateLimit-Resource": "core",
        }


class RateLimits:
    """Buckets per key (``user:<login>`` or ``ip:<address>``), on real time."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, Bucket] = {}
        self.user_limit = USER_LIMIT
        self.anonymous_limit = ANONYMOUS_LIMIT
        self._exhausted_until = 0.0

    def _bucket(self, key: str) -> Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        limit = self.anonymous_limit if key.startswith("ip:") else self.user_limit
        if bucket is None or bucket.reset <= now:
            bucket = Bucket(limit, 0, int(now) + WINDOW)
            if now < self._exhausted_until:
                bucket.used = limit
            self._buckets[key] = bucket
        bucket.limit = limit
        return bucket

    def peek(self, key: str) -> Bucket:
        """The bucket as it stands (a copy), without spending."""
        with self._lock:
            b = self._bucket(key)
            return Bucket(b.limit, b.used, b.reset)

    def try_spend(self, key: str) -> tuple[bool, Bucket]:
        """Spend one request if any is left; whether it was, and the bucket after."""
        with self._lock:
            b = self._bucket(key)
            ok = b.remaining > 0
            if ok:
                b.used += 1
            return ok, Bucket(b.limit, b.used, b.reset)

    def exhaust(self, key: str | None = None) -> None:
        """Use up the allowance of ``key`` (every known key and every new one: ``None``)."""
        with self._lock:
            if key is None:
                self._exhausted_until = self._clock() + WINDOW
                for b in self._buckets.values():
                    b.used = b.limit
            else:
                b = self._bucket(key)
                b.used = b.limit

    def set_limit(self, limit: int | None) -> None:
        """Set the per-user limit (``None``: GitHub's 5000)."""
        with self._lock:
            self.user_limit = limit or USER_LIMIT

    def reset_all(self) -> None:
        """Start every window afresh (and end an exhaustion)."""
        with self._lock:
            self._buckets.clear()
            self._exhausted_until = 0.0
