"""A table model over a list of runs: number, status, title, commit, branch, actor, age."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QPalette

from releasemgr.model import RunSummary
from releasemgr.ui import style
from releasemgr.ui.tablemodel import AnyIndex, RowsModel


class RunsModel(RowsModel):
    """Runs as rows, newest first; the run itself is under ``Qt.UserRole``."""

    HEADERS = ("Run", "Status", "Title", "Commit", "Branch", "Actor", "Started", "Duration")
    WIDTHS = (64, 170, 320, 76, 120, 110, 100, 80)
    TITLE_COLUMN = 2

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RunSummary] = []
        self._texts: list[tuple[str, ...]] = []  # computed once per update, not per paint
        self._colors: dict[str, QColor] = {}
        self._now = datetime.now(UTC)
        self._palette = QPalette()

    def set_runs(self, runs: list[RunSummary], palette: QPalette | None = None) -> None:
        """Replace the rows.

        When the same runs are listed in the same order (a poll), only rows whose run changed
        are updated, so the view keeps its selection and scroll and repaints little; otherwise
        the model is reset.
        """
        if palette is not None:
            self._palette = palette
            self._colors = {}
        self._now = datetime.now(UTC)
        runs = list(runs)
        texts = [tuple(self._text(run, c) for c in range(len(self.HEADERS))) for run in runs]
        if [r.id for r in runs] != [r.id for r in self._rows]:
            self.beginResetModel()
            self._rows, self._texts = runs, texts
            self.endResetModel()
            return
        old, self._rows, self._texts = self._rows, runs, texts
        last = len(self.HEADERS) - 1
        for row, (before, after) in enumerate(zip(old, runs, strict=True)):
            if before != after or not after.state.finished:  # running rows' durations grow
                self.dataChanged.emit(self.index(row, 0), self.index(row, last))

    def run_at(self, row: int) -> RunSummary:
        """The run shown in ``row``."""
        return self._rows[row]

    def row_of(self, run_id: int) -> int | None:
        """The row showing ``run_id``, if it is listed."""
        for row, run in enumerate(self._rows):
            if run.id == run_id:
                return row
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """What a cell shows."""
        if not index.isValid():
            return None
        run = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[index.row()][column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            color = self._colors.get(run.state.value)
            if color is None:
                color = self._colors[run.state.value] = style.foreground(run.state, self._palette)
            return color
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 2:
                return run.title
            if column == 3:
                return run.head_sha
            if column == 6:
                return run.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        if role == Qt.ItemDataRole.UserRole:
            return run
        return None

    def _text(self, run: RunSummary, column: int) -> str:
        if column == 0:
            return f"#{run.number}"
        if column == 1:
            return style.label(run.state)
        if column == 2:
            return run.title
        if column == 3:
            return run.short_sha
        if column == 4:
            return run.branch
        if column == 5:
            return run.actor
        if column == 6:
            return style.age(run.created_at, self._now)
        if run.state.finished:
            return style.duration(run.duration_seconds)
        # Still going: count to now (or to the newest update, if a clock runs ahead of ours).
        start = run.started_at or run.created_at
        return style.duration(max(0.0, (max(self._now, run.updated_at) - start).total_seconds()))
