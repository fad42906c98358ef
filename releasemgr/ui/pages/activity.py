"""The Activity page: the local activity log as a filterable list, and the recorder pages share.

The log itself is :mod:`releasemgr.activity` (Qt-free, also used by the CLI). This module adds
an :class:`ActivityRecorder` per controller: it writes events on the thread pool (never on the GUI
thread), records what the controller reports through ``action_done`` (approvals, rejections, ...),
and announces each new event by signal so the page updates without re-reading the file.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from releasemgr.activity import (
    ActivityEvent,
    ActivityKind,
    ActivityLog,
    ActivityReadResult,
    DetailValue,
    Outcome,
    filter_events,
)
from releasemgr.ui.controller import Controller
from releasemgr.ui.tablemodel import RowsModel, named
from releasemgr.ui.tasks import TaskContext

# How many of the newest events the page reads; older ones stay in the file.
READ_LIMIT = 5000

# Controller ``action_done`` kinds that belong in the activity log.
_ACTION_KINDS = {
    "approve": ActivityKind.APPROVAL,
    "reject": ActivityKind.REJECTION,
    "rollback": ActivityKind.ROLLBACK,
}


class ActivityRecorder(QObject):
    """Records activity for one window, off the GUI thread.

    Signals:
        recorded(object): an :class:`~releasemgr.activity.ActivityEvent` now on disk.
    """

    recorded = Signal(object)

    def __init__(self, controller: Controller, log: ActivityLog | None = None) -> None:
        super().__init__(controller)
        self._controller = controller
        self.log = log or ActivityLog()
        self._ids = itertools.count(1)
        controller.action_done.connect(self._on_action_done)

    def record(
        self,
        kind: ActivityKind,
        summary: str,
        *,
        outcome: Outcome = Outcome.OK,
        run_id: int | None = None,
        details: Mapping[str, DetailValue] | None = None,
    ) -> None:
        """Append an event on the pool, stamped with the signed-in user, host and repository."""
        who = self.who()

        log = self.log
        # Stamped now, on the GUI thread: writes on the pool may land in any order, and the
        # list sorts by this time.
        event = ActivityEvent(
            at=datetime.now(UTC),
            kind=kind,
            summary=summary,
            outcome=outcome,
            run_id=run_id,
            details=dict(details or {}),
            **who,
        )

        def write(_ctx: TaskContext) -> ActivityEvent | None:
            return log.append(event)

        # A unique key: recording never supersedes an earlier recording. The event comes back
        # through the task runner, so ``recorded`` is emitted on the GUI thread.
        self._controller.run_local(f"activity.record.{next(self._ids)}", write, self._announce)

    def _announce(self, event: ActivityEvent | None) -> None:
        if event is not None:
            self.recorded.emit(event)

    def who(self) -> dict[str, str | None]:
        """The session fields an event carries (all None while signed out)."""
        session = self._controller.session
        if session is None:
            return {"user": None, "host": None, "repository": None}
        return {"user": session.login, "host": session.host, "repository": session.repository}

    def _on_action_done(self, verb: str, summary: str, payload: object) -> None:
        kind = _ACTION_KINDS.get(verb)
        if kind is None:
            return
        run_id = getattr(payload, "run_id", None)
        details: dict[str, DetailValue] = {}
        for name in ("stage", "environments", "comment", "state"):
            value = getattr(payload, name, None)
            if isinstance(value, tuple):
                value = ", ".join(str(v) for v in value)
            if value is not None:
                details[name] = str(value)
        self.record(
            kind, summary, run_id=run_id if isinstance(run_id, int) else None, details=details
        )


_recorders: weakref.WeakKeyDictionary[Controller, ActivityRecorder] = weakref.WeakKeyDictionary()


def recorder_for(controller: Controller) -> ActivityRecorder:
    """The one recorder of ``controller``'s window (made on first use)."""
    recorder = _recorders.get(controller)
    if recorder is None:
        recorder = ActivityRecorder(controller)
        _recorders[controller] = recorder
    return recorder


@dataclass(frozen=True)
class _Column:
    title: str
    width: int


_COLUMNS = (
    _Column("When", 140),
    _Column("What", 110),
    _Column("Outcome", 90),
    _Column("Summary", 420),
    _Column("Run", 110),
    _Column("User", 100),
)


