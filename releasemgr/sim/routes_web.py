"""The web origin: the OAuth device flow and the page where a person enters the code."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from releasemgr.sim.router import WEB, Request, Response

DOC = "https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps"


def _answer(req: Request, data: dict[str, Any], status: int = 200) -> Response:
    """JSON when asked for it (``Accept: application/json``), else form encoding, as GitHub."""
    if "json" in (req.headers.get("Accept") or "").lower():
        return Response(status, data)
    text = urlencode({k: str(v) for k, v in data.items()})
    return Response(
        status, raw=text.encode(), content_type="application/x-www-form-urlencoded; charset=utf-8"
    )


@WEB.route("POST", "/login/device/code", doc=f"{DOC}#device-flow")
def device_code(req: Request) -> Response:
    """Step 1: a device code, the user code and where to enter it."""
    form = req.form()
    client_id = form.get("client_id", "").strip()
    if not client_id:
        return _answer(
            req, {"error": "unauthorized_client", "error_description": "client_id is required"}, 400
        )
    code = req.backend.device.start(client_id, form.get("scope", ""))
    return _answer(
        req,
        {
            "device_code": code.device_code,
            "user_code": code.user_code,
            "verification_uri": f"{req.backend.urls.web}/login/device",
            "expires_in": round(code.expires_at - req.backend.world.clock.wall()),
            "interval": code.interval,
        },
    )


@WEB.route("POST", "/login/oauth/access_token", doc=f"{DOC}#device-flow")
def access_token(req: Request) -> Response:
    """Step 3: poll for the token (pending, slow_down, expired, denied, or the token)."""
    form = req.form()
    body, _login = req.backend.device.poll(
        form.get("client_id", ""), form.get("device_code", ""), form.get("grant_type", "")
    )
    return _answer(req, body)


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Device activation · simulated GitHub</title></head>
<body><h1>Device activation</h1>{message}
<form method="post" action="/login/device">
<p><label>Code <input name="user_code" value="{code}" autofocus></label></p>
<p><label>Sign in as <select name="login">{options}</select></label></p>
<p><button name="action" value="authorize">Authorize</button>
<button name="action" value="deny">Cancel</button></p>
</form></body></html>
"""


def _page(req: Request, message: str = "", code: str = "") -> Response:
    world = req.backend.world
    options = "".join(
        f'<option value="{html.escape(u.login)}">{html.escape(u.login)} ({html.escape(u.role)})'
        "</option>"
        for u in world.accounts.values()
        if u.token
    )
    text = _PAGE.format(message=message, code=html.escape(code), options=options)
    return Response(raw=text.encode(), content_type="text/html; charset=utf-8")


@WEB.route("GET", "/login/device")
def device_page(req: Request) -> Response:
    """Step 2: the page where a person types the user code and authorizes it."""
    return _page(req, code=req.q("user_code") or "")


@WEB.route("POST", "/login/device")
def device_submit(req: Request) -> Response:
    """The page's form: authorize (or deny) the typed code as the chosen user."""
    form = req.form()
    code, login = form.get("user_code", ""), form.get("login", "")
    device = req.backend.device
    if form.get("action") == "deny":
        ok = device.deny(code)
        note = "The request was cancelled." if ok else "That code is not valid."
    else:
        ok = login in req.backend.world.accounts and device.authorize(code, login)
        note = (
            f"Authorized as {login}. You can return to your device."
            if ok
            else ("That code is not valid or has expired.")
        )
    return _page(req, f"<p>{html.escape(note)}</p>")


@WEB.route("GET", "/{path:path}")
def any_page(req: Request) -> Response:
    """Every other github.com page (html_url links): a small placeholder."""
    text = f"<!doctype html><title>simulated GitHub</title><p>{html.escape(req.path)}</p>"
    return Response(raw=text.encode(), content_type="text/html; charset=utf-8")
