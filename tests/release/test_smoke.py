"""Smoke tests run real processes: a stand-in executable answers, hangs, or spawns children."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from releasemgr.errors import Cancelled, InputError, VerificationFailed
from releasemgr.release.smoke import (
    ReleaseInfo,
    SmokeCheck,
    checks_for,
    locate,
    read_release_info,
    run_check,
    run_smoke,
)
from tests.release.test_monitor import APP, make_canary

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="stand-ins are POSIX scripts")

COMMIT = "0123456789abcdef0123456789abcdef01234567"

STANDIN = f"""#!{sys.executable}
import os, subprocess, sys, time
arg = sys.argv[1] if len(sys.argv) > 1 else ""
if arg == "--version":
    print("Zyra 1.2.3 (commit {COMMIT})")
elif arg == "--self-test":
    print("self-test: ok")
elif arg == "--fail":
    print("something broke", file=sys.stderr)
    sys.exit(3)
elif arg == "--wrong-version":
    print("Zyra 9.9.9")
elif arg == "--env":
    print("token" if os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN") else "clean")
elif arg == "--hang":
    # A grandchild in the same process group, recorded so the test can see it die too.
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(sys.argv[2], "w") as f:
        f.write(str(child.pid))
    print("hanging", flush=True)
    time.sleep(600)
elif arg == "--noisy":
    sys.stdout.write("x" * 100000 + "END")
"""


def write_standin(folder: Path, name: str = "Zyra") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / name
    exe.write_text(STANDIN, encoding="utf-8")
    exe.chmod(0o755)
    return exe


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_until(condition: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        threading.Event().wait(0.02)
    return False


def test_version_check_passes_on_the_commit(tmp_path: Path) -> None:
    exe = write_standin(tmp_path / "app")
    (check,) = checks_for(ReleaseInfo(version="1.2.3", commit=COMMIT), ["--version"])
    result = run_check(exe, check)
    assert result.passed, result.reason
    assert result.exit_code == 0
    assert COMMIT in result.output_tail
    assert result.duration_s > 0


def test_version_check_fails_when_neither_version_nor_commit_is_printed(tmp_path: Path) -> None:
    exe = write_standin(tmp_path / "app")
    check = SmokeCheck(name="v", args=("--wrong-version",), expect_any=("1.2.3", COMMIT))
    result = run_check(exe, check)
    assert not result.passed
    assert "neither" in result.reason


def test_exit_code_and_stderr_are_reported(tmp_path: Path) -> None:
    exe = write_standin(tmp_path / "app")
    result = run_check(exe, SmokeCheck(name="fail", args=("--fail",)))
    assert not result.passed
    assert result.exit_code == 3
    assert "something broke" in result.output_tail
    assert "exit code 3" in result.reason


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    exe = write_standin(tmp_path / "app")
    pid_file = tmp_path / "grandchild.pid"
    check = SmokeCheck(name="hang", args=("--hang", str(pid_file)), timeout=1.5)
    result = run_check(exe, check)
    assert result.timed_out and not result.passed
    assert result.exit_code is None
    assert "hanging" in result.output_tail
    grandchild = int(pid_file.read_text())
    assert _wait_until(lambda: not _alive(grandchild)), "the grandchild survived the timeout"


def test_cancel_kills_the_check_and_raises(tmp_path: Path) -> None:
    exe = write_standin(tmp_path / "app")
    cancel = threading.Event()
    pid_file = tmp_path / "grandchild.pid"
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    try:
        with pytest.raises(Cancelled):
            run_check(exe, SmokeCheck("hang", ("--hang", str(pid_file)), timeout=60), cancel=cancel)
    finally:
        timer.cancel()
    if pid_file.exists() and pid_file.read_text():
        assert _wait_until(lambda: not _alive(int(pid_file.read_text())))


def test_output_tail_is_bounded(tmp_path: Path) -> None:
    exe = write_standin(tmp_path / "app")
    result = run_check(exe, SmokeCheck(name="noisy", args=("--noisy",)))
    assert result.passed
    assert result.output_tail.endswith("END")
    assert len(result.output_tail) <= 4096


def test_the_token_is_not_passed_to_the_executable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TOKEN", "ghp_secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    exe = write_standin(tmp_path / "app")
    result = run_check(exe, SmokeCheck(name="env", args=("--env",)))
    assert result.output_tail.strip() == "clean"


def test_an_executable_that_cannot_start_fails_its_check(tmp_path: Path) -> None:
    exe = tmp_path / "not-executable"
    exe.write_text("plain text", encoding="utf-8")
    result = run_check(exe, SmokeCheck(name="v", args=("--version",)))
    assert not result.passed
    assert result.exit_code is None
    assert "could not start" in result.reason


def test_checks_from_config_lines() -> None:
    info = ReleaseInfo(version="1.2.3", commit=COMMIT)
    checks = checks_for(info, ["--version", "--self-test", "--mode 'quick run'"], timeout=5)
    assert [c.args for c in checks] == [("--version",), ("--self-test",), ("--mode", "quick run")]
    assert checks[0].expect_any == ("1.2.3", COMMIT, COMMIT[:7])
    assert checks[1].expect_any == ()
    assert all(c.timeout == 5 for c in checks)
    with pytest.raises(InputError, match=r"smoke\.checks"):
        checks_for(info, ["--mode 'unterminated"])
    with pytest.raises(InputError, match="empty"):
        checks_for(info, ["  "])


def test_release_info_comes_from_metadata_and_version_txt(tmp_path: Path) -> None:
    pkg = make_canary(tmp_path / "pkg", "linux", commit=COMMIT, version="1.2.3")
    assert read_release_info(pkg) == ReleaseInfo(app=APP, version="1.2.3", commit=COMMIT)
    assert read_release_info(None) == ReleaseInfo()
    (pkg / "metadata.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match=r"metadata\.json"):
        read_release_info(pkg)


def test_locate_finds_the_executable_in_a_package_app_folder_or_path(tmp_path: Path) -> None:
    root = make_canary(tmp_path / "pkg", "windows")
    exe = root / APP / f"{APP}.exe"
    assert locate(root) == (exe, root)
    assert locate(root / "Zyra") == (exe, root)
    assert locate(exe) == (exe, root)
    bare = write_standin(tmp_path / "loose", "tool")
    assert locate(bare) == (bare, None)


def test_locate_rejects_what_cannot_run(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        locate(tmp_path / "missing")
    archive = tmp_path / "a.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    with pytest.raises(InputError, match="extract it first"):
        locate(archive)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no executable found"):
        locate(empty)
    assert list(empty.iterdir()) == []


def test_run_smoke_verifies_then_runs_the_default_checks(tmp_path: Path) -> None:
    pkg = make_canary(tmp_path / "pkg", "linux", commit=COMMIT, version="1.2.3")
    report = run_smoke(pkg, timeout=30)
    assert report.passed and report.verified
    assert report.package == pkg and report.executable == pkg / APP / APP
    assert report.release == ReleaseInfo(app=APP, version="1.2.3", commit=COMMIT)
    data = json.loads(report.to_json())
    assert data["schema_version"] == 1 and data["passed"] is True
    assert [c["exit_code"] for c in data["checks"]] == [0, 0]


def test_run_smoke_refuses_a_package_that_fails_verification(tmp_path: Path) -> None:
    pkg = make_canary(tmp_path / "pkg", "linux")
    ran = tmp_path / "ran"
    (pkg / APP / APP).write_text(f"#!/bin/sh\ntouch {ran}\n", encoding="utf-8")
    with pytest.raises(VerificationFailed, match="nothing in it was run"):
        run_smoke(pkg)
    assert not ran.exists()


def test_a_bare_executable_runs_unverified(tmp_path: Path) -> None:
    exe = write_standin(tmp_path / "loose")
    report = run_smoke(exe, specs=["--self-test"])
    assert report.passed and not report.verified and report.package is None


def test_a_process_that_escapes_the_group_does_not_hang_the_check(tmp_path: Path) -> None:
    exe = tmp_path / "escaper"
    pid_file = tmp_path / "escaped.pid"
    # setsid leaves the check's process group but keeps its stdout: the pipe stays open.
    exe.write_text(
        f"#!/bin/sh\nsetsid sh -c 'echo $$ > {pid_file}; exec sleep 30' &\n"
        f"while [ ! -s {pid_file} ]; do sleep 0.05; done\necho started\n",
        encoding="utf-8",
    )
    exe.chmod(0o755)
    try:
        result = run_check(exe, SmokeCheck(name="escape", args=(), timeout=10))
        assert result.passed and result.exit_code == 0
        assert "started" in result.output_tail
        assert result.duration_s < 10
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
