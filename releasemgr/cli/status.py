"""``releasemgr status [RUN]``: the platform x stage grid of a run and its gates."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode, UsageError
from releasemgr.model import RunDetail, Stage

NAME = "status"
HELP = "Show the platform x stage grid of a run (the latest by default) and its gates."


@dataclass(frozen=True)
class Options:
    """What ``status`` was asked to show."""

    run_id: int | None
    json: bool
    where: common.Where


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("run", nargs="?", metavar="RUN", help="run id (default: the latest)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    common.add_where(parser)


def parse_run_id(text: str | None) -> int | None:
    """A run id from the command line; UsageError for anything but a positive number."""
    if text is None:
        return None
    if not text.isdigit() or int(text) <= 0:
        raise UsageError(f"RUN must be a run id (a positive number), not {text!r}")
    return int(text)


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    return Options(run_id=parse_run_id(ns.run), json=ns.json, where=common.parse_where(ns))


def render(detail: RunDetail, ctx: Context) -> str:
    """The grid and gates as text lines."""
    r = detail.run
    lines = [
        f"run {r.id} (#{r.number}, attempt {r.attempt})  {r.branch}  {r.short_sha}  "
        f"{common.paint(r.state.value, r.state.value, ctx)}  by {r.actor}",
        f"  {r.title}",
        "",
        f"{'':<10}" + "".join(f"{s.value:<12}" for s in Stage),
    ]
    for platform in detail.platforms:
        row = f"{platform.value:<10}"
        for stage in Stage:
            cell = detail.cell(platform, stage)
            row += common.paint(f"{cell.state.value:<12}", cell.state.value, ctx)
        lines.append(row)
    for gate in detail.waiting_gates:
        who = "You may review" if gate.may_approve else (gate.reason or "You may not review")
        lines.append(
            f"gate {gate.environment}: waiting, {gate.progress} approvals"
            + (f" (by {', '.join(gate.approved_by)})" if gate.approved_by else "")
            + f"; {who}"
        )
    return "\n".join(lines)


def run(options: Options, ctx: Context) -> int:
    """Print the grid."""
    service = common.connect(options.where, ctx)
    run_id = options.run_id or service.latest_run_id()
    detail = service.run_detail(run_id)
    if options.json:
        common.print_json(detail, ctx)
    else:
        print(render(detail, ctx), file=ctx.stdout)
    return ExitCode.OK
