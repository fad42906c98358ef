"""The monitor job's report over a run's canary releases, in ``release.monitor``'s one shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from releasemgr.release.manifest import CHANNEL_FILES
from releasemgr.release.monitor import PlatformHealth, build_report
from releasemgr.sim.entities import Run
from releasemgr.sim.pipeline import PLATFORMS
from releasemgr.sim.standins import package_file_count

if TYPE_CHECKING:
    from releasemgr.sim.world import World


def monitoring_report(world: World, run: Run, at: float) -> dict[str, Any]:
    """What the monitor job finds in this run's canary releases, as report JSON data.

    A canary release planned as tampered (``recipe["tamper"]``) really is tampered in its zip,
    so the report's verdict and a download's verification agree.
    """
    found: list[PlatformHealth] = []
    for platform in PLATFORMS:
        # The latest canary upload of the run (a re-run may keep an earlier attempt's).
        candidates = [
            a
            for a in world.artifacts.values()
            if a.run_id == run.id
            and a.kind == "canary"
            and a.recipe.get("platform") == platform
            and not a.deleted
        ]
        art = candidates[-1] if candidates else None
        if art is None:
            continue
        app = str(art.recipe["app"])
        tampered = bool(art.recipe.get("tamper"))
        found.append(
            PlatformHealth(
                platform=platform,
                artifact=f"{art.name}.zip",
                version=str(art.recipe["commit"]),
                channel=str(art.recipe.get("channel") or "canary"),
                integrity=not tampered,
                # checksums.txt lists the onedir folder and the channel files
                file_count=package_file_count(app, platform) + len(CHANNEL_FILES),
                problems=(f"{app}/_internal/base_library.zip: mismatch",) if tampered else (),
            )
        )
    report = build_report(
        found,
        expected_platforms=PLATFORMS,
        expected_version=run.head_sha,
        now=datetime.fromtimestamp(at, UTC),
    )
    return report.to_dict()
