"""The Approvals page: every gate waiting across runs, approved or rejected deliberately.

Gates of one run and stage form one row (canary-windows and canary-macos together), so both
platforms are approved in one action and one POST. A decision needs a comment and a
confirmation that says exactly what will happen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from releasemgr.model import CellState, Platform, Stage
from releasemgr.ui import style
from releasemgr.ui.confirm import ConfirmDialog
from releasemgr.ui.controller import Controller, Session, WaitingGates
from releasemgr.ui.pages.gates import (
    GateGroup,
    describe_decision,
    group_gates,
    names,
    platform_names,
    short_reason,
)


class ApprovalsPage(QWidget):
    """Every gate waiting; approve or reject with a comment and a confirmation.

    Signals:
        badge_changed(int): how many gate groups the signed-in user may decide now.
        notify_requested(str, str): ``(title, text)`` when something new waits for the user.
    """

    title = "Approvals"
    icon_name = "approvals"
    badge_changed = Signal(int)
    notify_requested = Signal(str, str)

    HEADERS = (
        "Run",
        "Gate",
        "Commit",
        "Waiting",
        "Wait timer",
        "Reviewers",
        "Approvals",
        "Canary monitoring",
        "You",
    )

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.groups: list[GateGroup] = []
        self.pending_confirmation: ConfirmDialog | None = None
        self._seen: set[tuple[int, str, tuple[str, ...]]] | None = None  # None: first load
        self._login = controller.session.login if controller.session else ""

        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setObjectName("approvals.table")
        self.table.setHorizontalHeaderLabels(list(self.HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(lambda *_: self._show_selected())
        self.empty = QLabel("Nothing is waiting for approval.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("approvals.empty")

        self.heading = QLabel()
        self.heading.setObjectName("approvals.heading")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self.platform_boxes: dict[Platform, QCheckBox] = {}
        self.platform_row = QHBoxLayout()
        self.platform_row.addWidget(QLabel("Platforms:"))
        for platform in (Platform.WINDOWS, Platform.MACOS, Platform.LINUX):
            box = QCheckBox(platform_names((platform,)))
            box.setChecked(True)
            box.setVisible(False)
            self.platform_boxes[platform] = box
            self.platform_row.addWidget(box)
        self.platform_row.addStretch(1)
        self.comment = QPlainTextEdit()
        self.comment.setObjectName("approvals.comment")
        self.comment.setPlaceholderText(
            "Comment (required): why you approve or reject; it is kept in the run's history."
        )
        self.comment.setMaximumHeight(80)
        self.reason = QLabel()
        self.reason.setObjectName("approvals.reason")
        self.reason.setWordWrap(True)
        self.approve_button = QPushButton("Approve…")
        self.approve_button.setObjectName("approvals.approve")
        self.approve_button.setToolTip("Approve the selected gates (Ctrl+Shift+A)")
        self.approve_button.clicked.connect(lambda: self.ask(approve=True))
        self.reject_button = QPushButton("Reject…")
        self.reject_button.setObjectName("approvals.reject")
        self.reject_button.clicked.connect(lambda: self.ask(approve=False))
        buttons = QHBoxLayout()
        buttons.addWidget(self.reason, 1)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.approve_button)

        detail = QWidget()
        column = QVBoxLayout(detail)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.heading)
        column.addWidget(self.facts)
        column.addLayout(self.platform_row)
        column.addWidget(self.comment)
        column.addLayout(buttons)
        column.addStretch(1)
        self.detail = detail

        upper = QWidget()
        upper_box = QVBoxLayout(upper)
        upper_box.setContentsMargins(0, 0, 0, 0)
        upper_box.addWidget(self.table)
        upper_box.addWidget(self.empty)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(detail)
        split.setSizes([180, 420])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        controller.gates_loaded.connect(self._on_gates)
        controller.session_changed.connect(self._on_session)
        controller.gate_decided.connect(self._on_decided)
        self._render()

    # -- intents -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read every waiting gate."""
        self.controller.load_gates()

    def poll(self) -> None:
        """The window's timer: re-read the gates unless a read is still in flight."""
        self.controller.load_gates(poll=True)

    def selected(self) -> GateGroup | None:
        """The group selected in the table."""
        row = self.table.currentRow()
        return self.groups[row] if 0 <= row < len(self.groups) else None

    def select(self, run_id: int, stage: Stage) -> bool:
        """Select the gates of ``run_id`` at ``stage``; False when none wait."""
        for row, group in enumerate(self.groups):
            if group.run.id == run_id and group.stage == stage:
                self.table.setCurrentCell(row, 0)
                return True
        return False

    def chosen_platforms(self) -> tuple[Platform, ...]:
        """The platforms ticked for the selected group."""
        group = self.selected()
        if group is None:
            return ()
        return tuple(p for p in group.platforms if self.platform_boxes[p].isChecked())

    def approve_selected(self) -> None:
        """The approve shortcut: confirm an approval of the selection."""
        self.ask(approve=True)

    def ask(self, approve: bool) -> ConfirmDialog | None:
        """Open the confirmation for approving or rejecting the selection (non-blocking).

        Returns the dialog (also kept in ``pending_confirmation``), or None when something is
        missing; then ``reason`` says what.
        """
        group = self.selected()
        if group is None:
            self.reason.setText("Select a gate first.")
            return None
        if not group.may_approve:
            self.reason.setText(group.reason or "")
            return None
        comment = self.comment.toPlainText().strip()
        if not comment:
            self.reason.setText("Write a comment first: it is recorded with your decision.")
            self.comment.setFocus()
            return None
        platforms = self.chosen_platforms()
        if group.platforms and not platforms:
            self.reason.setText("Tick at least one platform.")
            return None
        text = describe_decision(group, approve, platforms, comment, self._login)
        run_id, stage = group.run.id, group.stage
        all_platforms = set(platforms) == set(group.platforms)
        send = None if all_platforms else platforms

        def confirmed() -> None:
            self.approve_button.setEnabled(False)
            self.reject_button.setEnabled(False)
            self.reason.setText("Sending…")
            self.controller.decide(run_id, stage, approve, comment, send, on_error=self._failed)

        title = "Approve" if approve else "Reject"
        dialog = ConfirmDialog(
            f"{title} {group.stage.value}",
            text,
            title,
            confirmed,
            self,
            destructive=not approve or group.stage == Stage.PRODUCTION,
        )
        dialog.finished.connect(lambda _r: setattr(self, "pending_confirmation", None))
        self.pending_confirmation = dialog
        dialog.open()
        return dialog

    # -- answers -------------------------------------------------------------------------------

    def _on_session(self, session: Session | None) -> None:
        self._login = session.login if session else ""
        self.groups = []
        self._seen = None
        self._render()
        self.badge_changed.emit(0)

    def _on_gates(self, waiting: WaitingGates) -> None:
        keep = self.selected()
        groups = group_gates(waiting)
        if groups == self.groups and self._seen is not None:
            return  # a poll where nothing changed: leave the table (and what is typed) alone
        self.groups = groups
        mine = [g for g in self.groups if g.may_approve]
        self.badge_changed.emit(len(mine))
        keys = {g.key for g in mine}
        if self._seen is not None:
            new = [g for g in mine if g.key not in self._seen]
            if new:
                first = new[0]
                more = f" and {len(new) - 1} more" if len(new) > 1 else ""
                self.notify_requested.emit(
                    "Waiting for your approval",
                    f"{names(list(first.environments))} of run #{first.run.number}{more}",
                )
        self._seen = keys if self._seen is None else self._seen | keys
        self._render(keep.key if keep else None)

    def _on_decided(self, _decision: object) -> None:
        self.comment.clear()

    def _failed(self, message: str) -> None:
        self.reason.setText(message)
        self._show_selected()
        self.reason.setText(message)

    # -- drawing -------------------------------------------------------------------------------

    def _render(self, keep: tuple[int, str, tuple[str, ...]] | None = None) -> None:
        palette = self.palette()
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.groups))
        select_row = 0
        for row, group in enumerate(self.groups):
            if keep is not None and group.key == keep:
                select_row = row
            have, need = group.progress
            run = group.run
            waiting_since = min(
                (g.waiting_since for g in group.gates if g.waiting_since), default=None
            )
            timer = max(g.wait_timer_minutes for g in group.gates)
            values = [
                f"#{run.number}",
                ", ".join(group.environments),
                run.short_sha,
                style.age(waiting_since or run.updated_at).replace(" ago", ""),
                f"{timer} min" if timer else "none",
                ", ".join(group.reviewers),
                f"{have} of {need}",
                self._monitoring_text(group),
                short_reason(group.reason),
            ]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col == 8:
                    state = "success" if group.may_approve else "skipped"
                    item.setForeground(style.foreground(state, palette))
                    item.setToolTip(group.reason or "You are a reviewer of these gates")
                if col == 7 and group.monitoring is not None:
                    item.setForeground(style.foreground(group.monitoring, palette))
                if col == 2:
                    item.setToolTip(f"{run.head_sha}\n{run.title}")
                elif col in (1, 5):
                    item.setToolTip(value)  # the column may be too narrow for every name
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        has = bool(self.groups)
        self.table.setVisible(has)
        self.empty.setVisible(not has)
        self.detail.setEnabled(has)
        if has:
            self.table.setCurrentCell(select_row, 0)
        self._show_selected()

    def _monitoring_text(self, group: GateGroup) -> str:
        if group.stage != Stage.PRODUCTION:
            return "—"
        state = group.monitoring
        if state is None:
            return "unknown"
        if state == CellState.SUCCESS:
            return "✓ healthy"
        if state == CellState.FAILURE:
            return "✗ not healthy"
        return style.label(state)

    def _show_selected(self) -> None:
        group = self.selected()
        for box in self.platform_boxes.values():
            box.setVisible(False)
        if group is None:
            self.heading.setText("Nothing is selected.")
            self.facts.clear()
            self.reason.clear()
            self.approve_button.setEnabled(False)
            self.reject_button.setEnabled(False)
            return
        run = group.run
        have, need = group.progress
        what = "Production sign-off" if group.is_signoff else f"{group.stage.value.title()}"
        self.heading.setText(
            f"{what} of run #{run.number}: {run.title} ({run.short_sha}, {run.branch})"
        )
        facts = [
            f"Waiting: {', '.join(group.environments)}.",
            f"Started by {run.actor}. Approvals: {have} of {need}"
            + (f" (so far: {', '.join(group.approved_by)})." if group.approved_by else "."),
            f"Reviewers: {', '.join(group.reviewers) or 'none listed'}.",
        ]
        if group.stage == Stage.PRODUCTION:
            facts.append(f"Canary monitoring: {self._monitoring_text(group)}.")
        self.facts.setText("\n".join(facts))
        for platform in group.platforms:
            self.platform_boxes[platform].setVisible(True)
            self.platform_boxes[platform].setEnabled(group.may_approve)
        self.approve_button.setEnabled(group.may_approve)
        self.reject_button.setEnabled(group.may_approve)
        self.comment.setEnabled(group.may_approve)
        reason = (group.reason or "").rstrip(".")
        self.reason.setText("" if group.may_approve else f"{reason}.")
