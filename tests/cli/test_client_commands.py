"""The client commands end to end against the simulator (in-process ``main()``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from releasemgr.errors import ExitCode
from tests.cli.client_helpers import cli, env_for
from tests.github.conftest import advance_until, finished, login_for, waiting_for


def test_runs_and_status(gh_sim: Any, tmp_path: Path) -> None:
    env = env_for(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="Shiny")
    gh_sim.advance(60)
    result = cli(["runs", "--limit", "5"], env, tmp_path)
    assert result.code == 0, result.err
    assert str(run_id) in result.out and "Shiny" in result.out
    as_json = json.loads(cli(["runs", "--json"], env, tmp_path).out)
    assert as_json[0]["id"] == run_id and as_json[0]["state"] in ("running", "queued", "pending")
    grid = cli(["status", str(run_id)], env, tmp_path)
    assert grid.code == 0, grid.err
    assert "windows" in grid.out and "production" in grid.out
    assert "\x1b[" not in grid.out  # no colour when not a terminal
    coloured = cli(["status"], env, tmp_path, tty=True)
    assert "\x1b[" in coloured.out
    detail = json.loads(cli(["status", str(run_id), "--json"], env, tmp_path).out)
    assert len(detail["cells"]) == 12


def test_approve_and_reject_commands(gh_sim: Any, connect_as: Any, tmp_path: Path) -> None:
    env = env_for(gh_sim, "release-manager")
    service = connect_as(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="Release")
    advance_until(gh_sim, service, run_id, waiting_for("canary"))
    refused = cli(
        ["approve", str(run_id), "--stage", "canary", "-m", "ok"],
        env_for(gh_sim, "reader"),
        tmp_path,
    )
    assert refused.code == ExitCode.AUTH
    assert refused.err.startswith("releasemgr: You are not a reviewer")
    ok = cli(["approve", str(run_id), "--stage", "canary", "-m", "ok"], env, tmp_path)
    assert ok.code == 0, ok.err
    assert "canary-windows" in ok.out and "canary-macos" in ok.out
    again = cli(["approve", str(run_id), "--stage", "canary", "-m", "ok"], env, tmp_path)
    assert again.code == ExitCode.CONFLICT
    advance_until(gh_sim, service, run_id, waiting_for("production"))
    rejected = cli(["reject", str(run_id), "--stage", "production", "-m", "no"], env, tmp_path)
    assert rejected.code == 0, rejected.err
    assert advance_until(gh_sim, service, run_id, finished).run.state.value == "failure"


def test_watch_follows_until_a_gate_waits(gh_sim: Any, tmp_path: Path) -> None:
    env = env_for(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="Watch me")
    result = cli(
        ["watch", str(run_id), "--interval", "60"],
        env,
        tmp_path,
        extras={"sleep": gh_sim.advance},
    )
    assert result.code == 0, result.err
    assert "windows build: success" in result.out
    assert "waits for a review" in result.out


def test_setup_environments_twice(gh_sim: Any, tmp_path: Path) -> None:
    env = env_for(gh_sim, "release-manager")
    logins = ", ".join(f'"{login_for(gh_sim, r)}"' for r in ("release-manager", "approver"))
    (tmp_path / "releasemgr.toml").write_text(
        f"[environments]\nreviewers = [{logins}]\n", encoding="utf-8"
    )
    first = cli(["setup-environments"], env, tmp_path)
    assert first.code == 0, first.err
    second = cli(["setup-environments"], env, tmp_path)
    assert second.code == 0, second.err
    assert "nothing changed" in second.out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["status", "abc"], "RUN must be a run id"),
        (["runs", "--limit", "0"], "--limit must be between"),
        (["approve", "12", "--stage", "canary", "-m", " "], "must not be empty"),
        (["download", "12"], "RUN and --name go together"),
        (["download", "--channel", "stable"], "--channel and --platform go together"),
        (["download"], "give either RUN --name NAME or --channel C --platform P"),
        (["watch", "--interval", "0"], "--interval must be a positive"),
        (["auth"], "auth needs an action"),
    ],
)
def test_bad_arguments_are_usage_errors(argv: list[str], needle: str, tmp_path: Path) -> None:
    result = cli(argv, {}, tmp_path)
    assert result.code == ExitCode.USAGE
    assert needle in result.err
    assert "Traceback" not in result.err


def test_where_precedence(tmp_path: Path) -> None:
    from releasemgr.cli import common
    from releasemgr.cli.context import Context
    from releasemgr.config import Config
    from releasemgr.errors import UsageError

    ctx = Context.for_test(
        env={"GITHUB_API_URL": "https://env.test/api/v3", "GITHUB_REPOSITORY": "env/repo"},
        cwd=tmp_path,
    )
    config = Config(api_url="https://config.test", repository="conf/repo")
    assert common.resolve_api_url(common.Where(), Config(), ctx) == "https://env.test/api/v3"
    assert common.resolve_api_url(common.Where(), config, ctx) == "https://config.test"
    assert common.resolve_api_url(common.Where(api_url="https://opt.test/"), config, ctx) == (
        "https://opt.test"
    )
    assert common.resolve_repo(common.Where(), config, ctx) == "conf/repo"
    assert common.resolve_repo(common.Where(repo="a/b"), config, ctx) == "a/b"
    empty = Context.for_test(env={}, cwd=tmp_path)
    assert common.resolve_api_url(common.Where(), Config(), empty) == "https://api.github.com"
    with pytest.raises(UsageError, match="no repository given"):
        common.resolve_repo(common.Where(), Config(), empty)


def test_not_signed_in(tmp_path: Path, memory_keyring: Any) -> None:
    result = cli(["runs", "--repo", "o/r", "--api-url", "http://127.0.0.1:9"], {}, tmp_path)
    assert result.code == ExitCode.AUTH
    assert "not signed in" in result.err and "auth login" in result.err


@pytest.mark.slow
def test_releases_download_and_rollback_commands(demo_sim: Any, tmp_path: Path) -> None:
    env = env_for(demo_sim, "release-manager")
    board = cli(["releases"], env, tmp_path)
    assert board.code == 0, board.err
    assert "stable  windows" in board.out and "history:" in board.out
    data = json.loads(cli(["releases", "--json"], env, tmp_path).out)
    assert {r["channel"] for r in data["current"]} == {"canary", "stable"}

    unconfirmed = cli(["rollback"], env, tmp_path)
    assert unconfirmed.code == ExitCode.USAGE and "--yes" in unconfirmed.err
    declined = cli(["rollback"], env, tmp_path, stdin="n\n", tty=True)
    assert declined.code == ExitCode.CANCELLED
    started = cli(["rollback", "--yes"], env, tmp_path)
    assert started.code == 0, started.err
    assert "Rollback to run" in started.out and "started: run" in started.out


@pytest.mark.slow
def test_download_command(demo_sim: Any, tmp_path: Path) -> None:
    env = env_for(demo_sim, "qa")
    target = tmp_path / "dl"
    result = cli(
        ["download", "--channel", "stable", "--platform", "windows", "--dir", str(target)],
        env,
        tmp_path,
    )
    assert result.code == 0, result.err
    assert "downloaded and verified" in result.out
    again = cli(
        ["download", "--channel", "stable", "--platform", "windows", "--dir", str(target)],
        env,
        tmp_path,
    )
    assert "already there and verified" in again.out
    missing = cli(["download", "1", "--name", "x"], env, tmp_path)
    assert missing.code == ExitCode.NOT_FOUND


def test_real_cli_in_a_subprocess(gh_sim: Any, connect_as: Any, tmp_path: Path) -> None:
    env = {**os.environ, **env_for(gh_sim, "release-manager")}
    service = connect_as(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="From a script")
    advance_until(gh_sim, service, run_id, waiting_for("canary"))

    def releasemgr(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "releasemgr", *argv],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    approved = releasemgr("approve", str(run_id), "--stage", "canary", "-m", "from CI")
    assert approved.returncode == 0, approved.stderr
    assert "Approved canary-windows, canary-macos" in approved.stdout
    again = releasemgr("approve", str(run_id), "--stage", "canary", "-m", "from CI")
    assert again.returncode == ExitCode.CONFLICT
    assert again.stderr.startswith("releasemgr: no canary gate is waiting")
    assert "Traceback" not in again.stderr
    status = json.loads(releasemgr("status", str(run_id), "--json").stdout)
    assert status["run"]["id"] == run_id
