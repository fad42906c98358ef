"""Everything the request handlers share: the world, artifact store, limits, faults, signing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from urllib.parse import quote

from releasemgr.sim.artifacts import ArtifactStore
from releasemgr.sim.clock import iso, parse_iso
from releasemgr.sim.deviceflow import DeviceFlow
from releasemgr.sim.entities import User
from releasemgr.sim.faults import Faults
from releasemgr.sim.payloads import Urls
from releasemgr.sim.ratelimit import RateLimits
from releasemgr.sim.world import World

SIGNED_URL_SECONDS = 60


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the simulator answered it (for tests that count calls)."""

    method: str
    path: str
    status: int
    login: str | None


class Backend:
    """Shared state of one running simulator."""

    def __init__(
        self, world: World, store: ArtifactStore, faults: Faults, device: DeviceFlow
    ) -> None:
        self.world = world
        self.store = store
        self.faults = faults
        self.device = device
        self.limits = RateLimits()
        self.urls = Urls("http://127.0.0.1", "http://127.0.0.1")
        self.blob_url = "http://127.0.0.1"
        self._secret = secrets.token_bytes(32)
        self.log: deque[LoggedRequest] = deque(maxlen=10_000)
        self.errors: list[str] = []  # tracebacks of unexpected failures (tests assert none)
        self._log_lock = threading.Lock()
        faults.on_change.append(self.apply_fault_limits)
        self.apply_fault_limits()

    def apply_fault_limits(self) -> None:
        """Make the rate limits follow ``limit=N`` and ``exhausted`` in the fault spec."""
        self.limits.set_limit(self.faults.limit())
        exhausted = self.faults.exhausted()
        if exhausted:
            self.limits.exhaust(None)
        elif getattr(self, "_exhausted", False):
            self.limits.reset_all()  # the fault is lifted: a fresh window
        self._exhausted = exhausted

    # ---- auth ------------------------------------------------------------------------------

    def user_for_token(self, token: str) -> User | None:
        """The account a token (personal or from the device flow) belongs to."""
        user = self.world.user_by_token(token)
        if user is None:
            login = self.device.issued.get(token)
            user = self.world.accounts.get(login) if login else None
        return user

    # ---- URLs ------------------------------------------------------------------------------

    def link_base(self, path: str) -> str:
        """The absolute URL for a ``Link`` header: ``/repositories/{id}/...`` for repo paths."""
        prefix = f"/repos/{self.world.repo.full_name}"
        if path.lower().startswith(prefix.lower()):
            return f"{self.urls.api}/repositories/{self.world.repo.id}{path[len(prefix) :]}"
        return f"{self.urls.api}{path}"

    def sign(self, path: str) -> str:
        """A URL on the blob origin for ``path``, valid for 60 seconds of wall time."""
        expires = iso(self.world.clock.wall() + SIGNED_URL_SECONDS) or ""
        sig = self._signature(path, expires)
        return f"{self.blob_url}{path}?sv=2025-01-05&sp=r&se={quote(expires)}&sig={sig}"

    def _signature(self, path: str, expires: str) -> str:
        return hmac.new(self._secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def check_signature(self, path: str, expires: str, sig: str) -> str | None:
        """Why a signed URL is not good (``None`` when it is)."""
        if not expires or not sig:
            return "Server failed to authenticate the request. The signature is missing."
        if not hmac.compare_digest(self._signature(path, expires), sig):
            return "Signature did not match."
        try:
            deadline = parse_iso(expires)
        except ValueError:
            return "Signature fields not well formed."
        if self.world.clock.wall() > deadline:
            return "Signed expiry time has to be after signed start time. The URL has expired."
        return None

    def record(self, method: str, path: str, status: int, login: str | None) -> None:
        """Remember one answered request."""
        with self._log_lock:
            self.log.append(LoggedRequest(method, path, status, login))
