"""Exit codes and the typed errors that the command line catches once in ``main()``.

The window maps the same exceptions to sentences a person can act on, so every error carries a
message that is already such a sentence and never contains a token.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit code releasemgr uses."""

    OK = 0
    FAILED = 1  # the check said no: verification failed, unhealthy canary, smoke test failed
    USAGE = 2  # bad arguments, or input that cannot be read or parsed
    AUTH = 3  # not signed in, token rejected, or not allowed to do this
    NOT_FOUND = 4  # repository, workflow, run, artifact or release does not exist (any more)
    NETWORK = 5  # GitHub unreachable, server errors, rate limited
    CONFLICT = 6  # the state changed underneath: gate no longer waiting, run already finished
    CANCELLED = 130  # interrupted by the user


class ReleasemgrError(Exception):
    """Base of every error releasemgr reports to a person.

    Args:
        message: one line that says what went wrong and names the file, line, field or object.
        hint: optional second sentence that says what to do about it.
    """

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(ReleasemgrError):
    """The command was called wrongly (a bad option value, a missing argument)."""

    exit_code = ExitCode.USAGE


class InputError(ReleasemgrError):
    """An input file or folder cannot be read or is malformed; the message names where."""

    exit_code = ExitCode.USAGE


class VerificationFailed(ReleasemgrError):
    """A check ran to the end and the answer is no."""

    exit_code = ExitCode.FAILED


class UnsafeArchiveError(InputError):
    """An archive holds an entry that must not be extracted (traversal, link, bomb)."""


class AuthError(ReleasemgrError):
    """No usable token, or GitHub rejected it."""

    exit_code = ExitCode.AUTH


class PermissionDenied(ReleasemgrError):
    """Signed in, but not allowed to do this (not a reviewer, missing scope)."""

    exit_code = ExitCode.AUTH


class NotFoundError(ReleasemgrError):
    """The thing asked for does not exist, or is not visible to this user."""

    exit_code = ExitCode.NOT_FOUND


class NetworkError(ReleasemgrError):
    """GitHub could not be reached or kept failing."""

    exit_code = ExitCode.NETWORK


class RateLimited(NetworkError):
    """GitHub is rate limiting this user until ``reset_at`` (a Unix time, when known)."""

    def __init__(self, message: str, *, reset_at: float | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.reset_at = reset_at


class ConflictError(ReleasemgrError):
    """The state changed underneath the request (already approved, run already finished)."""

    exit_code = ExitCode.CONFLICT


class Cancelled(ReleasemgrError):
    """The user cancelled the operation."""

    exit_code = ExitCode.CANCELLED
