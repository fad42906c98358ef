"""The Verify page: drop or choose a release folder or ``.zip`` and see every file's verdict.

Verification is :func:`releasemgr.release.verify.verify_path`, run offline on the thread pool
(no session, no network, no token), with progress and cancel. The table lists failing files
first; the report can be saved as JSON on request. Each verification goes to the activity log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from releasemgr.activity import ActivityKind, Outcome, data_dir
from releasemgr.ui.controller import Controller
from releasemgr.ui.pages.activity import recorder_for
from releasemgr.ui.pages.insights import is_dark
from releasemgr.ui.tablemodel import RowsModel, named
from releasemgr.ui.tasks import TaskContext

# Failing verdicts first, in the order a person should look at them.
VERDICT_ORDER = ("unsafe", "mismatch", "missing", "extra", "error", "ok")
_VERDICT_COLOURS = {  # (light, dark)
    "ok": ("#1a7f37", "#3fb950"),
    "extra": ("#9a6700", "#d29922"),
}
_BAD_COLOURS = ("#cf222e", "#f85149")


@dataclass(frozen=True)
class FileRow:
    """One row of the verdict table."""

    verdict: str
    path: str
    detail: str


@dataclass(frozen=True)
class VerifyOutcome:
    """A finished verification as the page shows it (built on the worker, not the GUI thread)."""

    path: Path
    ok: bool
    summary: str
    rows: tuple[FileRow, ...]  # failing first
    counts: dict[str, int]
    report: Any  # the core's VerifyReport, kept for saving

    @property
    def problems(self) -> tuple[FileRow, ...]:
        """The rows whose verdict is not ok."""
        return tuple(r for r in self.rows if r.verdict != "ok")


def verify_for_page(
    path: Path, cancel: Any, progress: Callable[[int, int], None] | None
) -> VerifyOutcome:
    """Run the core verification of ``path`` and shape the answer for the table (worker side)."""
    from releasemgr.release.verify import verify_path

    report = verify_path(path, progress=progress, cancel=cancel)
    return outcome_of(path, report)


def outcome_of(path: Path, report: Any) -> VerifyOutcome:
    """The page's view of a core ``VerifyReport``: rows sorted failing first, counts, summary."""
    rows = [
        FileRow(
            verdict=str(getattr(f.verdict, "value", f.verdict)),
            path=str(f.path),
            detail=str(getattr(f, "detail", "") or ""),
        )
        for f in report.files
    ]
    rows.extend(FileRow("error", "(package)", str(p)) for p in getattr(report, "problems", ()))
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    rows.sort(key=lambda r: (rank.get(r.verdict, 0), r.path))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.verdict] = counts.get(row.verdict, 0) + 1
    ok = bool(report.ok)
    summary_fn = getattr(report, "summary", None)
    summary = str(summary_fn()) if callable(summary_fn) else ""
    return VerifyOutcome(path, ok, summary, tuple(rows), counts, report)


def describe(outcome: VerifyOutcome) -> str:
    """The headline sentence for ``outcome``."""
    ok_files = outcome.counts.get("ok", 0)
    if outcome.ok:
        return f"Verified: all {ok_files} files match checksums.txt ({outcome.path.name})."
    parts = [f"{n} {v}" for v in VERDICT_ORDER if v != "ok" and (n := outcome.counts.get(v, 0))]
    first = outcome.problems[0] if outcome.problems else None
    where = f" First: {first.path} — {first.detail or first.verdict}." if first else ""
    return f"Verification failed ({', '.join(parts)}) in {outcome.path.name}.{where}"


def report_json(outcome: VerifyOutcome) -> str:
    """The report as JSON text to save: the core's own JSON when it has one."""
    to_json = getattr(outcome.report, "to_json", None)
    if callable(to_json):
        text = to_json()
        return text if isinstance(text, str) else json.dumps(text, indent=2) + "\n"
    data = {
        "path": str(outcome.path),
        "ok": outcome.ok,
        "files": [r.__dict__ for r in outcome.rows],
    }
    return json.dumps(data, indent=2) + "\n"


def save_report(outcome: VerifyOutcome, target: Path) -> Path:
    """Write the report to ``target`` via a temporary file beside it (worker side)."""
    tmp = target.with_name(f".{target.name}.part")
    tmp.write_text(report_json(outcome), encoding="utf-8")
    tmp.replace(target)
    return target


