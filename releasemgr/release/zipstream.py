"""Stream one zip entry's content straight from the archive file, counting every byte.

``zipfile.ZipFile.open`` stops at the size an entry declares, which hides a lying entry, and
adds Python overhead per read. This reads the raw stored or deflated bytes, inflates them in
bounded steps and raises as soon as the output exceeds what the entry declares.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

OUT_CHUNK = 4 << 20  # bound on what one inflate step may produce
SUPPORTED = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_LOCAL_HEADER = struct.Struct("<4s22xHH")


class EntryError(Exception):
    """The entry's data is corrupt or larger than declared; the message says which."""


def iter_entry(
    handle: BinaryIO, info: zipfile.ZipInfo, buf: memoryview, *, check_crc: bool
) -> Iterator[bytes | memoryview]:
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
    handle.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    remaining = info.compress_size
    count = 0
    crc = 0

    def account(data: bytes | memoryview) -> bytes | memoryview:
        nonlocal count, crc
        count += len(data)
        if count > info.file_size:
            raise EntryError(f"inflates beyond its declared {info.file_size} bytes")
        if check_crc:
            crc = zlib.crc32(data, crc)
        return data

    try:
        while remaining:
            n = handle.readinto(buf[: min(len(buf), remaining)])  # type: ignore[attr-defined]
            if not n:
                raise EntryError("corrupt zip entry (data ends early)")
            remaining -= n
            if inflater is None:
                yield account(buf[:n])
                continue
            yield account(inflater.decompress(buf[:n], OUT_CHUNK))
            while inflater.unconsumed_tail:
                yield account(inflater.decompress(inflater.unconsumed_tail, OUT_CHUNK))
        if inflater is not None:
            yield account(inflater.flush())
            if not inflater.eof:
                raise EntryError("corrupt zip entry (deflate stream ends early)")
    except zlib.error as exc:
        raise EntryError(f"corrupt zip entry ({exc})") from None
    if count != info.file_size:
        raise EntryError(f"holds {count} bytes, the zip declares {info.file_size}")
    if check_crc and crc != info.CRC:
        raise EntryError("corrupt zip entry (CRC-32 mismatch)")
