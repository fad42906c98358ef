"""The blob origin: signed, short-lived URLs for artifact zips and logs, with ``Range``.

Like the storage host GitHub redirects to: no ``Authorization`` header accepted (400), the
signature and its 60-second expiry checked (403), 410 for an artifact that has expired, ``Range``
requests answered with 206. Zips stream from disk in chunks, so size never costs memory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from releasemgr.sim.faults import Decision
from releasemgr.sim.logs import job_log, run_logs_zip

if TYPE_CHECKING:
    from releasemgr.sim.server import _Handler

CHUNK = 1 << 20
_ARTIFACT = re.compile(r"^/artifacts/(\d+)\.zip$")
_JOB_LOG = re.compile(r"^/logs/jobs/(\d+)\.txt$")
_RUN_LOG = re.compile(r"^/logs/runs/(\d+)\.zip$")


def _xml_error(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><Error>'
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()


def serve_blob(h: _Handler, path: str, query: dict[str, list[str]], decision: Decision) -> None:
    """Answer one request to the blob origin."""
    backend = h.server.backend
    xml = {"Content-Type": "application/xml", "x-ms-version": "2025-01-05"}

    def refuse(status: int, code: str, message: str) -> None:
        h.send_body(status, xml, _xml_error(code, message))
        backend.record(h.command, path, status, None)

    if h.command not in ("GET", "HEAD"):
        return refuse(405, "UnsupportedHttpVerb", "The resource doesn't support the verb.")
    if h.headers.get("Authorization") is not None:
        return refuse(
            400,
            "InvalidAuthenticationInfo",
            "Authentication information is not given in the correct format. "
            "Check the value of Authorization header.",
        )
    expires = (query.get("se") or [""])[-1]
    sig = (query.get("sig") or [""])[-1]
    problem = backend.check_signature(path, expires, sig)
    if problem:
        return refuse(403, "AuthenticationFailed", problem)
    if decision.status:
        return refuse(decision.status, "ServerBusy", "The server is busy.")
    world = backend.world
    if m := _ARTIFACT.match(path):
        with world.lock:
            art = world.artifacts.get(int(m.group(1)))
            expired = art is None or art.deleted or art.expires_at <= world.clock.now()
        if art is None or expired:
            return refuse(410, "BlobNotFound", "The artifact has expired.")
        zip_path = backend.store.ensure(art)
        _send_file(h, zip_path, f"{art.name}.zip", decision)
        backend.record(h.command, path, 200, None)
        return None
    if m := _JOB_LOG.match(path):
        with world.lock:
            found = world.job(int(m.group(1)))
            text = job_log(*found).encode() if found else None
        if text is None:
            return refuse(404, "BlobNotFound", "The specified blob does not exist.")
        _send_bytes(h, text, "text/plain; charset=utf-8", decision)
        return None
    if m := _RUN_LOG.match(path):
        with world.lock:
            run = world.run(int(m.group(1)))
            data = run_logs_zip(run) if run else None
        if data is None:
            return refuse(404, "BlobNotFound", "The specified blob does not exist.")
        _send_bytes(h, data, "application/zip", decision)
        return None
    return refuse(404, "BlobNotFound", "The specified blob does not exist.")


def _range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """``(start, end)`` inclusive for a single byte range, ``None`` for none, ``"bad"``."""
    if not header:
        return None
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    if not m or (not m.group(1) and not m.group(2)):
        return None  # ignored, as storage hosts ignore ranges they cannot parse
    if not m.group(1):
        length = int(m.group(2))
        if length == 0:
            return "bad"
        return max(0, size - length), size - 1
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return "bad"
    return start, min(end, size - 1)


def _headers(content_type: str, length: int, etag: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "x-ms-blob-type": "BlockBlob",
        "x-ms-version": "2025-01-05",
        "Content-Length": str(length),
    }


def _send_file(h: _Handler, path: Path, filename: str, decision: Decision) -> None:
    size = path.stat().st_size
    etag = f'"0x{int(path.stat().st_mtime_ns):X}"'
    wanted = _range(h.headers.get("Range"), size)
    if wanted == "bad":
        h.send_response(416)
        h.send_header("Content-Range", f"bytes */{size}")
        h.send_header("Content-Length", "0")
        h.end_headers()
        return
    start, end = wanted if isinstance(wanted, tuple) else (0, size - 1)
    length = max(0, end - start + 1)
    h.send_response(206 if isinstance(wanted, tuple) else 200)
    headers = _headers("application/zip", length, etag)
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if isinstance(wanted, tuple):
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    for name, value in headers.items():
        h.send_header(name, value)
    h.end_headers()
    if h.command == "HEAD" or length == 0:
        return
    send = length // 2 if decision.drop else length
    with open(path, "rb") as f:
        if decision.corrupt:
            _copy_corrupted(h, f, start, send)
        else:
            _copy(h, f, start, send)
    if decision.drop:
        h._hang_up()


def _copy(h: _Handler, f: BinaryIO, start: int, count: int) -> None:
    # socket.sendfile uses os.sendfile (zero copy) and falls back to send() by itself; the
    # buffered headers must leave first.
    h.wfile.flush()
    h.connection.sendfile(f, start, count)


def _copy_corrupted(h: _Handler, f: BinaryIO, start: int, count: int) -> None:
    f.seek(start)
    flip_at = count // 2
    done = 0
    while done < count:
        block = bytearray(f.read(min(CHUNK, count - done)))
        if not block:
            break
        if done <= flip_at < done + len(block):
            block[flip_at - done] ^= 0x01
        h.wfile.write(bytes(block))
        done += len(block)


def _send_bytes(h: _Handler, data: bytes, content_type: str, decision: Decision) -> None:
    etag = f'"0x{hash(data) & 0xFFFFFFFFFFFF:X}"'
    h.send_response(200)
    for name, value in _headers(content_type, len(data), etag).items():
        h.send_header(name, value)
    h.end_headers()
    if h.command == "HEAD":
        return
    body = bytearray(data)
    if decision.corrupt and body:
        body[len(body) // 2] ^= 0x01
    if decision.drop:
        h.wfile.write(bytes(body[: len(body) // 2]))
        h._hang_up()
        return
    h.wfile.write(bytes(body))
