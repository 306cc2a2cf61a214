"""The main window: Now (power-flow diagram and status panel), History (charts), Outages (log)
and Actions (the user's commands that ran, failures first to the eye).

It reads the history store on the GUI thread — the event loop's thread under qasync, the only
thread the store is used from — and only with bounded queries. Size, position, tab and history
range are kept in a small INI file in the user's state directory and restored on the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pwtray.gateway import app_to_api

if TYPE_CHECKING:
    from pwtray.ui.history_view import HistoryView

from pwtray.core import ActionRun, join_command
from pwtray.core.words import (
    DEFAULT_UNITS,
    Units,
    action_label,
    alert_label,
    estimate_lines,
    grid_label,
    mode_label,
    node_details,
    run_result,
    status_line,
)
from pwtray.monitor import (
    Connectivity,
    DailyEnergy,
    HistoryStore,
    Outage,
    Snapshot,
    describe_duration,
)
from pwtray.ui.flow import FlowDiagram, Node
from pwtray.ui.spans import Span

log = logging.getLogger(__name__)
TABS = ("now", "history", "outages", "actions")


def _time(ts: float | None, now: float | None = None) -> str:
    if ts is None:
        return "—"
    moment = dt.datetime.fromtimestamp(ts).astimezone()
    if now is not None and moment.date() == dt.datetime.fromtimestamp(now).astimezone().date():
        return f"{moment:%H:%M}"
    return f"{moment:%a %d %b %H:%M}"


class StatusPanel(QWidget):
    """The numbers beside the diagram. Each value is a label with an accessible name."""

    ROWS = (
        ("battery", "Battery"),
        ("mode", "Mode"),
        ("reserve", "Backup reserve"),
        ("grid", "Grid"),
        ("estimates", "Estimates"),
        ("alerts", "Gateway alerts"),
    )
    TODAY = (
        ("solar", "Solar"),
        ("home", "Home"),
        ("grid_in", "From grid"),
        ("grid_out", "To grid"),
        ("battery_in", "Into Powerwall"),
        ("battery_out", "From Powerwall"),
        ("self_powered", "Self-powered"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: dict[str, QLabel] = {}
        now_box = QGroupBox("Now")
        form = QFormLayout(now_box)
        for key, title in self.ROWS:
            form.addRow(title, self._value(key, title))
        today_box = QGroupBox("Today")
        today = QFormLayout(today_box)
        for key, title in self.TODAY:
            today.addRow(title, self._value(key, f"Today, {title}"))
        self.details_box = QGroupBox("Selected")
        details = QVBoxLayout(self.details_box)
        self.details = self._value("details", "Selected node")
        self.details.setText("Click a node of the diagram (or select it with the arrow keys "
                             "and press Enter) for its details.")  # fmt: skip
        details.addWidget(self.details)
        layout = QVBoxLayout(self)
        layout.addWidget(now_box)
        layout.addWidget(today_box)
        layout.addWidget(self.details_box)
        layout.addStretch(1)

    def _value(self, key: str, name: str) -> QLabel:
        label = QLabel("—")
        label.setWordWrap(True)
        label.setAccessibleName(name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.values[key] = label
        return label

    def text(self, key: str) -> str:
        return self.values[key].text()

    def show_snapshot(self, s: Snapshot, now: float, grid_since: float | None,
                      units: Units) -> None:  # fmt: skip
        v = self.values
        if s.soe_percent is None:
            v["battery"].setText("—")
        else:
            raw = "" if s.soe_raw is None else f" (gateway reports {s.soe_raw:.1f} %)"
            remaining = (
                "" if s.energy_remaining_wh is None
                else f", {units.energy(s.energy_remaining_wh)} left"
            )  # fmt: skip
            v["battery"].setText(f"{s.soe_percent:.0f} %{remaining}{raw}")
        v["mode"].setText(mode_label(s.mode))
        if s.reserve_percent is None:
            v["reserve"].setText("—")
        else:
            api = app_to_api(s.reserve_percent)
            v["reserve"].setText(f"{s.reserve_percent:.0f} % (gateway value {api:.1f} %)")
        if s.grid is None:
            v["grid"].setText("—")
        else:
            since = "" if grid_since is None else f" since {_time(grid_since, now)}"
            v["grid"].setText(f"{grid_label(s.grid)}{since}")
        v["estimates"].setText("\n".join(estimate_lines(s)) or "Battery idle")
        v["alerts"].setText(", ".join(alert_label(a) for a in s.alerts) if s.alerts else "None")
        v["alerts"].setToolTip(  # the gateway's own codes, for a support request
            f"As the gateway names them: {', '.join(s.alerts)}" if s.alerts else ""
        )

    def show_today(self, today: DailyEnergy | None, units: Units) -> None:
        v = self.values
        if today is None:
            for key, _ in self.TODAY:
                v[key].setText("—")
            return
        v["solar"].setText(units.energy(today.solar_wh))
        v["home"].setText(units.energy(today.home_wh))
        v["grid_in"].setText(units.energy(today.grid_import_wh))
        v["grid_out"].setText(units.energy(today.grid_export_wh))
        v["battery_in"].setText(units.energy(today.battery_charge_wh))
        v["battery_out"].setText(units.energy(today.battery_discharge_wh))
        share = today.self_powered_share
        v["self_powered"].setText("—" if share is None else f"{share * 100:.0f} %")


class OutageLog(QWidget):
    """Every outage in the history: start, end, duration, lowest charge, energy used, and who
    recorded it (pwtray, or Tesla's cloud for one while pwtray was not running)."""

    COLUMNS = (
        "Start",
        "End",
        "Duration",
        "Lowest charge",
        "Home used",
        "From Powerwall",
        "Recorded by",
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setAccessibleName("Outage log")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel("")
        self.summary.setAccessibleName("Outage summary")
        self.export_button = QPushButton("E&xport CSV…")
        self.export_button.setToolTip("Save the outage log as a CSV file")
        bar = QHBoxLayout()
        bar.addWidget(self.summary, stretch=1)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, stretch=1)

    def show_outages(self, outages: list[Outage], now: float, units: Units) -> None:
        rows = list(reversed(outages))  # newest first
        self.table.setRowCount(len(rows))
        for row, o in enumerate(rows):
            duration = (now if o.end is None else o.end) - o.start
            cells = (
                _time(o.start),
                "ongoing" if o.end is None else _time(o.end),
                describe_duration(duration) + (" so far" if o.end is None else ""),
                "—" if o.lowest_soe is None else f"{o.lowest_soe:.0f} %",
                units.energy(o.energy_used_wh),
                units.energy(o.battery_supplied_wh),
                "pwtray" if o.watched else "Tesla",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not o.watched:
                    item.setToolTip(
                        "pwtray was not running: Tesla's cloud told of this outage afterwards, "
                        "without its readings"
                    )
                if 2 <= column < len(cells) - 1:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        if not outages:
            self.summary.setText("No grid outage recorded yet.")
        else:
            total = sum(((now if o.end is None else o.end) - o.start) for o in outages)
            plural = "s" if len(outages) != 1 else ""
            self.summary.setText(
                f"{len(outages)} outage{plural}, {describe_duration(total)} off the grid in all."
            )


class ActionLog(QWidget):
    """The recent runs of the user's actions, newest first; a failure is marked and coloured."""

    COLUMNS = ("When", "Event", "Result", "Command", "Last output")
    FAILED = QColor("#c0392b")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setAccessibleName("Action runs")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.summary = QLabel("")
        self.summary.setAccessibleName("Actions summary")
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, stretch=1)
        self.show_runs([], 0.0)

    def show_runs(self, runs: list[ActionRun], now: float) -> None:
        rows = list(reversed(runs))
        self.table.setRowCount(len(rows))
        for row, run in enumerate(rows):
            failed = run.outcome.failure
            event = action_label(run.trigger) + (" (test)" if run.test else "")
            cells = (
                _time(run.started_at, now),
                event,
                run_result(run),
                join_command(run.command),
                run.output[-1] if run.output else "",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if run.output:
                    item.setToolTip("\n".join(run.output))
                if failed:
                    item.setForeground(self.FAILED)
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        if not runs:
            self.summary.setText(
                "No action has run yet. Choose commands to run on outages and other events in "
                "Preferences, on the Actions tab."
            )
            return
        failures = sum(1 for run in runs if run.outcome.failure)
        plural = "s" if len(runs) != 1 else ""
        verdict = f", {failures} failed" if failures else ", all fine"
        self.summary.setText(f"{len(runs)} recent run{plural}{verdict}.")


class MainWindow(QMainWindow):
    def __init__(
        self,
        history: HistoryStore | None,
        *,
        clock: Callable[[], float] = time.time,
        units: Units = DEFAULT_UNITS,
        reduce_motion: bool = False,
        on_refresh: Callable[[], None] | None = None,
        state_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.history = history
        self.units = units
        self._clock = clock
        self._snapshot: Snapshot | None = None
        self._detail_node: Node | None = None
        self._today_read = 0.0
        self.setWindowTitle("pwtray")
        self.setMinimumSize(720, 520)
        self.state_file = state_file or Path(
            platformdirs.user_state_dir("pwtray", appauthor=False), "window.ini"
        )

        self.headline = QLabel("Connecting…")
        font = QFont()
        font.setPointSize(18)
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)  # "Grid outage — running on Powerwall" at 18 pt
        self.headline.setAccessibleName("Battery and grid")
        self.flow = FlowDiagram()
        self.flow.set_units(units)
        self.flow.set_reduce_motion(reduce_motion)
        self.panel = StatusPanel()
        self.flow.node_clicked.connect(self._show_node)
        now_tab = QWidget()
        now_layout = QHBoxLayout(now_tab)
        left = QVBoxLayout()
        left.addWidget(self.headline)
        left.addWidget(self.flow, stretch=1)
        now_layout.addLayout(left, stretch=3)
        panel_scroll = QScrollArea()  # a small window (or a big font) scrolls the numbers
        panel_scroll.setWidget(self.panel)
        panel_scroll.setWidgetResizable(True)
        panel_scroll.setFrameShape(QFrame.Shape.NoFrame)
        panel_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        panel_scroll.viewport().setAutoFillBackground(False)  # the tab's own background
        self.panel.setAutoFillBackground(False)
        now_layout.addWidget(panel_scroll, stretch=2)

        self._history_view: HistoryView | None = None  # built when first shown (pyqtgraph)
        self._history_page = QWidget()
        QVBoxLayout(self._history_page).setContentsMargins(0, 0, 0, 0)
        self._span = Span.DAY
        self.outage_log = OutageLog()
        self.outage_log.export_button.clicked.connect(self.ask_export_outages)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Views")
        self.tabs.addTab(now_tab, "&Now")
        self.tabs.addTab(self._history_page, "&History")
        self.tabs.addTab(self.outage_log, "&Outages")
        self.action_log = ActionLog()
        self.tabs.addTab(self.action_log, "&Actions")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.notice = QLabel("")  # why this window stands in for a tray icon, when it does
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Notice")
        self.notice.setStyleSheet("QLabel { padding: 6px; border: 1px solid palette(mid); }")
        self.notice.hide()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.notice)
        column.addWidget(self.tabs, stretch=1)
        self.setCentralWidget(central)
        self.on_close: Callable[[], None] | None = None
        self.status = QLabel("")
        self.statusBar().addPermanentWidget(self.status)
        self._build_menu(on_refresh)
        self._ticker = QTimer(self)  # "updated N s ago" and today's energy
        self._ticker.setInterval(15_000)
        self._ticker.timeout.connect(self._tick)
        self.restore_state()

    # ------------------------------------------------------------------ menus
    def _build_menu(self, on_refresh: Callable[[], None] | None) -> None:
        file_menu = self.menuBar().addMenu("&File")
        export = QAction("Export &history as CSV…", self)
        export.setShortcut(QKeySequence("Ctrl+E"))
        export.triggered.connect(self.ask_export_history)
        file_menu.addAction(export)
        file_menu.addAction("Export &outage log as CSV…", self.ask_export_outages)
        file_menu.addSeparator()
        close = QAction("&Close window", self)
        # Ctrl+W, and the platform's own Close key where it differs (the same key twice makes
        # Qt call the shortcut ambiguous and run neither: Ctrl+W did nothing on Linux).
        keys = {QKeySequence("Ctrl+W"), QKeySequence(QKeySequence.StandardKey.Close)}
        close.setShortcuts(sorted(keys, key=lambda k: k.toString()))
        close.triggered.connect(self.close)
        file_menu.addAction(close)
        view = self.menuBar().addMenu("&View")
        for index, name in enumerate(("&Now", "&History", "&Outages", "&Actions")):
            action = QAction(name, self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _=False, i=index: self.tabs.setCurrentIndex(i))
            view.addAction(action)
        view.addSeparator()
        self.motion_action = QAction("&Reduce motion", self)
        self.motion_action.setCheckable(True)
        self.motion_action.setChecked(self.flow.reduce_motion)
        self.motion_action.toggled.connect(self.flow.set_reduce_motion)
        view.addAction(self.motion_action)
        if on_refresh is not None:
            refresh = QAction("Re&fresh now", self)
            refresh.setShortcut(QKeySequence.StandardKey.Refresh)
            refresh.triggered.connect(on_refresh)
            view.addAction(refresh)

    # ------------------------------------------------------------------ updates
    def show_snapshot(self, snapshot: Snapshot, now: float | None = None) -> None:
        now = self._clock() if now is None else now
        self._snapshot = snapshot
        self.headline.setText(status_line(snapshot))
        self.flow.show_snapshot(snapshot)
        self.panel.show_snapshot(snapshot, now, snapshot.grid_since, self.units)
        if self._history_view is not None:
            self._history_view.set_reserve(snapshot.reserve_percent)
        self._show_status(now)
        if self._detail_node is not None:  # keep the node the user opened up to date
            self.panel.details.setText(node_details(self._detail_node.value, snapshot, self.units))
        if now - self._today_read > 60:
            self._show_today(now)

    def _show_today(self, now: float) -> None:
        self._today_read = now
        if self.history is None:
            self.panel.show_today(None, self.units)
            return
        today = dt.datetime.fromtimestamp(now).astimezone().date()
        days = self.history.daily_energy(today, today)
        self.panel.show_today(days[0] if days else None, self.units)

    def _show_status(self, now: float) -> None:
        s = self._snapshot
        if s is None or s.last_success_at is None:
            self.status.setText("No reading yet")
            return
        age = describe_duration(max(0.0, now - s.last_success_at))
        state = "" if s.connectivity is Connectivity.ONLINE else f" — {status_line(s)}"
        self.status.setText(f"Updated {_time(s.last_success_at, now)} ({age} ago){state}")

    def _show_node(self, node: Node) -> None:
        self._detail_node = node
        self.panel.details_box.setTitle(node.value)
        self.panel.details.setText(node_details(node.value, self._snapshot, self.units))

    def _tick(self) -> None:
        now = self._clock()
        self._show_status(now)
        self._show_today(now)

    @property
    def history_view(self) -> HistoryView:
        """The History tab's charts, built on first use: the Now tab paints without them."""
        if self._history_view is None:
            from pwtray.ui.history_view import HistoryView

            view = HistoryView(self.history, clock=self._clock, units=self.units)
            view.set_span(self._span)
            view.export_requested.connect(self.ask_export_history)
            if self._snapshot is not None:
                view.set_reserve(self._snapshot.reserve_percent)
            layout = self._history_page.layout()
            assert layout is not None  # noqa: S101 - made in __init__
            layout.addWidget(view)
            self._history_view = view
        return self._history_view

    def _tab_changed(self, index: int) -> None:
        if TABS[index] == "history":
            self.history_view.show()
        elif TABS[index] == "outages":
            self.refresh_outages()

    def refresh_outages(self) -> None:
        outages = self.history.outages() if self.history is not None else []
        self.outage_log.show_outages(outages, self._clock(), self.units)

    def show_runs(self, runs: list[ActionRun]) -> None:
        """The user's actions that ran (from the core, through the bridge)."""
        self.action_log.show_runs(runs, self._clock())

    def set_units(self, units: Units) -> None:
        self.units = units
        self.flow.set_units(units)
        if self._history_view is not None:
            self._history_view.set_units(units)
        if self._snapshot is not None:
            self.show_snapshot(self._snapshot)
        self._show_today(self._clock())

    def showEvent(self, event: object) -> None:
        self._ticker.start()
        self._show_today(self._clock())
        if self.tabs.currentIndex() == TABS.index("outages"):
            self.refresh_outages()

    def hideEvent(self, event: object) -> None:
        self._ticker.stop()

    # ------------------------------------------------------------------ export
    def ask_export_history(self) -> None:
        start, _end = self.history_view.bounds()
        day = dt.datetime.fromtimestamp(start).astimezone().date()
        path, _ = QFileDialog.getSaveFileName(
            self, "Export history", str(Path.home() / f"pwtray-history-{day}.csv"),
            "CSV files (*.csv)",
        )  # fmt: skip
        if path:
            self.export_history(Path(path))

    def ask_export_outages(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export outage log", str(Path.home() / "pwtray-outages.csv"), "CSV files (*.csv)"
        )
        if path:
            self.export_outages(Path(path))

    def export_history(self, path: Path) -> int | None:
        """Every reading of the History tab's range, at the finest resolution kept."""
        if self.history is None:
            self._export_failed(path, "there is no history yet")
            return None
        start, end = self.history_view.bounds()
        store = self.history
        return self._write(path, lambda out: store.export_samples_csv(out, start, end), "readings")

    def export_outages(self, path: Path) -> int | None:
        if self.history is None:
            self._export_failed(path, "there is no history yet")
            return None
        store = self.history
        return self._write(path, store.export_outages_csv, "outages")

    def _write(self, path: Path, write: Callable[..., int], what: str) -> int | None:
        """Write to a temporary file beside ``path`` and rename: a failure leaves no half file."""
        partial = path.with_name(f".{path.name}.partial")
        try:
            with partial.open("w", newline="", encoding="utf-8") as out:
                rows = write(out)
            os.replace(partial, path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            self._export_failed(path, exc.strerror or str(exc))
            return None
        self.statusBar().showMessage(f"Saved {rows} {what} to {path}", 10_000)
        log.info("exported %d %s to %s", rows, what, path)
        return rows

    def _export_failed(self, path: Path, reason: str) -> None:
        self.statusBar().showMessage(f"Could not save {path.name}: {reason}", 10_000)
        box = QMessageBox(QMessageBox.Icon.Warning, "Export failed",
                          f"Could not save {path}:\n{reason}.", parent=self)  # fmt: skip
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, without a nested event loop

    # ------------------------------------------------------------------ window state
    def _settings(self) -> QSettings:
        return QSettings(str(self.state_file), QSettings.Format.IniFormat)

    def restore_state(self) -> None:
        settings = self._settings()
        geometry = settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(980, 640)
        tab = settings.value("tab", "now")
        if tab in TABS:
            self.tabs.setCurrentIndex(TABS.index(str(tab)))
        span = settings.value("history_span", Span.DAY.name)
        if span in Span.__members__:
            self._span = Span[str(span)]
            if self._history_view is not None:
                self._history_view.set_span(self._span)

    def save_state(self) -> None:
        settings = self._settings()
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("tab", TABS[self.tabs.currentIndex()])
        span = self._history_view.span if self._history_view is not None else self._span
        settings.setValue("history_span", span.name)
        settings.sync()
        if settings.status() != QSettings.Status.NoError:
            log.warning("could not save the window's state to %s", self.state_file)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)
        if self.on_close is not None:
            self.on_close()
