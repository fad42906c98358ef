"""The workflows implement the seed's pipeline: jobs, needs, gates, retention, triggers, rollback.

The seed's facts are written out here as the seed document states them; the simulator's model of
the same workflow (``releasemgr.sim.pipeline``) and the default configuration must agree too, so
the app, the simulator and the real workflow cannot drift apart.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import pytest

import releasemgr
from releasemgr.config import Config
from releasemgr.model import Platform
from releasemgr.sim import pipeline as sim

PLATFORMS = ("windows", "macos")

# The seed's job flow (pipeline-architecture.md, "Job Flow" and "Deployment Strategy").
SEED_NEEDS: dict[str, set[str]] = {
    **{f"build-{p}": set() for p in PLATFORMS},
    **{f"test-{p}": {f"build-{p}"} for p in PLATFORMS},
    **{f"package-{p}": {f"test-{p}"} for p in PLATFORMS},
    **{f"deploy-canary-{p}": {f"package-{q}" for q in PLATFORMS} for p in PLATFORMS},
    "monitor": {f"deploy-canary-{p}" for p in PLATFORMS},
    "production-signoff": {"monitor"},
    **{f"deploy-production-{p}": {"production-signoff"} for p in PLATFORMS},
}
# Jobs the workflow adds to the seed's graph: a security scan gates packaging, Slack comes last.
EXTRA_JOBS = {"security-scan", "notify"}

SEED_ENVIRONMENTS = {
    **{f"deploy-canary-{p}": f"canary-{p}" for p in PLATFORMS},
    "production-signoff": "production-signoff",
    **{f"deploy-production-{p}": f"production-{p}" for p in PLATFORMS},
}

# Seed "Artifact Retention & Approval Policy", keyed by the artifact kind of `artifact-name`.
SEED_RETENTION = {
    "build": 7,
    "package": 90,
    "test": 30,
    "canary": 7,
    "monitor": 30,
    "production": 90,
}
SIM_KIND = {
    "build": "build",
    "package": "release",
    "test": "test-report",
    "canary": "canary",
    "monitor": "monitor",
    "production": "production",
}
MAIN_ONLY = "github.ref == 'refs/heads/main'"


def _needs(job: dict[str, Any]) -> set[str]:
    needs = job.get("needs", [])
    return {needs} if isinstance(needs, str) else set(needs)


def _uploads(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if "upload-artifact@" in s.get("uses", "")]


def _upload_kinds(job: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each upload step with the kind its name was asked for (``releasemgr artifact-name``)."""
    steps = job.get("steps", [])
    namer = [s for s in steps if s.get("id") == "artifact"]
    uploads = _uploads(job)
    if not uploads:
        return []
    assert len(namer) == 1 and len(uploads) == 1
    assert uploads[0]["with"]["name"] == "${{ steps.artifact.outputs.name }}"
    match = re.search(r"releasemgr artifact-name (\w+)", namer[0]["run"])
    assert match, namer[0]["run"]
    return [(match.group(1), uploads[0])]


def test_jobs_and_needs_follow_the_seed(reusable: dict[str, Any]) -> None:
    jobs = reusable["jobs"]
    assert set(jobs) == set(SEED_NEEDS) | EXTRA_JOBS
    for name, expected in SEED_NEEDS.items():
        assert _needs(jobs[name]) - EXTRA_JOBS == expected, name
        assert jobs[name].get("name", name) == name, "the API shows the job's name: keep the id"
    assert "security-scan" in _needs(jobs["package-windows"])
    assert "security-scan" in _needs(jobs["package-macos"])


def test_simulator_runs_the_same_graph(reusable: dict[str, Any]) -> None:
    jobs = reusable["jobs"]
    assert {spec.name for spec in sim.JOBS} == set(SEED_NEEDS)
    for spec in sim.JOBS:
        assert _needs(jobs[spec.name]) - EXTRA_JOBS == set(spec.needs), spec.name
        assert jobs[spec.name].get("environment") == spec.environment, spec.name
        assert jobs[spec.name]["runs-on"] == spec.runner_label, spec.name


