"""``releasemgr approve RUN --stage canary|production -m COMMENT``: review a run's gates.

Both platforms of the stage go in one POST. ``reject`` is the same command with the other verdict.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.cli.status import parse_run_id
from releasemgr.errors import ExitCode, UsageError
from releasemgr.model import Platform, Stage

NAME = "approve"
HELP = "Approve the waiting canary or production gates of a run (all platforms in one go)."


@dataclass(frozen=True)
class Options:
    """What review to send."""

    run_id: int
    stage: Stage
    platforms: tuple[Platform, ...]
    comment: str
    where: common.Where


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("run", metavar="RUN", help="run id")
    parser.add_argument("--stage", required=True, choices=["canary", "production"])
    parser.add_argument(
        "--platform",
        action="append",
        default=[],
        choices=[p.value for p in Platform],
        help="only this platform (repeatable; default: every waiting one)",
    )
    parser.add_argument("-m", "--comment", required=True, help="the review comment (required)")
    common.add_where(parser)


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    run_id = parse_run_id(ns.run)
    assert run_id is not None
    if not ns.comment.strip():
        raise UsageError("-m COMMENT must not be empty")
    return Options(
        run_id=run_id,
        stage=Stage(ns.stage),
        platforms=tuple(Platform(p) for p in ns.platform),
        comment=ns.comment,
        where=common.parse_where(ns),
    )


def review(options: Options, ctx: Context, state: str) -> int:
    """Send the review and print what it did."""
    service = common.connect(options.where, ctx)
    call = service.approve if state == "approved" else service.reject
    decision = call(options.run_id, options.stage, options.comment, options.platforms or None)
    verb = "Approved" if state == "approved" else "Rejected"
    said = f"{verb} {', '.join(decision.environments)} on run {decision.run_id} as {decision.user}."
    print(said, file=ctx.stdout)
    kind = "approval" if state == "approved" else "rejection"
    common.record(
        ctx, kind, f"{said} Comment: {options.comment}", service=service, run_id=decision.run_id
    )
    return ExitCode.OK


def run(options: Options, ctx: Context) -> int:
    """Approve."""
    return review(options, ctx, "approved")
