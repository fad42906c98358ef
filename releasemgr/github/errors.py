"""HTTP answers from GitHub turned into errors that say what to do.

Messages name the host, the object and the next step, never a token or a request header.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from releasemgr.errors import (
    AuthError,
    ConflictError,
    NetworkError,
    NotFoundError,
    PermissionDenied,
    RateLimited,
    ReleasemgrError,
)

SIGN_IN_AGAIN = "sign in again with `releasemgr auth login`"


class TransientError(NetworkError):
    """A failure worth retrying for a read: a 5xx, a dropped connection, a secondary limit.

    ``retry_after`` is the server's ``Retry-After`` in seconds when it gave one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, hint="GitHub may be having trouble; try again shortly")
        self.retry_after = retry_after


def github_message(body: str | bytes | None) -> str:
    """GitHub's ``message`` from an error body, or an empty string."""
    if not body:
        return ""
    try:
        data: Any = json.loads(body)
    except (ValueError, TypeError):
        return ""
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:300]
    return ""


def reset_time(headers: Mapping[str, str]) -> float | None:
    """The Unix time the rate limit resets, from ``X-RateLimit-Reset``."""
    raw = headers.get("x-ratelimit-reset")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def format_reset(reset_at: float | None) -> str:
    """A reset time for people: ``14:05 UTC``."""
    if reset_at is None:
        return "later"
    return datetime.fromtimestamp(reset_at, UTC).strftime("%H:%M UTC")


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header, when present and numeric."""
    raw = headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def error_for(
    status: int,
    headers: Mapping[str, str],
    body: str | bytes | None,
    *,
    what: str,
    host: str,
) -> ReleasemgrError:
    """The error to raise for a non-2xx answer about ``what`` (e.g. "run 12 of o/r")."""
    message = github_message(body)
    lowered = message.lower()
    if status == 401:
        return AuthError(
            f"GitHub at {host} rejected the token (bad or expired)", hint=SIGN_IN_AGAIN
        )
    if status in (403, 429):
        if headers.get("x-ratelimit-remaining") == "0" and "secondary" not in lowered:
            reset = reset_time(headers)
            return RateLimited(
                f"GitHub is rate limiting this user until {format_reset(reset)}",
                reset_at=reset,
                hint="wait until then, or use another token",
            )
        if status == 429 or "retry-after" in headers or "secondary rate limit" in lowered:
            return TransientError(
                f"GitHub asked to slow down (secondary rate limit) on {what}",
                retry_after=retry_after(headers),
            )
        needed = headers.get("x-accepted-oauth-scopes") or headers.get(
            "x-accepted-github-permissions"
        )
        has = headers.get("x-oauth-scopes")
        if needed and has is not None and not _has_scope(has, needed):
            return PermissionDenied(
                f"the token lacks the scope needed for {what} (needs {needed})",
                hint="create a token with that scope and sign in again",
            )
        detail = f": {message}" if message else ""
        return PermissionDenied(f"not allowed: {what}{detail}")
    if status == 404:
        return NotFoundError(
            f"{what} not found at {host}",
            hint="check the repository, the workflow file and that the token can see them",
        )
    if status == 410:
        return NotFoundError(f"{what} is gone (expired or deleted)")
    if status in (409, 422):
        detail = f": {message}" if message else ""
        return ConflictError(f"{what} was refused{detail}")
    if status >= 500:
        return TransientError(f"GitHub answered {status} for {what}")
    detail = f": {message}" if message else ""
    return NetworkError(f"GitHub answered {status} for {what}{detail}")


def _has_scope(has: str, needed: str) -> bool:
    owned = {s.strip() for s in has.split(",") if s.strip()}
    wanted = {s.strip() for s in needed.split(",") if s.strip()}
    return not wanted or bool(owned & wanted)