def tampered_sample(folder: Path) -> Path:
    """A small release ``.zip`` with one file altered after packaging (worker side).

    Used to show the page at work (``releasemgr demo --screenshot``): the verdicts name the
    altered file. Written under ``folder``, replacing an earlier sample.
    """
    import shutil
    import zipfile

    from releasemgr.release.package import write_package

    app = "ZyraVideoAgentBackend"
    root = folder / "sample-package"
    shutil.rmtree(root, ignore_errors=True)
    files = {
        f"{app}/{app}.exe": b"MZ stand-in executable\n" * 64,
        f"{app}/_internal/base_library.zip": b"PK stand-in library\n" * 256,
        f"{app}/_internal/python311.dll": b"stand-in runtime\n" * 512,
        f"{app}/_internal/certifi/cacert.pem": b"-----BEGIN CERTIFICATE-----\n" * 32,
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    write_package(root, app=app, platform="windows", version="1.8.28", commit="5904b39" + "0" * 33)
    target = folder / f"{app}-windows-tampered.zip"
    altered = f"{app}/_internal/python311.dll"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            data = path.read_bytes()
            zf.writestr(rel, data.replace(b"runtime", b"RUNTIME") if rel == altered else data)
    shutil.rmtree(root, ignore_errors=True)
    return target


_HEADERS = ("Verdict", "File", "Details")


class VerdictModel(RowsModel):
    """File verdicts as rows; can hide the ok ones."""

    HEADERS = _HEADERS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: tuple[FileRow, ...] = ()
        self._rows: tuple[FileRow, ...] = ()  # what is shown
        self._show_ok = True
        self._dark = False

    def set_rows(self, rows: Sequence[FileRow]) -> None:
        """Show ``rows`` (already sorted failing first)."""
        self.beginResetModel()
        self._all = tuple(rows)
        self._rows = self._all if self._show_ok else tuple(r for r in rows if r.verdict != "ok")
        self.endResetModel()

    def set_show_ok(self, show: bool) -> None:
        """Show or hide the files that verified."""
        self._show_ok = show
        self.set_rows(self._all)

    def set_dark(self, dark: bool) -> None:
        """Pick verdict colours for a dark (or light) theme."""
        self._dark = dark
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def row(self, index: int) -> FileRow:
        """The row shown at ``index``."""
        return self._rows[index]

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row.verdict, row.path, row.detail)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            pair = _VERDICT_COLOURS.get(row.verdict, _BAD_COLOURS)
            return QColor(pair[1] if self._dark else pair[0])
        return None


