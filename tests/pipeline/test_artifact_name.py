"""``releasemgr artifact-name``: the workflow's artifact names come from the configuration."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from releasemgr.cli import artifact_name
from releasemgr.cli.context import Context
from releasemgr.config import Config
from releasemgr.errors import InputError, UsageError
from releasemgr.model import Platform

SHA = "0123456789abcdef0123456789abcdef01234567"


def _parse(*argv: str) -> artifact_name.Options:
    parser = argparse.ArgumentParser()
    artifact_name.add_arguments(parser)
    return artifact_name.parse(parser.parse_args(argv))


def _run(options: artifact_name.Options, cwd: Path) -> str:
    ctx = Context.for_test(cwd=cwd)
    assert artifact_name.run(options, ctx) == 0
    return ctx.stdout.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", artifact_name.KINDS)
def test_names_follow_the_settings(kind: str, tmp_path: Path) -> None:
    options = _parse(
        kind, "--app", "Zyra", "--platform", "macos", "--version", "1.2.3", "--commit", SHA
    )
    expected = Config(app="Zyra").artifact_name(kind, Platform.MACOS, "1.2.3", SHA)
    assert _run(options, tmp_path) == expected + "\n"
    assert "0123456" in expected and SHA not in expected


def test_from_metadata_keeps_the_restored_release(tmp_path: Path) -> None:
    meta = {"app": "Zyra", "platform": "windows", "version": "0.9.0", "commit": SHA, "x": 1}
    (tmp_path / "production").mkdir()
    (tmp_path / "production" / "metadata.json").write_text(json.dumps(meta))
    out = _run(_parse("production", "--from", "production"), tmp_path)
    assert out == "Zyra-windows-production-0.9.0-0123456\n"


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--version is required"):
        _parse("build", "--commit", SHA)
    with pytest.raises(UsageError, match="--from reads"):
        _parse("build", "--from", "x", "--version", "1")
    (tmp_path / "metadata.json").write_text(json.dumps({"app": "Zyra", "platform": "beos"}))
    with pytest.raises(InputError, match="field 'version' is missing"):
        _run(_parse("production", "--from", "."), tmp_path)
    (tmp_path / "metadata.json").write_text("[]")
    with pytest.raises(InputError, match="expected a JSON object"):
        _run(_parse("production", "--from", "."), tmp_path)
    with pytest.raises(InputError, match="cannot read"):
        _run(_parse("production", "--from", "nowhere"), tmp_path)
