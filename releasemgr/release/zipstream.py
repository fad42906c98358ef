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
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO

OUT_CHUNK = 4 << 20  # bound on what one inflate step may produce
SUPPORTED = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
WINDOW = 32 << 10  # how far back a deflate back-reference may reach
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_STORED_HEADER = struct.Struct("<BHH")

Chunk = bytes | memoryview


class EntryError(Exception):
    """The entry's data is corrupt or larger than declared; the message says which."""


def iter_entry(
    handle: BinaryIO, info: zipfile.ZipInfo, buf: memoryview, *, check_crc: bool
) -> Iterator[Chunk]:
    """Yield the content of a stored or deflated entry in chunks of at most ``OUT_CHUNK``.

    A yielded memoryview points into ``buf`` and is only valid until the next chunk.
    ``check_crc`` may be off when the caller checks a stronger digest anyway.

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
    if info.compress_type == zipfile.ZIP_STORED:
        chunks = _raw_chunks(handle, info.compress_size, buf)
    else:
        chunks = _Deflate(handle, start, info.compress_size, buf).chunks()
    count = 0
    crc = 0
    try:
        for chunk in chunks:
            count += len(chunk)
            if count > info.file_size:
                raise EntryError(f"inflates beyond its declared {info.file_size} bytes")
            if check_crc:
                crc = zlib.crc32(chunk, crc)
            yield chunk
    except zlib.error as exc:
        raise EntryError(f"corrupt zip entry ({exc})") from None
    if count != info.file_size:
        raise EntryError(f"holds {count} bytes, the zip declares {info.file_size}")
    if check_crc and crc != info.CRC:
        raise EntryError("corrupt zip entry (CRC-32 mismatch)")


def _raw_chunks(handle: BinaryIO, size: int, buf: memoryview) -> Iterator[Chunk]:
    remaining = size
    while remaining:
        n = handle.readinto(buf[: min(len(buf), remaining)])  # type: ignore[attr-defined]
        if not n:
            raise EntryError("corrupt zip entry (data ends early)")
        remaining -= n
        yield buf[:n]


class _Deflate:
    """One deflate stream: stored blocks passed through, the rest inflated by zlib."""

    def __init__(self, handle: BinaryIO, start: int, size: int, buf: memoryview) -> None:
        self.handle = handle
        self.buf = buf
        self.end = start + size
        self.next_read = start  # archive offset of the next byte to read
        self.base = start  # archive offset of buf[0]
        self.have = 0  # buf[pos:have] is read but not yet used
        self.pos = 0
        # (archive offset, length) of the latest stored data, at least WINDOW bytes in all
        self.recent: deque[tuple[int, int]] = deque()
        self.recent_bytes = 0

    def _refill(self) -> int:
        """Keep the unused bytes, moved to the front of ``buf``; read more behind them."""
        rest = self.have - self.pos
        if rest:
            self.buf[:rest] = bytes(self.buf[self.pos : self.have])
        self.base += self.pos
        self.pos = 0
        want = min(len(self.buf) - rest, self.end - self.next_read)
        n = self.handle.readinto(self.buf[rest : rest + want]) if want else 0  # type: ignore[attr-defined]
        self.next_read += n
        self.have = rest + n
        return n

    def _remember(self, offset: int, length: int) -> None:
        self.recent.append((offset, length))
        self.recent_bytes += length
        while self.recent_bytes - self.recent[0][1] >= WINDOW:
            self.recent_bytes -= self.recent.popleft()[1]

    def chunks(self) -> Iterator[Chunk]:
        buf = self.buf
        while True:
            while self.have - self.pos < _STORED_HEADER.size:
                if not self._refill():
                    if self.have - self.pos:
                        break  # a short final block: only zlib can tell if it is valid
                    raise EntryError("corrupt zip entry (data ends early)")
            if self.have - self.pos < _STORED_HEADER.size:
                break
            first, length, inverted = _STORED_HEADER.unpack_from(buf, self.pos)
            if (first >> 1) & 0b11:  # not a stored block
                break
            if length != (~inverted & 0xFFFF):
                raise EntryError("corrupt zip entry (bad stored block length)")
            self.pos += _STORED_HEADER.size
            self._remember(self.base + self.pos, length)
            need = length
            while need:
                if self.pos == self.have and not self._refill():
                    raise EntryError("corrupt zip entry (data ends early)")
                take = min(need, self.have - self.pos)
                yield buf[self.pos : self.pos + take]
                self.pos += take
                need -= take
            if first & 1:  # the final block
                return
        yield from self._inflate_rest()

    def _window(self) -> bytes:
        """The last WINDOW bytes of stored output, read again from the archive."""
        parts = []
        for offset, length in self.recent:
            self.handle.seek(offset)
            parts.append(self.handle.read(length))
        self.handle.seek(self.next_read)
        return b"".join(parts)[-WINDOW:]

    def _inflate_rest(self) -> Iterator[Chunk]:
        window = self._window()
        inflater = zlib.decompressobj(-15, zdict=window) if window else zlib.decompressobj(-15)
        pending = bytes(self.buf[self.pos : self.have])
        while True:
            data = inflater.decompress(pending, OUT_CHUNK)
            if data:
                yield data
            while inflater.unconsumed_tail:
                yield inflater.decompress(inflater.unconsumed_tail, OUT_CHUNK)
            if inflater.eof:
                return
            self.pos = self.have = 0
            self.base = self.next_read
            if not self._refill():
                break
            pending = self.buf[: self.have]  # type: ignore[assignment]
        tail = inflater.flush()
        if tail:
            yield tail
        if not inflater.eof:
            raise EntryError("corrupt zip entry (deflate stream ends early)")
