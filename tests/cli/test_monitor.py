"""``releasemgr monitor``: parse apart from run, then the real command in a subprocess."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from releasemgr.cli import monitor as cmd
from releasemgr.cli.context import Context
from releasemgr.cli.main import main
from releasemgr.errors import UsageError
from tests.release.test_monitor import COMMIT, OTHER, make_canary


def _parse(*argv: str) -> cmd.Options:
    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    return cmd.parse(parser.parse_args(argv))


def test_parse_fills_options_only() -> None:
    options = _parse("dl", "--out", "r.json", "--platforms", "windows, macos", "--json")
    assert options == cmd.Options(
        directory=Path("dl"),
        out=Path("r.json"),
        platforms=("windows", "macos"),
        expect_version=None,
        json=True,
    )
    assert _parse("dl").platforms == ()
    with pytest.raises(UsageError, match="--platforms"):
        _parse("dl", "--platforms", " , ")


def test_healthy_canary_writes_the_report_and_exits_0(tmp_path: Path) -> None:
    make_canary(tmp_path / "dl" / "w", "windows")
    make_canary(tmp_path / "dl" / "m", "macos")
    ctx = Context.for_test(cwd=tmp_path)
    code = main(["monitor", "dl", "--out", "report.json"], ctx)
    assert code == 0, ctx.stderr.getvalue()
    assert f"canary healthy at {COMMIT}" in ctx.stdout.getvalue()
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["healthy"] is True
    assert set(report["platforms"]) == {"windows", "macos"}


def test_unhealthy_canary_exits_1_with_reasons(tmp_path: Path) -> None:
    make_canary(tmp_path / "dl" / "w", "windows", commit=COMMIT)
    make_canary(tmp_path / "dl" / "m", "macos", commit=OTHER)
    ctx = Context.for_test(cwd=tmp_path)
    assert main(["monitor", "dl", "--json"], ctx) == 1
    report = json.loads(ctx.stdout.getvalue())
    assert report["healthy"] is False and report["versions_consistent"] is False


def test_bad_input_exits_2_without_a_traceback_or_a_report(tmp_path: Path) -> None:
    ctx = Context.for_test(cwd=tmp_path)
    assert main(["monitor", "missing", "--out", "r.json"], ctx) == 2
    assert ctx.stderr.getvalue().startswith("releasemgr: ")
    assert "missing: not a folder" in ctx.stderr.getvalue()
    assert not (tmp_path / "r.json").exists()
    (tmp_path / "dl").mkdir()
    ctx = Context.for_test(cwd=tmp_path)
    assert main(["monitor", "dl", "--out", "no/such/dir/r.json"], ctx) == 2
    assert "cannot write the report" in ctx.stderr.getvalue()


def test_the_installed_command_runs_as_the_pipeline_does(tmp_path: Path) -> None:
    make_canary(tmp_path / "dl" / "w", "windows")
    make_canary(tmp_path / "dl" / "m", "macos")
    result = subprocess.run(
        [sys.executable, "-m", "releasemgr", "monitor", "dl", "--out", "report.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["healthy"] is True


def test_expect_version_names_the_release_the_job_was_meant_to_check(tmp_path: Path) -> None:
    make_canary(tmp_path / "dl" / "w", "windows")
    make_canary(tmp_path / "dl" / "m", "macos")
    ctx = Context.for_test(cwd=tmp_path)
    assert main(["monitor", "dl", "--expect-version", COMMIT[:7]], ctx) == 0
    ctx = Context.for_test(cwd=tmp_path)
    assert main(["monitor", "dl", "--expect-version", OTHER], ctx) == 1
    assert f"is not the expected {OTHER}" in ctx.stdout.getvalue()
