"""The Insights page: the seed's four KPIs against target and alert, and charts over time.

The figures come from ``ReleaseService.kpis(days)`` (status already judged by the core against
the seed's thresholds); this page only shows them. Charts are drawn with QPainter so the bundle
needs no QtCharts. Colours are chosen from the palette's lightness, so they read in light and
dark themes, and every status is also spelled out in words (never colour alone).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from releasemgr.model import Kpi, KpiReport, KpiStatus, RunSample
from releasemgr.ui.controller import Controller
from releasemgr.ui.tablemodel import named

KPI_ORDER = ("build_success_rate", "test_pass_rate", "workflow_duration", "canary_success_rate")
STATUS_WORDS = {
    KpiStatus.OK: "Meets target",
    KpiStatus.WARN: "Below target",
    KpiStatus.ALERT: "Alert",
    KpiStatus.UNKNOWN: "No data",
}
# (light theme, dark theme) pairs, from GitHub's Primer palette so they read on both.
_STATUS_COLOURS = {
    KpiStatus.OK: ("#1a7f37", "#3fb950"),
    KpiStatus.WARN: ("#9a6700", "#d29922"),
    KpiStatus.ALERT: ("#cf222e", "#f85149"),
}
_SERIES_COLOURS = {
    "build": ("#0969da", "#58a6ff"),
    "tests": ("#8250df", "#bc8cff"),
    "canary": ("#bf8700", "#e3b341"),
    "duration": ("#0969da", "#58a6ff"),
}


def is_dark(palette: QPalette) -> bool:
    """Whether ``palette`` is a dark theme (light text on a dark window)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def status_colour(status: KpiStatus, palette: QPalette) -> QColor:
    """The colour of ``status`` that reads on ``palette``'s background."""
    pair = _STATUS_COLOURS.get(status)
    if pair is None:
        return palette.color(QPalette.ColorRole.PlaceholderText)
    return QColor(pair[1] if is_dark(palette) else pair[0])


def _series_colour(name: str, palette: QPalette) -> QColor:
    pair = _SERIES_COLOURS[name]
    return QColor(pair[1] if is_dark(palette) else pair[0])


def format_value(kpi: Kpi) -> str:
    """The KPI's value as shown on its card ("96.7%", "12.4 min", "—")."""
    if kpi.value is None:
        return "—"
    if kpi.unit == "%":
        return f"{kpi.value:.1f}%"
    return f"{kpi.value:.1f} {kpi.unit}"


@dataclass(frozen=True)
class Series:
    """One line of a chart: a name for the legend, a colour key, points (time, value)."""

    label: str
    colour: str
    points: tuple[tuple[datetime, float], ...]


@dataclass(frozen=True)
class Threshold:
    """A dashed horizontal line: the target or the alert level."""

    label: str
    value: float
    status: KpiStatus


def daily_rates(
    samples: Sequence[RunSample], pick: Callable[[RunSample], bool | None]
) -> tuple[tuple[datetime, float], ...]:
    """Per day with finished samples: the share (percent) where ``pick`` is True."""
    per_day: dict[date, list[bool]] = defaultdict(list)
    for sample in samples:
        value = pick(sample)
        if value is not None:
            per_day[sample.created_at.astimezone(UTC).date()].append(value)
    return tuple(
        (datetime.combine(day, time(12), UTC), 100.0 * sum(vals) / len(vals))
        for day, vals in sorted(per_day.items())
    )


def run_durations(samples: Sequence[RunSample]) -> tuple[tuple[datetime, float], ...]:
    """Each finished run's duration in minutes, by start time."""
    return tuple(
        sorted(
            (s.created_at, s.duration_minutes) for s in samples if s.duration_minutes is not None
        )
    )


