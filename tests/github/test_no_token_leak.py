"""A whole session's output, log lines and error texts never contain the token."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from releasemgr.config import Config
from releasemgr.errors import ReleasemgrError
from releasemgr.github.service import ReleaseService
from releasemgr.model import Stage
from tests.cli.client_helpers import cli, env_for
from tests.github.conftest import login_for


def test_token_never_shows(gh_sim: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")
    env = env_for(gh_sim, "release-manager")
    token = env["GH_TOKEN"]
    texts: list[str] = []
    run_id = gh_sim.push(branch="main", title="Leak hunt")
    gh_sim.advance(30)
    commands = [
        ["auth", "status"],
        ["runs", "--json"],
        ["status", str(run_id)],
        ["status", str(run_id), "--json"],
        ["approve", str(run_id), "--stage", "canary", "-m", "early"],
        ["releases", "--json"],
        ["setup-environments"],
        ["status", "999999"],
        ["download", str(run_id), "--name", "nothing-like-this"],
    ]
    for argv in commands:
        result = cli(argv, env, tmp_path)
        texts += [result.out, result.err]
    gh_sim.faults.set("exhausted")
    texts.append(cli(["runs"], env, tmp_path).err)
    gh_sim.faults.clear()
    gh_sim.faults.once("*/pending_deployments", "502", method="GET")
    texts.append(cli(["status", str(run_id)], env, tmp_path).err)
    texts.append(cli(["runs", "--api-url", "http://127.0.0.1:9"], env, tmp_path).err)

    service = ReleaseService.connect(
        api_url=gh_sim.api_url,
        repository=gh_sim.repository,
        token=token,
        config=Config(),
        sleep=lambda _s: None,
    )
    texts += [repr(service), repr(service.gateway), str(vars(service.gateway.counters))]
    for call in (
        lambda: service.approve(run_id, Stage.PRODUCTION, "x"),
        lambda: service.run_detail(123456789),
        lambda: ReleaseService.connect(
            api_url="http://127.0.0.1:9",
            repository="o/r",
            token=token,
            config=Config(),
            sleep=lambda _s: None,
        ).whoami(),
    ):
        try:
            call()
        except ReleasemgrError as exc:
            texts += [str(exc), repr(exc), exc.message, exc.hint or ""]
            texts += [repr(a) for a in exc.args]

    # The real CLI in a subprocess, as a release script would run it.
    for argv in (["runs", "--limit", "3"], ["status", "--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "releasemgr", *argv],
            env={**os.environ, **env, "RELEASEMGR_DEBUG": ""},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        texts += [proc.stdout, proc.stderr]

    texts += [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    assert any(login_for(gh_sim, "release-manager") in t for t in texts)
    leaks = [t for t in texts if token in t]
    assert leaks == []
