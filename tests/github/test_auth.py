"""Token sources, the keyring, the device flow and the auth command, against the simulator."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from releasemgr.errors import AuthError, ExitCode
from releasemgr.github import auth
from tests.cli.client_helpers import cli
from tests.github.conftest import login_for
from tests.memkeyring import MemoryKeyring

API = "https://ghe.example.test/api/v3"


def test_environment_first_then_keyring(memory_keyring: MemoryKeyring) -> None:
    assert auth.find_token(API, {}) is None
    auth.store_token(API, "from-keyring")
    assert memory_keyring.items == {("releasemgr", "ghe.example.test"): "from-keyring"}
    found = auth.find_token(API, {})
    assert found is not None and found.source == "keyring"
    assert "from-keyring" not in repr(found)
    env = {"GITHUB_TOKEN": "gt", "GH_TOKEN": "gh"}
    assert auth.find_token(API, env) == auth.TokenSource("gh", "GH_TOKEN")
    assert auth.find_token(API, {"GITHUB_TOKEN": "gt"}) == auth.TokenSource("gt", "GITHUB_TOKEN")
    assert auth.delete_token(API) is True
    assert auth.delete_token(API) is False


def test_no_keyring_backend_says_how_to_fix_it(no_keyring: None) -> None:
    with pytest.raises(AuthError) as info:
        auth.store_token(API, "secret-token")
    assert "no usable keyring backend" in str(info.value)
    assert "GH_TOKEN" in str(info.value)
    assert "secret-token" not in str(info.value)
    assert auth.find_token(API, {}) is None


def test_web_url_for() -> None:
    assert auth.web_url_for("https://api.github.com") == "https://github.com"
    assert auth.web_url_for(API) == "https://ghe.example.test"


def _authorize(sim: Any, user_code: str, login: str) -> None:
    data = urllib.parse.urlencode({"user_code": user_code, "login": login}).encode()
    with urllib.request.urlopen(f"{sim.web_url}/login/device", data=data, timeout=10) as r:
        assert r.status == 200


def test_device_flow_polls_at_the_interval_and_honours_slow_down(gh_sim: Any) -> None:
    code = auth.start_device_flow(gh_sim.web_url, "test-client")
    login = login_for(gh_sim, "qa")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            return  # poll too soon once: the server must answer slow_down
        if len(waits) == 3:
            _authorize(gh_sim, code.user_code, login)
        gh_sim.advance(seconds)

    token = auth.poll_device_flow(gh_sim.web_url, "test-client", code, sleep=sleep)
    assert waits[0] == code.interval
    assert waits[2] == waits[1] + 5  # slow_down added five seconds
    assert token and token not in repr(code)


def test_device_flow_gives_up_on_expiry(gh_sim: Any) -> None:
    code = auth.start_device_flow(gh_sim.web_url, "test-client")
    with pytest.raises(AuthError, match="expired"):
        auth.poll_device_flow(
            gh_sim.web_url, "test-client", code, sleep=lambda s: gh_sim.advance(s + 120)
        )


def test_auth_login_status_logout(
    gh_sim: Any, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    login = login_for(gh_sim, "approver")
    token = gh_sim.token(login)
    env = {"GITHUB_API_URL": gh_sim.api_url}
    result = cli(["auth", "login", "--with-token"], env, tmp_path, stdin=token + "\n")
    assert result.code == 0, result.err
    assert login in result.out
    status = cli(["auth", "status"], env, tmp_path)
    assert status.code == 0, status.err
    assert login in status.out and "keyring" in status.out and "rate limit" in status.out
    assert token not in status.out + status.err + result.out + result.err
    out = cli(["auth", "logout"], env, tmp_path)
    assert out.code == 0 and "removed" in out.out
    assert memory_keyring.items == {}
    after = cli(["auth", "status"], env, tmp_path)
    assert after.code == ExitCode.AUTH and "not signed in" in after.err


def test_auth_login_rejects_a_bad_token(
    gh_sim: Any, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    env = {"GITHUB_API_URL": gh_sim.api_url}
    result = cli(["auth", "login", "--with-token"], env, tmp_path, stdin="ghp_not_a_token\n")
    assert result.code == ExitCode.AUTH
    assert "sign in again" in result.err
    assert "ghp_not_a_token" not in result.err
    assert memory_keyring.items == {}


def test_auth_login_device_flow_command(
    gh_sim: Any, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    from releasemgr.cli.context import Context
    from releasemgr.cli.main import main

    login = login_for(gh_sim, "qa")
    env = {"GITHUB_API_URL": gh_sim.api_url, "GITHUB_SERVER_URL": gh_sim.web_url}
    ctx = Context.for_test(env=env, cwd=tmp_path)

    def sleep(seconds: float) -> None:
        shown = ctx.stderr.getvalue()  # type: ignore[attr-defined]
        if "authorized" not in ctx.extras:
            ctx.extras["authorized"] = True
            user_code = re.search(r"enter the code (\S+)", shown)
            assert user_code is not None, shown
            _authorize(gh_sim, user_code.group(1), login)
        gh_sim.advance(seconds)

    ctx.extras["sleep"] = sleep
    code = main(["auth", "login", "--device"], ctx)
    err = ctx.stderr.getvalue()  # type: ignore[attr-defined]
    assert code == 0, err
    assert f"{gh_sim.web_url}/login/device" in err
    assert login in ctx.stdout.getvalue()  # type: ignore[attr-defined]
    assert len(memory_keyring.items) == 1


def test_auth_login_without_a_keyring_says_how_to_fix_it(
    gh_sim: Any, no_keyring: None, tmp_path: Path
) -> None:
    token = gh_sim.token(login_for(gh_sim, "qa"))
    env = {"GITHUB_API_URL": gh_sim.api_url}
    result = cli(["auth", "login", "--with-token"], env, tmp_path, stdin=token)
    assert result.code == ExitCode.AUTH
    assert "no usable keyring backend" in result.err and "GH_TOKEN" in result.err
    assert token not in result.err + result.out
    assert not any(tmp_path.iterdir())  # no plain-file fallback
