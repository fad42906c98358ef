"""The canary monitor over real packages: folders and zips, intact or tampered, one version."""

from __future__ import annotations

import json
import random
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from releasemgr.errors import InputError
from releasemgr.release.monitor import (
    MonitorReport,
    PlatformHealth,
    build_report,
    monitor,
    write_report,
)

APP = "Zyra"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"


def make_canary(
    root: Path, platform: str, commit: str = COMMIT, version: str = "1.4.0", payload: int = 0
) -> Path:
    """A canary release package as the pipeline's deploy-canary job leaves it.

    ``payload`` adds a file of that many bytes to ``_internal/`` (for downloads that need size).
    """
    from releasemgr.release.package import write_package
    from releasemgr.sim.standins import write_onedir

    root.mkdir(parents=True)
    write_onedir(root, APP, platform, version, commit)
    if payload:
        # Seeded noise: incompressible, as real binaries mostly are (and no zip-bomb ratio).
        data = random.Random(payload).randbytes(payload)  # noqa: S311 - test data
        (root / APP / "_internal" / "payload.bin").write_bytes(data)
    write_package(
        root,
        app=APP,
        platform=platform,
        version=version,
        commit=commit,
        ref="refs/heads/main",
        run_id=42,
        run_attempt=1,
        channel="canary",
        traffic=10,
        built_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
    )
    return root


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return target


def test_two_intact_platforms_of_one_version_are_healthy(tmp_path: Path) -> None:
    make_canary(tmp_path / f"{APP}-windows-canary", "windows")
    make_canary(tmp_path / f"{APP}-macos-canary", "macos")
    report = monitor(tmp_path, expected_platforms=("windows", "macos"), expected_version=COMMIT)
    assert report.healthy, report.reasons
    assert report.versions_consistent and report.version == COMMIT
    by_platform = {p.platform: p for p in report.platforms}
    assert set(by_platform) == {"windows", "macos"}
    assert all(p.integrity and p.channel == "canary" for p in report.platforms)
    # Listed in checksums.txt: the executable, three _internal files, four channel files.
    assert by_platform["windows"].file_count == 8
    assert by_platform["windows"].artifact == f"{APP}-windows-canary"


def test_zips_as_github_serves_them_are_checked_without_extracting(tmp_path: Path) -> None:
    make_canary(tmp_path / "src" / "w", "windows")
    make_canary(tmp_path / "src" / "m", "macos")
    out = tmp_path / "dl"
    out.mkdir()
    zip_folder(tmp_path / "src" / "w", out / f"{APP}-windows-canary.zip")
    zip_folder(tmp_path / "src" / "m", out / f"{APP}-macos-canary.zip")
    report = monitor(out)
    assert report.healthy, report.reasons
    assert sorted(p.artifact for p in report.platforms) == [
        f"{APP}-macos-canary.zip",
        f"{APP}-windows-canary.zip",
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        f"{APP}-macos-canary.zip",
        f"{APP}-windows-canary.zip",
    ]


def test_a_tampered_file_makes_the_canary_unhealthy(tmp_path: Path) -> None:
    make_canary(tmp_path / "win", "windows")
    mac = make_canary(tmp_path / "mac", "macos")
    victim = mac / APP / "_internal" / "base_library.zip"
    data = bytearray(victim.read_bytes())
    data[10] ^= 0xFF
    victim.write_bytes(bytes(data))
    report = monitor(tmp_path)
    assert not report.healthy
    assert any("macos" in r and "verification" in r for r in report.reasons)
    assert {p.platform: p.integrity for p in report.platforms} == {"windows": True, "macos": False}


def test_different_versions_and_a_missing_platform_are_reasons(tmp_path: Path) -> None:
    make_canary(tmp_path / "win", "windows", commit=COMMIT)
    make_canary(tmp_path / "mac", "macos", commit=OTHER)
    report = monitor(tmp_path, expected_platforms=("windows", "macos", "linux"))
    assert not report.healthy
    assert not report.versions_consistent and report.version is None
    assert any("disagree" in r for r in report.reasons)
    assert any("no canary artifact for linux" in r for r in report.reasons)


