"""verify_path on folders and zips: every verdict, metadata consistency, progress and cancel."""

from __future__ import annotations

import json
import os
import stat
import threading
import zipfile
from pathlib import Path

import pytest

from releasemgr.errors import Cancelled, InputError
from releasemgr.release.hashing import Progress, hash_file
from releasemgr.release.verify import verify_path
from tests.release.pkgtools import APP, OTHER_COMMIT, make_package, zip_folder

EXE = f"{APP}/{APP}"
SSL = f"{APP}/_internal/lib-dynload/_ssl.so"


def verdicts(report: object) -> dict[str, str]:
    return {f.path: f.verdict for f in report.failures}  # type: ignore[attr-defined]


@pytest.fixture
def package(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    make_package(root)
    return root


def test_an_intact_package_verifies(package: Path) -> None:
    report = verify_path(package)
    assert report.ok
    assert report.kind == "folder"
    assert report.failures == ()
    assert len(report.files) == 5 and all(f.verdict == "ok" for f in report.files)
    assert report.summary().startswith("verified: 5 files")
    assert report.metadata is not None and report.metadata.app == APP
    data = json.loads(report.to_json())
    assert data["ok"] is True and len(data["files"]) == 5


def test_a_flipped_byte_is_a_mismatch(package: Path) -> None:
    path = package / SSL
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify_path(package)
    assert not report.ok
    assert verdicts(report) == {SSL: "mismatch"}
    assert "checksums.txt says" in report.failures[0].detail
    assert report.summary().startswith("FAILED: 1 mismatch")


def test_a_removed_file_is_missing(package: Path) -> None:
    (package / EXE).unlink()
    report = verify_path(package)
    assert verdicts(report) == {EXE: "missing"}


def test_an_added_file_is_extra(package: Path) -> None:
    (package / APP / "_internal" / "injected.dll").write_bytes(b"MZ")
    (package / "notes.txt").write_text("hi")
    report = verify_path(package)
    assert verdicts(report) == {
        f"{APP}/_internal/injected.dll": "extra",
        "notes.txt": "extra",
    }


def test_a_listed_path_through_a_link_out_of_the_root_is_unsafe(
    package: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "config.json").write_bytes(b'{"debug": false}\n')
    data_dir = package / APP / "_internal" / "data"
    (data_dir / "config.json").unlink()
    data_dir.rmdir()
    data_dir.symlink_to(outside, target_is_directory=True)
    report = verify_path(package)
    assert verdicts(report) == {f"{APP}/_internal/data/config.json": "unsafe"}
    assert "outside the root" in report.failures[0].detail


def test_an_unlisted_link_out_of_the_root_is_unsafe(package: Path) -> None:
    (package / APP / "escape").symlink_to("/etc/hostname")
    assert verdicts(verify_path(package)) == {f"{APP}/escape": "unsafe"}


def test_metadata_file_count_and_digest_must_agree(package: Path) -> None:
    meta = json.loads((package / "metadata.json").read_text())
    meta["file_count"] = 6
    meta["checksums_sha256"] = "0" * 64
    (package / "metadata.json").write_text(json.dumps(meta))
    report = verify_path(package)
    assert not report.ok
    assert report.failures == ()
    assert any("says 6 files, checksums.txt lists 5" in p for p in report.problems)
    assert any("checksums_sha256" in p for p in report.problems)
    assert "2 metadata problems" in report.summary()


def test_a_rewritten_checksums_txt_is_caught_by_the_metadata(package: Path) -> None:
    path = package / "checksums.txt"
    path.write_bytes(path.read_bytes().replace(b"  ", b" *"))
    report = verify_path(package)
    assert report.failures == ()
    assert [p for p in report.problems if "checksums_sha256" in p]


def test_missing_metadata_fails(package: Path) -> None:
    (package / "metadata.json").unlink()
    report = verify_path(package)
    assert report.problems == ("metadata.json is missing",)
    assert not report.ok


def test_version_txt_must_match_the_metadata_commit(tmp_path: Path) -> None:
    make_package(tmp_path, channel="stable")
    assert verify_path(tmp_path).ok
    (tmp_path / "version.txt").write_text(OTHER_COMMIT + "\n")
    report = verify_path(tmp_path)
    assert verdicts(report) == {"version.txt": "mismatch"}
    assert any(f"version.txt says {OTHER_COMMIT}" in p for p in report.problems)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "checksums.txt: is missing"),
        (b"", "checksums.txt: is empty"),
        (b"garbage\n", "checksums.txt, line 1: not a checksum line"),
        (b"a" * 64 + b"  ../etc/passwd\n", "line 1: path climbs out of the root"),
    ],
)
def test_bad_checksums_txt_is_an_input_error(
    package: Path, content: bytes | None, message: str
) -> None:
    path = package / "checksums.txt"
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        verify_path(package)


