"""The clock's arithmetic, and reviews racing each other."""

from __future__ import annotations

import threading

import pytest

from releasemgr.sim import Simulator
from releasemgr.sim.clock import Clock, iso, parse_iso
from tests.sim.conftest import REPO, Api


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_frozen_scaled_and_advanced_time() -> None:
    real = FakeMonotonic()
    frozen = Clock(start=1_000.0, speed=None, monotonic=real)
    fast = Clock(start=1_000.0, speed=60.0, monotonic=real)
    real.value += 10
    assert frozen.now() == 1_000.0 and frozen.wall() == 1_010.0
    assert fast.now() == 1_600.0 and fast.wall() == 1_010.0  # wall time is never scaled
    fast.advance(5)
    assert (fast.now(), fast.wall()) == (1_605.0, 1_015.0)
    with pytest.raises(ValueError):
        fast.advance(-1)


def test_iso_round_trip() -> None:
    assert iso(1_780_072_519) == "2026-05-29T16:35:19Z"
    assert parse_iso("2026-05-29T16:35:19Z") == 1_780_072_519
    assert parse_iso("2026-05-29") == parse_iso("2026-05-29T00:00:00Z")
    assert iso(None) is None


def test_two_people_approving_the_same_gate_at_once(sim: Simulator) -> None:
    manager = Api(sim, sim.login_for_role("release-manager"))
    approver = Api(sim, sim.login_for_role("approver"))
    run_id = sim.push(title="Race")
    sim.advance(3600)
    path = f"{REPO}/actions/runs/{run_id}/pending_deployments"
    ids = [p["environment"]["id"] for p in manager.ok(path)]
    body = {"environment_ids": ids, "state": "approved", "comment": "mine"}
    start = threading.Barrier(2)
    statuses: list[int] = []

    def approve(api: Api) -> None:
        start.wait()
        statuses.append(api.post(path, body).status)

    threads = [threading.Thread(target=approve, args=(a,)) for a in (manager, approver)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 422]
    assert len(manager.ok(f"{REPO}/actions/runs/{run_id}/approvals")) == 1
