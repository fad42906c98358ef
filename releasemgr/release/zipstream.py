"""Stream one zip entry's content straight from the archive file, counting every byte.

``zipfile.ZipFile.open`` stops at the size an entry declares, which hides a lying entry, and
adds Python overhead per read. This reads the raw stored or deflated bytes and raises as soon as
the output exceeds what the entry declares.

Deflate streams of incompressible data (most of a PyInstaller bundle's bytes: its archives are
compressed already) consist of *stored* blocks: a 5-byte header, then the bytes as they are.
Those are passed on straight from the read buffer, which costs nothing next to inflating them.
At the first compressed block the rest of the stream goes to zlib, primed with the last 32 KiB
of output (re-read from the archive) that its back-references may point into.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import BinaryIO

OUT_CHUNK = 4 << 20  # bound on what one inflate step may produce
SUPPORTED = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
WINDOW = 32 << 10  # how far back a deflate back-reference may reach
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_STORED_HEADER = struct.Struct("<BHH")

Chunk = bytes | memoryview


class EntryError(Exception):
    """The entry's data is corrupt or larger than declared; the message says which."""


Sink = Callable[[Chunk], object]
Tick = Callable[[int], None]
TICK_BYTES = 1 << 20  # how often ``tick`` hears of progress


def stream_entry(
    handle: BinaryIO,
    info: zipfile.ZipInfo,
    buf: memoryview,
    sink: Sink,
    *,
    check_crc: bool,
    tick: Tick | None = None,
) -> int:
    """Pass the content of a stored or deflated entry to ``sink`` in chunks; return its size.

    Chunks are pushed, not yielded, because a deflate stream of stored blocks has one per
    16 KiB, and per-chunk Python overhead is what this is all about. A memoryview chunk points
    into ``buf`` and is only valid during the call. ``tick(n)`` is called with the bytes done
    since its last call, about every MiB and at the end: the place to report progress and to
    raise for a cancel. ``check_crc`` may be off when the caller checks a stronger digest.

    Raises:
        EntryError: bad local header, data ending early, more or fewer bytes than declared,
            a bad deflate stream, or (with ``check_crc``) a CRC-32 mismatch.
    """
    if info.compress_type not in SUPPORTED:
        raise EntryError(f"unsupported compression method {info.compress_type}")
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise EntryError("corrupt zip entry (bad local header)")
    _, name_len, extra_len = _LOCAL_HEADER.unpack(header)
    start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
    handle.seek(start)
    declared = info.file_size
    count = 0
    crc = 0
    since = 0

    def emit(chunk: Chunk) -> None:
        nonlocal count, crc, since
        size = len(chunk)
        count += size
        if count > declared:
            raise EntryError(f"inflates beyond its declared {declared} bytes")
        if check_crc:
            crc = zlib.crc32(chunk, crc)
        sink(chunk)
        since += size
        if since >= TICK_BYTES and tick is not None:
            tick(since)
            since = 0

    try:
        if info.compress_type == zipfile.ZIP_STORED:
            _copy_raw(handle, info.compress_size, buf, emit)
        else:
            _Deflate(handle, start, info.compress_size, buf).run(emit)
    except zlib.error as exc:
        raise EntryError(f"corrupt zip entry ({exc})") from None
    if since and tick is not None:
        tick(since)
    if count != declared:
        raise EntryError(f"holds {count} bytes, the zip declares {declared}")
    if check_crc and crc != info.CRC:
        raise EntryError("corrupt zip entry (CRC-32 mismatch)")
    return count


def _copy_raw(handle: BinaryIO, size: int, buf: memoryview, emit: Callable[[Chunk], None]) -> None:
    remaining = size
    while remaining:
        n = handle.readinto(buf[: min(len(buf), remaining)])  # type: ignore[attr-defined]
        if not n:
            raise EntryError("corrupt zip entry (data ends early)")
        remaining -= n
        emit(buf[:n])


class _Deflate:
    """One deflate stream: stored blocks passed through, the rest inflated by zlib."""

    def __init__(self, handle: BinaryIO, start: int, size: int, buf: memoryview) -> None:
        self.handle = handle
        self.buf = buf
        self.start = start
        self.end = start + size
        # (archive offset, length) of stored data so far; trimmed now and then to what covers
        # the last WINDOW bytes, which zlib needs if a compressed block follows.
        self.recent: list[tuple[int, int]] = []

    def _trim_recent(self) -> None:
        total = 0
        for index in range(len(self.recent) - 1, -1, -1):
            total += self.recent[index][1]
            if total >= WINDOW:
                del self.recent[:index]
                return

    def run(self, emit: Callable[[Chunk], None]) -> None:
        """Emit the whole stream's output.

        Stored blocks are hashed straight out of the read buffer, block by block. This loop
        runs once per 16 KiB of a zip, so it keeps to local variables.
        """
        buf = self.buf
        capacity = len(buf)
        hsize = _STORED_HEADER.size
        unpack = _STORED_HEADER.unpack_from
        readinto = self.handle.readinto  # type: ignore[attr-defined]
        recent = self.recent
        end = self.end
        # buf[pos:have] holds the archive bytes from base + pos on; base + have is read next.
        base = self.start
        pos = have = 0
        while True:
            if have - pos < hsize:
                rest = have - pos
                if rest:
                    buf[:rest] = bytes(buf[pos:have])
                base += pos
                pos = 0
                want = min(capacity - rest, end - base - rest)
                have = rest + (readinto(buf[rest : rest + want]) if want > 0 else 0)
                if have < hsize:  # too short for a stored block: only zlib can judge it
                    return self._inflate_from(base, emit)
            first, length, inverted = unpack(buf, pos)
            if first & 0b110:  # not a stored block: zlib takes over from here
                return self._inflate_from(base + pos, emit)
            if length != (~inverted & 0xFFFF):
                raise EntryError("corrupt zip entry (bad stored block length)")
            pos += hsize
            recent.append((base + pos, length))
            if len(recent) > 64:
                self._trim_recent()
            need = length
            while need:
                if pos == have:
                    base += have
                    pos = 0
                    want = min(capacity, end - base)
                    have = readinto(buf[:want]) if want > 0 else 0
                    if not have:
                        raise EntryError("corrupt zip entry (data ends early)")
                take = have - pos if have - pos < need else need
                emit(buf[pos : pos + take])
                pos += take
                need -= take
            if first & 1:  # the final block
                return None

    def _inflate_from(self, offset: int, emit: Callable[[Chunk], None]) -> None:
        window = self._window()
        self.handle.seek(offset)
        inflater = zlib.decompressobj(-15, zdict=window) if window else zlib.decompressobj(-15)
        remaining = self.end - offset
        buf = self.buf
        while remaining:
            n = self.handle.readinto(buf[: min(len(buf), remaining)])  # type: ignore[attr-defined]
            if not n:
                break
            remaining -= n
            data = inflater.decompress(buf[:n], OUT_CHUNK)
            if data:
                emit(data)
            while inflater.unconsumed_tail:
                emit(inflater.decompress(inflater.unconsumed_tail, OUT_CHUNK))
            if inflater.eof:
                return
        tail = inflater.flush()
        if tail:
            emit(tail)
        if not inflater.eof:
            raise EntryError("corrupt zip entry (deflate stream ends early)")

    def _window(self) -> bytes:
        """The last WINDOW bytes of stored output, read again from the archive."""
        self._trim_recent()
        parts = []
        for offset, length in self.recent:
            self.handle.seek(offset)
            parts.append(self.handle.read(length))
        return b"".join(parts)[-WINDOW:]
