"""The HTTP side: three threaded servers on loopback (API, web, blob) around the route tables.

Around every API handler: faults, the API version header, token auth (401 for a bad token),
repository visibility (404), the primary rate limit (counted per user, headers on every answer),
``ETag`` on every GET and ``304`` for a matching ``If-None-Match`` without spending the limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import socket
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from releasemgr.sim import (
    routes_actions,
    routes_artifacts,
    routes_control,
    routes_deploy,
    routes_misc,
    routes_web,
)
from releasemgr.sim.backend import Backend
from releasemgr.sim.faults import Decision
from releasemgr.sim.ratelimit import Bucket
from releasemgr.sim.router import API, WEB, HttpError, Request, Response, Router

# The route modules register themselves on import; keep the names referenced.
ROUTE_MODULES = (
    routes_actions,
    routes_artifacts,
    routes_control,
    routes_deploy,
    routes_misc,
    routes_web,
)
API_VERSIONS = ("2022-11-28", "2026-03-10")
RATE_DOC = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
MAX_BODY = 1 << 20  # request bodies this API takes are small JSON objects
_REPOSITORIES = re.compile(r"^/repositories/(\d+)(/.*)?$")


class SimServer(ThreadingHTTPServer):
    """One origin of the simulator."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], backend: Backend, origin: str) -> None:
        self.backend = backend
        self.origin = origin
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, *, open_: bool) -> None:
        """Remember (or forget) a client connection, so ``close_all`` can end it."""
        with self._open_lock:
            if open_:
                self._open.add(conn)
            else:
                self._open.discard(conn)

    def close_all(self) -> None:
        """End every open keep-alive connection (after ``shutdown``, when stopping)."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep an unexpected failure (the request was already answered 500, or the peer went
        away) in ``backend.errors`` instead of printing a traceback."""
        import traceback

        self.backend.errors.append(traceback.format_exc(limit=5))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffered: headers and a small body leave in one packet when the request is done
    # (http.server flushes after each request); large bodies bypass the buffer.
    wbufsize = 1 << 16
    server_version = "github.com"
    sys_version = ""
    server: SimServer

    def setup(self) -> None:
        """Track the connection; send at once (no Nagle wait between headers and a body)."""
        super().setup()
        self.server.track(self.connection, open_=True)
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self) -> None:
        """Forget the connection."""
        self.server.track(self.connection, open_=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the simulator keeps its own request log."""

    def handle_one_request(self) -> None:
        """Serve one request; a client that hangs up is not an error worth a traceback."""
        try:
            super().handle_one_request()
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            self.close_connection = True

    def do_GET(self) -> None:
        """Answer GET."""
        self._dispatch()

    do_HEAD = do_GET
    do_POST = do_GET
    do_PUT = do_GET
    do_PATCH = do_GET
    do_DELETE = do_GET

    # ---- common ----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        try:
            self._answer()
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            raise
        except Exception:
            import traceback

            self.server.backend.errors.append(traceback.format_exc(limit=8))
            body = b'{"message":"Server Error","documentation_url":"https://docs.github.com/rest"}'
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.send_body(500, {"Content-Type": "application/json; charset=utf-8"}, body)

    def _answer(self) -> None:
        backend = self.server.backend
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            self.send_body(
                413 if length > 0 else 400,
                {"Content-Type": "application/json"},
                b'{"message":"Problems parsing the request body"}',
            )
            return
        body = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        decision = backend.faults.decide(self.command, path)
        if decision.latency:
            time.sleep(decision.latency)  # an injected fault, not simulation logic
        if decision.reset:
            self._hang_up()
            backend.record(self.command, path, 0, None)
            return
        if self.server.origin == "blob":
            from releasemgr.sim.blobs import serve_blob

            serve_blob(self, path, query, decision)
            return
        if self.server.origin == "web":
            status = self._serve_simple(WEB, path, query, body, decision)
        else:
            status = self._serve_api(path, query, body, decision)
        backend.record(self.command, path, status, getattr(self, "_login", None))

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def send_body(
        self, status: int, headers: dict[str, str], body: bytes, *, drop: bool = False
    ) -> None:
        """Send a whole answer; with ``drop``, only part of the body, then hang up."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD" or status == 304 or not body:
            return
        if drop:
            self.wfile.write(body[: max(1, len(body) // 2)])
            self._hang_up()
            return
        self.wfile.write(body)

    def _serve_simple(
        self,
        router: Router,
        path: str,
        query: dict[str, list[str]],
        body: bytes,
        decision: Decision,
    ) -> int:
        backend = self.server.backend
        found = router.match(self.command, path)
        if decision.status:
            resp = Response(
                decision.status,
                raw=b"<html><body>Server Error</body></html>",
                content_type="text/html; charset=utf-8",
            )
        elif found is None:
            resp = Response(
                404,
                raw=b"<html><body>Not Found</body></html>",
                content_type="text/html; charset=utf-8",
            )
        else:
            route, params = found
            req = Request(
                self.command,
                path,
                query,
                self.headers,
                body,
                backend,
                params,
                client=self.client_address[0],
                doc=route.doc,
            )
            try:
                resp = route.handler(req)
            except HttpError as exc:
                resp = Response(exc.status, exc.body(), headers=exc.headers)
        headers = {"Content-Type": resp.content_type, **resp.headers}
        self.send_body(resp.status, headers, resp.body_bytes(), drop=decision.drop)
        return resp.status

    # ---- the REST API ----------------------------------------------------------------------

    def _base_headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json; charset=utf-8",
            "Cache-Control": "private, max-age=60, s-maxage=60",
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            # The issue names this header; GitHub itself answers with the -Selected one above.
            "X-GitHub-Api-Version": "2022-11-28",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(),
            "X-Frame-Options": "deny",
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Expose-Headers": "ETag, Link, Location, Retry-After, "
            "X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, "
            "X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, "
            "X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset",
        }

    def _token(self) -> tuple[bool, str | None]:
        """Whether an Authorization header came, and the token in it."""
        value = self.headers.get("Authorization")
        if value is None:
            return False, None
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() in ("token", "bearer") and token.strip():
            return True, token.strip()
        return True, None

    def _serve_api(
        self, path: str, query: dict[str, list[str]], body: bytes, decision: Decision
    ) -> int:
        backend = self.server.backend
        world = backend.world
        headers = self._base_headers()
        m = _REPOSITORIES.match(path)
        if m and int(m.group(1)) == world.repo.id:
            path = f"/repos/{world.repo.full_name}{m.group(2) or ''}"

        def fail(exc: HttpError, bucket: Bucket | None) -> int:
            out = {**headers, **(bucket.headers() if bucket else {}), **exc.headers}
            self.send_body(exc.status, out, _json(exc.body()), drop=decision.drop)
            return exc.status

        requested = self.headers.get("X-GitHub-Api-Version")
        if requested and requested not in API_VERSIONS:
            return fail(
                HttpError(
                    400,
                    f"Unsupported 'X-GitHub-Api-Version' header: "
                    f"{requested}. Supported versions are: "
                    f"{', '.join(API_VERSIONS)}",
                ),
                None,
            )
        sent, token = self._token()
        user = backend.user_for_token(token) if token else None
        if sent and user is None:
            return fail(HttpError(401, "Bad credentials"), None)
        self._login = user.login if user else None
        key = f"user:{user.login}" if user else f"ip:{self.client_address[0]}"
        if user is not None:
            headers["X-OAuth-Scopes"] = "repo, workflow"
            headers["X-Accepted-OAuth-Scopes"] = ""
        if decision.status and not decision.landed:
            return fail(_fault_error(decision), backend.limits.peek(key))
        found = API.match(self.command, path)
        if found is None:
            return fail(HttpError(404, "Not Found"), backend.limits.peek(key))
        route, params = found
        if route.needs_user and user is None:
            return fail(
                HttpError(401, "Requires authentication", route.doc), backend.limits.peek(key)
            )
        if route.repo:
            same = (params.get("owner", "").lower(), params.get("repo", "").lower()) == (
                world.repo.owner.lower(),
                world.repo.name.lower(),
            )
            if not same or (world.repo.private and user is None):
                return fail(HttpError(404, "Not Found", route.doc), backend.limits.peek(key))
            params["owner"], params["repo"] = world.repo.owner, world.repo.name
        req = Request(
            self.command,
            path,
            query,
            self.headers,
            body,
            backend,
            params,
            user,
            token,
            self.client_address[0],
            route.doc,
        )
        reading = self.command in ("GET", "HEAD")
        bucket: Bucket | None = None
        if not reading and route.costs:
            ok, bucket = backend.limits.try_spend(key)
            if not ok:
                return fail(_exhausted(user, self.client_address[0]), bucket)
        try:
            with world.lock:
                world.sync()
                resp = route.handler(req)
        except HttpError as exc:
            resp = Response(exc.status, exc.body(), headers=exc.headers)
        payload = resp.body_bytes()
        if reading and resp.status == 200:
            etag = 'W/"' + hashlib.sha256(payload).hexdigest() + '"'
            resp.headers["ETag"] = etag
            if _etag_matches(self.headers.get("If-None-Match"), etag):
                out = {**headers, **backend.limits.peek(key).headers(), **resp.headers}
                out.pop("Content-Type", None)
                self.send_body(304, out, b"")
                return 304
        if reading and route.costs:
            ok, bucket = backend.limits.try_spend(key)
            if not ok:
                return fail(_exhausted(user, self.client_address[0]), bucket)
        if bucket is None:
            bucket = backend.limits.peek(key)
        if decision.status and decision.landed:
            return fail(_fault_error(decision), bucket)
        out = {**headers, **bucket.headers(), **resp.headers}
        out["Content-Type"] = resp.content_type
        if resp.status in (204, 302):
            payload = b""
        self.send_body(resp.status, out, payload, drop=decision.drop)
        return resp.status


def _json(data: Any) -> bytes:
    import json

    return json.dumps(data, separators=(",", ":")).encode()


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = [t.strip() for t in header.split(",")]
    bare = etag.removeprefix("W/")
    return "*" in wanted or any(t.removeprefix("W/") == bare for t in wanted)


def _fault_error(decision: Decision) -> HttpError:
    if decision.secondary:
        return HttpError(
            decision.status or 403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
            "again. If you reach out to GitHub Support for help, please include the request ID.",
            RATE_DOC + "#about-secondary-rate-limits",
            headers={"Retry-After": "60"},
        )
    status = decision.status or 502
    message = {
        500: "Server Error",
        502: "Server Error",
        503: "Service Unavailable",
        504: "We couldn't respond to your request in time. Sorry about that.",
    }
    return HttpError(status, message.get(status, "Server Error"))


def _exhausted(user: Any, address: str) -> HttpError:
    who = f"user ID {user.id}" if user is not None else address
    return HttpError(
        403,
        f"API rate limit exceeded for {who}. If you reach out to GitHub Support for help, "
        "please include the request ID.",
        RATE_DOC,
    )


def http_date(ts: float) -> str:
    """A timestamp as an HTTP date."""
    return formatdate(ts, usegmt=True)
