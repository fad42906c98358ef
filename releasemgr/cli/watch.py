"""``releasemgr watch [RUN]``: follow a run until it needs someone or ends.

Polls with kept ETags, so a poll where nothing changed costs no rate limit.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.cli.status import parse_run_id, render
from releasemgr.errors import ExitCode, UsageError
from releasemgr.model import CellState, Stage

NAME = "watch"
HELP = "Follow a run (the latest by default) until it waits for a review or ends."


@dataclass(frozen=True)
class Options:
    """Which run to follow and how often to look."""

    run_id: int | None
    interval: float
    max_polls: int | None
    where: common.Where


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("run", nargs="?", metavar="RUN", help="run id (default: the latest)")
    parser.add_argument(
        "--interval",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds between polls (default 10)",
    )
    parser.add_argument("--max-polls", type=int, metavar="N", help="stop after N polls")
    common.add_where(parser)


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    if not ns.interval > 0:
        raise UsageError(f"--interval must be a positive number of seconds, not {ns.interval:g}")
    if ns.max_polls is not None and ns.max_polls < 1:
        raise UsageError(f"--max-polls must be at least 1, not {ns.max_polls}")
    return Options(parse_run_id(ns.run), ns.interval, ns.max_polls, common.parse_where(ns))


def run(options: Options, ctx: Context) -> int:
    """Poll and print changes; 0 when the run succeeded or waits for a review, 1 if it failed."""
    service = common.connect(options.where, ctx)
    sleep = ctx.extras.get("sleep")
    pause = sleep if callable(sleep) else time.sleep
    run_id = options.run_id or service.latest_run_id()
    seen: dict[tuple[str, str], CellState] = {}
    polls = 0
    while True:
        detail = service.run_detail(run_id)
        polls += 1
        for platform in detail.platforms:
            for stage in Stage:
                cell = detail.cell(platform, stage)
                key = (platform.value, stage.value)
                if seen.get(key) != cell.state:
                    if key in seen or cell.state != CellState.PENDING:
                        state = common.paint(cell.state.value, cell.state.value, ctx)
                        print(f"{platform.value} {stage.value}: {state}", file=ctx.stdout)
                    seen[key] = cell.state
        ctx.stdout.flush()
        if detail.waiting_gates:
            print(render(detail, ctx), file=ctx.stdout)
            print(f"run {run_id} waits for a review.", file=ctx.stdout)
            return ExitCode.OK
        if detail.run.state.finished:
            print(f"run {run_id} finished: {detail.run.state.value}", file=ctx.stdout)
            return ExitCode.OK if detail.run.state == CellState.SUCCESS else ExitCode.FAILED
        if options.max_polls is not None and polls >= options.max_polls:
            print(f"run {run_id} is still {detail.run.state.value}", file=ctx.stdout)
            return ExitCode.OK
        pause(options.interval)