class KpiCard(QFrame):
    """One KPI: its value, target and alert, and its status in colour and in words."""

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"insights.kpi.{key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.kpi: Kpi | None = None
        self.title_label = QLabel()
        self.value_label = QLabel("—")
        font = QFont(self.value_label.font())
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        self.value_label.setFont(font)
        self.status_label = QLabel()
        self.bounds_label = QLabel()
        self.bounds_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.value_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.bounds_label)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)

    def show_kpi(self, kpi: Kpi) -> None:
        """Fill the card from ``kpi``."""
        self.kpi = kpi
        self.title_label.setText(kpi.title)
        self.value_label.setText(format_value(kpi))
        runs = "run" if kpi.samples == 1 else "runs"
        self.status_label.setText(f"{STATUS_WORDS[kpi.status]} · {kpi.samples} {runs}")
        self.bounds_label.setText(f"Target {kpi.target} · Alert {kpi.alert}")
        self.setToolTip(
            f"{kpi.title}: {format_value(kpi)} over {kpi.samples} {runs}. "
            f"Target {kpi.target}; alert {kpi.alert}. {STATUS_WORDS[kpi.status]}."
        )
        self._restyle()

    def status_colour(self) -> QColor:
        """The colour the card uses for its status now."""
        status = self.kpi.status if self.kpi else KpiStatus.UNKNOWN
        return status_colour(status, self.palette())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        colour = self.status_colour().name()
        # Style sheets only on our own labels: a change of theme repaints them via _restyle.
        self.value_label.setStyleSheet(f"color: {colour};")
        self.status_label.setStyleSheet(f"color: {colour}; font-weight: bold;")


