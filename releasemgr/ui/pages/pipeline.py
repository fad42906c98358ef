"""The Pipeline page: recent runs, and the platform x stage grid of the selected run, live."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from releasemgr.model import CellState, JobCell, RunDetail, RunSummary, Stage
from releasemgr.ui import style
from releasemgr.ui.controller import Controller
from releasemgr.ui.pages.runs_model import RunsModel

LIVE_MS = 3_000  # how often a running run's grid is re-read while the page is visible
STAGES: tuple[Stage, ...] = tuple(Stage)


class PipelinePage(QWidget):
    """Where every platform of every run stands; re-run or cancel a run."""

    title = "Pipeline"
    icon_name = "pipeline"

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.detail: RunDetail | None = None
        self.selected_run_id: int | None = None
        self.selected_cell: JobCell | None = None
        self.pending_confirmation: QMessageBox | None = None
        self._first_detail = False  # the newest run's grid is on its way with the runs

        self.runs = RunsModel(self)
        self.runs_view = QTableView()
        self.runs_view.setObjectName("pipeline.runs")
        self.runs_view.setModel(self.runs)
        self.runs_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.runs_view.verticalHeader().setVisible(False)
        self.runs_view.setAlternatingRowColors(True)
        self.runs_view.setShowGrid(False)
        self.runs_view.setWordWrap(False)
        header = self.runs_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for column, width in enumerate(RunsModel.WIDTHS):
            self.runs_view.setColumnWidth(column, width)
        header.setSectionResizeMode(RunsModel.TITLE_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.runs_view.selectionModel().currentRowChanged.connect(self._on_run_selected)

        self.heading = QLabel("Select a run to see its grid.")
        self.heading.setObjectName("pipeline.heading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.open_run_button = QPushButton("Open on GitHub")
        self.open_run_button.clicked.connect(self._open_run)
        self.rerun_button = QPushButton("Re-run failed jobs")
        self.rerun_button.clicked.connect(self.rerun_failed)
        self.cancel_button = QPushButton("Cancel run…")
        self.cancel_button.clicked.connect(self.cancel_run)
        actions = QHBoxLayout()
        actions.addWidget(self.heading, 1)
        for button in (self.open_run_button, self.rerun_button, self.cancel_button):
            actions.addWidget(button)

        self.grid = QTableWidget(0, len(STAGES))
        self.grid.setObjectName("pipeline.grid")
        self.grid.setHorizontalHeaderLabels([s.value.title() for s in STAGES])
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.grid.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.grid.verticalHeader().setDefaultSectionSize(52)
        self.grid.setWordWrap(True)
        self.grid.currentCellChanged.connect(self._on_cell_selected)

        self.cell_title = QLabel()
        self.cell_title.setWordWrap(True)
        self.steps = QListWidget()
        self.steps.setObjectName("pipeline.steps")
        self.log = QPlainTextEdit()
        self.log.setObjectName("pipeline.log")
        self.log.setReadOnly(True)
        self.log.setFont(style.monospace())
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setPlaceholderText("Select a cell to see its steps and the end of its log.")
        self.open_job_button = QPushButton("Open job on GitHub")
        self.open_job_button.clicked.connect(self._open_job)
        self.open_job_button.setEnabled(False)
        self.rerun_job_button = QPushButton("Re-run this job")
        self.rerun_job_button.clicked.connect(self.rerun_job)
        self.rerun_job_button.setEnabled(False)

        cell_box = QWidget()
        cell_layout = QVBoxLayout(cell_box)
        cell_layout.setContentsMargins(0, 0, 0, 0)
        cell_row = QHBoxLayout()
        cell_row.addWidget(self.cell_title, 1)
        cell_row.addWidget(self.rerun_job_button)
        cell_row.addWidget(self.open_job_button)
        cell_layout.addLayout(cell_row)
        inner = QSplitter(Qt.Orientation.Horizontal)
        inner.addWidget(self.steps)
        inner.addWidget(self.log)
        inner.setSizes([260, 640])
        cell_layout.addWidget(inner)

        run_box = QWidget()
        run_layout = QVBoxLayout(run_box)
        run_layout.setContentsMargins(0, 0, 0, 0)
        run_layout.addLayout(actions)
        run_layout.addWidget(self.grid)

        lower = QSplitter(Qt.Orientation.Vertical)
        lower.addWidget(run_box)
        lower.addWidget(cell_box)
        lower.setSizes([170, 200])
        outer = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(self.runs_view)
        outer.addWidget(lower)
        outer.setSizes([280, 400])
        layout = QVBoxLayout(self)
        layout.addWidget(outer)

        self.live = QTimer(self)
        self.live.setObjectName("pipeline.live")
        self.live.setInterval(LIVE_MS)
        self.live.timeout.connect(self._poll_live)

        controller.runs_loaded.connect(self._on_runs)
        controller.run_loaded.connect(self._on_run)
        controller.log_tail_loaded.connect(self._on_log)
        controller.session_changed.connect(self._on_session)
        self._show_detail(None)

    # -- intents -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the runs, and the selected run's grid (the newest run's, at first)."""
        if self.selected_run_id is None:
            self._first_detail = True
            self.controller.load_runs(50, first_detail=True)
            return
        self.controller.load_runs(50)
        self.controller.load_run(self.selected_run_id)

    def poll(self) -> None:
        """The window's timer: like refresh, but never superseding a read still in flight."""
        self.controller.load_runs(50, poll=True)
        if self.selected_run_id is not None:
            self.controller.load_run(self.selected_run_id, poll=True)

    def select_run(self, run_id: int) -> None:
        """Select the run ``run_id`` in the list (it loads its grid)."""
        row = self.runs.row_of(run_id)
        if row is not None:
            self.runs_view.selectRow(row)
            self.runs_view.setCurrentIndex(self.runs.index(row, 0))

    def select_cell(self, platform_row: int, stage: Stage) -> None:
        """Select a grid cell (tests and keyboard users)."""
        self.grid.setCurrentCell(platform_row, STAGES.index(stage))

    def rerun_failed(self) -> None:
        """Re-run the failed jobs of the selected run."""
        if self.detail is not None:
            self.rerun_button.setEnabled(False)
            self.controller.rerun_failed(self.detail.run.id)

    def rerun_job(self) -> None:
        """Re-run the selected cell's job (a failed or cancelled one) in a finished run."""
        cell = self.selected_cell
        if self.detail is None or cell is None or cell.job_id is None:
            return
        self.rerun_job_button.setEnabled(False)
        self.controller.rerun_job(self.detail.run.id, cell.job_id, cell.job_name)

    def cancel_run(self) -> None:
        """Ask to confirm, then cancel the selected run (``pending_confirmation`` holds the box)."""
        if self.detail is None:
            return
        run = self.detail.run
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Cancel run",
            f"Cancel run #{run.number} ({run.short_sha} “{run.title}”)? Jobs still running stop "
            "and nothing after them runs.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
        box.addButton("Cancel run", QMessageBox.ButtonRole.AcceptRole)
        run_id = run.id
        box.accepted.connect(lambda: self.controller.cancel_run(run_id))
        box.finished.connect(lambda _r: setattr(self, "pending_confirmation", None))
        self.pending_confirmation = box
        box.open()

    def _open_run(self) -> None:
        if self.detail is not None and self.detail.run.html_url:
            QDesktopServices.openUrl(QUrl(self.detail.run.html_url))

    def _open_job(self) -> None:
        if self.selected_cell is not None and self.selected_cell.html_url:
            QDesktopServices.openUrl(QUrl(self.selected_cell.html_url))

    def _poll_live(self) -> None:
        if self.selected_run_id is None:
            return  # (hideEvent stops the timer while another page is shown)
        self.controller.load_run(self.selected_run_id, poll=True)
        self.controller.load_runs(50, poll=True)

    # -- answers -------------------------------------------------------------------------------

    def _on_session(self, session: object) -> None:
        self.runs.set_runs([])
        self.selected_run_id = None
        self._show_detail(None)

    def _on_runs(self, runs: list[RunSummary]) -> None:
        keep = self.selected_run_id
        self.runs.set_runs(runs, self.palette())
        row = self.runs.row_of(keep) if keep is not None else None
        if row is None and runs:
            row = 0
        if row is not None:
            blocker = self.runs_view.selectionModel().blockSignals(True)
            self.runs_view.selectRow(row)
            self.runs_view.setCurrentIndex(self.runs.index(row, 0))
            self.runs_view.selectionModel().blockSignals(blocker)
            run_id = self.runs.run_at(row).id
            if run_id != keep:
                self.selected_run_id = run_id
                if not (self._first_detail and row == 0):  # else its grid comes right after
                    self.controller.load_run(run_id)
        self._first_detail = False

    def _on_run_selected(
        self, current: QModelIndex | QPersistentModelIndex, _previous: object
    ) -> None:
        if not current.isValid():
            return
        run = self.runs.run_at(current.row())
        if run.id == self.selected_run_id and self.detail is not None:
            return
        self.selected_run_id = run.id
        self.heading.setText(f"Run #{run.number} · {run.short_sha} · {run.title}")
        self.controller.load_run(run.id)

    def _on_run(self, detail: RunDetail) -> None:
        if detail.run.id != self.selected_run_id:
            return  # another page asked for this run
        self._show_detail(detail)

    def _show_detail(self, detail: RunDetail | None) -> None:
        self.detail = detail
        has = detail is not None
        self.open_run_button.setEnabled(has and bool(detail and detail.run.html_url))
        if detail is None:
            self.grid.setRowCount(0)
            self.heading.setText("Select a run to see its grid.")
            self.rerun_button.setEnabled(False)
            self.cancel_button.setEnabled(False)
            self.live.stop()
            self._show_cell(None)
            return
        run = detail.run
        self.heading.setText(
            f"Run #{run.number} · {run.short_sha} · {run.title} · {run.branch} · {run.actor}"
            f" · {style.label(run.state)}"
        )
        self.rerun_button.setEnabled(run.state in (CellState.FAILURE, CellState.CANCELLED))
        self.cancel_button.setEnabled(not run.state.finished)
        if run.state.finished:
            self.live.stop()
        elif not self.live.isActive():
            self.live.start()
        self._fill_grid(detail)

    def _fill_grid(self, detail: RunDetail) -> None:
        keep_row, keep_col = self.grid.currentRow(), self.grid.currentColumn()
        palette = self.palette()
        self.grid.blockSignals(True)
        if self.grid.rowCount() != len(detail.platforms):
            self.grid.setRowCount(len(detail.platforms))
        labels = [style.platform_name(p) for p in detail.platforms]
        for row, label in enumerate(labels):
            header = self.grid.verticalHeaderItem(row)
            if header is None or header.text() != label:
                self.grid.setVerticalHeaderItem(row, QTableWidgetItem(label))
        self._fit_grid()
        for row, platform in enumerate(detail.platforms):
            for col, stage in enumerate(STAGES):
                cell = detail.cell(platform, stage)
                text = style.label(cell.state)
                took = style.duration(self._seconds(cell))
                shown = f"{text}\n{took}" if took else text
                item = self.grid.item(row, col)
                if (
                    item is not None
                    and item.text() == shown
                    and item.data(Qt.ItemDataRole.UserRole) == cell
                ):
                    continue  # unchanged: leave it, so a poll repaints nothing here
                item = QTableWidgetItem(shown)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(style.background(cell.state, palette))
                item.setToolTip(cell.job_name or f"No {stage.value} job yet")
                item.setData(Qt.ItemDataRole.UserRole, cell)
                self.grid.setItem(row, col, item)
        self.grid.blockSignals(False)
        if keep_row >= 0 and keep_col >= 0 and keep_row < self.grid.rowCount():
            self.grid.setCurrentCell(keep_row, keep_col)
            self._on_cell_selected(keep_row, keep_col, -1, -1)
        else:
            self._show_cell(self._interesting_cell(detail))

    def _fit_grid(self) -> None:
        """Make the grid exactly as tall as its rows, so no empty band shows under them."""
        height = self.grid.horizontalHeader().sizeHint().height() + 2 * self.grid.frameWidth()
        height += sum(self.grid.rowHeight(r) for r in range(self.grid.rowCount()))
        height = max(height, 60)
        if self.grid.height() != height or self.grid.minimumHeight() != height:
            self.grid.setFixedHeight(height)

    def _seconds(self, cell: JobCell) -> float | None:
        """How long the cell's job ran, or has been running (against the newest known time)."""
        if cell.started_at is None:
            return None
        if cell.completed_at is not None or cell.state.finished:
            return cell.duration_seconds
        return max(0.0, (self._reference_time() - cell.started_at).total_seconds())

    def _reference_time(self) -> datetime:
        """Now, or the newest time the data mentions if that is later (a clock running ahead)."""
        times = [datetime.now(UTC)]
        if self.detail is not None:
            times.append(self.detail.run.updated_at)
            for c in self.detail.cells:
                times.extend(t for t in (c.started_at, c.completed_at) if t is not None)
                for step in c.steps:
                    times.extend(t for t in (step.started_at, step.completed_at) if t is not None)
        return max(times)

    def _interesting_cell(self, detail: RunDetail) -> JobCell | None:
        """The cell a person looks at first: a failure, else what runs or waits."""
        for wanted in (CellState.FAILURE, CellState.RUNNING, CellState.WAITING):
            for cell in detail.cells:
                if cell.state == wanted:
                    return cell
        return None

    def _on_cell_selected(self, row: int, col: int, _prev_row: int, _prev_col: int) -> None:
        item = self.grid.item(row, col) if row >= 0 and col >= 0 else None
        cell = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self._show_cell(cell if isinstance(cell, JobCell) else None)

    def _show_cell(self, cell: JobCell | None) -> None:
        previous = self.selected_cell
        self.selected_cell = cell
        self.open_job_button.setEnabled(bool(cell and cell.html_url))
        run_done = self.detail is not None and self.detail.run.state.finished
        self.rerun_job_button.setEnabled(
            bool(cell and cell.job_id is not None and run_done)
            and cell is not None
            and cell.state in (CellState.FAILURE, CellState.CANCELLED)
        )
        if cell is None:
            self.steps.clear()
            self.cell_title.setText("")
            self.log.clear()
            return
        title = cell.job_name or f"{cell.platform.value} {cell.stage.value}"
        took = style.duration(self._seconds(cell))
        self.cell_title.setText(
            f"{title} — {style.label(cell.state)}" + (f", {took}" if took else "")
        )
        if cell == previous and self.steps.count() == len(cell.steps):
            return  # a poll brought the same job: its steps and log are already shown
        self.steps.clear()
        self.cell_title.setText(
            f"{title} — {style.label(cell.state)}" + (f", {took}" if took else "")
        )
        for step in cell.steps:
            seconds = (
                (step.completed_at - step.started_at).total_seconds()
                if step.started_at and step.completed_at
                else None
            )
            text = f"{style.GLYPHS.get(step.state.value, '')} {step.name}"
            if seconds is not None:
                text += f"  ({style.duration(seconds)})"
            item = QListWidgetItem(text)
            item.setForeground(style.foreground(step.state, self.palette()))
            self.steps.addItem(item)
        same_job = previous is not None and previous.job_id == cell.job_id
        finished_now = cell.state.finished and not (
            same_job and previous and previous.state.finished
        )
        if cell.job_id is None:
            self.log.setPlainText("No job has run here yet.")
        elif cell.state == CellState.WAITING:
            self.log.setPlainText("This job waits for approval: see the Approvals page.")
        elif not cell.state.finished:
            # GitHub serves a job's log once the job has finished; the steps show progress.
            started = cell.state == CellState.RUNNING
            self.log.setPlainText(
                "The log is available when the job finishes; the steps show where it is."
                if started
                else "This job has not started yet."
            )
        elif finished_now or not same_job:
            self.log.setPlainText("Loading the log…")
            self.controller.load_log_tail(cell.job_id)

    def _on_log(self, job_id: int, text: str) -> None:
        if self.selected_cell is not None and self.selected_cell.job_id == job_id:
            self.log.setPlainText(text)
            bar = self.log.verticalScrollBar()
            bar.setValue(bar.maximum())

    # -- visibility ----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Resume live updates when the page comes back."""
        super().showEvent(event)
        if self.detail is not None and not self.detail.run.state.finished:
            self.live.start()

    def hideEvent(self, event: QHideEvent) -> None:
        """Pause live updates while another page is shown."""
        super().hideEvent(event)
        self.live.stop()

    def shutdown(self) -> None:
        """Stop the live timer before the window closes."""
        self.live.stop()
