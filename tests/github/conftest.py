"""Fixtures for the client's tests: a simulator per test, services signed in as its users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from releasemgr.config import Config
from releasemgr.github.service import ReleaseService
from releasemgr.model import CellState, RunDetail
from tests.memkeyring import memory_keyring, no_keyring  # noqa: F401 - fixtures

ROLES = ("release-manager", "approver", "qa", "reader")


def login_for(sim: Any, role: str) -> str:
    """The login of the simulator's user with ``role``."""
    for login, info in sim.users.items():
        found = info[1] if isinstance(info, tuple) else getattr(info, "role", None)
        if isinstance(info, dict):
            found = info.get("role")
        if found == role:
            return str(login)
    raise LookupError(role)


@pytest.fixture
def gh_sim(sim: Any) -> Any:
    """The suite's basic-world simulator (tests/conftest.py), under the name these tests use."""
    return sim


@pytest.fixture
def demo_sim(sim_demo: Any) -> Any:
    """The suite's demo-world simulator: about 40 runs of history, releases, waiting gates."""
    return sim_demo


Connect = Callable[..., ReleaseService]


@pytest.fixture
def connect_as() -> Connect:
    """``connect_as(sim, role)``: a service signed in as that role's user (no real sleeps)."""

    def make(sim: Any, role: str, **config: Any) -> ReleaseService:
        login = login_for(sim, role)
        return ReleaseService.connect(
            api_url=sim.api_url,
            repository=sim.repository,
            token=sim.token(login),
            config=Config(**config),
            sleep=lambda _s: None,
        )

    return make


def advance_until(
    sim: Any,
    service: ReleaseService,
    run_id: int,
    done: Callable[[RunDetail], bool],
    *,
    step: float = 30.0,
    limit: int = 400,
) -> RunDetail:
    """Step the simulator's clock until ``done(detail)`` holds; fail after ``limit`` steps."""
    for _ in range(limit):
        detail = service.run_detail(run_id)
        if done(detail):
            return detail
        sim.advance(step)
    raise AssertionError(f"run {run_id} never reached the state; last: {detail.run.state}")


def waiting_for(stage: str) -> Callable[[RunDetail], bool]:
    """A condition: a gate of ``stage`` waits."""
    return lambda d: any(g.stage.value == stage for g in d.waiting_gates)


def finished(detail: RunDetail) -> bool:
    """A condition: the run is over."""
    return detail.run.state.finished and detail.run.state != CellState.PENDING