def test_malformed_metadata_is_an_input_error(package: Path) -> None:
    (package / "metadata.json").write_text('{"schema_version": 1}')
    with pytest.raises(InputError, match=r"metadata.json: field 'commit'"):
        verify_path(package)


def test_a_missing_path_or_other_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        verify_path(tmp_path / "nope")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match=r"neither a package folder nor a \.zip"):
        verify_path(tmp_path / "file.txt")


def test_a_file_that_changes_while_hashed_is_reported(tmp_path: Path) -> None:
    big = {f"{APP}/{APP}": b"x", f"{APP}/big.bin": os.urandom(4 << 20)}
    make_package(tmp_path, files=big)
    target = tmp_path / APP / "big.bin"
    grown = threading.Event()

    def grow(done: int, total: int) -> None:
        if 0 < done < total and not grown.is_set():
            grown.set()
            with open(target, "ab") as handle:
                handle.write(b"more")

    report = verify_path(tmp_path, progress=grow, workers=1)
    assert grown.is_set()
    assert verdicts(report) == {f"{APP}/big.bin": "mismatch"}
    assert "changed while being hashed" in report.failures[0].detail


def test_a_file_that_cannot_be_read_gives_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    progress = Progress(0, None)
    folder = hash_file(tmp_path / "folder", progress=progress, cancel=None)
    assert (folder.digest, folder.error) == (None, "cannot be read: Is a directory")
    gone = hash_file(tmp_path / "gone", progress=progress, cancel=None)
    assert (gone.digest, gone.error) == (None, "cannot be read: No such file or directory")
    fds = Path("/proc/self/fd")
    open_fds = len(list(fds.iterdir()))
    for _ in range(20):
        hash_file(tmp_path / "folder", progress=progress, cancel=None)
    assert len(list(fds.iterdir())) == open_fds  # no descriptor leaks on the way out


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_listed_file_is_a_mismatch_naming_why(package: Path) -> None:
    (package / SSL).chmod(0)
    report = verify_path(package)
    assert verdicts(report) == {SSL: "mismatch"}
    assert "cannot be read" in report.failures[0].detail


