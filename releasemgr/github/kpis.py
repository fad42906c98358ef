"""The seed's four KPIs, computed from runs and their grids.

| KPI                  | target   | alert    |
| build success rate   | > 95 %   | < 90 %   |
| test pass rate       | 100 %    | < 100 %  |
| workflow duration    | < 15 min | > 30 min |
| canary success rate  | > 90 %   | < 80 %   |

Workflow duration counts machine time along the pipeline (the longest job of each stage, stage
after stage), so hours spent waiting for a person at a gate do not count as a slow pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence

from releasemgr.model import (
    CellState,
    Kpi,
    KpiReport,
    KpiStatus,
    RunDetail,
    RunSample,
    Stage,
)


def sample(detail: RunDetail) -> RunSample:
    """One run's contribution: did build, tests and the canary pass, and how long it took."""
    return RunSample(
        run_id=detail.run.id,
        created_at=detail.run.created_at,
        build_ok=_stage_ok(detail, Stage.BUILD),
        tests_ok=_stage_ok(detail, Stage.TEST),
        canary_ok=_canary_ok(detail),
        duration_minutes=_duration(detail),
    )


def _stage_ok(detail: RunDetail, stage: Stage) -> bool | None:
    cells = [c for c in detail.cells if c.stage == stage and c.job_id is not None]
    if not cells or any(not c.state.finished for c in cells):
        return None
    if all(c.state == CellState.SKIPPED for c in cells):
        return None
    return all(c.state in (CellState.SUCCESS, CellState.SKIPPED) for c in cells)


def _canary_ok(detail: RunDetail) -> bool | None:
    canary = [c for c in detail.cells if c.stage == Stage.CANARY and c.job_id is not None]
    if not canary or not any(c.state == CellState.SUCCESS for c in canary):
        return None  # the canary never went out: nothing to judge
    monitor = _stage_ok(detail, Stage.MONITOR)
    if monitor is None:
        return None
    return monitor and all(c.state == CellState.SUCCESS for c in canary)


def _duration(detail: RunDetail) -> float | None:
    if not detail.run.state.finished:
        return None
    total = 0.0
    counted = False
    for stage in Stage:
        longest = [
            c.duration_seconds
            for c in detail.cells
            if c.stage == stage and c.duration_seconds is not None
        ]
        if longest:
            total += max(longest)
            counted = True
    return total / 60.0 if counted else None


def _rate(values: Sequence[bool | None]) -> tuple[float | None, int]:
    known = [v for v in values if v is not None]
    if not known:
        return None, 0
    return 100.0 * sum(1 for v in known if v) / len(known), len(known)


def _status_rate(value: float | None, target: float, alert: float, strict: bool) -> KpiStatus:
    if value is None:
        return KpiStatus.UNKNOWN
    if value < alert:
        return KpiStatus.ALERT
    meets = value >= target if not strict else value > target
    return KpiStatus.OK if meets else KpiStatus.WARN


def report(details: Sequence[RunDetail], days: int) -> KpiReport:
    """The four KPIs over ``details`` (the runs of the last ``days`` days)."""
    samples = tuple(sample(d) for d in details)
    build, n_build = _rate([s.build_ok for s in samples])
    tests, n_tests = _rate([s.tests_ok for s in samples])
    canary, n_canary = _rate([s.canary_ok for s in samples])
    durations = [s.duration_minutes for s in samples if s.duration_minutes is not None]
    duration = sum(durations) / len(durations) if durations else None
    if duration is None:
        duration_status = KpiStatus.UNKNOWN
    elif duration > 30:
        duration_status = KpiStatus.ALERT
    elif duration < 15:
        duration_status = KpiStatus.OK
    else:
        duration_status = KpiStatus.WARN
    kpis = (
        Kpi(
            "build_success_rate",
            "Build success rate",
            build,
            "%",
            "> 95%",
            "< 90%",
            _status_rate(build, 95.0, 90.0, strict=True),
            n_build,
        ),
        Kpi(
            "test_pass_rate",
            "Test pass rate",
            tests,
            "%",
            "100%",
            "< 100%",
            _status_rate(tests, 100.0, 100.0, strict=False),
            n_tests,
        ),
        Kpi(
            "workflow_duration",
            "Workflow duration",
            duration,
            "min",
            "< 15 min",
            "> 30 min",
            duration_status,
            len(durations),
        ),
        Kpi(
            "canary_success_rate",
            "Canary success rate",
            canary,
            "%",
            "> 90%",
            "< 80%",
            _status_rate(canary, 90.0, 80.0, strict=True),
            n_canary,
        ),
    )
    return KpiReport(days=days, kpis=kpis, samples=samples)
