"""``releasemgr demo`` and ``releasemgr gui``: options, the default command, and the real demo
rendering every page to PNG in a subprocess."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from releasemgr.cli import demo, gui, main
from releasemgr.errors import UsageError
from releasemgr.ui.pages import PAGES


def _ns(module: object, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)  # type: ignore[attr-defined]
    return parser.parse_args(argv)


def test_releasemgr_alone_opens_the_window() -> None:
    assert main.DEFAULT_COMMAND == "gui"
    assert "gui" in main.COMMANDS and "demo" in main.COMMANDS


def test_gui_takes_where_to_sign_in() -> None:
    options = gui.parse(_ns(gui, ["--api-url", "https://ghe.example.com/api/v3", "--repo", "a/b"]))
    assert options.where.api_url == "https://ghe.example.com/api/v3"
    assert options.where.repo == "a/b"


def test_demo_options() -> None:
    options = demo.parse(_ns(demo, []))
    assert (options.screenshot, options.speed, options.seed, options.user) == (None, 30.0, 1, None)
    options = demo.parse(_ns(demo, ["--screenshot", "shots", "--speed", "2.5", "--seed", "7"]))
    assert options.screenshot == Path("shots")
    assert (options.speed, options.seed) == (2.5, 7)
    with pytest.raises(UsageError, match="--speed must be above 0"):
        demo.parse(_ns(demo, ["--speed", "0"]))


@pytest.mark.slow
def test_demo_screenshot_renders_every_page(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "releasemgr", "demo", "--screenshot", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    files = sorted(out.glob("*.png"))
    assert len(files) == len(PAGES)
    assert [p.name.split("-", 1)[0] for p in files] == [f"{i:02d}" for i in range(1, 7)]
    for path in files:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(data) > 20_000, f"{path.name} looks empty"
    assert "Traceback" not in result.stderr
    assert [Path(line).name for line in result.stdout.split()] == [p.name for p in files]


def test_demo_refuses_an_unknown_user(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "releasemgr", "demo", "--user", "nobody", "--screenshot", "x"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("releasemgr: --user 'nobody' is not a demo user")
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_ctrl_c_closes_the_demo_window_cleanly() -> None:
    import signal

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "releasemgr", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # printed just before the window's event loop starts
        assert first.startswith("demo: simulated GitHub at http://127.0.0.1:")
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