class ActivityModel(RowsModel):
    """Events as table rows, newest first."""

    HEADERS = tuple(column.title for column in _COLUMNS)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ActivityEvent] = []

    def set_events(self, events: Sequence[ActivityEvent]) -> None:
        """Show ``events`` (any order; shown newest first)."""
        self.beginResetModel()
        self._rows = sorted(events, key=lambda e: e.at, reverse=True)
        self.endResetModel()

    def event_at(self, row: int) -> ActivityEvent:
        """The event shown on ``row``."""
        return self._rows[row]

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        event = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell_text(event, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(event)
        if role == Qt.ItemDataRole.UserRole:
            return event
        return None


def _cell_text(event: ActivityEvent, column: int) -> str:
    if column == 0:
        return event.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if column == 1:
        return event.kind.label
    if column == 2:
        return event.outcome.value.capitalize()
    if column == 3:
        return event.summary
    if column == 4:
        return str(event.run_id) if event.run_id is not None else ""
    return event.user or ""


def _tooltip(event: ActivityEvent) -> str:
    lines = [event.summary]
    if event.repository:
        lines.append(f"Repository: {event.repository}")
    if event.host:
        lines.append(f"Host: {event.host}")
    lines.extend(f"{key}: {value}" for key, value in sorted(event.details.items()))
    return "\n".join(lines)


class ActivityPage(QWidget):
    """What this user did and saw, newest first, filterable by kind, outcome and text."""

    title = "Activity"
    icon_name = "activity"
    needs_session = False

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page.activity")
        self._controller = controller
        self._recorder = recorder_for(controller)
        self._rows: list[ActivityEvent] = []

        self.kind_filter = named(QComboBox(), "activity.kind")
        self.kind_filter.addItem("All kinds", None)
        for kind in ActivityKind:
            self.kind_filter.addItem(kind.label, kind.value)
        self.outcome_filter = named(QComboBox(), "activity.outcome")
        self.outcome_filter.addItem("Any outcome", None)
        for outcome in Outcome:
            self.outcome_filter.addItem(outcome.value.capitalize(), outcome.value)
        self.search = named(QLineEdit(), "activity.search")
        self.search.setPlaceholderText("Filter by text, run, artifact, user…")
        self.search.setClearButtonEnabled(True)
        self.count_label = named(QLabel(), "activity.count")

        self.model = ActivityModel(self)
        self.table = named(QTableView(), "activity.table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for i, column in enumerate(_COLUMNS):
            header.resizeSection(i, column.width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

        self.empty_label = named(QLabel(), "activity.empty")
        self.empty_label.setWordWrap(True)
        self.notes_label = named(QLabel(), "activity.notes")
        self.notes_label.setWordWrap(True)
        self.notes_label.setVisible(False)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.kind_filter)
        bar.addWidget(self.outcome_filter)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.notes_label)

        self.kind_filter.currentIndexChanged.connect(self._apply_filter)
        self.outcome_filter.currentIndexChanged.connect(self._apply_filter)
        self.search.textChanged.connect(self._apply_filter)
        self._recorder.recorded.connect(self._on_recorded)
        self._apply_filter()

    def refresh(self) -> None:
        """Re-read the log file on the pool; the list updates when it has been read."""
        log = self._recorder.log
        self._controller.run_local(
            "activity.read",
            lambda _ctx: log.read(limit=READ_LIMIT),
            self._on_loaded,
            self._on_error,
        )

    def shown_events(self) -> list[ActivityEvent]:
        """The events the table shows now, newest first."""
        return [self.model.event_at(row) for row in range(self.model.rowCount())]

    def _on_loaded(self, result: ActivityReadResult) -> None:
        self._rows = list(result.events)
        if result.notes:
            more = f" (and {len(result.notes) - 3} more)" if len(result.notes) > 3 else ""
            self.notes_label.setText(
                "Some lines of the activity log could not be read and are not shown: "
                + "; ".join(result.notes[:3])
                + more
            )
        self.notes_label.setVisible(bool(result.notes))
        self._apply_filter()

    def _on_error(self, message: str) -> None:
        self.notes_label.setText(f"The activity log could not be read. {message}")
        self.notes_label.setVisible(True)

    def _on_recorded(self, event: object) -> None:
        if isinstance(event, ActivityEvent):
            self._rows.append(event)
            self._apply_filter()

    def _apply_filter(self) -> None:
        # Qt hands enum data back as plain strings; turn them into the enums again.
        kind_value = self.kind_filter.currentData()
        outcome_value = self.outcome_filter.currentData()
        kind = ActivityKind(kind_value) if kind_value else None
        outcome = Outcome(outcome_value) if outcome_value else None
        shown = filter_events(
            self._rows,
            kinds=[kind] if kind is not None else None,
            outcome=outcome,
            text=self.search.text(),
        )
        self.model.set_events(shown)
        total = len(self._rows)
        self.count_label.setText(
            f"{len(shown)} of {total}" if len(shown) != total else _plural(total, "event")
        )
        if total == 0:
            self.empty_label.setText(
                "Nothing yet. Approvals, rejections, downloads, verifications, smoke tests and "
                "rollbacks you do in releasemgr appear here, kept on this computer only."
            )
        elif not shown:
            self.empty_label.setText("No event matches the filter.")
        self.empty_label.setVisible(not shown)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
