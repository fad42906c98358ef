"""Where the token comes from, where it is kept, and the OAuth device flow.

Token sources, in order: ``GH_TOKEN`` then ``GITHUB_TOKEN`` in the environment, then the OS
keyring (service ``releasemgr``, one entry per API host). A token is never printed, logged,
written to a file or put in an error message; without a working keyring backend sign-in fails
with a message saying how to get one, instead of falling back to a plain file.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from releasemgr.errors import AuthError, Cancelled, NetworkError

KEYRING_SERVICE = "releasemgr"
ENV_VARS = ("GH_TOKEN", "GITHUB_TOKEN")
NO_KEYRING_HINT = (
    "install and unlock a keyring backend (GNOME Keyring or KWallet on Linux, the system "
    "keychain on macOS and Windows), or set GH_TOKEN for this shell"
)


@dataclass(frozen=True)
class TokenSource:
    """A token and where it came from (``GH_TOKEN``, ``GITHUB_TOKEN`` or ``keyring``)."""

    token: str
    source: str

    def __repr__(self) -> str:  # the token must never show up in a repr
        return f"TokenSource(source={self.source!r})"


def host_of(api_url: str) -> str:
    """The keyring entry name for an API URL: its host (and port when not the default)."""
    parsed = urllib.parse.urlparse(api_url)
    return parsed.netloc or api_url


def web_url_for(api_url: str) -> str:
    """The web origin of a GitHub API URL (api.github.com -> github.com, GHES /api/v3 -> /)."""
    parsed = urllib.parse.urlparse(api_url.rstrip("/"))
    if parsed.netloc == "api.github.com":
        return "https://github.com"
    path = parsed.path.removesuffix("/api/v3")
    return urllib.parse.urlunparse((parsed.scheme, parsed.netloc, path, "", "", ""))


def find_token(api_url: str, env: Mapping[str, str]) -> TokenSource | None:
    """The token to use for ``api_url``: environment first, then the keyring; None if none."""
    for name in ENV_VARS:
        value = env.get(name, "").strip()
        if value:
            return TokenSource(value, name)
    try:
        stored = _keyring().get_password(KEYRING_SERVICE, host_of(api_url))
    except AuthError:
        return None
    except Exception:
        return None
    return TokenSource(stored, "keyring") if stored else None


def require_token(api_url: str, env: Mapping[str, str]) -> TokenSource:
    """Like :func:`find_token` but raises AuthError saying how to sign in."""
    found = find_token(api_url, env)
    if found is None:
        raise AuthError(
            f"not signed in to {host_of(api_url)}",
            hint="run `releasemgr auth login` or set GH_TOKEN",
        )
    return found


def store_token(api_url: str, token: str) -> None:
    """Keep ``token`` in the OS keyring for ``api_url``'s host."""
    backend = _keyring()
    try:
        backend.set_password(KEYRING_SERVICE, host_of(api_url), token)
    except Exception as exc:
        raise AuthError(
            f"could not store the token in the keyring ({type(exc).__name__})",
            hint=NO_KEYRING_HINT,
        ) from None


def delete_token(api_url: str) -> bool:
    """Remove the keyring entry of ``api_url``'s host; False when there was none."""
    backend = _keyring()
    from keyring.errors import PasswordDeleteError

    try:
        backend.delete_password(KEYRING_SERVICE, host_of(api_url))
    except PasswordDeleteError:
        return False
    except Exception as exc:
        raise AuthError(
            f"could not remove the keyring entry ({type(exc).__name__})", hint=NO_KEYRING_HINT
        ) from None
    return True


def _keyring() -> Any:
    """The active keyring backend, or AuthError when only the fail/null backend exists."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    names = {type(backend).__module__, type(backend).__name__}
    if isinstance(backend, fail.Keyring) or "keyring.backends.null" in names:
        raise AuthError("no usable keyring backend to keep the token", hint=NO_KEYRING_HINT)
    return backend


# --- OAuth device flow ---------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceCode:
    """What the user must type where, and how to poll for the result."""

    device_code: str
    user_code: str
    verification_uri: str
    expires_in: int
    interval: int

    def __repr__(self) -> str:
        return f"DeviceCode(user_code={self.user_code!r}, uri={self.verification_uri!r})"


def start_device_flow(web_url: str, client_id: str, scope: str = "repo") -> DeviceCode:
    """Ask the web origin for a device and user code (``POST /login/device/code``)."""
    data = _post_form(
        web_url.rstrip("/") + "/login/device/code", {"client_id": client_id, "scope": scope}
    )
    if "device_code" not in data:
        raise AuthError(
            f"device sign-in was refused: {data.get('error_description') or data.get('error')}",
            hint="check the OAuth client id in the settings",
        )
    return DeviceCode(
        device_code=str(data["device_code"]),
        user_code=str(data["user_code"]),
        verification_uri=str(data["verification_uri"]),
        expires_in=int(data.get("expires_in", 900)),
        interval=int(data.get("interval", 5)),
    )


def poll_device_flow(
    web_url: str,
    client_id: str,
    code: DeviceCode,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    cancelled: Callable[[], bool] = lambda: False,
) -> str:
    """Poll until the user authorizes; returns the token.

    Waits the server's interval between polls, adds 5 s on ``slow_down`` as GitHub asks, and
    gives up when the code expires or the user denies access.
    """
    url = web_url.rstrip("/") + "/login/oauth/access_token"
    interval = float(code.interval)
    deadline = clock() + code.expires_in
    while True:
        if cancelled():
            raise Cancelled("device sign-in cancelled")
        if clock() >= deadline:
            raise AuthError("the device code expired before it was authorized", hint="try again")
        sleep(interval)
        data = _post_form(
            url,
            {
                "client_id": client_id,
                "device_code": code.device_code,
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            },
        )
        token = data.get("access_token")
        if isinstance(token, str) and token:
            return token
        error = data.get("error")
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval = float(data.get("interval", interval + 5))
            continue
        if error == "expired_token":
            raise AuthError("the device code expired before it was authorized", hint="try again")
        if error == "access_denied":
            raise AuthError("sign-in was denied in the browser")
        raise AuthError(f"device sign-in failed ({error or 'no token in the answer'})")


def _post_form(url: str, fields: Mapping[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the URL is the configured GitHub origin
        url,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - the configured GitHub host  # nosec B310
            body = response.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
        if exc.code >= 500 or not body:
            raise NetworkError(f"GitHub answered {exc.code} at {host_of(url)}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise NetworkError(
            f"cannot reach {host_of(url)} ({type(exc).__name__})", hint="check the network"
        ) from None
    try:
        data = json.loads(body)
    except ValueError:
        raise NetworkError(f"{host_of(url)} sent an answer that is not JSON") from None
    return data if isinstance(data, dict) else {}
