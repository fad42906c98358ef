"""safe_extract: extracts a good zip, refuses every unsafe one and leaves nothing behind."""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from releasemgr.errors import InputError, UnsafeArchiveError
from releasemgr.release.safezip import ZipLimits, safe_extract


def make_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def unix_entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_extracts_files_and_keeps_only_the_executable_bit(tmp_path: Path) -> None:
    src = make_zip(
        tmp_path / "ok.zip",
        [
            (unix_entry("App/App", stat.S_IFREG | 0o4755), b"#!/bin/sh\n"),
            (unix_entry("App/_internal/", stat.S_IFDIR | 0o700), b""),
            (unix_entry("App/_internal/lib.so", stat.S_IFREG | 0o666), b"\x7fELF"),
            ("checksums.txt", b"x"),
        ],
    )
    dest = tmp_path / "out"
    written = safe_extract(src, dest)
    assert sorted(p.relative_to(dest).as_posix() for p in written) == [
        "App/App",
        "App/_internal/lib.so",
        "checksums.txt",
    ]
    assert (dest / "App/App").read_bytes() == b"#!/bin/sh\n"
    assert stat.S_IMODE((dest / "App/App").stat().st_mode) == 0o755
    assert stat.S_IMODE((dest / "App/_internal/lib.so").stat().st_mode) == 0o644
    assert stat.S_IMODE((dest / "checksums.txt").stat().st_mode) == 0o644


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("../evil", "climbs out of the root"),
        ("a/../../evil", "climbs out of the root"),
        ("/etc/passwd", "absolute path"),
        ("C:\\Windows\\evil.dll", "drive letter"),
        ("C:evil", "drive letter"),
        ("..\\evil", "climbs out of the root"),
        (unix_entry("link", stat.S_IFLNK | 0o777), "symbolic link entry"),
        (unix_entry("fifo", stat.S_IFIFO | 0o644), "special file entry"),
        (unix_entry("dev", stat.S_IFCHR | 0o644), "special file entry"),
    ],
)
def test_refuses_unsafe_entries_and_writes_nothing(
    tmp_path: Path, entry: zipfile.ZipInfo | str, message: str
) -> None:
    src = make_zip(tmp_path / "bad.zip", [("fine.txt", b"fine"), (entry, b"/etc/passwd")])
    dest = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=message) as caught:
        safe_extract(src, dest)
    assert "bad.zip: entry" in str(caught.value)
    assert not dest.exists()
    assert tree(tmp_path) == ["bad.zip"]


def test_refuses_a_nul_byte_in_a_name(tmp_path: Path) -> None:
    src = make_zip(tmp_path / "nul.zip", [("fine.txt", b"fine"), ("evil.txt?.dll", b"x")])
    src.write_bytes(src.read_bytes().replace(b"evil.txt?.dll", b"evil.txt\x00.dll"))
    with pytest.raises(UnsafeArchiveError, match="NUL byte"):
        safe_extract(src, tmp_path / "out")
    assert tree(tmp_path) == ["nul.zip"]


def test_refuses_duplicate_names(tmp_path: Path) -> None:
    src = tmp_path / "dup.zip"
    with zipfile.ZipFile(src, "w") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("a/x", b"1")
        zf.writestr("a/x", b"2")
    with pytest.raises(UnsafeArchiveError, match="'a/x': duplicate name"):
        safe_extract(src, tmp_path / "out")


def test_refuses_too_many_entries(tmp_path: Path) -> None:
    src = make_zip(tmp_path / "many.zip", [(f"f{i}", b"") for i in range(11)])
    with pytest.raises(UnsafeArchiveError, match="11 entries, over the limit of 10"):
        safe_extract(src, tmp_path / "out", limits=ZipLimits(max_files=10))


def test_refuses_declared_sizes_over_the_limits(tmp_path: Path) -> None:
    src = make_zip(tmp_path / "big.zip", [("a", b"x" * 1000), ("b", b"y" * 1000)])
    with pytest.raises(UnsafeArchiveError, match="declares 1000 bytes, over the limit of 999"):
        safe_extract(src, tmp_path / "out", limits=ZipLimits(max_file_bytes=999))
    with pytest.raises(UnsafeArchiveError, match="declares 2000 bytes in all"):
        safe_extract(src, tmp_path / "out", limits=ZipLimits(max_total_bytes=1999))
    assert tree(tmp_path) == ["big.zip"]


