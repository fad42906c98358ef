"""``/user``, ``/rate_limit``, ``/users/{login}`` and ``/repos/{owner}/{repo}``."""

from __future__ import annotations

from releasemgr.sim import payloads
from releasemgr.sim.router import API, HttpError, Request, Response

D = "https://docs.github.com/rest"


@API.route("GET", "/user", doc=f"{D}/users/users#get-the-authenticated-user", needs_user=True)
def get_user(req: Request) -> Response:
    """The token's owner."""
    assert req.user is not None
    world = req.backend.world
    return Response(data=payloads.private_user(req.user, req.backend.urls, world.repo.created_at))


@API.route("GET", "/users/{login}", doc=f"{D}/users/users#get-a-user")
def get_user_by_login(req: Request) -> Response:
    """A public user profile (the simple fields)."""
    user = req.backend.world.accounts.get(req.params["login"])
    if user is None:
        raise HttpError(404, "Not Found", req.doc)
    data = payloads.private_user(user, req.backend.urls, req.backend.world.repo.created_at)
    for key in (
        "private_gists",
        "total_private_repos",
        "owned_private_repos",
        "disk_usage",
        "collaborators",
        "two_factor_authentication",
        "plan",
        "notification_email",
    ):
        data.pop(key, None)
    data["user_view_type"] = "public"
    return Response(data=data)


@API.route(
    "GET",
    "/rate_limit",
    doc=f"{D}/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user",
    costs=False,
)
def rate_limit(req: Request) -> Response:
    """The caller's remaining allowance (this request costs nothing)."""
    key = f"user:{req.user.login}" if req.user else f"ip:{req.client}"
    core = req.backend.limits.peek(key)
    reset = core.reset

    def fixed(limit: int) -> dict[str, int]:
        return {"limit": limit, "used": 0, "remaining": limit, "reset": reset}

    core_data = {
        "limit": core.limit,
        "used": core.used,
        "remaining": core.remaining,
        "reset": core.reset,
    }
    resources = {
        "core": core_data,
        "search": fixed(30),
        "graphql": fixed(5000),
        "integration_manifest": fixed(5000),
        "source_import": fixed(100),
        "code_scanning_upload": fixed(1000),
        "code_scanning_autofix": fixed(10),
        "actions_runner_registration": fixed(10000),
        "scim": fixed(15000),
        "dependency_snapshots": fixed(100),
        "audit_log": fixed(1750),
        "audit_log_streaming": fixed(15),
        "code_search": fixed(10),
    }
    return Response(data={"resources": resources, "rate": dict(core_data)})


@API.route("GET", "/repos/{owner}/{repo}", doc=f"{D}/repos/repos#get-a-repository")
def get_repo(req: Request) -> Response:
    """The repository, with the caller's permissions."""
    return Response(data=payloads.full_repo(req.backend.world, req.backend.urls, req.user))
