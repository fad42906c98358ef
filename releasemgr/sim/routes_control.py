"""Control endpoints on the web origin, for a simulator running in another process.

Not part of GitHub: they live under ``/_sim/`` on the web host, never on the API host, so a
client under test cannot mistake them for GitHub's. ``releasemgr sim`` users and benchmarks use
them to do what ``Simulator`` methods do in-process:

    POST /_sim/faults     body: a fault spec (text)          -> 204, or 400 naming the bad item
    POST /_sim/advance    ?seconds=N                          -> 204
    POST /_sim/push       ?branch=main&title=T                -> {"run_id": N}
    GET  /_sim/state      the clock and counts                -> JSON
"""

from __future__ import annotations

from releasemgr.sim.faults import FaultSpecError
from releasemgr.sim.router import WEB, HttpError, Request, Response


@WEB.route("POST", "/_sim/faults")
def set_faults(req: Request) -> Response:
    """Replace the fault rules with the spec in the body."""
    try:
        req.backend.faults.set(req.body.decode("utf-8").strip() or None)
    except (FaultSpecError, UnicodeDecodeError) as exc:
        raise HttpError(400, str(exc)) from None
    return Response(204)


@WEB.route("POST", "/_sim/advance")
def advance(req: Request) -> Response:
    """Let simulated time pass."""
    try:
        seconds = float(req.q("seconds") or "")
    except ValueError:
        raise HttpError(400, "seconds must be a number") from None
    if not 0 <= seconds <= 365 * 86_400:
        raise HttpError(400, "seconds must be between 0 and a year")
    world = req.backend.world
    world.clock.advance(seconds)
    with world.lock:
        world.sync()
    return Response(204)


@WEB.route("POST", "/_sim/push")
def push(req: Request) -> Response:
    """A commit lands on a branch: a new run; its id."""
    world = req.backend.world
    branch = req.q("branch") or "main"
    with world.lock:
        world.sync()
        run = world.push(branch, title=req.q("title") or "")
    return Response(200, {"run_id": run.id})


@WEB.route("GET", "/_sim/state")
def state(req: Request) -> Response:
    """The simulated time and how much the world holds."""
    world = req.backend.world
    with world.lock:
        world.sync()
        return Response(
            200,
            {
                "now": world.clock.now(),
                "runs": len(world.runs),
                "active_runs": len(world.active_runs),
                "artifacts": len(world.artifacts),
            },
        )
