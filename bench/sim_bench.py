"""The simulator's start-up time, throughput on a mixed read load, and memory.

Starts ``releasemgr sim --scenario demo`` as a separate process, then from this process:

- start-up: time from launching the process to its JSON ready line (goal under 2 s), beside the
  bare interpreter's start-up measured in the same run;
- throughput: requests per second on a mixed read load (user, runs, a run, its jobs, artifacts,
  pending deployments, environments, approvals; plain and conditional GETs) over keep-alive
  connections on loopback (goal at least 300/s), beside a bare ``http.server`` answering a fixed
  JSON body in the same way (the ceiling of the standard library on this machine);
- memory: the simulator's resident set size with the demo world loaded and its artifacts built,
  after the load (goal under 200 MB), beside the bare interpreter importing releasemgr.

Bounded: a fixed number of requests per measurement; loopback only.

    python bench/sim_bench.py [--requests 3000] [--threads 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = "/repos/massugc/massugc-video-service"


def _launch() -> tuple[subprocess.Popen[str], dict[str, Any], float]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "releasemgr",
            "sim",
            "--scenario",
            "demo",
            "--speed",
            "0",
            "--faults",
            "limit=100000000",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready = json.loads(proc.stdout.readline())
    return proc, ready, time.perf_counter() - start


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def _interpreter_start() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import releasemgr"], check=True)
    return time.perf_counter() - start


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _paths(api_url: str, token: str) -> list[tuple[str, dict[str, str]]]:
    """The mixed read load: every kind of read the app makes, plain and conditional."""
    auth = {"Authorization": f"token {token}"}
    conn = http.client.HTTPConnection(urlsplit(api_url).hostname, urlsplit(api_url).port)
    conn.request("GET", f"{REPO}/actions/runs?per_page=20", headers=auth)
    runs = json.loads(conn.getresponse().read())["workflow_runs"]
    paths = [
        "/user",
        f"{REPO}/actions/runs?per_page=20",
        f"{REPO}/environments",
        f"{REPO}/actions/artifacts?per_page=30",
    ]
    for run in runs[:6]:
        base = f"{REPO}/actions/runs/{run['id']}"
        paths += [
            base,
            f"{base}/jobs",
            f"{base}/artifacts",
            f"{base}/pending_deployments",
            f"{base}/approvals",
        ]
    load: list[tuple[str, dict[str, str]]] = []
    for path in paths:
        conn.request("GET", path, headers=auth)
        resp = conn.getresponse()
        resp.read()
        load.append((path, auth))
        load.append((path, {**auth, "If-None-Match": resp.getheader("ETag") or ""}))
    conn.close()
    return load


def _build_every_artifact(api_url: str, token: str) -> None:
    """List every artifact page: the simulator builds each zip (size, digest) to list it."""
    parts = urlsplit(api_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    page = 1
    while True:
        conn.request(
            "GET",
            f"{REPO}/actions/artifacts?per_page=100&page={page}",
            headers={"Authorization": f"token {token}"},
        )
        resp = conn.getresponse()
        body = json.loads(resp.read())
        if not body["artifacts"]:
            break
        page += 1
    conn.close()


def _hammer(url: str, load: list[tuple[str, dict[str, str]]], total: int, threads: int) -> float:
    """Requests per second for ``total`` requests spread over ``threads`` keep-alive clients."""
    parts = urlsplit(url)
    errors: list[str] = []

    def client(count: int, offset: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        for i in range(count):
            path, headers = load[(offset + i) % len(load)]
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status not in (200, 304):
                errors.append(f"{resp.status} {path}")
        conn.close()

    per = total // threads
    workers = [threading.Thread(target=client, args=(per, i * 7)) for i in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"unexpected answers: {errors[:3]}")
    return per * threads / elapsed


class _Fixed(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = json.dumps({"total_count": 1, "workflow_runs": [{"id": 1}] * 20}).encode()

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _bare_server_rate(total: int, threads: int) -> float:
    """The same client loop against a bare stdlib server in a second process."""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from sim_bench import _Fixed\n"
        "from http.server import ThreadingHTTPServer\n"
        "s = ThreadingHTTPServer(('127.0.0.1', 0), _Fixed); s.daemon_threads = True\n"
        "print(s.server_address[1], flush=True); s.serve_forever()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        return _hammer(f"http://127.0.0.1:{port}", [("/", {})], total, threads)
    finally:
        _stop(proc)  # type: ignore[arg-type]


def main() -> int:
    """Run the three measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args()

    interp = min(_interpreter_start() for _ in range(args.starts))
    startups = []
    for _ in range(args.starts - 1):
        proc, _ready, took = _launch()
        startups.append(took)
        _stop(proc)
    proc, ready, took = _launch()
    startups.append(took)
    try:
        rss_ready = _rss_kb(proc.pid)
        token = next(iter(ready["users"].values()))["token"]
        load = _paths(ready["api_url"], token)
        _build_every_artifact(ready["api_url"], token)  # as a long-running demo would have
        rate = _hammer(ready["api_url"], load, args.requests, args.threads)
        rate_single = _hammer(ready["api_url"], load, args.requests // 2, 1)
        rss_loaded = _rss_kb(proc.pid)
    finally:
        _stop(proc)
    bare = _bare_server_rate(args.requests, args.threads)

    best = min(startups)
    print(
        f"start-up to ready line: best {best:.2f} s, worst {max(startups):.2f} s "
        f"(goal < 2 s: {'met' if max(startups) < 2 else 'MISSED'}); "
        f"bare interpreter + import releasemgr {interp:.2f} s, ratio {best / interp:.1f}x"
    )
    print(
        f"mixed read load: {rate:.0f} req/s with {args.threads} clients, "
        f"{rate_single:.0f} req/s with 1 (goal >= 300/s: {'met' if rate >= 300 else 'MISSED'}); "
        f"bare http.server (TCP_NODELAY) with a fixed body {bare:.0f} req/s, "
        f"ratio {rate / bare:.2f}"
    )
    print(
        f"memory: {rss_ready / 1024:.0f} MB at ready, {rss_loaded / 1024:.0f} MB after the load "
        f"with artifacts built (goal < 200 MB: {'met' if rss_loaded < 200 * 1024 else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
