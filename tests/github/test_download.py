"""Artifact downloads against the real simulator over loopback, with faults injected."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from releasemgr.errors import (
    AuthError,
    Cancelled,
    NetworkError,
    NotFoundError,
    RateLimited,
    UsageError,
    VerificationFailed,
)
from releasemgr.github.download import DownloadResult, RetryPolicy, download_artifact
from releasemgr.release.verify import verify_path
from tests.github.conftest import login_for
from tests.release.test_monitor import APP, make_canary, zip_folder

# Retries happen for real; only the waiting between them is skipped.
FAST = RetryPolicy(attempts=4, timeout=10.0, wait=lambda _seconds: None)


@dataclass
class World:
    """A running simulator with one release artifact attached."""

    sim: Any
    token: str
    artifact_id: int
    meta: dict[str, Any]
    zip_path: Path

    def download(self, dest: Path, **kwargs: Any) -> DownloadResult:
        args: dict[str, Any] = {
            "api_url": self.sim.api_url,
            "token": self.token,
            "repository": self.sim.repository,
            "artifact_id": self.artifact_id,
            "dest_dir": dest,
            "expected_size": self.meta["size_in_bytes"],
            "expected_digest": self.meta.get("digest"),
            "retry": FAST,
        }
        args.update(kwargs)
        return download_artifact(**args)

    def api(self, path: str, token: str | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.sim.api_url}{path}",
            headers={"Authorization": f"Bearer {token or self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())


@pytest.fixture
def world(gh_sim: Any, tmp_path_factory: pytest.TempPathFactory) -> World:
    """The simulator with a real release package attached as an artifact of its first run."""
    base = tmp_path_factory.mktemp("artifact")
    # Big enough that one body spans many reads, so a drop lands in the middle of it.
    package = make_canary(base / "pkg", "linux", payload=3_000_000)
    zip_path = zip_folder(package, base / "artifact.zip")
    token = str(gh_sim.token(login_for(gh_sim, "qa")))
    probe = World(gh_sim, token, 0, {}, zip_path)
    artifact_id = gh_sim.add_artifact(gh_sim.push(), f"{APP}-linux-canary", zip_path)
    meta = probe.api(f"/repos/{gh_sim.repository}/actions/artifacts/{artifact_id}")
    return World(gh_sim, token, artifact_id, meta, zip_path)


def _listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_download_verifies_and_extracts_into_place(world: World, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = world.download(tmp_path, name="release", progress=lambda d, t: seen.append((d, t)))
    assert result.path == tmp_path / "release" and not result.reused
    assert result.digest == world.meta["digest"]
    assert result.size == world.zip_path.stat().st_size
    assert (result.path / "checksums.txt").is_file()
    assert verify_path(result.path).ok
    assert set(result.files) == {p for p in result.path.rglob("*") if p.is_file()}
    assert seen[-1] == (result.size, result.size)
    # Only the result and its record are left: no temporary file or folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".release.releasemgr.json", "release"]


def test_keep_the_zip_without_extracting(world: World, tmp_path: Path) -> None:
    result = world.download(tmp_path, extract=False)
    assert result.path == tmp_path / f"artifact-{world.artifact_id}.zip"
    assert result.path.read_bytes() == world.zip_path.read_bytes()
    assert result.files == ()


def test_a_download_dropped_halfway_resumes_with_range_and_verifies(
    world: World, tmp_path: Path
) -> None:
    world.sim.faults.once("/artifacts/*.zip", "drop")
    result = world.download(tmp_path)
    assert result.resumes == 1
    assert result.digest == world.meta["digest"]
    assert verify_path(result.path).ok


def test_an_expired_signed_url_is_replaced_and_the_transfer_resumes(
    world: World, tmp_path: Path
) -> None:
    world.sim.faults.once("/artifacts/*.zip", "drop")
    moved = threading.Event()

    def progress(done: int, total: int) -> None:
        if not moved.is_set():
            moved.set()
            world.sim.advance(120)  # the signed URL lives 60 s

    result = world.download(tmp_path, progress=progress)
    assert moved.is_set()
    assert result.resumes == 1
    assert verify_path(result.path).ok


def test_a_corrupted_blob_is_caught_and_nothing_is_left(world: World, tmp_path: Path) -> None:
    world.sim.faults.once("/artifacts/*.zip", "corrupt")
    with pytest.raises(VerificationFailed, match="does not match the artifact digest"):
        world.download(tmp_path)
    assert _listing(tmp_path) == []


def test_without_a_digest_the_inner_checksums_still_catch_corruption(
    world: World, tmp_path: Path
) -> None:
    world.sim.faults.once("/artifacts/*.zip", "corrupt")
    with pytest.raises(VerificationFailed):
        world.download(tmp_path, expected_digest=None)
    assert _listing(tmp_path) == []


def test_a_failed_download_leaves_the_earlier_good_one_in_place(
    world: World, tmp_path: Path
) -> None:
    first = world.download(tmp_path)
    before = {p: p.read_bytes() for p in first.files}
    (tmp_path / f".artifact-{world.artifact_id}.releasemgr.json").unlink()  # force a re-fetch
    world.sim.faults.once("/artifacts/*.zip", "corrupt")
    with pytest.raises(VerificationFailed):
        world.download(tmp_path)
    assert {p: p.read_bytes() for p in first.files} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"artifact-{world.artifact_id}"]


def test_the_blob_host_refuses_authorization_and_the_download_never_sends_it(
    world: World, tmp_path: Path
) -> None:
    # The simulator answers 400 when Authorization reaches the blob host, as GitHub's does.
    signed = _signed_url(world)
    request = urllib.request.Request(signed, headers={"Authorization": f"Bearer {world.token}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    result = world.download(tmp_path)
    assert verify_path(result.path).ok
    blob = [r.status for r in world.sim.requests if r.path.endswith(".zip")]
    assert sorted(blob) == [200, 400]  # the download's request, and the refused one above


def _signed_url(world: World) -> str:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    path = f"/repos/{world.sim.repository}/actions/artifacts/{world.artifact_id}/zip"
    request = urllib.request.Request(
        f"{world.sim.api_url}{path}", headers={"Authorization": f"Bearer {world.token}"}
    )
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request, timeout=10)
    assert redirect.value.code == 302
    location = redirect.value.headers["Location"]
    assert not location.startswith(world.sim.api_url)
    return str(location)


def test_an_expired_artifact_says_so(world: World, tmp_path: Path) -> None:
    world.sim.advance(91 * 24 * 3600)
    with pytest.raises(NotFoundError, match="expired"):
        world.download(tmp_path)
    assert _listing(tmp_path) == []


def test_cancel_stops_the_transfer_and_leaves_nothing(world: World, tmp_path: Path) -> None:
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        world.download(tmp_path, cancel=cancel, progress=lambda done, total: cancel.set())
    assert _listing(tmp_path) == []


def test_an_artifact_already_downloaded_is_not_fetched_again(world: World, tmp_path: Path) -> None:
    first = world.download(tmp_path)
    # Every request would now fail: a second download must not make any.
    world.sim.faults.set("reset=1")
    again = world.download(tmp_path)
    assert again.reused and again.path == first.path and again.digest == first.digest
    world.sim.faults.clear()
    # A tampered copy does not count as downloaded: it is fetched and replaced.
    victim = next(p for p in first.files if p.name == "payload.bin")
    victim.write_bytes(b"tampered")
    fresh = world.download(tmp_path)
    assert not fresh.reused
    assert verify_path(fresh.path).ok


def test_server_errors_and_secondary_limits_are_retried(world: World, tmp_path: Path) -> None:
    world.sim.faults.once("/repos/*/artifacts/*/zip", "502")
    world.sim.faults.once("/repos/*/artifacts/*/zip", "secondary")
    world.sim.faults.once("/artifacts/*.zip", "503")
    result = world.download(tmp_path)
    assert verify_path(result.path).ok


def test_errors_are_typed_and_never_carry_the_token(world: World, tmp_path: Path) -> None:
    messages: list[str] = []
    with pytest.raises(AuthError) as auth:
        world.download(tmp_path, token="ghp_not_a_real_token_0000")
    messages.append(str(auth.value))
    with pytest.raises(NotFoundError) as missing:
        world.download(tmp_path, artifact_id=987654321)
    messages.append(str(missing.value))
    world.sim.faults.set("503=1")
    with pytest.raises(NetworkError) as down:
        world.download(tmp_path)
    messages.append(str(down.value))
    world.sim.faults.set("exhausted")
    with pytest.raises(RateLimited) as limited:
        world.download(tmp_path)
    messages.append(str(limited.value))
    assert "resets at" in messages[-1] or "until" in messages[-1]
    assert all(world.token not in m and "ghp_not_a_real" not in m for m in messages)
    assert all("sig=" not in m for m in messages)
    assert _listing(tmp_path) == []


def test_bad_arguments_are_usage_errors(world: World, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="OWNER/NAME"):
        world.download(tmp_path, repository="just-a-name")
    with pytest.raises(UsageError, match="sha256"):
        world.download(tmp_path, expected_digest="md5:abc")
    with pytest.raises(UsageError, match="plain file name"):
        world.download(tmp_path, name="../escape")
    assert _listing(tmp_path) == []


def test_the_zip_digest_is_what_github_lists(world: World) -> None:
    digest = hashlib.sha256(world.zip_path.read_bytes()).hexdigest()
    assert world.meta["digest"] == f"sha256:{digest}"
    with zipfile.ZipFile(world.zip_path) as zf:
        assert "checksums.txt" in zf.namelist()


DISK_FULL_CHILD = """
import json, resource, signal, sys
from pathlib import Path
from releasemgr.errors import ReleasemgrError
from releasemgr.github.download import download_artifact
# Writes past 1 MiB fail with EFBIG, as they would with ENOSPC on a full disk.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
args = json.loads(sys.argv[1])
args["dest_dir"] = Path(args["dest_dir"])
try:
    download_artifact(**args)
