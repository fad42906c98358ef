"""A small, thread-safe ETag cache: a poll where nothing changed costs no rate limit.

GitHub answers ``304 Not Modified`` to a GET carrying ``If-None-Match`` with the ETag of the
current representation, and a 304 does not count against the rate limit. We keep the last ETag
and parsed body per URL and hand the body back on a 304.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CachedResponse:
    """The ETag and the parsed body of the last 200 for one URL."""

    etag: str
    body: Any
    link: str = ""


class EtagCache:
    """URL -> last ETag and body, least recently used first out."""

    def __init__(self, max_entries: int = 2000) -> None:
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, url: str) -> CachedResponse | None:
        """The cached answer for ``url``, if any."""
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None:
                self._entries.move_to_end(url)
            return entry

    def put(self, url: str, etag: str, body: Any, link: str = "") -> None:
        """Remember ``body`` as the representation with ``etag``."""
        with self._lock:
            self._entries[url] = CachedResponse(etag, body, link)
            self._entries.move_to_end(url)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def drop(self, url: str) -> None:
        """Forget ``url`` (after a write made it stale)."""
        with self._lock:
            self._entries.pop(url, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