def test_an_empty_folder_is_unhealthy_and_a_missing_one_is_bad_input(tmp_path: Path) -> None:
    report = monitor(tmp_path)
    assert not report.healthy
    assert "no canary artifacts found" in report.reasons
    with pytest.raises(InputError, match="not a folder"):
        monitor(tmp_path / "missing")


def test_report_round_trips_through_json_and_is_written_atomically(tmp_path: Path) -> None:
    make_canary(tmp_path / "in" / "win", "windows")
    report = monitor(tmp_path / "in", expected_platforms=("windows",))
    out = tmp_path / "report.json"
    write_report(report, out)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema"] == "releasemgr/monitoring-report" and data["schema_version"] == 1
    assert data["platforms"]["windows"]["integrity"] is True
    assert MonitorReport.from_json(out.read_text(encoding="utf-8")) == report


def test_build_report_judges_given_results() -> None:
    good = PlatformHealth("windows", "w.zip", COMMIT, "canary", True, 4)
    stale = PlatformHealth("macos", "m.zip", COMMIT, "canary", True, 4, ("file count 3, not 4",))
    when = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    report = build_report([good, stale], expected_platforms=("windows", "macos"), now=when)
    assert report.generated_at == "2026-12-03T09:30:00Z"
    assert report.reasons == ("macos: file count 3, not 4",)
    assert not report.healthy
    short = build_report([good], expected_platforms=("windows",), expected_version=COMMIT[:7])
    assert short.healthy
    wrong = build_report([good], expected_platforms=("windows",), expected_version=OTHER[:7])
    assert any("not the expected" in r for r in wrong.reasons)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"schema": "other"}', "schema"),
        ('{"schema": "releasemgr/monitoring-report", "schema_version": 9}', "schema_version"),
        ('{"schema": "releasemgr/monitoring-report", "schema_version": 1}', "missing field"),
    ],
)
def test_from_json_names_what_is_wrong(text: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        MonitorReport.from_json(text, source="report.json")


def test_unreadable_artifacts_fail_integrity_without_stopping_the_check(tmp_path: Path) -> None:
    make_canary(tmp_path / f"{APP}-windows-canary", "windows")
    (tmp_path / f"{APP}-macos-canary").mkdir()  # the download left an empty folder
    (tmp_path / f"{APP}-linux-canary.zip").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / ".hidden").mkdir()  # download records and the like are not artifacts
    (tmp_path / "notes.txt").write_text("not an artifact", encoding="utf-8")
    report = monitor(tmp_path, expected_platforms=("windows", "macos", "linux"))
    assert not report.healthy
    by_platform = {p.platform: p for p in report.platforms}
    assert set(by_platform) == {"windows", "macos", "linux"}
    assert by_platform["windows"].integrity
    assert not by_platform["macos"].integrity and not by_platform["linux"].integrity
    assert any("checksums.txt" in p for p in by_platform["macos"].problems)
    assert any(r.startswith("linux: ") for r in report.reasons)


def test_a_zip_holding_only_the_package_zip_is_checked_too(tmp_path: Path) -> None:
    inner = zip_folder(make_canary(tmp_path / "src", "windows"), tmp_path / "package.zip")
    out = tmp_path / "dl"
    out.mkdir()
    with zipfile.ZipFile(out / f"{APP}-windows-canary.zip", "w") as zf:
        zf.write(inner, "package.zip")
    report = monitor(out, expected_platforms=("windows",))
    assert report.healthy, report.reasons
    assert report.platforms[0].file_count == 8


def test_a_platform_the_name_and_the_metadata_disagree_on_is_a_problem(tmp_path: Path) -> None:
    make_canary(tmp_path / f"{APP}-macos-canary", "windows")
    report = monitor(tmp_path, expected_platforms=("windows",))
    assert not report.healthy
    assert any("metadata.json says windows" in r for r in report.reasons)
