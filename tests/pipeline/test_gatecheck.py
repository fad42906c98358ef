"""``releasemgr gatecheck``: two distinct approvers and a healthy canary, read from GitHub.

The judgement is tested on plain histories; the command end to end against the simulator over
real HTTP, walking one run to its production gates the way people would.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasemgr.cli import gatecheck
from releasemgr.cli.context import Context
from releasemgr.errors import InputError, UsageError
from releasemgr.model import Approval
from releasemgr.release.monitor import PlatformHealth, build_report
from releasemgr.sim import Simulator

GATES = ("production-signoff", "production-windows")


def _approval(user: str, *envs: str, state: str = "approved") -> Approval:
    return Approval(user=user, state=state, comment="", environments=envs)


def test_two_people_pass() -> None:
    verdict = gatecheck.judge(
        [_approval("ana", "production-signoff"), _approval("bo", "production-windows")], GATES, 2
    )
    assert verdict.passed and verdict.approvers == ("ana", "bo")


def test_one_person_on_both_gates_is_refused() -> None:
    verdict = gatecheck.judge(
        [_approval("ana", "production-signoff"), _approval("ana", "production-windows")], GATES, 2
    )
    assert not verdict.passed
    assert verdict.reasons == ("1 distinct approver(s) (ana); 2 different people needed",)


def test_missing_gate_and_rejection_are_named() -> None:
    verdict = gatecheck.judge(
        [
            _approval("ana", "production-signoff"),
            _approval("bo", "production-windows", state="rejected"),
            _approval("cy", "canary-windows"),  # another gate: not counted
        ],
        GATES,
        2,
    )
    assert not verdict.passed
    assert "production-windows was rejected by bo" in verdict.reasons
    assert "production-windows has no approval in the run's history" in verdict.reasons


def _parse(*argv: str) -> gatecheck.Options:
    parser = argparse.ArgumentParser()
    gatecheck.add_arguments(parser)
    return gatecheck.parse(parser.parse_args(argv))


def test_parse() -> None:
    options = _parse("42", "--environment", "a", "--environment", "b", "--environment", "a")
    assert (options.run_id, options.environments, options.approvers) == (42, ("a", "b"), 2)
    assert options.report is None
    with pytest.raises(UsageError, match="RUN 'x' is not a run id"):
        _parse("x", "--environment", "a")
    with pytest.raises(UsageError, match="--approvers 0"):
        _parse("1", "--environment", "a", "--approvers", "0")


# --- end to end against the simulator --------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(seed=1, scenario="basic") as running:
        yield running


def _api(sim: Simulator, login: str, path: str, body: object = None) -> object:
    request = urllib.request.Request(
        f"{sim.api_url}/repos/{sim.repository}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {sim.token(login)}", "Accept": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _wait_for_gates(sim: Simulator, login: str, run_id: int, want: set[str]) -> dict[str, int]:
    for _ in range(400):
        pending = _api(sim, login, f"/actions/runs/{run_id}/pending_deployments")
        assert isinstance(pending, list)
        found = {p["environment"]["name"]: p["environment"]["id"] for p in pending}
        if want <= set(found):
            return {name: found[name] for name in want}
        sim.advance(30)
    raise AssertionError(f"run {run_id} never waited at {sorted(want)}")


def _approve(sim: Simulator, login: str, run_id: int, gates: dict[str, int]) -> None:
    body = {"environment_ids": list(gates.values()), "state": "approved", "comment": "go"}
    _api(sim, login, f"/actions/runs/{run_id}/pending_deployments", body)


def _report(tmp_path: Path, healthy: bool) -> Path:
    platforms = [
        PlatformHealth(p, f"canary/{p}", "abc1234", "canary", integrity=True, file_count=3)
        for p in (("windows", "macos") if healthy else ("windows",))
    ]
    path = tmp_path / "monitoring-report.json"
    path.write_text(build_report(platforms, expected_platforms=("windows", "macos")).to_json())
    return path


def _gatecheck(sim: Simulator, tmp_path: Path, run_id: int, *extra: str) -> tuple[int, str]:
    env = {
        "GITHUB_TOKEN": sim.token(sim.login_for_role("qa")),
        "GITHUB_API_URL": sim.api_url,
        "GITHUB_REPOSITORY": sim.repository,
    }
    ctx = Context.for_test(env=env, cwd=tmp_path)
    options = _parse(str(run_id), *(f"--environment={g}" for g in GATES), *extra)
    code = gatecheck.run(options, ctx)
    return code, ctx.stdout.getvalue()  # type: ignore[attr-defined]


def test_production_needs_the_second_person(sim: Simulator, tmp_path: Path) -> None:
    manager = sim.login_for_role("release-manager")
    approver = sim.login_for_role("approver")
    run_id = sim.push(branch="main", title="Ship it")
    canary = _wait_for_gates(sim, manager, run_id, {"canary-windows", "canary-macos"})
    _approve(sim, manager, run_id, canary)
    signoff = _wait_for_gates(sim, manager, run_id, {"production-signoff"})
    _approve(sim, manager, run_id, signoff)
    _wait_for_gates(sim, manager, run_id, {"production-windows"})

    # Only the sign-off so far: the production job must not go on.
    code, out = _gatecheck(sim, tmp_path, run_id)
    assert code == 1
    assert "production-windows has no approval" in out

    _approve(sim, approver, run_id, _wait_for_gates(sim, approver, run_id, {"production-windows"}))
    before = len(sim.requests)
    code, out = _gatecheck(sim, tmp_path, run_id, f"--report={_report(tmp_path, True)}")
    assert code == 0, out
    # One read an Actions token may make: no /user, no jobs, no pending deployments.
    made = [(r.method, r.path) for r in sim.requests[before:]]
    assert made == [("GET", f"/repos/{sim.repository}/actions/runs/{run_id}/approvals")]
    assert f"by {', '.join(sorted([manager, approver]))}" in out

    code, out = _gatecheck(sim, tmp_path, run_id, f"--report={_report(tmp_path, False)}")
    assert code == 1
    assert "canary unhealthy: no canary artifact for macos" in out


def test_bad_report_is_refused_before_any_request(sim: Simulator, tmp_path: Path) -> None:
    bad = tmp_path / "report.json"
    bad.write_text("{not json")
    before = len(sim.requests)
    with pytest.raises(InputError, match=f"^{bad}: not valid JSON"):
        _gatecheck(sim, tmp_path, 1, f"--report={bad}")
    with pytest.raises(InputError, match="cannot read the monitoring report"):
        _gatecheck(sim, tmp_path, 1, f"--report={tmp_path / 'missing.json'}")
    assert len(sim.requests) == before


@pytest.mark.slow
def test_real_cli_without_token_exits_3(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "releasemgr", "gatecheck", "7", "--environment", "x"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "", "GITHUB_REPOSITORY": "o/r", "RELEASEMGR_CONFIG_DIR": str(tmp_path)},
        check=False,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("releasemgr: ")
    assert "Traceback" not in result.stderr
