"""``releasemgr smoke``: parse apart from run, then verified packages, tampered ones, bad input."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from releasemgr.cli import smoke as cmd
from releasemgr.cli.context import Context
from releasemgr.cli.main import main
from releasemgr.errors import UsageError
from tests.release.test_monitor import APP, COMMIT, make_canary

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="stand-ins are POSIX scripts")


def _parse(*argv: str) -> cmd.Options:
    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    return cmd.parse(parser.parse_args(argv))


def test_parse_fills_options_only() -> None:
    assert _parse("pkg", "--json", "--timeout", "5", "--check=--version") == cmd.Options(
        path=Path("pkg"), json=True, timeout=5.0, checks=("--version",)
    )
    assert _parse("pkg").timeout is None
    assert _parse("pkg", "--expect-version", "1.4.0").expect == ("1.4.0",)
    with pytest.raises(UsageError, match="--expect-version"):
        _parse("pkg", "--expect-version", " ")
    with pytest.raises(UsageError, match="--timeout"):
        _parse("pkg", "--timeout", "0")


def test_a_verified_package_passes_the_default_checks(tmp_path: Path) -> None:
    make_canary(tmp_path / "pkg", "linux")
    ctx = Context.for_test(cwd=tmp_path)
    code = main(["smoke", "pkg", "--json"], ctx)
    assert code == 0, ctx.stderr.getvalue() + ctx.stdout.getvalue()
    report = json.loads(ctx.stdout.getvalue())
    assert report["passed"] is True and report["verified"] is True
    assert report["commit"] == COMMIT
    assert [c["name"] for c in report["checks"]] == ["--version", "--self-test"]
    assert all(c["exit_code"] == 0 for c in report["checks"])


def test_a_failing_check_exits_1_and_shows_the_output(tmp_path: Path) -> None:
    make_canary(tmp_path / "pkg", "linux")
    ctx = Context.for_test(cwd=tmp_path)
    assert main(["smoke", "pkg", "--check=--unknown-flag"], ctx) == 1
    out = ctx.stdout.getvalue()
    assert "FAIL" in out and "exit code 2" in out
    assert "usage:" in out  # the stand-in's stderr tail


def test_nothing_runs_from_a_package_that_fails_verification(tmp_path: Path) -> None:
    pkg = make_canary(tmp_path / "pkg", "linux")
    exe = pkg / APP / APP
    marker = tmp_path / "ran"
    exe.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    ctx = Context.for_test(cwd=tmp_path)
    assert main(["smoke", str(exe)], ctx) == 1
    assert "failed verification" in ctx.stderr.getvalue()
    assert not marker.exists()


def test_bad_input_exits_2(tmp_path: Path) -> None:
    ctx = Context.for_test(cwd=tmp_path)
    assert main(["smoke", "nowhere"], ctx) == 2
    assert ctx.stderr.getvalue() == f"releasemgr: {tmp_path / 'nowhere'}: no such file or folder\n"


def test_the_installed_command_in_a_subprocess(tmp_path: Path) -> None:
    make_canary(tmp_path / "pkg", "linux")
    result = subprocess.run(
        [sys.executable, "-m", "releasemgr", "smoke", "pkg"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith(f"PASS {APP}")


def test_the_pipelines_build_job_smokes_the_app_folder_before_packaging(tmp_path: Path) -> None:
    from releasemgr.sim.standins import write_onedir

    write_onedir(tmp_path / "dist", APP, "linux", "1.4.0", COMMIT)
    ctx = Context.for_test(cwd=tmp_path)
    code = main(["smoke", f"dist/{APP}", "--expect-version", "1.4.0", "--json"], ctx)
    assert code == 0, ctx.stdout.getvalue() + ctx.stderr.getvalue()
    report = json.loads(ctx.stdout.getvalue())
    assert report["verified"] is False and report["package"] is None
    ctx = Context.for_test(cwd=tmp_path)
    assert main(["smoke", f"dist/{APP}", "--expect-version", "9.9.9"], ctx) == 1
    assert "output does not name 9.9.9" in ctx.stdout.getvalue()
