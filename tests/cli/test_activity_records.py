"""The CLI notes what the user did in the same activity log the window's Activity page reads."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from releasemgr.activity import ActivityKind, ActivityLog, Outcome
from tests.cli.client_helpers import cli, env_for
from tests.github.conftest import advance_until, login_for, waiting_for

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample"


def _events(data_dir: Path) -> list[Any]:
    return list(ActivityLog(data_dir / "activity.jsonl").read().events)


def test_verify_and_smoke_are_recorded_with_their_outcome(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"RELEASEMGR_DATA_DIR": str(data)}
    package = tmp_path / "sample"
    shutil.copytree(SAMPLE, package)
    assert cli(["verify", str(package)], env, tmp_path).code == 0
    assert cli(["smoke", str(package)], env, tmp_path).code == 0
    (package / "ZyraVideoAgentBackend" / "_internal" / "extra.txt").write_text("not listed")
    assert cli(["verify", str(package)], env, tmp_path).code == 1

    events = _events(data)
    kinds = [(e.kind, e.outcome) for e in events]
    assert (ActivityKind.VERIFICATION, Outcome.OK) in kinds
    assert (ActivityKind.SMOKE_TEST, Outcome.OK) in kinds
    assert (ActivityKind.VERIFICATION, Outcome.FAILED) in kinds
    assert all(str(package) in e.summary for e in events)


def test_an_approval_is_recorded_with_who_where_and_the_run(
    gh_sim: Any, connect_as: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {**env_for(gh_sim, "release-manager"), "RELEASEMGR_DATA_DIR": str(data)}
    login = login_for(gh_sim, "release-manager")
    run_id = gh_sim.push(branch="main", title="Record me")
    advance_until(gh_sim, connect_as(gh_sim, "release-manager"), run_id, waiting_for("canary"))
    argv = ["approve", str(run_id), "--stage", "canary", "-m", "canary looks fine"]
    result = cli(argv, env, tmp_path)
    assert result.code == 0, result.err

    [event] = _events(data)
    assert event.kind == ActivityKind.APPROVAL
    assert event.user == login
    assert event.run_id == run_id
    assert event.repository == gh_sim.repository
    assert "canary looks fine" in event.summary
    assert gh_sim.token(login) not in (data / "activity.jsonl").read_text(encoding="utf-8")
