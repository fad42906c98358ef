"""``releasemgr download``: fetch, check and unpack an artifact of a run or a current release."""

from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.cli.status import parse_run_id
from releasemgr.errors import ExitCode, UsageError
from releasemgr.model import Channel, Platform

NAME = "download"
HELP = "Download an artifact (RUN --name NAME, or --channel C --platform P), verify and unpack it."


@dataclass(frozen=True)
class Options:
    """Which artifact to fetch and where to put it."""

    run_id: int | None
    name: str | None
    channel: Channel | None
    platform: Platform | None
    directory: Path
    where: common.Where


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("run", nargs="?", metavar="RUN", help="run id (with --name)")
    parser.add_argument("--name", help="artifact name (or a unique prefix of it)")
    parser.add_argument("--channel", choices=[c.value for c in Channel])
    parser.add_argument("--platform", choices=[p.value for p in Platform])
    parser.add_argument("--dir", default=".", metavar="D", help="target folder (default: here)")
    common.add_where(parser)


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    by_run = ns.run is not None or ns.name is not None
    by_channel = ns.channel is not None or ns.platform is not None
    if by_run == by_channel:
        raise UsageError("give either RUN --name NAME or --channel C --platform P")
    if by_run and (ns.run is None or not ns.name):
        raise UsageError("RUN and --name go together")
    if by_channel and (ns.channel is None or ns.platform is None):
        raise UsageError("--channel and --platform go together")
    return Options(
        run_id=parse_run_id(ns.run),
        name=ns.name,
        channel=Channel(ns.channel) if ns.channel else None,
        platform=Platform(ns.platform) if ns.platform else None,
        directory=Path(ns.dir),
        where=common.parse_where(ns),
    )


class _Bar:
    """A progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, ctx: Context, label: str) -> None:
        self._ctx = ctx
        self._label = label
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and done != total:
            return
        self._last = now
        if total > 0:
            filled = int(30 * done / total)
            text = f"{'#' * filled:<30} {100 * done // total:>3}%"
        else:
            text = f"{done // 1024} KiB"
        self._ctx.stderr.write(f"\r{self._label} [{text}]")
        if done == total:
            self._ctx.stderr.write("\n")
        self._ctx.stderr.flush()


def run(options: Options, ctx: Context) -> int:
    """Download, verify and unpack; print where it went."""
    service = common.connect(options.where, ctx)
    ref = service.artifact_for(
        run_id=options.run_id,
        name=options.name,
        channel=options.channel,
        platform=options.platform,
    )
    target = options.directory if options.directory.is_absolute() else ctx.cwd / options.directory
    progress = _Bar(ctx, ref.name) if ctx.stderr_isatty else None
    cancel = threading.Event()
    try:
        result = service.fetch_artifact(ref, target, progress=progress, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise
    what = "already there and verified" if result.reused else "downloaded and verified"
    said = f"{ref.name}: {what}: {result.path}"
    print(said, file=ctx.stdout)
    common.record(ctx, "download", said, service=service, run_id=ref.run_id)
    return ExitCode.OK
