"""Turns any exception into a sentence a person can act on; the window never shows a traceback."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from releasemgr import errors

if TYPE_CHECKING:
    from releasemgr.ui.controller import Session


def describe_error(exc: BaseException, session: Session | None = None) -> str:
    """One or two sentences saying what went wrong and what to do about it."""
    text = _message(exc)
    if isinstance(exc, errors.RateLimited):
        when = _clock(exc.reset_at)
        until = f" until {when}" if when else ""
        return f"GitHub is rate limiting{until}. {text}".strip()
    if isinstance(exc, errors.AuthError):
        host = f" to {session.host}" if session else ""
        return _join(text, f"Sign in again{host}.")
    if isinstance(exc, errors.PermissionDenied | errors.ConflictError | errors.NotFoundError):
        return _join(text, exc.hint or "")
    if isinstance(exc, errors.NetworkError):
        return _join(text, exc.hint or "Check the connection; the next refresh will try again.")
    if isinstance(exc, errors.Cancelled):
        return "Cancelled."
    if isinstance(exc, errors.ReleasemgrError):
        return _join(text, exc.hint or "")
    if isinstance(exc, ConnectionError | TimeoutError):
        return "GitHub could not be reached. Check the connection; the next refresh will try again."
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        reason = exc.strerror or type(exc).__name__
        return f"A file could not be read or written{where}: {reason}."
    return (
        f"Something unexpected went wrong ({type(exc).__name__}). "
        "Try again; if it keeps happening, run releasemgr with RELEASEMGR_DEBUG=1 and report it."
    )


def _message(exc: BaseException) -> str:
    msg = exc.message.strip() if isinstance(exc, errors.ReleasemgrError) else str(exc).strip()
    if msg and msg[-1] not in ".!?":
        msg += "."
    return msg[:1].upper() + msg[1:]


def _join(first: str, second: str) -> str:
    if not second:
        return first
    if second and second[-1] not in ".!?":
        second += "."
    second = second[:1].upper() + second[1:]
    return f"{first} {second}".strip() if second not in first else first


def _clock(reset_at: float | None) -> str:
    if not reset_at:
        return ""
    return datetime.fromtimestamp(reset_at).strftime("%H:%M")
