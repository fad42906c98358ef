"""``metadata.json`` (versioned build facts) and the four channel files of a channel release."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from releasemgr.errors import InputError
from releasemgr.model import Channel, Platform
from releasemgr.release.atomic import write_atomic

METADATA_NAME = "metadata.json"
SCHEMA_VERSION = 1

VERSION_FILE = "version.txt"
DEPLOYED_AT_FILE = "deployed_at.txt"
TRAFFIC_FILE = "traffic_percentage.txt"
CHANNEL_FILE = "channel.txt"
CHANNEL_FILES = (VERSION_FILE, DEPLOYED_AT_FILE, TRAFFIC_FILE, CHANNEL_FILE)

# The order of keys in metadata.json: identity first, then provenance, then the contents.
_FIELD_ORDER = (
    "schema_version",
    "app",
    "version",
    "commit",
    "ref",
    "run_id",
    "run_attempt",
    "platform",
    "arch",
    "built_at",
    "python",
    "pyinstaller",
    "file_count",
    "total_bytes",
    "checksums_sha256",
)

_SHA1 = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def format_time(moment: datetime) -> str:
    """A UTC timestamp as ``2026-01-31T12:00:00Z`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, *, where: str) -> datetime:
    """An ISO 8601 timestamp with a zone (``Z`` or an offset) as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}: not an ISO 8601 timestamp: {text.strip()!r}") from None
    if moment.tzinfo is None:
        raise InputError(f"{where}: timestamp has no time zone: {text.strip()!r}")
    return moment.astimezone(UTC)


def is_commit_sha(text: str) -> bool:
    """Whether ``text`` is a full 40-hex commit SHA (lowercase)."""
    return bool(_SHA1.fullmatch(text))


@dataclass(frozen=True)
class Metadata:
    """The build facts of one release package, as stored in ``metadata.json``."""

    app: str
    version: str
    commit: str
    platform: str
    arch: str
    built_at: datetime
    python: str | None
    pyinstaller: str | None
    file_count: int
    total_bytes: int
    checksums_sha256: str
    ref: str | None = None
    run_id: int | None = None
    run_attempt: int | None = None
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, keys in a stable order, the time as an ISO string."""
        data = asdict(self)
        data["built_at"] = format_time(self.built_at)
        return {key: data[key] for key in _FIELD_ORDER}

    def to_json(self) -> str:
        """The text of ``metadata.json``: indented, UTF-8 safe, ends with a newline."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = METADATA_NAME) -> Metadata:
        """Parse and validate; raise ``InputError`` naming the file and the field."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{source}: not valid UTF-8 (byte {exc.start + 1})") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise InputError(f"{source}: expected a JSON object")
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = METADATA_NAME) -> Metadata:
        """Validate a decoded ``metadata.json`` object."""
        schema = data.get("schema_version")
        if type(schema) is not int:
            raise InputError(f"{source}: field 'schema_version' is missing or not an integer")
        if schema > SCHEMA_VERSION:
            raise InputError(
                f"{source}: schema_version {schema} is newer than this releasemgr understands "
                f"({SCHEMA_VERSION})",
                hint="upgrade releasemgr",
            )

        def need(name: str, kind: type, *, optional: bool = False) -> Any:
            value = data.get(name)
            if value is None and optional:
                return None
            if value is None or type(value) is not kind:
                raise InputError(
                    f"{source}: field {name!r} is missing or not a {kind.__name__} ({value!r})"
                )
            return value

        commit = need("commit", str)
        if not is_commit_sha(commit):
            raise InputError(f"{source}: field 'commit' is not a 40-hex SHA ({commit!r})")
        platform = need("platform", str)
        if platform not in {p.value for p in Platform}:
            raise InputError(f"{source}: field 'platform' is not a known platform ({platform!r})")
        digest = need("checksums_sha256", str)
        if not _SHA256.fullmatch(digest):
            raise InputError(f"{source}: field 'checksums_sha256' is not a SHA-256 ({digest!r})")
        counts = {name: need(name, int) for name in ("file_count", "total_bytes")}
        for name, value in counts.items():
            if value < 0:
                raise InputError(f"{source}: field {name!r} is negative ({value})")
        return cls(
            schema_version=schema,
            app=need("app", str),
            version=need("version", str),
            commit=commit,
            ref=need("ref", str, optional=True),
            run_id=need("run_id", int, optional=True),
            run_attempt=need("run_attempt", int, optional=True),
            platform=platform,
            arch=need("arch", str),
            built_at=parse_time(need("built_at", str), where=f"{source}: field 'built_at'"),
            python=need("python", str, optional=True),
            pyinstaller=need("pyinstaller", str, optional=True),
            file_count=counts["file_count"],
            total_bytes=counts["total_bytes"],
            checksums_sha256=digest,
        )


def read_metadata(path: Path) -> Metadata:
    """Read and validate a ``metadata.json`` file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return Metadata.from_json(data, source=str(path))


def write_metadata(path: Path, metadata: Metadata) -> None:
    """Write ``metadata.json`` atomically."""
    write_atomic(path, metadata.to_json().encode("utf-8"))


@dataclass(frozen=True)
class ChannelInfo:
    """What a channel release says about itself: commit, time, traffic share and channel."""

    version: str
    deployed_at: datetime
    traffic_percentage: int
    channel: Channel

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view."""
        return {
            "version": self.version,
            "deployed_at": format_time(self.deployed_at),
            "traffic_percentage": self.traffic_percentage,
            "channel": self.channel.value,
        }


def channel_file_texts(info: ChannelInfo) -> dict[str, bytes]:
    """The bytes of each channel file, one line each with a trailing LF."""
    return {
        VERSION_FILE: f"{info.version}\n".encode(),
        DEPLOYED_AT_FILE: f"{format_time(info.deployed_at)}\n".encode(),
        TRAFFIC_FILE: f"{info.traffic_percentage}\n".encode(),
        CHANNEL_FILE: f"{info.channel.value}\n".encode(),
    }


def validate_channel_info(info: ChannelInfo) -> None:
    """Raise ``InputError`` when a field cannot be written as a channel file."""
    if not is_commit_sha(info.version):
        raise InputError(f"{VERSION_FILE}: version is not a 40-hex commit SHA ({info.version!r})")
    if not 0 <= info.traffic_percentage <= 100:
        raise InputError(
            f"{TRAFFIC_FILE}: traffic percentage must be 0-100 ({info.traffic_percentage})"
        )


def write_channel_files(root: Path, info: ChannelInfo) -> None:
    """Write ``version.txt``, ``deployed_at.txt``, ``traffic_percentage.txt``, ``channel.txt``."""
    validate_channel_info(info)
    for name, data in channel_file_texts(info).items():
        write_atomic(root / name, data)


def parse_channel_texts(texts: dict[str, bytes], *, where: str) -> ChannelInfo | None:
    """Build a ``ChannelInfo`` from the channel files' bytes (by file name).

    Returns None when none of the four are present; raises ``InputError`` when only some are,
    or one is malformed.
    """
    present = [name for name in CHANNEL_FILES if name in texts]
    if not present:
        return None
    missing = [name for name in CHANNEL_FILES if name not in texts]
    if missing:
        raise InputError(f"{where}: channel release is missing {', '.join(missing)}")
    values: dict[str, str] = {}
    for name in CHANNEL_FILES:
        try:
            text = texts[name].decode("utf-8").strip()
        except UnicodeDecodeError:
            raise InputError(f"{where}/{name}: not valid UTF-8") from None
        if not text or "\n" in text:
            raise InputError(f"{where}/{name}: expected exactly one non-empty line")
        values[name] = text
    version = values[VERSION_FILE].lower()
    if not is_commit_sha(version):
        raise InputError(f"{where}/{VERSION_FILE}: not a 40-hex commit SHA ({version!r})")
    try:
        traffic = int(values[TRAFFIC_FILE].rstrip("%"))
    except ValueError:
        raise InputError(
            f"{where}/{TRAFFIC_FILE}: not a whole percentage ({values[TRAFFIC_FILE]!r})"
        ) from None
    if not 0 <= traffic <= 100:
        raise InputError(f"{where}/{TRAFFIC_FILE}: percentage out of 0-100 ({traffic})")
    try:
        channel = Channel(values[CHANNEL_FILE])
    except ValueError:
        raise InputError(
            f"{where}/{CHANNEL_FILE}: not 'canary' or 'stable' ({values[CHANNEL_FILE]!r})"
        ) from None
    deployed = parse_time(values[DEPLOYED_AT_FILE], where=f"{where}/{DEPLOYED_AT_FILE}")
    return ChannelInfo(
        version=version, deployed_at=deployed, traffic_percentage=traffic, channel=channel
    )


def read_channel_files(root: Path) -> ChannelInfo | None:
    """The channel files in ``root``, or None when it is not a channel release."""
    texts: dict[str, bytes] = {}
    for name in CHANNEL_FILES:
        path = root / name
        try:
            texts[name] = path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return parse_channel_texts(texts, where=str(root))
