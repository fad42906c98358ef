"""What the Approvals page decides on: gates grouped per run and stage, and the exact words of
a confirmation. Plain logic over the domain model, no widgets."""

from __future__ import annotations

from dataclasses import dataclass

from releasemgr.model import CellState, GateRequest, Platform, RunSummary, Stage
from releasemgr.ui import style
from releasemgr.ui.session import WaitingGates


@dataclass(frozen=True)
class GateGroup:
    """The waiting gates of one run and stage: what one decision acts on."""

    run: RunSummary
    stage: Stage
    gates: tuple[GateRequest, ...]
    monitoring: CellState | None = None  # the canary monitor job, shown beside production

    @property
    def key(self) -> tuple[int, str, tuple[str, ...]]:
        """Identity across refreshes: run, stage and the environments waiting."""
        return (self.run.id, self.stage.value, self.environments)

    @property
    def environments(self) -> tuple[str, ...]:
        """The environments waiting, in a stable order."""
        return tuple(sorted(g.environment for g in self.gates))

    @property
    def platforms(self) -> tuple[Platform, ...]:
        """The platforms this decision covers (empty for the once-per-run sign-off)."""
        return tuple(g.platform for g in self.gates if g.platform is not None)

    @property
    def is_signoff(self) -> bool:
        """Whether this is the production sign-off (the first of two production approvals)."""
        return self.stage == Stage.PRODUCTION and not self.platforms

    @property
    def may_approve(self) -> bool:
        """Whether the signed-in user may decide at least one of the gates."""
        return any(g.may_approve for g in self.gates)

    @property
    def reason(self) -> str | None:
        """Why the user may not decide, as a sentence (None when they may)."""
        if self.may_approve:
            return None
        for gate in self.gates:
            if gate.reason:
                return gate.reason
        return "GitHub does not let you approve this gate"

    @property
    def progress(self) -> tuple[int, int]:
        """Approvals so far and approvals needed (``1 of 2`` for production)."""
        have = max(g.approvals_have for g in self.gates)
        need = max(g.approvals_needed for g in self.gates)
        return have, need

    @property
    def reviewers(self) -> tuple[str, ...]:
        """Everyone who may review any of the gates."""
        seen: list[str] = []
        for gate in self.gates:
            seen.extend(r for r in gate.reviewers if r not in seen)
        return tuple(seen)

    @property
    def approved_by(self) -> tuple[str, ...]:
        """Who approved so far."""
        seen: list[str] = []
        for gate in self.gates:
            seen.extend(r for r in gate.approved_by if r not in seen)
        return tuple(seen)


def group_gates(waiting: WaitingGates) -> list[GateGroup]:
    """One group per run and stage, newest run first."""
    groups: dict[tuple[int, Stage], list[GateRequest]] = {}
    runs: dict[int, RunSummary] = {}
    for gate in waiting.gates:
        if not gate.waiting:
            continue
        groups.setdefault((gate.run.id, gate.stage), []).append(gate)
        runs[gate.run.id] = gate.run
    out = [
        GateGroup(
            run=runs[run_id],
            stage=stage,
            gates=tuple(gates),
            monitoring=waiting.monitoring.get(run_id) if stage == Stage.PRODUCTION else None,
        )
        for (run_id, stage), gates in groups.items()
    ]
    out.sort(key=lambda g: (-g.run.number, g.stage != Stage.CANARY))
    return out


def names(items: tuple[str, ...] | list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def platform_names(platforms: tuple[Platform, ...]) -> str:
    return names([style.platform_name(p.value) for p in platforms])


def short_reason(reason: str | None) -> str:
    """A few words for the table; the full sentence is in the tooltip and below the table."""
    if reason is None:
        return "✓ You may decide"
    text = reason.lower()
    if "signed off" in text:
        return "✗ You signed off"
    if "not a reviewer" in text:
        return "✗ Not a reviewer"
    if "self-review" in text or "you started" in text:
        return "✗ Your own run"
    return "✗ Not allowed"


def describe_decision(
    group: GateGroup,
    approve: bool,
    platforms: tuple[Platform, ...],
    comment: str,
    login: str,
) -> str:
    """Exactly what an approve or reject of ``group`` will do, in sentences."""
    run = group.run
    envs = [g.environment for g in group.gates if g.platform is None or g.platform in platforms]
    what = f"{names(sorted(envs))} of run #{run.number} ({run.short_sha} “{run.title}”)"
    verb = "Approve" if approve else "Reject"
    lines = [f"{verb} {what} as {login}, with the comment “{comment}”."]
    have, need = group.progress
    if not approve:
        lines.append(
            "The run fails at this gate and nothing more of it is deployed. "
            "This cannot be undone: shipping this commit then needs a new run."
        )
    elif group.stage == Stage.CANARY:
        lines.append(
            f"The canary deployment starts at once on {platform_names(platforms)}: "
            "10% of traffic gets this build, then monitoring checks it."
        )
    elif group.is_signoff:
        lines.append(
            f"This is production approval {have + 1} of {need}. Nothing deploys yet: someone "
            "other than you must then approve the production gates of each platform."
        )
    else:
        lines.append(
            f"This is production approval {min(have + 1, need)} of {need}. Production deploys "
            f"at once on {platform_names(platforms)}: 100% of users get this build."
        )
    skipped = [p for p in group.platforms if p not in platforms]
    if skipped:
        lines.append(f"{platform_names(tuple(skipped))} stays waiting.")
    return " ".join(lines)
