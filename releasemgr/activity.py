"""The local activity log: what this user did and saw, kept as JSON Lines under the data dir.

Approvals, rejections, downloads, verifications, smoke tests and rollbacks are appended one JSON
object per line. Both front ends record into it (the CLI and the window), so it lives in the core
and never imports Qt. A token never reaches the file: detail keys that name a secret are refused
and anything shaped like a GitHub token is redacted before writing.

Writing is safe against crashes and concurrent writers: each event is one ``os.write`` of one
complete line to a file opened with ``O_APPEND``, flushed to disk; a line torn by a crash is
fenced off with a newline so the next event starts clean. Reading skips a corrupt line with a
note naming it instead of failing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FILE_NAME = "activity.jsonl"
# Past this size the file is rotated to ``activity.jsonl.1`` so reading stays quick.
ROTATE_BYTES = 4 * 1024 * 1024

DetailValue = str | int | float | bool | None

# GitHub's token prefixes (classic, OAuth, user-to-server, server-to-server, refresh, fine-grained).
_TOKEN_RE = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{20,})")
# "Bearer xyz" / "token xyz" as found in an Authorization header value.
_AUTH_RE = re.compile(r"\b(?:[Bb]earer|[Tt]oken)\s+[A-Za-z0-9_\-.=]{12,}")
_SECRET_KEY_RE = re.compile(r"token|authorization|password|secret|cookie|credential", re.I)
REDACTED = "[redacted]"


class ActivityKind(StrEnum):
    """What kind of thing the user did or saw."""

    APPROVAL = "approval"
    REJECTION = "rejection"
    DOWNLOAD = "download"
    VERIFICATION = "verification"
    SMOKE_TEST = "smoke_test"
    ROLLBACK = "rollback"

    @property
    def label(self) -> str:
        """The kind as a person reads it in a list."""
        return self.value.replace("_", " ").capitalize()


class Outcome(StrEnum):
    """How it ended."""

    OK = "ok"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ActivityEvent:
    """One line of the activity log.

    Args:
        at: when it happened, timezone-aware UTC.
        kind: approval, rejection, download, ...
        summary: one sentence a person reads in the list ("Downloaded ... to ...").
        outcome: ok, failed or cancelled.
        user: the signed-in login, when known (none when working offline).
        host: the GitHub host, when known.
        repository: ``owner/name``, when known.
        run_id: the workflow run concerned, when there is one.
        details: small extra facts (paths, artifact names, counts); never a secret.
    """

    at: datetime
    kind: ActivityKind
    summary: str
    outcome: Outcome = Outcome.OK
    user: str | None = None
    host: str | None = None
    repository: str | None = None
    run_id: int | None = None
    details: Mapping[str, DetailValue] = field(default_factory=dict, hash=False)

    def to_json(self) -> dict[str, object]:
        """The event as the JSON object written on its line."""
        return {
            "v": SCHEMA_VERSION,
            "at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "kind": self.kind.value,
            "outcome": self.outcome.value,
            "summary": self.summary,
            "user": self.user,
            "host": self.host,
            "repository": self.repository,
            "run_id": self.run_id,
            "details": dict(self.details),
        }

    @classmethod
    def from_json(cls, obj: object) -> ActivityEvent:
        """Parse one line's object; raises ``ValueError`` naming the bad field."""
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
        try:
            at = datetime.fromisoformat(str(obj["at"]).replace("Z", "+00:00"))
        except (KeyError, ValueError) as exc:
            raise ValueError("field 'at' is missing or not a time") from exc
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        try:
            kind = ActivityKind(str(obj.get("kind")))
        except ValueError as exc:
            known = ", ".join(k.value for k in ActivityKind)
            raise ValueError(f"field 'kind' is not one of {known}") from exc
        try:
            outcome = Outcome(str(obj.get("outcome", "ok")))
        except ValueError as exc:
            raise ValueError("field 'outcome' is not ok, failed or cancelled") from exc
        summary = obj.get("summary")
        if not isinstance(summary, str):
            raise ValueError("field 'summary' is missing or not text")
        run_id = obj.get("run_id")
        if run_id is not None and (not isinstance(run_id, int) or isinstance(run_id, bool)):
            raise ValueError("field 'run_id' is not a number")
        details = obj.get("details") or {}
        if not isinstance(details, dict):
            raise ValueError("field 'details' is not an object")
        clean = {
            str(k): v
            for k, v in details.items()
            if isinstance(v, str | int | float | bool) or v is None
        }
        return cls(
            at=at,
            kind=kind,
            summary=summary,
            outcome=outcome,
            user=_opt_str(obj.get("user")),
            host=_opt_str(obj.get("host")),
            repository=_opt_str(obj.get("repository")),
            run_id=run_id,
            details=clean,
        )


