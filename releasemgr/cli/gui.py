"""``releasemgr gui``: open the desktop window (also what ``releasemgr`` alone does)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from releasemgr.cli import common
from releasemgr.cli.context import Context

NAME = "gui"
HELP = "Open the desktop window (the default when releasemgr is run without arguments)."


@dataclass(frozen=True)
class Options:
    """Where the window should sign in, when given on the command line."""

    where: common.Where


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    common.add_where(parser)


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    return Options(where=common.parse_where(ns))


def run(options: Options, ctx: Context) -> int:
    """Run the window until it is closed."""
    from releasemgr.ui.app import run_gui  # Qt is imported only when the window is wanted

    return run_gui(ctx.env, api_url=options.where.api_url, repository=options.where.repo)
