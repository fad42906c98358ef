"""What the Releases page runs on the thread pool: download, verify, smoke test (no Qt here).

Each function takes the task's context for progress and cancel, calls the core, and returns a
plain value the page shows. They run on a worker, so they may touch the disk and the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasemgr.model import Release
from releasemgr.ui.pages.verify import VerifyOutcome, verify_for_page

if TYPE_CHECKING:
    from releasemgr.github.service import ReleaseService
    from releasemgr.ui.tasks import TaskContext


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
        if check.reason:
            lines.append(f"      {check.reason}")
        tail = check.output_tail.rstrip()
        if tail:
            lines.extend(f"    | {line}" for line in tail.splitlines()[-12:])
    return "\n".join(lines)
