"""The byte transfer of an artifact download: signed URL, streaming, resume, retries.

The API answers ``GET .../artifacts/{id}/zip`` with a 302 to a short-lived signed URL on
another host. :class:`Fetcher` asks for that URL with the token, then fetches it *without*
``Authorization`` (the token never leaves the API host), streaming into a file while a helper
thread computes SHA-256 over the same buffers, so hashing overlaps the transfer. A dropped
connection resumes with ``Range``; a refused or expired signed URL is replaced by asking again.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import queue
import random
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

from releasemgr import __version__
from releasemgr.errors import (
    AuthError,
    Cancelled,
    NetworkError,
    NotFoundError,
    PermissionDenied,
    RateLimited,
    VerificationFailed,
)

API_VERSION = "2022-11-28"
CHUNK_SIZE = 1 << 20
BUFFERS = 4  # in flight between the receiving and the hashing thread: 4 MiB in all
SECONDARY_WAIT = 60.0
_CONTENT_RANGE_RE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a download tries before giving up.

    ``attempts`` bounds consecutive failures that made no progress, ``resumes`` the transfers
    broken off after some progress, ``refreshes`` how often an expired signed URL is replaced.
    Delays grow exponentially up to ``max_delay``; a ``Retry-After`` longer than
    ``max_retry_after`` is reported instead of waited out.
    ``wait`` replaces the waiting (tests pass one that returns at once); by default a wait
    ends early when the download is cancelled.
    """

    attempts: int = 5
    refreshes: int = 3
    resumes: int = 50
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    timeout: float = 30.0
    wait: Callable[[float], None] | None = None


class _HashPipe:
    """SHA-256 on a helper thread over a small pool of buffers.

    The receiving thread fills a buffer and writes it to the file while the helper hashes the
    previous ones (``hashlib`` releases the GIL on large updates), so hashing overlaps the
    transfer instead of adding to it. Memory is the fixed pool, whatever the artifact's size.
    """

    def __init__(self, buffers: int = BUFFERS, size: int = CHUNK_SIZE) -> None:
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        for _ in range(buffers):
            self._free.put(bytearray(size))
        self._work: queue.Queue[tuple[bytearray, int] | None] = queue.Queue()
        self._sha = hashlib.sha256()
        self._thread = threading.Thread(target=self._hash, name="releasemgr-sha256", daemon=True)
        self._thread.start()

    def buffer(self) -> bytearray:
        """A free buffer to receive into (waits while all are being hashed)."""
        return self._free.get()

    def feed(self, buf: bytearray, n: int) -> None:
        """Hash the first ``n`` bytes of ``buf``; the buffer returns to the pool afterwards."""
        self._work.put((buf, n))

    def give_back(self, buf: bytearray) -> None:
        """Return an unused buffer to the pool."""
        self._free.put(buf)

    def reset(self) -> None:
        """Start over from byte 0 (the server could not resume)."""
        self._work.join()
        self._sha = hashlib.sha256()

    def hexdigest(self) -> str:
        """The digest of everything fed so far."""
        self._work.join()
        return self._sha.hexdigest()

    def close(self) -> None:
        """Stop the helper thread."""
        self._work.put(None)
        self._thread.join()

    def _hash(self) -> None:
        while True:
            item = self._work.get()
            try:
                if item is None:
                    return
                buf, n = item
                self._sha.update(memoryview(buf)[:n])
                self._free.put(buf)
            finally:
                self._work.task_done()


