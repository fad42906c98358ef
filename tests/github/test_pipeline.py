"""Payload-to-model rules: which job fills which cell, gates k of N, releases from names."""

from __future__ import annotations

from typing import Any

from releasemgr.config import Config
from releasemgr.github import pipeline
from releasemgr.model import CellState, Channel, Platform, Stage

CONFIG = Config()
SHA = "0123456789abcdef0123456789abcdef01234567"


def job(job_id: int, name: str, status: str, conclusion: str | None = None) -> dict[str, Any]:
    return {
        "id": job_id,
        "name": name,
        "status": status,
        "conclusion": conclusion,
        "started_at": "2026-01-02T03:00:00Z",
        "completed_at": "2026-01-02T03:05:00Z" if status == "completed" else None,
        "html_url": f"https://example.test/job/{job_id}",
        "steps": [
            {"number": 1, "name": "Set up job", "status": "completed", "conclusion": "success"}
        ],
    }


def run(status: str = "waiting", actor: str = "alice") -> dict[str, Any]:
    return {
        "id": 7,
        "run_number": 3,
        "run_attempt": 1,
        "display_title": "Ship it",
        "head_branch": "main",
        "head_sha": SHA,
        "event": "push",
        "status": status,
        "conclusion": None,
        "created_at": "2026-01-02T03:00:00Z",
        "updated_at": "2026-01-02T03:20:00Z",
        "actor": {"login": actor},
    }


def pending(env_id: int, name: str, reviewers: list[str], can: bool) -> dict[str, Any]:
    return {
        "environment": {"id": env_id, "name": name},
        "wait_timer": 0,
        "wait_timer_started_at": "2026-01-02T03:10:00Z",
        "current_user_can_approve": can,
        "reviewers": [
            {"type": "User", "reviewer": {"login": r, "id": i}} for i, r in enumerate(reviewers)
        ],
    }


def test_jobs_fill_the_grid_and_the_monitor_spans_every_platform() -> None:
    jobs = [
        job(1, "build-windows", "completed", "success"),
        job(2, "build-macos", "completed", "failure"),
        job(3, "test-windows", "in_progress"),
        job(4, "monitor", "completed", "success"),
        job(5, "deploy-canary-macos", "waiting"),
        job(6, "unrelated lint", "completed", "success"),
    ]
    cells = {(c.platform, c.stage): c for c in pipeline.grid(jobs, CONFIG)}
    assert len(cells) == 12
    assert cells[(Platform.WINDOWS, Stage.BUILD)].state == CellState.SUCCESS
    assert cells[(Platform.MACOS, Stage.BUILD)].state == CellState.FAILURE
    assert cells[(Platform.WINDOWS, Stage.TEST)].state == CellState.RUNNING
    assert cells[(Platform.MACOS, Stage.CANARY)].state == CellState.WAITING
    assert cells[(Platform.MACOS, Stage.CANARY)].started_at is None
    assert cells[(Platform.WINDOWS, Stage.MONITOR)].job_id == 4
    assert cells[(Platform.MACOS, Stage.MONITOR)].job_id == 4
    assert cells[(Platform.MACOS, Stage.PACKAGE)].state == CellState.PENDING
    assert cells[(Platform.WINDOWS, Stage.BUILD)].duration_seconds == 300


def test_waiting_signoff_shows_production_as_waiting() -> None:
    jobs = [job(9, "production-signoff", "waiting")]
    cells = {(c.platform, c.stage): c for c in pipeline.grid(jobs, CONFIG)}
    assert cells[(Platform.WINDOWS, Stage.PRODUCTION)].state == CellState.WAITING


def test_patterns_come_from_config() -> None:
    config = Config(job_patterns={**CONFIG.job_patterns, "build": ("compile ({platform})",)})
    assert pipeline.classify_job("Compile (macOS)", config) == (Stage.BUILD, Platform.MACOS)
    assert pipeline.classify_job("build-macos", config) is None


def test_canary_gate_one_of_one_and_reviewer_reason() -> None:
    summary = pipeline.run_summary(run())
    items = [
        pending(11, "canary-windows", ["bob"], False),
        pending(12, "canary-macos", ["bob"], False),
    ]
    gates = pipeline.gates(summary, items, (), CONFIG, "carol")
    assert [g.environment for g in gates] == ["canary-windows", "canary-macos"]
    assert gates[0].progress == "0 of 1"
    assert not gates[0].may_approve
    assert gates[0].reason == "You are not a reviewer for canary-windows"


