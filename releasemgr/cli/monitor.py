"""``releasemgr monitor DIR --out report.json``: the pipeline's canary health check."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode, UsageError

NAME = "monitor"
HELP = "Check downloaded canary artifacts (integrity, file count, one version) and write a report."


@dataclass(frozen=True)
class Options:
    """What ``monitor`` was asked to do."""

    directory: Path
    out: Path | None
    platforms: tuple[str, ...]  # empty: the configured pipeline.platforms
    expect_version: str | None
    json: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("directory", metavar="DIR", help="folder with one artifact per platform")
    parser.add_argument("--out", metavar="FILE", help="write the JSON report here (atomically)")
    parser.add_argument(
        "--platforms",
        metavar="P,P",
        help="platforms that must be present (default: the configured platforms)",
    )
    parser.add_argument(
        "--expect-version", metavar="SHA", help="every platform must be this version or commit"
    )
    parser.add_argument("--json", action="store_true", help="print the report on stdout")


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    platforms: tuple[str, ...] = ()
    if ns.platforms is not None:
        platforms = tuple(p.strip() for p in ns.platforms.split(",") if p.strip())
        if not platforms:
            raise UsageError("--platforms: name at least one platform")
    return Options(
        directory=Path(ns.directory),
        out=Path(ns.out) if ns.out else None,
        platforms=platforms,
        expect_version=ns.expect_version,
        json=ns.json,
    )


def run(options: Options, ctx: Context) -> int:
    """Check, write the report, print a summary; exit 0 healthy, 1 unhealthy."""
    from releasemgr import config
    from releasemgr.release.monitor import monitor, write_report

    platforms = options.platforms or config.load(ctx.cwd, ctx.env).platforms
    directory = _absolute(options.directory, ctx)
    report = monitor(
        directory, expected_platforms=platforms, expected_version=options.expect_version
    )
    if options.out is not None:
        write_report(report, _absolute(options.out, ctx))
    if options.json:
        ctx.stdout.write(report.to_json())
    else:
        for p in report.platforms:
            state = "ok  " if p.healthy else "FAIL"
            integrity = "verified" if p.integrity else "NOT verified"
            print(
                f"{state} {p.platform:<8} {p.version or 'unknown version':<40} "
                f"{p.file_count:>5} files  {integrity}  ({p.artifact})",
                file=ctx.stdout,
            )
        verdict = "healthy" if report.healthy else "UNHEALTHY"
        version = f" at {report.version}" if report.version else ""
        print(f"canary {verdict}{version}", file=ctx.stdout)
        for reason in report.reasons:
            print(f"  - {reason}", file=ctx.stdout)
    return int(ExitCode.OK if report.healthy else ExitCode.FAILED)


def _absolute(path: Path, ctx: Context) -> Path:
    return path if path.is_absolute() else ctx.cwd / path
