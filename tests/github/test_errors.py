"""HTTP answers become errors that say what to do."""

from __future__ import annotations

import json

from releasemgr.errors import (
    AuthError,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    RateLimited,
)
from releasemgr.github.errors import TransientError, error_for


def body(message: str) -> str:
    return json.dumps({"message": message, "documentation_url": "https://docs.github.com"})


def test_each_status_says_what_to_do() -> None:
    what, host = "run 5 of o/r", "api.example.test"
    assert isinstance(error_for(401, {}, body("Bad credentials"), what=what, host=host), AuthError)
    assert "sign in again" in str(error_for(401, {}, "", what=what, host=host))
    scope = error_for(
        403,
        {"x-oauth-scopes": "read:user", "x-accepted-oauth-scopes": "repo, workflow"},
        body("Resource not accessible by integration"),
        what=what,
        host=host,
    )
    assert isinstance(scope, PermissionDenied) and "lacks the scope" in str(scope)
    assert "repo, workflow" in str(scope)
    forbidden = error_for(
        403, {"x-oauth-scopes": "repo"}, body("Must have admin rights"), what=what, host=host
    )
    assert isinstance(forbidden, PermissionDenied) and "Must have admin rights" in str(forbidden)
    limited = error_for(
        403,
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1800000000"},
        body("API rate limit exceeded"),
        what=what,
        host=host,
    )
    assert isinstance(limited, RateLimited) and limited.reset_at == 1800000000.0
    assert "until" in str(limited) and "UTC" in str(limited)
    secondary = error_for(
        429,
        {"retry-after": "7"},
        body("You have exceeded a secondary rate limit"),
        what=what,
        host=host,
    )
    assert isinstance(secondary, TransientError) and secondary.retry_after == 7.0
    assert isinstance(error_for(404, {}, "", what=what, host=host), NotFoundError)
    gone = error_for(422, {}, body("Environment 3 is not waiting"), what=what, host=host)
    assert isinstance(gone, ConflictError) and "not waiting" in str(gone)
    assert isinstance(error_for(502, {}, "<html>", what=what, host=host), TransientError)
