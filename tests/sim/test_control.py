"""The ``/_sim/`` control endpoints on the web origin (for a simulator in another process)."""

from __future__ import annotations

from releasemgr.sim import Simulator
from tests.sim.conftest import REPO, Api, request


def test_control_endpoints(sim: Simulator, api: Api) -> None:
    web = sim.web_url
    pushed = request(f"{web}/_sim/push?branch=main&title=From%20outside", "POST")
    run_id = pushed.json()["run_id"]
    assert api.ok(f"{REPO}/actions/runs/{run_id}")["display_title"] == "From outside"
    before = request(f"{web}/_sim/state").json()
    assert request(f"{web}/_sim/advance?seconds=3600", "POST").status == 204
    after = request(f"{web}/_sim/state").json()
    assert after["now"] == before["now"] + 3600
    assert api.ok(f"{REPO}/actions/runs/{run_id}")["status"] == "waiting"
    assert request(f"{web}/_sim/faults", "POST", body=b"503=1@/user").status == 204
    assert api.get("/user").status == 503
    bad = request(f"{web}/_sim/faults", "POST", body=b"boom=1")
    assert bad.status == 400 and "boom" in bad.json()["message"]
    assert request(f"{web}/_sim/faults", "POST", body=b"").status == 204
    assert api.get("/user").status == 200
    assert request(f"{web}/_sim/advance?seconds=soon", "POST").status == 400
    assert api.get("/_sim/state").status == 404  # never on the API host
