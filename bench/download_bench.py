"""Benchmark artifact downloads from the simulator: throughput, memory, hashing hidden in transfer.

Builds a release package of about 1 GiB (one large incompressible file plus a stand-in app),
zips it as an artifact and attaches it to a simulator on loopback. Then, in the same run:

1. throughput of ``download_artifact`` (its transfer phase) against ``curl`` fetching the same
   signed blob URL (goal: at least 0.9x);
2. peak memory (max RSS) of a whole download (transfer, digest, verify, extract) in a fresh
   subprocess (goal: under 150 MB);
3. download with SHA-256 computed while streaming against the same transfer with hashing off,
   against hashing the file alone, and against download-then-hash (goal: hashing hidden in
   the transfer; on loopback the transfer outruns single-stream SHA-256, so the floor is the
   slower of the two and the ratio to that floor should be near 1.0).

Usage: ``python bench/download_bench.py [--size-mib 1024] [--rounds 3] [--keep DIR]``.
Needs about 4x the size in free disk space under the temporary directory; removes it all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from releasemgr.github import transfer as transfer_mod
from releasemgr.github.download import RetryPolicy

APP = "ZyraVideoAgentBackend"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
MIB = 1 << 20


def build_artifact(work: Path, size_mib: int) -> Path:
    """A release package with one ``size_mib`` MiB file, zipped as GitHub serves artifacts."""
    from releasemgr.release.package import write_package
    from releasemgr.sim.standins import write_onedir

    root = work / "package"
    write_onedir(root, APP, "linux", "1.0.0", COMMIT)
    block = os.urandom(MIB)
    with open(root / APP / "_internal" / "payload.bin", "wb") as f:
        for i in range(size_mib):
            # Incompressible and not repeating, cheaply: a fresh prefix per MiB.
            f.write(i.to_bytes(8, "little") + block[8:])
    write_package(
        root,
        app=APP,
        platform="linux",
        version="1.0.0",
        commit=COMMIT,
        ref="refs/heads/main",
        run_id=1,
        run_attempt=1,
        built_at=datetime.now(UTC),
    )
    target = work / "artifact.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                # A large random file is stored, as zip tools do when deflate does not pay.
                method = zipfile.ZIP_STORED if path.stat().st_size > MIB else zipfile.ZIP_DEFLATED
                zf.write(path, path.relative_to(root).as_posix(), compress_type=method)
    shutil.rmtree(root)
    return target


def signed_url(api_url: str, repository: str, artifact_id: int, token: str) -> str:
    """The blob URL the API redirects to (not followed, so no token goes along)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(
        f"{api_url}/repos/{repository}/actions/artifacts/{artifact_id}/zip",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        urllib.request.build_opener(NoRedirect).open(request, timeout=30)
    except urllib.error.HTTPError as exc:
        if exc.code == 302:
            return str(exc.headers["Location"])
        raise
    raise RuntimeError("expected a 302 from the artifact zip endpoint")


def curl_seconds(url: str, out: Path) -> float:
    """Wall time of curl fetching ``url`` into ``out``."""
    start = time.perf_counter()
    subprocess.run(["curl", "-sS", "--fail", "-o", str(out), url], check=True)
    elapsed = time.perf_counter() - start
    out.unlink()
    return elapsed


class _NoHash:
    """Stands in for hashlib.sha256 to time the same transfer with hashing switched off."""

    def update(self, data: Any) -> None:
        pass

    def hexdigest(self) -> str:
        return "0" * 64


def transfer_seconds(args: dict[str, Any], dest: Path, *, hashing: bool = True) -> float:
    """Seconds of the transfer phase of one download (the zip kept, not extracted)."""
    real = transfer_mod.hashlib
    if not hashing:
        transfer_mod.hashlib = type("H", (), {"sha256": _NoHash})  # type: ignore[assignment]
    try:
        fetcher = transfer_mod.Fetcher(  # the transfer alone, without verify
            f"{args['api_url']}/repos/{args['repository']}/actions/artifacts/"
            f"{args['artifact_id']}/zip",
            args["token"],
            "bench artifact",
            RetryPolicy(),
            None,
            None,
            None,
        )
        target = dest / "transfer.zip"
        start = time.perf_counter()
        with open(target, "wb") as out:
            fetcher.run(out)
        elapsed = time.perf_counter() - start
        target.unlink()
        return elapsed
    finally:
        transfer_mod.hashlib = real


def hash_file_seconds(path: Path) -> float:
    """Seconds to SHA-256 a file in a separate pass (the download-then-hash way)."""
    start = time.perf_counter()
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(MIB):
            h.update(chunk)
    return time.perf_counter() - start


CHILD = """
import json, resource, sys, time
from pathlib import Path
from releasemgr.github.download import download_artifact
args = json.loads(sys.argv[1])
args["dest_dir"] = Path(args["dest_dir"])
start = time.perf_counter()
result = download_artifact(**args)
elapsed = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "maxrss_kib": rss, "timings": dict(result.timings),
                  "files": len(result.files), "size": result.size}))
"""


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work here instead of a temporary folder")
    opts = parser.parse_args()
    if shutil.which("curl") is None:
        print("curl is needed for the reference measurement", file=sys.stderr)
        return 2

    from releasemgr.sim import Simulator

    work = opts.keep or Path(tempfile.mkdtemp(prefix="releasemgr-dlbench-"))
    work.mkdir(parents=True, exist_ok=True)
    sim = Simulator(seed=1, scenario="basic")
    sim.start()
    try:
        t0 = time.perf_counter()
        zip_path = build_artifact(work, opts.size_mib)
        size = zip_path.stat().st_size
        print(f"artifact: {size / MIB:.0f} MiB zip built in {time.perf_counter() - t0:.1f} s")
        login = next(iter(sim.users))
        token = sim.token(login)
        run_id = sim.push()
        artifact_id = sim.add_artifact(run_id, f"{APP}-linux-canary", zip_path)
        with urllib.request.urlopen(
            urllib.request.Request(
                f"{sim.api_url}/repos/{sim.repository}/actions/artifacts/{artifact_id}",
                headers={"Authorization": f"Bearer {token}"},
            ),
            timeout=30,
        ) as resp:
            digest = json.loads(resp.read())["digest"]
        args: dict[str, Any] = {
            "api_url": sim.api_url,
            "token": token,
            "repository": sim.repository,
            "artifact_id": artifact_id,
        }
        dest = work / "dest"
        dest.mkdir()
        hash_file_seconds(zip_path)  # warms the page cache for the server
        hash_pass = min(hash_file_seconds(zip_path) for _ in range(2))

        curl_t, ours_t, nohash_t = [], [], []
        for _ in range(opts.rounds):
            # Interleaved, so background load on the shared machine hits all three alike.
            curl_t.append(curl_seconds(signed_url(**args), work / "curl.out"))
            ours_t.append(transfer_seconds(args, dest))
            nohash_t.append(transfer_seconds(args, dest, hashing=False))
        curl_best, ours_best, nohash_best = min(curl_t), min(ours_t), min(nohash_t)
        print(
            f"curl            best {size / curl_best / MIB:7.0f} MiB/s  "
            f"(median {size / statistics.median(curl_t) / MIB:.0f})"
        )
        print(
            f"releasemgr      best {size / ours_best / MIB:7.0f} MiB/s  "
            f"(median {size / statistics.median(ours_t) / MIB:.0f}), SHA-256 while streaming"
        )
        print(f"  no hashing    best {size / nohash_best / MIB:7.0f} MiB/s")
        print(f"throughput vs curl: {curl_best / ours_best:.2f}x (goal >= 0.9x)")
        print(f"SHA-256 of the file alone: {hash_pass:.2f} s ({size / hash_pass / MIB:.0f} MiB/s)")
        print(f"download+hash vs download alone: {ours_best / nohash_best:.2f}")
        floor = max(nohash_best, hash_pass)
        print(
            f"download+hash vs the slower of download alone and hashing alone: "
            f"{ours_best / floor:.2f} (goal ~1.0: the two overlap fully)"
        )
        then = nohash_best + hash_pass
        print(
            f"download-then-hash: {then:.2f} s vs download+hash {ours_best:.2f} s "
            f"({ours_best / then:.2f}x the time)"
        )

        child_args = {
            **args,
            "dest_dir": str(dest),
            "expected_size": size,
            "expected_digest": digest,
            "name": "full",
        }
        env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(child_args)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        child = json.loads(out.stdout)
        baseline = subprocess.run(
            [
                sys.executable,
                "-c",
                "import resource, releasemgr.github.download;"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in child["timings"].items())
        print(
            f"full download (transfer+digest, verify, extract): {child['seconds']:.2f} s ({phases})"
        )
        print(
            f"peak memory of the full download: {child['maxrss_kib'] / 1024:.0f} MB "
            f"(interpreter and imports alone: {int(baseline.stdout) / 1024:.0f} MB; goal < 150)"
        )
    finally:
        sim.stop()
        if opts.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
