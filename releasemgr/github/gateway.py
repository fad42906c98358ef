"""The one door to GitHub's REST API: PyGithub's requester, ETags, retries, rate limit, errors.

PyGithub (``Github(base_url=..., auth=Auth.Token(...))``) carries authentication, the API
version pin and GitHub Enterprise prefixes; its requester sends every call, including those
PyGithub has no method for (pending deployments, approvals, re-running one job). On top:

- GETs are conditional: the last ETag per URL is kept and a 304 returns the kept body, so a
  poll where nothing changed costs no rate limit.
- Reads retry 5xx, dropped connections and secondary rate limits with bounded backoff.
- Writes are sent once: a failed write raises, and the caller re-reads the state before any
  second try (see ``service.py``).
- Rate-limit figures come from every response's headers; no extra request is made for them.

PyGithub's connection object is not safe to share between threads, so each thread gets its own
``Github`` instance; the ETag cache and the counters are shared under locks.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from releasemgr.errors import NetworkError, RateLimited, ReleasemgrError
from releasemgr.github.errors import TransientError, error_for, format_reset
from releasemgr.github.etag import EtagCache
from releasemgr.model import RateLimit

API_VERSION = "2022-11-28"
log = logging.getLogger(__name__)

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


@dataclass
class Counters:
    """What this gateway has spent: requests sent, 304s, and rate-limit points."""

    requests: int = 0
    not_modified: int = 0
    points: int = 0  # answers that were not 304 (each costs one point of the core limit)


@dataclass(frozen=True)
class Response:
    """A decoded answer: status, lower-cased headers, parsed JSON body (or None)."""

    status: int
    headers: Mapping[str, str]
    body: Any


class Gateway:
    """HTTP calls against one GitHub API URL with one token."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 60.0,
        timeout: int = 20,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._token = token
        parsed = urllib.parse.urlparse(self._api_url)
        self.host = parsed.netloc or self._api_url
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cache = EtagCache()
        self._retries = retries
        self._backoff = backoff
        self._max_wait = max_wait
        self._timeout = timeout
        self._sleep = sleep
        self.counters = Counters()
        self._rate = RateLimit(remaining=-1, limit=-1)
        self._server_date: datetime | None = None
        self._clients: list[Any] = []

    def __repr__(self) -> str:
        return f"Gateway({self._api_url!r})"

    @property
    def api_url(self) -> str:
        """The API URL, without a trailing slash."""
        return self._api_url

    @property
    def token(self) -> str:
        """The token, for the download module's own HTTP client only. Never print it."""
        return self._token

    def rate_limit(self) -> RateLimit:
        """The rate limit as the last response reported it (``-1`` before any response)."""
        with self._lock:
            return self._rate

    def server_time(self) -> datetime:
        """The server's clock as its last ``Date`` header said (local time before any answer)."""
        with self._lock:
            return self._server_date or datetime.now(UTC)

    def _requester(self) -> Any:
        requester = getattr(self._local, "requester", None)
        if requester is None:
            from github import Auth, Github

            client = Github(
                base_url=self._api_url,
                auth=Auth.Token(self._token),
                retry=None,
                timeout=self._timeout,
                seconds_between_requests=None,
                seconds_between_writes=None,
                per_page=100,
                api_version=API_VERSION,
            )
            requester = client.requester
            self._local.client = client
            self._local.requester = requester
            with self._lock:
                self._clients.append(client)
        return requester

    def close(self) -> None:
        """Close every thread's connection (signing out, closing the window)."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            with contextlib.suppress(Exception):
                client.close()
        self._local = threading.local()

    # -- sending ----------------------------------------------------------------------------

    def _send(
        self,
        verb: str,
        url: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        """One request; transport failures become NetworkError/TransientError."""
        send_headers = {"Accept": "application/vnd.github+json", **(headers or {})}
        try:
            status, raw_headers, text = self._requester().requestJson(
                verb,
                url,
                parameters=dict(params) if params else None,
                headers=send_headers,
                input=body,
            )
        except ReleasemgrError:
            raise
        except Exception as exc:  # requests/urllib3/socket errors: all "could not talk"
            log.debug("%s %s failed: %s", verb, url, type(exc).__name__)
            raise TransientError(
                f"cannot reach GitHub at {self.host} ({type(exc).__name__}) for {what}"
            ) from None
        lowered = {str(k).lower(): str(v) for k, v in raw_headers.items()}
        self._account(status, lowered)
        return status, lowered, text

    def _account(self, status: int, headers: Mapping[str, str]) -> None:
        with self._lock:
            self.counters.requests += 1
            if status == 304:
                self.counters.not_modified += 1
            else:
                self.counters.points += 1
            if headers.get("date"):
                with contextlib.suppress(TypeError, ValueError, IndexError):
                    self._server_date = email.utils.parsedate_to_datetime(headers["date"])
            try:
                remaining = int(float(headers["x-ratelimit-remaining"]))
                limit = int(float(headers["x-ratelimit-limit"]))
            except (KeyError, ValueError):
                return
            reset_raw = headers.get("x-ratelimit-reset")
            reset = datetime.fromtimestamp(float(reset_raw), UTC) if reset_raw else None
            used = int(float(headers.get("x-ratelimit-used", limit - remaining)))
            self._rate = RateLimit(remaining=remaining, limit=limit, reset_at=reset, used=used)

    def _with_retries(self, call: Callable[[], Response]) -> Response:
        attempt = 0
        while True:
            try:
                return call()
            except TransientError as exc:
                attempt += 1
                if attempt > self._retries:
                    raise NetworkError(
                        exc.message + f"; gave up after {attempt} tries",
                        hint="check the network or GitHub's status, then try again",
                    ) from None
                self.pause(exc, attempt)

    def pause(self, exc: TransientError, attempt: int) -> None:
        """Wait before trying again after ``exc``: its Retry-After, else exponential backoff.

        Raises:
            RateLimited: GitHub asks for a longer wait than ``max_wait``.
        """
        wait = exc.retry_after
        if wait is None:
            wait = self._backoff * (2 ** max(0, attempt - 1))
        if wait > self._max_wait:
            until = datetime.now(UTC).timestamp() + wait
            raise RateLimited(
                f"GitHub asked to wait {wait:.0f} s (secondary rate limit) until "
                f"{format_reset(until)}",
                reset_at=until,
                hint="try again then",
            ) from None
        log.debug("retrying in %.1fs after: %s", wait, exc.message)
        self._sleep(wait)

    # -- reads ------------------------------------------------------------------------------

    def get(
        self,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        conditional: bool = True,
    ) -> Response:
        """GET ``path`` as JSON; a kept ETag makes an unchanged answer free (304)."""
        key = _cache_key(path, params)

        def once() -> Response:
            cached = self._cache.get(key) if conditional else None
            headers = {"If-None-Match": cached.etag} if cached else None
            status, resp_headers, text = self._send(
                "GET", path, what=what, params=params, headers=headers
            )
            if status == 304 and cached is not None:
                merged = dict(resp_headers)
                if cached.link and "link" not in merged:
                    merged["link"] = cached.link
                return Response(200, merged, cached.body)
            if status >= 300:
                raise error_for(status, resp_headers, text, what=what, host=self.host)
            try:
                data = json.loads(text) if text else None
            except ValueError:
                raise TransientError(f"GitHub sent a cut-off answer for {what}") from None
            etag = resp_headers.get("etag")
            if conditional and etag:
                self._cache.put(key, etag, data, resp_headers.get("link", ""))
            return Response(status, resp_headers, data)

        return self._with_retries(once)

    def get_list(
        self,
        path: str,
        *,
        what: str,
        key: str | None,
        params: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> list[Any]:
        """All items of a paginated list (``key`` names the wrapped array, None for bare)."""
        items: list[Any] = []
        url: str | None = path
        first: dict[str, Any] = {"per_page": 100, **(params or {})}
        if limit is not None and limit <= 100:
            first["per_page"] = max(1, limit)
        query: Mapping[str, Any] | None = first
        while url is not None:
            response = self.get(url, what=what, params=query)
            page = response.body if key is None else (response.body or {}).get(key, [])
            items.extend(page or [])
            if limit is not None and len(items) >= limit:
                return items[:limit]
            match = _LINK_NEXT.search(response.headers.get("link", ""))
            url = match.group(1) if match else None
            query = None  # the next link carries the query
        return items

    def redirect_location(self, path: str, *, what: str) -> str:
        """The ``Location`` of a 302 (job logs, artifact zip) without following it."""

        def once() -> Response:
            status, headers, text = self._send("GET", path, what=what)
            if status in (301, 302, 307) and headers.get("location"):
                return Response(status, headers, headers["location"])
            if status >= 300:
                raise error_for(status, headers, text, what=what, host=self.host)
            raise NetworkError(f"GitHub did not redirect for {what}")

        return str(self._with_retries(once).body)

    # -- writes (never retried here) --------------------------------------------------------

    def write(self, verb: str, path: str, *, what: str, body: Any = None) -> Response:
        """POST/PUT/PATCH/DELETE once. A failure raises; the caller decides about a second try.

        Raises:
            TransientError: the write may or may not have landed (5xx, connection dropped).
        """
        status, headers, text = self._send(verb, path, what=what, body=body)
        if status >= 300:
            raise error_for(status, headers, text, what=what, host=self.host)
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = None
        return Response(status, headers, data)

    def forget(self, path: str, params: Mapping[str, Any] | None = None) -> None:
        """Drop the kept answer for ``path`` so the next read is fresh."""
        self._cache.drop(_cache_key(path, params))


def _cache_key(path: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return path
    return path + "?" + urllib.parse.urlencode(sorted((k, str(v)) for k, v in params.items()))
