"""``releasemgr smoke PATH``: verify a release package, then run its executable's checks."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode, UsageError

NAME = "smoke"
HELP = "Verify a downloaded release and smoke-test its executable (--version, --self-test)."


@dataclass(frozen=True)
class Options:
    """What ``smoke`` was asked to do."""

    path: Path
    json: bool
    timeout: float | None  # None: the configured smoke.timeout
    checks: tuple[str, ...]  # empty: the configured smoke.checks
    expect: tuple[str, ...] = ()  # what --version must print; empty: the package's version


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("path", metavar="PATH", help="package folder, app folder or executable")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.add_argument(
        "--timeout", type=float, metavar="S", help="seconds each check may take (default: config)"
    )
    parser.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="ARGS",
        help="arguments of one check instead of the configured ones, as --check=--version "
        "(repeatable)",
    )

    parser.add_argument(
        "--expect-version",
        action="append",
        default=[],
        metavar="TEXT",
        help="--version must print this (repeatable: any one will do); default: the package's "
        "version or commit",
    )


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    if ns.timeout is not None and not ns.timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {ns.timeout:g}")
    if any(not text.strip() for text in ns.expect_version):
        raise UsageError("--expect-version: give the text --version must print")
    return Options(
        path=Path(ns.path),
        json=ns.json,
        timeout=ns.timeout,
        checks=tuple(ns.check),
        expect=tuple(ns.expect_version),
    )


def run(options: Options, ctx: Context) -> int:
    """Run the smoke test; exit 0 when every check passed, 1 when one failed."""
    from releasemgr import config
    from releasemgr.release.smoke import run_smoke

    settings = config.load(ctx.cwd, ctx.env)
    path = options.path if options.path.is_absolute() else ctx.cwd / options.path
    report = run_smoke(
        path,
        specs=options.checks or settings.smoke_checks,
        timeout=options.timeout if options.timeout is not None else settings.smoke_timeout,
        expect=options.expect,
    )
    if options.json:
        ctx.stdout.write(report.to_json())
    else:
        for check in report.checks:
            verdict = "pass" if check.passed else "FAIL"
            code = "killed" if check.exit_code is None else f"exit {check.exit_code}"
            print(
                f"{verdict}  {check.name:<20} {code:<8} {check.duration_s:6.2f} s  {check.reason}",
                file=ctx.stdout,
            )
            if not check.passed and check.output_tail.strip():
                for line in check.output_tail.strip().splitlines()[-10:]:
                    print(f"      | {line}", file=ctx.stdout)
        print(report.summary(), file=ctx.stdout)
    from releasemgr.cli.common import record

    record(ctx, "smoke_test", f"{report.summary()} ({path})", ok=report.passed)
    return int(ExitCode.OK if report.passed else ExitCode.FAILED)
