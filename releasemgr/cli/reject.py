"""``releasemgr reject RUN --stage canary|production -m COMMENT``: reject a run's gates."""

from __future__ import annotations

import argparse

from releasemgr.cli import approve
from releasemgr.cli.context import Context

NAME = "reject"
HELP = "Reject the waiting canary or production gates of a run (the run then fails)."
Options = approve.Options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The same arguments as ``approve``."""
    approve.add_arguments(parser)


def parse(ns: argparse.Namespace) -> approve.Options:
    """Fill the options from parsed arguments; no work."""
    return approve.parse(ns)


def run(options: approve.Options, ctx: Context) -> int:
    """Reject."""
    return approve.review(options, ctx, "rejected")
