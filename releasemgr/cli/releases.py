"""``releasemgr releases``: current canary and stable release per platform, and the history."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode
from releasemgr.model import Channel, Release

NAME = "releases"
HELP = "Show the current canary and stable release of each platform and the history."


@dataclass(frozen=True)
class Options:
    """What ``releases`` was asked to show."""

    json: bool
    where: common.Where


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("--json", action="store_true", help="print JSON")
    common.add_where(parser)


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    return Options(json=ns.json, where=common.parse_where(ns))


def _line(r: Release) -> str:
    expires = r.artifact.expires_at.strftime("%Y-%m-%d") if r.artifact.expires_at else "-"
    deployed = r.deployed_at.strftime("%Y-%m-%d %H:%M") if r.deployed_at else "-"
    gone = " (expired)" if r.artifact.expired else ""
    return (
        f"{r.channel.value:<7} {r.platform.value:<8} {r.version:<12} {r.short_commit}  "
        f"run {r.run_id:<8} {deployed}  {r.traffic_percentage:>3}%  expires {expires}{gone}"
    )


def run(options: Options, ctx: Context) -> int:
    """Print the board."""
    service = common.connect(options.where, ctx)
    board = service.releases()
    if options.json:
        common.print_json(
            {"current": list(board.current.values()), "history": list(board.history)}, ctx
        )
        return ExitCode.OK
    print("current:", file=ctx.stdout)
    for channel in (Channel.STABLE, Channel.CANARY):
        for platform in service.config.platform_list():
            release = board.current_for(channel, platform)
            text = _line(release) if release else f"{channel.value:<7} {platform.value:<8} none"
            print(f"  {text}", file=ctx.stdout)
    print("history:", file=ctx.stdout)
    for release in board.history:
        print(f"  {_line(release)}", file=ctx.stdout)
    return ExitCode.OK
