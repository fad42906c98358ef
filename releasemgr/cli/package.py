"""``releasemgr package ROOT ...``: write checksums.txt and metadata.json for a onedir build."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode, UsageError
from releasemgr.model import Channel, Platform

NAME = "package"
HELP = "write checksums.txt and metadata.json (and channel files) for a PyInstaller onedir build"


@dataclass(frozen=True)
class Options:
    """What ``package`` was asked to do."""

    root: Path
    app: str
    platform: str
    version: str
    commit: str
    ref: str | None = None
    run_id: int | None = None
    run_attempt: int | None = None
    channel: str | None = None
    traffic: int | None = None
    arch: str | None = None
    python: str | None = None
    pyinstaller: str | None = None
    json: bool = False


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _percent(text: str) -> int:
    try:
        value = int(text.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole percentage: {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"not between 0 and 100: {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``package``."""
    parser.add_argument("root", type=Path, metavar="ROOT", help="folder holding the NAME/ folder")
    parser.add_argument("--app", required=True, metavar="NAME", help="the onedir folder's name")
    parser.add_argument("--platform", required=True, choices=[p.value for p in Platform])
    parser.add_argument("--version", required=True, metavar="V", help="the release's version")
    parser.add_argument("--commit", required=True, metavar="SHA", help="full 40-hex commit SHA")
    parser.add_argument("--ref", metavar="REF", help="branch or tag the build came from")
    parser.add_argument("--run-id", type=_positive, metavar="N", help="GitHub Actions run id")
    parser.add_argument("--run-attempt", type=_positive, metavar="N", help="run attempt")
    parser.add_argument(
        "--channel", choices=[c.value for c in Channel], help="also write the channel files"
    )
    parser.add_argument(
        "--traffic",
        type=_percent,
        metavar="PERCENT",
        help="traffic_percentage.txt (default 10 for canary, 100 for stable)",
    )
    parser.add_argument("--arch", help="architecture (default: this machine's)")
    parser.add_argument("--python", help="bundled Python version (default: found in the bundle)")
    parser.add_argument("--pyinstaller", help="PyInstaller version (default: the installed one)")
    parser.add_argument("--json", action="store_true", help="print the metadata written as JSON")


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from the parsed arguments."""
    if ns.traffic is not None and ns.channel is None:
        raise UsageError("--traffic: only makes sense with --channel")
    return Options(
        root=ns.root,
        app=ns.app,
        platform=ns.platform,
        version=ns.version,
        commit=ns.commit,
        ref=ns.ref,
        run_id=ns.run_id,
        run_attempt=ns.run_attempt,
        channel=ns.channel,
        traffic=ns.traffic,
        arch=ns.arch,
        python=ns.python,
        pyinstaller=ns.pyinstaller,
        json=ns.json,
    )


def run(options: Options, ctx: Context) -> int:
    """Write the package files and print one line saying what was written."""
    from releasemgr.cli.progress import progress_bar
    from releasemgr.release.package import write_package

    root = options.root if options.root.is_absolute() else ctx.cwd / options.root
    bar = progress_bar(ctx, "hashing")
    try:
        metadata = write_package(
            root,
            app=options.app,
            platform=options.platform,
            version=options.version,
            commit=options.commit,
            ref=options.ref,
            run_id=options.run_id,
            run_attempt=options.run_attempt,
            channel=options.channel,
            traffic=options.traffic,
            arch=options.arch,
            python=options.python,
            pyinstaller=options.pyinstaller,
            progress=bar.update if bar else None,
        )
    finally:
        if bar:
            bar.close()
    if options.json:
        print(metadata.to_json(), end="", file=ctx.stdout)
    else:
        channel = f", channel {options.channel}" if options.channel else ""
        print(
            f"packaged {metadata.app} {metadata.version} ({metadata.platform}{channel}): "
            f"{metadata.file_count} files, {metadata.total_bytes} bytes, "
            f"checksums.txt and metadata.json written in {options.root}",
            file=ctx.stdout,
        )
    return int(ExitCode.OK)
