"""checksums.txt: the GNU format written byte for byte, every accepted variant, every refusal."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from releasemgr.errors import InputError
from releasemgr.release.checksums import (
    ChecksumEntry,
    UnsafePath,
    format_checksums,
    normalize_path,
    parse_checksums,
)

A = "a" * 64
B = "0123456789abcdef" * 4


def test_writes_gnu_format_sorted_by_utf8_bytes() -> None:
    entries = [ChecksumEntry("b/x", B), ChecksumEntry("a", A), ChecksumEntry("B", A)]
    assert format_checksums(entries) == (f"{A}  B\n{A}  a\n{B}  b/x\n").encode()


def test_writes_lowercase_digests() -> None:
    assert format_checksums([ChecksumEntry("f", A.upper())]) == f"{A}  f\n".encode()


def test_writes_names_exactly_as_gnu_sha256sum_does(tmp_path: Path) -> None:
    names = ["back\\slash", "new\nline", "carriage\rreturn", " lead", "plain", "ünïcødé"]
    for i, name in enumerate(names):
        (tmp_path / name).write_bytes(bytes([i]) * (i + 1))
    gnu = subprocess.run(
        ["sha256sum", "--", *sorted(names, key=lambda n: n.encode())],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    ).stdout
    ours = format_checksums(
        ChecksumEntry(name, hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
        for name in names
    )
    assert ours == gnu
    (tmp_path / "checksums.txt").write_bytes(ours)
    check = subprocess.run(["sha256sum", "-c", "checksums.txt"], cwd=tmp_path, check=False)
    assert check.returncode == 0
    assert parse_checksums(ours) == sorted(parse_checksums(ours), key=lambda e: e.path.encode())
    assert {e.path for e in parse_checksums(ours)} == set(names)


@pytest.mark.parametrize(
    ("line", "path"),
    [
        (f"{A}  dir/file", "dir/file"),
        (f"{A} *dir/file", "dir/file"),
        (f"{A.upper()}  dir/file", "dir/file"),
        (f"SHA256 (dir/file) = {A}", "dir/file"),
        (f"SHA2-256 (dir/file) = {A}", "dir/file"),
        (f"\\SHA256 (a\\\\b) = {A}", "a\\b"),
        (f"\\{A}  new\\nline", "new\nline"),
        (f"\\{A}  cr\\rname", "cr\rname"),
        (f"{A}  ./dir/file", "dir/file"),
        (f"{A}  name with  spaces ", "name with  spaces "),
        (f"{A}  SHA256 (x) = y", "SHA256 (x) = y"),
    ],
)
def test_reads_every_accepted_variant(line: str, path: str) -> None:
    assert parse_checksums((line + "\n").encode()) == [ChecksumEntry(path, A)]


def test_reads_crlf_and_a_missing_final_newline_and_blank_lines() -> None:
    data = f"{A}  one\r\n\r\n{B}  two".encode()
    assert parse_checksums(data) == [ChecksumEntry("one", A), ChecksumEntry("two", B)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "checksums.txt: is empty"),
        (b"\n\n  \n", "checksums.txt: is empty"),
        (b"not a checksum line\n", "line 1: not a checksum line"),
        (f"{A}\n".encode(), "line 1: not a checksum line"),
        (f"{A}  ok\n{A[:-1]}  short\n".encode(), "line 2: digest has 63 characters"),
        (f"{A}0  long\n".encode(), "line 1: digest has 65 characters"),
        (f"{'g' * 64}  bad\n".encode(), "line 1: digest has non-hex characters"),
        (f"{A}  x\n{B}  x\n".encode(), "line 2: duplicate path 'x' (first listed on line 1)"),
        (f"{A}  x\n{B}  ./x\n".encode(), "line 2: duplicate path 'x'"),
        (f"{A}  ../x\n".encode(), "line 1: path climbs out of the root"),
        (f"{A}  a/../../x\n".encode(), "line 1: path climbs out of the root"),
        (f"{A}  a\\..\\..\\x\n".encode(), "line 1: path climbs out of the root"),
        (f"{A}  /etc/passwd\n".encode(), "line 1: absolute path '/etc/passwd'"),
        (f"{A}  C:\\x\n".encode(), "line 1: path with a drive letter"),
        (f"{A}  c:x\n".encode(), "line 1: path with a drive letter"),
        (f"{A}  \\\\server\\share\n".encode(), "line 1: absolute path"),
        (f"{A}  nul\x00byte\n".encode(), "line 1: contains a NUL byte"),
        (f"{A}  ok\n{A}  caf\xe9\n".encode("latin-1"), "line 2: not valid UTF-8"),
        (f"MD5 (x) = {A[:32]}\n".encode(), "line 1: MD5 checksum, expected SHA256"),
        (f"\\{A}  bad\\tescape\n".encode(), "line 1: unknown escape '\\t'"),
        (f"{A}  dir/\n".encode(), "line 1: not a file path"),
        (f"{A}  .\n".encode(), "line 1: not a file path"),
        (f"{A} -x\n".encode(), "line 1: not a checksum line"),
    ],
)
def test_refuses_bad_input_naming_the_line(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_checksums(data, source="pkg/checksums.txt")
    text = str(caught.value)
    assert text.startswith("pkg/checksums.txt")
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize(
    "entry",
    [
        ChecksumEntry("x", "abc"),
        ChecksumEntry("../x", A),
        ChecksumEntry("./x", A),
        ChecksumEntry("/x", A),
    ],
)
def test_writer_refuses_what_the_reader_would_refuse(entry: ChecksumEntry) -> None:
    with pytest.raises(ValueError):
        format_checksums([entry])


def test_writer_refuses_duplicates() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        format_checksums([ChecksumEntry("x", A), ChecksumEntry("x", B)])


def test_normalize_path_keeps_posix_backslash_names_inside_the_root() -> None:
    assert normalize_path("a\\b") == "a\\b"
    assert normalize_path("./a//b") == "a/b"
    with pytest.raises(UnsafePath):
        normalize_path("a/..")


# Any name a POSIX file system allows, minus the ones that can never be package-relative.
_component = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=12,
).filter(lambda c: c not in (".", "..") and ".." not in c.split("\\"))
_path = (
    st.lists(_component, min_size=1, max_size=3)
    .map("/".join)
    .filter(
        lambda p: not p.startswith("\\") and not (len(p) > 1 and p[1] == ":" and p[0].isalpha())
    )
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        _path, st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), max_size=8
    ).filter(bool)
)
def test_write_then_read_round_trips_any_name(files: dict[str, str]) -> None:
    entries = [ChecksumEntry(path, digest) for path, digest in files.items()]
    data = format_checksums(entries)
    assert data.count(b"\n") == len(entries)
    assert parse_checksums(data) == sorted(entries, key=lambda e: e.path.encode())
    assert format_checksums(parse_checksums(data)) == data