def test_production_second_approval_must_come_from_someone_else() -> None:
    summary = pipeline.run_summary(run(actor="dave"))
    history = pipeline.approvals(
        [
            {
                "state": "approved",
                "comment": "ok",
                "user": {"login": "alice"},
                "environments": [{"name": "production-signoff"}],
            }
        ]
    )
    items = [
        pending(21, "production-windows", ["alice", "bob"], True),
        pending(22, "production-macos", ["alice", "bob"], True),
    ]
    mine = pipeline.gates(summary, items, history, CONFIG, "alice")
    assert all(g.progress == "1 of 2" for g in mine)
    assert all(not g.may_approve for g in mine)
    assert "second approval must come from someone else" in (mine[0].reason or "")
    theirs = pipeline.gates(summary, items, history, CONFIG, "bob")
    assert all(g.may_approve and g.reason is None for g in theirs)
    assert theirs[0].approved_by == ("alice",)


def test_signoff_counts_as_the_first_of_two() -> None:
    summary = pipeline.run_summary(run())
    gates = pipeline.gates(
        summary, [pending(20, "production-signoff", ["bob"], True)], (), CONFIG, "bob"
    )
    assert gates[0].stage == Stage.PRODUCTION and gates[0].platform is None
    assert gates[0].progress == "0 of 2"


def test_self_review_reason() -> None:
    summary = pipeline.run_summary(run(actor="bob"))
    gates = pipeline.gates(
        summary, [pending(11, "canary-windows", ["bob"], False)], (), CONFIG, "bob"
    )
    assert "Self-review is prevented" in (gates[0].reason or "")


def artifact(
    art_id: int, name: str, run_id: int, created: str, expired: bool = False
) -> dict[str, Any]:
    return {
        "id": art_id,
        "name": name,
        "size_in_bytes": 1000 + art_id,
        "archive_download_url": f"https://api.test/artifacts/{art_id}/zip",
        "expired": expired,
        "created_at": created,
        "expires_at": "2026-04-01T00:00:00Z",
        "digest": "sha256:" + "ab" * 32,
        "workflow_run": {"id": run_id, "head_sha": SHA},
    }


def test_release_board_from_artifact_names_only() -> None:
    app = "ZyraVideoAgentBackend"
    arts = [
        artifact(1, f"{app}-windows-production-1.2.0-aaaaaaa", 100, "2026-01-01T00:00:00Z"),
        artifact(2, f"{app}-windows-production-1.3.0-bbbbbbb", 200, "2026-01-05T00:00:00Z"),
        artifact(3, f"{app}-windows-canary-1.4.0-ccccccc", 300, "2026-01-06T00:00:00Z"),
        artifact(4, f"{app}-windows-release-1.4.0-ccccccc", 300, "2026-01-06T00:00:00Z"),
        artifact(5, f"{app}-macos-canary-1.5.0-ddddddd", 400, "2026-01-07T00:00:00Z", expired=True),
        artifact(6, "monitoring-report-1.4.0-ccccccc", 300, "2026-01-06T00:00:00Z"),
    ]
    board = pipeline.release_board(arts, CONFIG, {200: 12})
    stable = board.current_for(Channel.STABLE, Platform.WINDOWS)
    assert stable is not None
    assert (stable.version, stable.commit, stable.run_id, stable.run_number) == (
        "1.3.0",
        "bbbbbbb",
        200,
        12,
    )
    assert stable.traffic_percentage == 100
    canary = board.current_for(Channel.CANARY, Platform.WINDOWS)
    assert canary is not None and canary.traffic_percentage == 10
    assert board.current_for(Channel.CANARY, Platform.MACOS) is None  # only an expired one
    assert [r.artifact.id for r in board.history] == [5, 3, 2, 1]
    assert board.previous_production_run() == 100


def test_state_mapping() -> None:
    assert pipeline.state_of("completed", "cancelled") == CellState.CANCELLED
    assert pipeline.state_of("completed", "timed_out") == CellState.FAILURE
    assert pipeline.state_of("queued", None) == CellState.QUEUED
    assert pipeline.state_of("pending", None) == CellState.PENDING
