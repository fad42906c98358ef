"""Verify a release package, a folder or a zip, against its checksums.txt and metadata.json.

Per file: ok, mismatch (digest differs, unreadable, or changed while hashed), missing, extra
(present but not listed) or unsafe (would escape the root, or a link or special entry). Then
metadata consistency: file count, total bytes, SHA-256 of checksums.txt, and ``version.txt``
against the metadata's commit. Any non-ok verdict or problem fails the whole verification.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from releasemgr.errors import InputError
from releasemgr.release.checksums import CHECKSUMS_NAME, ChecksumEntry, parse_checksums
from releasemgr.release.hashing import (
    FileHash,
    Progress,
    ProgressFn,
    hash_file,
    run_biggest_first,
)
from releasemgr.release.manifest import (
    CHANNEL_FILES,
    METADATA_NAME,
    ChannelInfo,
    Metadata,
    parse_channel_texts,
)
from releasemgr.release.tree import TreeFile, scan_tree
from releasemgr.release.ziptree import ZipPackage, is_zip, open_package_zip

_F = TypeVar("_F")  # a folder file or a zip member

Verdict = Literal["ok", "mismatch", "missing", "extra", "unsafe"]
UNLISTED = frozenset({CHECKSUMS_NAME, METADATA_NAME})
_CHANNEL_FILE_LIMIT = 4096  # one short line each; more than this is not a channel file


@dataclass(frozen=True)
class FileVerdict:
    """What verification found for one path."""

    path: str
    verdict: Verdict
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        """A JSON-friendly view."""
        return {"path": self.path, "verdict": self.verdict, "detail": self.detail}


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of verifying one package."""

    source: str
    kind: Literal["folder", "zip"]
    files: tuple[FileVerdict, ...]
    problems: tuple[str, ...] = ()
    metadata: Metadata | None = None
    channel: ChannelInfo | None = None
    total_bytes: int = 0
    seconds: float = 0.0
    ok: bool = field(init=False)

    def __post_init__(self) -> None:
        ok = not self.problems and all(f.verdict == "ok" for f in self.files)
        object.__setattr__(self, "ok", ok)

    @property
    def failures(self) -> tuple[FileVerdict, ...]:
        """The files whose verdict is not ok."""
        return tuple(f for f in self.files if f.verdict != "ok")

    def counts(self) -> dict[str, int]:
        """How many files got each verdict."""
        return dict(Counter(f.verdict for f in self.files))

    def summary(self) -> str:
        """One line: verified or failed, how many files and bytes, and what failed."""
        listed = sum(1 for f in self.files if f.verdict != "extra")
        size = _human(self.total_bytes)
        if self.ok:
            return f"verified: {listed} files, {size}, all match checksums.txt ({self.source})"
        parts = [
            f"{n} {verdict}" for verdict, n in sorted(self.counts().items()) if verdict != "ok"
        ]
        if self.problems:
            parts.append(f"{len(self.problems)} metadata problem" + "s" * (len(self.problems) > 1))
        return f"FAILED: {', '.join(parts)} ({listed} files listed, {self.source})"

    def to_dict(self) -> dict[str, Any]:
        """The whole report as a JSON-friendly dict."""
        return {
            "ok": self.ok,
            "source": self.source,
            "kind": self.kind,
            "summary": self.summary(),
            "counts": self.counts(),
            "total_bytes": self.total_bytes,
            "seconds": round(self.seconds, 3),
            "problems": list(self.problems),
            "metadata": self.metadata.to_dict() if self.metadata else None,
            "channel": self.channel.to_dict() if self.channel else None,
            "files": [f.to_dict() for f in self.files],
        }

    def to_json(self) -> str:
        """The whole report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover


def verify_path(
    path: Path,
    *,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Verify a package folder, a package ``.zip``, or a zip holding only the package zip.

    ``progress(done_bytes, total_bytes)`` may be called from worker threads. Setting ``cancel``
    raises ``Cancelled`` soon after.

    Raises:
        InputError: PATH does not exist or cannot be read; checksums.txt is missing, empty or
            malformed; metadata.json or a channel file is malformed; the zip is corrupt.
        Cancelled: ``cancel`` was set.
    """
    path = Path(path)
    started = time.monotonic()
    if not path.exists():
        raise InputError(f"{path}: does not exist")
    if path.is_dir():
        report = _verify_folder(path, progress=progress, cancel=cancel, workers=workers)
    elif is_zip(path):
        report = _verify_zip(path, progress=progress, cancel=cancel, workers=workers)
    else:
        raise InputError(f"{path}: is neither a package folder nor a .zip")
    object.__setattr__(report, "seconds", time.monotonic() - started)
    return report


