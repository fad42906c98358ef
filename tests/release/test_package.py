"""write_package: the files it writes, that sha256sum -c accepts them, and what it refuses."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from releasemgr.errors import InputError, UsageError
from releasemgr.release import atomic, tree
from releasemgr.release.checksums import parse_checksums
from releasemgr.release.manifest import read_channel_files, read_metadata
from releasemgr.release.package import bundled_python, write_package
from releasemgr.release.verify import verify_path
from tests.release.pkgtools import (
    APP,
    COMMIT,
    SAMPLE_FILES,
    make_onedir,
    make_package,
    sha256sum_check,
)


def test_writes_checksums_and_metadata_that_sha256sum_accepts(tmp_path: Path) -> None:
    built = datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
    meta = make_package(tmp_path, built_at=built, ref="refs/heads/main", run_id=7, run_attempt=1)
    data = (tmp_path / "checksums.txt").read_bytes()
    entries = parse_checksums(data)
    assert [e.path for e in entries] == sorted(SAMPLE_FILES, key=str.encode)
    for entry in entries:
        assert entry.digest == hashlib.sha256(SAMPLE_FILES[entry.path]).hexdigest()
    assert meta == read_metadata(tmp_path / "metadata.json")
    assert meta.file_count == len(SAMPLE_FILES)
    assert meta.total_bytes == sum(len(v) for v in SAMPLE_FILES.values())
    assert meta.checksums_sha256 == hashlib.sha256(data).hexdigest()
    assert (meta.built_at, meta.ref, meta.run_id, meta.commit) == (
        built,
        "refs/heads/main",
        7,
        COMMIT,
    )
    assert meta.python == "3.11"  # found from libpython3.11.so in the bundle
    result = sha256sum_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == len(SAMPLE_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == [APP, "checksums.txt", "metadata.json"]


def test_channel_release_lists_the_channel_files_and_verifies(tmp_path: Path) -> None:
    meta = make_package(tmp_path, channel="canary")
    paths = [e.path for e in parse_checksums((tmp_path / "checksums.txt").read_bytes())]
    for name in ("version.txt", "deployed_at.txt", "traffic_percentage.txt", "channel.txt"):
        assert name in paths
    info = read_channel_files(tmp_path)
    assert info is not None
    assert (info.version, info.traffic_percentage, info.channel.value) == (COMMIT, 10, "canary")
    assert info.deployed_at == meta.built_at
    assert meta.file_count == len(SAMPLE_FILES) + 4
    assert sha256sum_check(tmp_path).returncode == 0
    report = verify_path(tmp_path)
    assert report.ok, report.summary()
    assert report.channel == info


def test_promoting_to_stable_rewrites_the_channel_files(tmp_path: Path) -> None:
    make_package(tmp_path, channel="canary")
    write_package(
        tmp_path, app=APP, platform="linux", version="1.2.3", commit=COMMIT, channel="stable"
    )
    info = read_channel_files(tmp_path)
    assert info is not None and (info.channel.value, info.traffic_percentage) == ("stable", 100)
    assert verify_path(tmp_path).ok


def test_packaging_twice_gives_the_same_checksums(tmp_path: Path) -> None:
    make_package(tmp_path)
    first = (tmp_path / "checksums.txt").read_bytes()
    write_package(tmp_path, app=APP, platform="linux", version="1.2.3", commit=COMMIT)
    assert (tmp_path / "checksums.txt").read_bytes() == first


def test_links_inside_the_root_are_followed_like_sha256sum_does(tmp_path: Path) -> None:
    make_onedir(tmp_path)
    internal = tmp_path / APP / "_internal"
    (internal / "Python").symlink_to("libpython3.11.so.1.0")
    (internal / "Current").symlink_to("data", target_is_directory=True)
    write_package(tmp_path, app=APP, platform="macos", version="1", commit=COMMIT)
    paths = [e.path for e in parse_checksums((tmp_path / "checksums.txt").read_bytes())]
    assert f"{APP}/_internal/Python" in paths
    assert f"{APP}/_internal/Current/config.json" in paths
    assert sha256sum_check(tmp_path).returncode == 0
    assert verify_path(tmp_path).ok


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/etc/passwd", "points outside the root"),
        ("../../../outside", "points outside the root"),
        ("no-such-file", "dangles"),
    ],
)
def test_refuses_links_that_leave_the_root_and_writes_nothing(
    tmp_path: Path, target: str, message: str
) -> None:
    root = make_onedir(tmp_path / "root")
    (root / APP / "_internal" / "evil").symlink_to(target)
    with pytest.raises(InputError, match=message) as caught:
        write_package(root, app=APP, platform="linux", version="1", commit=COMMIT, channel="canary")
    assert "evil" in str(caught.value)
    assert sorted(p.name for p in root.iterdir()) == [APP]


def test_refuses_a_link_loop(tmp_path: Path) -> None:
    make_onedir(tmp_path)
    (tmp_path / APP / "_internal" / "loop").symlink_to("..", target_is_directory=True)
    with pytest.raises(InputError, match="loops back"):
        write_package(tmp_path, app=APP, platform="linux", version="1", commit=COMMIT)


def test_refuses_a_special_file(tmp_path: Path) -> None:
    make_onedir(tmp_path)
    os.mkfifo(tmp_path / APP / "pipe")
    with pytest.raises(InputError, match="pipe: not a regular file"):
        write_package(tmp_path, app=APP, platform="linux", version="1", commit=COMMIT)


def test_refuses_a_root_without_the_app_folder(tmp_path: Path) -> None:
    (tmp_path / "Other").mkdir()
    with pytest.raises(InputError, match=f"has no {APP}/ folder"):
        write_package(tmp_path, app=APP, platform="linux", version="1", commit=COMMIT)
    with pytest.raises(InputError, match="is not a folder"):
        write_package(tmp_path / "nope", app=APP, platform="linux", version="1", commit=COMMIT)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"commit": "abc123"}, "--commit: not a full 40-hex commit SHA"),
        ({"commit": "g" * 40}, "--commit: not a full 40-hex commit SHA"),
        ({"commit": COMMIT + "0"}, "--commit: not a full 40-hex commit SHA"),
        ({"platform": "beos"}, "--platform"),
        ({"version": ""}, "--version"),
        ({"version": "1\n2"}, "--version"),
        ({"channel": "beta"}, "--channel"),
        ({"channel": "canary", "traffic": 101}, "--traffic"),
        ({"traffic": 10}, "--traffic: only makes sense with --channel"),
        ({"app": "../x"}, "--app"),
    ],
)
def test_refuses_bad_arguments_before_writing(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    make_onedir(tmp_path)
    args: dict[str, object] = {"app": APP, "platform": "linux", "version": "1", "commit": COMMIT}
    with pytest.raises(UsageError, match=message):
        write_package(tmp_path, **(args | kwargs))  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == [APP]


def test_accepts_an_uppercase_commit_and_stores_it_lowercase(tmp_path: Path) -> None:
    make_onedir(tmp_path)
    meta = write_package(tmp_path, app=APP, platform="linux", version="1", commit=COMMIT.upper())
    assert meta.commit == COMMIT


def test_an_interrupted_write_leaves_no_partial_checksums(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_onedir(tmp_path)

    def fail(self: Path, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.Path, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        write_package(tmp_path, app=APP, platform="linux", version="1", commit=COMMIT)
    assert sorted(p.name for p in tmp_path.iterdir()) == [APP]


def test_metadata_json_is_plain_json_with_the_documented_fields(tmp_path: Path) -> None:
    make_package(tmp_path, arch="arm64", pyinstaller="6.10.0")
    data = json.loads((tmp_path / "metadata.json").read_text())
    assert set(data) == {
        "schema_version",
        "app",
        "version",
        "commit",
        "ref",
        "run_id",
        "run_attempt",
        "platform",
        "arch",
        "built_at",
        "python",
        "pyinstaller",
        "file_count",
        "total_bytes",
        "checksums_sha256",
    }
    assert (data["arch"], data["pyinstaller"]) == ("arm64", "6.10.0")


@pytest.mark.parametrize(
    ("names", "version"),
    [
        (["App/_internal/python311.dll"], "3.11"),
        (["App/_internal/libpython3.12.dylib"], "3.12"),
        (["App/_internal/Python.framework/Versions/3.10/Python"], "3.10"),
        (["App/_internal/other.so"], None),
    ],
)
def test_finds_the_bundled_python(names: list[str], version: str | None) -> None:
    assert bundled_python(names) == version


def test_links_fanning_out_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_onedir(tmp_path)
    internal = tmp_path / APP / "_internal"
    for name in ("a", "b", "c"):
        (internal / name).symlink_to("data", target_is_directory=True)
    monkeypatch.setattr(tree, "MAX_FILES", 6)
    with pytest.raises(InputError, match="more than 6 files under the root"):
        write_package(tmp_path, app=APP, platform="linux", version="1", commit=COMMIT)
    assert sorted(p.name for p in tmp_path.iterdir()) == [APP]
