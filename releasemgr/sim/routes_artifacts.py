"""Artifacts of a run and of the repository, one artifact, its zip (302 to the blob origin)."""

from __future__ import annotations

from releasemgr.sim import payloads
from releasemgr.sim.entities import Artifact
from releasemgr.sim.router import API, HttpError, Request, Response, paginate

D = "https://docs.github.com/rest/actions/artifacts"
R = "/repos/{owner}/{repo}/actions"


def _listing(req: Request, arts: list[Artifact]) -> Response:
    name = req.q("name")
    if name:
        arts = [a for a in arts if a.name == name]
    arts = [a for a in arts if not a.deleted]
    arts.sort(key=lambda a: (a.created_at, a.id), reverse=True)
    page, link = paginate(req, arts)
    world, urls, store = req.backend.world, req.backend.urls, req.backend.store
    now = world.clock.now()
    for art in page:
        store.ensure(art)
    data = [payloads.artifact(world, a, urls, now) for a in page]
    return Response(data={"total_count": len(arts), "artifacts": data}, headers=link)


@API.route("GET", f"{R}/artifacts", doc=f"{D}#list-artifacts-for-a-repository")
def list_repo_artifacts(req: Request) -> Response:
    """Every artifact of the repository, newest first (``name`` filters by exact name)."""
    return _listing(req, list(req.backend.world.artifacts.values()))


@API.route("GET", f"{R}/runs/{{run_id:int}}/artifacts", doc=f"{D}#list-workflow-run-artifacts")
def list_run_artifacts(req: Request) -> Response:
    """The artifacts a run uploaded."""
    world = req.backend.world
    run_id = req.int_param("run_id")
    if world.run(run_id) is None:
        raise HttpError(404, "Not Found", req.doc)
    return _listing(req, [a for a in world.artifacts.values() if a.run_id == run_id])


def _artifact(req: Request) -> Artifact:
    art = req.backend.world.artifacts.get(req.int_param("artifact_id"))
    if art is None or art.deleted:
        raise HttpError(404, "Not Found", req.doc)
    return art


@API.route("GET", f"{R}/artifacts/{{artifact_id:int}}", doc=f"{D}#get-an-artifact")
def get_artifact(req: Request) -> Response:
    """One artifact, with ``digest``, ``size_in_bytes``, ``expires_at`` and ``expired``."""
    art = _artifact(req)
    req.backend.store.ensure(art)
    world = req.backend.world
    return Response(data=payloads.artifact(world, art, req.backend.urls, world.clock.now()))


@API.route(
    "GET", f"{R}/artifacts/{{artifact_id:int}}/{{archive_format}}", doc=f"{D}#download-an-artifact"
)
def download_artifact(req: Request) -> Response:
    """302 to a signed blob URL valid for 60 seconds; 410 once the artifact has expired."""
    art = _artifact(req)
    if req.params["archive_format"] != "zip":
        raise HttpError(404, "Not Found", req.doc)
    if req.user is None:
        raise HttpError(401, "You must have the actions scope to download artifacts.", req.doc)
    if art.expires_at <= req.backend.world.clock.now():
        raise HttpError(410, "Artifact has expired", req.doc)
    req.backend.store.ensure(art)
    return Response(
        302,
        content_type="text/html;charset=utf-8",
        headers={"Location": req.backend.sign(f"/artifacts/{art.id}.zip")},
    )


@API.route("DELETE", f"{R}/artifacts/{{artifact_id:int}}", doc=f"{D}#delete-an-artifact")
def delete_artifact(req: Request) -> Response:
    """Delete an artifact (204); needs write access."""
    art = _artifact(req)
    if req.user is None or not req.user.can_write:
        raise HttpError(403, "Must have admin rights to Repository.", req.doc)
    art.deleted = True
    return Response(204)
