"""``releasemgr package``: parse apart from run, run over a test context, and the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from releasemgr.cli import package as cmd
from releasemgr.cli.context import Context
from releasemgr.cli.main import build_parser, main
from releasemgr.errors import UsageError
from releasemgr.release.manifest import read_channel_files, read_metadata
from tests.release.pkgtools import APP, COMMIT, make_onedir, sha256sum_check

BASE = ["package", "ROOT", "--app", APP, "--platform", "windows", "--version", "2.0.0",
        "--commit", COMMIT]  # fmt: skip


def parse(args: list[str]) -> cmd.Options:
    parser, _ = build_parser()
    return cmd.parse(parser.parse_args(args))


def test_parse_fills_every_option() -> None:
    extra = "--ref refs/heads/main --run-id 42 --run-attempt 2 --channel canary --traffic 25%"
    options = parse([*BASE, *extra.split()])
    assert options == cmd.Options(
        root=Path("ROOT"),
        app=APP,
        platform="windows",
        version="2.0.0",
        commit=COMMIT,
        ref="refs/heads/main",
        run_id=42,
        run_attempt=2,
        channel="canary",
        traffic=25,
    )


def test_parse_refuses_traffic_without_a_channel() -> None:
    with pytest.raises(UsageError, match="--traffic: only makes sense with --channel"):
        parse([*BASE, "--traffic", "10"])


@pytest.mark.parametrize(
    "extra",
    [["--platform", "beos"], ["--channel", "beta"], ["--traffic", "150"], ["--run-id", "x"]],
)
def test_bad_option_values_exit_2(extra: list[str]) -> None:
    ctx = Context.for_test()
    assert main([*BASE, *extra], ctx) == 2


def test_run_writes_the_package_and_says_so(tmp_path: Path) -> None:
    make_onedir(tmp_path)
    ctx = Context.for_test(cwd=tmp_path)
    options = cmd.Options(
        root=Path(), app=APP, platform="macos", version="2.0.0", commit=COMMIT,
        channel="stable", run_id=9,
    )  # fmt: skip
    assert cmd.run(options, ctx) == 0
    out = ctx.stdout.getvalue()  # type: ignore[attr-defined]
    assert out.startswith(f"packaged {APP} 2.0.0 (macos, channel stable): 9 files")
    assert ctx.stderr.getvalue() == ""  # type: ignore[attr-defined]
    meta = read_metadata(tmp_path / "metadata.json")
    assert (meta.platform, meta.run_id) == ("macos", 9)
    info = read_channel_files(tmp_path)
    assert info is not None and info.traffic_percentage == 100


def test_run_json_prints_the_metadata(tmp_path: Path) -> None:
    make_onedir(tmp_path)
    ctx = Context.for_test(cwd=tmp_path)
    options = cmd.Options(
        root=tmp_path, app=APP, platform="linux", version="1", commit=COMMIT, json=True
    )
    assert cmd.run(options, ctx) == 0
    printed = json.loads(ctx.stdout.getvalue())  # type: ignore[attr-defined]
    assert printed == json.loads((tmp_path / "metadata.json").read_text())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--commit", "abc"], "releasemgr: --commit: not a full 40-hex commit SHA: 'abc'"),
        (["--app", "Missing"], "has no Missing/ folder"),
    ],
)
def test_main_reports_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    make_onedir(tmp_path)
    ctx = Context.for_test(cwd=tmp_path)
    argv = [*BASE, *args]
    argv[1] = str(tmp_path)
    assert main(argv, ctx) == 2
    err = ctx.stderr.getvalue()  # type: ignore[attr-defined]
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [APP]


def test_real_cli_output_passes_sha256sum_unchanged(tmp_path: Path) -> None:
    root = make_onedir(tmp_path / "release")
    (root / APP / "_internal" / "name with\\backslash").write_bytes(b"odd")
    (root / APP / "_internal" / "naïve résumé.txt").write_bytes(b"utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "releasemgr", "package", str(root), "--app", APP,
         "--platform", "linux", "--version", "3.0.0", "--commit", COMMIT, "--channel", "canary"],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    check = sha256sum_check(root)
    assert check.returncode == 0, check.stdout + check.stderr
    verify = subprocess.run(
        [sys.executable, "-m", "releasemgr", "verify", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout
    assert verify.stdout.startswith("verified: 11 files")
