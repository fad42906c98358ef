"""Artifact names: app, platform, channel and version readable from the artifact list alone.

    <app>-<platform>-build-<version>-<sha7>        PyInstaller onedir folder, 7 days
    test-report-<platform>-<sha7>                  the test suite's JSON report, 30 days
    <app>-<platform>-release-<version>-<sha7>      release package (checksums + metadata), 90 days
    <app>-<platform>-canary-<version>-<sha7>       canary release (channel files), 7 days
    monitoring-report-<version>-<sha7>             the monitor job's JSON report, 30 days
    <app>-<platform>-production-<version>-<sha7>   production release (channel stable), 90 days

``<version>`` is the app's version (``1.9.3``; it may itself contain ``-``), ``<sha7>`` the first
seven hex digits of the commit the release was built from (for a rollback, the restored
release's commit, not the run's). Parse from the right: the last ``-`` field is the sha7.
"""

from __future__ import annotations

RELEASE_KINDS: tuple[str, ...] = ("build", "release", "canary", "production")


def release_artifact(app: str, platform: str, kind: str, version: str, commit: str) -> str:
    """The name of a build, release, canary or production artifact."""
    return f"{app}-{platform}-{kind}-{version}-{commit[:7]}"


def test_report_artifact(platform: str, commit: str) -> str:
    """The name of a test report artifact."""
    return f"test-report-{platform}-{commit[:7]}"


def monitoring_report_artifact(version: str, commit: str) -> str:
    """The name of the monitor job's report artifact."""
    return f"monitoring-report-{version}-{commit[:7]}"


def parse_release_artifact(name: str, app: str) -> tuple[str, str, str, str] | None:
    """``(platform, kind, version, sha7)`` of a release artifact name of ``app``, or ``None``."""
    prefix = f"{app}-"
    if not name.startswith(prefix):
        return None
    rest, _, sha7 = name[len(prefix) :].rpartition("-")
    platform, _, rest = rest.partition("-")
    kind, _, version = rest.partition("-")
    if kind not in RELEASE_KINDS or not version or len(sha7) != 7:
        return None
    return platform, kind, version, sha7
