"""The demo's window side: sign in as one of the simulator's users and switch between them.

The simulator itself is started by ``releasemgr demo`` (``cli/demo.py``); this module only
needs its API URL, repository and users, so it never imports ``sim/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from releasemgr.config import Config
from releasemgr.ui.controller import Controller, Session
from releasemgr.ui.mainwindow import MainWindow


@dataclass(frozen=True)
class DemoUser:
    """A demo account: login, role and token (the token stays in memory)."""

    login: str
    role: str
    token: str

    def __repr__(self) -> str:
        return f"DemoUser(login={self.login!r}, role={self.role!r})"


@dataclass(frozen=True)
class DemoWorld:
    """Where the simulator listens and who may sign in to it."""

    api_url: str
    web_url: str
    repository: str
    users: tuple[DemoUser, ...]

    def user(self, login: str) -> DemoUser:
        """The user ``login``."""
        for user in self.users:
            if user.login == login:
                return user
        raise KeyError(login)

    @classmethod
    def from_simulator(cls, sim: object) -> DemoWorld:
        """The world of a started ``releasemgr.sim`` simulator (duck-typed)."""
        users_info: Mapping[str, object] = getattr(sim, "users", {})
        token_of = getattr(sim, "token", None)
        users = []
        for login, info in users_info.items():
            role = info.get("role", "") if isinstance(info, Mapping) else getattr(info, "role", "")
            token = token_of(login) if callable(token_of) else ""
            users.append(DemoUser(str(login), str(role), str(token)))
        # The release manager first: the demo opens signed in as them.
        users.sort(key=lambda u: (0 if "release" in u.role.lower() else 1, u.login))
        return cls(
            api_url=str(getattr(sim, "api_url", "")),
            web_url=str(getattr(sim, "web_url", "")),
            repository=str(getattr(sim, "repository", "")),
            users=tuple(users),
        )


class UserSwitcher(QWidget):
    """ "Signed in as [alice (release manager) v]" in the status bar; switching signs in again."""

    def __init__(self, controller: Controller, world: DemoWorld, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.world = world
        self.combo = QComboBox()
        self.combo.setObjectName("demo.user")
        self.combo.setToolTip("Demo: act as another user (e.g. to give the second approval)")
        for user in world.users:
            self.combo.addItem(f"{user.login} ({user.role})", user.login)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Demo user:"))
        layout.addWidget(self.combo)
        self.combo.activated.connect(lambda index: self.switch_to(self.combo.itemData(index)))
        controller.session_changed.connect(self._on_session)

    def switch_to(self, login: str) -> None:
        """Sign in as ``login`` (the answer arrives on the controller's ``session_changed``)."""
        user = self.world.user(login)
        self.controller.sign_in(self.world.api_url, self.world.repository, user.token, False)

    def _on_session(self, session: Session | None) -> None:
        if session is None:
            return
        index = self.combo.findData(session.login)
        if index >= 0:
            self.combo.setCurrentIndex(index)


def begin_demo(controller: Controller, world: DemoWorld, login: str | None = None) -> None:
    """Start signing in as ``login`` (default: the first user) before the window is built.

    Signing in imports the GitHub client and asks who we are on a worker thread; starting it
    first lets that overlap with building the window.
    """
    # The demo world runs the seed's pipeline: the defaults fit, and no file is read.
    controller.config = Config(web_url=world.web_url)
    if world.users:
        user = world.user(login) if login else world.users[0]
        controller.sign_in(world.api_url, world.repository, user.token, False)


def prepare_demo(
    window: MainWindow, world: DemoWorld, login: str | None = None, *, begun: bool = False
) -> UserSwitcher:
    """Add the user switcher; sign in as the first (or named) user unless ``begun`` already."""
    controller = window.controller
    if not begun:
        begin_demo(controller, world, login)
    switcher = UserSwitcher(controller, world)
    window.add_status_widget(switcher)
    window.demo_switcher = switcher  # type: ignore[attr-defined]
    window.setWindowTitle(f"releasemgr (demo) — {world.repository}")
    if controller.session is not None:
        switcher._on_session(controller.session)
    return switcher


def preload_client() -> None:
    """Import the GitHub client on a daemon thread now, so the first sign-in need not wait.

    PyGithub takes most of a second to import; the demo starts this before building its world.
    """
    import importlib
    import threading

    def load() -> None:
        for name in ("github", "releasemgr.github.service"):
            try:
                importlib.import_module(name)
            except ImportError:
                return  # signing in will report it properly

    threading.Thread(target=load, name="preload-client", daemon=True).start()
