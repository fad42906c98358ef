"""Property: whatever is done to a package, verify never passes what ``sha256sum -c`` rejects."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releasemgr.errors import InputError
from releasemgr.release.package import write_package
from releasemgr.release.verify import verify_path
from tests.release.pkgtools import APP, COMMIT, sha256sum_check

# File names a POSIX file system accepts (no "/" or NUL), including backslashes and newlines.
_name = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1,
    max_size=10,
).filter(lambda n: n not in (".", "..") and len(n.encode()) < 200)
_tree = st.dictionaries(
    st.lists(_name, min_size=1, max_size=2).map(tuple),
    st.binary(max_size=64),
    min_size=1,
    max_size=5,
).filter(
    # a name cannot be both a file and a folder
    lambda files: not any(other[: len(p)] == p and other != p for p in files for other in files)
)

_mutation = st.one_of(
    st.tuples(st.just("none")),
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("remove"), st.integers(0, 10**6)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6)),
    st.tuples(st.just("add"), _name),
    st.tuples(st.just("append"), st.integers(0, 10**6), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("edit-line"), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("drop-line"), st.integers(0, 10**6)),
)


def _mutate(root: Path, files: list[Path], mutation: tuple[object, ...]) -> None:
    kind = mutation[0]
    if kind == "flip":
        target = files[int(mutation[1]) % len(files)]  # type: ignore[call-overload]
        data = bytearray(target.read_bytes())
        if data:
            data[int(mutation[2]) % len(data)] ^= 0x01  # type: ignore[call-overload]
        else:
            data = bytearray(b"\x00")
        target.write_bytes(bytes(data))
    elif kind == "remove":
        files[int(mutation[1]) % len(files)].unlink()  # type: ignore[call-overload]
    elif kind == "truncate":
        target = files[int(mutation[1]) % len(files)]  # type: ignore[call-overload]
        target.write_bytes(target.read_bytes()[:-1])
    elif kind == "add":
        (root / APP / str(mutation[1])).write_bytes(b"added")
    elif kind == "append":
        target = files[int(mutation[1]) % len(files)]  # type: ignore[call-overload]
        target.write_bytes(target.read_bytes() + bytes(mutation[2]))  # type: ignore[arg-type]
    elif kind in ("edit-line", "drop-line"):
        path = root / "checksums.txt"
        lines = path.read_bytes().split(b"\n")[:-1]
        index = int(mutation[1]) % len(lines)  # type: ignore[call-overload]
        if kind == "drop-line":
            del lines[index]
        else:
            line = bytearray(lines[index])
            at = int(mutation[2]) % len(line)  # type: ignore[call-overload]
            line[at] = ord("0") if line[at] != ord("0") else ord("1")
            lines[index] = bytes(line)
        path.write_bytes(b"".join(line + b"\n" for line in lines))


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(tree=_tree, mutation=_mutation)
def test_verify_never_passes_what_sha256sum_rejects(
    tree: dict[tuple[str, ...], bytes], mutation: tuple[object, ...]
) -> None:
    root = Path(tempfile.mkdtemp(prefix="verify-prop-"))
    try:
        written = []
        for parts, data in tree.items():
            path = root.joinpath(APP, *parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(path)
        write_package(root, app=APP, platform="linux", version="1", commit=COMMIT)
        assert sha256sum_check(root).returncode == 0
        assert verify_path(root).ok
        _mutate(root, written, mutation)
        gnu_ok = sha256sum_check(root).returncode == 0
        try:
            ours_ok = verify_path(root).ok
        except InputError:
            ours_ok = False
        if not gnu_ok:
            assert not ours_ok, f"sha256sum -c rejects after {mutation[0]}, verify passed"
        if mutation[0] == "none":
            assert ours_ok
    finally:
        shutil.rmtree(root)
