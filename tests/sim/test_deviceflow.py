"""The OAuth device flow on the web origin."""

from __future__ import annotations

from urllib.parse import parse_qs

from releasemgr.sim import Simulator
from tests.sim.conftest import Api, request

JSON = {"Accept": "application/json"}
GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _start(sim: Simulator) -> dict:
    answer = request(
        f"{sim.web_url}/login/device/code",
        "POST",
        body={"client_id": "Iv1.releasemgr", "scope": "repo workflow"},
        headers=JSON,
    )
    assert answer.status == 200
    return answer.json()


def _poll(sim: Simulator, code: dict) -> dict:
    body = {"client_id": "Iv1.releasemgr", "device_code": code["device_code"], "grant_type": GRANT}
    return request(
        f"{sim.web_url}/login/oauth/access_token", "POST", body=body, headers=JSON
    ).json()


def test_device_flow_grants_a_working_token(sim: Simulator) -> None:
    code = _start(sim)
    assert code["verification_uri"] == f"{sim.web_url}/login/device"
    assert code["interval"] == 5 and code["expires_in"] == 900
    assert len(code["user_code"]) == 9 and code["user_code"][4] == "-"
    assert _poll(sim, code)["error"] == "authorization_pending"
    slow = _poll(sim, code)  # polled again at once
    assert slow["error"] == "slow_down" and slow["interval"] == 10
    sim.advance(10)
    assert _poll(sim, code)["error"] == "authorization_pending"
    qa = sim.login_for_role("qa")
    assert sim.authorize_device(code["user_code"].lower(), qa)
    sim.advance(10)
    granted = _poll(sim, code)
    assert granted["token_type"] == "bearer" and granted["scope"] == "repo workflow"
    token = granted["access_token"]
    user = request(f"{sim.api_url}/user", headers={"Authorization": f"Bearer {token}"})
    assert user.json()["login"] == qa
    sim.advance(10)
    assert _poll(sim, code)["error"] == "incorrect_device_code"  # used up


def test_expired_and_denied(sim: Simulator) -> None:
    late = _start(sim)
    sim.advance(901)
    assert _poll(sim, late)["error"] == "expired_token"
    assert not sim.authorize_device(late["user_code"], sim.login_for_role("qa"))
    denied = _start(sim)
    assert sim.deny_device(denied["user_code"])
    assert _poll(sim, denied)["error"] == "access_denied"
    body = {
        "client_id": "Iv1.releasemgr",
        "device_code": denied["device_code"],
        "grant_type": "password",
    }
    answer = request(f"{sim.web_url}/login/oauth/access_token", "POST", body=body, headers=JSON)
    assert answer.json()["error"] == "unsupported_grant_type"


def test_form_encoding_and_the_authorize_page(sim: Simulator, api: Api) -> None:
    answer = request(
        f"{sim.web_url}/login/device/code",
        "POST",
        body=b"client_id=abc",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (answer.header("Content-Type") or "").startswith("application/x-www-form-urlencoded")
    code = {k: v[0] for k, v in parse_qs(answer.body.decode()).items()}
    page = request(f"{sim.web_url}/login/device")
    assert page.status == 200 and b"user_code" in page.body
    login = sim.login_for_role("approver")
    form = f"user_code={code['user_code']}&login={login}&action=authorize".encode()
    done = request(
        f"{sim.web_url}/login/device",
        "POST",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert b"Authorized as" in done.body
    body = f"client_id=abc&device_code={code['device_code']}&grant_type={GRANT}".encode()
    token = request(
        f"{sim.web_url}/login/oauth/access_token",
        "POST",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "access_token=gho_" in token.body.decode()
    missing = request(f"{sim.web_url}/login/device/code", "POST", body=b"", headers=JSON)
    assert missing.status == 400
