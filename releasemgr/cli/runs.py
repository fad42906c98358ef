"""``releasemgr runs``: the latest runs of the workflow."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode, UsageError

NAME = "runs"
HELP = "List the latest runs of the workflow."


@dataclass(frozen=True)
class Options:
    """What ``runs`` was asked to show."""

    limit: int
    json: bool
    where: common.Where


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="how many (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    common.add_where(parser)


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    if not 1 <= ns.limit <= 1000:
        raise UsageError(f"--limit must be between 1 and 1000, not {ns.limit}")
    return Options(limit=ns.limit, json=ns.json, where=common.parse_where(ns))


def run(options: Options, ctx: Context) -> int:
    """Print the runs."""
    service = common.connect(options.where, ctx)
    runs = service.list_runs(options.limit)
    if options.json:
        common.print_json(runs, ctx)
        return ExitCode.OK
    for r in runs:
        state = common.paint(f"{r.state.value:<9}", r.state.value, ctx)
        print(
            f"{r.id:>10}  #{r.number:<5} {state} {r.branch[:16]:<16} {r.short_sha}  "
            f"{common.age(r.created_at):>4}  {r.actor[:14]:<14} {r.title}",
            file=ctx.stdout,
        )
    if not runs:
        print("no runs yet", file=ctx.stdout)
    return ExitCode.OK
