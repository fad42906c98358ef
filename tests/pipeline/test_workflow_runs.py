"""The reusable workflow's own ``run:`` steps, executed here in order with bash.

GitHub cannot run in a test, but the steps can: each job's shell steps run with the job's ``env``
(inputs filled in) and GitHub's variables, and the artifact actions are played by a small store
(upload by name; download by name or pattern, ``merge-multiple``, another run's by ``run-id``).
What the store ends up with must be what the app looks for. ``releasemgr gatecheck`` needs
GitHub's API and is tested against the simulator in ``test_gatecheck.py``; here it is skipped.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from releasemgr.config import Config
from releasemgr.model import Platform
from releasemgr.release.manifest import read_metadata

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample"
APP = "ZyraVideoAgentBackend"
SHA = "89abcdef0123456789abcdef0123456789abcdef"
VERSION = "2.0.0"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sys.platform == "win32", reason="the sample's stand-in executable is a POSIX shell script"
    ),
]


class Pipeline:
    """Runs jobs of the reusable workflow against a folder of artifacts, one run at a time."""

    def __init__(self, workflow: dict[str, Any], root: Path, inputs: dict[str, str]) -> None:
        self.jobs = workflow["jobs"]
        self.root = root
        self.inputs = {
            name: str(spec.get("default", ""))
            for name, spec in workflow["on"]["workflow_call"]["inputs"].items()
        }
        self.inputs.update(inputs)
        self.store: dict[str, dict[str, Path]] = {"this": {}}  # run -> artifact name -> folder
        self.skipped: list[str] = []

    def expand(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            expr = match.group(1).strip()
            if expr.startswith("inputs."):
                return self.inputs[expr.removeprefix("inputs.")]
            if expr in ("github.token", "steps.artifact.outputs.name"):
                return f"<{expr}>"
            raise AssertionError(f"expression not understood by the test: {expr}")

        return re.sub(r"\$\{\{(.*?)\}\}", one, text)

    def condition(self, step: dict[str, Any], env: dict[str, str]) -> bool:
        cond = str(step.get("if", "true")).removeprefix("${{").removesuffix("}}").strip()
        rollback = self.inputs["rollback-run-id"] != ""
        known = {
            "true": True,
            "!cancelled()": True,
            "inputs.rollback-run-id == ''": not rollback,
            "inputs.rollback-run-id != ''": rollback,
        }
        if re.fullmatch(r"env\.\w+ != ''( && env\.\w+ != '')*", cond):
            known[cond] = all(env.get(v, "") != "" for v in re.findall(r"env\.(\w+)", cond))
        assert cond in known, f"condition not understood by the test: {cond}"
        return known[cond]

    def run_job(self, name: str) -> None:
        job = self.jobs[name]
        work = self.root / "work" / name
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        env = {k: self.expand(str(v)) for k, v in job.get("env", {}).items()}
        env = {k: v for k, v in env.items() if not v.startswith("<")}
        outputs: dict[str, str] = {}
        for step in job["steps"]:
            if not self.condition(step, env):
                continue
            uses = step.get("uses", "")
            if "upload-artifact@" in uses:
                self.upload(step, work, outputs)
            elif "download-artifact@" in uses:
                self.download(step, work)
            elif uses:
                continue  # checkout and setup-python: the test runs in this checkout's venv
            elif step["run"].startswith(("python -m pip install", "releasemgr gatecheck")):
                self.skipped.append(f"{name}: {step['name']}")
            else:
                outputs.update(self.shell(step, work, {**env, **self.expand_env(step)}))

    def expand_env(self, step: dict[str, Any]) -> dict[str, str]:
        return {k: self.expand(str(v)) for k, v in step.get("env", {}).items()}

    def shell(self, step: dict[str, Any], cwd: Path, env: dict[str, str]) -> dict[str, str]:
        output = cwd / ".github_output"
        output.write_text("")
        full = {
            **os.environ,
            **env,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "GITHUB_SHA": SHA,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_RUN_ID": "1001",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_OUTPUT": str(output),
        }
        result = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env=full,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, f"{step['name']}: {result.stdout}{result.stderr}"
        return dict(line.split("=", 1) for line in output.read_text().splitlines() if line)

    def upload(self, step: dict[str, Any], cwd: Path, outputs: dict[str, str]) -> None:
        spec = step["with"]
        name = outputs["name"] if "steps.artifact" in spec["name"] else self.expand(spec["name"])
        assert name not in self.store["this"], f"uploaded twice: {name}"
        source = cwd / spec["path"]
        target = self.root / "artifacts" / "this" / name
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True)
        else:
            target.mkdir(parents=True)
            shutil.copy2(source, target)
        self.store["this"][name] = target

    def download(self, step: dict[str, Any], cwd: Path) -> None:
        spec = {k: self.expand(str(v)) for k, v in step["with"].items()}
        run = spec.get("run-id", "this")
        wanted = spec.get("pattern") or spec["name"]
        found = [n for n in self.store[run] if fnmatch.fnmatchcase(n, wanted)]
        assert found, f"{step['name']}: nothing in run {run} matches {wanted}"
        single = "name" in spec or spec.get("merge-multiple", "").lower() == "true"
        for name in found:
            target = cwd / spec["path"] if single else cwd / spec["path"] / name
            shutil.copytree(self.store[run][name], target, symlinks=True, dirs_exist_ok=True)


@pytest.fixture
def sample_build(tmp_path: Path) -> Path:
    """A PyInstaller-like ``dist/`` holding the sample onedir folder."""
    dist = tmp_path / "dist"
    shutil.copytree(SAMPLE / APP, dist / APP, symlinks=True)
    return dist


INPUTS = {
    "app-name": APP,
    "spec-path": f"{APP}.spec",
    "version": VERSION,
    "test-command": "mkdir -p test-reports && echo '<testsuite/>' > test-reports/junit.xml",
}


RELEASE_JOBS = (
    "package-windows",
    "package-macos",
    "deploy-canary-windows",
    "deploy-canary-macos",
    "monitor",
    "production-signoff",
    "deploy-production-windows",
)


def _with_builds(pipeline: Pipeline, dist: Path) -> None:
    """Play the build jobs' upload (PyInstaller itself is .ci/build-bundle's business)."""
    config = Config(app=APP)
    for p in ("windows", "macos"):
        name = config.artifact_name("build", Platform(p), VERSION, SHA)
        shutil.copytree(dist, pipeline.root / "artifacts" / "this" / name)
        pipeline.store["this"][name] = pipeline.root / "artifacts" / "this" / name


def test_a_release_goes_through_every_step(
    reusable: dict[str, Any], tmp_path: Path, sample_build: Path
) -> None:
    pipeline = Pipeline(reusable, tmp_path, INPUTS)
    _with_builds(pipeline, sample_build)
    for job in ("test-windows", "test-macos", *RELEASE_JOBS, "deploy-production-macos"):
        pipeline.run_job(job)

    config = Config(app=APP)
    expected = {
        config.artifact_name(kind, Platform(p) if p else None, VERSION, SHA)
        for kind in ("build", "test", "package", "canary", "production")
        for p in ("windows", "macos")
    } | {config.artifact_name("monitor", None, VERSION, SHA)}
    assert set(pipeline.store["this"]) == expected
    production = pipeline.store["this"][f"{APP}-macos-production-{VERSION}-{SHA[:7]}"]
    assert (production / "channel.txt").read_text().strip() == "stable"
    assert (production / "traffic_percentage.txt").read_text().strip() == "100"
    metadata = read_metadata(production / "metadata.json")
    assert (metadata.version, metadata.commit, metadata.platform) == (VERSION, SHA, "macos")
    assert pipeline.skipped.count("deploy-production-macos: Check approvals and canary health") == 1


def test_rollback_republishes_the_earlier_release_unchanged(
    reusable: dict[str, Any], tmp_path: Path, sample_build: Path
) -> None:
    earlier = Pipeline(reusable, tmp_path / "earlier", INPUTS)
    _with_builds(earlier, sample_build)
    for job in RELEASE_JOBS:
        earlier.run_job(job)
    (old_name,) = [n for n in earlier.store["this"] if "-windows-production-" in n]

    rollback = Pipeline(reusable, tmp_path / "rollback", {**INPUTS, "version": "2.1.0"})
    rollback.inputs["rollback-run-id"] = "77"
    rollback.store["77"] = earlier.store["this"]
    rollback.run_job("deploy-production-windows")

    assert set(rollback.store["this"]) == {old_name}
    restored = rollback.store["this"][old_name]
    before = earlier.store["this"][old_name]
    files = sorted(p.relative_to(before) for p in before.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(restored) for p in restored.rglob("*") if p.is_file())
    for rel in files:
        assert (before / rel).read_bytes() == (restored / rel).read_bytes(), rel
    assert rollback.skipped == [
        "deploy-production-windows: Install releasemgr",
        "deploy-production-windows: Check approvals (rollback)",
    ]
