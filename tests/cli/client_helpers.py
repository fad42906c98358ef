"""Running client commands in-process against a simulator, as ``main()`` runs them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasemgr.cli.context import Context
from releasemgr.cli.main import main
from tests.github.conftest import login_for


@dataclass
class Result:
    """Exit code and output of one command run."""

    code: int
    out: str
    err: str


def env_for(sim: Any, role: str) -> dict[str, str]:
    """Environment that points the CLI at ``sim`` signed in as ``role`` (token via GH_TOKEN)."""
    return {
        "GH_TOKEN": sim.token(login_for(sim, role)),
        "GITHUB_API_URL": sim.api_url,
        "GITHUB_REPOSITORY": sim.repository,
    }


def cli(
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    *,
    stdin: str = "",
    tty: bool = False,
    extras: dict[str, Any] | None = None,
) -> Result:
    """Run ``releasemgr argv`` in-process; stdout/stderr captured."""
    ctx = Context.for_test(env=env, cwd=cwd, stdin=stdin, tty=tty)
    ctx.extras.update(extras or {})
    code = main(argv, ctx)
    return Result(code, ctx.stdout.getvalue(), ctx.stderr.getvalue())  # type: ignore[attr-defined]