class _Retry(Exception):
    """A transient failure of one attempt: wait ``delay`` (or back off) and try again."""

    def __init__(self, why: str, delay: float | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.delay = delay


class Fetcher:
    """Streams one artifact's bytes into a file, resuming and refreshing the signed URL."""

    def __init__(
        self,
        api_url: str,
        token: str,
        what: str,
        retry: RetryPolicy,
        cancel: threading.Event | None,
        progress: Progress | None,
        expected_size: int | None,
    ) -> None:
        self._api_url = api_url
        self._token = token
        self._what = what
        self._retry = retry
        self._cancel = cancel
        self._progress = progress
        self._total = expected_size or 0
        self._hasher = _HashPipe()
        self._offset = 0
        self.resumes = 0

    def run(self, out: BinaryIO) -> tuple[str, int]:
        """Fetch everything into ``out``; return the SHA-256 hex digest and the size."""
        try:
            return self._run(out)
        finally:
            self._hasher.close()

    def _run(self, out: BinaryIO) -> tuple[str, int]:
        url: str | None = None
        failures = refreshes = 0
        while True:
            check_cancel(self._cancel, self._what)
            if url is None:
                url = self._signed_url()
            before = self._offset
            delay: float | None = None
            try:
                outcome = self._attempt(url, out)
            except _Retry as retry:
                outcome, delay = retry.why, retry.delay
            if outcome == "done":
                break
            if outcome == "refresh":
                # The signed URL expired or was refused: only the API can issue a new one.
                refreshes += 1
                if refreshes > self._retry.refreshes:
                    raise NetworkError(f"{self._what}: the download host kept refusing the link")
                url = None
                continue
            if self._offset > before:
                self.resumes += 1  # progress was made: resume at once
                if self.resumes > self._retry.resumes:
                    raise NetworkError(
                        f"{self._what}: the connection broke {self.resumes} times; giving up"
                    )
                failures = 0
                continue
            failures = self._failed(failures, outcome, delay)
        out.flush()
        return self._hasher.hexdigest(), self._offset

    def _attempt(self, url: str, out: BinaryIO) -> str:
        """One request to the blob host: ``done``, ``refresh``, or a reason it stopped early."""
        headers = {"Range": f"bytes={self._offset}-"} if self._offset else {}
        try:
            conn, resp = _open(url, headers, self._retry.timeout)
        except OSError as exc:
            raise _Retry(f"cannot reach the download host ({_reason(exc)})") from exc
        try:
            status = resp.status
            if status in (400, 401, 403, 404, 410):
                return "refresh"
            if status == 429 or status >= 500:
                raise _Retry(f"the download host answered HTTP {status}", _retry_after(resp))
            if status == 416 and self._total and self._offset == self._total:
                return "done"
            if status in (200, 416):
                self._restart(out)  # no range, or a range the server cannot serve: start over
                if status == 416:
                    raise _Retry("the download host refused to resume")
                length = resp.getheader("Content-Length") or ""
                if length.isdigit():
                    self._total = int(length)
            elif status == 206:
                start, total = _content_range(resp.getheader("Content-Range"))
                if start != self._offset:
                    self._restart(out)
                    raise _Retry(f"the download host resumed at byte {start}")
                if total is not None:
                    self._total = total
            else:
                raise NetworkError(f"{self._what}: the download host answered HTTP {status}")
            return self._stream(resp, out)
        finally:
            conn.close()

    def _stream(self, resp: http.client.HTTPResponse, out: BinaryIO) -> str:
        """Copy the body to ``out`` and the hasher; ``done`` or why it stopped early."""
        cancel, progress, hasher = self._cancel, self._progress, self._hasher
        while True:
            buf = hasher.buffer()
            try:
                n = resp.readinto(buf)
            except (OSError, http.client.HTTPException) as exc:
                hasher.give_back(buf)
                return f"the transfer broke off ({_reason(exc)})"
            if not n:
                hasher.give_back(buf)
                break
            try:
                # A local write error (disk full) propagates as OSError: it is no network fault.
                out.write(memoryview(buf)[:n])
            except BaseException:
                hasher.give_back(buf)
                raise
            hasher.feed(buf, n)
            self._offset += n
            if progress is not None:
                progress(self._offset, max(self._total, self._offset))
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"{self._what}: download cancelled")
        if self._total and self._offset < self._total:
            return "the transfer stopped early"
        if self._total and self._offset > self._total:
            raise VerificationFailed(
                f"{self._what}: received {self._offset} bytes, "
                f"more than the {self._total} announced"
            )
        return "done"

    def _restart(self, out: BinaryIO) -> None:
        if self._offset:
            out.seek(0)
            out.truncate()
        self._hasher.reset()
        self._offset = 0

    def _signed_url(self) -> str:
        """Ask the API for a fresh signed URL, retrying what is worth retrying."""
        failures = 0
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }
        while True:
            check_cancel(self._cancel, self._what)
            try:
                return self._ask_api(headers)
            except _Retry as retry:
                failures = self._failed(failures, retry.why, retry.delay)

    def _ask_api(self, headers: dict[str, str]) -> str:
        try:
            conn, resp = _open(self._api_url, headers, self._retry.timeout)
        except OSError as exc:
            raise _Retry(f"cannot reach GitHub ({_reason(exc)})") from exc
        try:
            status = resp.status
            if status in (301, 302, 303, 307, 308):
                location = resp.getheader("Location")
                if not location:
                    raise NetworkError(f"{self._what}: GitHub redirected without a link")
                return urljoin(self._api_url, location)
            message = _api_message(resp)
            if status == 401:
                raise AuthError(
                    f"GitHub rejected the token while downloading {self._what}",
                    hint="sign in again with `releasemgr auth login`",
                )
            if status in (403, 429):
                delay = self._rate_limit_delay(resp, status, message)
                if delay is None:
                    raise PermissionDenied(
                        f"not allowed to download {self._what}: {message}",
                        hint="the token needs read access to the repository's Actions",
                    )
                raise _Retry(f"GitHub is rate limiting (HTTP {status})", delay)
            if status == 404:
                raise NotFoundError(f"{self._what} not found (or not visible to this account)")
            if status == 410:
                raise NotFoundError(
                    f"{self._what} has expired and was removed by GitHub's artifact retention",
                    hint="re-run the workflow to build it again",
                )
            if status >= 500:
                raise _Retry(f"GitHub answered HTTP {status}", _retry_after(resp))
            raise NetworkError(f"{self._what}: GitHub answered HTTP {status}: {message}")
        finally:
            conn.close()

    def _rate_limit_delay(
        self, resp: http.client.HTTPResponse, status: int, message: str
    ) -> float | None:
        """Seconds to wait out a secondary limit; raise for an exhausted or long limit."""
        wait = _retry_after(resp)
        if resp.getheader("X-RateLimit-Remaining") == "0":
            reset = resp.getheader("X-RateLimit-Reset") or ""
            reset_at = float(reset) if reset.isdigit() else None
            when = time.strftime("%H:%M:%S UTC", time.gmtime(reset_at)) if reset_at else "later"
            raise RateLimited(f"GitHub API rate limit exhausted until {when}", reset_at=reset_at)
        if wait is None and (status == 429 or "rate limit" in message.lower()):
            wait = SECONDARY_WAIT  # GitHub: without Retry-After, wait at least a minute
        if wait is None:
            return None  # a 403 with no sign of a rate limit: missing permission
        if wait > self._retry.max_retry_after:
            raise RateLimited(
                f"GitHub is rate limiting this account for {int(wait)} s",
                reset_at=time.time() + wait,
            )
        return wait

    def _failed(self, failures: int, why: str, delay: float | None) -> int:
        """Count a failure that made no progress; wait, or give up with ``NetworkError``."""
        failures += 1
        if failures >= self._retry.attempts:
            raise NetworkError(f"{self._what}: {why}; gave up after {failures} tries")
        if delay is None:
            delay = min(self._retry.max_delay, self._retry.base_delay * 2 ** (failures - 1))
            delay *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography
        if self._retry.wait is not None:
            self._retry.wait(delay)
        elif self._cancel is not None:
            self._cancel.wait(delay)
        else:
            time.sleep(delay)
        check_cancel(self._cancel, self._what)
        return failures


