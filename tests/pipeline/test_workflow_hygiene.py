"""Security hygiene of the workflows, beyond what actionlint, zizmor and the schema check.

``.ci/lint-workflows`` runs those three tools; these tests pin down the house rules that keep
the workflows that way: least privilege, pinned actions, no credentials left behind, no
expression inside a shell script, optional steps that run only when their secret exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.pipeline.conftest import CALLER, REUSABLE

PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+)*$")


def _steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, s) for name, job in workflow["jobs"].items() for s in job.get("steps", [])]


def _uses(path: Path) -> list[str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line.removeprefix("uses: ") for line in lines if line.startswith("uses: ")]


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    uses = _uses(REUSABLE)
    assert len(uses) > 40
    for ref in uses:
        assert PIN.match(ref), f"not pinned to a full commit SHA with a version comment: {ref}"
    # The caller runs no action itself, only the reusable workflow beside it.
    assert [u.split()[0] for u in _uses(CALLER)] == ["./.github/workflows/pyinstaller-release.yml"]


@pytest.mark.parametrize("path", [REUSABLE, CALLER], ids=lambda p: p.name)
def test_no_expression_inside_a_shell_script(path: Path) -> None:
    from tests.pipeline.conftest import load

    for job, step in _steps(load(path)):
        assert "${{" not in step.get("run", ""), f"{job}: {step['name']}"


def test_least_privilege(reusable: dict[str, Any], caller: dict[str, Any]) -> None:
    assert reusable["permissions"] == {} and caller["permissions"] == {}
    for name, job in reusable["jobs"].items():
        granted = job["permissions"]
        assert set(granted.values()) <= {"read"}, name
        assert set(granted) <= {"contents", "actions"}, name
        if "actions" in granted:
            assert name.startswith("deploy-production-"), name
    (call,) = caller["jobs"].values()
    assert call["permissions"] == {"actions": "read", "contents": "read"}


def test_checkouts_keep_no_credentials(reusable: dict[str, Any]) -> None:
    checkouts = [s for _, s in _steps(reusable) if "actions/checkout@" in s.get("uses", "")]
    assert len(checkouts) >= 10
    assert all(s["with"]["persist-credentials"] is False for s in checkouts)


def test_secrets_reach_steps_only_through_job_env(reusable: dict[str, Any]) -> None:
    text = REUSABLE.read_text(encoding="utf-8")
    declared = set(reusable["on"]["workflow_call"]["secrets"])
    used = set(re.findall(r"\$\{\{ secrets\.(\w+) \}\}", text))
    assert used == declared
    for job in reusable["jobs"].values():
        for step in job.get("steps", []):
            assert "secrets." not in str(step), step["name"]
    # Every step that needs a secret runs only when the secret is there.
    optional = {
        "Sign executables (signtool)": "env.WINDOWS_SIGNING_CERT != ''",
        "Sign executables (codesign)": "env.MACOS_SIGNING_CERT != ''",
        "Notarize executables (notarytool)": "env.MACOS_SIGNING_CERT != '' && env.APPLE_ID != ''",
        "Notify Slack": "env.SLACK_WEBHOOK != ''",
    }
    seen = {s["name"]: s.get("if") for _, s in _steps(reusable) if s["name"] in optional}
    assert seen == optional


def test_caller_passes_secrets_by_name_never_inherits(caller: dict[str, Any]) -> None:
    (call,) = caller["jobs"].values()
    assert isinstance(call["secrets"], dict)
    assert all(v == f"${{{{ secrets.{k} }}}}" for k, v in call["secrets"].items())


def test_concurrency(reusable: dict[str, Any], caller: dict[str, Any]) -> None:
    assert (
        caller["concurrency"]["group"]
        == "${{ github.workflow }}-${{ github.head_ref || github.run_id }}"
    )
    assert caller["concurrency"]["cancel-in-progress"] is True
    # Deployments of one platform never overlap and are never cancelled halfway.
    for name, job in reusable["jobs"].items():
        if name.startswith("deploy-"):
            platform = name.rsplit("-", 1)[1]
            assert job["concurrency"]["group"].endswith(f"-{platform}"), name
            assert job["concurrency"]["cancel-in-progress"] is False, name
    # A called workflow with its own top-level group would deadlock with the caller's.
    assert "concurrency" not in reusable


def test_security_scan_runs_bandit_and_pip_audit(reusable: dict[str, Any]) -> None:
    runs = " ".join(s.get("run", "") for s in reusable["jobs"]["security-scan"]["steps"])
    assert "bandit --recursive" in runs and "pip-audit" in runs
    assert re.search(r"bandit==\d", runs) and re.search(r"pip-audit==\d", runs)
