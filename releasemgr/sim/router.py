"""Requests, responses, errors and the decorator route tables of the three origins.

``API`` answers like api.github.com, ``WEB`` like github.com (device flow, pages), ``BLOB`` like
the storage host that signed artifact and log URLs point to. Handlers take a ``Request`` and
return a ``Response`` (or raise ``HttpError``); ``server.py`` adds headers, auth, rate limits,
ETags and faults around them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from releasemgr.sim.backend import Backend
    from releasemgr.sim.entities import User

DOCS = "https://docs.github.com/rest"


class HttpError(Exception):
    """An error answer: ``{"message", "documentation_url"}`` with a status."""

    def __init__(
        self,
        status: int,
        message: str,
        doc: str = DOCS,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.doc = doc
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body GitHub sends with such an error."""
        data: dict[str, Any] = {"message": self.message, "documentation_url": self.doc}
        if self.status in (401, 403, 404, 409, 410, 422) or self.status >= 500:
            data["status"] = str(self.status)
        data.update(self.extra)
        return data


@dataclass
class Response:
    """What a handler answers: JSON data, or raw bytes with a content type."""

    status: int = 200
    data: Any = None
    raw: bytes | None = None
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    def body_bytes(self) -> bytes:
        """The encoded body."""
        if self.raw is not None:
            return self.raw
        if self.data is None:
            return b""
        return json.dumps(self.data, separators=(",", ":")).encode()


@dataclass
class Request:
    """One request, as handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    backend: Backend
    params: dict[str, str] = field(default_factory=dict)
    user: User | None = None
    token: str | None = None
    client: str = ""
    doc: str = DOCS

    def q(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter, or ``default``."""
        values = self.query.get(name)
        return values[-1] if values else default

    def int_param(self, name: str) -> int:
        """A numeric path parameter."""
        return int(self.params[name])

    def json(self) -> Any:
        """The body parsed as JSON; 400 like GitHub when it is not."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, "Problems parsing JSON", self.doc) from None

    def form(self) -> dict[str, str]:
        """A form-encoded or JSON body as a flat dict of strings (OAuth endpoints take both)."""
        ctype = (self.headers.get("Content-Type") or "").lower()
        if "json" in ctype:
            data = self.json()
            return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        from urllib.parse import parse_qs

        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        merged = {k: v[-1] for k, v in self.query.items()}
        merged.update({k: v[-1] for k, v in parsed.items()})
        return merged


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    """One entry of a route table."""

    method: str
    regex: re.Pattern[str]
    handler: Handler
    doc: str
    needs_user: bool  # 401 without a token (else anonymous access is allowed)
    repo: bool  # the path names the repository: check it exists and is visible
    costs: bool  # counts against the primary rate limit


class Router:
    """A route table filled by decorators: ``@API.route("GET", "/repos/{owner}/{repo}")``."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        pattern: str,
        *,
        doc: str = DOCS,
        needs_user: bool = False,
        costs: bool = True,
    ) -> Callable[[Handler], Handler]:
        """Register the decorated function for ``method`` and a ``{name}`` path pattern."""

        def convert(match: re.Match[str]) -> str:
            name, _, kind = match.group(1).partition(":")
            body = {"int": r"\d+", "path": r".*"}.get(kind, r"[^/]+")
            return f"(?P<{name}>{body})"

        regex = re.compile("^" + re.sub(r"\{([^}]+)\}", convert, pattern) + "$")

        def register(func: Handler) -> Handler:
            self.routes.append(
                Route(method, regex, func, doc, needs_user, "{owner}" in pattern, costs)
            )
            return func

        return register

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for this request, with its path parameters; ``None`` if none."""
        lookup = "GET" if method == "HEAD" else method
        # catch-all routes ({x:path}) answer only when nothing more specific does
        ordered = sorted(self.routes, key=lambda r: ".*" in r.regex.pattern)
        for route in ordered:
            if route.method != lookup:
                continue
            found = route.regex.match(path)
            if found:
                return route, found.groupdict()
        return None


API = Router()
WEB = Router()
BLOB = Router()


def page_args(req: Request) -> tuple[int, int]:
    """``(page, per_page)`` from the query: defaults 1 and 30, per_page at most 100."""
    try:
        per_page = int(req.q("per_page") or 30)
        page = int(req.q("page") or 1)
    except ValueError:
        raise HttpError(
            422, "Invalid request.\n\nper_page and page must be integers.", req.doc
        ) from None
    return max(1, page), min(max(1, per_page), 100)


def paginate(req: Request, items: Sequence[Any]) -> tuple[list[Any], dict[str, str]]:
    """The page of ``items`` the request asks for and the ``Link`` header for the others.

    Like GitHub, the links point at ``/repositories/{id}/...`` for repository paths.
    """
    page, per_page = page_args(req)
    total = len(items)
    last = max(1, -(-total // per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    links = []
    base = req.backend.link_base(req.path)
    query = {k: v[-1] for k, v in req.query.items() if k not in ("page",)}

    def url(n: int) -> str:
        return f"{base}?{urlencode({**query, 'per_page': per_page, 'page': n})}"

    if page > 1:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
        links.append(f'<{url(last)}>; rel="last"')
    if page > 1:
        links.append(f'<{url(1)}>; rel="first"')
    return chunk, ({"Link": ", ".join(links)} if links else {})
