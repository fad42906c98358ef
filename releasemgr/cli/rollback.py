"""``releasemgr rollback [--to RUN] [--yes]``: restore an earlier production release."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.cli.status import parse_run_id
from releasemgr.errors import Cancelled, ExitCode, UsageError

NAME = "rollback"
HELP = "Roll production back to an earlier run's release (default: the one before the current)."


@dataclass(frozen=True)
class Options:
    """Which release to restore, and whether to skip the question."""

    to_run: int | None
    yes: bool
    where: common.Where


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("--to", metavar="RUN", help="run whose production release to restore")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    common.add_where(parser)


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    return Options(to_run=parse_run_id(ns.to), yes=ns.yes, where=common.parse_where(ns))


def run(options: Options, ctx: Context) -> int:
    """Check the target, confirm, dispatch, print the new run."""
    service = common.connect(options.where, ctx)
    target = service.rollback_target(options.to_run)
    if not options.yes:
        if not ctx.can_prompt:
            raise UsageError(f"rolling back to run {target} needs confirmation: pass --yes")
        ctx.stderr.write(
            f"Restore run {target}'s production release through the production gates? [y/N] "
        )
        ctx.stderr.flush()
        if ctx.stdin.readline().strip().lower() not in ("y", "yes"):
            raise Cancelled("rollback not started")
    started = service.rollback(target)
    said = f"Rollback to run {target} started: run {started.id} (#{started.number})"
    print(f"{said} {started.html_url}".rstrip(), file=ctx.stdout)
    common.record(ctx, "rollback", said, service=service, run_id=started.id)
    return ExitCode.OK
