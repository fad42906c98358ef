"""``releasemgr --self-test``: each check reported on a line, and the verdict in the exit code."""

from __future__ import annotations

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


def test_sample_is_found_in_the_checkout() -> None:
    assert selftest.resources_dir().name == "resources"
    assert (selftest.resources_dir() / "icons").is_dir()
