"""``releasemgr setup-environments``: create or update the five gate environments."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode

NAME = "setup-environments"
HELP = "Create or update the canary and production gate environments (safe to run again)."


@dataclass(frozen=True)
class Options:
    """Where to set the environments up."""

    where: common.Where


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    common.add_where(parser)


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    return Options(where=common.parse_where(ns))


def run(options: Options, ctx: Context) -> int:
    """Set up and print what changed."""
    service = common.connect(options.where, ctx)
    changes = service.setup_environments()
    for line in changes:
        print(line, file=ctx.stdout)
    if not changes:
        print("All environments are already set up; nothing changed.", file=ctx.stdout)
    return ExitCode.OK
