"""Releases from the artifact list, download through the service, rollback, KPIs (demo world).

Marked slow: the demo world holds about 40 runs and 330 artifacts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from releasemgr.errors import ConflictError
from releasemgr.model import Channel, KpiStatus, Platform
from tests.github.conftest import Connect


@pytest.mark.slow
def test_release_board_and_kpis(demo_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(demo_sim, "release-manager")
    board = rm.releases()
    stable = board.current_for(Channel.STABLE, Platform.WINDOWS)
    assert stable is not None and stable.traffic_percentage == 100
    assert stable.version and len(stable.commit) >= 7
    assert board.current_for(Channel.STABLE, Platform.MACOS) is not None
    assert board.previous_production_run() is not None
    report = rm.kpis(30)
    assert report.get("build_success_rate").samples >= 10
    assert all(k.status != KpiStatus.UNKNOWN for k in report.kpis)


@pytest.mark.slow
def test_download_current_stable_release(
    demo_sim: Any, connect_as: Connect, tmp_path: Path
) -> None:
    qa = connect_as(demo_sim, "qa")
    ref = qa.artifact_for(channel=Channel.STABLE, platform=Platform.MACOS)
    folder = qa.download(ref, tmp_path)
    assert folder.is_dir() and folder.parent == tmp_path
    assert (folder / "checksums.txt").is_file() or any(folder.rglob("checksums.txt"))
    again = qa.fetch_artifact(ref, tmp_path)
    assert again.reused


@pytest.mark.slow
def test_rollback_dispatches_with_the_target_as_input(demo_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(demo_sim, "release-manager")
    target = rm.rollback_target()
    assert target == rm.releases().previous_production_run()
    started = rm.rollback()
    assert started.event == "workflow_dispatch"
    assert started.branch == "main"
    assert started.id not in {target}
    assert rm.list_runs(1)[0].id == started.id


@pytest.mark.slow
def test_rollback_outside_retention_is_refused(demo_sim: Any, connect_as: Connect) -> None:
    rm = connect_as(demo_sim, "release-manager")
    oldest = min(
        (r for r in rm.releases().history if r.channel == Channel.STABLE),
        key=lambda r: r.artifact.created_at or r.deployed_at,  # type: ignore[arg-type,return-value]
    )
    demo_sim.advance(91 * 86400)
    with pytest.raises(ConflictError, match="outside retention"):
        rm.rollback_target(oldest.run_id)
