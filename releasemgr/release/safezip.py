"""Extract a zip only when every entry is safe, and leave nothing behind when one is not.

Refused: names with ``..``, absolute names, drive letters, NUL bytes; links, devices and other
special entries; encrypted entries; duplicate names; more entries, more bytes, or a higher
compression ratio than ``ZipLimits`` allow, whether the zip declares the size or it only shows
while inflating (real bytes are counted as they are written). Files are created exclusively
(``O_EXCL``, never through an existing link) and keep only their executable bit.
"""

from __future__ import annotations

import contextlib
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from releasemgr.errors import InputError, UnsafeArchiveError
from releasemgr.release.checksums import UnsafePath, normalize_path
from releasemgr.release.zipstream import SUPPORTED, EntryError, stream_entry

_CHUNK = 64 << 10  # larger reads cost more CPU here (see hashing.CHUNK)
_UNIX = 3  # ZipInfo.create_system of an entry made on a Unix-like system
RATIO_FLOOR = 1 << 20  # entries smaller than this are not ratio-checked: tiny files compress well


@dataclass(frozen=True)
class ZipLimits:
    """Bounds an archive must stay within; the defaults fit any real PyInstaller release."""

    max_files: int = 100_000
    max_total_bytes: int = 16 << 30
    max_file_bytes: int = 8 << 30
    max_ratio: int = 200


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip for reading; raise ``InputError`` naming it when it is not a readable zip."""
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InputError(f"{path}: does not exist") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise InputError(f"{path}: not a valid zip, truncated or corrupt ({exc})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def entry_mode(info: zipfile.ZipInfo) -> int:
    """The Unix mode bits an entry carries (0 when it was made elsewhere)."""
    return (info.external_attr >> 16) if info.create_system == _UNIX else 0


def entry_name(info: zipfile.ZipInfo) -> str:
    """The normalized name of an entry; raises ``UnsafePath`` when it would escape."""
    if "\x00" in info.orig_filename:
        raise UnsafePath("name contains a NUL byte")
    name = info.orig_filename
    if info.is_dir():
        name = name.rstrip("/\\")
    return normalize_path(name)


def entry_problem(info: zipfile.ZipInfo, limits: ZipLimits) -> str | None:
    """Why an entry must not be extracted, judged from what the zip declares; None if fine."""
    try:
        entry_name(info)
    except UnsafePath as exc:
        return str(exc)
    kind = stat.S_IFMT(entry_mode(info))
    if kind == stat.S_IFLNK:
        return "symbolic link entry"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "special file entry (device, pipe or socket)"
    if info.flag_bits & 0x1:
        return "encrypted entry"
    if info.file_size > limits.max_file_bytes:
        return f"declares {info.file_size} bytes, over the limit of {limits.max_file_bytes}"
    if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(
        info.compress_size, 1
    ):
        return f"compression ratio over {limits.max_ratio}:1 (zip bomb?)"
    return None


def check_entries(zf: zipfile.ZipFile, source: Path, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    """All entries, after refusing the archive if any is unsafe or the whole is too big."""
    infos = zf.infolist()
    if len(infos) > limits.max_files:
        raise UnsafeArchiveError(
            f"{source}: {len(infos)} entries, over the limit of {limits.max_files}"
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        problem = entry_problem(info, limits)
        if problem:
            raise UnsafeArchiveError(f"{source}: entry {info.orig_filename!r}: {problem}")
        name = entry_name(info)
        if name in seen:
            raise UnsafeArchiveError(f"{source}: entry {info.orig_filename!r}: duplicate name")
        seen.add(name)
        total += info.file_size
    if total > limits.max_total_bytes:
        raise UnsafeArchiveError(
            f"{source}: declares {total} bytes in all, over the limit of {limits.max_total_bytes}"
        )
    return infos


class _Extraction:
    """Bookkeeping of one extraction, so a failure removes exactly what it created."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.real_dest = os.path.realpath(dest)
        self.dirs: list[Path] = []
        self.files: list[Path] = []
        self.handle: BinaryIO | None = None
        self.buffer = memoryview(bytearray(_CHUNK))

    def make_dirs(self, rel: str) -> Path:
        current = self.dest
        for part in rel.split("/") if rel else []:
            current = current / part
            try:
                current.mkdir()
                self.dirs.append(current)
            except FileExistsError:
                if not stat.S_ISDIR(os.lstat(current).st_mode):
                    raise UnsafeArchiveError(
                        f"{current}: exists and is not a folder (a link or a file)"
                    ) from None
        return current

    def rollback(self) -> None:
        for path in reversed(self.files):
            with contextlib.suppress(OSError):
                path.unlink()
        for path in reversed(self.dirs):
            with contextlib.suppress(OSError):
                path.rmdir()


