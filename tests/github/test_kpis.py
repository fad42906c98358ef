"""The seed's four KPIs with its targets and alert thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from releasemgr.github import kpis
from releasemgr.model import (
    CellState,
    JobCell,
    KpiStatus,
    Platform,
    RunDetail,
    RunSummary,
    Stage,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def detail(run_id: int, states: dict[Stage, CellState], minutes: int = 2) -> RunDetail:
    state = CellState.FAILURE if CellState.FAILURE in states.values() else CellState.SUCCESS
    run = RunSummary(
        run_id,
        run_id,
        1,
        "t",
        "main",
        "a" * 40,
        "push",
        "alice",
        "completed",
        state.value,
        state,
        T0,
        T0 + timedelta(hours=5),
    )
    cells = []
    for platform in (Platform.WINDOWS, Platform.MACOS):
        for stage, cell_state in states.items():
            cells.append(
                JobCell(
                    platform,
                    stage,
                    cell_state,
                    job_id=run_id * 100,
                    started_at=T0,
                    completed_at=T0 + timedelta(minutes=minutes),
                )
            )
    return RunDetail(run=run, cells=tuple(cells))


GOOD = {s: CellState.SUCCESS for s in Stage}


def test_all_green_meets_every_target() -> None:
    report = kpis.report([detail(i, GOOD) for i in range(1, 5)], 30)
    assert [k.status for k in report.kpis] == [KpiStatus.OK] * 4
    duration = report.get("workflow_duration")
    # Six stages of two minutes each; the five hours of the run's wall time include waiting.
    assert duration.value == 12.0


def test_failures_cross_the_alert_thresholds() -> None:
    failed_tests = {
        **GOOD,
        Stage.TEST: CellState.FAILURE,
        Stage.PACKAGE: CellState.SKIPPED,
        Stage.CANARY: CellState.SKIPPED,
        Stage.MONITOR: CellState.SKIPPED,
        Stage.PRODUCTION: CellState.SKIPPED,
    }
    bad_canary = {**GOOD, Stage.MONITOR: CellState.FAILURE, Stage.PRODUCTION: CellState.SKIPPED}
    runs = [detail(1, GOOD), detail(2, failed_tests), detail(3, bad_canary, minutes=4)]
    report = kpis.report(runs, 30)
    assert report.get("build_success_rate").status == KpiStatus.OK
    tests = report.get("test_pass_rate")
    assert round(tests.value or 0, 1) == 66.7 and tests.status == KpiStatus.ALERT
    canary = report.get("canary_success_rate")
    assert canary.samples == 2 and canary.value == 50.0 and canary.status == KpiStatus.ALERT
    assert report.get("workflow_duration").status == KpiStatus.WARN  # a mean of 16 minutes


def test_no_runs_is_unknown_not_zero() -> None:
    report = kpis.report([], 7)
    assert all(k.status == KpiStatus.UNKNOWN and k.value is None for k in report.kpis)
