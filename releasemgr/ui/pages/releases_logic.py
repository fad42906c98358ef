"""The Qt-free half of the Releases page: its texts, rollback targets, and pool work.

The work functions (download, verify, smoke) take the task's context for progress and cancel,
call the core and return a plain value the page shows. They run on a worker, so they may touch
the disk and the network; the page itself never does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasemgr.model import Channel, Release, ReleaseBoard
from releasemgr.ui.pages.verify import VerifyOutcome, verify_for_page

if TYPE_CHECKING:
    from releasemgr.github.service import ReleaseService
    from releasemgr.ui.tasks import TaskContext

CHANNEL_LABELS = {Channel.STABLE: "Production", Channel.CANARY: "Canary"}


@dataclass(frozen=True)
class LocalState:
    """What this window did with one release's artifact."""

    folder: Path | None = None
    verified: VerifyOutcome | None = None
    smoke: Any = None  # the core's SmokeReport
    smoke_path: Path | None = None


def expires_text(release: Release, now: datetime) -> str:
    """``"in 5 days"``, ``"expired"`` or ``""``."""
    artifact = release.artifact
    if artifact.expired:
        return "expired"
    if artifact.expires_at is None:
        return ""
    seconds = (artifact.expires_at - now).total_seconds()
    if seconds <= 0:
        return "expired"
    days = int(seconds // 86400)
    if days >= 1:
        return f"in {days} day{'s' if days != 1 else ''}"
    return f"in {max(1, int(seconds // 3600))} h"


def release_label(release: Release) -> str:
    """``"ZyraVideoAgentBackend 1.9.3 (abc1234) for windows, production"``."""
    commit = f" ({release.short_commit})" if release.commit else ""
    return (
        f"{release.app} {release.version}{commit} for {release.platform.value}, "
        f"{CHANNEL_LABELS[release.channel].lower()}"
    )


def rollback_targets(board: ReleaseBoard) -> list[Release]:
    """One production release per earlier run, newest first (the current run excluded)."""
    stable = [r for r in board.history if r.channel == Channel.STABLE]
    if not stable:
        return []
    current_run = stable[0].run_id
    seen: set[int] = {current_run}
    targets = []
    for release in stable:
        if release.run_id not in seen:
            seen.add(release.run_id)
            targets.append(release)
    return targets


def rollback_text(board: ReleaseBoard, target: Release) -> str:
    """The confirmation: exactly what a rollback to ``target``'s run will do."""
    stable = [r for r in board.history if r.channel == Channel.STABLE]
    platforms = sorted({r.platform.value for r in stable if r.run_id == target.run_id})
    current = stable[0] if stable else None
    now = ""
    if current is not None:
        now = (
            f"Production now runs {current.version} ({current.short_commit}) "
            f"from run #{current.run_number}. "
        )
    return (
        f"{now}This starts a new run of the deployment workflow that downloads the production "
        f"release of run #{target.run_number} — {target.version} ({target.short_commit}), "
        f"{', '.join(platforms)} — verifies it again and publishes it as the current production "
        "release. Like any production deploy it waits at the production gates until two "
        "different people approve it. Nothing changes for users until then, and the current "
        "release stays in the history."
    )


def download(service: ReleaseService, release: Release, target: Path, ctx: TaskContext) -> Path:
    """Download, check and extract ``release``'s artifact under ``target``; returns its folder.

    An artifact already downloaded and verified there is reused, so "Download again" after a
    cancel or a failure only fetches what is missing.
    """
    return service.download(release.artifact, target, progress=ctx.progress, cancel=ctx.cancelled)


def verify(folder: Path, ctx: TaskContext) -> VerifyOutcome:
    """Verify a downloaded release folder offline."""
    return verify_for_page(folder, ctx.cancelled, ctx.progress)


def smoke(
    folder: Path, ctx: TaskContext, checks: Sequence[str], timeout: float
) -> tuple[Any, Path | None]:
    """Smoke-test the executable in ``folder``; keep the report beside it as JSON.

    Returns the core's ``SmokeReport`` and where the report was kept (None if it could not be
    written; the report is still shown).
    """
    from releasemgr.release import smoke as core

    report = core.run_smoke(folder, specs=checks, timeout=timeout, cancel=ctx.cancelled)
    kept = folder.with_name(f"{folder.name}.smoke.json")
    try:
        core.write_report(report, kept)
    except OSError:
        return report, None
    return report, kept


def smoke_text(report: Any) -> str:
    """The smoke report as a person reads it: verdict, then each check with its output tail."""
    lines = [report.summary(), ""]
    release = report.release
    what = " ".join(x for x in (release.app, release.version, release.commit) if x)
    if what:
        lines.append(f"Release: {what}")
    lines.append(f"Executable: {report.executable}")
    lines.append(
        "Package verified before running" if report.verified else "No package to verify against"
    )
    for check in report.checks:
        verdict = "PASS" if check.passed else "FAIL"
        code = "killed (timeout)" if check.timed_out else f"exit {check.exit_code}"
        lines += ["", f"{verdict}  {check.name}  ({code}, {check.duration_s:.2f} s)"]
        if check.reason and not check.passed:
            lines.append(f"      {check.reason}")
        tail = check.output_tail.rstrip()
        if tail:
            lines.extend(f"    | {line}" for line in tail.splitlines()[-12:])
    return "\n".join(lines)


def human_size(size: int) -> str:
    """``"812 KiB"``, ``"48.2 MiB"``, ``"1.00 GiB"``."""
    if size < 2**20:
        return f"{max(1, round(size / 1024))} KiB"
    if size < 2**30:
        return f"{size / 2**20:.1f} MiB"
    return f"{size / 2**30:.2f} GiB"
