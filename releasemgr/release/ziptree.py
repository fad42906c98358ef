"""Read a release package straight out of a zip: list members, read small ones, hash big ones.

Members are hashed as they stream, never extracted. Each worker thread reads through its own
file handle, and members are read raw (``zipstream``) rather than through ``ZipFile.open``:
that skips the CRC-32 (the SHA-256 we compute is the stronger check), passes deflate's stored
blocks on without inflating them, and is what keeps a zip nearly as fast to verify as a folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from releasemgr.errors import Cancelled, InputError
from releasemgr.release.checksums import CHECKSUMS_NAME, UnsafePath
from releasemgr.release.hashing import FileHash, Progress, chunk_buffer
from releasemgr.release.safezip import ZipLimits, entry_name, entry_problem, open_zip
from releasemgr.release.zipstream import SUPPORTED, EntryError, stream_entry

SMALL_LIMIT = 64 << 20  # checksums.txt, metadata.json and the channel files are far smaller


@dataclass
class ZipPackage:
    """The members of a package zip by package-relative path, and the entries that are unsafe."""

    path: Path
    zf: zipfile.ZipFile
    label: str = ""  # how messages name the zip (the outer one, for a zip in a zip)
    members: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    unsafe: dict[str, str] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local)
    _handles: list[io.FileIO] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read_small(self, name: str) -> bytes | None:
        """The bytes of a small member (None when absent); ``InputError`` if corrupt or huge."""
        info = self.members.get(name)
        if info is None:
            return None
        if info.file_size > SMALL_LIMIT:
            raise InputError(f"{self.label}: {name} is implausibly large ({info.file_size} bytes)")
        try:
            with self.zf.open(info) as member:
                data = member.read(SMALL_LIMIT + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise InputError(f"{self.label}: entry {name!r} is corrupt ({exc})") from None
        if len(data) > SMALL_LIMIT:
            raise InputError(f"{self.label}: {name} is implausibly large")
        return data

    def _handle(self) -> io.FileIO:
        handle: io.FileIO | None = getattr(self._local, "handle", None)
        if handle is None:
            handle = open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
            self._local.handle = handle
            with self._lock:
                self._handles.append(handle)
        return handle

    def hash_member(
        self, info: zipfile.ZipInfo, *, progress: Progress, cancel: threading.Event | None
    ) -> FileHash:
        """SHA-256 of one member's content, streamed; safe to call from many threads at once."""
        if info.compress_type not in SUPPORTED:
            return self._hash_via_zipfile(info, progress=progress, cancel=cancel)
        try:
            return self._hash_raw(info, progress=progress, cancel=cancel)
        except OSError as exc:
            return FileHash(None, 0, f"cannot be read: {exc.strerror or exc}")

    def _hash_raw(
        self, info: zipfile.ZipInfo, *, progress: Progress, cancel: threading.Event | None
    ) -> FileHash:
        digest = hashlib.sha256()

        def tick(count: int) -> None:
            if cancel is not None and cancel.is_set():
                raise Cancelled("verification cancelled")
            progress.add(count)

        tick(0)
        try:
            count = stream_entry(
                self._handle(), info, chunk_buffer(), digest.update, check_crc=False, tick=tick
            )
        except EntryError as exc:
            return FileHash(None, 0, str(exc))
        return FileHash(digest.hexdigest(), count)

    def _hash_via_zipfile(
        self, info: zipfile.ZipInfo, *, progress: Progress, cancel: threading.Event | None
    ) -> FileHash:
        digest = hashlib.sha256()
        count = 0
        try:
            with zipfile.ZipFile(self.path) as zf, zf.open(info) as member:
                while chunk := member.read(1 << 20):
                    if cancel is not None and cancel.is_set():
                        raise Cancelled("verification cancelled")
                    count += len(chunk)
                    if count > info.file_size:
                        return FileHash(None, count, "inflates beyond its declared size")
                    digest.update(chunk)
                    progress.add(len(chunk))
        except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError) as exc:
            return FileHash(None, count, f"corrupt or unsupported zip entry ({exc})")
        except Exception as exc:  # bz2 and lzma raise their own types on corruption
            return FileHash(None, count, f"corrupt zip entry ({type(exc).__name__})")
        return FileHash(digest.hexdigest(), count)

    def close(self) -> None:
        """Close the zip and every per-thread handle."""
        with self._lock:
            for handle in self._handles:
                handle.close()
            self._handles.clear()
        self.zf.close()


def _index(zf: zipfile.ZipFile, path: Path, limits: ZipLimits, label: str) -> ZipPackage:
    package = ZipPackage(path=path, zf=zf, label=label)
    infos = zf.infolist()
    names: list[tuple[str, zipfile.ZipInfo]] = []
    for info in infos:
        try:
            names.append((entry_name(info), info))
        except UnsafePath as exc:
            package.unsafe[info.orig_filename.replace("\x00", "\\0")] = str(exc)
    # A zip of the package folder itself (one top folder holding checksums.txt) is accepted too.
    files = [name for name, info in names if not info.is_dir()]
    prefix = ""
    if CHECKSUMS_NAME not in files:
        tops = {name.split("/", 1)[0] for name in files}
        if len(tops) == 1 and f"{next(iter(tops))}/{CHECKSUMS_NAME}" in files:
            prefix = next(iter(tops)) + "/"
    for name, info in names:
        if info.is_dir():
            continue
        rel = name[len(prefix) :] if name.startswith(prefix) else name
        problem = entry_problem(info, limits)
        if problem:
            package.unsafe[rel] = problem
        elif rel in package.members:
            package.unsafe[rel] = "duplicate entry in the zip"
        else:
            package.members[rel] = info
    return package


@contextlib.contextmanager
def open_package_zip(path: Path, *, limits: ZipLimits = ZipLimits()) -> Iterator[ZipPackage]:  # noqa: B008
    """Open a package zip; a zip whose only member is a ``.zip`` is opened one level down.

    The inner zip is copied to a private temporary file (zip needs random access); the
    package inside it is still hashed member by member, never extracted.
    """
    zf = open_zip(path)
    infos = [info for info in zf.infolist() if not info.is_dir()]
    if len(infos) == 1 and infos[0].filename.lower().endswith(".zip"):
        inner = infos[0]
        problem = entry_problem(inner, limits)
        if problem:
            zf.close()
            raise InputError(f"{path}: entry {inner.orig_filename!r}: {problem}")
        with tempfile.TemporaryDirectory(prefix="releasemgr-verify-") as tmp:
            inner_path = Path(tmp) / "package.zip"
            try:
                with zf, zf.open(inner) as src, open(inner_path, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise InputError(f"{path}: entry {inner.filename!r} is corrupt ({exc})") from None
            try:
                inner_zf = open_zip(inner_path)
            except InputError:
                raise InputError(
                    f"{path}: entry {inner.filename!r} is not a valid zip, truncated or corrupt"
                ) from None
            package = _index(inner_zf, inner_path, limits, f"{path}!{inner.filename}")
            try:
                yield package
            finally:
                package.close()
        return
    package = _index(zf, path, limits, str(path))
    try:
        yield package
    finally:
        package.close()


def is_zip(path: Path) -> bool:
    """Whether ``path`` is a file that starts like a zip (or is named .zip)."""
    if path.suffix.lower() == ".zip":
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False
