"""The two workflow files, parsed once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
REUSABLE = WORKFLOWS / "pyinstaller-release.yml"
CALLER = WORKFLOWS / "build-and-deploy.yml"


def load(path: Path) -> dict[str, Any]:
    """A workflow as a dict; PyYAML reads the bare key ``on`` as ``True``, so it is renamed."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: not a mapping"
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.fixture(scope="session")
def reusable() -> dict[str, Any]:
    """``pyinstaller-release.yml``, the reusable pipeline."""
    return load(REUSABLE)


@pytest.fixture(scope="session")
def caller() -> dict[str, Any]:
    """``build-and-deploy.yml``, releasemgr's own workflow."""
    return load(CALLER)
