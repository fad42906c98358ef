"""Artifact download: stream, hash, resume, verify, then extract safely into place.

``GET .../actions/artifacts/{id}/zip`` answers 302 to a short-lived signed URL on another host.
The signed URL is fetched without ``Authorization`` (the token never leaves the API host), into
a temporary file created exclusively in the target folder and hashed as it streams. A dropped
connection resumes with ``Range``; an expired signed URL is replaced by asking the API again.
Only a zip whose digest and inner ``checksums.txt`` both check out is extracted, into a temporary
folder that is then renamed into place, so the final path only ever holds a verified result.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urljoin, urlsplit

from releasemgr import __version__
from releasemgr.errors import (
    AuthError,
    Cancelled,
    InputError,
    NetworkError,
    NotFoundError,
    PermissionDenied,
    RateLimited,
    UsageError,
    VerificationFailed,
)
from releasemgr.release.safezip import safe_extract
from releasemgr.release.verify import verify_path

API_VERSION = "2022-11-28"
CHUNK_SIZE = 1 << 20
MARKER_SCHEMA = 1
_DIGEST_RE = re.compile(r"sha256:([0-9a-fA-F]{64})")
_CONTENT_RANGE_RE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
# What a folder name made from an artifact name must not contain (GitHub forbids most of these
# in names anyway; the rest would escape or confuse the target folder).
_UNSAFE_NAME_RE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a download tries before giving up.

    ``attempts`` bounds consecutive failures that made no progress; ``refreshes`` bounds how
    often an expired signed URL is replaced; delays grow exponentially up to ``max_delay``;
    a ``Retry-After`` longer than ``max_retry_after`` is reported instead of waited out.
    ``wait`` replaces the waiting (tests pass one that returns at once); by default a wait
    ends early when the download is cancelled.
    """

    attempts: int = 5
    refreshes: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    timeout: float = 30.0
    wait: Callable[[float], None] | None = None


@dataclass(frozen=True)
class DownloadResult:
    """What a finished download left on disk.

    ``path`` is the extracted folder (``extract=True``) or the zip itself; ``files`` lists the
    extracted files; ``reused`` says the artifact was already there and verified, so nothing was
    fetched; ``resumes`` counts interrupted transfers continued with ``Range``; ``timings``
    gives the seconds spent in ``transfer`` (hashing included), ``verify`` and ``extract``.
    """

    artifact_id: int
    path: Path
    digest: str
    size: int
    files: tuple[Path, ...]
    reused: bool = False
    resumes: int = 0
    timings: Mapping[str, float] = field(default_factory=dict)  # seconds per phase


