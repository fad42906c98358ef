"""The activity log: safe appends, tolerant reads, filters, and never a token on disk."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from releasemgr import activity
from releasemgr.activity import ActivityEvent, ActivityKind, ActivityLog, Outcome


def _clock(start: datetime) -> Callable[[], datetime]:
    ticks = iter(range(10_000))
    return lambda: start + timedelta(seconds=next(ticks))


T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_default_path_follows_the_data_dir_override(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RELEASEMGR_DATA_DIR", str(tmp_path / "d"))
    assert activity.default_path() == tmp_path / "d" / "activity.jsonl"
    assert ActivityLog().path == tmp_path / "d" / "activity.jsonl"


def test_record_then_read_round_trips_every_field(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "a" / "activity.jsonl", clock=_clock(T0))
    written = log.record(
        ActivityKind.DOWNLOAD,
        "Downloaded ZyraVideoAgentBackend-windows to /tmp/x",
        user="rm",
        host="github.com",
        repository="acme/zyra",
        run_id=42,
        details={"artifact": "ZyraVideoAgentBackend-windows", "bytes": 1234, "resumed": False},
    )
    assert written is not None
    log.record(ActivityKind.SMOKE_TEST, "Smoke test failed", outcome=Outcome.FAILED)
    result = log.read()
    assert result.notes == ()
    assert [e.kind for e in result.events] == [ActivityKind.DOWNLOAD, ActivityKind.SMOKE_TEST]
    first = result.events[0]
    assert first == written
    assert first.at == T0
    assert first.details == {
        "artifact": "ZyraVideoAgentBackend-windows",
        "bytes": 1234,
        "resumed": False,
    }
    assert result.events[1].outcome is Outcome.FAILED
    lines = (tmp_path / "a" / "activity.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["at"] == "2026-03-01T12:00:00.000000Z"


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    result = ActivityLog(tmp_path / "none.jsonl").read()
    assert result.events == ()
    assert result.notes == ()


def test_corrupt_lines_are_skipped_with_a_note_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "activity.jsonl"
    log = ActivityLog(path, clock=_clock(T0))
    log.record(ActivityKind.ROLLBACK, "Rolled back")
    with open(path, "ab") as fh:
        fh.write(b"{not json}\n")
        fh.write(b'{"at": "2026-03-01T00:00:00Z", "kind": "dance", "summary": "x"}\n')
        fh.write(b"\xff\xfe\n")
        fh.write(b"[1, 2]\n")
    log.record(ActivityKind.APPROVAL, "Approved")
    result = log.read()
    assert [e.summary for e in result.events] == ["Rolled back", "Approved"]
    assert len(result.notes) == 4
    assert "line 2: not valid JSON" in result.notes[0]
    assert "line 3: field 'kind'" in result.notes[1]
    assert "line 4: not UTF-8" in result.notes[2]
    assert "line 5: not a JSON object" in result.notes[3]


def test_a_torn_last_line_is_fenced_off_by_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "activity.jsonl"
    log = ActivityLog(path, clock=_clock(T0))
    log.record(ActivityKind.VERIFICATION, "Verified A")
    with open(path, "ab") as fh:
        fh.write(b'{"v": 1, "at": "2026-03-01T1')  # a crash mid-line
    log.record(ActivityKind.VERIFICATION, "Verified B")
    result = log.read()
    assert [e.summary for e in result.events] == ["Verified A", "Verified B"]
    assert len(result.notes) == 1
    assert "line 2" in result.notes[0]


def test_tokens_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "activity.jsonl"
    log = ActivityLog(path)
    token = "ghp_" + "A1b2C3d4" * 5
    log.record(
        ActivityKind.DOWNLOAD,
        f"Download failed: header Authorization: Bearer {token}",
        host="github.com",
        details={"url": f"https://x/?t={token}", "note": "token abcdefghijklmnop"},
    )
    text = path.read_text()
    assert token not in text
    assert "abcdefghijklmnop" not in text
    assert activity.REDACTED in text
    with pytest.raises(ValueError, match="secret"):
        log.record(ActivityKind.DOWNLOAD, "x", details={"token": "abc"})
    with pytest.raises(ValueError, match="secret"):
        log.record(ActivityKind.DOWNLOAD, "x", details={"Authorization": "abc"})
    assert len(path.read_text().splitlines()) == 1


def test_concurrent_writers_each_produce_one_whole_line(tmp_path: Path) -> None:
    path = tmp_path / "activity.jsonl"
    logs = [ActivityLog(path), ActivityLog(path)]  # two instances, as the CLI and window would be

    def write(n: int) -> None:
        for i in range(25):
            logs[n % 2].record(ActivityKind.VERIFICATION, f"writer {n} event {i}", run_id=i)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = ActivityLog(path).read()
    assert result.notes == ()
    assert len(result.events) == 100


def test_listeners_hear_each_recorded_event_and_can_be_removed(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "activity.jsonl")
    heard: list[ActivityEvent] = []
    log.add_listener(heard.append)
    log.record(ActivityKind.APPROVAL, "one")
    log.remove_listener(heard.append)
    log.record(ActivityKind.APPROVAL, "two")
    assert [e.summary for e in heard] == ["one"]


def test_unwritable_location_returns_none_without_raising(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    log = ActivityLog(blocker / "activity.jsonl")
    assert log.record(ActivityKind.APPROVAL, "x") is None
    assert log.read().events == ()


def test_rotation_keeps_older_events_readable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(activity, "ROTATE_BYTES", 600)
    path = tmp_path / "activity.jsonl"
    log = ActivityLog(path, clock=_clock(T0))
    for i in range(12):
        log.record(ActivityKind.DOWNLOAD, f"event {i}")
    assert path.with_name("activity.jsonl.1").exists()
    summaries = [e.summary for e in log.read().events]
    assert summaries[-1] == "event 11"
    assert summaries == sorted(summaries, key=lambda s: int(s.split()[1]))
    assert [e.summary for e in log.read(limit=2).events] == ["event 10", "event 11"]


def test_filter_by_kind_outcome_and_text(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path / "activity.jsonl", clock=_clock(T0))
    log.record(ActivityKind.APPROVAL, "Approved canary", run_id=7, user="rm")
    log.record(ActivityKind.DOWNLOAD, "Downloaded macos", details={"artifact": "Zyra-macos"})
    log.record(ActivityKind.DOWNLOAD, "Download cancelled", outcome=Outcome.CANCELLED)
    events = log.read().events
    assert len(activity.filter_events(events, kinds=[ActivityKind.DOWNLOAD])) == 2
    assert [e.summary for e in activity.filter_events(events, outcome=Outcome.CANCELLED)] == [
        "Download cancelled"
    ]
    assert [e.summary for e in activity.filter_events(events, text="zyra-MACOS")] == [
        "Downloaded macos"
    ]
    assert [e.summary for e in activity.filter_events(events, text="7")] == ["Approved canary"]
    assert activity.filter_events(events, kinds=[]) == []
    assert ActivityKind.SMOKE_TEST.label == "Smoke test"
