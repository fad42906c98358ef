"""The OAuth device flow as github.com runs it: codes, polling, slow_down, expiry, denial."""

from __future__ import annotations

import random
import string
import threading
from dataclasses import dataclass
from typing import Any

from releasemgr.sim.clock import Clock

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
ERROR_URI = (
    "https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow"
)
EXPIRES_IN = 900
INTERVAL = 5


@dataclass
class DeviceCode:
    """One device authorization in progress."""

    device_code: str
    user_code: str
    client_id: str
    scope: str
    expires_at: float  # wall clock
    interval: int
    last_poll: float | None = None
    state: str = "pending"  # pending, authorized, denied, used
    login: str | None = None


class DeviceFlow:
    """Device codes and their lifecycle; time is the simulator's wall clock."""

    def __init__(self, clock: Clock, seed: int) -> None:
        self._clock = clock
        self._rng = random.Random(f"device:{seed}")
        self._lock = threading.Lock()
        self._codes: dict[str, DeviceCode] = {}
        self.interval = INTERVAL
        self.issued: dict[str, str] = {}  # access token -> login

    def start(self, client_id: str, scope: str) -> DeviceCode:
        """A new device code for ``client_id``."""
        with self._lock:
            letters = "BCDFGHJKLMNPQRSTVWXZ"
            user_code = "".join(self._rng.choice(letters) for _ in range(8))
            code = DeviceCode(
                device_code="".join(self._rng.choice("0123456789abcdef") for _ in range(40)),
                user_code=f"{user_code[:4]}-{user_code[4:]}",
                client_id=client_id,
                scope=scope,
                expires_at=self._clock.wall() + EXPIRES_IN,
                interval=self.interval,
            )
            self._codes[code.device_code] = code
            return code

    def find(self, user_code: str) -> DeviceCode | None:
        """The pending code a person typed (case and dash insensitive), if any."""
        want = user_code.replace("-", "").strip().upper()
        with self._lock:
            for code in self._codes.values():
                if code.user_code.replace("-", "") == want:
                    return code
        return None

    def authorize(self, user_code: str, login: str) -> bool:
        """``login`` enters ``user_code`` and authorizes it; whether a pending code matched."""
        code = self.find(user_code)
        with self._lock:
            if code is None or code.state != "pending" or self._clock.wall() >= code.expires_at:
                return False
            code.state, code.login = "authorized", login
            return True

    def deny(self, user_code: str) -> bool:
        """The person cancels the authorization; whether a pending code matched."""
        code = self.find(user_code)
        with self._lock:
            if code is None or code.state != "pending":
                return False
            code.state = "denied"
            return True

    def poll(
        self, client_id: str, device_code: str, grant_type: str
    ) -> tuple[dict[str, Any], str | None]:
        """The answer to one ``/login/oauth/access_token`` poll, and the login when granted."""
        if grant_type != GRANT_TYPE:
            return _error("unsupported_grant_type", "The grant type must be " + GRANT_TYPE), None
        now = self._clock.wall()
        with self._lock:
            code = self._codes.get(device_code)
            if code is None or code.client_id != client_id:
                return _error(
                    "incorrect_device_code", "The device_code provided is not valid."
                ), None
            if now >= code.expires_at:
                return _error("expired_token", "The device_code has expired."), None
            if code.state == "denied":
                return _error("access_denied", "The authorization request was denied."), None
            if code.state == "used":
                return _error("incorrect_device_code", "The device_code was already used."), None
            too_soon = code.last_poll is not None and now - code.last_poll < code.interval
            code.last_poll = now
            if code.state == "authorized" and code.login:
                code.state = "used"
                token = "gho_" + "".join(
                    self._rng.choice(string.ascii_letters + string.digits) for _ in range(36)
                )
                self.issued[token] = code.login
                return {
                    "access_token": token,
                    "token_type": "bearer",
                    "scope": code.scope,
                }, code.login
            if too_soon:
                code.interval += 5
                body = _error(
                    "slow_down", "Too many requests have been made in the same timeframe."
                )
                body["interval"] = code.interval
                return body, None
            return _error(
                "authorization_pending", "The authorization request is still pending."
            ), None


def _error(error: str, description: str) -> dict[str, Any]:
    return {"error": error, "error_description": description, "error_uri": ERROR_URI}
