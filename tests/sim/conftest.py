"""A plain HTTP client for the simulator's tests: real requests over loopback, no redirects."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from releasemgr.sim import Simulator

REPO = "/repos/massugc/massugc-video-service"


@dataclass
class Answer:
    """One HTTP response, read whole."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def request(
    url: str,
    method: str = "GET",
    *,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """Send one request to an absolute URL and read the whole answer."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"token {token}"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, path, body=data, headers=sent)
        resp = conn.getresponse()
        return Answer(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


class Api:
    """Requests to the simulator's REST API as one user."""

    def __init__(self, sim: Simulator, login: str | None) -> None:
        self.sim = sim
        self.token = sim.token(login) if login else None

    def as_user(self, login: str | None) -> Api:
        return Api(self.sim, login)

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Answer:
        url = path if path.startswith("http") else self.sim.api_url + path
        return request(url, method, token=self.token, body=body, headers=headers or None)

    def get(self, path: str, **headers: str) -> Answer:
        return self.call("GET", path, **headers)

    def post(self, path: str, body: Any = None) -> Answer:
        return self.call("POST", path, body)

    def ok(self, path: str) -> Any:
        answer = self.get(path)
        assert answer.status == 200, (path, answer.status, answer.body[:300])
        return answer.json()


@pytest.fixture
def api(sim: Simulator) -> Api:
    """The basic world's API as the release manager."""
    return Api(sim, sim.login_for_role("release-manager"))
