"""Settings: declared once, defaults match the seed, TOML read with errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasemgr import config
from releasemgr.errors import InputError
from releasemgr.model import Platform, Stage


def test_defaults_match_the_seed_pipeline() -> None:
    c = config.Config()
    assert c.workflow == "build-and-deploy.yml"
    assert c.platform_list() == (Platform.WINDOWS, Platform.MACOS)
    assert c.environment(Stage.CANARY, Platform.MACOS) == "canary-macos"
    assert c.environment(Stage.PRODUCTION, None) == "production-signoff"
    assert c.environment(Stage.PRODUCTION, Platform.WINDOWS) == "production-windows"
    assert c.artifact_name("canary", Platform.WINDOWS, "1.0", "abcdef0123") == (
        "ZyraVideoAgentBackend-windows-canary-1.0-abcdef0"
    )


def test_every_setting_has_key_and_help() -> None:
    keys = [f.metadata["key"] for f in config.settings()]
    assert len(keys) == len(set(keys))
    assert all(f.metadata["help"] for f in config.settings())


def test_dump_and_parse_round_trip() -> None:
    c = config.Config(repository="o/r", platforms=("macos",), smoke_timeout=5.0)
    assert config.parse(config.dump(c)) == c


def test_project_file_wins_over_user_file(tmp_path: Path) -> None:
    env = {"RELEASEMGR_CONFIG_DIR": str(tmp_path / "user")}
    config.save(config.Config(repository="user/repo"), env=env)
    assert config.load(tmp_path, env).repository == "user/repo"
    (tmp_path / "releasemgr.toml").write_text(
        '[github]\nrepository = "proj/repo"\n[pipeline.jobs]\nbuild = "compile-{platform}"\n',
        encoding="utf-8",
    )
    loaded = config.load(tmp_path, env)
    assert loaded.repository == "proj/repo"
    assert loaded.job_patterns["build"] == ("compile-{platform}",)
    assert loaded.job_patterns["test"] == config.Config().job_patterns["test"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[github]\nrepo = 'x'\n", "github.repo: unknown setting"),
        ("[github]\nworkflow = 3\n", "github.workflow: expected str"),
        ("[smoke]\ntimeout = 'slow'\n", "smoke.timeout"),
        ("[github\n", "not valid TOML"),
        ("schema_version = 99\n", "schema_version 99"),
        ("github = 1\n", "expected a [github] table"),
    ],
)
def test_bad_settings_name_the_key(text: str, needle: str) -> None:
    with pytest.raises(InputError) as info:
        config.parse(text, source="releasemgr.toml")
    assert needle in str(info.value)
    assert str(info.value).startswith("releasemgr.toml:")