class TimeChart(QWidget):
    """A line chart over time, drawn with QPainter: series, dashed thresholds, axes, legend."""

    def __init__(self, title: str, unit: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.unit = unit
        self.series: tuple[Series, ...] = ()
        self.thresholds: tuple[Threshold, ...] = ()
        self.y_max_floor = 100.0
        self.setMinimumSize(QSize(320, 200))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(
        self,
        series: Sequence[Series],
        thresholds: Sequence[Threshold] = (),
        *,
        y_max_floor: float = 100.0,
    ) -> None:
        """Show ``series`` with ``thresholds``; the y axis spans 0 to at least ``y_max_floor``."""
        self.series = tuple(series)
        self.thresholds = tuple(thresholds)
        self.y_max_floor = y_max_floor
        self.update()

    def y_max(self) -> float:
        """The top of the y axis."""
        values = [v for s in self.series for _, v in s.points]
        values += [t.value for t in self.thresholds]
        top = max([self.y_max_floor, *values])
        if top <= self.y_max_floor:
            return top
        return float(math.ceil(top * 1.05 / 20) * 20)  # quarters land on multiples of 5

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        faint = palette.color(QPalette.ColorRole.Mid)
        metrics = painter.fontMetrics()
        line_h = metrics.height()

        painter.setPen(text)
        painter.drawText(QPointF(8, line_h), self.title)
        plot = QRectF(
            8 + metrics.horizontalAdvance("100.0 ") + 4,
            line_h * 2 + 4,
            0,
            0,
        )
        plot.setRight(self.width() - 12)
        plot.setBottom(self.height() - line_h * 2 - 8)
        if plot.width() < 40 or plot.height() < 40:
            painter.end()
            return

        top = self.y_max()
        points = [p for s in self.series for p in s.points]
        if points:
            t0 = min(t for t, _ in points).timestamp()
            t1 = max(t for t, _ in points).timestamp()
        else:
            t0, t1 = 0.0, 1.0
        span = max(t1 - t0, 3600.0)

        def xy(t: datetime, v: float) -> QPointF:
            if t1 <= t0:
                return QPointF(plot.center().x(), plot.bottom() - (v / top) * plot.height())
            x = plot.left() + (t.timestamp() - t0) / span * plot.width()
            y = plot.bottom() - (v / top) * plot.height()
            return QPointF(x, y)

        # Grid and y labels.
        for i in range(5):
            v = top * i / 4
            y = plot.bottom() - plot.height() * i / 4
            painter.setPen(QPen(faint, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            label = f"{v:.0f}"
            painter.drawText(
                QPointF(plot.left() - metrics.horizontalAdvance(label) - 6, y + line_h / 3), label
            )
        painter.drawText(QPointF(8, plot.top() - 6), self.unit)

        # Thresholds, dashed, labelled at the right.
        for threshold in self.thresholds:
            colour = status_colour(threshold.status, palette)
            pen = QPen(colour, 1.2, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            y = xy(datetime.fromtimestamp(t0, UTC), threshold.value).y()
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            label = threshold.label
            painter.drawText(
                QPointF(plot.right() - metrics.horizontalAdvance(label) - 2, y - 3), label
            )

        # Series: a line with a dot per point.
        for series in self.series:
            colour = _series_colour(series.colour, palette)
            painter.setPen(QPen(colour, 2))
            path = QPainterPath()
            for i, (t, v) in enumerate(series.points):
                point = xy(t, v)
                if i == 0:
                    path.moveTo(point)
                else:
                    path.lineTo(point)
            if len(series.points) > 1:
                painter.drawPath(path)
            painter.setBrush(colour)
            for t, v in series.points:
                painter.drawEllipse(xy(t, v), 2.5, 2.5)
            painter.setBrush(Qt.BrushStyle.NoBrush)

        # X axis dates and the legend.
        painter.setPen(text)
        if points:
            first = datetime.fromtimestamp(t0, UTC).astimezone().strftime("%b %d")
            last = datetime.fromtimestamp(t1, UTC).astimezone().strftime("%b %d")
            base = plot.bottom() + line_h + 2
            painter.drawText(QPointF(plot.left(), base), first)
            painter.drawText(QPointF(plot.right() - metrics.horizontalAdvance(last), base), last)
        else:
            message = "No finished runs in this period."
            half = metrics.horizontalAdvance(message) / 2
            painter.drawText(QPointF(plot.center().x() - half, plot.center().y()), message)
        x = plot.left()
        legend_y = self.height() - 6
        for series in self.series:
            colour = _series_colour(series.colour, palette)
            painter.fillRect(QRectF(x, legend_y - line_h / 2 - 3, 10, 6), colour)
            painter.drawText(QPointF(x + 14, legend_y), series.label)
            x += 14 + metrics.horizontalAdvance(series.label) + 18
        painter.end()


class InsightsPage(QWidget):
    """The four KPIs of the seed over a chosen period, with success rates and durations charted."""

    title = "Insights"
    icon_name = "insights"

    def __init__(self, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page.insights")
        self._controller = controller
        self.report: KpiReport | None = None

        self.period = named(QComboBox(), "insights.period")
        for days in (7, 30, 90):
            self.period.addItem(f"Last {days} days", days)
        self.period.setCurrentIndex(1)
        self.summary_label = named(QLabel(), "insights.summary")
        self.error_label = named(QLabel(), "insights.error")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)

        self.cards = {key: KpiCard(key) for key in KPI_ORDER}
        self.rates_chart = named(TimeChart("Success rates per day", "%"), "insights.rates")
        self.duration_chart = named(
            TimeChart("Workflow duration per run", "min"), "insights.durations"
        )

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Period"))
        bar.addWidget(self.period)
        bar.addWidget(self.summary_label, 1)
        grid = QGridLayout()
        for i, key in enumerate(KPI_ORDER):
            grid.addWidget(self.cards[key], 0, i)
        charts = QHBoxLayout()
        charts.addWidget(self.rates_chart, 1)
        charts.addWidget(self.duration_chart, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.error_label)
        layout.addLayout(grid)
        layout.addLayout(charts, 1)

        self.period.currentIndexChanged.connect(self.refresh)

    def refresh(self) -> None:
        """Ask for the KPIs of the chosen period; the newest request wins."""
        days = int(self.period.currentData())
        self._controller.call(
            "insights.kpis", lambda svc, _ctx: svc.kpis(days), self.show_report, self._on_error
        )

    def show_report(self, report: KpiReport) -> None:
        """Fill the cards and charts from ``report``."""
        self.report = report
        self.error_label.setVisible(False)
        for key, card in self.cards.items():
            try:
                card.show_kpi(report.get(key))
            except KeyError:
                continue
        finished = sum(1 for s in report.samples if s.duration_minutes is not None)
        alerts = [k.title for k in report.kpis if k.status is KpiStatus.ALERT]
        verdict = f"Alert: {', '.join(alerts)}." if alerts else "No KPI at its alert level."
        self.summary_label.setText(
            f"{len(report.samples)} runs in the last {report.days} days, {finished} finished. "
            + verdict
        )
        samples = report.samples
        self.rates_chart.set_data(
            [
                Series("Build", "build", daily_rates(samples, lambda s: s.build_ok)),
                Series("Tests", "tests", daily_rates(samples, lambda s: s.tests_ok)),
                Series("Canary", "canary", daily_rates(samples, lambda s: s.canary_ok)),
            ],
            [
                Threshold("build target 95%", 95, KpiStatus.OK),
                Threshold("build alert 90%", 90, KpiStatus.ALERT),
            ],
        )
        self.duration_chart.set_data(
            [Series("Duration (min)", "duration", run_durations(samples))],
            [
                Threshold("target 15 min", 15, KpiStatus.OK),
                Threshold("alert 30 min", 30, KpiStatus.ALERT),
            ],
            y_max_floor=40.0,
        )

    def _on_error(self, message: str) -> None:
        self.error_label.setText(f"The KPIs could not be loaded. {message}")
        self.error_label.setVisible(True)
