"""Artifact download: stream, hash, resume, verify, then extract safely into place.

``GET .../actions/artifacts/{id}/zip`` answers 302 to a short-lived signed URL on another host.
The signed URL is fetched without ``Authorization`` (``transfer.py``: the token never leaves the
API host) into a temporary file created exclusively in the target folder, hashed as it streams,
resumed with ``Range`` when the connection drops.
Only a zip whose digest and inner ``checksums.txt`` both check out is extracted, into a temporary
folder that is then renamed into place, so the final path only ever holds a verified result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from releasemgr.errors import InputError, UsageError, VerificationFailed
from releasemgr.github.transfer import CHUNK_SIZE, Fetcher, Progress, RetryPolicy, check_cancel
from releasemgr.release.safezip import safe_extract
from releasemgr.release.verify import verify_path

__all__ = ["DownloadResult", "RetryPolicy", "download_artifact"]

MARKER_SCHEMA = 1
_DIGEST_RE = re.compile(r"sha256:([0-9a-fA-F]{64})")
# What a folder name made from an artifact name must not contain (GitHub forbids most of these
# in names anyway; the rest would escape or confuse the target folder).
_UNSAFE_NAME_RE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


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
    fetcher = Fetcher(url, token, what, retry or RetryPolicy(), cancel, progress, expected_size)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{label}.", suffix=".part.zip", dir=dest_dir)
    tmp_zip = Path(tmp_name)
    tmp_dir: Path | None = None
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    try:
        try:
            with open(fd, "wb") as out:
                digest_hex, size = fetcher.run(out)
        except OSError as exc:  # network faults are handled inside; this is the local disk
            raise InputError(
                f"{dest_dir}: cannot write the download ({exc.strerror or exc})"
            ) from exc
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
        check_cancel(cancel, what)
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
            check_cancel(cancel, what)
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
