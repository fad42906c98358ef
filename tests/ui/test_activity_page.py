"""The Activity page lists what was recorded, filters it, and survives a damaged log file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from releasemgr.activity import ActivityKind, ActivityLog, Outcome, default_path
from releasemgr.model import GateDecision, Stage
from releasemgr.ui.controller import Controller, Session
from releasemgr.ui.pages.activity import ActivityPage, recorder_for


@pytest.fixture
def controller() -> Iterator[Controller]:
    ctl = Controller()
    yield ctl
    assert ctl.shutdown(10_000)


def _page(qtbot: QtBot, controller: Controller) -> ActivityPage:
    page = ActivityPage(controller)
    qtbot.addWidget(page)
    return page


def test_empty_log_says_what_will_appear(qtbot: QtBot, controller: Controller) -> None:
    page = _page(qtbot, controller)
    with qtbot.waitSignal(controller.tasks.busy_changed, check_params_cb=lambda b: not b):
        page.refresh()
    assert page.model.rowCount() == 0
    assert "Nothing yet" in page.empty_label.text()


def test_recorded_events_appear_newest_first_and_filter(
    qtbot: QtBot, controller: Controller
) -> None:
    log = ActivityLog()
    log.record(ActivityKind.DOWNLOAD, "Downloaded Zyra-windows", run_id=11)
    log.record(ActivityKind.SMOKE_TEST, "Smoke test failed", outcome=Outcome.FAILED, run_id=11)
    page = _page(qtbot, controller)
    page.refresh()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    assert [e.summary for e in page.shown_events()] == [
        "Smoke test failed",
        "Downloaded Zyra-windows",
    ]

    recorder = recorder_for(controller)
    with qtbot.waitSignal(recorder.recorded):
        recorder.record(ActivityKind.VERIFICATION, "Verified /tmp/Zyra.zip: 12 files ok")
    assert page.shown_events()[0].summary == "Verified /tmp/Zyra.zip: 12 files ok"
    assert page.count_label.text() == "3 events"

    page.kind_filter.setCurrentIndex(page.kind_filter.findData(ActivityKind.SMOKE_TEST.value))
    assert [e.summary for e in page.shown_events()] == ["Smoke test failed"]
    page.kind_filter.setCurrentIndex(0)
    page.outcome_filter.setCurrentIndex(page.outcome_filter.findData(Outcome.OK.value))
    assert page.model.rowCount() == 2
    page.search.setText("zyra.ZIP")
    assert [e.kind for e in page.shown_events()] == [ActivityKind.VERIFICATION]
    assert page.count_label.text() == "1 of 3"
    page.search.setText("no such thing")
    assert page.empty_label.text() == "No event matches the filter."


def test_controller_actions_are_recorded_with_the_session(
    qtbot: QtBot, controller: Controller
) -> None:
    page = _page(qtbot, controller)
    recorder = recorder_for(controller)
    controller._session = Session(
        login="rm", host="127.0.0.1", api_url="http://127.0.0.1:1", repository="acme/zyra"
    )
    decision = GateDecision(
        run_id=41,
        stage=Stage.CANARY,
        state="approved",
        environments=("canary-windows", "canary-macos"),
        comment="looks good",
        user="rm",
    )
    with qtbot.waitSignal(recorder.recorded):
        controller.action_done.emit("approve", "Approved canary of run 41", decision)
    controller.action_done.emit("rerun", "Re-running", {"run_id": 41})  # not an activity kind
    event = page.shown_events()[0]
    assert event.kind is ActivityKind.APPROVAL
    assert event.run_id == 41
    assert event.user == "rm"
    assert event.details["environments"] == "canary-windows, canary-macos"
    on_disk = ActivityLog().read().events
    assert [e.summary for e in on_disk] == ["Approved canary of run 41"]


def test_corrupt_lines_are_named_not_fatal(qtbot: QtBot, controller: Controller) -> None:
    log = ActivityLog()
    log.record(ActivityKind.ROLLBACK, "Rolled back production to run 30")
    with open(default_path(), "ab") as fh:
        fh.write(b"garbage\n")
    page = _page(qtbot, controller)
    page.refresh()
    qtbot.waitUntil(lambda: page.notes_label.isVisibleTo(page))
    assert "line 2" in page.notes_label.text()
    assert page.model.rowCount() == 1


def test_an_approval_in_the_window_lands_in_the_log(qtbot: QtBot, controller: Controller) -> None:
    from releasemgr.config import Config
    from releasemgr.github.service import ReleaseService
    from releasemgr.sim import Simulator

    with Simulator(seed=1, scenario="demo") as sim:
        login = sim.login_for_role("release-manager")
        service = ReleaseService.connect(
            api_url=sim.api_url, repository=sim.repository, token=sim.token(login), config=Config()
        )
        controller.adopt(service, Session(login, "127.0.0.1", sim.api_url, sim.repository))
        page = _page(qtbot, controller)
        gate = next(g for g in service.pending_gates() if g.stage is Stage.CANARY and g.may_approve)
        with qtbot.waitSignal(recorder_for(controller).recorded, timeout=30_000):
            controller.decide(gate.run.id, Stage.CANARY, True, "canary looks healthy")
        assert controller.shutdown(10_000)
    event = page.shown_events()[0]
    assert event.kind is ActivityKind.APPROVAL
    assert event.run_id == gate.run.id
    assert event.user == login
    assert event.details["comment"] == "canary looks healthy"
    assert "canary-windows" in str(event.details["environments"])
