"""History charts (pyqtgraph): power of each flow and the charge over a chosen range, the backup
reserve as a line, outages shaded, energy per day as bars; zoom/pan with the mouse and a
crosshair readout.

Every query is bounded: the store averages the range into at most about one point per pixel of
the plot, so a year costs the same as a day. Zooming in asks the store again for the visible part
at the finer resolution it keeps.

A history younger than a day is shown whole (not as a sliver at the right edge of 24 hours); a
range that ends now ends at the right edge. Axes print plain numbers in the unit of their label
(no "x0.001" multipliers), and the three plots share one left edge.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QDate, QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pwtray.core.words import DEFAULT_UNITS, Units
from pwtray.monitor import DailyEnergy, HistoryStore, Outage, Point, describe_duration
from pwtray.ui.spans import DAY_S, Span, span_bounds

MIN_POINTS = 200
MAX_POINTS = 2000
LIVE_RELOAD_MS = 60_000  # a range that ends "now" follows the clock this often while shown
FIT_BELOW_S = DAY_S  # a history younger than this is shown whole
MIN_VIEW_S = 120.0  # … but never narrower than this

SERIES = (  # Point field, legend name, colour
    ("solar_w", "Solar", QColor(240, 165, 0)),
    ("load_w", "Home", QColor(40, 140, 230)),
    ("site_w", "Grid (+ import)", QColor(130, 130, 140)),
    ("battery_w", "Powerwall (+ supplying)", QColor(46, 184, 92)),
)
BARS = (  # DailyEnergy field, legend name, colour
    ("solar_wh", "Solar", QColor(240, 165, 0)),
    ("home_wh", "Home", QColor(40, 140, 230)),
    ("grid_import_wh", "From grid", QColor(130, 130, 140)),
    ("grid_export_wh", "To grid", QColor(150, 110, 200)),
)
OUTAGE_BRUSH = QColor(220, 45, 45, 45)
ENERGY_TITLE = "Energy per day"


class ValueAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph is untyped
    """A value axis in the unit of its label: plain numbers, never an SI multiplier."""

    def __init__(self, orientation: str = "left") -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return tick_labels(values, spacing)


def tick_labels(values: list[float], spacing: float) -> list[str]:
    """``0.5 1 1.5`` or ``2 000 4 000``: the decimals the spacing needs, thin-space thousands."""
    decimals = next((d for d in range(4) if abs(round(spacing, d) - spacing) <= spacing * 1e-6), 3)
    labels = []
    for value in values:
        text = f"{value:,.{decimals}f}".replace(",", "\u2009")
        labels.append("0" if text.strip("-0.\u2009") == "" else text.replace("-", "\u2212"))
    return labels


@dataclass(frozen=True)
class Shown:
    """What the charts hold, for tests and the crosshair."""

    start: float
    end: float
    points: int
    days: int
    outages: int
    redraw_ms: float
    fitted: bool = False  # the range was narrowed to a history younger than a day


class HistoryView(QWidget):
    """The History tab. ``store`` may be ``None`` (no history yet): the charts then say so."""

    export_requested = Signal()

    def __init__(
        self,
        store: HistoryStore | None,
        *,
        clock: Callable[[], float] = time.time,
        units: Units = DEFAULT_UNITS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.units = units
        self._clock = clock
        self.reserve_percent: float | None = None
        self.shown: Shown | None = None
        self._points: list[Point] = []
        self._times = np.empty(0)  # the points' times, for the crosshair's lookup
        self._loading = False
        self._stale = True  # nothing loaded yet

        self.span_box = QComboBox()
        self.span_box.setAccessibleName("History range")
        for span in Span:
            self.span_box.addItem(span.value, span)
        self.span_box.setCurrentIndex(list(Span).index(Span.DAY))
        today = QDate.currentDate()
        self.first_edit = QDateEdit(today.addDays(-6))
        self.last_edit = QDateEdit(today)
        for edit, name in ((self.first_edit, "First day"), (self.last_edit, "Last day")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
            edit.setMaximumDate(today)
            edit.dateChanged.connect(self._custom_changed)
        self.reset_button = QPushButton("&Reset zoom")
        self.reset_button.setToolTip("Show the whole range again")
        self.reset_button.clicked.connect(self.reload)
        self.export_button = QPushButton("E&xport CSV…")
        self.export_button.setToolTip("Save the readings of this range as a CSV file")
        self.export_button.clicked.connect(self.export_requested)
        self.readout = QLabel(" ")
        self.readout.setWordWrap(True)  # never wider than the window
        self.readout.setAccessibleName("Value under the pointer")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.empty_label = QLabel("")
        self.empty_label.setWordWrap(True)

        bar = QHBoxLayout()
        range_label = QLabel("&Range:")
        range_label.setBuddy(self.span_box)
        bar.addWidget(range_label)
        bar.addWidget(self.span_box)
        self.dash = QLabel("to")
        bar.addWidget(self.first_edit)
        bar.addWidget(self.dash)
        bar.addWidget(self.last_edit)
        bar.addStretch(1)
        bar.addWidget(self.reset_button)
        bar.addWidget(self.export_button)

        self.charts = pg.GraphicsLayoutWidget()
        self.charts.setAccessibleName("History charts")
        self.power_plot, self.soe_plot, self.energy_plot = (
            self.charts.addPlot(row=row, col=0, axisItems={
                "bottom": pg.DateAxisItem(orientation="bottom"), "left": ValueAxis("left")})
            for row in range(3)
        )  # fmt: skip
        layout_ci = self.charts.ci.layout
        layout_ci.setRowStretchFactor(0, 5)
        layout_ci.setRowStretchFactor(1, 3)
        layout_ci.setRowStretchFactor(2, 3)
        self.soe_plot.setLabel("left", "%")
        self._label_axes()  # kW or W, kWh or Wh
        for plot in (self.power_plot, self.soe_plot, self.energy_plot):
            plot.getAxis("left").setWidth(self._left_axis_width())  # one left edge for all
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setMouseEnabled(x=True, y=False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
        self.soe_plot.setXLink(self.power_plot)  # energy per day keeps its own axis (>= 7 days)
        self.energy_plot.setMouseEnabled(x=False, y=False)
        self.soe_plot.setYRange(0, 100, padding=0.02)
        self.power_plot.addLegend(offset=(8, 4), colCount=4)
        self.energy_plot.addLegend(offset=(8, 4), colCount=4)
        self.curves = {
            field: self.power_plot.plot(name=name, pen=pg.mkPen(colour, width=1.5))
            for field, name, colour in SERIES
        }
        self.soe_curve = self.soe_plot.plot(
            name="Charge", pen=pg.mkPen(QColor(46, 184, 92), width=2)
        )
        red = QColor(220, 45, 45)
        self.reserve_line = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=pg.mkPen(red, width=1.5, style=Qt.PenStyle.DashLine),
            label="backup reserve",
            labelOpts={"position": 0.01, "anchors": [(0, 1), (0, 1)], "color": red},
        )
        self.reserve_line.hide()
        self.soe_plot.addItem(self.reserve_line)
        self.bars: list[object] = []
        self.regions: list[object] = []
        self.cursors = [pg.InfiniteLine(angle=90, movable=False) for _ in range(3)]
        for plot, cursor in zip((self.power_plot, self.soe_plot, self.energy_plot), self.cursors,
                                strict=True):  # fmt: skip
            plot.addItem(cursor, ignoreBounds=True)
            cursor.hide()
        self.charts.scene().sigMouseMoved.connect(self._mouse_moved)
        self.power_plot.sigXRangeChanged.connect(self._zoomed)
        self._zoom_timer = QTimer(self)
        self._zoom_timer.setSingleShot(True)
        self._zoom_timer.setInterval(200)
        self._zoom_timer.timeout.connect(self._load_visible)
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(LIVE_RELOAD_MS)
        self._live_timer.timeout.connect(self._follow_clock)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.charts, stretch=1)
        layout.addWidget(self.readout)
        self.span_box.currentIndexChanged.connect(self._span_changed)
        self._span_changed()
        self.apply_palette()

    # ------------------------------------------------------------------ range
    @property
    def span(self) -> Span:
        span = self.span_box.currentData()
        return span if isinstance(span, Span) else Span.DAY

    def set_span(self, span: Span) -> None:
        self.span_box.setCurrentIndex(list(Span).index(span))

    def set_custom_range(self, first: dt.date, last: dt.date) -> None:
        self.first_edit.setDate(QDate(first.year, first.month, first.day))
        self.last_edit.setDate(QDate(last.year, last.month, last.day))
        self.set_span(Span.CUSTOM)
        self.reload()

    def bounds(self) -> tuple[float, float]:
        """The range shown: the span chosen, narrowed to the history when it is younger than a
        day (a custom range of days is shown as chosen)."""
        start, end, _ = self._range()
        return start, end

    def _range(self) -> tuple[float, float, bool]:
        """Start, end, and whether the range was narrowed to a young history."""
        first = _as_date(self.first_edit.date())
        last = _as_date(self.last_edit.date())
        if last < first:
            first, last = last, first
        start, end = span_bounds(self.span, self._clock(), first, last)
        began = self._history_began()
        if (
            self.span is not Span.CUSTOM
            and began is not None
            and start < began
            and end - began < FIT_BELOW_S
        ):
            return min(began, end - MIN_VIEW_S), end, True
        return start, end, False

    def _history_began(self) -> float | None:
        return self.store.first_reading() if self.store is not None else None

    def _span_changed(self) -> None:
        custom = self.span is Span.CUSTOM
        for widget in (self.first_edit, self.dash, self.last_edit):
            widget.setVisible(custom)
        self._reload_when_shown()

    def _custom_changed(self) -> None:
        if self.span is Span.CUSTOM:
            self._reload_when_shown()

    def _reload_when_shown(self) -> None:
        """Load now if shown; else once, when the tab is next shown (not once per change)."""
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def _follow_clock(self) -> None:
        if self.isVisible() and self.span is not Span.CUSTOM and not self._zoomed_in():
            self.reload()

    def showEvent(self, event: object) -> None:
        self._live_timer.start()
        if self._stale:
            self.reload()
        else:
            self._follow_clock()

    def hideEvent(self, event: object) -> None:
        self._live_timer.stop()
        self._zoom_timer.stop()

    # ------------------------------------------------------------------ loading
    def max_points(self) -> int:
        width = self.power_plot.vb.width() if self.power_plot.vb is not None else 0
        return int(min(MAX_POINTS, max(MIN_POINTS, width * 1.5)))

    def reload(self) -> None:
        """Load the whole selected range and show all of it."""
        start, end, fitted = self._range()
        self._load(start, end, reset_view=True, fitted=fitted)

    def _zoomed(self) -> None:
        if not self._loading:
            self._zoom_timer.start()

    def _zoomed_in(self) -> bool:
        if self.shown is None:
            return False
        (left, right), _ = self.power_plot.vb.viewRange()
        return bool(right - left < (self.shown.end - self.shown.start) * 0.98)

    def _load_visible(self) -> None:
        (left, right), _ = self.power_plot.vb.viewRange()
        start, end = self.bounds()
        left, right = max(start, left), min(end, right)
        if right > left:
            self._load(left, right, reset_view=False)

    def _load(self, start: float, end: float, *, reset_view: bool, fitted: bool = False) -> None:
        began = time.perf_counter()
        self._stale = False
        self._loading = True
        try:
            points: list[Point] = []
            days: list[DailyEnergy] = []
            outages: list[Outage] = []
            if self.store is not None:
                points = self.store.series(start, end, self.max_points())
                first, last = self.energy_days(start, end)
                days = self.store.daily_energy(first, last)
                outages = self.store.outages(start, end)
            self._points = points
            self._draw_series(points)
            self._draw_bars(days)
            self._draw_outages(outages, end)
            if reset_view:
                self.power_plot.setXRange(start, end, padding=0)  # the right edge is now
                first, last = self.energy_days(start, end)
                self.energy_plot.setXRange(_local(first, 0), _local(last, 24), padding=0)
                self.power_plot.enableAutoRange(axis="y")
                self.energy_plot.enableAutoRange(axis="y")
            self.empty_label.setText(self._note(points, start, fitted))
            self.empty_label.setVisible(bool(self.empty_label.text()))
        finally:
            self._loading = False
        self.shown = Shown(start, end, len(points), len(days), len(outages),
                           (time.perf_counter() - began) * 1000, fitted)  # fmt: skip

    def _note(self, points: list[Point], start: float, fitted: bool) -> str:
        if self.store is None:
            return "No history yet: pwtray keeps it from the first reading."
        if not points:
            return "Nothing was recorded in this range."
        if fitted:
            since = dt.datetime.fromtimestamp(start).astimezone()
            recorded = describe_duration(self._clock() - start)
            span = "all of today" if self.span is Span.TODAY else f"the {self.span.value.lower()}"
            return (
                f"pwtray has been recording since {since:%H:%M} ({recorded}): the charts show "
                f"all of it, and widen to {span} as the history grows."
            )
        return ""

    @staticmethod
    def energy_days(start: float, end: float) -> tuple[dt.date, dt.date]:
        """The days the bars show: those of the range, and at least the last seven."""
        last = dt.datetime.fromtimestamp(end - 1).astimezone().date()
        first = dt.datetime.fromtimestamp(start).astimezone().date()
        return min(first, last - dt.timedelta(days=6)), last

    def _draw_series(self, points: list[Point]) -> None:
        ts = np.fromiter((p.ts for p in points), dtype=float, count=len(points))
        self._times = ts
        scale = 1000.0 if self.units.kilo else 1.0
        for field, curve in self.curves.items():
            values = np.fromiter(
                (math.nan if getattr(p, field) is None else getattr(p, field) / scale
                 for p in points), dtype=float, count=len(points),
            )  # fmt: skip
            curve.setData(ts, values, connect="finite")
        soe = np.fromiter((math.nan if p.soe is None else p.soe for p in points), dtype=float,
                          count=len(points))  # fmt: skip
        self.soe_curve.setData(ts, soe, connect="finite")

    def _draw_bars(self, days: list[DailyEnergy]) -> None:
        for item in self.bars:
            self.energy_plot.removeItem(item)
        self.bars = []
        if not days:
            return
        scale = 1000.0 if self.units.kilo else 1.0
        noon = np.array([_local(d.day, 12) for d in days])
        width = DAY_S / (len(BARS) + 1)
        for index, (field, name, colour) in enumerate(BARS):
            heights = np.array([getattr(d, field) / scale for d in days])
            x = noon + (index - (len(BARS) - 1) / 2) * width
            item = pg.BarGraphItem(x=x, height=heights, width=width * 0.9, brush=colour,
                                   pen=pg.mkPen(None), name=name)  # fmt: skip
            self.energy_plot.addItem(item)
            self.bars.append(item)

    def _draw_outages(self, outages: list[Outage], end: float) -> None:
        for plot in (self.power_plot, self.soe_plot):
            for item in self.regions:
                plot.removeItem(item)
        self.regions = []
        for outage in outages:
            until = outage.end if outage.end is not None else end
            for plot in (self.power_plot, self.soe_plot):
                region = pg.LinearRegionItem(
                    values=(outage.start, until), movable=False, brush=OUTAGE_BRUSH,
                    pen=pg.mkPen(None),
                )  # fmt: skip
                region.setZValue(-10)
                region.setToolTip("Grid outage")
                plot.addItem(region, ignoreBounds=True)
                self.regions.append(region)

    def set_reserve(self, percent: float | None) -> None:
        self.reserve_percent = percent
        if percent is None:
            self.reserve_line.hide()
        else:
            self.reserve_line.show()  # the label follows the value only while shown
            self.reserve_line.setValue(percent)
            self.reserve_line.label.setFormat(f"backup reserve {percent:.0f} %")

    def set_units(self, units: Units) -> None:
        self.units = units
        self._label_axes()
        self._reload_when_shown()  # the curves are redrawn in the new scale

    def _label_axes(self) -> None:
        self.power_plot.setLabel("left", "kW" if self.units.kilo else "W")
        self.energy_plot.setLabel("left", "kWh" if self.units.kilo else "Wh")

    def _left_axis_width(self) -> int:
        """Room for the widest tick label (minus 10 000 W) and the rotated unit beside it."""
        metrics = QFontMetrics(self.power_plot.getAxis("left").style["tickFont"] or self.font())
        return metrics.horizontalAdvance("\u221210\u2009000") + 2 * metrics.height() + 8

    # ------------------------------------------------------------------ crosshair
    def readout_at(self, ts: float) -> str:
        """What the readout says for the point nearest ``ts``."""
        if not self._points:
            return " "
        times = self._times
        index = int(np.clip(np.searchsorted(times, ts), 0, len(times) - 1))
        if index > 0 and abs(times[index - 1] - ts) < abs(times[index] - ts):
            index -= 1
        point = self._points[index]
        when = dt.datetime.fromtimestamp(point.ts).astimezone()
        parts = [f"{when:%a %d %b %H:%M}"]
        for field, name, _ in SERIES:
            parts.append(f"{name.split(' (')[0]} {self.units.power(getattr(point, field))}")
        if point.soe is not None:
            parts.append(f"charge {point.soe:.0f} %")
        if point.off_grid > 0:
            parts.append("grid outage")
        return " · ".join(parts)

    def _mouse_moved(self, position: QPointF) -> None:
        for plot in (self.power_plot, self.soe_plot, self.energy_plot):
            if plot.sceneBoundingRect().contains(position):
                ts = plot.vb.mapSceneToView(position).x()
                for cursor in self.cursors:
                    cursor.setValue(ts)
                    cursor.show()
                self.readout.setText(self.readout_at(ts))
                return
        for cursor in self.cursors:
            cursor.hide()

    # ------------------------------------------------------------------ look
    def apply_palette(self) -> None:
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.WindowText)
        self.charts.setBackground(background)
        for plot in (self.power_plot, self.soe_plot, self.energy_plot):
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pg.mkPen(text))
                axis.setTextPen(pg.mkPen(text))
            if plot.legend is not None:
                plot.legend.setLabelTextColor(text)
                for _, label in plot.legend.items:  # the colour reaches a label when it is redrawn
                    label.setText(label.text, color=text)
                veil = QColor(background)
                veil.setAlpha(210)  # readable over the curves it covers
                plot.legend.setBrush(pg.mkBrush(veil))
        for cursor in self.cursors:
            cursor.setPen(pg.mkPen(text, width=1, style=Qt.PenStyle.DotLine))
        self.energy_plot.setTitle(ENERGY_TITLE, size="9pt", color=text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()
        super().changeEvent(event)


def _local(day: dt.date, hour: int) -> float:
    """Epoch seconds of ``hour`` o'clock local time on ``day`` (24 = the next midnight)."""
    moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=hour)
    return moment.astimezone().timestamp()


def _as_date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())
