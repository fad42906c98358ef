"""``releasemgr verify PATH [--json]``: check a package folder or zip against its checksums."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode

NAME = "verify"
HELP = "verify a release package (folder or .zip) against its checksums.txt, offline"

_MAX_LISTED = 50  # failing files printed before "... and N more" (--json has them all)


@dataclass(frozen=True)
class Options:
    """What ``verify`` was asked to do."""

    path: Path
    json: bool = False
    workers: int | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``verify``."""
    parser.add_argument(
        "path",
        type=Path,
        metavar="PATH",
        help="a package folder (with checksums.txt), its .zip as GitHub serves it, "
        "or a zip holding only that zip",
    )
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.add_argument(
        "--workers", type=int, default=None, metavar="N", help="hashing threads (default: cores)"
    )


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from the parsed arguments."""
    return Options(path=ns.path, json=ns.json, workers=ns.workers)


def run(options: Options, ctx: Context) -> int:
    """Verify, print the summary (or JSON), return 0 when verified and 1 when not."""
    from releasemgr.cli.progress import progress_bar
    from releasemgr.errors import UsageError
    from releasemgr.release.verify import verify_path

    if options.workers is not None and options.workers < 1:
        raise UsageError(f"--workers: must be at least 1 ({options.workers})")
    path = options.path if options.path.is_absolute() else ctx.cwd / options.path
    bar = progress_bar(ctx, "verifying")
    try:
        report = verify_path(path, progress=bar.update if bar else None, workers=options.workers)
    finally:
        if bar:
            bar.close()
    if options.json:
        print(report.to_json(), file=ctx.stdout)
    else:
        print(report.summary(), file=ctx.stdout)
        failures = report.failures
        for item in failures[:_MAX_LISTED]:
            detail = f"  ({item.detail})" if item.detail else ""
            print(f"  {item.verdict:<8}  {item.path}{detail}", file=ctx.stdout)
        if len(failures) > _MAX_LISTED:
            print(
                f"  ... and {len(failures) - _MAX_LISTED} more (--json lists all)", file=ctx.stdout
            )
        for problem in report.problems:
            print(f"  metadata  {problem}", file=ctx.stdout)
    from releasemgr.cli.common import record

    record(ctx, "verification", f"{report.summary()} ({path})", ok=report.ok)
    return int(ExitCode.OK if report.ok else ExitCode.FAILED)
