"""Every failure reaches a person as a sentence that says what to do, never a traceback."""

from __future__ import annotations

import time

from releasemgr import errors
from releasemgr.ui.controller import Session
from releasemgr.ui.errors import describe_error

SESSION = Session("alice", "ghe.example.com", "https://ghe.example.com/api/v3", "acme/app")


def test_auth_errors_say_sign_in_again_with_the_host() -> None:
    text = describe_error(errors.AuthError("the token was rejected"), SESSION)
    assert text == "The token was rejected. Sign in again to ghe.example.com."


def test_permission_keeps_the_core_reason() -> None:
    exc = errors.PermissionDenied("you are not a reviewer for production-macos")
    assert describe_error(exc, SESSION) == "You are not a reviewer for production-macos."


def test_rate_limit_names_the_reset_time_in_local_clock() -> None:
    reset = time.time() + 600
    exc = errors.RateLimited("rate limit exhausted", reset_at=reset)
    clock = time.strftime("%H:%M", time.localtime(reset))
    assert describe_error(exc, SESSION).startswith(f"GitHub is rate limiting until {clock}.")


def test_network_errors_suggest_the_next_step() -> None:
    text = describe_error(errors.NetworkError("cannot reach ghe.example.com (URLError)"))
    assert text.startswith("Cannot reach ghe.example.com")
    assert "Check the connection" in text


def test_hints_become_a_second_sentence() -> None:
    exc = errors.ConflictError("run 41 no longer waits at canary", hint="refresh to see who did")
    assert describe_error(exc) == "Run 41 no longer waits at canary. Refresh to see who did."


def test_unexpected_errors_never_show_their_text() -> None:
    text = describe_error(KeyError("Traceback-ish internals"))
    assert "internals" not in text
    assert "KeyError" in text and "RELEASEMGR_DEBUG=1" in text


def test_file_errors_name_the_file() -> None:
    exc = FileNotFoundError(2, "No such file or directory", "/tmp/x.zip")
    assert describe_error(exc) == (
        "A file could not be read or written (/tmp/x.zip): No such file or directory."
    )
