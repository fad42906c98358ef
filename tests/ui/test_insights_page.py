"""Insights: the four KPIs with target/alert status in words and colour, and charts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from pytestqt.qtbot import QtBot

from releasemgr.model import Kpi, KpiReport, KpiStatus, RunSample
from releasemgr.ui.controller import Controller
from releasemgr.ui.pages.insights import (
    STATUS_WORDS,
    InsightsPage,
    daily_rates,
    format_value,
    is_dark,
    run_durations,
    status_colour,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def controller() -> Iterator[Controller]:
    ctl = Controller()
    yield ctl
    assert ctl.shutdown(10_000)


def _report() -> KpiReport:
    samples = (
        RunSample(1, T0, True, True, True, 12.0),
        RunSample(2, T0 + timedelta(hours=3), True, False, None, 18.0),
        RunSample(3, T0 + timedelta(days=1), False, None, None, None),
        RunSample(4, T0 + timedelta(days=2), True, True, False, 41.5),
    )
    kpis = (
        Kpi(
            "build_success_rate",
            "Build success rate",
            75.0,
            "%",
            "> 95%",
            "< 90%",
            KpiStatus.ALERT,
            4,
        ),
        Kpi("test_pass_rate", "Test pass rate", 66.7, "%", "100%", "< 100%", KpiStatus.ALERT, 3),
        Kpi(
            "workflow_duration",
            "Workflow duration",
            23.8,
            "min",
            "< 15 min",
            "> 30 min",
            KpiStatus.WARN,
            3,
        ),
        Kpi(
            "canary_success_rate",
            "Canary success rate",
            None,
            "%",
            "> 90%",
            "< 80%",
            KpiStatus.UNKNOWN,
            0,
        ),
    )
    return KpiReport(days=30, kpis=kpis, samples=samples)


def test_cards_show_value_status_and_bounds(qtbot: QtBot, controller: Controller) -> None:
    page = InsightsPage(controller)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show_report(_report())
    build = page.cards["build_success_rate"]
    assert build.value_label.text() == "75.0%"
    assert build.status_label.text() == "Alert · 4 runs"
    assert build.bounds_label.text() == "Target > 95% · Alert < 90%"
    assert page.cards["workflow_duration"].value_label.text() == "23.8 min"
    assert page.cards["workflow_duration"].status_label.text().startswith("Below target")
    assert page.cards["canary_success_rate"].value_label.text() == "—"
    assert page.cards["canary_success_rate"].status_label.text() == "No data · 0 runs"
    assert "Alert: Build success rate, Test pass rate." in page.summary_label.text()
    assert build.status_colour() != page.cards["workflow_duration"].status_colour()


def test_status_colours_follow_the_theme() -> None:
    light, dark = QPalette(), QPalette()
    light.setColor(QPalette.ColorRole.Window, QColor("#ffffff"))
    dark.setColor(QPalette.ColorRole.Window, QColor("#1e1e1e"))
    assert not is_dark(light)
    assert is_dark(dark)
    for status in (KpiStatus.OK, KpiStatus.WARN, KpiStatus.ALERT):
        on_light, on_dark = status_colour(status, light), status_colour(status, dark)
        assert on_light != on_dark
        # Each reads against its background: darker on light, lighter on dark.
        assert on_light.lightness() < on_dark.lightness()


def test_chart_data_is_daily_rates_and_run_durations() -> None:
    samples = _report().samples
    rates = daily_rates(samples, lambda s: s.tests_ok)
    assert [round(v, 1) for _, v in rates] == [50.0, 100.0]  # day 2 had no finished test
    assert [v for _, v in run_durations(samples)] == [12.0, 18.0, 41.5]
    assert format_value(_report().kpis[0]) == "75.0%"


def test_charts_paint_lines_in_light_and_dark(qtbot: QtBot, controller: Controller) -> None:
    page = InsightsPage(controller)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show_report(_report())
    assert page.duration_chart.y_max() > 41.5  # the slow run is on the chart
    for window in ("#ffffff", "#202020"):
        palette = QPalette(page.palette())
        palette.setColor(QPalette.ColorRole.Window, QColor(window))
        page.setPalette(palette)
        image = QImage(page.rates_chart.size(), QImage.Format.Format_ARGB32)
        image.fill(QColor(window))
        page.rates_chart.render(image)
        colours = {
            image.pixelColor(x, y).name()
            for x in range(0, image.width(), 3)
            for y in range(0, image.height(), 3)
        }
        assert len(colours) > 3  # more than background: lines, grid and text were drawn


def test_signed_out_refresh_says_sign_in(qtbot: QtBot, controller: Controller) -> None:
    page = InsightsPage(controller)
    qtbot.addWidget(page)
    page.refresh()
    assert page.error_label.isVisibleTo(page)
    assert "Sign in first." in page.error_label.text()


def test_kpis_from_the_demo_world(qtbot: QtBot, controller: Controller) -> None:
    from releasemgr.config import Config
    from releasemgr.github.service import ReleaseService
    from releasemgr.sim import Simulator
    from releasemgr.ui.controller import Session

    with Simulator(seed=1, scenario="demo") as sim:
        login = sim.login_for_role("reader")
        service = ReleaseService.connect(
            api_url=sim.api_url, repository=sim.repository, token=sim.token(login), config=Config()
        )
        controller.adopt(service, Session(login, "127.0.0.1", sim.api_url, sim.repository))
        page = InsightsPage(controller)
        qtbot.addWidget(page)
        page.refresh()
        qtbot.waitUntil(lambda: page.report is not None, timeout=30_000)
        assert controller.shutdown(10_000)
    report = page.report
    assert report is not None and report.days == 30
    assert len(report.samples) >= 20  # about 40 runs over the last 30 days
    for key, card in page.cards.items():
        kpi = report.get(key)
        assert card.value_label.text() == format_value(kpi)
        assert card.status_label.text().startswith(STATUS_WORDS[kpi.status])
    assert page.rates_chart.series[0].points  # daily build success rates are charted
    assert page.duration_chart.series[0].points
