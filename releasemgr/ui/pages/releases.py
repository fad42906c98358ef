"""The Releases page: channel x platform board, history, local checks, and rollback.

QA picks a release, downloads it (progress, cancel, and a retry that reuses what is already
verified), verifies it, smoke-tests it (the report is shown and kept beside the download) and
opens its folder. The release manager rolls production back to an earlier release after a
confirmation that says exactly what will happen, and sees the run it started.

Every core call runs on the pool through the controller; this widget only shows answers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QElapsedTimer, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from releasemgr.activity import ActivityKind, Outcome, data_dir
from releasemgr.config import Config
from releasemgr.model import Channel, Platform, Release, ReleaseBoard, RunSummary
from releasemgr.ui import style
from releasemgr.ui.confirm import ConfirmDialog
from releasemgr.ui.controller import Controller
from releasemgr.ui.pages import releases_logic as work
from releasemgr.ui.pages.activity import recorder_for
from releasemgr.ui.pages.releases_logic import (
    CHANNEL_LABELS,
    LocalState,
    expires_text,
    release_label,
)
from releasemgr.ui.pages.rollback_panel import RollbackPanel
from releasemgr.ui.pages.verify import VerifyOutcome, describe
from releasemgr.ui.tasks import TaskContext

CHANNELS: tuple[Channel, ...] = (Channel.STABLE, Channel.CANARY)
BOARD_HEADERS = (
    "Channel",
    "Platform",
    "Version",
    "Commit",
    "Run",
    "Deployed",
    "Traffic",
    "Expires",
)
TEXT_EVERY_MS = 250  # how often the progress sentence may change while downloading
HISTORY_HEADERS = ("Channel", "Platform", "Version", "Commit", "Run", "Deployed", "Expires")


def _item(text: str, data: Any = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    return item


def _table(headers: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    # Columns are sized once per fill (ResizeToContents would measure every row on every
    # layout pass, which a download's progress text triggers several times a second).
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    return table


def _size_columns(table: QTableWidget) -> None:
    # Every column but the last, which stretches (sizing it too would stop the stretch).
    for column in range(table.columnCount() - 1):
        table.resizeColumnToContents(column)


class ReleasesPage(QWidget):
    """Current releases per channel and platform, their history, local checks and rollback.

    Signals:
        board_loaded(object): the :class:`~releasemgr.model.ReleaseBoard` now shown.
        downloaded(object): the folder (``Path``) a download left, verified.
        verified(object): a :class:`~releasemgr.ui.pages.verify.VerifyOutcome`.
        smoke_tested(object): the core's ``SmokeReport``.
        rollback_started(object): the :class:`~releasemgr.model.RunSummary` a rollback started.
        failed(str): a sentence saying what could not be done and what to do.
    """

    title = "Releases"
    icon_name = "releases"

    board_loaded = Signal(object)
    downloaded = Signal(object)
    verified = Signal(object)
    smoke_tested = Signal(object)
    rollback_started = Signal(object)
    failed = Signal(str)

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page.releases")
        self._controller = controller
        self._recorder = recorder_for(controller)
        self.board: ReleaseBoard | None = None
        self.selected: Release | None = None
        self.local: dict[int, LocalState] = {}  # artifact id -> what was done with it here
        self.download_dir: Path = data_dir() / "downloads"
        self.downloading: Release | None = None
        self.open_url = QDesktopServices.openUrl  # injectable: tests record instead of opening
        self._text_clock = QElapsedTimer()

        self.board_table = _table(BOARD_HEADERS, "releases.board")
        self.history_table = _table(HISTORY_HEADERS, "releases.history")
        self.empty_label = QLabel()
        self.empty_label.setObjectName("releases.empty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setVisible(False)

        self.selected_label = QLabel("Select a release above.")
        self.selected_label.setObjectName("releases.selected")
        self.selected_label.setWordWrap(True)
        self.download_button = self._button("Download", "releases.download", self.download)
        self.cancel_button = self._button(
            "Cancel download", "releases.cancel", self.cancel_download
        )
        self.verify_button = self._button("Verify", "releases.verify", self.verify)
        self.smoke_button = self._button("Smoke test", "releases.smoke", self.smoke_test)
        self.open_button = self._button("Open folder", "releases.open", self.open_folder)
        self.progress = QProgressBar()
        self.progress.setObjectName("releases.progress")
        self.progress.setRange(0, 1000)
        self.status_label = QLabel()
        self.status_label.setObjectName("releases.status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_view = QPlainTextEdit()
        self.report_view.setObjectName("releases.report")
        self.report_view.setReadOnly(True)
        self.report_view.setPlaceholderText("The smoke test report appears here.")
        self.report_view.setFont(style.monospace())

        self.rollback_panel = RollbackPanel(
            controller, self._recorder, lambda url: self.open_url(url), self
        )
        self.rollback_panel.started.connect(self._rolled_back)
        self.rollback_panel.failed.connect(self.failed.emit)
        # The panel's widgets under the names the page has always had (tests and shortcuts).
        self.rollback_combo = self.rollback_panel.combo
        self.rollback_button = self.rollback_panel.button
        self.rollback_label = self.rollback_panel.label

        actions = QHBoxLayout()
        for button in (
            self.download_button,
            self.cancel_button,
            self.verify_button,
            self.smoke_button,
            self.open_button,
        ):
            actions.addWidget(button)
        actions.addWidget(self.progress, 1)
        local_box = QGroupBox("Selected release")
        local = QVBoxLayout(local_box)
        local.addWidget(self.selected_label)
        local.addLayout(actions)
        local.addWidget(self.status_label)
        local.addWidget(self.report_view, 1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(QLabel("Current releases"))
        top_layout.addWidget(self.board_table)
        top_layout.addWidget(self.empty_label)
        top_layout.addWidget(QLabel("History"))
        top_layout.addWidget(self.history_table, 1)
        bottom = QWidget()
        bottom_layout = QHBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(local_box, 3)
        bottom_layout.addWidget(self.rollback_panel, 2)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self.board_table.itemSelectionChanged.connect(lambda: self._picked(self.board_table))
        self.history_table.itemSelectionChanged.connect(lambda: self._picked(self.history_table))
        self._update_actions()

    def _button(self, text: str, name: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # -- intents -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Ask for the release board; the newest request wins."""
        self._controller.call(
            "releases.board", lambda svc, _ctx: svc.releases(), self.show_board, self._fail
        )

    def select(self, release: Release) -> None:
        """Make ``release`` the one the actions apply to."""
        self.selected = release
        self._show_selected()

    def download(self) -> None:
        """Download, check and extract the selected release on the pool."""
        release = self.selected
        if release is None or self.downloading is not None:
            return
        self.downloading = release
        target = self.download_dir
        self.status_label.setText(f"Downloading {release.artifact.name}…")
        self.progress.setValue(0)

        def run(svc: Any, ctx: TaskContext) -> Path:
            return work.download(svc, release, target, ctx)

        self._controller.call(
            "releases.download",
            run,
            lambda folder: self._downloaded(release, folder),
            lambda message: self._download_failed(release, message),
            self._on_progress,
            read=False,
        )
        self._update_actions()

    def cancel_download(self) -> None:
        """Stop the download in progress; nothing of it is left on disk."""
        release = self.downloading
        if release is None:
            return
        self._controller.cancel("releases.download")
        self.downloading = None
        self.progress.setValue(0)
        self.status_label.setText(
            f"Download of {release.artifact.name} cancelled; nothing was kept. "
            "Download again to start over."
        )
        self._record(ActivityKind.DOWNLOAD, release, Outcome.CANCELLED, "Cancelled downloading")
        self._update_actions()

    def verify(self) -> None:
        """Verify the selected release's downloaded folder against its checksums."""
        release, state = self._selected_local()
        if release is None or state.folder is None:
            return
        folder = state.folder
        self.status_label.setText(f"Verifying {folder}…")
        self._controller.run_local(
            "releases.verify",
            lambda ctx: work.verify(folder, ctx),
            lambda outcome: self._verified(release, outcome),
            lambda message: self._local_failed(ActivityKind.VERIFICATION, release, message),
            self._on_progress,
        )

    def smoke_test(self) -> None:
        """Run the smoke checks against the selected release's executable."""
        release, state = self._selected_local()
        if release is None or state.folder is None:
            return
        folder = state.folder
        service = self._controller.service
        settings = service.config if service is not None else Config()
        checks, timeout = tuple(settings.smoke_checks), float(settings.smoke_timeout)
        self.status_label.setText(f"Smoke testing {release.artifact.name}…")
        self.smoke_button.setEnabled(False)
        self._controller.run_local(
            "releases.smoke",
            lambda ctx: work.smoke(folder, ctx, checks, timeout),
            lambda answer: self._smoked(release, answer),
            lambda message: self._local_failed(ActivityKind.SMOKE_TEST, release, message),
        )

    def open_folder(self) -> None:
        """Open the selected release's download folder in the file manager."""
        _release, state = self._selected_local()
        if state.folder is not None:
            self.open_url(QUrl.fromLocalFile(str(state.folder)))

    def rollback(self) -> None:
        """Ask to confirm a rollback to the chosen run; the dialog is ``pending_confirmation``."""
        self.rollback_panel.rollback()

    @property
    def pending_confirmation(self) -> ConfirmDialog | None:
        """The rollback confirmation waiting for an answer, if one is open."""
        return self.rollback_panel.pending_confirmation

    @property
    def last_rollback(self) -> RunSummary | None:
        """The run the last rollback from this page started."""
        return self.rollback_panel.last_run

    def prepare_screenshot(self) -> None:
        """Download, verify and smoke-test the selected release, so a picture shows them done."""
        if self.selected is None or self.downloading is not None:
            return

        def then_verify(_folder: object) -> None:
            self.downloaded.disconnect(then_verify)
            self.verify()

        def then_smoke(_outcome: object) -> None:
            self.verified.disconnect(then_smoke)
            self.smoke_test()

        self.downloaded.connect(then_verify)
        self.verified.connect(then_smoke)
        self.download()

    def shutdown(self) -> None:
        """Cancel a download in progress before the window closes (its files are removed)."""
        if self.downloading is not None:
            self._controller.cancel("releases.download")
            self.downloading = None

    # -- answers -------------------------------------------------------------------------------

    def show_board(self, board: ReleaseBoard) -> None:
        """Fill the board, the history and the rollback targets from ``board``."""
        self.board = board
        now = datetime.now(UTC)
        order = list(Platform)
        platforms = sorted(
            {r.platform for r in board.history} | {p for _, p in board.current}, key=order.index
        )
        rows = [(c, p) for c in CHANNELS for p in platforms]
        self.board_table.setRowCount(len(rows))
        for i, (channel, platform) in enumerate(rows):
            release = board.current_for(channel, platform)
            cells = [CHANNEL_LABELS[channel], platform.value]
            if release is None:
                cells += ["—", "", "", "", "", ""]
            else:
                cells += [
                    release.version,
                    release.short_commit,
                    f"#{release.run_number}",
                    style.age(release.deployed_at, now),
                    f"{release.traffic_percentage}%",
                    expires_text(release, now),
                ]
            for j, text in enumerate(cells):
                self.board_table.setItem(i, j, _item(text, release))
        _size_columns(self.board_table)
        self._fit_height(self.board_table)
        self.history_table.setRowCount(len(board.history))
        for i, release in enumerate(board.history):
            cells = [
                CHANNEL_LABELS[release.channel],
                release.platform.value,
                release.version,
                release.short_commit,
                f"#{release.run_number}",
                style.age(release.deployed_at, now),
                expires_text(release, now),
            ]
            for j, text in enumerate(cells):
                self.history_table.setItem(i, j, _item(text, release))
        _size_columns(self.history_table)
        self.empty_label.setText(
            "No canary or production release is listed yet. Releases appear once a run has "
            "passed its canary gate."
        )
        self.empty_label.setVisible(not board.history)
        self.rollback_panel.show_board(board)
        if self.selected is not None:
            same = [r for r in board.history if r.artifact.id == self.selected.artifact.id]
            self.selected = same[0] if same else None
        if self.selected is None and rows and board.current_for(*rows[0]) is not None:
            self.board_table.selectRow(0)  # the current production release of the first platform
        elif self.selected is not None:
            self._highlight(self.selected)  # a poll refilled the tables: keep the row marked
        self._show_selected()
        self.board_loaded.emit(board)

    def _highlight(self, release: Release) -> None:
        for table in (self.board_table, self.history_table):
            for row in range(table.rowCount()):
                item = table.item(row, 0)
                shown = item.data(Qt.ItemDataRole.UserRole) if item else None
                if isinstance(shown, Release) and shown.artifact.id == release.artifact.id:
                    table.blockSignals(True)
                    table.selectRow(row)
                    table.blockSignals(False)
                    return

    @staticmethod
    def _fit_height(table: QTableWidget) -> None:
        # The board has a handful of rows: show them all and give the rest to the history.
        rows = sum(table.rowHeight(i) for i in range(table.rowCount()))
        frame = 2 * table.frameWidth()
        table.setFixedHeight(table.horizontalHeader().height() + rows + frame + 2)

    def _picked(self, table: QTableWidget) -> None:
        items = table.selectedItems()
        release = items[0].data(Qt.ItemDataRole.UserRole) if items else None
        if isinstance(release, Release):
            other = self.history_table if table is self.board_table else self.board_table
            other.blockSignals(True)
            other.clearSelection()
            other.blockSignals(False)
            self.select(release)

    def _on_progress(self, done: int, total: int) -> None:
        if total <= 0:
            return
        value = int(1000 * min(done, total) / total)
        if value != self.progress.value():
            self.progress.setValue(value)
        # Text changes re-lay out the page; a few times a second is plenty to read.
        if self.downloading is not None and (
            not self._text_clock.isValid() or self._text_clock.elapsed() >= TEXT_EVERY_MS
        ):
            self._text_clock.start()
            self.status_label.setText(
                f"Downloading {self.downloading.artifact.name}: "
                f"{done / 2**20:.0f} of {total / 2**20:.0f} MiB"
            )

    def _downloaded(self, release: Release, folder: Path) -> None:
        self.downloading = None
        self.progress.setValue(1000)
        state = self.local.get(release.artifact.id, LocalState())
        self.local[release.artifact.id] = replace(state, folder=folder)
        self.status_label.setText(
            f"Downloaded and checked {release.artifact.name} into {folder}. "
            "Its digest and checksums.txt matched."
        )
        self._record(
            ActivityKind.DOWNLOAD, release, Outcome.OK, f"Downloaded to {folder}", folder=folder
        )
        self._show_selected()
        self.downloaded.emit(folder)

    def _download_failed(self, release: Release, message: str) -> None:
        self.downloading = None
        self.progress.setValue(0)
        text = f"Could not download {release.artifact.name}. {message}"
        self.status_label.setText(text)
        self._record(ActivityKind.DOWNLOAD, release, Outcome.FAILED, f"Download failed: {message}")
        self._update_actions()
        self.failed.emit(text)

    def _verified(self, release: Release, outcome: VerifyOutcome) -> None:
        state = self.local.get(release.artifact.id, LocalState())
        self.local[release.artifact.id] = replace(state, verified=outcome)
        self.status_label.setText(describe(outcome))
        self._record(
            ActivityKind.VERIFICATION,
            release,
            Outcome.OK if outcome.ok else Outcome.FAILED,
            describe(outcome),
            folder=outcome.path,
        )
        self._show_selected()
        self.verified.emit(outcome)

    def _smoked(self, release: Release, answer: tuple[Any, Path | None]) -> None:
        report, saved = answer
        state = self.local.get(release.artifact.id, LocalState())
        self.local[release.artifact.id] = replace(state, smoke=report, smoke_path=saved)
        kept = f" The report is kept at {saved}." if saved else ""
        self.status_label.setText(f"{report.summary()}.{kept}")
        self._record(
            ActivityKind.SMOKE_TEST,
            release,
            Outcome.OK if report.passed else Outcome.FAILED,
            report.summary(),
            folder=saved,
        )
        self._show_selected()
        self.smoke_tested.emit(report)

    def _local_failed(self, kind: ActivityKind, release: Release, message: str) -> None:
        verb = "verify" if kind is ActivityKind.VERIFICATION else "smoke test"
        text = f"Could not {verb} {release.artifact.name}. {message}"
        self.status_label.setText(text)
        self._record(kind, release, Outcome.FAILED, text)
        self._update_actions()
        self.failed.emit(text)

    def _rolled_back(self, run: RunSummary) -> None:
        self.rollback_started.emit(run)
        self.refresh()

    def _fail(self, message: str) -> None:
        self.empty_label.setText(f"The releases could not be loaded. {message}")
        self.empty_label.setVisible(True)

    # -- helpers -------------------------------------------------------------------------------

    def _selected_local(self) -> tuple[Release | None, LocalState]:
        release = self.selected
        if release is None:
            return None, LocalState()
        return release, self.local.get(release.artifact.id, LocalState())

    def _show_selected(self) -> None:
        release, state = self._selected_local()
        if release is None:
            self.selected_label.setText("Select a release above to download and check it.")
            self.report_view.clear()
        else:
            parts = [release_label(release)]
            if release.artifact.size_in_bytes:
                parts.append(work.human_size(release.artifact.size_in_bytes))
            tip = [f"Artifact {release.artifact.name}"]
            if state.folder is not None:
                parts.append("downloaded")
                tip.append(f"Downloaded to {state.folder}")
            self.selected_label.setToolTip("\n".join(tip))
            if state.verified is not None:
                parts.append("verified" if state.verified.ok else "FAILED verification")
            if state.smoke is not None:
                parts.append("smoke test passed" if state.smoke.passed else "smoke test FAILED")
            self.selected_label.setText(" · ".join(parts))
            self.report_view.setPlainText(work.smoke_text(state.smoke) if state.smoke else "")
        self._update_actions()

    def _update_actions(self) -> None:
        release, state = self._selected_local()
        busy = self.downloading is not None
        have = state.folder is not None
        self.download_button.setEnabled(release is not None and not busy)
        self.download_button.setText("Download again" if have else "Download")
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy or self.progress.value() > 0)
        self.verify_button.setEnabled(have)
        self.smoke_button.setEnabled(have)
        self.open_button.setEnabled(have)

    def _record(
        self,
        kind: ActivityKind,
        release: Release,
        outcome: Outcome,
        text: str,
        *,
        folder: Path | None = None,
    ) -> None:
        details: dict[str, str | int] = {
            "artifact": release.artifact.name,
            "channel": release.channel.value,
            "platform": release.platform.value,
            "version": release.version,
        }
        if folder is not None:
            details["path"] = str(folder)
        self._recorder.record(
            kind,
            f"{text} — {release_label(release)}",
            outcome=outcome,
            run_id=release.run_id,
            details=details,
        )
