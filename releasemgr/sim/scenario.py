"""Seeded worlds: ``basic`` (small, for tests) and ``demo`` (30 days of a team's releases).

Both hold the repository ``massugc/massugc-video-service`` shipping ``ZyraVideoAgentBackend``,
the five environments, and four people who sign in: a release manager, a second approver,
a QA engineer and a reader who may approve nothing (plus developers who push).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from releasemgr.sim import engine
from releasemgr.sim.clock import Clock
from releasemgr.sim.entities import Run, Workflow
from releasemgr.sim.pipeline import (
    ENVIRONMENTS,
    PRODUCTION_ENVIRONMENTS,
    ROLLBACK_INPUT,
    SIGNOFF_ENVIRONMENT,
    WORKFLOW_FILE,
    WORKFLOW_NAME,
)
from releasemgr.sim.world import RepoInfo, World

APP = "ZyraVideoAgentBackend"
OWNER = "massugc"
REPO = "massugc-video-service"
DAY = 86_400.0
HOUR = 3_600.0

# login, role, display name
PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("rhea-release", "release-manager", "Rhea Okafor"),
    ("omar-approver", "approver", "Omar Lindqvist"),
    ("quinn-qa", "qa", "Quinn Tanaka"),
    ("riley-reader", "reader", "Riley Moreau"),
)
DEVELOPERS: tuple[tuple[str, str], ...] = (("jun-dev", "Jun Park"), ("ada-dev", "Ada Novak"))
RELEASE_MANAGER, APPROVER, QA, READER = (p[0] for p in PEOPLE)

MESSAGES = (
    "Fix audio drift in renders longer than ten minutes",
    "Retry TTS provider timeouts with backoff",
    "Bundle ffmpeg 6.1 for both platforms",
    "Speed up thumbnail extraction",
    "Handle missing fonts in caption rendering",
    "Add health endpoint for the desktop client",
    "Reduce memory use of the scene splitter",
    "Log the render queue depth every minute",
    "Upgrade PyInstaller to 6.6",
    "Fix crash when the output folder is read-only",
    "Support vertical 9:16 exports",
    "Cache avatar models between jobs",
    "Validate project files before queueing",
    "Make the upload chunk size configurable",
    "Fix race in the job cancellation path",
)
SCENARIOS = ("basic", "demo")


def _token(rng: random.Random) -> str:
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


def base_world(seed: int, clock: Clock) -> World:
    """The repository, people, environments and workflows, with no runs yet."""
    rng = random.Random(f"tokens:{seed}")
    now = clock.now()
    repo = RepoInfo(
        id=812_345_678, owner=OWNER, owner_id=71_234_567, name=REPO, created_at=now - 400 * DAY
    )
    world = World(seed=seed, clock=clock, repo=repo, app=APP)
    world.add_user(OWNER, "organization", "MassUGC", "")
    for login, role, name in PEOPLE:
        world.add_user(login, role, name, _token(rng))
    for login, name in DEVELOPERS:
        world.add_user(login, "developer", name, "")
    created = now - 200 * DAY
    reviewers = {
        "canary-windows": [RELEASE_MANAGER, APPROVER, QA],
        "canary-macos": [RELEASE_MANAGER, APPROVER, QA],
        SIGNOFF_ENVIRONMENT: [RELEASE_MANAGER, APPROVER],
    }
    for name in ENVIRONMENTS:
        people = reviewers.get(name, [RELEASE_MANAGER, APPROVER])
        world.add_environment(
            name, people, prevent_self_review=name in PRODUCTION_ENVIRONMENTS, at=created
        )
    world.add_workflow(
        Workflow(
            id=98_765_432,
            name=WORKFLOW_NAME,
            path=f".github/workflows/{WORKFLOW_FILE}",
            created_at=created,
            updated_at=created + 10 * DAY,
            inputs={
                ROLLBACK_INPUT: {
                    "required": False,
                    "type": "string",
                    "description": "Run id whose production release to restore",
                }
            },
        )
    )
    world.add_workflow(
        Workflow(
            id=98_765_433,
            name="Lint",
            path=".github/workflows/lint.yml",
            created_at=created,
            updated_at=created,
            dispatchable=False,
        )
    )
    world.commit_messages = MESSAGES
    world.versions["main"] = "1.8.0"
    world.versions["develop"] = "1.9.0"
    return world


class _Script:
    """Drives runs through the past: push, wait for gates, review at chosen moments."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.now = world.clock.now()

    def settle(self, run: Run, until: float | None = None) -> None:
        engine.advance_run(self.world, run, min(self.now, until or self.now))

    def waiting(self, run: Run, envs: tuple[str, ...]) -> float | None:
        """When all of ``envs`` are waiting on this run (``None`` if they never are)."""
        self.settle(run)
        jobs = [j for j in self.world.pending(run) if j.spec.environment in envs]
        if len(jobs) != len(envs):
            return None
        return max(j.waiting_since or 0.0 for j in jobs)

    def review(
        self,
        run: Run,
        envs: tuple[str, ...],
        login: str,
        state: str = "approved",
        comment: str = "",
        delay: float = 600.0,
    ) -> bool:
        since = self.waiting(run, envs)
        if since is None or since + delay > self.now:
            return False
        ids = [self.world.environments[e].id for e in envs]
        self.world.review(run, ids, state, comment, login, at=since + delay)
        self.settle(run)
        return True

    def to_production(self, run: Run, signer: str, second: str, rng: random.Random) -> None:
        canary = ("canary-windows", "canary-macos")
        if not self.review(run, canary, signer, comment="Canary go", delay=rng.uniform(600, 5400)):
            return
        if not self.review(
            run,
            (SIGNOFF_ENVIRONMENT,),
            signer,
            comment="Canary healthy",
            delay=rng.uniform(1800, 4 * HOUR),
        ):
            return
        self.review(
            run,
            PRODUCTION_ENVIRONMENTS,
            second,
            comment="Second approval",
            delay=rng.uniform(600, 2 * HOUR),
        )