def _open(
    url: str, headers: dict[str, str], timeout: float
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """Send one GET (never following redirects) and return the connection and response."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    elif parts.scheme == "http":
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    else:
        raise NetworkError(f"unsupported download address scheme {parts.scheme!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(
            "GET",
            target,
            headers={
                "User-Agent": f"releasemgr/{__version__}",
                "Accept-Encoding": "identity",
                **headers,
            },
        )
        return conn, conn.getresponse()
    except BaseException:
        conn.close()
        raise


def _retry_after(resp: http.client.HTTPResponse) -> float | None:
    value = (resp.getheader("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None


def _content_range(value: str | None) -> tuple[int, int | None]:
    match = _CONTENT_RANGE_RE.fullmatch((value or "").strip())
    if not match:
        raise _Retry("the download host sent a malformed Content-Range")
    total = match.group(3)
    return int(match.group(1)), (int(total) if total != "*" else None)


def _api_message(resp: http.client.HTTPResponse) -> str:
    """GitHub's ``message`` from an error body, or the status text."""
    try:
        body = json.loads(resp.read(64 * 1024) or b"{}")
        message = body.get("message") if isinstance(body, dict) else None
    except (ValueError, OSError, http.client.HTTPException):
        message = None
    return str(message or resp.reason or resp.status)[:200]


def _reason(exc: BaseException) -> str:
    """A short description of a network error; never the URL (signed URLs carry secrets)."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


def check_cancel(cancel: threading.Event | None, what: str) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"{what}: download cancelled")