def download_artifact(
    *,
    api_url: str,
    token: str,
    repository: str,
    artifact_id: int,
    dest_dir: Path,
    expected_size: int | None = None,
    expected_digest: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    extract: bool = True,
    name: str | None = None,
    retry: RetryPolicy | None = None,
    package: bool = True,
) -> DownloadResult:
    """Download artifact ``artifact_id`` of ``repository`` into ``dest_dir`` and verify it.

    The result lands in ``dest_dir/<name>`` (a folder) or ``dest_dir/<name>.zip`` with
    ``extract=False``; ``name`` defaults to ``artifact-<id>``. Safe to call from a worker thread:
    ``progress(done, total)`` is called from that thread, and setting ``cancel`` stops the
    transfer promptly and removes everything it wrote.

    A release package is checked twice: the zip against GitHub's ``digest``, then every file
    against its ``checksums.txt``. An artifact that is no release package (a test or monitoring
    report) is downloaded with ``package=False`` and rests on the digest alone, so it needs one.

    Raises:
        AuthError, PermissionDenied, NotFoundError (also for an expired artifact), RateLimited,
        NetworkError, VerificationFailed (digest, size or checksums do not match), Cancelled,
        UsageError for bad arguments.
    """
    owner, repo = _split_repository(repository)
    if artifact_id <= 0:
        raise UsageError(f"artifact id must be a positive number, not {artifact_id}")
    want_hex = _parse_digest(expected_digest)
    if not package and want_hex is None:
        raise UsageError(
            f"artifact {artifact_id} is not a release package and GitHub gave no digest for it, "
            "so nothing could check the download"
        )
    label = name or f"artifact-{artifact_id}"
    if not _plain_name(label):
        raise UsageError(f"artifact folder name {label!r} is not a plain file name")
    what = f"artifact {artifact_id} of {owner}/{repo}"
    dest_dir = Path(dest_dir)
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{dest_dir}: cannot create the download folder ({exc.strerror})") from exc
    final = dest_dir / (label if extract else f"{label}.zip")
    marker = dest_dir / f".{label}.releasemgr.json"

    # An extracted folder can only be re-checked against its checksums.txt: no package, no reuse.
    reusable = package or not extract
    reused = _reuse(marker, final, artifact_id, want_hex, extract, cancel) if reusable else None
    if reused is not None:
        return reused

    base = api_url.rstrip("/")
    url = f"{base}/repos/{quote(owner)}/{quote(repo)}/actions/artifacts/{artifact_id}/zip"
    fetcher = _Fetcher(url, token, what, retry or RetryPolicy(), cancel, progress, expected_size)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{label}.", suffix=".part.zip", dir=dest_dir)
    tmp_zip = Path(tmp_name)
    tmp_dir: Path | None = None
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    try:
        with open(fd, "wb") as out:
            digest_hex, size = fetcher.run(out)
        timings["transfer"] = time.perf_counter() - clock
        if expected_size is not None and size != expected_size:
            raise VerificationFailed(
                f"{what}: downloaded {size} bytes but GitHub lists {expected_size}"
            )
        if want_hex is not None and digest_hex != want_hex:
            raise VerificationFailed(
                f"{what}: the download's SHA-256 {digest_hex[:12]}… does not match the "
                f"artifact digest {want_hex[:12]}…",
                hint="the blob was corrupted in storage or in transit; nothing was kept",
            )
        _check_cancel(cancel, what)
        clock = time.perf_counter()
        if package:
            try:
                report = verify_path(tmp_zip, cancel=cancel)
            except InputError as exc:  # not a readable release package: the artifact is bad
                raise VerificationFailed(f"{what}: {exc.message}") from exc
            if not report.ok:
                raise VerificationFailed(f"{what}: {report.summary()}")
            timings["verify"] = time.perf_counter() - clock
        clock = time.perf_counter()
        files: tuple[Path, ...] = ()
        if extract:
            tmp_dir = Path(tempfile.mkdtemp(prefix=f".{label}.", suffix=".extract", dir=dest_dir))
            try:
                extracted = safe_extract(tmp_zip, tmp_dir)
            except InputError as exc:
                raise VerificationFailed(f"{what}: {exc.message}") from exc
            _check_cancel(cancel, what)
            files = tuple(final / p.relative_to(tmp_dir) for p in extracted)
            _replace(tmp_dir, final)
            tmp_dir = None
            tmp_zip.unlink()
            timings["extract"] = time.perf_counter() - clock
        else:
            _replace(tmp_zip, final)
        _write_marker(marker, artifact_id, digest_hex, size, final, extract)
        return DownloadResult(
            artifact_id=artifact_id,
            path=final,
            digest=f"sha256:{digest_hex}",
            size=size,
            files=files,
            resumes=fetcher.resumes,
            timings=timings,
        )
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_zip.unlink()
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)


class _Retry(Exception):
    """A transient failure of one attempt: wait ``delay`` (or back off) and try again."""

    def __init__(self, why: str, delay: float | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.delay = delay


class _Fetcher:
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
        self._hasher = hashlib.sha256()
        self._offset = 0
        self.resumes = 0

    def run(self, out: BinaryIO) -> tuple[str, int]:
        """Fetch everything into ``out``; return the SHA-256 hex digest and the size."""
        view = memoryview(bytearray(CHUNK_SIZE))
        url: str | None = None
        failures = refreshes = 0
        while True:
            _check_cancel(self._cancel, self._what)
            if url is None:
                url = self._signed_url()
            before = self._offset
            delay: float | None = None
            try:
                outcome = self._attempt(url, out, view)
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
                failures = 0
                continue
            failures = self._failed(failures, outcome, delay)
        out.flush()
        return self._hasher.hexdigest(), self._offset

    def _attempt(self, url: str, out: BinaryIO, view: memoryview) -> str:
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
            return self._stream(resp, out, view)
        finally:
            conn.close()

    def _stream(self, resp: http.client.HTTPResponse, out: BinaryIO, view: memoryview) -> str:
        """Copy the body to ``out`` and the hasher; ``done`` or why it stopped early."""
        cancel, progress, hasher = self._cancel, self._progress, self._hasher
        try:
            while True:
                n = resp.readinto(view)
                if not n:
                    break
                chunk = view[:n]
                out.write(chunk)
                hasher.update(chunk)
                self._offset += n
                if progress is not None:
                    progress(self._offset, max(self._total, self._offset))
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"{self._what}: download cancelled")
        except (OSError, http.client.HTTPException) as exc:
            return f"the transfer broke off ({_reason(exc)})"
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
        self._hasher = hashlib.sha256()
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
            _check_cancel(self._cancel, self._what)
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
                delay = self._rate_limit_delay(resp, status)
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

    def _rate_limit_delay(self, resp: http.client.HTTPResponse, status: int) -> float | None:
        """Seconds to wait out a secondary limit; raise for an exhausted or long limit."""
        wait = _retry_after(resp)
        if wait is not None:
            if wait > self._retry.max_retry_after:
                raise RateLimited(
                    f"GitHub is rate limiting this account for {int(wait)} s",
                    reset_at=time.time() + wait,
                )
            return wait
        if resp.getheader("X-RateLimit-Remaining") == "0":
            reset = resp.getheader("X-RateLimit-Reset") or ""
            reset_at = float(reset) if reset.isdigit() else None
            when = time.strftime("%H:%M:%S UTC", time.gmtime(reset_at)) if reset_at else "later"
            raise RateLimited(f"GitHub API rate limit exhausted until {when}", reset_at=reset_at)
        return None if status == 403 else self._retry.base_delay

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
        _check_cancel(self._cancel, self._what)
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