def test_gates_use_the_seed_environments(reusable: dict[str, Any]) -> None:
    jobs = reusable["jobs"]
    gated = {name: job["environment"] for name, job in jobs.items() if "environment" in job}
    assert gated == SEED_ENVIRONMENTS
    assert set(gated.values()) == set(sim.ENVIRONMENTS)


def test_builds_run_in_parallel_on_both_platforms_with_a_pip_cache(
    reusable: dict[str, Any],
) -> None:
    jobs = reusable["jobs"]
    assert jobs["build-windows"]["runs-on"] == "windows-latest"
    assert jobs["build-macos"]["runs-on"] == "macos-latest"
    for p in PLATFORMS:
        assert not _needs(jobs[f"build-{p}"])
        setup = [s for s in jobs[f"build-{p}"]["steps"] if "setup-python@" in s.get("uses", "")]
        assert setup and setup[0]["with"]["cache"] == "pip"
        assert setup[0]["with"]["python-version"] == "${{ inputs.python-version }}"


def test_retention_days_follow_the_seed(reusable: dict[str, Any]) -> None:
    seen = set()
    for name, job in reusable["jobs"].items():
        for kind, step in _upload_kinds(job):
            assert step["with"]["retention-days"] == SEED_RETENTION[kind], (name, kind)
            assert sim.RETENTION_DAYS[SIM_KIND[kind]] == SEED_RETENTION[kind]
            seen.add(kind)
    assert seen == set(SEED_RETENTION) == set(Config().artifact_names)


def test_downloads_find_the_names_the_app_uses(reusable: dict[str, Any]) -> None:
    """Every download pattern matches the configured name of what the job wants."""
    config = Config()
    wanted = {
        "-build-*": "build",
        "-release-*": "package",
        "-canary-*": "canary",
        "-production-*": "production",
        "monitoring-report-*": "monitor",
    }
    checked = 0
    for job in reusable["jobs"].values():
        for step in job.get("steps", []):
            if "download-artifact@" not in step.get("uses", ""):
                continue
            pattern = step["with"]["pattern"].replace("${{ inputs.app-name }}", config.app)
            kind = next(k for suffix, k in wanted.items() if pattern.endswith(suffix))
            for p in ("windows", "macos") if kind != "monitor" else ("",):
                name = config.artifact_name(
                    kind, Platform(p) if p else None, version="1.2.3", commit="ab" * 20
                )
                if p in pattern or "-*-" in pattern or not p:
                    assert fnmatch.fnmatchcase(name, pattern), (name, pattern)
                    checked += 1
    assert checked >= 12


def test_caller_version_is_the_package_version(caller: dict[str, Any]) -> None:
    (job,) = caller["jobs"].values()
    assert job["with"]["version"] == releasemgr.__version__


@pytest.mark.parametrize("job", sorted(SEED_NEEDS))
def test_the_app_classifies_each_job_into_its_cell(job: str) -> None:
    """Jobs of a called workflow are listed as ``<caller job> / <job>``; the patterns match."""
    config = Config()
    shown = f"release / {job}".lower()
    cells = {
        (stage, p)
        for stage, patterns in config.job_patterns.items()
        for p in PLATFORMS
        for pattern in patterns
        if fnmatch.fnmatchcase(shown, pattern.format(platform=p).lower())
    }
    if job in ("monitor", "production-signoff"):
        stages = {stage for stage, _ in cells}
        assert stages <= {"monitor"}, cells
    else:
        stage = {
            "build": "build",
            "test": "test",
            "package": "package",
            "deploy-canary": "canary",
            "deploy-production": "production",
        }[job.rsplit("-", 1)[0]]
        assert cells == {(stage, job.rsplit("-", 1)[1])}


