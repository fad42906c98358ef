"""``releasemgr artifact-name KIND``: the name a pipeline artifact is uploaded under.

The app reads app, platform, channel and version from artifact names alone, so the workflow asks
this command for every name instead of spelling the pattern out again (GitHub's expressions
cannot even cut a commit SHA to seven digits). With ``--from ROOT`` the fields come from the
package's ``metadata.json``: a rollback re-uploads an earlier release under that release's name.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode, InputError, UsageError
from releasemgr.model import Platform

NAME = "artifact-name"
HELP = "Print the artifact name of a pipeline stage (build, test, package, canary, ...)."

KINDS = ("build", "test", "package", "canary", "monitor", "production")


@dataclass(frozen=True)
class Options:
    """Which name to print, from explicit fields or from a package's metadata."""

    kind: str
    app: str
    platform: str
    version: str
    commit: str
    source: Path | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("kind", choices=KINDS, help="the artifact's kind")
    parser.add_argument("--app", default="", help="application name (default: the setting)")
    parser.add_argument("--platform", default="", choices=["", *[p.value for p in Platform]])
    parser.add_argument("--version", default="", help="the release's version")
    parser.add_argument("--commit", default="", metavar="SHA", help="the release's commit")
    parser.add_argument(
        "--from",
        dest="source",
        metavar="ROOT",
        help="read app, platform, version and commit from ROOT/metadata.json",
    )


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    if ns.source is None:
        for flag in ("version", "commit"):
            if not getattr(ns, flag):
                raise UsageError(f"--{flag} is required without --from")
    elif any((ns.app, ns.platform, ns.version, ns.commit)):
        raise UsageError("--from reads app, platform, version and commit: give none of them")
    return Options(
        kind=ns.kind,
        app=ns.app,
        platform=ns.platform,
        version=ns.version,
        commit=ns.commit,
        source=Path(ns.source) if ns.source is not None else None,
    )


def run(options: Options, ctx: Context) -> int:
    """Print the name on one line."""
    config = common.load_config(ctx)
    app, platform, version, commit = options.app, options.platform, options.version, options.commit
    if options.source is not None:
        root = options.source if options.source.is_absolute() else ctx.cwd / options.source
        app, platform, version, commit = _from_metadata(root / "metadata.json")
    if app:
        config = dataclasses.replace(config, app=app)
    name = config.artifact_name(
        options.kind, Platform(platform) if platform else None, version=version, commit=commit
    )
    print(name, file=ctx.stdout)
    return int(ExitCode.OK)


def _from_metadata(path: Path) -> tuple[str, str, str, str]:
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object")
    fields = []
    for key in ("app", "platform", "version", "commit"):
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise InputError(f"{path}: field {key!r} is missing or not a string")
        fields.append(value)
    if fields[1] not in {p.value for p in Platform}:
        raise InputError(f"{path}: field 'platform' is {fields[1]!r}, not a known platform")
    return fields[0], fields[1], fields[2], fields[3]
