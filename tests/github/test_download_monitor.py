"""The pipeline's monitor job end to end: download a run's canary releases, check, compare.

The simulator's monitor job writes its report with the same ``MonitorReport`` shape; here the
report we compute from real downloads must agree with the one the simulated job uploaded.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from releasemgr.errors import UsageError
from releasemgr.github.download import RetryPolicy, download_artifact
from releasemgr.model import Stage
from releasemgr.release.monitor import MonitorReport, monitor
from releasemgr.release.smoke import run_smoke
from tests.github.conftest import Connect, advance_until, finished, login_for, waiting_for

FAST = RetryPolicy(wait=lambda _seconds: None)


def _api(sim: Any, token: str, path: str) -> Any:
    request = urllib.request.Request(
        f"{sim.api_url}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def _artifacts(sim: Any, token: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in range(1, 20):
        path = f"/repos/{sim.repository}/actions/artifacts?per_page=100&page={page}"
        batch = _api(sim, token, path)["artifacts"]
        found.extend(batch)
        if len(batch) < 100:
            break
    return found


def _fetch(sim: Any, token: str, art: dict[str, Any], dest: Path, **kwargs: Any) -> Path:
    result = download_artifact(
        api_url=sim.api_url,
        token=token,
        repository=sim.repository,
        artifact_id=art["id"],
        dest_dir=dest,
        expected_size=art["size_in_bytes"],
        expected_digest=art.get("digest"),
        name=art["name"],
        retry=FAST,
        **kwargs,
    )
    return result.path


def _runs_with_monitor_reports(arts: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {a["workflow_run"]["id"]: a for a in arts if a["name"].startswith("monitoring-report")}


def _check_run(
    sim: Any, token: str, arts: list[dict[str, Any]], run_id: int, tmp: Path, *, healthy: bool
) -> None:
    canaries = [a for a in arts if a["workflow_run"]["id"] == run_id and "-canary-" in a["name"]]
    assert len(canaries) == 2
    dl = tmp / f"run-{run_id}"
    for art in canaries:
        # The zips as the monitor job gets them: checked against the digest only, so that
        # judging their contents is left to the monitor.
        _fetch(sim, token, art, dl, extract=False, package=False)
    ours = monitor(dl)
    report_art = _runs_with_monitor_reports(arts)[run_id]
    folder = _fetch(sim, token, report_art, tmp / "reports", package=False)
    (report_file,) = folder.glob("*.json")
    theirs = MonitorReport.from_json(report_file.read_text(encoding="utf-8"))
    assert ours.healthy == theirs.healthy == healthy
    assert ours.version == theirs.version
    assert ours.versions_consistent == theirs.versions_consistent
    assert {p.platform: (p.integrity, p.file_count) for p in ours.platforms} == {
        p.platform: (p.integrity, p.file_count) for p in theirs.platforms
    }


@pytest.mark.parametrize(
    "fail", [None, {"monitor": "canary integrity"}], ids=["healthy", "tampered"]
)
def test_monitor_over_downloaded_canaries_agrees_with_the_pipelines_report(
    gh_sim: Any, connect_as: Connect, tmp_path: Path, fail: dict[str, str] | None
) -> None:
    rm = connect_as(gh_sim, "release-manager")
    run_id = gh_sim.push(fail=fail)
    advance_until(gh_sim, rm, run_id, waiting_for("canary"))
    rm.approve(run_id, Stage.CANARY, "canary go")
    advance_until(gh_sim, rm, run_id, lambda d: finished(d) or waiting_for("production")(d))
    token = gh_sim.token(login_for(gh_sim, "qa"))
    arts = [a for a in _artifacts(gh_sim, token) if a["workflow_run"]["id"] == run_id]
    _check_run(gh_sim, token, arts, run_id, tmp_path, healthy=fail is None)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="stand-ins are shell scripts")
def test_a_downloaded_canary_passes_its_smoke_test(demo_sim: Any, tmp_path: Path) -> None:
    token = demo_sim.token(login_for(demo_sim, "qa"))
    arts = _artifacts(demo_sim, token)
    canary = next(a for a in arts if "-canary-" in a["name"] and "macos" in a["name"])
    folder = _fetch(demo_sim, token, canary, tmp_path)
    report = run_smoke(folder, timeout=30)
    assert report.passed and report.verified
    assert report.release.commit is not None
    assert report.release.commit[:7] in canary["name"]


@pytest.mark.slow
def test_a_report_artifact_without_a_digest_cannot_be_checked(
    demo_sim: Any, tmp_path: Path
) -> None:
    token = demo_sim.token(login_for(demo_sim, "qa"))
    art = next(a for a in _artifacts(demo_sim, token) if a["name"].startswith("test-report"))
    with pytest.raises(UsageError, match="no digest"):
        _fetch(demo_sim, token, {**art, "digest": None}, tmp_path, package=False)
    assert list(tmp_path.iterdir()) == []
