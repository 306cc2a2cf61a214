"""The main window against a real history file filled by the simulator's site model: what the
status panel and charts show, bounded queries, CSV export, window state, keyboard, screenshots."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDateEdit,
    QMessageBox,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from pwtray.core.words import Units
from pwtray.gateway import GridState
from pwtray.monitor import Connectivity, HistoryStore, Snapshot
from pwtray.ui.flow import FlowDiagram, Node
from pwtray.ui.history_view import MAX_POINTS, tick_labels
from pwtray.ui.spans import Span
from pwtray.ui.window import MainWindow
from tests.ui.sitehistory import SimTime, simulate

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
END = dt.datetime(2026, 7, 14, 17, 30).astimezone()
NOW = END.timestamp()
HOUR = 3600.0


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Snapshot]:
    """Seven simulated days ending on a sunny evening; two outages, the last ended 1 h ago."""
    path = tmp_path_factory.mktemp("week") / "history.sqlite"
    clock = SimTime(NOW - 7 * 86_400)
    store = HistoryStore(path, clock=clock)
    last = simulate(store, clock, END, days=7, outages=((3.5, 1.0), (80.0, 78.0)))
    store.close()
    return path, last


@pytest.fixture
def store(week: tuple[Path, Snapshot]) -> Iterator[HistoryStore]:
    history = HistoryStore(week[0], clock=lambda: NOW)
    yield history
    history.close()


@pytest.fixture
def window(qapp: QApplication, qtbot: QtBot, store: HistoryStore, tmp_path: Path) -> MainWindow:
    win = MainWindow(store, clock=lambda: NOW, state_file=tmp_path / "window.ini")
    qtbot.addWidget(win)
    return win


def show(qtbot: QtBot, win: QWidget) -> None:
    win.show()
    qtbot.waitExposed(win)


def test_the_status_panel_says_what_the_history_and_snapshot_hold(
    window: MainWindow, week: tuple[Path, Snapshot], store: HistoryStore
) -> None:
    window.show_snapshot(week[1], NOW)
    panel = window.panel
    assert panel.text("grid") == "Grid connected since 16:30"  # the outage log's last end
    assert panel.text("reserve") == "20 % (gateway value 24.0 %)"
    assert panel.text("mode") == "Self-powered"
    (today,) = store.daily_energy(END.date(), END.date())
    assert panel.text("solar") == f"{today.solar_wh / 1000:.1f} kWh"
    assert panel.text("grid_out") == f"{today.grid_export_wh / 1000:.1f} kWh"
    assert today.solar_wh > 10_000  # a sunny July day in the model


def test_a_window_opened_during_an_outage_says_since_when(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    clock = SimTime(NOW - 86_400)
    history = HistoryStore(tmp_path / "h.sqlite", clock=clock)
    last = simulate(history, clock, END, days=1, outages=((2.0, 0.0),))
    win = MainWindow(history, clock=lambda: NOW, state_file=tmp_path / "w.ini")
    qtbot.addWidget(win)
    win.show_snapshot(last, NOW)
    assert last.grid is GridState.ISLANDED
    assert win.panel.text("grid") == "Grid outage — running on Powerwall since 15:30"
    assert "Grid outage" in win.headline.text()
    assert win.flow.state is not None
    assert win.flow.state.outage
    win.tabs.setCurrentIndex(2)
    table = win.outage_log.table
    assert [table.item(0, c).text() for c in (1, 2)] == [  # type: ignore[union-attr]
        "ongoing",
        "2 h 00 min so far",
    ]
    history.close()


def test_an_outage_told_by_the_cloud_is_marked_as_recorded_by_tesla(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    clock = SimTime(NOW - 86_400)
    history = HistoryStore(tmp_path / "h.sqlite", clock=clock)
    last = simulate(history, clock, END, days=1, outages=((2.0, 0.5),))
    assert history.add_unwatched_outage(NOW - 80_000, NOW - 79_000)  # while pwtray was off
    win = MainWindow(history, clock=lambda: NOW, state_file=tmp_path / "w.ini")
    qtbot.addWidget(win)
    win.show_snapshot(last, NOW)
    win.tabs.setCurrentIndex(2)
    table = win.outage_log.table
    recorded_by = table.columnCount() - 1
    by = [table.item(row, recorded_by).text() for row in range(table.rowCount())]  # type: ignore[union-attr]
    assert by == ["pwtray", "Tesla"]  # newest first
    told = table.item(1, 3)
    assert told is not None
    assert told.text() == "—"  # no readings of it
    assert "pwtray was not running" in told.toolTip()
    history.close()


def test_the_chart_shows_the_requested_range_with_bounded_points(
    window: MainWindow, qtbot: QtBot, store: HistoryStore
) -> None:
    view = window.history_view
    window.tabs.setCurrentIndex(1)
    show(qtbot, window)
    for span, seconds in ((Span.DAY, 86_400), (Span.WEEK, 7 * 86_400)):
        view.set_span(span)
        shown = view.shown
        assert shown is not None
        assert (shown.start, shown.end) == (NOW - seconds, NOW)
        assert 0 < shown.points <= MAX_POINTS
        xs, _ = view.curves["solar_w"].getData()
        assert len(xs) == shown.points
        assert xs[0] >= shown.start
        assert xs[-1] < shown.end
        (left, right), _ = view.power_plot.vb.viewRange()
        assert left <= shown.start < shown.end <= right
        assert right - left < seconds * 1.05
    assert view.shown is not None
    assert view.shown.outages == 2
    # Zoom into one hour: the store is asked again, at its finer resolution.
    view.power_plot.setXRange(NOW - 2 * HOUR, NOW - HOUR, padding=0)
    view._load_visible()
    zoomed = view.shown
    assert zoomed is not None
    assert zoomed.end - zoomed.start == pytest.approx(HOUR, rel=0.01)
    assert zoomed.points == 60  # every one-minute reading of that hour: nothing averaged away


def test_a_custom_range_and_the_crosshair_readout(window: MainWindow, store: HistoryStore) -> None:
    view = window.history_view
    view.set_custom_range(dt.date(2026, 7, 11), dt.date(2026, 7, 11))
    shown = view.shown
    assert shown is not None
    assert shown.start == dt.datetime(2026, 7, 11).astimezone().timestamp()
    assert shown.end - shown.start == 86_400
    assert shown.outages == 1  # 09:30-11:30 that Saturday
    ten = dt.datetime(2026, 7, 11, 10, 0).astimezone().timestamp()
    text = view.readout_at(ten)
    assert text.startswith("Sat 11 Jul 10:")
    assert "grid outage" in text
    assert "Solar " in text
    assert "charge " in text


def test_the_reserve_line_follows_the_snapshot(
    window: MainWindow, week: tuple[Path, Snapshot]
) -> None:
    window.show_snapshot(week[1], NOW)
    line = window.history_view.reserve_line
    assert line.isVisible()
    assert line.value() == pytest.approx(20.0)
    assert line.label.format == "backup reserve 20 %"


def test_csv_export_writes_what_the_store_holds(
    window: MainWindow, store: HistoryStore, tmp_path: Path
) -> None:
    window.history_view.set_span(Span.DAY)
    path = tmp_path / "history.csv"
    rows = window.export_history(path)
    expected = io.StringIO()
    assert rows == store.export_samples_csv(expected, NOW - 86_400, NOW) == 1440
    with path.open(newline="", encoding="utf-8") as written:
        assert written.read() == expected.getvalue()
    outages = tmp_path / "outages.csv"
    assert window.export_outages(outages) == 2
    assert outages.read_text(encoding="utf-8").count("\n") == 3
    assert "Saved 2 outages" in window.statusBar().currentMessage()


def test_a_failed_export_says_why_and_leaves_no_half_file(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    show(qtbot, window)
    target = tmp_path / "missing-folder" / "history.csv"
    assert window.export_history(target) is None
    box = window.findChild(QMessageBox)
    assert box is not None
    assert "No such file or directory" in box.text()
    assert not target.parent.exists()
    box.close()


def test_window_state_is_restored(
    qapp: QApplication, qtbot: QtBot, store: HistoryStore, tmp_path: Path
) -> None:
    state = tmp_path / "window.ini"
    first = MainWindow(store, clock=lambda: NOW, state_file=state)
    qtbot.addWidget(first)
    show(qtbot, first)
    first.resize(1111, 707)
    first.tabs.setCurrentIndex(2)
    first.history_view.set_span(Span.MONTH)
    first.close()
    second = MainWindow(store, clock=lambda: NOW, state_file=state)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (1111, 707)
    assert second.tabs.currentIndex() == 2
    assert second.history_view.span is Span.MONTH


def test_a_damaged_state_file_gives_the_default_window(
    qapp: QApplication, qtbot: QtBot, store: HistoryStore, tmp_path: Path
) -> None:
    state = tmp_path / "window.ini"
    state.write_bytes(b"\x00\xff[General]\ngeometry=@ByteArray(garbage)\ntab=elsewhere\n")
    win = MainWindow(store, clock=lambda: NOW, state_file=state)
    qtbot.addWidget(win)
    assert win.tabs.currentIndex() == 0
    assert win.width() >= win.minimumWidth()


def test_keyboard_reaches_everything(window: MainWindow, qtbot: QtBot,
                                     week: tuple[Path, Snapshot]) -> None:  # fmt: skip
    show(qtbot, window)
    window.show_snapshot(week[1], NOW)
    with qtbot.waitActive(window):  # shortcuts go to the active window
        window.activateWindow()
    window.flow.setFocus()
    assert window.flow.selected is Node.POWERWALL
    QTest.keyClick(window.flow, Qt.Key.Key_Right)
    assert window.flow.selected.value == "Solar"
    QTest.keyClick(window.flow, Qt.Key.Key_Return)
    assert window.panel.details_box.title() == "Solar"
    assert window.panel.details.text().startswith("Now ")
    QTest.keyClick(window.flow, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1
    QTest.keyClick(window.tabs, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 2


def test_controls_and_the_diagram_have_accessible_names(window: MainWindow) -> None:
    unnamed = [
        type(w).__name__
        for kind in (QComboBox, QDateEdit, QTableWidget, FlowDiagram)
        for w in window.findChildren(kind)
        if not w.accessibleName()
    ] + [b.objectName() for b in window.findChildren(QAbstractButton) if not b.text()
         and not b.accessibleName() and b.isVisibleTo(window)]  # fmt: skip
    assert unnamed == []
    window.show_snapshot(
        Snapshot(taken_at=NOW, connectivity=Connectivity.ONLINE, solar_w=2000.0, load_w=800.0,
                 site_w=-1200.0, battery_w=0.0, soe_percent=80.0, last_success_at=NOW)
    )  # fmt: skip
    assert window.flow.accessibleDescription() == (
        "Solar produces 2.0 kW; Grid receives 1.2 kW; Home uses 0.8 kW"
    )


def test_the_diagram_animates_only_on_the_visible_tab(
    window: MainWindow, qtbot: QtBot, week: tuple[Path, Snapshot]
) -> None:
    window.show_snapshot(week[1], NOW)
    show(qtbot, window)
    assert window.flow.is_animating()
    window.tabs.setCurrentIndex(1)
    assert not window.flow.is_animating()
    window.tabs.setCurrentIndex(0)
    assert window.flow.is_animating()
    window.motion_action.setChecked(True)  # View > Reduce motion
    assert not window.flow.is_animating()
    window.motion_action.setChecked(False)
    window.hide()
    assert not window.flow.is_animating()


def test_units_from_preferences(window: MainWindow, week: tuple[Path, Snapshot]) -> None:
    window.show_snapshot(week[1], NOW)
    window.set_units(Units(kilo=False))
    assert window.panel.text("solar").endswith(" Wh")
    assert window.history_view.power_plot.getAxis("left").labelText == "W"
    window.set_units(Units(kilo=True, decimals=2))
    assert window.panel.text("solar").endswith(" kWh")
    assert window.panel.text("solar").split(".")[1].startswith(tuple("0123456789"))
    assert len(window.panel.text("solar").split(".")[1].split(" ")[0]) == 2


def _dark(app: QApplication) -> QPalette:
    palette = QPalette(QColor(45, 45, 48))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(235, 235, 235))
    palette.setColor(QPalette.ColorRole.Text, QColor(235, 235, 235))
    palette.setColor(QPalette.ColorRole.Base, QColor(30, 30, 32))
    palette.setColor(QPalette.ColorRole.Button, QColor(55, 55, 58))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(235, 235, 235))
    return palette


SCENES = {  # picture -> (end of the simulated days, outages as hours before the end)
    "normal": (dt.datetime(2026, 7, 14, 10, 30).astimezone(), ((50.0, 48.5),)),
    "outage": (dt.datetime(2026, 7, 14, 21, 10).astimezone(), ((1.5, 0.0),)),
}


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("scene", ["normal", "outage"])
def test_screenshots(qapp: QApplication, qtbot: QtBot, tmp_path: Path, dark: bool,
                     scene: str) -> None:  # fmt: skip
    end, outages = SCENES[scene]
    now = end.timestamp()
    clock = SimTime(now - 3 * 86_400)
    history = HistoryStore(tmp_path / "h.sqlite", clock=clock)
    last = simulate(history, clock, end, days=3, outages=outages)
    win = MainWindow(history, clock=lambda: now, state_file=tmp_path / "w.ini")
    qtbot.addWidget(win)
    if dark:
        win.setPalette(_dark(qapp))
    win.resize(1000, 660)
    win.show_snapshot(last, now)
    show(qtbot, win)
    win.flow.setFocus()
    QTest.mouseClick(win.flow, Qt.MouseButton.LeftButton, pos=_centre(win.flow, Node.POWERWALL))
    assert win.panel.details_box.title() == "Powerwall"
    assert "Energy remaining" in win.panel.details.text()
    ARTIFACTS.mkdir(exist_ok=True)
    theme = "dark" if dark else "light"
    for index, tab in enumerate(("now", "history", "outages")):
        win.tabs.setCurrentIndex(index)
        QApplication.processEvents()  # let the layouts settle before the picture
        assert win.grab().save(str(ARTIFACTS / f"window-{tab}-{scene}-{theme}.png"))
    assert win.outage_log.table.rowCount() == 1
    assert (win.flow.state is not None and win.flow.state.outage) == (scene == "outage")
    win.close()
    history.close()


def _centre(diagram: FlowDiagram, node: Node) -> QPoint:
    return diagram.node_centres()[node].toPoint()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_first_look_at_a_history_minutes_old(qapp: QApplication, qtbot: QtBot,
                                                 tmp_path: Path, dark: bool) -> None:  # fmt: skip
    """What a new user sees on History after twenty minutes (the demo's first look): all of
    it, across the whole width, up to now; plain units; three plots with one left edge."""
    end = dt.datetime(2026, 7, 14, 10, 30).astimezone()
    now = end.timestamp()
    clock = SimTime(now - 1200)
    history = HistoryStore(tmp_path / "h.sqlite", clock=clock)
    simulate(history, clock, end, days=20 / 1440, step_s=5.0)  # the poller's fast reads
    win = MainWindow(history, clock=lambda: now, state_file=tmp_path / "w.ini")
    qtbot.addWidget(win)
    if dark:
        win.setPalette(_dark(qapp))
    win.resize(1280, 720)
    win.tabs.setCurrentIndex(1)
    show(qtbot, win)
    QApplication.processEvents()
    view = win.history_view
    shown = view.shown
    assert shown is not None
    assert shown.fitted
    assert (shown.start, shown.end) == (history.first_reading(), now)
    assert shown.end - shown.start == pytest.approx(1200, abs=10)
    assert view.empty_label.text().startswith("pwtray has been recording since 10:10")
    xs, _ = view.curves["load_w"].getData()
    assert len(xs) == shown.points > 200  # every 5-second reading of the 20 minutes
    assert xs[-1] >= now - 10  # the last readings, not yet rolled up, are drawn
    (left, right), _ = view.power_plot.vb.viewRange()
    assert (left, right) == (pytest.approx(shown.start), pytest.approx(now))  # ends at now
    plots = (view.power_plot, view.soe_plot, view.energy_plot)
    assert len({round(p.vb.sceneBoundingRect().left()) for p in plots}) == 1  # aligned
    (today,) = history.daily_energy(end.date(), end.date())
    assert today.home_wh < 1000  # energy below 1 kWh: once drawn as "kWh (x0.001)"
    for plot, unit in zip(plots, ("kW", "%", "kWh"), strict=True):
        axis = plot.getAxis("left")
        assert re.sub("<[^>]+>", "", axis.labelString()).strip() == unit  # no "(x0.001)"
        ticks = axis.tickStrings([0.0, 0.25, 0.5], 1.0, 0.25)
        assert ticks == ["0", "0.25", "0.50"]
    ARTIFACTS.mkdir(exist_ok=True)
    theme = "dark" if dark else "light"
    assert win.grab().save(str(ARTIFACTS / f"window-history-first-look-{theme}.png"))
    win.close()
    history.close()


def test_tick_labels_are_plain_numbers() -> None:
    assert tick_labels([-2000.0, 0.0, 2000.0, 12000.0], 2000.0) == [
        "\u22122\u2009000", "0", "2\u2009000", "12\u2009000"]  # fmt: skip
    assert tick_labels([0.0, 0.5, 1.0], 0.5) == ["0", "0.5", "1.0"]
    assert tick_labels([0.001, 0.002], 0.001) == ["0.001", "0.002"]