def test_refuses_a_declared_zip_bomb(tmp_path: Path) -> None:
    src = make_zip(tmp_path / "bomb.zip", [("zeros", bytes(8 << 20))])
    with pytest.raises(UnsafeArchiveError, match="compression ratio over 200:1"):
        safe_extract(src, tmp_path / "out")


def _lie_about_size(path: Path, name: str, size: int) -> None:
    """Rewrite the uncompressed size an entry declares, in both headers, keeping it valid."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == name.encode():
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def test_refuses_a_bomb_that_lies_about_its_size_and_cleans_up(tmp_path: Path) -> None:
    src = make_zip(tmp_path / "liar.zip", [("first.txt", b"ok"), ("zeros", bytes(3 << 20))])
    _lie_about_size(src, "zeros", 1000)
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(UnsafeArchiveError, match="'zeros': inflates beyond its declared 1000"):
        safe_extract(src, dest)
    assert tree(dest) == ["keep.txt"]


def test_counts_real_bytes_against_the_ratio(tmp_path: Path) -> None:
    src = make_zip(tmp_path / "r.zip", [("zeros", bytes(3 << 20))])
    with zipfile.ZipFile(src) as zf:
        compressed = zf.getinfo("zeros").compress_size
    _lie_about_size(src, "zeros", compressed)  # declares a harmless 1:1
    with pytest.raises(UnsafeArchiveError, match="inflates beyond its declared"):
        safe_extract(src, tmp_path / "out", limits=ZipLimits(max_ratio=10))


def test_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    src = make_zip(tmp_path / "a.zip", [("new.txt", b"new"), ("keep.txt", b"theirs")])
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(UnsafeArchiveError, match="already exists"):
        safe_extract(src, dest)
    assert (dest / "keep.txt").read_text() == "mine"
    assert tree(dest) == ["keep.txt"]


def test_never_writes_through_an_existing_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "sub").symlink_to(outside, target_is_directory=True)
    (dest / "file").symlink_to(outside / "target")
    src = make_zip(tmp_path / "a.zip", [("sub/x", b"x")])
    with pytest.raises(UnsafeArchiveError, match="not a folder"):
        safe_extract(src, dest)
    src = make_zip(tmp_path / "b.zip", [("file", b"x")])
    with pytest.raises(UnsafeArchiveError, match="already exists"):
        safe_extract(src, dest)
    assert list(outside.iterdir()) == []


def test_refuses_encrypted_entries(tmp_path: Path) -> None:
    src = make_zip(tmp_path / "e.zip", [("secret", b"x")])
    data = bytearray(src.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        data[at + offset] |= 0x01
    src.write_bytes(bytes(data))
    with pytest.raises(UnsafeArchiveError, match="encrypted entry"):
        safe_extract(src, tmp_path / "out")


@pytest.mark.parametrize("cut", [10, 60, -10])
def test_a_truncated_zip_is_an_input_error(tmp_path: Path, cut: int) -> None:
    src = make_zip(tmp_path / "t.zip", [("a", os.urandom(100)), ("b", os.urandom(100))])
    src.write_bytes(src.read_bytes()[:cut])
    with pytest.raises(InputError, match=r"t\.zip: not a valid zip"):
        safe_extract(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_corrupt_entry_is_refused_and_cleaned_up(tmp_path: Path) -> None:
    src = make_zip(tmp_path / "c.zip", [("a", b"first"), ("b", os.urandom(5000))])
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("b")
    data = bytearray(src.read_bytes())
    data[info.header_offset + 30 + 1 + 100] ^= 0xFF
    src.write_bytes(bytes(data))
    with pytest.raises(InputError, match="entry 'b' is corrupt"):
        safe_extract(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_destination_that_is_a_file_is_refused(tmp_path: Path) -> None:
    src = make_zip(tmp_path / "a.zip", [("x", b"x")])
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(InputError, match="out: exists and is not a folder"):
        safe_extract(src, tmp_path / "out")


def test_a_write_failure_is_one_line_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_zip(tmp_path / "a.zip", [("first", b"1"), ("second", b"2")])
    real_chmod = Path.chmod
    calls = []

    def chmod(self: Path, mode: int) -> None:
        calls.append(self.name)
        if self.name == "second":
            raise OSError(28, "No space left on device")
        real_chmod(self, mode)

    monkeypatch.setattr(Path, "chmod", chmod)
    with pytest.raises(InputError, match=r"No space left on device\); nothing was kept"):
        safe_extract(src, tmp_path / "out")
    assert calls == ["first", "second"]
    assert not (tmp_path / "out").exists()
