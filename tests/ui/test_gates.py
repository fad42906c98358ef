"""Gate grouping and the confirmation's words, from domain objects (no window, no network)."""

from __future__ import annotations

from datetime import UTC, datetime

from releasemgr.model import CellState, GateRequest, Platform, RunSummary, Stage
from releasemgr.ui.pages.gates import describe_decision, group_gates, short_reason
from releasemgr.ui.session import WaitingGates

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RUN = RunSummary(
    id=9001,
    number=41,
    attempt=1,
    title="Ship it",
    branch="main",
    head_sha="abcdef1234567",
    event="push",
    actor="ada-dev",
    status="waiting",
    conclusion=None,
    state=CellState.WAITING,
    created_at=AT,
    updated_at=AT,
)


def _gate(env: str, stage: Stage, platform: Platform | None, **kw: object) -> GateRequest:
    fields: dict[str, object] = {
        "run": RUN,
        "stage": stage,
        "environment": env,
        "environment_id": hash(env) % 1000,
        "platform": platform,
        "waiting": True,
        "reviewers": ("rhea", "omar"),
        "may_approve": True,
        "reason": None,
        "approvals_have": 0,
        "approvals_needed": 1,
    }
    fields.update(kw)
    return GateRequest(**fields)  # type: ignore[arg-type]


def test_one_group_per_run_and_stage_with_monitoring_only_for_production() -> None:
    waiting = WaitingGates(
        (
            _gate("canary-windows", Stage.CANARY, Platform.WINDOWS),
            _gate("canary-macos", Stage.CANARY, Platform.MACOS),
        ),
        {RUN.id: CellState.SUCCESS},
    )
    (group,) = group_gates(waiting)
    assert group.environments == ("canary-macos", "canary-windows")
    assert set(group.platforms) == {Platform.WINDOWS, Platform.MACOS}
    assert group.monitoring is None
    assert group.may_approve and group.reason is None


def test_approving_one_platform_says_the_other_stays_waiting() -> None:
    (group,) = group_gates(
        WaitingGates(
            (
                _gate("canary-windows", Stage.CANARY, Platform.WINDOWS),
                _gate("canary-macos", Stage.CANARY, Platform.MACOS),
            )
        )
    )
    text = describe_decision(group, True, (Platform.WINDOWS,), "win only", "rhea")
    assert text.startswith("Approve canary-windows of run #41 (abcdef1 “Ship it”) as rhea")
    assert "on Windows:" in text
    assert text.endswith("macOS stays waiting.")


def test_second_production_approval_and_the_signer_refused() -> None:
    reason = (
        "You signed off this release in production-signoff; "
        "the second approval must come from someone else"
    )
    gates = tuple(
        _gate(
            f"production-{p.value}",
            Stage.PRODUCTION,
            p,
            approvals_have=1,
            approvals_needed=2,
            may_approve=False,
            reason=reason,
            approved_by=("rhea",),
        )
        for p in (Platform.WINDOWS, Platform.MACOS)
    )
    (group,) = group_gates(WaitingGates(gates, {RUN.id: CellState.FAILURE}))
    assert group.progress == (1, 2)
    assert group.monitoring == CellState.FAILURE
    assert not group.may_approve and group.reason == reason
    assert short_reason(group.reason) == "✗ You signed off"
    text = describe_decision(group, True, group.platforms, "ok", "omar")
    assert "production approval 2 of 2" in text and "100% of users" in text


def test_short_reasons() -> None:
    assert short_reason(None) == "✓ You may decide"
    assert short_reason("You are not a reviewer for canary-macos") == "✗ Not a reviewer"
    assert short_reason("Self-review is prevented for canary-macos") == "✗ Your own run"
    assert short_reason("GitHub does not let you approve canary-macos") == "✗ Not allowed"
