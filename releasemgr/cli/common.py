"""What every networked command shares: ``--api-url``/``--repo``, settings, and connecting.

Where: ``--api-url``, then the settings, then ``GITHUB_API_URL``, else api.github.com.
Which repository: ``--repo``, then the settings, then ``GITHUB_REPOSITORY``.
Who: ``GH_TOKEN`` / ``GITHUB_TOKEN``, then the keyring entry of the API host.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, is_dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from releasemgr import config as settings
from releasemgr.cli.context import Context
from releasemgr.errors import ReleasemgrError, UsageError

if TYPE_CHECKING:
    from releasemgr.github.service import ReleaseService


@dataclass(frozen=True)
class Where:
    """The ``--api-url`` and ``--repo`` a command was given (empty: not given)."""

    api_url: str = ""
    repo: str = ""


def add_where(parser: argparse.ArgumentParser) -> None:
    """Add ``--api-url`` and ``--repo`` to a command."""
    parser.add_argument("--api-url", default="", help="GitHub API URL (GitHub Enterprise too)")
    parser.add_argument("--repo", default="", metavar="OWNER/NAME", help="the repository")


def parse_where(ns: argparse.Namespace) -> Where:
    """The ``Where`` of parsed arguments."""
    return Where(api_url=getattr(ns, "api_url", "") or "", repo=getattr(ns, "repo", "") or "")


def load_config(ctx: Context) -> settings.Config:
    """The settings for this run (``releasemgr.toml`` in the working directory first)."""
    return settings.load(ctx.cwd, ctx.env)


def resolve_api_url(where: Where, config: settings.Config, ctx: Context) -> str:
    """The API URL by precedence: option, settings, ``GITHUB_API_URL``, default."""
    url = where.api_url or config.api_url or ctx.env.get("GITHUB_API_URL", "")
    return (url or settings.DEFAULT_API_URL).rstrip("/")


def resolve_repo(where: Where, config: settings.Config, ctx: Context) -> str:
    """The repository by precedence: option, settings, ``GITHUB_REPOSITORY``."""
    repo = where.repo or config.repository or ctx.env.get("GITHUB_REPOSITORY", "")
    if not repo:
        raise UsageError(
            "no repository given",
            hint="pass --repo OWNER/NAME, set github.repository in releasemgr.toml "
            "or GITHUB_REPOSITORY",
        )
    owner, _, name = repo.partition("/")
    if not owner or not name or "/" in name:
        raise UsageError(f"--repo {repo!r} is not OWNER/NAME")
    return repo


def resolve_web_url(api_url: str, config: settings.Config, ctx: Context) -> str:
    """The web origin (device sign-in): settings, ``GITHUB_SERVER_URL``, else derived."""
    from releasemgr.github.auth import web_url_for

    return (config.web_url or ctx.env.get("GITHUB_SERVER_URL", "") or web_url_for(api_url)).rstrip(
        "/"
    )


def connect(where: Where, ctx: Context) -> ReleaseService:
    """A service for the resolved repository with the found token (AuthError if none)."""
    from releasemgr.github.auth import require_token
    from releasemgr.github.service import ReleaseService

    config = load_config(ctx)
    api_url = resolve_api_url(where, config, ctx)
    repo = resolve_repo(where, config, ctx)
    token = require_token(api_url, ctx.env)
    factory = ctx.extras.get("service_factory")
    if callable(factory):  # tests may inject a clock-aware factory; still the real service
        service: ReleaseService = factory(
            api_url=api_url, repository=repo, token=token.token, config=config
        )
        return service
    return ReleaseService.connect(
        api_url=api_url, repository=repo, token=token.token, config=config
    )


def record(
    ctx: Context,
    kind: str,
    summary: str,
    *,
    ok: bool = True,
    service: ReleaseService | None = None,
    run_id: int | None = None,
) -> None:
    """Note what the user did in the local activity log the window shows (never fails the command).

    The log lives in ``RELEASEMGR_DATA_DIR`` as seen by this command's environment, so tests and
    the demo keep theirs apart; who and where come from the service when there is one.
    """
    from releasemgr.activity import ActivityKind, ActivityLog, Outcome, default_path

    user = host = repository = None
    if service is not None:
        from releasemgr.github.auth import host_of

        host, repository = host_of(service.api_url), service.repository
        try:
            user = service.whoami().login  # cached by the service after its first request
        except ReleasemgrError:
            user = None
    ActivityLog(default_path(ctx.env)).record(
        ActivityKind(kind),
        summary,
        outcome=Outcome.OK if ok else Outcome.FAILED,
        user=user,
        host=host,
        repository=repository,
        run_id=run_id,
    )


# --- output helpers --------------------------------------------------------------------------

_COLORS = {
    "success": "32",
    "failure": "31",
    "cancelled": "90",
    "skipped": "90",
    "waiting": "33",
    "running": "36",
    "queued": "36",
    "pending": "37",
}


def paint(text: str, state: str, ctx: Context) -> str:
    """``text`` coloured for ``state`` when the output is a colour terminal."""
    code = _COLORS.get(state)
    if not ctx.color or code is None:
        return text
    return f"\x1b[{code}m{text}\x1b[0m"


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums and datetimes as plain JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {_key(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def _key(key: Any) -> str:
    if isinstance(key, tuple):
        return "/".join(str(to_jsonable(k)) for k in key)
    return str(to_jsonable(key))


def print_json(value: Any, ctx: Context) -> None:
    """Write ``value`` as indented JSON to stdout."""
    ctx.stdout.write(json.dumps(to_jsonable(value), indent=2, sort_keys=False) + "\n")


def age(when: datetime | None, now: datetime | None = None) -> str:
    """A short age like ``5m``, ``3h``, ``2d``."""
    if when is None:
        return "-"
    from datetime import UTC

    seconds = max(0, int(((now or datetime.now(UTC)) - when).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def duration(seconds: float | None) -> str:
    """``4m05s`` style duration, ``-`` when unknown."""
    if seconds is None:
        return "-"
    s = int(seconds)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
