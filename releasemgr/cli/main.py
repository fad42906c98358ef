"""Entry point of ``releasemgr``: builds the parser from the command modules and runs one.

Each command is one module in this package with ``NAME``, ``HELP``, ``add_arguments(parser)``,
``parse(namespace) -> Options`` (fills an options dataclass, no work) and
``run(options, ctx) -> int`` (does the work, returns an exit code). Command modules keep heavy
imports (PyGithub, Qt) inside ``run`` so that ``releasemgr --version`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from releasemgr import __version__
from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode, ReleasemgrError

# Module names under releasemgr.cli, in the order `releasemgr --help` lists them.
COMMANDS: tuple[str, ...] = (
    "package",
    "verify",
    "smoke",
    "monitor",
    "gatecheck",
    "artifact_name",
    "auth",
    "status",
    "runs",
    "approve",
    "reject",
    "releases",
    "download",
    "rollback",
    "setup_environments",
    "watch",
    "gui",
    "demo",
    "sim",
)

# The command `releasemgr` runs when given no arguments at all (the window, once it exists).
DEFAULT_COMMAND: str | None = "gui"


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"releasemgr.cli.{name}")


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    """The top-level parser and the command modules it dispatches to."""
    parser = argparse.ArgumentParser(
        prog="releasemgr",
        description="Release manager for a GitHub Actions PyInstaller pipeline.",
    )
    parser.add_argument("--version", action="version", version=f"releasemgr {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation (Qt offscreen, the main window, the bundled sample) and exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, ModuleType] = {}
    for name in COMMANDS:
        module = _load(name)
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        modules[module.NAME] = module
    return parser, modules


def main(argv: Sequence[str] | None = None, ctx: Context | None = None) -> int:
    """Parse ``argv``, run the command, map errors to exit codes. Never raises."""
    args = list(sys.argv[1:] if argv is None else argv)
    ctx = ctx or Context.from_system()
    if not args and DEFAULT_COMMAND:
        args = [DEFAULT_COMMAND]
    parser, modules = build_parser()
    try:
        ns = parser.parse_args(args)
    except SystemExit as exc:  # argparse has printed its message already
        return int(exc.code or 0)
    if ns.self_test:
        from releasemgr.cli import selftest

        return selftest.main(ctx)
    if ns.command is None:
        parser.print_help(ctx.stdout)
        return ExitCode.USAGE
    module = modules[ns.command]
    try:
        options = module.parse(ns)
        return int(module.run(options, ctx))
    except ReleasemgrError as exc:
        print(f"releasemgr: {exc}", file=ctx.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("releasemgr: interrupted", file=ctx.stderr)
        return int(ExitCode.CANCELLED)
    except BrokenPipeError:
        # The reader went away (`releasemgr runs | head`); that is not an error of ours.
        _silence_stdout()
        return int(ExitCode.OK)
    except Exception as exc:
        if os.environ.get("RELEASEMGR_DEBUG"):
            raise
        print(
            f"releasemgr: internal error ({type(exc).__name__}); "
            "run again with RELEASEMGR_DEBUG=1 for details and report it",
            file=ctx.stderr,
        )
        return 70


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