class DropZone(QFrame):
    """Accepts one dropped local folder or file and says so.

    Signals:
        dropped(str): the local path that was dropped.
    """

    dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verify.drop")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(90)
        label = QLabel(
            "Drop a release folder or its .zip here to check it against its checksums.txt.\n"
            "Works offline: nothing is sent anywhere and no sign-in is needed."
        )
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)

    @staticmethod
    def local_path(event: QDragEnterEvent | QDropEvent) -> str | None:
        """The single local path an event carries, if it carries exactly one."""
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        urls = [u for u in mime.urls() if u.isLocalFile()]
        return urls[0].toLocalFile() if len(urls) == 1 == len(mime.urls()) else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.local_path(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self.local_path(event)
        if path:
            event.acceptProposedAction()
            self.dropped.emit(path)


class VerifyPage(QWidget):
    """Offline verification of a folder or ``.zip``, with per-file verdicts and a saved report.

    Signals:
        finished(object): the :class:`VerifyOutcome` of a verification that ran to the end.
        failed(str): a sentence saying why a verification could not run (unreadable input, ...).
    """

    title = "Verify"
    icon_name = "verify"
    needs_session = False

    finished = Signal(object)
    failed = Signal(str)

    TASK_KEY = "verify.run"

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page.verify")
        self._controller = controller
        self._recorder = recorder_for(controller)
        self.outcome: VerifyOutcome | None = None
        self._running: Path | None = None
        # Injectable so tests need no modal dialog: return a path, or "" when cancelled.
        self.choose_folder: Callable[[], str] = lambda: QFileDialog.getExistingDirectory(
            self, "Choose a release folder"
        )
        self.choose_zip: Callable[[], str] = lambda: QFileDialog.getOpenFileName(
            self, "Choose a release .zip", "", "Zip archives (*.zip);;All files (*)"
        )[0]
        self.choose_save: Callable[[str], str] = lambda suggested: QFileDialog.getSaveFileName(
            self, "Save the verification report", suggested, "JSON (*.json)"
        )[0]

        self.drop_zone = DropZone()
        self.folder_button = named(QPushButton("Choose folder…"), "verify.choose_folder")
        self.zip_button = named(QPushButton("Choose .zip…"), "verify.choose_zip")
        self.cancel_button = named(QPushButton("Cancel"), "verify.cancel")
        self.save_button = named(QPushButton("Save report…"), "verify.save")
        self.progress = named(QProgressBar(), "verify.progress")
        self.status_label = named(QLabel("Nothing verified yet."), "verify.status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_ok = named(QCheckBox("Show files that verified"), "verify.show_ok")
        self.show_ok.setChecked(True)
        self.model = VerdictModel(self)
        self.table = named(QTableView(), "verify.table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.resizeSection(0, 90)
        header.resizeSection(1, 420)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        buttons = QHBoxLayout()
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.zip_button)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.cancel_button)
        footer = QHBoxLayout()
        footer.addWidget(self.show_ok)
        footer.addStretch(1)
        footer.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.drop_zone)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(footer)

        self.drop_zone.dropped.connect(self.verify)
        self.folder_button.clicked.connect(lambda: self._chosen(self.choose_folder()))
        self.zip_button.clicked.connect(lambda: self._chosen(self.choose_zip()))
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button.clicked.connect(self.save)
        self.show_ok.toggled.connect(self.model.set_show_ok)
        self._set_running(False)
        self.model.set_dark(is_dark(self.palette()))

    def refresh(self) -> None:
        """Nothing to fetch: the page shows the last verification until a new one starts."""

    def verify(self, path: str | Path) -> None:
        """Verify ``path`` (a package folder or ``.zip``) on the pool; a new request wins."""
        target = Path(path)
        self._running = target
        self.outcome = None
        self.model.set_rows(())
        self.status_label.setText(f"Verifying {target}…")
        self._colour_status(None)
        self._set_running(True)
        self.progress.setRange(0, 0)

        def work(ctx: TaskContext) -> VerifyOutcome:
            return verify_for_page(target, ctx.cancelled, ctx.progress)

        self._controller.run_local(
            self.TASK_KEY, work, self._on_done, self._on_failed, self._on_progress
        )

    def cancel(self) -> None:
        """Stop the verification in progress."""
        if self._running is None:
            return
        self._controller.cancel(self.TASK_KEY)
        self.status_label.setText(f"Cancelled verifying {self._running}.")
        self._record(self._running, Outcome.CANCELLED, f"Cancelled verifying {self._running}")
        self._running = None
        self._set_running(False)

    def save(self) -> None:
        """Ask where to save the report, then write it as JSON on the pool."""
        outcome = self.outcome
        if outcome is None:
            return
        chosen = self.choose_save(f"{outcome.path.name}.verify.json")
        if not chosen:
            return
        target = Path(chosen)
        self._controller.run_local(
            "verify.save",
            lambda _ctx: save_report(outcome, target),
            lambda saved: self.status_label.setText(
                f"{describe(outcome)} Report saved to {saved}."
            ),
            lambda message: self.status_label.setText(f"The report was not saved. {message}"),
        )

    def prepare_screenshot(self) -> None:
        """Verify a sample with one altered file, so a picture of the page shows verdicts."""
        folder = data_dir() / "samples"
        self._controller.run_local(
            "verify.sample", lambda _ctx: tampered_sample(folder), self.verify, self._on_failed
        )

    def shutdown(self) -> None:
        """Stop any verification before the window closes."""
        self._controller.cancel(self.TASK_KEY)

    def changeEvent(self, event: Any) -> None:
        from PySide6.QtCore import QEvent

        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.model.set_dark(is_dark(self.palette()))
        super().changeEvent(event)

    def _colour_status(self, ok: bool | None) -> None:
        if ok is None:
            self.status_label.setStyleSheet("")
            return
        pair = _VERDICT_COLOURS["ok"] if ok else _BAD_COLOURS
        colour = pair[1] if is_dark(self.palette()) else pair[0]
        self.status_label.setStyleSheet(f"color: {colour}; font-weight: bold;")

    def _chosen(self, path: str) -> None:
        if path:
            self.verify(path)

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(done, total) / total))

    def _on_done(self, outcome: VerifyOutcome) -> None:
        self._running = None
        self._set_running(False)
        self.outcome = outcome
        self.model.set_rows(outcome.rows)
        self.status_label.setText(describe(outcome))
        self._colour_status(outcome.ok)
        self.save_button.setEnabled(True)
        details: dict[str, str | int] = {"path": str(outcome.path)}
        details.update({k: v for k, v in outcome.counts.items()})
        if outcome.problems:
            details["first_problem"] = outcome.problems[0].path
        self._record(
            outcome.path,
            Outcome.OK if outcome.ok else Outcome.FAILED,
            describe(outcome),
            details,
        )
        self.finished.emit(outcome)

    def _on_failed(self, message: str) -> None:
        target = self._running
        self._running = None
        self._set_running(False)
        text = f"Could not verify {target}. {message}" if target else message
        self.status_label.setText(text)
        self._colour_status(False)
        if target is not None:
            self._record(target, Outcome.FAILED, text)
        self.failed.emit(text)

    def _record(
        self,
        path: Path,
        outcome: Outcome,
        summary: str,
        details: dict[str, str | int] | None = None,
    ) -> None:
        self._recorder.record(
            ActivityKind.VERIFICATION,
            summary,
            outcome=outcome,
            details=details or {"path": str(path)},
        )

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.save_button.setEnabled(not running and self.outcome is not None)
        if not running:
            self.progress.setRange(0, 1000)
            self.progress.setValue(0)
