"""Shared steps of the window's tests against the simulator: a signed-in window, moving time."""

from __future__ import annotations

from releasemgr.sim import Simulator
from releasemgr.ui.controller import Controller
from releasemgr.ui.demo import DemoWorld, UserSwitcher, prepare_demo
from releasemgr.ui.mainwindow import MainWindow

STEP_S = 30.0  # simulated seconds per step while waiting for the pipeline


def status_of(sim: Simulator, run_id: int) -> tuple[str, str | None, tuple[str, ...]]:
    """The run's status, conclusion and the environments waiting for a review (from the world)."""
    with sim.world.lock:
        run = sim.world.run(run_id)
        assert run is not None
        waiting = tuple(sorted(str(j.spec.environment) for j in sim.world.pending(run)))
        return run.attempt.status, run.attempt.conclusion, waiting


def advance_until_waiting(sim: Simulator, run_id: int, limit: int = 400) -> tuple[str, ...]:
    """Move simulated time until the run waits at a gate; the environments waiting."""
    for _ in range(limit):
        status, _conclusion, waiting = status_of(sim, run_id)
        if status == "waiting" and waiting:
            return waiting
        assert status != "completed", f"run {run_id} finished instead of waiting"
        sim.advance(STEP_S)
    raise AssertionError(f"run {run_id} never waited at a gate")


def advance_until_completed(sim: Simulator, run_id: int, limit: int = 400) -> str | None:
    """Move simulated time until the run completes; its conclusion."""
    for _ in range(limit):
        status, conclusion, _waiting = status_of(sim, run_id)
        if status == "completed":
            return conclusion
        sim.advance(STEP_S)
    raise AssertionError(f"run {run_id} never completed")


def open_window(qtbot: object, sim: Simulator, login: str | None = None) -> MainWindow:
    """The real window, signed in to the simulator as ``login`` (the release manager)."""
    controller = Controller()
    window = MainWindow(controller)
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    world = DemoWorld.from_simulator(sim)
    with qtbot.waitSignal(  # type: ignore[attr-defined]
        controller.session_changed, timeout=20_000, check_params_cb=lambda s: s is not None
    ):
        prepare_demo(window, world, login or sim.login_for_role("release-manager"))
    return window


def switcher(window: MainWindow) -> UserSwitcher:
    """The demo user switcher of a window opened by :func:`open_window`."""
    found = getattr(window, "demo_switcher", None)
    assert isinstance(found, UserSwitcher)
    return found