def _read_checksums(data: bytes | None, where: str) -> list[ChecksumEntry]:
    if data is None:
        raise InputError(f"{where}/{CHECKSUMS_NAME}: is missing; this is not a release package")
    return parse_checksums(data, source=f"{where}/{CHECKSUMS_NAME}")


def _verify_folder(
    root: Path,
    *,
    progress: ProgressFn | None,
    cancel: threading.Event | None,
    workers: int | None,
) -> VerifyReport:
    try:
        data: bytes | None = (root / CHECKSUMS_NAME).read_bytes()
    except FileNotFoundError:
        data = None
    except OSError as exc:
        raise InputError(f"{root / CHECKSUMS_NAME}: cannot be read ({exc.strerror})") from None
    entries = _read_checksums(data, str(root))
    assert data is not None
    try:
        meta_bytes: bytes | None = (root / METADATA_NAME).read_bytes()
    except FileNotFoundError:
        meta_bytes = None
    except OSError as exc:
        raise InputError(f"{root / METADATA_NAME}: cannot be read ({exc.strerror})") from None
    tree = scan_tree(root, skip_top=UNLISTED)
    for name in UNLISTED:  # ours never lists them, but a checksums.txt made elsewhere might
        path = root / name
        if any(entry.path == name for entry in entries) and path.is_file():
            tree.files[name] = TreeFile(name, path, path.stat().st_size)
    verdicts: dict[str, FileVerdict] = {}
    to_hash: list[tuple[ChecksumEntry, TreeFile]] = []
    explained: set[str] = set()  # problem paths already reported through a listed file
    for entry in entries:
        found = tree.files.get(entry.path)
        problem = tree.problem_for(entry.path)
        if problem is not None:
            explained.add(problem.path)
        if found is not None:
            to_hash.append((entry, found))
        elif problem is not None and problem.kind in ("outside", "special", "loop"):
            verdicts[entry.path] = FileVerdict(entry.path, "unsafe", problem.detail)
        elif problem is not None and problem.kind == "unreadable":
            verdicts[entry.path] = FileVerdict(
                entry.path, "mismatch", f"cannot be read: {problem.detail}"
            )
        else:
            verdicts[entry.path] = FileVerdict(entry.path, "missing", "listed but not found")
    listed = {entry.path for entry in entries}
    for rel in tree.files:
        if rel not in listed:
            verdicts[rel] = FileVerdict(rel, "extra", "present but not listed in checksums.txt")
    for problem in tree.problems:
        if problem.path not in explained and problem.path not in verdicts:
            verdict: Literal["extra", "unsafe"] = (
                "unsafe" if problem.kind in ("outside", "special", "loop") else "extra"
            )
            verdicts[problem.path] = FileVerdict(problem.path, verdict, problem.detail)

    total = _hash_listed(
        to_hash,
        verdicts,
        size=lambda file: file.size,
        work=lambda file, counter: hash_file(file.fs_path, progress=counter, cancel=cancel),
        progress=progress,
        cancel=cancel,
        workers=workers,
    )
    texts = {}
    for name in CHANNEL_FILES:
        item = tree.files.get(name)
        if item is not None:
            try:
                with open(item.fs_path, "rb") as handle:
                    texts[name] = handle.read(_CHANNEL_FILE_LIMIT)
            except OSError as exc:
                raise InputError(f"{item.fs_path}: cannot be read ({exc.strerror})") from None
    return _finish(str(root), "folder", entries, verdicts, data, meta_bytes, texts, total)


def _hash_listed(
    to_hash: list[tuple[ChecksumEntry, _F]],
    verdicts: dict[str, FileVerdict],
    *,
    size: Callable[[_F], int],
    work: Callable[[_F, Progress], FileHash],
    progress: ProgressFn | None,
    cancel: threading.Event | None,
    workers: int | None,
) -> int:
    """Hash every listed file (folder file or zip member) biggest first and judge it against
    its checksums line; returns the bytes hashed."""
    counter = Progress(sum(size(file) for _, file in to_hash), progress)
    counter.start()
    results = run_biggest_first(
        to_hash,
        size=lambda item: size(item[1]),
        work=lambda item: work(item[1], counter),
        workers=workers,
        cancel=cancel,
    )
    total = 0
    for (entry, _), result in zip(to_hash, results, strict=True):
        verdicts[entry.path] = _judge(entry, result)
        total += result.size
    return total