def test_progress_reaches_the_total_and_never_goes_back(tmp_path: Path) -> None:
    files = {f"{APP}/{APP}": b"x"} | {f"{APP}/f{i}": os.urandom(300_000) for i in range(12)}
    make_package(tmp_path, files=files)
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def record(done: int, total: int) -> None:
        with lock:
            seen.append((done, total))

    assert verify_path(tmp_path, progress=record, workers=3).ok
    total = 12 * 300_000 + 1
    assert seen[0] == (0, total)
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_cancel_raises_cancelled(package: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        verify_path(package, cancel=cancel)


def test_cancel_from_progress_stops_a_zip_too(tmp_path: Path) -> None:
    make_package(tmp_path / "pkg", files={f"{APP}/{APP}": os.urandom(3 << 20)})
    zipped = zip_folder(tmp_path / "pkg", tmp_path / "pkg.zip")
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        verify_path(zipped, cancel=cancel, progress=lambda done, total: cancel.set())


# --- zips -----------------------------------------------------------------------------


def test_a_zip_as_github_serves_it_verifies(package: Path, tmp_path: Path) -> None:
    report = verify_path(zip_folder(package, tmp_path / "a.zip"))
    assert report.ok, report.summary()
    assert report.kind == "zip" and len(report.files) == 5


def test_a_zip_of_the_package_folder_verifies(package: Path, tmp_path: Path) -> None:
    assert verify_path(zip_folder(package, tmp_path / "a.zip", prefix="pkg/")).ok


def test_a_zip_holding_only_the_package_zip_verifies(package: Path, tmp_path: Path) -> None:
    inner = zip_folder(package, tmp_path / "inner.zip")
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(inner, "ZyraVideoAgentBackend-windows.zip")
    assert verify_path(outer).ok


def test_a_stored_zip_verifies(package: Path, tmp_path: Path) -> None:
    path = tmp_path / "stored.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for file in sorted(package.rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(package).as_posix())
    assert verify_path(path).ok


def rezip(
    source: Path, dest: Path, *, drop: str = "", replace: dict[str, bytes] | None = None
) -> Path:
    """Copy a zip, leaving out ``drop`` and giving members in ``replace`` new content."""
    replace = replace or {}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != drop:
                out.writestr(info, replace.get(info.filename, src.read(info)))
        for name, data in replace.items():
            if name not in src.namelist():
                out.writestr(name, data)
    return dest


def test_zip_verdicts_match_the_folder_verdicts(package: Path, tmp_path: Path) -> None:
    good = zip_folder(package, tmp_path / "good.zip")
    flipped = rezip(good, tmp_path / "f.zip", replace={SSL: b"tampered"})
    assert verdicts(verify_path(flipped)) == {SSL: "mismatch"}
    assert verdicts(verify_path(rezip(good, tmp_path / "m.zip", drop=EXE))) == {EXE: "missing"}
    extra = rezip(good, tmp_path / "e.zip", replace={"extra.bin": b"x"})
    assert verdicts(verify_path(extra)) == {"extra.bin": "extra"}


def test_zip_entries_that_would_escape_or_are_links_are_unsafe(
    package: Path, tmp_path: Path
) -> None:
    good = zip_folder(package, tmp_path / "good.zip")
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        out.writestr("../evil", b"x")
        link = zipfile.ZipInfo(f"{APP}/link")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        out.writestr(link, "/etc/passwd")
    report = verify_path(bad)
    assert verdicts(report) == {"../evil": "unsafe", f"{APP}/link": "unsafe"}


def test_a_corrupt_member_is_a_mismatch_not_a_crash(package: Path, tmp_path: Path) -> None:
    path = zip_folder(package, tmp_path / "c.zip")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(SSL)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(path.read_bytes())
    for i in range(start, start + info.compress_size):
        data[i] ^= 0x55
    path.write_bytes(bytes(data))
    report = verify_path(path)
    assert verdicts(report) == {SSL: "mismatch"}


def test_a_truncated_zip_is_an_input_error(package: Path, tmp_path: Path) -> None:
    path = zip_folder(package, tmp_path / "t.zip")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match=r"t\.zip: not a valid zip, truncated or corrupt"):
        verify_path(path)


def test_a_zip_without_checksums_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "a")
    with pytest.raises(InputError, match=r"x\.zip/checksums\.txt: is missing"):
        verify_path(path)


def test_a_listed_file_replaced_by_a_pipe_is_unsafe_and_does_not_hang(package: Path) -> None:
    (package / SSL).unlink()
    os.mkfifo(package / SSL)
    report = verify_path(package)
    assert verdicts(report) == {SSL: "unsafe"}
    assert report.failures[0].detail == "not a regular file"


def test_metadata_must_name_the_app_that_is_listed(package: Path) -> None:
    meta = json.loads((package / "metadata.json").read_text())
    meta["app"] = "SomethingElse"
    (package / "metadata.json").write_text(json.dumps(meta))
    report = verify_path(package)
    assert report.problems == (
        "metadata.json names app 'SomethingElse', but no SomethingElse/ files are listed",
    )


def test_a_listed_metadata_json_is_checked_like_any_file(package: Path) -> None:
    meta = package / "metadata.json"
    line = f"{'0' * 64}  metadata.json\n".encode()
    (package / "checksums.txt").write_bytes((package / "checksums.txt").read_bytes() + line)
    report = verify_path(package)
    assert verdicts(report)["metadata.json"] == "mismatch"
    assert meta.is_file()


def test_a_zip_holding_a_broken_zip_names_the_outer_zip(tmp_path: Path) -> None:
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("package.zip", b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError) as caught:
        verify_path(outer)
    assert str(caught.value) == (
        f"{outer}: entry 'package.zip' is not a valid zip, truncated or corrupt"
    )
