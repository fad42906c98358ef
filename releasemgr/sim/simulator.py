"""``Simulator``: the in-process API over the world and its three HTTP origins.

with Simulator(seed=1, scenario="basic") as sim:
    requests.get(f"{sim.api_url}/user", headers={"Authorization": f"token {sim.token(login)}"})
    sim.advance(600)        # ten simulated minutes pass; jobs progress, gates wait
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from releasemgr.sim.artifacts import ArtifactStore
from releasemgr.sim.backend import Backend, LoggedRequest
from releasemgr.sim.clock import Clock
from releasemgr.sim.deviceflow import DeviceFlow
from releasemgr.sim.entities import Artifact
from releasemgr.sim.faults import Faults
from releasemgr.sim.payloads import Urls
from releasemgr.sim.pipeline import RETENTION_DAYS
from releasemgr.sim.scenario import build
from releasemgr.sim.server import SimServer
from releasemgr.sim.world import World

DAY = 86_400.0


@dataclass(frozen=True)
class UserInfo:
    """A person who can sign in to the simulator."""

    login: str
    role: str
    token: str


class Simulator:
    """A running (once ``start()``-ed) simulated GitHub on loopback.

    Args:
        seed: makes ids, tokens, durations, outcomes and faults repeatable.
        scenario: ``"basic"`` (small, for tests) or ``"demo"`` (30 days of releases).
        speed: simulated seconds per real second; ``None`` moves time only by ``advance()``.
        faults: a fault spec (see ``releasemgr.sim.faults``), or ``None``.
        host, port: where the API listens (0: a free port); web and blob take the next two
            ports when ``port`` is given, else free ports.
        artifact_dir: where artifact zips are built (default: a temporary folder removed by
            ``stop()``).
        now: the simulated start instant (default: the real current time).
        activity_every: simulated seconds between new pushes by the developers (default
            none), so a demo on scaled time keeps getting runs.
    """

    def __init__(
        self,
        seed: int = 1,
        scenario: str = "demo",
        speed: float | None = None,
        faults: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        artifact_dir: Path | None = None,
        now: float | None = None,
        activity_every: float | None = None,
    ) -> None:
        self.seed = seed
        self.scenario = scenario
        self.host = host
        self.port = port
        self.clock = Clock(start=now, speed=speed)
        self.faults = Faults(seed, faults)
        self.world: World = build(scenario, seed, self.clock)
        self.world.schedule_activity(activity_every)
        # Only now that the arguments proved good, so a bad scenario leaves no folder behind.
        self._own_dir = artifact_dir is None
        self._dir = artifact_dir or Path(tempfile.mkdtemp(prefix="releasemgr-sim-"))
        self.store = ArtifactStore(self._dir)
        self.device = DeviceFlow(self.clock, seed)
        self.backend = Backend(self.world, self.store, self.faults, self.device)
        self._servers: list[SimServer] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # ---- life cycle ------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind and serve the three origins on threads; returns when they accept connections."""
        if self._servers:
            return self
        ports = (self.port, self.port + 1, self.port + 2) if self.port else (0, 0, 0)
        bound: list[SimServer] = []
        try:
            for origin, port in zip(("api", "web", "blob"), ports, strict=True):
                bound.append(SimServer((self.host, port), self.backend, origin))
        except OSError:
            for server in bound:  # never served: close, do not shut down (that would wait)
                server.server_close()
            raise
        self._servers = bound
        self.backend.urls = Urls(self._url(0), self._url(1))
        self.backend.blob_url = self._url(2)
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"sim-{server.origin}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        warm = threading.Thread(target=self._warm, name="sim-warm", daemon=True)
        warm.start()
        self._threads.append(warm)
        return self

    def _url(self, index: int) -> str:
        host, port = self._servers[index].server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port}"

    def _warm(self) -> None:
        """Build artifact zips in the background, newest first, so listings answer quickly."""
        with self.world.lock:
            pending = sorted(self.world.artifacts.values(), key=lambda a: -a.created_at)
        for art in pending:
            if self._stopping.is_set():
                return
            if art.path is None:
                self.store.ensure(art)

    def stop(self) -> None:
        """Stop serving, join the threads and remove the temporary artifact folder."""
        self._stopping.set()
        # shutdown() waits for the serve loop's next poll: wait for all three at once
        stoppers = [threading.Thread(target=server.shutdown) for server in self._servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for server in self._servers:
            server.close_all()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        self._servers.clear()
        self._threads.clear()
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- where and who ---------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The REST API root (like ``https://api.github.com``)."""
        return self.backend.urls.api

    @property
    def web_url(self) -> str:
        """The web host (``html_url`` links, the device flow)."""
        return self.backend.urls.web

    @property
    def blob_url(self) -> str:
        """The storage host signed artifact and log URLs point to."""
        return self.backend.blob_url

    @property
    def repository(self) -> str:
        """``owner/name`` of the simulated repository."""
        return self.world.repo.full_name

    @property
    def users(self) -> dict[str, UserInfo]:
        """The people who can sign in, by login."""
        return {
            u.login: UserInfo(u.login, u.role, u.token)
            for u in self.world.accounts.values()
            if u.token
        }

    def token(self, login: str) -> str:
        """The personal access token of ``login``."""
        user = self.world.accounts.get(login)
        if user is None or not user.token:
            raise KeyError(f"no simulated user {login!r} signs in")
        return user.token

    def login_for_role(self, role: str) -> str:
        """The login of the (first) user with ``role``."""
        for user in self.world.accounts.values():
            if user.role == role and user.token:
                return user.login
        raise KeyError(f"no simulated user has role {role!r}")

    def ready_info(self) -> dict[str, Any]:
        """The JSON object ``releasemgr sim`` prints as its ready line."""
        return {
            "api_url": self.api_url,
            "web_url": self.web_url,
            "blob_url": self.blob_url,
            "repository": self.repository,
            "users": {u.login: {"role": u.role, "token": u.token} for u in self.users.values()},
        }

    @property
    def errors(self) -> list[str]:
        """Tracebacks of unexpected failures inside the simulator (a test wants none)."""
        return list(self.backend.errors)

    @property
    def requests(self) -> list[LoggedRequest]:
        """Requests answered so far (method, path, status, login), oldest first."""
        with self.backend._log_lock:
            return list(self.backend.log)

    # ---- driving the world -----------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of simulated (and signed-URL) time pass; jobs progress, gates wait."""
        self.clock.advance(seconds)
        with self.world.lock:
            self.world.sync()

    def push(
        self,
        branch: str = "main",
        title: str = "",
        sha: str | None = None,
        *,
        actor: str | None = None,
        fail: dict[str, str] | None = None,
    ) -> int:
        """A commit lands on ``branch``: a new run of the pipeline; its run id.

        ``fail`` maps job names to a failure reason (``{"test-macos": "..."}``; ``"monitor"``
        makes the macOS canary release corrupt so the monitor finds it unhealthy).
        """
        with self.world.lock:
            self.world.sync()
            return self.world.push(branch, title=title, sha=sha, actor=actor, fail=fail).id

    def latest_run_id(self, branch: str | None = None) -> int:
        """The id of the newest run (on ``branch``, when given)."""
        with self.world.lock:
            runs = [r for r in self.world.runs.values() if branch in (None, r.head_branch)]
            if not runs:
                raise KeyError(f"no run on {branch!r}")
            return max(runs, key=lambda r: (r.created_at, r.id)).id

    def add_artifact(self, run_id: int, name: str, path_to_zip: str | Path) -> int:
        """Attach a prebuilt zip (left in place, streamed from disk) to a run; its id."""
        path = Path(path_to_zip)
        with self.world.lock:
            run = self.world.run(run_id)
            if run is None:
                raise KeyError(f"no run {run_id}")
            now = self.clock.now()
            art = Artifact(
                id=self.world.next_id("artifact"),
                name=name,
                run_id=run.id,
                kind="external",
                created_at=now,
                expires_at=now + RETENTION_DAYS["release"] * DAY,
                head_branch=run.head_branch,
                head_sha=run.head_sha,
            )
        self.store.register(art, path)
        with self.world.lock:
            self.world.artifacts[art.id] = art
        return art.id

    def authorize_device(self, user_code: str, login: str) -> bool:
        """``login`` enters ``user_code`` on the device page and authorizes it."""
        return self.device.authorize(user_code, login)

    def deny_device(self, user_code: str) -> bool:
        """The person cancels the device authorization for ``user_code``."""
        return self.device.deny(user_code)
