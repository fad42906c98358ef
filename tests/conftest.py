"""Suite-wide settings: Qt offscreen, and no test touches the user's real config or keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Each test gets its own config dir and no GitHub token from the developer's environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("RELEASEMGR_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("RELEASEMGR_DATA_DIR", str(home / "data"))
    for name in ("GH_TOKEN", "GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "GH_HOST"):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def sim() -> Iterator[object]:
    """A started simulator with the small ``basic`` world, on free loopback ports; time frozen."""
    from releasemgr.sim import Simulator

    with Simulator(seed=1, scenario="basic") as running:
        yield running
        assert running.errors == [], running.errors[0]


@pytest.fixture
def sim_demo() -> Iterator[object]:
    """A started simulator with the ``demo`` world (about 40 runs, two waiting); time frozen."""
    from releasemgr.sim import Simulator

    with Simulator(seed=1, scenario="demo") as running:
        yield running
        assert running.errors == [], running.errors[0]
