"""Settings: declared once (type, default, help) with a schema version, stored as TOML.

Each setting is a field of :class:`Config` whose metadata carries its TOML key and help text, so
the preferences dialog and ``--help`` texts can be built from the one declaration. The defaults
match the seed's pipeline, so no configuration file is needed for it.

Where the file is: ``releasemgr.toml`` in the working directory first, else ``config.toml`` in
``RELEASEMGR_CONFIG_DIR`` (tests, the demo), else the platform's user config dir. Secrets never go
here: tokens live in the OS keyring.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from releasemgr.errors import InputError
from releasemgr.model import Channel, Platform, Stage

SCHEMA_VERSION = 1
PROJECT_FILE = "releasemgr.toml"
USER_FILE = "config.toml"
DEFAULT_API_URL = "https://api.github.com"

# The public client id of releasemgr's OAuth app (device flow needs no secret).
DEFAULT_CLIENT_ID = "Iv1.releasemgr0000000"


def _setting(key: str, default: Any, help: str) -> Any:
    """Declare one setting: its TOML key (``section.name``), default and help text."""
    if isinstance(default, (list, dict, tuple)):
        frozen = default
        return field(default_factory=lambda: frozen, metadata={"key": key, "help": help})
    return field(default=default, metadata={"key": key, "help": help})


@dataclass(frozen=True)
class Config:
    """Every setting releasemgr reads, with the seed pipeline's defaults."""

    api_url: str = _setting(
        "github.api_url", "", "GitHub API URL (empty: GITHUB_API_URL, else api.github.com)"
    )
    repository: str = _setting(
        "github.repository", "", "OWNER/NAME of the repository (empty: GITHUB_REPOSITORY)"
    )
    workflow: str = _setting(
        "github.workflow", "build-and-deploy.yml", "Workflow file that builds and deploys"
    )
    default_branch: str = _setting(
        "github.default_branch", "", "Branch rollbacks are dispatched on (empty: the repo's)"
    )
    web_url: str = _setting(
        "github.web_url", "", "Web origin for device sign-in (empty: GITHUB_SERVER_URL or derived)"
    )
    rollback_input: str = _setting(
        "github.rollback_input", "rollback_run_id", "Workflow input naming the run to restore"
    )
    oauth_client_id: str = _setting(
        "github.oauth_client_id", DEFAULT_CLIENT_ID, "OAuth app client id for the device flow"
    )
    app: str = _setting("pipeline.app", "ZyraVideoAgentBackend", "Application the pipeline ships")
    platforms: tuple[str, ...] = _setting(
        "pipeline.platforms", ("windows", "macos"), "Platforms, in grid order"
    )
    job_patterns: Mapping[str, tuple[str, ...]] = _setting(
        "pipeline.jobs",
        {
            "build": ("*build*{platform}*",),
            "test": ("*test*{platform}*",),
            "package": ("*package*{platform}*",),
            "canary": ("*canary*{platform}*",),
            "monitor": ("*monitor*",),
            "production": ("*production*{platform}*", "*rollback*{platform}*"),
        },
        "Per stage, job-name globs (case-insensitive; {platform} is filled in; a pattern "
        "without it covers every platform)",
    )
    canary_environment: str = _setting(
        "environments.canary", "canary-{platform}", "Canary gate per platform"
    )
    signoff_environment: str = _setting(
        "environments.signoff", "production-signoff", "Production sign-off gate (once per run)"
    )
    production_environment: str = _setting(
        "environments.production", "production-{platform}", "Production gate per platform"
    )
    reviewers: tuple[str, ...] = _setting(
        "environments.reviewers", (), "Logins setup-environments makes reviewers (empty: keep)"
    )
    production_approvals: int = _setting(
        "environments.production_approvals", 2, "Distinct people production needs"
    )
    artifact_names: Mapping[str, str] = _setting(
        "artifacts.names",
        {
            "build": "{app}-{platform}-build-{version}-{commit}",
            "test": "test-report-{platform}-{commit}",
            "package": "{app}-{platform}-release-{version}-{commit}",
            "canary": "{app}-{platform}-canary-{version}-{commit}",
            "monitor": "monitoring-report-{version}-{commit}",
            "production": "{app}-{platform}-production-{version}-{commit}",
        },
        "Artifact name pattern per kind ({app}, {platform}, {version}, {commit} = 7 hex digits)",
    )
    smoke_checks: tuple[str, ...] = _setting(
        "smoke.checks", ("--version", "--self-test"), "Arguments of each smoke check, in order"
    )
    smoke_timeout: float = _setting("smoke.timeout", 60.0, "Seconds each smoke check may take")
    poll_interval: float = _setting("ui.poll_interval", 15.0, "Seconds between status polls")

    # -- derived helpers -------------------------------------------------------------------

    def platform_list(self) -> tuple[Platform, ...]:
        """The configured platforms as enum members."""
        return tuple(Platform(p) for p in self.platforms)

    def environment(self, stage: Stage, platform: Platform | None) -> str:
        """The gate environment of ``stage`` for ``platform`` (None: the production sign-off)."""
        if stage == Stage.CANARY and platform is not None:
            return self.canary_environment.format(platform=platform.value)
        if stage == Stage.PRODUCTION:
            if platform is None:
                return self.signoff_environment
            return self.production_environment.format(platform=platform.value)
        raise ValueError(f"stage {stage} has no gate")

    def artifact_name(
        self, kind: str, platform: Platform | None, version: str = "", commit: str = ""
    ) -> str:
        """The artifact name of ``kind`` (build, test, package, canary, monitor, production)."""
        pattern = self.artifact_names[kind]
        return pattern.format(
            app=self.app,
            platform=platform.value if platform else "",
            version=version,
            commit=commit[:7],
        )

    def channel_kind(self, channel: Channel) -> str:
        """The artifact kind that carries ``channel``'s releases."""
        return "canary" if channel == Channel.CANARY else "production"


