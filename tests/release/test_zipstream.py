"""stream_entry passes on what zipfile reads: through stored blocks, zlib, and the switch."""

from __future__ import annotations

import io
import os
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasemgr.release.zipstream import EntryError, stream_entry


def zipped(data: bytes, *, level: int = 6, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method, compresslevel=level) as zf:
        zf.writestr("member", data)
    return out.getvalue()


def read_back(archive: bytes, *, buf_size: int = 64 << 10) -> bytes:
    handle = io.BytesIO(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo("member")
    buf = memoryview(bytearray(buf_size))
    parts: list[bytes] = []
    ticks: list[int] = []
    size = stream_entry(handle, info, buf, lambda c: parts.append(bytes(c)), check_crc=True,
                        tick=ticks.append)  # fmt: skip
    assert size == sum(ticks) == sum(map(len, parts))
    return b"".join(parts)


def noise(seed: int, size: int) -> bytes:
    """Reproducible incompressible bytes (deflate writes them as stored blocks)."""
    return random.Random(seed).randbytes(size)  # noqa: S311 - repeatable, not secret


def _segment(kind: str, size: int, seed: int) -> bytes:
    if kind == "random":
        return noise(seed, size)
    if kind == "zeros":
        return bytes(size)
    return (b"the quick brown fox %d " % seed) * (size // 24 + 1)


@settings(max_examples=60, deadline=None)
@given(
    segments=st.lists(
        st.tuples(
            st.sampled_from(["random", "zeros", "text"]),
            st.integers(0, 120_000),
            st.integers(0, 1000),
        ),
        max_size=5,
    ),
    level=st.integers(0, 9),
    buf_size=st.sampled_from([7, 4096, 65536]),
)
def test_yields_exactly_the_member_content(
    segments: list[tuple[str, int, int]], level: int, buf_size: int
) -> None:
    data = b"".join(_segment(*s) for s in segments)
    assert read_back(zipped(data, level=level), buf_size=buf_size) == data


def test_back_references_into_stored_blocks_are_resolved() -> None:
    # Random bytes go out as stored blocks; the repeats are back-references into them.
    head = noise(1, 300_000)
    data = head + head[-20_000:] * 5 + noise(2, 50_000)
    assert read_back(zipped(data)) == data


def test_stored_entries_and_empty_entries() -> None:
    data = os.urandom(100_000)
    assert read_back(zipped(data, method=zipfile.ZIP_STORED)) == data
    assert read_back(zipped(b"")) == b""
    assert read_back(zipped(b"", method=zipfile.ZIP_STORED)) == b""


def _corrupt(archive: bytes, at: int, value: int) -> bytes:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo("member")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data = bytearray(archive)
    data[start + at] = value
    return bytes(data)


@pytest.mark.parametrize(
    ("at", "value", "message"),
    [
        (1, 0x12, "bad stored block length"),  # first stored block's LEN no longer matches NLEN
        (5000, 0x00, "CRC-32 mismatch"),  # a content byte of a stored block
    ],
)
def test_corrupt_stored_blocks_are_refused(at: int, value: int, message: str) -> None:
    archive = _corrupt(zipped(noise(3, 50_000)), at, value)
    with pytest.raises(EntryError, match=message):
        read_back(archive)


def test_a_truncated_entry_is_refused(tmp_path: Path) -> None:
    archive = zipped(noise(4, 50_000))
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo("member")
    handle = io.BytesIO(archive[: info.header_offset + 30 + 6 + 20_000])
    with pytest.raises(EntryError, match="ends early"):
        stream_entry(handle, info, memoryview(bytearray(4096)), len, check_crc=True)


def test_a_member_larger_than_declared_is_refused() -> None:
    archive = zipped(bytes(100_000))
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo("member")
    info.file_size = 1000
    with pytest.raises(EntryError, match="inflates beyond its declared 1000 bytes"):
        stream_entry(io.BytesIO(archive), info, memoryview(bytearray(4096)), len, check_crc=False)


@settings(max_examples=80, deadline=None)
@given(
    kind=st.sampled_from(["random", "text", "mixed"]),
    size=st.integers(1, 90_000),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=3),
    cut=st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_damaged_data_gives_the_content_or_entry_error_nothing_else(
    kind: str, size: int, flips: list[tuple[int, int]], cut: int | None
) -> None:
    if kind == "mixed":
        data = noise(size, size) + _segment("text", size, size)
    else:
        data = _segment(kind, size, size)
    archive = zipped(data)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo("member")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    damaged = bytearray(archive)
    for at, xor in flips:
        damaged[start + at % info.compress_size] ^= xor
    if cut is not None:
        damaged = damaged[: start + cut % info.compress_size]
    parts: list[bytes] = []
    try:
        stream_entry(io.BytesIO(bytes(damaged)), info, memoryview(bytearray(4096)),
                     lambda c: parts.append(bytes(c)), check_crc=True)  # fmt: skip
    except EntryError:
        return
    assert b"".join(parts) == data
