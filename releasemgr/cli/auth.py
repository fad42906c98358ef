"""``releasemgr auth login | status | logout``: sign in, see who and where, sign out."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.errors import AuthError, ExitCode, UsageError

NAME = "auth"
HELP = "Sign in to GitHub (token or device flow), show the session, or sign out."


@dataclass(frozen=True)
class Options:
    """What ``auth`` was asked to do."""

    action: str  # login, status, logout
    with_token: bool
    device: bool
    where: common.Where


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    sub = parser.add_subparsers(dest="auth_action", metavar="ACTION")
    login = sub.add_parser("login", help="sign in and keep the token in the OS keyring")
    how = login.add_mutually_exclusive_group()
    how.add_argument("--with-token", action="store_true", help="read a token from stdin")
    how.add_argument("--device", action="store_true", help="sign in in the browser (device flow)")
    common.add_where(login)
    status = sub.add_parser("status", help="who is signed in where, and the rate limit left")
    common.add_where(status)
    logout = sub.add_parser("logout", help="remove the keyring entry of the host")
    common.add_where(logout)


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    action = getattr(ns, "auth_action", None)
    if action is None:
        raise UsageError("auth needs an action: login, status or logout")
    return Options(
        action=action,
        with_token=bool(getattr(ns, "with_token", False)),
        device=bool(getattr(ns, "device", False)),
        where=common.parse_where(ns),
    )


def run(options: Options, ctx: Context) -> int:
    """Run the action; 0 on success."""
    config = common.load_config(ctx)
    api_url = common.resolve_api_url(options.where, config, ctx)
    if options.action == "login":
        return _login(options, ctx, api_url, config)
    if options.action == "logout":
        return _logout(ctx, api_url)
    return _status(ctx, api_url)


def _check(api_url: str, token: str) -> str:
    """The login the token belongs to (AuthError if GitHub rejects it)."""
    from releasemgr.github.gateway import Gateway

    data = Gateway(api_url, token).get("/user", what="the signed-in user").body or {}
    return str(data.get("login") or "?")


def _login(options: Options, ctx: Context, api_url: str, config: object) -> int:
    from releasemgr import config as settings
    from releasemgr.github import auth

    assert isinstance(config, settings.Config)
    host = auth.host_of(api_url)
    if options.device:
        web = common.resolve_web_url(api_url, config, ctx)
        code = auth.start_device_flow(web, config.oauth_client_id)
        print(
            f"Open {code.verification_uri} and enter the code {code.user_code} "
            f"(it expires in {code.expires_in // 60} minutes).",
            file=ctx.stderr,
        )
        ctx.stderr.flush()
        sleep = ctx.extras.get("sleep")
        token = (
            auth.poll_device_flow(web, config.oauth_client_id, code, sleep=sleep)
            if callable(sleep)
            else auth.poll_device_flow(web, config.oauth_client_id, code)
        )
    else:
        if not options.with_token and ctx.stdin_isatty:
            raise UsageError("choose how to sign in: --with-token (token on stdin) or --device")
        token = ctx.stdin.read().strip()
        if not token:
            raise UsageError("no token on stdin (pipe it in: releasemgr auth login --with-token)")
        if any(c.isspace() for c in token):
            raise UsageError("the token on stdin contains spaces or several lines")
    login = _check(api_url, token)
    auth.store_token(api_url, token)
    print(f"Signed in to {host} as {login}; the token is kept in the OS keyring.", file=ctx.stdout)
    if any(ctx.env.get(name) for name in auth.ENV_VARS):
        print("Note: GH_TOKEN/GITHUB_TOKEN is set and takes precedence.", file=ctx.stderr)
    return ExitCode.OK


def _logout(ctx: Context, api_url: str) -> int:
    from releasemgr.github import auth

    host = auth.host_of(api_url)
    if auth.delete_token(api_url):
        print(f"Signed out of {host}: the keyring entry is removed.", file=ctx.stdout)
    else:
        print(f"No token for {host} was kept in the keyring.", file=ctx.stdout)
    if any(ctx.env.get(name) for name in auth.ENV_VARS):
        print("Note: GH_TOKEN/GITHUB_TOKEN is still set in this environment.", file=ctx.stderr)
    return ExitCode.OK


def _status(ctx: Context, api_url: str) -> int:
    from releasemgr.github import auth
    from releasemgr.github.errors import format_reset
    from releasemgr.github.gateway import Gateway

    host = auth.host_of(api_url)
    found = auth.find_token(api_url, ctx.env)
    if found is None:
        raise AuthError(f"not signed in to {host}", hint="run `releasemgr auth login`")
    gateway = Gateway(api_url, found.token)
    data = gateway.get("/user", what="the signed-in user").body or {}
    rate = gateway.rate_limit()
    reset = format_reset(rate.reset_at.timestamp()) if rate.reset_at else "unknown"
    print(f"host:         {host}", file=ctx.stdout)
    print(f"user:         {data.get('login')}", file=ctx.stdout)
    print(f"token from:   {found.source}", file=ctx.stdout)
    print(f"rate limit:   {rate.remaining} of {rate.limit} left, resets {reset}", file=ctx.stdout)
    return ExitCode.OK