def _check_cancel(cancel: threading.Event | None, what: str) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"{what}: download cancelled")


def _plain_name(name: str) -> bool:
    return (
        0 < len(name) <= 200
        and not name.startswith((".", " "))
        and not name.endswith((".", " "))
        and not _UNSAFE_NAME_RE.search(name)
    )


def _split_repository(repository: str) -> tuple[str, str]:
    owner, _, repo = repository.partition("/")
    if not owner or not repo or "/" in repo:
        raise UsageError(f"repository must be OWNER/NAME, not {repository!r}")
    return owner, repo


def _parse_digest(digest: str | None) -> str | None:
    if digest is None:
        return None
    match = _DIGEST_RE.fullmatch(digest.strip())
    if not match:
        raise UsageError(f"artifact digest must be sha256:<64 hex digits>, not {digest!r}")
    return match.group(1).lower()


def _replace(src: Path, final: Path) -> None:
    """Move ``src`` to ``final``, replacing what was there only once ``src`` is in hand."""
    old: Path | None = None
    if final.is_symlink() or final.exists():
        old = final.with_name(f".{final.name}.{os.getpid()}.{random.getrandbits(32):08x}.old")
        final.rename(old)
    try:
        src.rename(final)
    except OSError:
        if old is not None:
            old.rename(final)
        raise
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()


def _write_marker(
    marker: Path, artifact_id: int, digest_hex: str, size: int, final: Path, extract: bool
) -> None:
    """Record what is in ``final`` so the same artifact is not fetched again."""
    data = {
        "schema": MARKER_SCHEMA,
        "artifact_id": artifact_id,
        "digest": f"sha256:{digest_hex}",
        "size": size,
        "path": final.name,
        "extracted": extract,
    }
    fd, tmp = tempfile.mkstemp(prefix=f"{marker.name}.", suffix=".tmp", dir=marker.parent)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        Path(tmp).replace(marker)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _reuse(
    marker: Path,
    final: Path,
    artifact_id: int,
    want_hex: str | None,
    extract: bool,
    cancel: threading.Event | None,
) -> DownloadResult | None:
    """The earlier download of this artifact, if it is still there and still verifies."""
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        digest = str(data["digest"])
        size = int(data["size"])
        same = (
            data.get("schema") == MARKER_SCHEMA
            and data.get("artifact_id") == artifact_id
            and data.get("extracted") == extract
            and data.get("path") == final.name
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not same or (want_hex is not None and digest != f"sha256:{want_hex}"):
        return None
    if final.is_symlink() or not final.exists():
        return None
    if extract:
        if not final.is_dir() or not verify_path(final, cancel=cancel).ok:
            return None
        files = tuple(sorted(p for p in final.rglob("*") if p.is_file()))
    else:
        if _file_sha256(final) != digest.removeprefix("sha256:"):
            return None
        files = ()
    return DownloadResult(
        artifact_id=artifact_id, path=final, digest=digest, size=size, files=files, reused=True
    )


def _file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            hasher.update(chunk)
    return hasher.hexdigest()
