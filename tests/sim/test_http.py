"""The HTTP contract: headers, rate limits, ETags and 304, pagination, auth and errors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from releasemgr.sim import Simulator
from tests.sim.conftest import REPO, Api


def test_headers_and_rate_limit_count_down_per_user(sim: Simulator, api: Api) -> None:
    first = api.get("/user")
    second = api.get(REPO)
    assert first.header("X-GitHub-Api-Version-Selected") == "2022-11-28"
    assert first.header("Content-Type") == "application/json; charset=utf-8"
    assert int(first.header("X-RateLimit-Limit") or 0) == 5000
    assert int(second.header("X-RateLimit-Remaining") or 0) == (
        int(first.header("X-RateLimit-Remaining") or 0) - 1
    )
    assert second.header("X-RateLimit-Resource") == "core"
    assert int(second.header("X-RateLimit-Reset") or 0) > 0
    other = api.as_user(sim.login_for_role("qa")).get("/user")
    assert other.header("X-RateLimit-Used") == "1"  # each user has their own allowance
    limits = api.ok("/rate_limit")  # costs nothing
    assert limits["rate"]["used"] == 2 == limits["resources"]["core"]["used"]


def test_etag_304_costs_nothing(api: Api) -> None:
    path = f"{REPO}/actions/runs?per_page=5"
    first = api.get(path)
    etag = first.header("ETag")
    assert etag and etag.startswith('W/"')
    again = api.get(path, **{"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""
    assert again.header("X-RateLimit-Remaining") == first.header("X-RateLimit-Remaining")
    changed = api.get(path, **{"If-None-Match": 'W/"stale"'})
    assert changed.status == 200
    assert int(changed.header("X-RateLimit-Remaining") or 0) == (
        int(first.header("X-RateLimit-Remaining") or 0) - 1
    )


def test_etag_changes_when_the_world_moves(sim: Simulator, api: Api) -> None:
    run_id = sim.push(branch="main", title="Moving")
    path = f"{REPO}/actions/runs/{run_id}"
    etag = api.get(path).header("ETag") or ""
    sim.advance(600)
    assert api.get(path, **{"If-None-Match": etag}).status == 200


def test_link_pagination_walks_every_run(sim_demo: Simulator) -> None:
    api = Api(sim_demo, sim_demo.login_for_role("reader"))
    first = api.get(f"{REPO}/actions/runs?per_page=7&branch=main")
    total = first.json()["total_count"]
    seen = [r["id"] for r in first.json()["workflow_runs"]]
    link = first.header("Link") or ""
    assert 'rel="next"' in link and 'rel="last"' in link
    while 'rel="next"' in link:
        nxt = next(p.split(";")[0].strip("<> ") for p in link.split(",") if 'rel="next"' in p)
        assert "/repositories/" in nxt  # like GitHub, next pages use the repository id
        assert parse_qs(urlsplit(nxt).query)["branch"] == ["main"]
        page = api.get(nxt)
        assert page.status == 200
        seen += [r["id"] for r in page.json()["workflow_runs"]]
        link = page.header("Link") or ""
    assert 'rel="prev"' in link and 'rel="first"' in link
    assert len(seen) == len(set(seen)) == total > 20


def test_auth_errors(sim: Simulator, api: Api) -> None:
    bad = api.as_user(None).call("GET", "/user", Authorization="token ghp_not_a_real_token")
    assert bad.status == 401
    assert bad.json()["message"] == "Bad credentials"
    assert "documentation_url" in bad.json()
    anonymous = api.as_user(None)
    assert anonymous.get("/user").status == 401
    assert anonymous.get(REPO).status == 404  # a private repository is invisible
    assert api.get("/repos/massugc/other-repo").status == 404
    reader = api.as_user(sim.login_for_role("reader"))
    run_id = sim.push(branch="main", title="Not yours")
    cancel = reader.post(f"{REPO}/actions/runs/{run_id}/cancel")
    assert cancel.status == 403
    assert set(cancel.json()) >= {"message", "documentation_url"}
    assert reader.get(f"{REPO}/actions/runs/{run_id}").status == 200


def test_unknown_api_version_is_refused(api: Api) -> None:
    answer = api.get("/user", **{"X-GitHub-Api-Version": "1999-01-01"})
    assert answer.status == 400
    assert "X-GitHub-Api-Version" in answer.json()["message"]
    assert api.get("/user", **{"X-GitHub-Api-Version": "2022-11-28"}).status == 200


def test_filters(sim_demo: Simulator) -> None:
    api = Api(sim_demo, sim_demo.login_for_role("qa"))
    runs = api.ok(f"{REPO}/actions/runs?per_page=100")["workflow_runs"]
    waiting = api.ok(f"{REPO}/actions/runs?status=waiting")["workflow_runs"]
    assert {r["id"] for r in waiting} == {r["id"] for r in runs if r["status"] == "waiting"}
    failed = api.ok(f"{REPO}/actions/runs?status=failure&per_page=100")
    assert failed["total_count"] == sum(r["conclusion"] == "failure" for r in runs)
    develop = api.ok(f"{REPO}/actions/runs?branch=develop&per_page=100")["workflow_runs"]
    assert develop and all(r["head_branch"] == "develop" for r in develop)
    sha = runs[3]["head_sha"]
    assert [r["head_sha"] for r in api.ok(f"{REPO}/actions/runs?head_sha={sha}")["workflow_runs"]]
    day = runs[5]["created_at"][:10]
    on_day = api.ok(f"{REPO}/actions/runs?created={day}&per_page=100")["workflow_runs"]
    assert on_day and all(r["created_at"].startswith(day) for r in on_day)
    since = api.ok(f"{REPO}/actions/runs?created=>={day}&per_page=100")["total_count"]
    before = api.ok(f"{REPO}/actions/runs?created=<{day}&per_page=100")["total_count"]
    assert since + before == len(runs)
    dispatched = api.ok(f"{REPO}/actions/runs?event=workflow_dispatch")["workflow_runs"]
    assert dispatched and all(r["event"] == "workflow_dispatch" for r in dispatched)
    name = api.ok(f"{REPO}/actions/artifacts?per_page=1")["artifacts"][0]["name"]
    named = api.ok(f"{REPO}/actions/artifacts?name={name}")["artifacts"]
    assert named and all(a["name"] == name for a in named)
    envs = api.ok(f"{REPO}/deployments?environment=canary-macos&per_page=100")
    assert envs and all(d["environment"] == "canary-macos" for d in envs)


def test_malformed_requests_get_clean_errors(sim: Simulator, api: Api) -> None:
    import socket

    host, port = sim.api_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(b"POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 400")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(b"POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
        assert conn.recv(100).startswith(b"HTTP/1.1 413")
    run_id = sim.push(title="Bad JSON")
    bad = api.call("POST", f"{REPO}/actions/runs/{run_id}/pending_deployments", b"{nope")
    assert bad.status == 400 and bad.json()["message"] == "Problems parsing JSON"
    wrong = api.post(
        f"{REPO}/actions/runs/{run_id}/pending_deployments",
        {"environment_ids": ["x"], "state": "approved", "comment": "c"},
    )
    assert wrong.status == 422 and wrong.json()["message"].startswith("Invalid request.")
    assert api.get(f"{REPO}/actions/runs/not-a-number").status == 404
    assert api.get(f"{REPO}/actions/runs?per_page=lots").status == 422
    assert api.call("DELETE", "/user").status == 404


def test_stop_ends_keep_alive_connections() -> None:
    import http.client

    sim = Simulator(seed=2, scenario="basic").start()
    host, port = sim.api_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/rate_limit")
    assert conn.getresponse().read()
    sim.stop()
    try:
        conn.request("GET", "/rate_limit")
        answer = conn.getresponse()
    except (ConnectionError, http.client.HTTPException, OSError):
        answer = None
    assert answer is None
    conn.close()
