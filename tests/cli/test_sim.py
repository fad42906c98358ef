"""``releasemgr sim``: options, the ready line, and a clean stop on SIGINT and SIGTERM."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading

import pytest

from releasemgr.cli import sim as command
from releasemgr.cli.context import Context
from releasemgr.cli.main import main
from releasemgr.errors import UsageError
from tests.sim.conftest import request


def _parse(*argv: str) -> command.Options:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return command.parse(parser.parse_args(list(argv)))


def test_parse_defaults_and_values() -> None:
    assert _parse() == command.Options("127.0.0.1", 0, 1, 1.0, None, "demo")
    opts = _parse(
        "--port",
        "8765",
        "--seed",
        "9",
        "--speed",
        "0",
        "--faults",
        "5xx=0.1",
        "--scenario",
        "basic",
    )
    assert opts == command.Options("127.0.0.1", 8765, 9, None, "5xx=0.1", "basic")
    with pytest.raises(UsageError, match="--port"):
        _parse("--port", "70000")
    with pytest.raises(UsageError, match="--speed"):
        _parse("--speed", "-2")


def test_bad_fault_spec_is_a_usage_error() -> None:
    ctx = Context.for_test()
    assert main(["sim", "--faults", "boom=1"], ctx) == 2
    assert "--faults" in ctx.stderr.getvalue() and "boom" in ctx.stderr.getvalue()
    assert ctx.stdout.getvalue() == ""


def test_run_prints_the_ready_line_and_stops_when_told() -> None:
    ctx = Context.for_test()
    stop = threading.Event()
    ctx.extras["sim_stop"] = stop
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(command.run(_parse("--scenario", "basic"), ctx))
    )
    worker.start()
    try:
        for _ in range(200):
            if ctx.stdout.getvalue():
                break
            worker.join(0.05)
        ready = json.loads(ctx.stdout.getvalue().splitlines()[0])
        login = next(iter(ready["users"]))
        user = request(f"{ready['api_url']}/user", token=ready["users"][login]["token"])
        assert user.json()["login"] == login
    finally:
        stop.set()
        worker.join(30)
    assert result == [0]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_real_command_stops_cleanly(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "releasemgr", "sim", "--scenario", "basic", "--speed", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline())
        assert ready["repository"] == "massugc/massugc-video-service"
        assert {u["role"] for u in ready["users"].values()} == {
            "release-manager",
            "approver",
            "qa",
            "reader",
        }
        assert ready["web_url"] != ready["api_url"]
        token = next(iter(ready["users"].values()))["token"]
        assert request(f"{ready['api_url']}/user", token=token).status == 200
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_port_in_use_is_a_usage_error() -> None:
    from releasemgr.sim import Simulator

    with Simulator(seed=1, scenario="basic") as running:
        port = int(running.api_url.rsplit(":", 1)[1])
        ctx = Context.for_test()
        assert main(["sim", "--scenario", "basic", "--port", str(port)], ctx) == 2
        assert f"cannot listen on 127.0.0.1:{port}" in ctx.stderr.getvalue()
        assert ctx.stdout.getvalue() == ""


def test_ipv6_loopback() -> None:
    import socket

    from releasemgr.sim import Simulator

    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this host")
    try:
        running = Simulator(seed=1, scenario="basic", host="::1").start()
    except OSError:
        pytest.skip("IPv6 loopback is not configured")
    try:
        assert running.api_url.startswith("http://[::1]:")
        assert request(f"{running.api_url}/rate_limit").status == 200
    finally:
        running.stop()


def test_activity_option() -> None:
    assert _parse("--activity", "30").activity == 1800
    with pytest.raises(UsageError, match="--activity"):
        _parse("--activity", "0")


def test_a_busy_web_port_is_a_usage_error_too() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        web_port = taken.getsockname()[1]
        ctx = Context.for_test()
        code = main(["sim", "--scenario", "basic", "--port", str(web_port - 1)], ctx)
    assert code == 2
    assert "cannot listen" in ctx.stderr.getvalue()
