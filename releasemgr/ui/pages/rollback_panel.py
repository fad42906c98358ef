"""The Releases page's rollback panel: pick an earlier production release, confirm, see the run.

The release before the current one is chosen by default; the confirmation says exactly what will
happen; the run the dispatch started is shown with a link, and the rollback goes to the activity
log. The page feeds it each new board and passes its signals on.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from releasemgr.activity import ActivityKind
from releasemgr.model import Release, ReleaseBoard, RunSummary
from releasemgr.ui import style
from releasemgr.ui.confirm import ConfirmDialog
from releasemgr.ui.controller import Controller
from releasemgr.ui.pages.activity import ActivityRecorder
from releasemgr.ui.pages.releases_logic import rollback_targets, rollback_text

ROLLBACK_HELP = (
    "Restores an earlier production release: a new run re-verifies and republishes it, after "
    "two people approve at the production gates. The release before the current one is chosen "
    "by default."
)


class RollbackPanel(QGroupBox):
    """Choose, confirm and start a production rollback.

    Signals:
        started(object): the :class:`~releasemgr.model.RunSummary` the rollback started.
        failed(str): why the rollback was not started, as a sentence.
    """

    started = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        controller: Controller,
        recorder: ActivityRecorder,
        open_url: Callable[[QUrl], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Roll back production", parent)
        self._controller = controller
        self._recorder = recorder
        self.board: ReleaseBoard | None = None
        self.pending_confirmation: ConfirmDialog | None = None
        self.last_run: RunSummary | None = None

        self.combo = QComboBox()
        self.combo.setObjectName("releases.rollback_target")
        self.button = QPushButton("Roll back…")
        self.button.setObjectName("releases.rollback")
        self.button.clicked.connect(lambda _checked=False: self.rollback())
        self.label = QLabel(ROLLBACK_HELP)
        self.label.setObjectName("releases.rollback_run")
        self.label.setWordWrap(True)
        self.label.setOpenExternalLinks(False)
        self.label.linkActivated.connect(lambda url: open_url(QUrl(url)))

        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Restore"))
        row.addWidget(self.combo, 1)
        row.addWidget(self.button)
        layout.addLayout(row)
        layout.addWidget(self.label)
        layout.addStretch(1)

    def show_board(self, board: ReleaseBoard) -> None:
        """List the releases ``board`` can roll back to, keeping the user's pick across polls."""
        self.board = board
        keep = self.combo.currentData()
        self.combo.clear()
        default = board.previous_production_run()
        for release in rollback_targets(board):
            expired = " — expired, cannot be restored" if release.artifact.expired else ""
            self.combo.addItem(
                f"{release.version} ({release.short_commit}), run #{release.run_number}{expired}",
                release.run_id,
            )
            self.combo.setItemData(
                self.combo.count() - 1,
                f"Deployed {style.age(release.deployed_at)}",
                Qt.ItemDataRole.ToolTipRole,
            )
        pick = keep if keep is not None else default
        index = self.combo.findData(pick) if pick is not None else -1
        self.combo.setCurrentIndex(index if index >= 0 else 0)
        has = self.combo.count() > 0
        self.combo.setEnabled(has)
        self.button.setEnabled(has)
        if not has:
            self.combo.addItem("No earlier production release to restore", None)

    def rollback(self) -> None:
        """Ask to confirm a rollback to the chosen run; the dialog is ``pending_confirmation``."""
        board = self.board
        target = self.combo.currentData()
        release = (
            next((r for r in rollback_targets(board) if r.run_id == target), None)
            if board
            else None
        )
        if board is None or release is None:
            return
        dialog = ConfirmDialog(
            f"Roll production back to {release.version}?",
            rollback_text(board, release),
            f"Roll back to run #{release.run_number}",
            lambda: self._start(release),
            self,
            destructive=True,
        )
        dialog.finished.connect(lambda _r: setattr(self, "pending_confirmation", None))
        self.pending_confirmation = dialog
        dialog.open()

    def _start(self, release: Release) -> None:
        self.button.setEnabled(False)
        self.label.setText(f"Starting the rollback to run #{release.run_number}…")
        run_id = release.run_id
        self._controller.call(
            "releases.rollback",
            lambda svc, _ctx: svc.rollback(run_id),
            lambda run: self._started(release, run),
            self._not_started,
            read=False,
        )

    def _started(self, release: Release, run: RunSummary) -> None:
        self.last_run = run
        self.button.setEnabled(True)
        link = f' <a href="{run.html_url}">Open run #{run.number}</a>' if run.html_url else ""
        self.label.setText(
            f"Rollback to {release.version} ({release.short_commit}) started as run "
            f"#{run.number} “{run.title}” on {run.branch}: {style.label(run.state)}. "
            f"It waits at the production gates for two approvals (see Approvals).{link}"
        )
        self._recorder.record(
            ActivityKind.ROLLBACK,
            f"Rolled production back to {release.version} ({release.short_commit}) of run "
            f"#{release.run_number}; started run #{run.number}",
            run_id=run.id,
            details={"target_run_id": release.run_id, "started_run_id": run.id},
        )
        self._controller.notice.emit(f"Rollback started as run #{run.number}.")
        self.started.emit(run)

    def _not_started(self, message: str) -> None:
        self.button.setEnabled(self.combo.count() > 0)
        self.label.setText(f"The rollback was not started. {message}")
        self.failed.emit(message)
