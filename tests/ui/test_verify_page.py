"""The Verify page checks a folder or .zip offline and shows which file is wrong."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from pytestqt.qtbot import QtBot

from releasemgr.activity import ActivityKind, ActivityLog, Outcome
from releasemgr.release.package import write_package
from releasemgr.ui.controller import Controller
from releasemgr.ui.pages.verify import VerifyOutcome, VerifyPage

APP = "ZyraVideoAgentBackend"


@pytest.fixture
def controller() -> Iterator[Controller]:
    ctl = Controller()
    yield ctl
    assert ctl.shutdown(10_000)


@pytest.fixture
def page(qtbot: QtBot, controller: Controller) -> VerifyPage:
    widget = VerifyPage(controller)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    return widget


def make_package(root: Path) -> dict[str, bytes]:
    """A small package written by the real packager: the onedir folder, checksums, metadata."""
    files = {
        f"{APP}/{APP}": b"#!/bin/sh\necho stand-in\n",
        f"{APP}/_internal/base_library.zip": b"PK-not-really" * 100,
        f"{APP}/_internal/lib/libpython3.11.so": bytes(range(256)) * 64,
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    write_package(root, app=APP, platform="windows", version="1.9.3", commit="a" * 40)
    return files


def zip_of(root: Path, target: Path, replace: dict[str, bytes] | None = None) -> Path:
    """Zip ``root`` as GitHub serves an artifact; ``replace`` swaps members' bytes (tampering)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            data = (replace or {}).get(rel, path.read_bytes())
            zf.writestr(rel, data)
    return target


def _verify(qtbot: QtBot, page: VerifyPage, path: Path) -> VerifyOutcome:
    with qtbot.waitSignal(page.finished, timeout=20_000) as blocker:
        page.verify(path)
    outcome = blocker.args[0]
    assert isinstance(outcome, VerifyOutcome)
    return outcome


def test_a_good_folder_verifies_and_is_logged(
    qtbot: QtBot, page: VerifyPage, tmp_path: Path
) -> None:
    make_package(tmp_path / "pkg")
    outcome = _verify(qtbot, page, tmp_path / "pkg")
    assert outcome.ok
    assert (
        page.status_label.text().startswith("Verified: all 4 files")
        or "Verified" in page.status_label.text()
    )
    assert page.model.rowCount() >= 3
    assert {page.model.row(i).verdict for i in range(page.model.rowCount())} == {"ok"}
    assert page.save_button.isEnabled()
    qtbot.waitUntil(lambda: len(ActivityLog().read().events) == 1)
    event = ActivityLog().read().events[0]
    assert event.kind is ActivityKind.VERIFICATION
    assert event.outcome is Outcome.OK


def test_a_tampered_zip_names_the_wrong_file_first(
    qtbot: QtBot, page: VerifyPage, tmp_path: Path
) -> None:
    make_package(tmp_path / "pkg")
    bad = f"{APP}/_internal/lib/libpython3.11.so"
    archive = zip_of(tmp_path / "pkg", tmp_path / "Zyra-windows.zip", {bad: b"evil" * 10})
    outcome = _verify(qtbot, page, archive)
    assert not outcome.ok
    first = page.model.row(0)
    assert (first.verdict, first.path) == ("mismatch", bad)
    assert bad in page.status_label.text()
    assert "failed" in page.status_label.text().lower()
    page.show_ok.setChecked(False)
    assert [page.model.row(i).path for i in range(page.model.rowCount())] == [bad]
    qtbot.waitUntil(lambda: len(ActivityLog().read().events) == 1)
    assert ActivityLog().read().events[0].outcome is Outcome.FAILED


def test_missing_and_extra_files_are_reported(
    qtbot: QtBot, page: VerifyPage, tmp_path: Path
) -> None:
    make_package(tmp_path / "pkg")
    (tmp_path / "pkg" / APP / f"{APP}").unlink()
    (tmp_path / "pkg" / APP / "dropped-in.dll").write_bytes(b"x")
    outcome = _verify(qtbot, page, tmp_path / "pkg")
    verdicts = {r.path: r.verdict for r in outcome.rows}
    assert verdicts[f"{APP}/{APP}"] == "missing"
    assert verdicts[f"{APP}/dropped-in.dll"] == "extra"
    assert outcome.rows[0].verdict != "ok"


def test_unreadable_input_is_a_sentence(qtbot: QtBot, page: VerifyPage, tmp_path: Path) -> None:
    with qtbot.waitSignal(page.failed, timeout=20_000) as blocker:
        page.verify(tmp_path / "nothing-here")
    assert "Could not verify" in blocker.args[0]
    assert "Traceback" not in blocker.args[0]
    assert not page.cancel_button.isVisible()


def test_save_report_writes_json(qtbot: QtBot, page: VerifyPage, tmp_path: Path) -> None:
    make_package(tmp_path / "pkg")
    _verify(qtbot, page, tmp_path / "pkg")
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    page.choose_save = lambda _suggested: str(target)
    page.save()
    qtbot.waitUntil(lambda: "Report saved" in page.status_label.text())
    data = json.loads(target.read_text())
    assert isinstance(data, dict)
    assert not list(target.parent.glob("*.part"))


def test_dropping_a_zip_verifies_it(qtbot: QtBot, page: VerifyPage, tmp_path: Path) -> None:
    make_package(tmp_path / "pkg")
    archive = zip_of(tmp_path / "pkg", tmp_path / "good.zip")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(archive))])
    enter = QDragEnterEvent(
        QPoint(5, 5),  # the enter event takes a QPoint, the drop event a QPointF
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    page.drop_zone.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(page.finished, timeout=20_000) as blocker:
        page.drop_zone.dropEvent(drop)
    assert blocker.args[0].ok
    assert blocker.args[0].path == archive


def test_choose_buttons_use_the_dialog_answer(
    qtbot: QtBot, page: VerifyPage, tmp_path: Path
) -> None:
    make_package(tmp_path / "pkg")
    page.choose_folder = lambda: ""  # the user closed the dialog: nothing happens
    page.folder_button.click()
    assert page.outcome is None
    page.choose_folder = lambda: str(tmp_path / "pkg")
    with qtbot.waitSignal(page.finished, timeout=20_000):
        page.folder_button.click()
    assert page.outcome is not None and page.outcome.ok


def test_screenshot_sample_shows_the_altered_file(qtbot: QtBot, page: VerifyPage) -> None:
    with qtbot.waitSignal(page.finished, timeout=20_000) as blocker:
        page.prepare_screenshot()
    outcome = blocker.args[0]
    assert not outcome.ok
    assert [(r.verdict, r.path) for r in outcome.problems] == [
        ("mismatch", f"{APP}/_internal/python311.dll")
    ]


def test_a_link_out_of_the_package_is_unsafe_and_listed_first(
    qtbot: QtBot, page: VerifyPage, tmp_path: Path
) -> None:
    make_package(tmp_path / "pkg")
    secret = tmp_path / "outside.txt"
    secret.write_text("not part of the release")
    (tmp_path / "pkg" / APP / "_internal" / "escape").symlink_to(secret)
    outcome = _verify(qtbot, page, tmp_path / "pkg")
    assert not outcome.ok
    assert (outcome.rows[0].verdict, outcome.rows[0].path) == ("unsafe", f"{APP}/_internal/escape")
    assert page.model.row(0).verdict == "unsafe"
