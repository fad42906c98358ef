"""The canary check: are the downloaded canary releases intact, complete and the same version?

The pipeline's monitor job runs ``releasemgr monitor DIR --out report.json`` over the canary
artifacts it downloaded (one folder per platform, or the zips as GitHub serves them). The
simulator writes its monitoring reports with :class:`MonitorReport` too, so there is one shape.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from releasemgr.errors import InputError, UnsafeArchiveError
from releasemgr.release.verify import verify_path

SCHEMA = "releasemgr/monitoring-report"
SCHEMA_VERSION = 1
KNOWN_PLATFORMS = ("windows", "macos", "linux")
_LISTED_FAILURES = 5


@dataclass(frozen=True)
class PlatformHealth:
    """One platform's canary artifact as checked: what it is, its version, and whether it holds."""

    platform: str
    artifact: str  # the folder or zip checked, relative to the monitored directory
    version: str | None  # the commit from version.txt, else metadata.json's commit or version
    channel: str | None
    integrity: bool  # checksums.txt verified every file
    file_count: int  # files listed in checksums.txt
    problems: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        """Intact and without problems."""
        return self.integrity and not self.problems


@dataclass(frozen=True)
class MonitorReport:
    """The monitoring report: per platform health, version consistency, overall verdict."""

    generated_at: str  # UTC, ISO 8601 with a Z
    expected_platforms: tuple[str, ...]
    platforms: tuple[PlatformHealth, ...]
    version: str | None  # the one version every platform has, when they agree
    versions_consistent: bool
    healthy: bool
    reasons: tuple[str, ...] = ()
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, schema ``releasemgr/monitoring-report`` version 1."""
        return {
            "schema": SCHEMA,
            "schema_version": self.schema_version,
            "generated_at": self.generated_at,
            "healthy": self.healthy,
            "reasons": list(self.reasons),
            "expected_platforms": list(self.expected_platforms),
            "version": self.version,
            "versions_consistent": self.versions_consistent,
            "platforms": {
                p.platform: {**asdict(p), "problems": list(p.problems)} for p in self.platforms
            },
        }

    def to_json(self) -> str:
        """The report as JSON text (UTF-8, indented, ending in a newline)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: object, *, source: str = "report") -> MonitorReport:
        """Read a report back; raises ``InputError`` naming the field that is wrong."""
        if not isinstance(data, dict):
            raise InputError(f"{source}: expected a JSON object")
        if data.get("schema") != SCHEMA:
            raise InputError(f"{source}: schema: expected {SCHEMA!r}, got {data.get('schema')!r}")
        if data.get("schema_version") != SCHEMA_VERSION:
            raise InputError(
                f"{source}: schema_version {data.get('schema_version')!r} is not supported"
            )
        try:
            platforms = tuple(
                _platform_from_dict(name, body) for name, body in dict(data["platforms"]).items()
            )
            return cls(
                generated_at=str(data["generated_at"]),
                expected_platforms=tuple(str(p) for p in data["expected_platforms"]),
                platforms=platforms,
                version=_opt_str(data["version"]),
                versions_consistent=_bool(data["versions_consistent"], "versions_consistent"),
                healthy=_bool(data["healthy"], "healthy"),
                reasons=tuple(str(r) for r in data["reasons"]),
            )
        except KeyError as exc:
            raise InputError(f"{source}: missing field {exc.args[0]!r}") from exc
        except (TypeError, ValueError) as exc:
            raise InputError(f"{source}: {exc}") from exc

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "report") -> MonitorReport:
        """Parse JSON text written by :meth:`to_json`."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InputError(f"{source}: not valid JSON ({exc})") from exc
        return cls.from_dict(data, source=source)


def _platform_from_dict(name: str, body: object) -> PlatformHealth:
    if not isinstance(body, dict):
        raise ValueError(f"platforms.{name}: expected an object")
    return PlatformHealth(
        platform=str(name),
        artifact=str(body["artifact"]),
        version=_opt_str(body.get("version")),
        channel=_opt_str(body.get("channel")),
        integrity=_bool(body["integrity"], f"platforms.{name}.integrity"),
        file_count=int(body["file_count"]),
        problems=tuple(str(p) for p in body.get("problems", ())),
    )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name}: expected true or false")
    return value


def build_report(
    platforms: Sequence[PlatformHealth],
    *,
    expected_platforms: Sequence[str],
    expected_version: str | None = None,
    now: datetime | None = None,
) -> MonitorReport:
    """Judge per-platform results: all expected present, all intact, one version."""
    reasons: list[str] = []
    seen: dict[str, list[str]] = {}
    for p in platforms:
        seen.setdefault(p.platform, []).append(p.artifact)
        if not p.integrity:
            reasons.append(f"{p.platform}: {p.artifact} failed verification")
        reasons.extend(f"{p.platform}: {problem}" for problem in p.problems)
    for name, artifacts in seen.items():
        if len(artifacts) > 1:
            reasons.append(f"{name}: more than one artifact ({', '.join(artifacts)})")
    missing = [p for p in expected_platforms if p not in seen]
    if missing:
        reasons.append(f"no canary artifact for {', '.join(missing)}")
    versions = {p.version for p in platforms}
    consistent = len(versions) == 1 and None not in versions
    version = next(iter(versions)) if consistent else None
    if platforms and not consistent:
        listed = ", ".join(f"{p.platform}={p.version or 'unknown'}" for p in platforms)
        reasons.append(f"platforms disagree on the version ({listed})")
    if expected_version and version and not _same_version(version, expected_version):
        reasons.append(f"version {version} is not the expected {expected_version}")
    if not platforms:
        reasons.append("no canary artifacts found")
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return MonitorReport(
        generated_at=stamp,
        expected_platforms=tuple(expected_platforms),
        platforms=tuple(sorted(platforms, key=lambda p: (p.platform, p.artifact))),
        version=version,
        versions_consistent=consistent,
        healthy=not reasons,
        reasons=tuple(reasons),
    )


def _same_version(have: str, want: str) -> bool:
    # A short commit matches its full SHA either way round.
    if len(want) >= 7 and len(have) >= 7 and all(c in "0123456789abcdef" for c in want.lower()):
        return have.lower().startswith(want.lower()) or want.lower().startswith(have.lower())
    return have == want


def monitor(
    directory: Path,
    *,
    expected_platforms: Sequence[str] = ("windows", "macos"),
    expected_version: str | None = None,
    cancel: threading.Event | None = None,
) -> MonitorReport:
    """Check every canary artifact in ``directory`` (folders and zips) and judge the lot.

    Raises:
        InputError: ``directory`` is not a readable folder.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: not a folder")
    try:
        entries = sorted(
            p
            for p in directory.iterdir()
            if not p.name.startswith(".")
            and (p.is_dir() or (p.is_file() and p.suffix.lower() == ".zip"))
            and not p.is_symlink()
        )
    except OSError as exc:
        raise InputError(f"{directory}: cannot list ({exc.strerror})") from exc
    checked = [check_artifact(entry, directory, cancel=cancel) for entry in entries]
    return build_report(
        checked, expected_platforms=expected_platforms, expected_version=expected_version
    )


