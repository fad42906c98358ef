"""The signed-in session and the worker-side steps of signing in and reading gates.

Everything here runs on a worker thread (it goes over the network or touches the keychain) or
is plain data; the :class:`~releasemgr.ui.controller.Controller` calls it through its tasks.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from releasemgr.model import CellState, GateRequest, RateLimit, Stage
from releasemgr.ui.errors import describe_error
from releasemgr.ui.tasks import TaskContext

if TYPE_CHECKING:
    from releasemgr.config import Config
    from releasemgr.github.service import ReleaseService


@dataclass(frozen=True)
class WaitingGates:
    """Every gate waiting, and the canary monitor's state of each run waiting at production."""

    gates: tuple[GateRequest, ...]
    monitoring: Mapping[int, CellState] = field(default_factory=dict)


@dataclass(frozen=True)
class Session:
    """Who is signed in, where, and to which repository."""

    login: str
    host: str
    api_url: str
    repository: str
    web_url: str = "https://github.com"
    origin: str = ""  # where the token came from: "keyring", "GH_TOKEN", "GITHUB_TOKEN", or ""


def debug(exc: BaseException) -> None:
    """With ``RELEASEMGR_DEBUG`` set, print the traceback a person is never shown."""
    if os.environ.get("RELEASEMGR_DEBUG"):
        import traceback

        traceback.print_exception(exc)


def rate_limit_of(service: ReleaseService) -> RateLimit | None:
    """The rate limit the service last saw (no request is made)."""
    try:
        value = service.rate_limit()
    except Exception:  # a missing figure must never fail the real answer
        return None
    return value if isinstance(value, RateLimit) else None


def waiting_gates(svc: ReleaseService, ctx: TaskContext) -> WaitingGates:
    """Waiting gates, plus the monitor job's state for runs that wait at production."""
    gates = tuple(svc.pending_gates())
    monitoring: dict[int, CellState] = {}
    for run_id in sorted({g.run.id for g in gates if g.stage == Stage.PRODUCTION}):
        ctx.raise_if_cancelled()
        detail = svc.run_detail(run_id)
        cells = [c for c in detail.cells if c.stage == Stage.MONITOR]
        if cells:
            # One monitor job covers every platform; a failure anywhere is what matters.
            states = {c.state for c in cells}
            monitoring[run_id] = (
                CellState.FAILURE if CellState.FAILURE in states else cells[0].state
            )
    return WaitingGates(gates, monitoring)


def wait(ctx: TaskContext, seconds: float) -> None:
    """Sleep between device-flow polls; cancelling the task wakes it at once."""
    ctx.cancelled.wait(seconds)


def resolve_api_url(configured: str, env: Mapping[str, str]) -> str:
    """The API URL: configured, else ``GITHUB_API_URL``, else GitHub.com's."""
    from releasemgr.config import DEFAULT_API_URL

    return (configured or env.get("GITHUB_API_URL", "") or DEFAULT_API_URL).rstrip("/")


def connect(
    api_url: str, repository: str, token: str, cfg: Config
) -> tuple[ReleaseService, Session]:
    """Connect and ask who we are (a worker-thread call: it goes over the network)."""
    from releasemgr.github import auth
    from releasemgr.github.service import ReleaseService

    service = ReleaseService.connect(
        api_url=api_url, repository=repository, token=token, config=cfg
    )
    user = service.whoami()
    session = Session(
        login=user.login,
        host=auth.host_of(api_url),
        api_url=api_url,
        repository=repository,
        web_url=auth.web_url_for(api_url),
    )
    return service, session


def kept(
    service: ReleaseService,
    session: Session,
    token: str,
    cfg: Config,
    env: Mapping[str, str],
    remember: bool,
) -> tuple[ReleaseService, Session, str]:
    """Keep the token in the keychain when asked; a keychain that fails does not stop sign-in.

    Returns the service, the session (``origin`` "keyring" when kept) and a warning
    sentence ("" when all went well).
    """
    from releasemgr import config
    from releasemgr.errors import ReleasemgrError
    from releasemgr.github import auth

    if not remember:
        return service, session, ""
    try:
        auth.store_token(session.api_url, token)
    except ReleasemgrError as exc:
        return service, session, f"Signed in, but not remembered: {describe_error(exc)}"
    session = dataclasses.replace(session, origin="keyring")
    if cfg.api_url != session.api_url or cfg.repository != session.repository:
        try:
            config.save(
                dataclasses.replace(cfg, api_url=session.api_url, repository=session.repository),
                env=env,
            )
        except OSError as exc:
            return service, session, f"Signed in; the settings were not saved: {exc.strerror}."
    return service, session, ""