def test_canary_onward_runs_for_main_only(reusable: dict[str, Any]) -> None:
    jobs = reusable["jobs"]
    for name in ("deploy-canary-windows", "deploy-canary-macos", "production-signoff"):
        condition = jobs[name]["if"]
        assert MAIN_ONLY in condition and "github.event_name != 'pull_request'" in condition
    # Monitor and production follow their needs; production re-checks the sign-off's result
    # itself because a rollback run skips everything before the sign-off.
    assert "if" not in jobs["monitor"]
    for p in PLATFORMS:
        condition = jobs[f"deploy-production-{p}"]["if"]
        assert "needs.production-signoff.result == 'success'" in condition
        assert "!cancelled()" in condition
    for name in ("build-windows", "build-macos", "test-windows", "package-macos"):
        assert MAIN_ONLY not in str(jobs[name].get("if", "")), name


def test_triggers_are_the_seeds(caller: dict[str, Any]) -> None:
    on = caller["on"]
    assert set(on) == {"push", "pull_request", "workflow_dispatch"}
    assert set(on["push"]["branches"]) == {"main", "develop"}
    assert on["pull_request"]["branches"] == ["main"]
    assert caller["name"] == sim.WORKFLOW_NAME
    assert Config().workflow == sim.WORKFLOW_FILE == "build-and-deploy.yml"


def test_dispatch_has_the_rollback_input_and_passes_it_on(caller: dict[str, Any]) -> None:
    inputs = caller["on"]["workflow_dispatch"]["inputs"]
    assert set(inputs) == {sim.ROLLBACK_INPUT}
    rollback = inputs[sim.ROLLBACK_INPUT]
    assert rollback["type"] == "string"
    assert rollback.get("required", False) is False
    (job,) = caller["jobs"].values()
    assert job["uses"] == "./.github/workflows/pyinstaller-release.yml"
    assert job["with"]["rollback-run-id"] == "${{ inputs." + sim.ROLLBACK_INPUT + " }}"
    assert job["with"]["app-name"] == "releasemgr"
    assert job["with"]["spec-path"] == "releasemgr.spec"


def test_reusable_inputs(reusable: dict[str, Any]) -> None:
    inputs = reusable["on"]["workflow_call"]["inputs"]
    for name in ("app-name", "spec-path", "python-version", "test-command", "smoke-command"):
        assert inputs[name]["type"] == "string", name
    assert inputs["app-name"]["required"] is True
    assert inputs["spec-path"]["required"] is True
    assert inputs["rollback-run-id"]["default"] == ""


def test_rollback_skips_to_the_production_gates(reusable: dict[str, Any]) -> None:
    jobs = reusable["jobs"]
    for name in ("build-windows", "build-macos", "security-scan"):
        assert jobs[name]["if"] == "inputs.rollback-run-id == ''", name
    assert "inputs.rollback-run-id != ''" in jobs["production-signoff"]["if"]
    for p in PLATFORMS:
        steps = jobs[f"deploy-production-{p}"]["steps"]
        downloads = [s for s in steps if "download-artifact@" in s.get("uses", "")]
        target = [s for s in downloads if "run-id" in s.get("with", {})]
        assert len(target) == 1
        assert target[0]["if"] == "inputs.rollback-run-id != ''"
        assert target[0]["with"]["run-id"] == "${{ inputs.rollback-run-id }}"
        assert target[0]["with"]["github-token"] == "${{ github.token }}"
        assert target[0]["with"]["pattern"] == "${{ inputs.app-name }}-" + p + "-production-*"
        # Both paths verify what they are about to publish, and both check two approvers.
        runs = [(s.get("if"), s.get("run", "")) for s in steps]
        assert (None, "releasemgr verify production") in runs
        gatechecks = [(cond, run) for cond, run in runs if run.startswith("releasemgr gatecheck")]
        assert {cond for cond, _ in gatechecks} == {
            "inputs.rollback-run-id == ''",
            "inputs.rollback-run-id != ''",
        }
        for _, run in gatechecks:
            assert "--approvers 2" in run
            assert "--environment production-signoff" in run
            assert f"--environment production-{p}" in run
        normal = [run for cond, run in gatechecks if cond == "inputs.rollback-run-id == ''"]
        assert "--report monitoring/monitoring-report.json" in normal[0]