def safe_extract(zip_path: Path, dest: Path, *, limits: ZipLimits = ZipLimits()) -> list[Path]:
    """Extract ``zip_path`` into the folder ``dest`` (created if missing); return the files.

    Raises:
        InputError: the zip cannot be read or is corrupt, or ``dest`` cannot be written.
        UnsafeArchiveError: an entry is unsafe or a limit is exceeded.
        In every case nothing that this call wrote is left behind.
    """
    dest = Path(dest)
    with open_zip(Path(zip_path)) as zf:
        infos = check_entries(zf, Path(zip_path), limits)
        created_dest = False
        try:
            dest.mkdir()
            created_dest = True
        except FileExistsError:
            if not dest.is_dir():
                raise InputError(f"{dest}: exists and is not a folder") from None
        except OSError as exc:
            raise InputError(f"{dest}: cannot be created ({exc.strerror or exc})") from None
        job = _Extraction(dest)
        try:
            with open(zip_path, "rb") as job.handle:
                total = 0
                for info in infos:
                    total = _extract_one(zf, info, job, limits, total, Path(zip_path))
        except BaseException as exc:
            job.rollback()
            if created_dest:
                with contextlib.suppress(OSError):
                    dest.rmdir()
            if isinstance(exc, OSError):
                raise InputError(
                    f"{dest}: extracting {zip_path} failed ({exc.strerror or exc}); "
                    "nothing was kept"
                ) from None
            raise
    return job.files


def _extract_one(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    job: _Extraction,
    limits: ZipLimits,
    total: int,
    source: Path,
) -> int:
    name = entry_name(info)
    if info.is_dir():
        job.make_dirs(name)
        return total
    parent_rel, _, leaf = name.rpartition("/")
    parent = job.make_dirs(parent_rel)
    real_parent = os.path.realpath(parent)
    if real_parent != job.real_dest and not real_parent.startswith(job.real_dest + os.sep):
        raise UnsafeArchiveError(f"{source}: entry {name!r}: would be written outside {job.dest}")
    target = parent / leaf
    mode = 0o755 if entry_mode(info) & 0o111 else 0o644
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags | getattr(os, "O_BINARY", 0), mode)
    except FileExistsError:
        raise UnsafeArchiveError(f"{source}: entry {name!r}: {target} already exists") from None
    job.files.append(target)
    written = 0

    def write(chunk: bytes | memoryview) -> None:
        nonlocal written, total
        written += len(chunk)
        total += len(chunk)
        _check_real_size(info, name, written, total, limits, source)
        out.write(chunk)

    try:
        with os.fdopen(fd, "wb") as out:
            if info.compress_type in SUPPORTED:
                assert job.handle is not None
                stream_entry(job.handle, info, job.buffer, write, check_crc=True)
            else:
                with zf.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        write(chunk)
    except EntryError as exc:
        if "declared" in str(exc):
            raise UnsafeArchiveError(f"{source}: entry {name!r}: {exc}") from None
        raise InputError(f"{source}: entry {name!r} is corrupt ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InputError(f"{source}: entry {name!r} is corrupt ({exc})") from None
    target.chmod(mode)
    return total


def _check_real_size(
    info: zipfile.ZipInfo, name: str, written: int, total: int, limits: ZipLimits, source: Path
) -> None:
    where = f"{source}: entry {name!r}"
    if written > limits.max_file_bytes:
        raise UnsafeArchiveError(f"{where}: over the limit of {limits.max_file_bytes} bytes")
    if total > limits.max_total_bytes:
        raise UnsafeArchiveError(f"{where}: archive over the limit of {limits.max_total_bytes}")
    if written > RATIO_FLOOR and written > limits.max_ratio * max(info.compress_size, 1):
        raise UnsafeArchiveError(f"{where}: compression ratio over {limits.max_ratio}:1")