@dataclass(frozen=True)
class ActivityReadResult:
    """What reading the log found: the events, oldest first, and notes on lines skipped."""

    events: tuple[ActivityEvent, ...]
    notes: tuple[str, ...] = ()


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where releasemgr keeps local data: ``RELEASEMGR_DATA_DIR`` from ``env`` (a command's own
    environment), else from this process, else the user data dir."""
    override = (env or {}).get("RELEASEMGR_DATA_DIR") or os.environ.get("RELEASEMGR_DATA_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("releasemgr", appauthor=False))


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """The activity log file for this user."""
    return data_dir(env) / FILE_NAME


def redact(text: str) -> str:
    """``text`` with anything shaped like a GitHub token or an Authorization value removed."""
    return _AUTH_RE.sub(REDACTED, _TOKEN_RE.sub(REDACTED, text))


Listener = Callable[[ActivityEvent], None]


class ActivityLog:
    """Appends events to, and reads them back from, one JSON Lines file.

    Safe to share between threads. Listeners are called (on the recording thread) after an event
    is on disk, so a window can refresh its list.

    Args:
        path: the log file; ``default_path()`` when not given.
        clock: the current time, timezone-aware; injectable for tests.
    """

    def __init__(
        self, path: Path | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.path = path if path is not None else default_path()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event)`` after each event this instance records."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``; unknown listeners are ignored."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def record(
        self,
        kind: ActivityKind,
        summary: str,
        *,
        outcome: Outcome = Outcome.OK,
        user: str | None = None,
        host: str | None = None,
        repository: str | None = None,
        run_id: int | None = None,
        details: Mapping[str, DetailValue] | None = None,
    ) -> ActivityEvent | None:
        """Record that something happened now; returns the event, or None if it could not be kept.

        A full disk or unwritable data dir must not turn a good download into a failure, so a
        write error is logged as a warning and the caller carries on.

        Raises:
            ValueError: a detail key names a secret (``token``, ``authorization``, ...).
        """
        event = ActivityEvent(
            at=self._clock(),
            kind=kind,
            summary=summary,
            outcome=outcome,
            user=user,
            host=host,
            repository=repository,
            run_id=run_id,
            details=dict(details or {}),
        )
        return self.append(event)

    def append(self, event: ActivityEvent) -> ActivityEvent | None:
        """Write ``event`` (redacted) as one line; returns what was written, or None on failure."""
        safe = _sanitized(event)
        line = (json.dumps(safe.to_json(), ensure_ascii=False, sort_keys=True) + "\n").encode()
        with self._lock:
            try:
                self._write_line(line)
            except OSError as exc:
                log.warning("could not write the activity log %s: %s", self.path, exc.strerror)
                return None
            listeners = list(self._listeners)
        for listener in listeners:
            listener(safe)
        return safe

    def read(self, *, limit: int | None = None) -> ActivityReadResult:
        """Every readable event, oldest first (the newest ``limit`` when given).

        A missing file is an empty log. A line that is not a valid event is skipped and named in
        ``notes``; an unreadable file is a note too, never an exception.
        """
        events: list[ActivityEvent] = []
        notes: list[str] = []
        for path in (self._rotated_path(), self.path):
            self._read_file(path, events, notes)
        if limit is not None:
            events = events[-limit:] if limit > 0 else []
        return ActivityReadResult(tuple(events), tuple(notes))

    def _rotated_path(self) -> Path:
        return self.path.with_name(self.path.name + ".1")

    def _write_line(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if self.path.stat().st_size >= ROTATE_BYTES:
                self.path.replace(self._rotated_path())
        except FileNotFoundError:
            pass
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path, flags, 0o600)
        try:
            if _ends_without_newline(fd):
                # A previous writer died mid-line; fence it off so this event parses.
                line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    @staticmethod
    def _read_file(path: Path, events: list[ActivityEvent], notes: list[str]) -> None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            notes.append(f"{path}: could not be read ({exc.strerror}); its events are not shown")
            return
        for number, raw in enumerate(data.split(b"\n"), start=1):
            if not raw.strip():
                continue
            try:
                events.append(ActivityEvent.from_json(json.loads(raw.decode("utf-8"))))
            except UnicodeDecodeError:
                notes.append(f"{path} line {number}: not UTF-8 text; skipped")
            except json.JSONDecodeError:
                notes.append(f"{path} line {number}: not valid JSON (a torn write?); skipped")
            except ValueError as exc:
                notes.append(f"{path} line {number}: {exc}; skipped")


def filter_events(
    events: Iterable[ActivityEvent],
    *,
    kinds: Iterable[ActivityKind] | None = None,
    outcome: Outcome | None = None,
    text: str = "",
) -> list[ActivityEvent]:
    """The events of the given kinds and outcome whose text contains ``text`` (any case)."""
    wanted = set(kinds) if kinds is not None else None
    needle = text.strip().casefold()
    out = []
    for event in events:
        if wanted is not None and event.kind not in wanted:
            continue
        if outcome is not None and event.outcome != outcome:
            continue
        if needle and needle not in _haystack(event):
            continue
        out.append(event)
    return out


def _haystack(event: ActivityEvent) -> str:
    parts = [event.summary, event.kind.label, event.user or "", event.repository or ""]
    if event.run_id is not None:
        parts.append(str(event.run_id))
    parts.extend(str(v) for v in event.details.values() if v is not None)
    return " ".join(parts).casefold()


def _sanitized(event: ActivityEvent) -> ActivityEvent:
    for key in event.details:
        if _SECRET_KEY_RE.search(key):
            raise ValueError(f"activity detail {key!r} looks like a secret; it is never recorded")
    details = {k: redact(v) if isinstance(v, str) else v for k, v in event.details.items()}
    return ActivityEvent(
        at=event.at,
        kind=event.kind,
        summary=redact(event.summary),
        outcome=event.outcome,
        user=event.user,
        host=redact(event.host) if event.host else event.host,
        repository=event.repository,
        run_id=event.run_id,
        details=details,
    )


def _ends_without_newline(fd: int) -> bool:
    size = os.fstat(fd).st_size
    if size == 0:
        return False
    # lseek + read rather than pread, which Windows lacks; O_APPEND still sends writes to the end.
    os.lseek(fd, size - 1, os.SEEK_SET)
    return os.read(fd, 1) != b"\n"


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None
