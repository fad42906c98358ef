"""Fault injection: the spec, seeded decisions, and each kind as a client sees it."""

from __future__ import annotations

import hashlib
import http.client
import time

import pytest

from releasemgr.sim import Simulator
from releasemgr.sim.faults import Faults, FaultSpecError, parse_spec
from tests.sim.conftest import REPO, Api, request


def test_spec_parsing() -> None:
    rules = parse_spec(
        "5xx=0.1,latency=200ms,drop=0.05,secondary=0.02,exhausted,"
        "502=1@POST:/repos/*/pending_deployments,latency=10ms..30ms,limit=100"
    )
    kinds = [r.kind for r in rules]
    assert kinds == ["5xx", "latency", "drop", "secondary", "exhausted", "502", "latency", "limit"]
    assert rules[1].value == pytest.approx(0.2)
    assert rules[5].method == "POST" and rules[5].pattern == "/repos/*/pending_deployments"
    assert (rules[6].value, rules[6].high) == pytest.approx((0.01, 0.03))
    assert parse_spec("") == [] and parse_spec(None) == []


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("boom=1", "unknown kind 'boom'"),
        ("5xx=2", "between 0 and 1"),
        ("drop=often", "not a probability"),
        ("latency", "needs a duration"),
        ("latency=soon", "not a duration"),
        ("limit=lots", "whole number"),
    ],
)
def test_bad_specs_name_the_item(spec: str, words: str) -> None:
    with pytest.raises(FaultSpecError) as err:
        parse_spec(f"latency=1ms,{spec}")
    assert words in str(err.value) and spec.split("=")[0] in str(err.value)


def test_decisions_are_seeded() -> None:
    def sequence(seed: int) -> list[int | None]:
        faults = Faults(seed, "5xx=0.3")
        return [faults.decide("GET", "/user").status for _ in range(200)]

    first = sequence(7)
    assert first == sequence(7)
    assert first != sequence(8)
    share = sum(s is not None for s in first) / len(first)
    assert 0.2 < share < 0.4
    assert {s for s in first if s} <= {500, 502, 503}


def test_once_applies_to_the_next_matching_request_only(sim: Simulator, api: Api) -> None:
    sim.faults.once("/user", "502")
    assert api.get(REPO).status == 200  # does not match
    failed = api.get("/user")
    assert failed.status == 502
    assert set(failed.json()) >= {"message", "documentation_url"}
    assert api.get("/user").status == 200


@pytest.mark.parametrize("landed", [False, True])
def test_a_502_on_approval_may_or_may_not_have_landed(
    sim: Simulator, api: Api, landed: bool
) -> None:
    run_id = sim.push(branch="main", title="Flaky network")
    sim.advance(3600)
    path = f"{REPO}/actions/runs/{run_id}/pending_deployments"
    ids = [p["environment"]["id"] for p in api.ok(path)]
    sim.faults.once("*/pending_deployments", "502", method="POST", landed=landed)
    answer = api.post(path, {"environment_ids": ids, "state": "approved", "comment": "go"})
    assert answer.status == 502
    still_waiting = api.ok(path)
    assert (still_waiting == []) is landed
    history = api.ok(f"{REPO}/actions/runs/{run_id}/approvals")
    assert len(history) == (1 if landed else 0)


def test_dropped_body_and_reset(sim: Simulator, api: Api) -> None:
    sim.faults.once("/repos/*/actions/runs", "drop")
    with pytest.raises(http.client.IncompleteRead):
        api.get(f"{REPO}/actions/runs")
    sim.faults.once("/user", "reset")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api.get("/user")
    assert api.get("/user").status == 200


def test_dropped_download_resumes_with_range(sim: Simulator, api: Api) -> None:
    art = api.ok(f"{REPO}/actions/artifacts?per_page=1")["artifacts"][0]
    location = api.get(f"{REPO}/actions/artifacts/{art['id']}/zip").header("Location") or ""
    sim.faults.once("/artifacts/*.zip", "drop")
    with pytest.raises(http.client.IncompleteRead) as cut:
        request(location)
    got = cut.value.partial
    assert 0 < len(got) < art["size_in_bytes"]
    rest = request(location, headers={"Range": f"bytes={len(got)}-"})
    assert rest.status == 206
    whole = got + rest.body
    assert "sha256:" + hashlib.sha256(whole).hexdigest() == art["digest"]


def test_corrupt_blob_fails_the_digest(sim: Simulator, api: Api) -> None:
    art = api.ok(f"{REPO}/actions/artifacts?per_page=1")["artifacts"][0]
    location = api.get(f"{REPO}/actions/artifacts/{art['id']}/zip").header("Location") or ""
    sim.faults.once("/artifacts/*.zip", "corrupt")
    body = request(location).body
    assert len(body) == art["size_in_bytes"]
    assert "sha256:" + hashlib.sha256(body).hexdigest() != art["digest"]


def test_secondary_rate_limit(sim: Simulator, api: Api) -> None:
    sim.faults.once("/user", "secondary")
    answer = api.get("/user")
    assert answer.status in (403, 429)
    assert answer.header("Retry-After") == "60"
    assert "secondary rate limit" in answer.json()["message"]


def test_exhausted_and_limited_primary_rate_limit(sim: Simulator, api: Api) -> None:
    sim.faults.set("exhausted")
    answer = api.get("/user")
    assert answer.status == 403
    assert answer.header("X-RateLimit-Remaining") == "0"
    assert "rate limit exceeded" in answer.json()["message"]
    assert api.ok("/rate_limit")["rate"]["remaining"] == 0  # still answers, costs nothing
    sim.faults.clear()
    assert api.get("/user").status == 200
    sim.faults.set("limit=3")
    left = api.ok("/rate_limit")["rate"]
    assert left["limit"] == 3 and left["used"] == 1
    statuses = [api.get("/user").status for _ in range(3)]
    assert statuses == [200, 200, 403]


def test_latency_and_patterns(sim: Simulator, api: Api) -> None:
    sim.faults.set("latency=150ms@/user,503=1@/rate_limit")
    started = time.monotonic()
    assert api.get("/user").status == 200
    assert time.monotonic() - started >= 0.15
    assert api.get("/rate_limit").status == 503
    assert api.get(REPO).status == 200


def test_faults_from_the_constructor() -> None:
    with Simulator(seed=3, scenario="basic", faults="503=1@/user") as sim:
        api = Api(sim, sim.login_for_role("qa"))
        assert api.get("/user").status == 503
        assert api.get(REPO).status == 200
