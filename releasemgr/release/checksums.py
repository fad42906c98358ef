"""Reader and writer for ``checksums.txt``: GNU ``sha256sum`` format, one line per file.

Written: ``<64 lowercase hex>  <path>``, sorted by the path's UTF-8 bytes, UTF-8, LF. A name with a
backslash, newline or carriage return is written the way GNU coreutils writes it (the line starts
with ``\\`` and those characters are escaped), so ``sha256sum -c checksums.txt`` passes unchanged.

Read: the above plus the ``*`` binary marker, BSD tags (``SHA256 (path) = hex``), CRLF line ends,
uppercase hex and ``./`` prefixes. Everything else is refused with a message naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from releasemgr.errors import InputError

CHECKSUMS_NAME = "checksums.txt"

_HEX = re.compile(r"[0-9a-fA-F]{64}")
_GNU = re.compile(r"(?P<digest>[^ ]+) (?P<mode>[ *])(?P<path>.*)", re.DOTALL)
_BSD = re.compile(r"(?P<algo>[A-Za-z0-9-]+) ?\((?P<path>.*)\) = (?P<digest>[^ ]*)", re.DOTALL)
_DRIVE = re.compile(r"^[A-Za-z]:")
_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r"}


@dataclass(frozen=True)
class ChecksumEntry:
    """One listed file: its path relative to the package root (``/``-separated) and SHA-256."""

    path: str
    digest: str


class UnsafePath(ValueError):
    """A path that is absolute, climbs out with ``..``, names a drive or holds a NUL."""


def normalize_path(path: str) -> str:
    """The canonical form of a package-relative path, or raise ``UnsafePath`` saying why.

    ``./`` and empty components are dropped. Backslashes are legal in POSIX names, so a name
    is also checked as Windows would split it: it must stay inside the root there too.
    """
    if not path:
        raise UnsafePath("empty path")
    if "\x00" in path:
        raise UnsafePath("path contains a NUL byte")
    if path.startswith(("/", "\\")):
        raise UnsafePath(f"absolute path {path!r}")
    if _DRIVE.match(path):
        raise UnsafePath(f"path with a drive letter {path!r}")
    if any(part == ".." for part in re.split(r"[/\\]", path)):
        raise UnsafePath(f"path climbs out of the root with '..': {path!r}")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts or path.endswith("/"):
        raise UnsafePath(f"not a file path: {path!r}")
    return "/".join(parts)


def _unescape(text: str, *, source: str, lineno: int) -> str:
    out: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        if nxt not in _ESCAPES:
            raise InputError(f"{source}, line {lineno}: unknown escape '\\{nxt}' in file name")
        out.append(_ESCAPES[nxt])
    return "".join(out)


def _parse_line(line: str, *, source: str, lineno: int) -> ChecksumEntry:
    escaped = line.startswith("\\")
    body = line[1:] if escaped else line
    match = _BSD.fullmatch(body)
    if match and not _GNU.fullmatch(body):
        algo = match["algo"]
        if algo.upper() not in ("SHA256", "SHA2-256"):
            raise InputError(f"{source}, line {lineno}: {algo} checksum, expected SHA256")
    else:
        match = _GNU.fullmatch(body)
    if not match:
        raise InputError(
            f"{source}, line {lineno}: not a checksum line (expected '<sha256>  <path>')"
        )
    digest = match["digest"]
    if not _HEX.fullmatch(digest):
        what = f"{len(digest)} characters" if len(digest) != 64 else "non-hex characters"
        raise InputError(f"{source}, line {lineno}: digest has {what}, expected 64 hex digits")
    path = match["path"]
    if escaped:
        path = _unescape(path, source=source, lineno=lineno)
    try:
        path = normalize_path(path)
    except UnsafePath as exc:
        raise InputError(f"{source}, line {lineno}: {exc}") from None
    return ChecksumEntry(path=path, digest=digest.lower())


def parse_checksums(data: bytes, *, source: str = CHECKSUMS_NAME) -> list[ChecksumEntry]:
    """Parse the bytes of a checksums file; raise ``InputError`` naming the bad line.

    Returns the entries in file order. Blank lines are skipped; an empty file, a duplicate path
    and anything that is not a SHA-256 line are refused.
    """
    if not data.strip():
        raise InputError(f"{source}: is empty, expected one '<sha256>  <path>' line per file")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    entries: list[ChecksumEntry] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(lines, start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw.strip():
            continue
        if b"\x00" in raw:
            raise InputError(f"{source}, line {lineno}: contains a NUL byte")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{source}, line {lineno}: not valid UTF-8 (byte {exc.start + 1})"
            ) from None
        entry = _parse_line(line, source=source, lineno=lineno)
        if entry.path in seen:
            raise InputError(
                f"{source}, line {lineno}: duplicate path {entry.path!r} "
                f"(first listed on line {seen[entry.path]})"
            )
        seen[entry.path] = lineno
        entries.append(entry)
    return entries


def sort_key(path: str) -> bytes:
    """The order paths are written in: by UTF-8 bytes, independent of locale."""
    return path.encode("utf-8", "surrogatepass")


def format_line(entry: ChecksumEntry) -> str:
    """One GNU-format line (without the LF), escaped the way coreutils escapes it."""
    path = entry.path
    if any(ch in path for ch in "\\\n\r"):
        path = path.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return f"\\{entry.digest}  {path}"
    return f"{entry.digest}  {path}"


def format_checksums(entries: Iterable[ChecksumEntry]) -> bytes:
    """The bytes of a checksums file for ``entries``: sorted, UTF-8, LF.

    Raises ``ValueError`` for a digest that is not 64 hex digits, an unsafe path or a duplicate,
    since writing such a file would produce something our own reader refuses.
    """
    items = sorted(entries, key=lambda e: sort_key(e.path))
    lines: list[str] = []
    previous: str | None = None
    for entry in items:
        if not _HEX.fullmatch(entry.digest):
            raise ValueError(f"not a SHA-256 digest for {entry.path!r}: {entry.digest!r}")
        if normalize_path(entry.path) != entry.path:
            raise ValueError(f"path is not in canonical form: {entry.path!r}")
        if entry.path == previous:
            raise ValueError(f"duplicate path {entry.path!r}")
        previous = entry.path
        try:
            entry.path.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"file name is not valid UTF-8: {entry.path!r}") from None
        lines.append(format_line(ChecksumEntry(entry.path, entry.digest.lower())))
    return "".join(line + "\n" for line in lines).encode("utf-8")
