"""``releasemgr verify``: exit codes, output, JSON, the progress bar, and the real CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from releasemgr.cli import verify as cmd
from releasemgr.cli.context import Context
from releasemgr.cli.main import build_parser, main
from releasemgr.cli.progress import ProgressBar, progress_bar
from tests.release.pkgtools import APP, make_package, zip_folder

REPO = Path(__file__).resolve().parents[2]


def test_parse() -> None:
    parser, _ = build_parser()
    assert cmd.parse(parser.parse_args(["verify", "x.zip", "--json"])) == cmd.Options(
        path=Path("x.zip"), json=True
    )
    assert cmd.parse(parser.parse_args(["verify", "dir", "--workers", "3"])).workers == 3


def test_ok_prints_one_line_and_exits_0(tmp_path: Path) -> None:
    make_package(tmp_path)
    ctx = Context.for_test(cwd=tmp_path)
    assert cmd.run(cmd.Options(path=Path()), ctx) == 0
    out = ctx.stdout.getvalue()  # type: ignore[attr-defined]
    assert out.startswith("verified: 5 files") and out.count("\n") == 1
    assert ctx.stderr.getvalue() == ""  # type: ignore[attr-defined]


def test_failure_lists_the_failing_files_and_exits_1(tmp_path: Path) -> None:
    make_package(tmp_path)
    (tmp_path / APP / APP).write_bytes(b"tampered")
    (tmp_path / APP / "extra.txt").write_bytes(b"x")
    ctx = Context.for_test(cwd=tmp_path)
    assert main(["verify", str(tmp_path)], ctx) == 1
    lines = ctx.stdout.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines[0].startswith("FAILED: 1 extra, 1 mismatch")
    assert [line.split()[:2] for line in lines[1:]] == [
        ["mismatch", f"{APP}/{APP}"],
        ["extra", f"{APP}/extra.txt"],
    ]


def test_json_prints_the_whole_report(tmp_path: Path) -> None:
    make_package(tmp_path)
    (tmp_path / APP / APP).unlink()
    ctx = Context.for_test()
    assert main(["verify", "--json", str(tmp_path)], ctx) == 1
    report = json.loads(ctx.stdout.getvalue())  # type: ignore[attr-defined]
    assert report["ok"] is False
    assert report["counts"] == {"missing": 1, "ok": 4}
    assert {f["path"]: f["verdict"] for f in report["files"]}[f"{APP}/{APP}"] == "missing"
    assert report["metadata"]["app"] == APP


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "does not exist"),
        ("no-checksums", "checksums.txt: is missing"),
        ("bad-line", "checksums.txt, line 1: not a checksum line"),
        ("bad-zip", "not a valid zip, truncated or corrupt"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(tmp_path: Path, setup: str, message: str) -> None:
    target = tmp_path / "pkg"
    if setup == "no-checksums":
        target.mkdir()
    elif setup == "bad-line":
        target.mkdir()
        (target / "checksums.txt").write_text("hello\n")
    elif setup == "bad-zip":
        target = tmp_path / "pkg.zip"
        target.write_bytes(b"PK\x03\x04 truncated")
    ctx = Context.for_test()
    assert main(["verify", str(target)], ctx) == 2
    err = ctx.stderr.getvalue()  # type: ignore[attr-defined]
    assert err.startswith("releasemgr: ") and message in err and err.count("\n") == 1


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    assert progress_bar(Context.for_test(tty=False), "verifying") is None
    assert isinstance(progress_bar(Context.for_test(tty=True), "verifying"), ProgressBar)


def test_progress_bar_draws_then_erases_itself() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "verifying", delay=0.0, interval=0.0)
    bar.update(512 << 20, 1 << 30)
    drawn = stream.getvalue()
    assert drawn.startswith(
        "\rverifying [###############...............]  50%  512.0 MiB / 1.0 GiB"
    )
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_bar_stays_silent_for_quick_work() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "verifying", delay=3600.0)
    bar.update(1, 2)
    bar.close()
    assert stream.getvalue() == ""


def test_real_cli_verifies_the_committed_sample_from_a_clean_clone() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "releasemgr", "verify", str(REPO / "resources" / "sample")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("verified: 5 files")
    assert result.stderr == ""


def test_real_cli_exit_codes_for_a_zip(tmp_path: Path) -> None:
    make_package(tmp_path / "pkg")
    good = zip_folder(tmp_path / "pkg", tmp_path / "good.zip")
    (tmp_path / "pkg" / "unlisted").write_bytes(b"x")
    bad = zip_folder(tmp_path / "pkg", tmp_path / "bad.zip")
    codes = [
        subprocess.run(
            [sys.executable, "-m", "releasemgr", "verify", str(path)],
            capture_output=True,
            check=False,
        ).returncode
        for path in (good, bad, tmp_path / "absent.zip")
    ]
    assert codes == [0, 1, 2]
