"""metadata.json and the channel files: round trips, and refusals naming the file and field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from releasemgr.errors import InputError
from releasemgr.model import Channel
from releasemgr.release.manifest import (
    ChannelInfo,
    Metadata,
    read_channel_files,
    read_metadata,
    write_channel_files,
    write_metadata,
)

COMMIT = "0123456789abcdef0123456789abcdef01234567"
METADATA = Metadata(
    app="ZyraVideoAgentBackend",
    version="1.2.3",
    commit=COMMIT,
    ref="refs/heads/main",
    run_id=123456789,
    run_attempt=2,
    platform="windows",
    arch="x86_64",
    built_at=datetime(2026, 1, 31, 12, 30, 5, tzinfo=UTC),
    python="3.11",
    pyinstaller="6.10.0",
    file_count=3,
    total_bytes=4096,
    checksums_sha256="ab" * 32,
)


def test_metadata_round_trips_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "metadata.json"
    write_metadata(path, METADATA)
    assert read_metadata(path) == METADATA
    data = json.loads(path.read_text())
    assert data["schema_version"] == 1
    assert data["built_at"] == "2026-01-31T12:30:05Z"
    assert list(data)[:4] == ["schema_version", "app", "version", "commit"]
    assert path.read_text().endswith("}\n")


def test_metadata_optional_fields_may_be_null() -> None:
    data = METADATA.to_dict() | {"ref": None, "run_id": None, "python": None}
    parsed = Metadata.from_json(json.dumps(data))
    assert (parsed.ref, parsed.run_id, parsed.python) == (None, None, None)


def test_metadata_time_is_normalized_to_utc() -> None:
    data = METADATA.to_dict() | {"built_at": "2026-01-31T14:30:05+02:00"}
    assert Metadata.from_json(json.dumps(data)).built_at == METADATA.built_at


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"commit": "abc"}, "field 'commit' is not a 40-hex SHA"),
        ({"commit": None}, "field 'commit' is missing"),
        ({"file_count": "3"}, "field 'file_count' is missing or not a int"),
        ({"file_count": -1}, "field 'file_count' is negative"),
        ({"run_id": True}, "field 'run_id' is missing or not a int"),
        ({"platform": "beos"}, "field 'platform' is not a known platform"),
        ({"checksums_sha256": "xyz"}, "field 'checksums_sha256' is not a SHA-256"),
        ({"built_at": "yesterday"}, "field 'built_at': not an ISO 8601 timestamp"),
        ({"built_at": "2026-01-31T12:00:00"}, "field 'built_at': timestamp has no time zone"),
        ({"schema_version": 99}, "schema_version 99 is newer"),
        ({"schema_version": "1"}, "field 'schema_version' is missing"),
    ],
)
def test_metadata_refusals_name_the_field(change: dict[str, object], message: str) -> None:
    data = METADATA.to_dict() | change
    with pytest.raises(InputError, match=r"^pkg/metadata\.json: ") as caught:
        Metadata.from_json(json.dumps(data), source="pkg/metadata.json")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"app": ', "pkg/metadata.json, line 1: not valid JSON"),
        (b"[1, 2]", "pkg/metadata.json: expected a JSON object"),
        (b"\xff\xfe{}", "pkg/metadata.json: not valid UTF-8 (byte 1)"),
    ],
)
def test_metadata_that_is_not_json_is_refused(text: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        Metadata.from_json(text, source="pkg/metadata.json")
    assert str(caught.value).startswith(message)


def test_read_metadata_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"metadata\.json: cannot be read"):
        read_metadata(tmp_path / "metadata.json")


def test_channel_files_round_trip(tmp_path: Path) -> None:
    info = ChannelInfo(
        version=COMMIT,
        deployed_at=datetime(2026, 2, 1, 8, 0, tzinfo=timezone(timedelta(hours=1))),
        traffic_percentage=10,
        channel=Channel.CANARY,
    )
    write_channel_files(tmp_path, info)
    assert (tmp_path / "version.txt").read_text() == COMMIT + "\n"
    assert (tmp_path / "deployed_at.txt").read_text() == "2026-02-01T07:00:00Z\n"
    assert (tmp_path / "traffic_percentage.txt").read_text() == "10\n"
    assert (tmp_path / "channel.txt").read_text() == "canary\n"
    assert read_channel_files(tmp_path) == info
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "channel.txt",
        "deployed_at.txt",
        "traffic_percentage.txt",
        "version.txt",
    ]


def test_no_channel_files_is_not_a_channel_release(tmp_path: Path) -> None:
    assert read_channel_files(tmp_path) is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("version.txt", "abc\n", "version.txt: not a 40-hex commit SHA"),
        ("traffic_percentage.txt", "ten\n", "traffic_percentage.txt: not a whole percentage"),
        ("traffic_percentage.txt", "101\n", "traffic_percentage.txt: percentage out of 0-100"),
        ("channel.txt", "beta\n", "channel.txt: not 'canary' or 'stable'"),
        ("deployed_at.txt", "soon\n", "deployed_at.txt: not an ISO 8601 timestamp"),
        ("channel.txt", "\n", "channel.txt: expected exactly one non-empty line"),
        ("channel.txt", "stable\ncanary\n", "channel.txt: expected exactly one non-empty line"),
    ],
)
def test_malformed_channel_files_are_refused(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    write_channel_files(tmp_path, ChannelInfo(COMMIT, METADATA.built_at, 100, Channel.STABLE))
    (tmp_path / name).write_text(content)
    with pytest.raises(InputError) as caught:
        read_channel_files(tmp_path)
    assert message in str(caught.value)


def test_a_partial_set_of_channel_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "version.txt").write_text(COMMIT + "\n")
    with pytest.raises(InputError, match=r"channel release is missing deployed_at\.txt"):
        read_channel_files(tmp_path)


def test_writing_refuses_a_version_that_is_not_a_commit(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="version is not a 40-hex commit SHA"):
        write_channel_files(tmp_path, ChannelInfo("v1", METADATA.built_at, 10, Channel.CANARY))
    assert list(tmp_path.iterdir()) == []