def check_artifact(
    entry: Path, base: Path, *, cancel: threading.Event | None = None
) -> PlatformHealth:
    """Verify one canary artifact (folder or zip) and read its platform, version and channel.

    A package that cannot be read at all (no ``checksums.txt``, a corrupt zip) is reported as
    failing integrity rather than stopping the whole check.
    """
    name = entry.relative_to(base).as_posix()
    by_name = [p for p in KNOWN_PLATFORMS if p in entry.name.lower()]
    guess = by_name[0] if len(by_name) == 1 else f"unknown:{entry.name}"
    try:
        report = verify_path(entry, cancel=cancel)
    except UnsafeArchiveError as exc:
        return PlatformHealth(guess, name, None, None, False, 0, (f"unsafe archive: {exc}",))
    except InputError as exc:
        return PlatformHealth(guess, name, None, None, False, 0, (str(exc),))
    meta, channel = report.metadata, report.channel
    problems = [f"{f.path}: {f.verdict}" for f in report.failures[:_LISTED_FAILURES]]
    if len(report.failures) > _LISTED_FAILURES:
        problems.append(f"and {len(report.failures) - _LISTED_FAILURES} more files")
    problems.extend(report.problems)
    version = channel.version if channel else (meta.commit if meta else None)
    platform = meta.platform if meta else None
    if platform is not None and by_name and platform not in by_name:
        problems.append(f"metadata.json says {platform} but the artifact is named {entry.name}")
    if platform is None:
        platform = guess
        problems.append("cannot tell which platform this is (no metadata.json)")
    if version is None:
        problems.append("no version.txt or metadata.json commit")
    return PlatformHealth(
        platform=platform,
        artifact=name,
        version=version,
        channel=channel.channel.value if channel else None,
        integrity=report.ok,
        file_count=sum(1 for f in report.files if f.verdict != "extra"),
        problems=tuple(problems),
    )


def write_report(report: MonitorReport, path: Path) -> None:
    """Write ``report`` to ``path`` atomically (a temporary file beside it, then rename).

    Raises:
        InputError: the folder of ``path`` does not exist or cannot be written.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the report ({exc.strerror})") from exc
    try:
        with open(fd, "w", encoding="utf-8") as f:
            f.write(report.to_json())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