def settings() -> tuple[dataclasses.Field[Any], ...]:
    """The declared settings, for building a preferences dialog or documentation."""
    return fields(Config)


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """The directory holding the user's ``config.toml``."""
    env = os.environ if env is None else env
    override = env.get("RELEASEMGR_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("releasemgr", appauthor=False))


def config_path(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The file settings are read from: the project file if present, else the user file."""
    project = (cwd or Path.cwd()) / PROJECT_FILE
    if project.is_file():
        return project
    return user_config_dir(env) / USER_FILE


def load(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the settings; a missing file means all defaults.

    Raises:
        InputError: the file is not valid TOML, or a key or value is wrong (named in the message).
    """
    path = config_path(cwd, env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    return parse(text, source=str(path))


def parse(text: str, *, source: str = PROJECT_FILE) -> Config:
    """Settings from TOML text; unknown keys and wrong types are errors naming the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: not valid TOML: {exc}") from exc
    version = data.pop("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise InputError(
            f"{source}: schema_version {version!r} is not supported (expected {SCHEMA_VERSION})"
        )
    by_key = {f.metadata["key"]: f for f in fields(Config)}
    values: dict[str, Any] = {}
    for section, body in data.items():
        if not isinstance(body, dict):
            raise InputError(f"{source}: {section}: expected a [{section}] table")
        for name, value in body.items():
            key = f"{section}.{name}"
            spec = by_key.get(key)
            if spec is None:
                raise InputError(f"{source}: {key}: unknown setting")
            values[spec.name] = _coerce(value, spec, source)
    return Config(**values)


def _coerce(value: Any, spec: dataclasses.Field[Any], source: str) -> Any:
    key = spec.metadata["key"]
    default: Any = spec.default
    if default is dataclasses.MISSING:
        factory: Any = spec.default_factory
        default = factory()
    if isinstance(default, (bool, str)):
        ok = isinstance(value, type(default))
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, tuple):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    elif isinstance(default, Mapping):
        ok = isinstance(value, dict)
        if ok:
            merged = dict(default)
            for k, v in value.items():
                sample = next(iter(default.values()))
                if isinstance(sample, tuple):
                    v = [v] if isinstance(v, str) else v
                    if not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
                        raise InputError(f"{source}: {key}.{k}: expected a list of strings")
                    merged[k] = tuple(v)
                elif isinstance(v, str):
                    merged[k] = v
                else:
                    raise InputError(f"{source}: {key}.{k}: expected a string")
            value = merged
    else:  # pragma: no cover - every declared type is handled above
        ok = False
    if not ok:
        raise InputError(f"{source}: {key}: expected {type(default).__name__}, got {value!r}")
    return value


def dump(config: Config) -> str:
    """The settings as TOML, every key with its help as a comment (for ``config.toml``)."""
    sections: dict[str, list[str]] = {}
    for spec in fields(Config):
        section, name = spec.metadata["key"].split(".", 1)
        value = getattr(config, spec.name)
        lines = sections.setdefault(section, [])
        lines.append(f"# {spec.metadata['help']}")
        lines.append(f"{name} = {_toml_value(value)}")
    out = [f"schema_version = {SCHEMA_VERSION}", ""]
    for section, lines in sections.items():
        out.append(f"[{section}]")
        out.extend(lines)
        out.append("")
    return "\n".join(out)


def save(config: Config, env: Mapping[str, str] | None = None) -> Path:
    """Write ``config`` to the user's ``config.toml`` atomically; returns the path."""
    directory = user_config_dir(env)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / USER_FILE
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(dump(config), encoding="utf-8")
    tmp.replace(path)
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value).__name__)