def _judge(entry: ChecksumEntry, result: FileHash) -> FileVerdict:
    if result.digest is None:
        return FileVerdict(entry.path, "mismatch", result.error or "could not be hashed")
    if result.digest != entry.digest:
        return FileVerdict(
            entry.path, "mismatch", f"SHA-256 is {result.digest}, checksums.txt says {entry.digest}"
        )
    return FileVerdict(entry.path, "ok")


def _verify_zip(
    path: Path,
    *,
    progress: ProgressFn | None,
    cancel: threading.Event | None,
    workers: int | None,
) -> VerifyReport:
    with open_package_zip(path) as package:
        return _verify_zip_package(path, package, progress=progress, cancel=cancel, workers=workers)


def _verify_zip_package(
    path: Path,
    package: ZipPackage,
    *,
    progress: ProgressFn | None,
    cancel: threading.Event | None,
    workers: int | None,
) -> VerifyReport:
    data = package.read_small(CHECKSUMS_NAME)
    entries = _read_checksums(data, str(path))
    assert data is not None
    meta_bytes = package.read_small(METADATA_NAME)
    verdicts: dict[str, FileVerdict] = {}
    to_hash = []
    for entry in entries:
        if entry.path in package.unsafe:
            verdicts[entry.path] = FileVerdict(entry.path, "unsafe", package.unsafe[entry.path])
        elif entry.path in package.members:
            to_hash.append((entry, package.members[entry.path]))
        else:
            verdicts[entry.path] = FileVerdict(entry.path, "missing", "listed but not in the zip")
    listed = {entry.path for entry in entries}
    for rel in package.members:
        if rel not in listed and rel not in UNLISTED:
            verdicts[rel] = FileVerdict(rel, "extra", "in the zip but not listed in checksums.txt")
    for rel, detail in package.unsafe.items():
        if rel not in verdicts:
            verdicts[rel] = FileVerdict(rel, "unsafe", detail)
    total = _hash_listed(
        to_hash,
        verdicts,
        size=lambda info: info.file_size,
        work=lambda info, counter: package.hash_member(info, progress=counter, cancel=cancel),
        progress=progress,
        cancel=cancel,
        workers=workers,
    )
    texts = {}
    for name in CHANNEL_FILES:
        small = package.read_small(name) if name in package.members else None
        if small is not None:
            texts[name] = small
    return _finish(str(path), "zip", entries, verdicts, data, meta_bytes, texts, total)


def _finish(
    source: str,
    kind: Literal["folder", "zip"],
    entries: list[ChecksumEntry],
    verdicts: dict[str, FileVerdict],
    checksums_bytes: bytes,
    meta_bytes: bytes | None,
    channel_texts: dict[str, bytes],
    total: int,
) -> VerifyReport:
    problems: list[str] = []
    metadata: Metadata | None = None
    if meta_bytes is None:
        problems.append(f"{METADATA_NAME} is missing")
    else:
        metadata = Metadata.from_json(meta_bytes, source=f"{source}/{METADATA_NAME}")
        problems.extend(_metadata_problems(metadata, entries, checksums_bytes, total, verdicts))
    channel = parse_channel_texts(channel_texts, where=source)
    if channel is not None and metadata is not None and channel.version != metadata.commit:
        problems.append(
            f"version.txt says {channel.version}, metadata.json says commit {metadata.commit}"
        )
    files = tuple(sorted(verdicts.values(), key=lambda v: v.path.encode("utf-8", "replace")))
    return VerifyReport(
        source=source,
        kind=kind,
        files=files,
        problems=tuple(problems),
        metadata=metadata,
        channel=channel,
        total_bytes=total,
    )


def _metadata_problems(
    metadata: Metadata,
    entries: list[ChecksumEntry],
    checksums_bytes: bytes,
    total: int,
    verdicts: dict[str, FileVerdict],
) -> list[str]:
    problems = []
    if entries and not any(e.path.startswith(f"{metadata.app}/") for e in entries):
        problems.append(
            f"metadata.json names app {metadata.app!r}, but no {metadata.app}/ files are listed"
        )
    if metadata.file_count != len(entries):
        problems.append(
            f"metadata.json says {metadata.file_count} files, checksums.txt lists {len(entries)}"
        )
    actual = hashlib.sha256(checksums_bytes).hexdigest()
    if metadata.checksums_sha256 != actual:
        problems.append(
            f"metadata.json's checksums_sha256 is {metadata.checksums_sha256}, "
            f"checksums.txt hashes to {actual}"
        )
    listed_ok = all(verdicts[e.path].verdict == "ok" for e in entries)
    if listed_ok and metadata.total_bytes != total:
        problems.append(
            f"metadata.json says {metadata.total_bytes} bytes in all, the files hold {total}"
        )
    return problems
