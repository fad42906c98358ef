"""``releasemgr gatecheck RUN``: the production job's first step, a second pair of eyes enforced.

GitHub's required-reviewers rule passes on the first approval, so production chains two gates
(``production-signoff``, then ``production-<platform>``). This command reads the run's approval
history and fails unless every named gate was approved, none rejected, and the approvers were at
least ``--approvers`` distinct people; with ``--report`` the monitoring report must say healthy.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from releasemgr.cli import common
from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode, InputError, UsageError
from releasemgr.model import Approval

NAME = "gatecheck"
HELP = "Check a run's approvals (distinct approvers per gate) and the canary report's health."


@dataclass(frozen=True)
class Options:
    """What ``gatecheck`` was asked to check."""

    where: common.Where
    run_id: int
    environments: tuple[str, ...]
    approvers: int
    report: Path | None


@dataclass(frozen=True)
class Verdict:
    """The outcome of the approval check: passed, and the reasons when it did not."""

    passed: bool
    approvers: tuple[str, ...]
    reasons: tuple[str, ...]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    common.add_where(parser)
    parser.add_argument("run_id", metavar="RUN", help="the workflow run's id")
    parser.add_argument(
        "--environment",
        dest="environments",
        action="append",
        required=True,
        metavar="ENV",
        help="a gate that must have been approved (repeat for each)",
    )
    parser.add_argument(
        "--approvers", type=int, default=2, metavar="N", help="distinct people needed (default 2)"
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="monitoring report (from releasemgr monitor): must be healthy",
    )


def parse(ns: argparse.Namespace) -> Options:
    """Fill the options from parsed arguments; no work."""
    try:
        run_id = int(ns.run_id)
    except ValueError:
        raise UsageError(f"RUN {ns.run_id!r} is not a run id (a number)") from None
    if run_id <= 0:
        raise UsageError(f"RUN {run_id} is not a run id (a positive number)")
    if ns.approvers < 1:
        raise UsageError(f"--approvers {ns.approvers}: at least 1")
    environments = tuple(dict.fromkeys(e.strip() for e in ns.environments if e.strip()))
    if not environments:
        raise UsageError("--environment: name at least one gate")
    return Options(
        where=common.parse_where(ns),
        run_id=run_id,
        environments=environments,
        approvers=ns.approvers,
        report=Path(ns.report) if ns.report else None,
    )


def judge(history: Sequence[Approval], environments: Sequence[str], approvers: int) -> Verdict:
    """Whether ``history`` approves every gate in ``environments`` by ``approvers`` people.

    Each gate needs an approval and no rejection, and the people who approved the gates must
    number at least ``approvers``: with 2, one person who approved every gate alone is refused.
    """
    reasons: list[str] = []
    by_gate: dict[str, set[str]] = {env: set() for env in environments}
    for review in history:
        for env in review.environments:
            if env not in by_gate:
                continue
            if review.state == "approved":
                by_gate[env].add(review.user)
            else:
                reasons.append(f"{env} was {review.state} by {review.user}")
    for env, people in by_gate.items():
        if not people:
            reasons.append(f"{env} has no approval in the run's history")
    everyone = set().union(*by_gate.values())
    if all(by_gate.values()) and len(everyone) < approvers:
        who = ", ".join(sorted(everyone))
        reasons.append(
            f"{len(everyone)} distinct approver(s) ({who}); {approvers} different people needed"
        )
    return Verdict(passed=not reasons, approvers=tuple(sorted(everyone)), reasons=tuple(reasons))


def run(options: Options, ctx: Context) -> int:
    """Read the approvals (and the report), print the verdict; exit 0 passed, 1 refused."""
    healthy_reasons: list[str] = []
    if options.report is not None:
        healthy_reasons = _report_problems(options.report, ctx)
    history = _approval_history(options, ctx)
    verdict = judge(history, options.environments, options.approvers)
    reasons = [*verdict.reasons, *healthy_reasons]
    gates = ", ".join(options.environments)
    if not reasons:
        people = ", ".join(verdict.approvers)
        print(f"gates passed for run {options.run_id}: {gates} by {people}", file=ctx.stdout)
        if options.report is not None:
            print(f"canary healthy ({options.report})", file=ctx.stdout)
        return int(ExitCode.OK)
    print(f"gates NOT passed for run {options.run_id} ({gates}):", file=ctx.stdout)
    for reason in reasons:
        print(f"  - {reason}", file=ctx.stdout)
    return int(ExitCode.FAILED)


def _approval_history(options: Options, ctx: Context) -> tuple[Approval, ...]:
    """The run's approvals: one GET, which the job's GITHUB_TOKEN (actions: read) may make.

    Deliberately not the whole run detail: that also asks who the token belongs to, which an
    Actions token may not, and reads jobs and gates the check does not need.
    """
    from releasemgr.github.auth import require_token
    from releasemgr.github.gateway import Gateway
    from releasemgr.github.pipeline import approvals

    config = common.load_config(ctx)
    api_url = common.resolve_api_url(options.where, config, ctx)
    repo = common.resolve_repo(options.where, config, ctx)
    gateway = Gateway(api_url, require_token(api_url, ctx.env).token)
    try:
        path = f"/repos/{repo}/actions/runs/{options.run_id}/approvals"
        body = gateway.get(path, what=f"approvals of run {options.run_id}", conditional=False)
        return approvals(body.body or [])
    finally:
        gateway.close()


def _report_problems(path: Path, ctx: Context) -> list[str]:
    from releasemgr.release.monitor import MonitorReport

    path = path if path.is_absolute() else ctx.cwd / path
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the monitoring report ({exc.strerror})") from None
    report = MonitorReport.from_json(text, source=str(path))
    if report.healthy:
        return []
    return [f"canary unhealthy: {r}" for r in report.reasons] or ["canary unhealthy"]
