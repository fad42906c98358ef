"""Turn a PyInstaller onedir folder into a release package: checksums.txt and metadata.json.

Layout written into ROOT (beside ``ROOT/<app>/``)::

    checksums.txt           every file under ROOT except itself and metadata.json
    metadata.json           build facts, including the SHA-256 of checksums.txt
    version.txt ...         the four channel files, only for a channel release

The channel files are listed in ``checksums.txt``: they are part of what was released, so
``sha256sum -c`` and ``releasemgr verify`` both cover them, and verify has no special cases.
``metadata.json`` cannot be listed (it holds the digest of checksums.txt); verify checks it
against checksums.txt instead. Every file is written to a temporary name and renamed, so an
interrupted run never leaves a half-written checksums.txt behind.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform as _platform
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

from releasemgr.errors import InputError, UsageError
from releasemgr.model import Channel, Platform
from releasemgr.release.atomic import write_atomic
from releasemgr.release.checksums import CHECKSUMS_NAME, ChecksumEntry, format_checksums
from releasemgr.release.hashing import Progress, ProgressFn, hash_file, run_biggest_first
from releasemgr.release.manifest import (
    METADATA_NAME,
    ChannelInfo,
    Metadata,
    is_commit_sha,
    write_channel_files,
    write_metadata,
)
from releasemgr.release.tree import TreeFile, scan_tree

# Files at the top of ROOT that are never listed in checksums.txt.
UNLISTED = frozenset({CHECKSUMS_NAME, METADATA_NAME})

DEFAULT_TRAFFIC = {Channel.CANARY: 10, Channel.STABLE: 100}

_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64", "i686": "x86"}
_PYTHON_IN_BUNDLE = (
    re.compile(r"(?:^|/)python3(\d{1,2})\.dll$", re.IGNORECASE),
    re.compile(r"(?:^|/)libpython3\.(\d{1,2})[^/]*$"),
    re.compile(r"(?:^|/)Python\.framework/Versions/3\.(\d{1,2})/"),
    re.compile(r"(?:^|/)python3\.(\d{1,2})/"),
)


def machine_arch() -> str:
    """This machine's architecture in the names the pipeline uses (x86_64, arm64)."""
    machine = _platform.machine().lower() or "unknown"
    return _ARCH_ALIASES.get(machine, machine)


def bundled_python(paths: list[str]) -> str | None:
    """The Python minor version a PyInstaller bundle carries, from its library names."""
    for pattern in _PYTHON_IN_BUNDLE:
        for path in paths:
            match = pattern.search(path)
            if match:
                return f"3.{match.group(1)}"
    return None


def installed_pyinstaller() -> str | None:
    """The PyInstaller version installed beside releasemgr, when there is one."""
    try:
        return importlib.metadata.version("pyinstaller")
    except importlib.metadata.PackageNotFoundError:
        return None


def _check_inputs(root: Path, app: str, platform: str, version: str, commit: str) -> None:
    if not root.is_dir():
        raise InputError(f"{root}: is not a folder")
    if not app or "/" in app or "\\" in app or app in (".", "..") or app in UNLISTED:
        raise UsageError(f"--app: not a folder name: {app!r}")
    if not (root / app).is_dir():
        raise InputError(
            f"{root}: has no {app}/ folder (expected the PyInstaller onedir output there)"
        )
    if platform not in {p.value for p in Platform}:
        choices = ", ".join(p.value for p in Platform)
        raise UsageError(f"--platform: {platform!r} is not one of {choices}")
    if not version.strip() or any(ch in version for ch in "\r\n\x00"):
        raise UsageError(f"--version: not a single-line version: {version!r}")
    if not is_commit_sha(commit.lower()):
        raise UsageError(f"--commit: not a full 40-hex commit SHA: {commit!r}")


