"""``releasemgr --self-test``: each check reported on a line, and the verdict in the exit code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from releasemgr.cli import selftest
from releasemgr.cli.context import Context


def test_all_checks_pass() -> None:
    ctx = Context.for_test()
    assert selftest.main(ctx, {"one": lambda: "fine", "two": lambda: "also fine"}) == 0
    lines = ctx.stdout.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines[0].startswith("releasemgr ")
    assert lines[1].startswith("ok   one: fine (")
    assert lines[-1] == "self-test passed"


def test_a_failing_check_fails_the_whole() -> None:
    def broken() -> str:
        raise RuntimeError("resources/sample: the sample package is missing")

    ctx = Context.for_test()
    assert selftest.main(ctx, {"window": lambda: "ok", "sample": broken}) == 1
    out = ctx.stdout.getvalue()  # type: ignore[attr-defined]
    assert "FAIL sample: resources/sample: the sample package is missing" in out
    assert out.endswith("self-test FAILED: 1 of 2 checks\n")


def test_window_check_builds_the_real_main_window(qapp: object) -> None:
    detail = selftest.check_window()
    assert detail.startswith("offscreen platform, main window with ")
    assert int(detail.split(" with ")[1].split()[0]) >= 1


def test_sample_check_verifies_the_committed_sample() -> None:
    assert selftest.check_sample().startswith("verified: ")


def test_sample_check_fails_on_a_tampered_or_missing_sample(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    shutil.copytree(selftest.resources_dir() / "sample", sample, symlinks=True)
    victim = next(p for p in sorted((sample / "ZyraVideoAgentBackend").rglob("*")) if p.is_file())
    victim.write_bytes(victim.read_bytes() + b"!")
    with pytest.raises(RuntimeError, match="FAILED: 1 mismatch"):
        selftest.check_sample(sample)
    with pytest.raises(RuntimeError, match="the sample package is missing"):
        selftest.check_sample(tmp_path / "nowhere")
