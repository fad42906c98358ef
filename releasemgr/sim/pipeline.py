"""The pipeline the simulated repository runs: the seed's jobs, their needs, steps and gates.

This mirrors ``.github/workflows/build-and-deploy.yml`` as DESIGN.md describes it:

    build-<p> -> test-<p> -> package-<p> -> deploy-canary-<p> (both packages) -> monitor
      -> production-signoff -> deploy-production-<p>

for p in windows, macos. ``deploy-canary-<p>`` waits for environment ``canary-<p>``,
``production-signoff`` for ``production-signoff`` and ``deploy-production-<p>`` for
``production-<p>``. Canary, monitor and production jobs run for the ``main`` branch only
(elsewhere they are skipped). A run dispatched with the input ``rollback_run_id`` skips build to
monitor and republishes that run's production release through the same production gates.
"""

from __future__ import annotations

from dataclasses import dataclass

PLATFORMS: tuple[str, ...] = ("windows", "macos")
WORKFLOW_FILE = "build-and-deploy.yml"
WORKFLOW_NAME = "Build and Deploy"
ROLLBACK_INPUT = "rollback_run_id"
RELEASE_BRANCH = "main"


@dataclass(frozen=True)
class JobSpec:
    """One job of the workflow: what it needs, where it waits, what it does and uploads."""

    name: str
    needs: tuple[str, ...]
    steps: tuple[str, ...]
    duration: float  # seconds of work, before seeded jitter
    platform: str | None = None
    environment: str | None = None
    release_branch_only: bool = False
    uploads: str | None = None  # build, test-report, release, canary, monitor, production
    runs_in_rollback: bool = False
    work_step: str = ""  # the step that fails when the job fails

    @property
    def work_step_index(self) -> int:
        """Index in ``steps`` of the step where a failure of this job happens."""
        return self.steps.index(self.work_step) if self.work_step in self.steps else 1

    @property
    def runner_label(self) -> str:
        """The ``runs-on`` label of the job."""
        return {"windows": "windows-latest", "macos": "macos-latest"}.get(
            self.platform or "", "ubuntu-latest"
        )


def _steps(*middle: str) -> tuple[str, ...]:
    return ("Set up job", "Check out repository", *middle, "Complete job")


def _specs() -> tuple[JobSpec, ...]:
    specs: list[JobSpec] = []
    for p in PLATFORMS:
        specs.append(
            JobSpec(
                f"build-{p}",
                (),
                _steps(
                    "Set up Python 3.11",
                    "Install dependencies",
                    "Build with PyInstaller",
                    "Upload build artifact",
                ),
                420 if p == "windows" else 360,
                platform=p,
                uploads="build",
                work_step="Build with PyInstaller",
            )
        )
    for p in PLATFORMS:
        specs.append(
            JobSpec(
                f"test-{p}",
                (f"build-{p}",),
                _steps("Download build artifact", "Run test suite", "Upload test report"),
                300 if p == "windows" else 240,
                platform=p,
                uploads="test-report",
                work_step="Run test suite",
            )
        )
    for p in PLATFORMS:
        specs.append(
            JobSpec(
                f"package-{p}",
                (f"test-{p}",),
                _steps("Download build artifact", "releasemgr package", "Upload release package"),
                60,
                platform=p,
                uploads="release",
                work_step="releasemgr package",
            )
        )
    packages = tuple(f"package-{p}" for p in PLATFORMS)
    for p in PLATFORMS:
        specs.append(
            JobSpec(
                f"deploy-canary-{p}",
                packages,
                _steps("Download release package", "Write channel files", "Upload canary release"),
                45,
                platform=p,
                environment=f"canary-{p}",
                release_branch_only=True,
                uploads="canary",
                work_step="Write channel files",
            )
        )
    specs.append(
        JobSpec(
            "monitor",
            tuple(f"deploy-canary-{p}" for p in PLATFORMS),
            _steps("Download canary releases", "releasemgr monitor", "Upload monitoring report"),
            90,
            release_branch_only=True,
            uploads="monitor",
            work_step="releasemgr monitor",
        )
    )
    specs.append(
        JobSpec(
            "production-signoff",
            ("monitor",),
            _steps("Record sign-off"),
            10,
            environment="production-signoff",
            release_branch_only=True,
            runs_in_rollback=True,
            work_step="Record sign-off",
        )
    )
    for p in PLATFORMS:
        specs.append(
            JobSpec(
                f"deploy-production-{p}",
                ("production-signoff",),
                _steps(
                    "Check approvals and canary health",
                    "Download release",
                    "Write channel files",
                    "Upload production release",
                ),
                60,
                platform=p,
                environment=f"production-{p}",
                release_branch_only=True,
                uploads="production",
                runs_in_rollback=True,
                work_step="Check approvals and canary health",
            )
        )
    return tuple(specs)


JOBS: tuple[JobSpec, ...] = _specs()
JOBS_BY_NAME: dict[str, JobSpec] = {spec.name: spec for spec in JOBS}

# Environments the workflow uses, in pipeline order, and which role may review each.
ENVIRONMENTS: tuple[str, ...] = (
    "canary-windows",
    "canary-macos",
    "production-signoff",
    "production-windows",
    "production-macos",
)
SIGNOFF_ENVIRONMENT = "production-signoff"
PRODUCTION_ENVIRONMENTS: tuple[str, ...] = tuple(f"production-{p}" for p in PLATFORMS)

# Retention in days per upload kind (DESIGN.md "Retention").
RETENTION_DAYS: dict[str, int] = {
    "build": 7,
    "test-report": 30,
    "release": 90,
    "canary": 7,
    "monitor": 30,
    "production": 90,
}