def hash_tree_files(
    files: list[TreeFile],
    *,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> list[ChecksumEntry]:
    """Checksum entries for ``files``; raise ``InputError`` for one that cannot be hashed."""
    counter = Progress(sum(f.size for f in files), progress)
    counter.start()
    results = run_biggest_first(
        files,
        size=lambda f: f.size,
        work=lambda f: hash_file(f.fs_path, progress=counter, cancel=cancel),
        workers=workers,
        cancel=cancel,
    )
    entries = []
    for tree_file, result in zip(files, results, strict=True):
        if result.digest is None:
            raise InputError(f"{tree_file.fs_path}: {result.error}")
        entries.append(ChecksumEntry(tree_file.path, result.digest))
    return entries


def write_package(
    root: Path,
    *,
    app: str,
    platform: str,
    version: str,
    commit: str,
    ref: str | None = None,
    run_id: int | None = None,
    run_attempt: int | None = None,
    channel: str | None = None,
    traffic: int | None = None,
    built_at: datetime | None = None,
    deployed_at: datetime | None = None,
    arch: str | None = None,
    python: str | None = None,
    pyinstaller: str | None = None,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> Metadata:
    """Write ``checksums.txt``, ``metadata.json`` (and with ``channel`` the channel files).

    Args:
        root: the folder holding ``<app>/``; everything under it except checksums.txt and
            metadata.json at the top is listed.
        channel: ``canary`` or ``stable`` for a channel release; ``traffic`` defaults to 10 for
            canary and 100 for stable; ``deployed_at`` defaults to ``built_at``.
        built_at: defaults to now (UTC).
        arch, python, pyinstaller: default to this machine's arch, the Python version found in
            the bundle, and the installed PyInstaller.

    Returns:
        The metadata written.

    Raises:
        UsageError: a bad argument (commit not 40 hex, unknown platform or channel).
        InputError: ROOT lacks ``<app>/``, holds a link that leaves ROOT, a special file or an
            unreadable file.
    """
    root = Path(root)
    _check_inputs(root, app, platform, version, commit)
    commit = commit.lower()
    when = built_at or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC).replace(microsecond=0)
    info: ChannelInfo | None = None
    if channel is not None:
        try:
            chan = Channel(channel)
        except ValueError:
            raise UsageError(f"--channel: {channel!r} is not canary or stable") from None
        percent = DEFAULT_TRAFFIC[chan] if traffic is None else traffic
        if not 0 <= percent <= 100:
            raise UsageError(f"--traffic: {percent} is not a percentage from 0 to 100")
        info = ChannelInfo(commit, deployed_at or when, percent, chan)
    elif traffic is not None:
        raise UsageError("--traffic: only makes sense with --channel")

    # Refuse links that leave ROOT before writing anything at all.
    tree = scan_tree(root, skip_top=UNLISTED)
    if tree.problems:
        problem = tree.problems[0]
        raise InputError(f"{root / problem.path}: {problem.detail}")
    if info is not None:
        write_channel_files(root, info)
        tree = scan_tree(root, skip_top=UNLISTED)
        if tree.problems:
            problem = tree.problems[0]
            raise InputError(f"{root / problem.path}: {problem.detail}")
    files = list(tree.files.values())
    entries = hash_tree_files(files, workers=workers, progress=progress, cancel=cancel)
    try:
        data = format_checksums(entries)
    except ValueError as exc:
        raise InputError(f"{root}: {exc}") from None
    metadata = Metadata(
        app=app,
        version=version,
        commit=commit,
        ref=ref,
        run_id=run_id,
        run_attempt=run_attempt,
        platform=platform,
        arch=arch or machine_arch(),
        built_at=when,
        python=python or bundled_python(sorted(tree.files)),
        pyinstaller=pyinstaller or installed_pyinstaller(),
        file_count=len(entries),
        total_bytes=sum(f.size for f in files),
        checksums_sha256=hashlib.sha256(data).hexdigest(),
    )
    write_atomic(root / CHECKSUMS_NAME, data)
    write_metadata(root / METADATA_NAME, metadata)
    return metadata
