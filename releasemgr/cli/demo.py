"""``releasemgr demo``: the simulator's demo world in-process, and the window signed in to it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode, UsageError

NAME = "demo"
HELP = "Try the app with no account: a simulated GitHub with a demo world, signed in."


@dataclass(frozen=True)
class Options:
    """How the demo runs."""

    screenshot: Path | None
    speed: float
    seed: int
    user: str | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "--screenshot",
        metavar="DIR",
        help="render every page to DIR/NN-page.png without a screen, then exit",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=30.0,
        metavar="X",
        help="how much faster than real time the simulated pipeline runs (default 30)",
    )
    parser.add_argument("--seed", type=int, default=1, metavar="N", help="world seed (default 1)")
    parser.add_argument("--user", default=None, metavar="LOGIN", help="sign in as this user")


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    if not 0 < ns.speed <= 10_000:
        raise UsageError(f"--speed must be above 0 and at most 10000, not {ns.speed}")
    return Options(
        screenshot=Path(ns.screenshot) if ns.screenshot else None,
        speed=float(ns.speed),
        seed=int(ns.seed),
        user=ns.user,
    )


def run(options: Options, ctx: Context) -> int:
    """Start the simulator, open the window signed in, stop the simulator when it closes."""
    import os
    import shutil
    import tempfile

    from releasemgr.ui.demo import preload_client

    preload_client()  # overlaps PyGithub's import with building the simulated world
    from releasemgr.sim import Simulator

    env = dict(ctx.env)
    if options.screenshot is not None:
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # The demo's downloads and activity log go to a scratch folder, never among real ones.
    scratch = None
    if not env.get("RELEASEMGR_DATA_DIR"):
        scratch = Path(tempfile.mkdtemp(prefix="releasemgr-demo-"))
        env["RELEASEMGR_DATA_DIR"] = os.environ["RELEASEMGR_DATA_DIR"] = str(scratch)
    sim = Simulator(seed=options.seed, scenario="demo", speed=options.speed)
    sim.start()
    try:
        from releasemgr.ui.demo import DemoWorld

        world = DemoWorld.from_simulator(sim)
        if options.user is not None and options.user not in {u.login for u in world.users}:
            names = ", ".join(u.login for u in world.users)
            raise UsageError(f"--user {options.user!r} is not a demo user (try one of: {names})")
        if options.screenshot is not None:
            return _screenshots(world, options, env, ctx)
        from releasemgr.ui.app import run_gui
        from releasemgr.ui.demo import begin_demo, prepare_demo
        from releasemgr.ui.mainwindow import MainWindow

        def prepare(window: MainWindow) -> None:
            prepare_demo(window, world, options.user, begun=True)
            print(
                f"demo: simulated GitHub at {world.api_url} ({world.repository})", file=ctx.stderr
            )
            ctx.stderr.flush()

        return run_gui(
            env,
            begin=lambda controller: begin_demo(controller, world, options.user),
            prepare=prepare,
        )
    finally:
        sim.stop()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _screenshots(world: object, options: Options, env: dict[str, str], ctx: Context) -> int:
    from releasemgr.ui.app import create_app
    from releasemgr.ui.controller import Controller
    from releasemgr.ui.demo import DemoWorld, begin_demo, prepare_demo
    from releasemgr.ui.mainwindow import MainWindow
    from releasemgr.ui.screenshot import render_pages, spin_until

    assert isinstance(world, DemoWorld) and options.screenshot is not None
    create_app()
    controller = Controller(env=env)
    begin_demo(controller, world, options.user)
    window = MainWindow(controller)  # no QSettings: screenshots always use the default layout
    prepare_demo(window, world, options.user, begun=True)
    window.show()
    if not spin_until(lambda: controller.session is not None, 20.0):
        raise UsageError("the demo could not sign in to its own simulator")
    paths = render_pages(window, options.screenshot)
    window.close()
    for path in paths:
        print(path, file=ctx.stdout)
    return ExitCode.OK