def build_basic(seed: int, clock: Clock) -> World:
    """A small world: two finished runs (one released to production, one failed test)."""
    world = base_world(seed, clock)
    script = _Script(world)
    rng = random.Random(f"basic:{seed}")
    first = world.push("main", title=MESSAGES[0], at=script.now - 2 * DAY)
    script.to_production(first, RELEASE_MANAGER, APPROVER, rng)
    second = world.push(
        "main",
        title=MESSAGES[1],
        at=script.now - DAY,
        fail={"test-macos": "test_render_long_video: audio drift 41 ms > 40 ms"},
    )
    script.settle(second)
    return world


def build_demo(seed: int, clock: Clock) -> World:
    """About forty runs over thirty days with realistic outcomes, two of them waiting."""
    world = base_world(seed, clock)
    script = _Script(world)
    rng = random.Random(f"demo:{seed}")
    now = script.now
    start = now - 30 * DAY
    times = sorted(start + rng.uniform(0, 29.3 * DAY) for _ in range(36))
    plans: list[Callable[[float, int], None]] = []
    production_runs: list[Run] = []
    pairs = ((RELEASE_MANAGER, APPROVER), (APPROVER, RELEASE_MANAGER))

    def released(at: float, i: int) -> None:
        run = world.push(
            "main", title=MESSAGES[i % len(MESSAGES)], at=at, actor=rng.choice(DEVELOPERS)[0]
        )
        signer, second = pairs[i % 2]
        script.to_production(run, signer, second, rng)
        if run.attempt.conclusion == "success":
            production_runs.append(run)

    def develop(at: float, i: int) -> None:
        run = world.push(
            "develop",
            title=MESSAGES[(i * 7) % len(MESSAGES)],
            at=at,
            actor=rng.choice(DEVELOPERS)[0],
        )
        script.settle(run)

    def macos_test_failure(at: float, i: int) -> None:
        run = world.push(
            "main",
            title=MESSAGES[i % len(MESSAGES)],
            at=at,
            fail={"test-macos": "test_caption_fonts: missing glyph fallback on macOS"},
        )
        script.settle(run)

    def flaky_then_rerun(at: float, i: int) -> None:
        run = world.push(
            "main",
            title=MESSAGES[i % len(MESSAGES)],
            at=at,
            fail={"test-windows": "test_upload_resume: timed out after 120 s"},
        )
        script.settle(run)
        done = run.attempt.completed_at
        if done and done + HOUR < now:
            world.rerun(run, RELEASE_MANAGER, only_failed=True, at=done + HOUR)
            script.to_production(run, RELEASE_MANAGER, APPROVER, rng)
            if run.attempt.conclusion == "success":
                production_runs.append(run)

    def rejected_canary(at: float, i: int) -> None:
        run = world.push("main", title=MESSAGES[i % len(MESSAGES)], at=at)
        script.review(
            run,
            ("canary-windows", "canary-macos"),
            QA,
            "rejected",
            "Startup takes 40 s on the canary machines; not shipping this",
            1800,
        )

    def failed_monitor(at: float, i: int) -> None:
        run = world.push(
            "main", title=MESSAGES[i % len(MESSAGES)], at=at, fail={"monitor": "canary integrity"}
        )
        script.review(
            run, ("canary-windows", "canary-macos"), RELEASE_MANAGER, comment="Canary go", delay=900
        )

    def windows_build_failure(at: float, i: int) -> None:
        run = world.push(
            "main",
            title=MESSAGES[i % len(MESSAGES)],
            at=at,
            fail={"build-windows": "PyInstaller: hidden import av.audio not found"},
        )
        script.settle(run)

    def cancelled(at: float, i: int) -> None:
        run = world.push("main", title=MESSAGES[i % len(MESSAGES)], at=at, settle=False)
        engine.advance_run(world, run, at + 240)
        world.cancel(run, RELEASE_MANAGER, at=at + 240)
        script.settle(run)

    def rollback(at: float, i: int) -> None:
        if len(production_runs) < 2:
            released(at, i)
            return
        target = production_runs[-2]
        run = world.rollback(target.id, RELEASE_MANAGER, at=at)
        script.review(
            run,
            (SIGNOFF_ENVIRONMENT,),
            RELEASE_MANAGER,
            comment=f"Restore run {target.number}: crash reports spiking",
            delay=300,
        )
        script.review(
            run, PRODUCTION_ENVIRONMENTS, APPROVER, comment="Agreed, roll back", delay=600
        )

    special: dict[int, Callable[[float, int], None]] = {
        4: macos_test_failure,
        7: rejected_canary,
        11: flaky_then_rerun,
        14: failed_monitor,
        17: windows_build_failure,
        20: cancelled,
        22: rollback,
        27: macos_test_failure,
    }
    for i in range(len(times)):
        plans.append(special.get(i, develop if i % 5 == 3 else released))
    for i, (at, plan) in enumerate(zip(times, plans, strict=True)):
        plan(at, i)

    # Waiting for its second production approval: signed off by the release manager.
    second = world.push(
        "main",
        title="Speed up caption layout for long scripts",
        at=now - 9 * HOUR,
        actor=DEVELOPERS[0][0],
    )
    script.review(
        second, ("canary-windows", "canary-macos"), RELEASE_MANAGER, comment="Canary go", delay=1200
    )
    script.review(
        second,
        (SIGNOFF_ENVIRONMENT,),
        RELEASE_MANAGER,
        comment="Canary healthy for 2 h",
        delay=2 * HOUR,
    )
    # Waiting at both canary gates.
    canary = world.push(
        "main", title="Retry S3 uploads on 503", at=now - 2.5 * HOUR, actor=DEVELOPERS[1][0]
    )
    script.settle(canary)
    # Still building.
    building = world.push(
        "develop", title="Experiment: GPU encoder on macOS", at=now - 4 * 60, actor=DEVELOPERS[0][0]
    )
    script.settle(building)
    return world


def build(scenario: str, seed: int, clock: Clock) -> World:
    """The world of a named scenario."""
    if scenario == "basic":
        return build_basic(seed, clock)
    if scenario == "demo":
        return build_demo(seed, clock)
    raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