except ReleasemgrError as exc:
    print(type(exc).__name__, exc)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="uses RLIMIT_FSIZE")
def test_a_disk_that_fills_up_is_reported_and_cleaned_up(world: World, tmp_path: Path) -> None:
    args = {
        "api_url": world.sim.api_url,
        "token": world.token,
        "repository": world.sim.repository,
        "artifact_id": world.artifact_id,
        "dest_dir": str(tmp_path),
        "expected_digest": world.meta["digest"],
    }
    child = subprocess.run(
        [sys.executable, "-c", DISK_FULL_CHILD, json.dumps(args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert child.stdout.startswith(f"InputError {tmp_path}: cannot write the download")
    assert world.token not in child.stdout + child.stderr
    assert _listing(tmp_path) == []


def test_a_connection_that_keeps_breaking_is_given_up_on(world: World, tmp_path: Path) -> None:
    world.sim.faults.set("drop=1@/artifacts/*.zip")
    with pytest.raises(NetworkError, match="broke 3 times"):
        world.download(tmp_path, retry=RetryPolicy(resumes=2, wait=lambda _s: None))
    assert _listing(tmp_path) == []


def test_a_secondary_limit_longer_than_allowed_is_reported_not_waited(
    world: World, tmp_path: Path
) -> None:
    world.sim.faults.once("/repos/*/artifacts/*/zip", "secondary")
    patience = RetryPolicy(max_retry_after=5, wait=lambda _s: None)
    with pytest.raises(RateLimited, match=r"rate limiting this account for \d+ s") as limited:
        world.download(tmp_path, retry=patience)
    assert limited.value.reset_at is not None
    assert _listing(tmp_path) == []
