"""Artifacts: real release zips, the 302 to a signed blob URL, Range, expiry, logs."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

from releasemgr.sim import Simulator
from tests.sim.conftest import REPO, Api, request

DAY = 86_400


def _production_zip(api: Api, platform: str) -> tuple[dict, str]:
    arts = api.ok(f"{REPO}/actions/artifacts?per_page=100")["artifacts"]
    art = next(a for a in arts if f"-{platform}-production-" in a["name"])
    answer = api.get(f"{REPO}/actions/artifacts/{art['id']}/zip")
    assert answer.status == 302
    assert answer.header("Content-Length") == "0"
    location = answer.header("Location") or ""
    return art, location


def test_zip_redirect_and_download(sim: Simulator, api: Api) -> None:
    art, location = _production_zip(api, "windows")
    assert location.startswith(sim.blob_url) and sim.blob_url != sim.api_url
    with_auth = request(location, token=api.token)
    assert with_auth.status == 400  # the Authorization header must not follow the redirect
    got = request(location)
    assert got.status == 200
    assert got.header("Content-Type") == "application/zip"
    assert len(got.body) == art["size_in_bytes"]
    assert art["digest"] == "sha256:" + hashlib.sha256(got.body).hexdigest()
    assert art["expired"] is False


def test_range_requests(api: Api) -> None:
    _art, location = _production_zip(api, "macos")
    whole = request(location).body
    part = request(location, headers={"Range": "bytes=100-199"})
    assert part.status == 206
    assert part.body == whole[100:200]
    assert part.header("Content-Range") == f"bytes 100-199/{len(whole)}"
    tail = request(location, headers={"Range": "bytes=-50"})
    assert tail.status == 206 and tail.body == whole[-50:]
    rest = request(location, headers={"Range": f"bytes={len(whole) - 10}-"})
    assert rest.body == whole[-10:]
    beyond = request(location, headers={"Range": f"bytes={len(whole) + 5}-"})
    assert beyond.status == 416
    head = request(location, "HEAD")
    assert head.status == 200 and head.header("Content-Length") == str(len(whole))
    assert head.header("Accept-Ranges") == "bytes"


def test_signed_url_expires_and_cannot_be_forged(sim: Simulator, api: Api) -> None:
    _art, location = _production_zip(api, "windows")
    forged = location.replace("sig=", "sig=00")
    assert request(forged).status == 403
    sim.advance(61)
    expired = request(location)
    assert expired.status == 403
    assert b"AuthenticationFailed" in expired.body


def test_expired_artifact_answers_410(sim: Simulator, api: Api) -> None:
    arts = api.ok(f"{REPO}/actions/artifacts?per_page=100")["artifacts"]
    canary = next(a for a in arts if "-canary-" in a["name"])
    sim.advance(8 * DAY)  # canary releases are kept 7 days
    again = api.ok(f"{REPO}/actions/artifacts/{canary['id']}")
    assert again["expired"] is True
    gone = api.get(f"{REPO}/actions/artifacts/{canary['id']}/zip")
    assert gone.status == 410
    production = api.ok(f"{REPO}/actions/artifacts/{arts[0]['id']}")
    assert production["expired"] is False or "-canary-" in production["name"]


def test_release_zip_is_a_real_verifiable_release(sim: Simulator, api: Api, tmp_path: Path) -> None:
    _art, location = _production_zip(api, "windows")
    archive = zipfile.ZipFile(io.BytesIO(request(location).body))
    names = set(archive.namelist())
    assert {"checksums.txt", "metadata.json", "version.txt", "channel.txt"} <= names
    for line in archive.read("checksums.txt").decode().splitlines():
        digest, _, path = line.partition("  ")
        assert hashlib.sha256(archive.read(path)).hexdigest() == digest, path
    meta = json.loads(archive.read("metadata.json"))
    assert meta["app"] == "ZyraVideoAgentBackend" and meta["platform"] == "windows"
    assert archive.read("channel.txt").decode().strip() == "stable"
    commit = archive.read("version.txt").decode().strip()
    exe_name = "ZyraVideoAgentBackend/ZyraVideoAgentBackend.exe"
    info = archive.getinfo(exe_name)
    assert (info.external_attr >> 16) & 0o111  # the executable bit survives
    exe = tmp_path / "stand-in.exe"
    exe.write_bytes(archive.read(exe_name))
    exe.chmod(0o755)
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert commit in version.stdout and meta["version"] in version.stdout
    selftest = subprocess.run([str(exe), "--self-test"], capture_output=True, check=False)
    assert selftest.returncode == 0


def test_monitoring_report_artifact(api: Api) -> None:
    arts = api.ok(f"{REPO}/actions/artifacts?per_page=100")["artifacts"]
    report_art = next(a for a in arts if a["name"].startswith("monitoring-report-"))
    location = api.get(f"{REPO}/actions/artifacts/{report_art['id']}/zip").header("Location")
    archive = zipfile.ZipFile(io.BytesIO(request(location or "").body))
    report = json.loads(archive.read("monitoring-report.json"))
    assert report["healthy"] is True and report["reasons"] == []
    assert set(report["platforms"]) == {"windows", "macos"}
    assert all(p["integrity"] for p in report["platforms"].values())


def test_job_and_run_logs(sim: Simulator, api: Api) -> None:
    runs = api.ok(f"{REPO}/actions/runs")["workflow_runs"]
    failed = next(r for r in runs if r["conclusion"] == "failure")
    jobs = api.ok(f"{REPO}/actions/runs/{failed['id']}/jobs")["jobs"]
    bad = next(j for j in jobs if j["conclusion"] == "failure")
    answer = api.get(f"{REPO}/actions/jobs/{bad['id']}/logs")
    assert answer.status == 302
    log = request(answer.header("Location") or "").body.decode()
    assert "##[group]Run test suite" in log and "##[error]" in log
    run_logs = api.get(f"{REPO}/actions/runs/{failed['id']}/logs")
    archive = zipfile.ZipFile(io.BytesIO(request(run_logs.header("Location") or "").body))
    assert any(name.endswith("test-macos.txt") for name in archive.namelist())


def test_prebuilt_artifact_streams_from_disk(sim: Simulator, api: Api, tmp_path: Path) -> None:
    big = tmp_path / "big.zip"
    with open(big, "wb") as f:
        for i in range(24):
            f.write(hashlib.sha256(str(i).encode()).digest() * 32_768)  # 1 MiB each
    runs = api.ok(f"{REPO}/actions/runs")["workflow_runs"]
    art_id = sim.add_artifact(runs[0]["id"], "big-artifact", big)
    art = api.ok(f"{REPO}/actions/artifacts/{art_id}")
    assert art["size_in_bytes"] == big.stat().st_size
    location = api.get(f"{REPO}/actions/artifacts/{art_id}/zip").header("Location") or ""
    body = request(location).body
    assert "sha256:" + hashlib.sha256(body).hexdigest() == art["digest"]


def test_the_monitor_report_matches_releasemgr_monitor(api: Api, tmp_path: Path) -> None:
    """The simulated monitor job and ``releasemgr monitor`` see the same canary releases."""
    from releasemgr.release.monitor import monitor

    runs = api.ok(f"{REPO}/actions/runs?status=success")["workflow_runs"]
    run_id = runs[0]["id"]
    arts = api.ok(f"{REPO}/actions/runs/{run_id}/artifacts")["artifacts"]
    for art in arts:
        if "-canary-" in art["name"] or art["name"].startswith("monitoring-report-"):
            location = api.get(f"{REPO}/actions/artifacts/{art['id']}/zip").header("Location")
            (tmp_path / f"{art['name']}.zip").write_bytes(request(location or "").body)
    report_zip = next(tmp_path.glob("monitoring-report-*.zip"))
    simulated = json.loads(zipfile.ZipFile(report_zip).read("monitoring-report.json"))
    report_zip.unlink()
    real = monitor(tmp_path).to_dict()
    assert real["healthy"] is simulated["healthy"] is True
    for platform in ("windows", "macos"):
        ours, theirs = simulated["platforms"][platform], real["platforms"][platform]
        assert (ours["version"], ours["file_count"], ours["integrity"]) == (
            theirs["version"],
            theirs["file_count"],
            theirs["integrity"],
        )
