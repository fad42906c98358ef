"""``releasemgr sim``: run the GitHub simulator standalone until SIGINT or SIGTERM.

The first line on stdout is one JSON object (``api_url``, ``web_url``, ``blob_url``,
``repository``, ``users`` with each login's ``role`` and ``token``), flushed as soon as the
servers accept connections. The tokens are the simulator's own made-up ones.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from dataclasses import dataclass
from typing import Any

from releasemgr.cli.context import Context
from releasemgr.errors import UsageError

NAME = "sim"
HELP = "Run a local simulated GitHub (API, web and blob hosts) with a seeded world."
SCENARIOS = ("demo", "basic")


@dataclass(frozen=True)
class Options:
    """What ``releasemgr sim`` was asked to do."""

    host: str
    port: int
    seed: int
    speed: float | None
    faults: str | None
    scenario: str
    activity: float | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="API port (web and blob take the next two); 0 picks free ports",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the world and the faults")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (0 freezes time)",
    )
    parser.add_argument(
        "--faults",
        default=None,
        metavar="SPEC",
        help='fault injection, e.g. "5xx=0.1,latency=200ms,drop=0.05"',
    )
    parser.add_argument(
        "--scenario",
        choices=SCENARIOS,
        default="demo",
        help="demo: 30 days of releases; basic: a small world",
    )
    parser.add_argument(
        "--activity",
        type=float,
        default=None,
        metavar="MINUTES",
        help="a developer pushes every MINUTES of simulated time",
    )


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments (no work)."""
    if not 0 <= ns.port <= 65533:
        raise UsageError(f"--port: {ns.port} is not a port number (0 to 65533)")
    if ns.speed < 0:
        raise UsageError(f"--speed: {ns.speed} is negative")
    if ns.activity is not None and ns.activity <= 0:
        raise UsageError(f"--activity: {ns.activity} is not a positive number of minutes")
    activity = ns.activity * 60 if ns.activity else None
    return Options(ns.host, ns.port, ns.seed, ns.speed or None, ns.faults, ns.scenario, activity)


def run(options: Options, ctx: Context) -> int:
    """Start the simulator, print the ready line, serve until told to stop."""
    from releasemgr.sim import Simulator
    from releasemgr.sim.faults import FaultSpecError, parse_spec

    try:
        parse_spec(options.faults)
    except FaultSpecError as exc:
        raise UsageError(f"--faults: {exc}") from None
    sim = Simulator(
        seed=options.seed,
        scenario=options.scenario,
        speed=options.speed,
        faults=options.faults,
        host=options.host,
        port=options.port,
        activity_every=options.activity,
    )
    try:
        sim.start()
    except OSError as exc:
        sim.stop()
        raise UsageError(
            f"cannot listen on {options.host}:{options.port}: {exc.strerror}"
        ) from None
    stop = ctx.extras.get("sim_stop")
    event = stop if isinstance(stop, threading.Event) else threading.Event()
    restore = _on_signals(event)
    try:
        print(json.dumps(sim.ready_info()), file=ctx.stdout, flush=True)
        while not event.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        sim.stop()
    return 0


def _on_signals(event: threading.Event) -> Any:
    """Make SIGINT and SIGTERM set ``event`` (main thread only); returns an undo function."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: object) -> None:
        event.set()

    for sig in previous:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
