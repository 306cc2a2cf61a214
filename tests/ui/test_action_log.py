"""The window's Actions tab: the runs the core records reach it through the bridge, newest
first, a failure marked in words and colour."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QTableWidgetItem
from pytestqt.qtbot import QtBot

from pwtray.core import ActionRun, CliOptions, Core, Outcome, Trigger
from pwtray.ui.bridge import Bridge
from pwtray.ui.window import TABS, MainWindow
from tests.fakeclock import T0
from tests.ui.conftest import until

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def cell(window: MainWindow, row: int, column: int) -> QTableWidgetItem:
    item = window.action_log.table.item(row, column)
    assert item is not None
    return item


def window_for(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    window = MainWindow(None, clock=lambda: T0 + 600, state_file=tmp_path / "window.ini")
    qtbot.addWidget(window)
    window.tabs.setCurrentIndex(TABS.index("actions"))
    window.show()
    return window


def test_runs_are_listed_newest_first_and_failures_stand_out(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    window = window_for(qtbot, tmp_path)
    log = window.action_log
    assert log.table.rowCount() == 0
    assert log.summary.text().startswith("No action has run yet.")
    ok = ActionRun(
        trigger=Trigger.GRID_OUTAGE,
        command=("notify-send", "Grid down"),
        started_at=T0,
        duration_s=0.4,
        outcome=Outcome.OK,
        exit_code=0,
    )
    failed = ActionRun(
        trigger=Trigger.CHARGE_BELOW,
        command=("/usr/local/bin/shed-load",),
        started_at=T0 + 60,
        duration_s=1.25,
        outcome=Outcome.FAILED,
        exit_code=3,
        output=("relay 2 not answering",),
    )
    window.show_runs([ok, failed])
    assert log.summary.text() == "2 recent runs, 1 failed."
    texts = [[cell(window, r, c).text() for c in range(log.table.columnCount())] for r in range(2)]
    assert texts[0][1:] == [
        "Charge below the threshold (off grid)",
        "✖ exit code 3 after 1.2 s",
        "/usr/local/bin/shed-load",
        "relay 2 not answering",
    ]
    assert texts[1][1:4] == ["Grid outage", "✔ done in 0.4 s", "notify-send 'Grid down'"]
    failed_item, ok_item = cell(window, 0, 2), cell(window, 1, 2)
    assert failed_item.font().weight() == QFont.Weight.Bold
    assert failed_item.foreground().color() != ok_item.foreground().color()
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "window-actions.png"))


def test_a_run_in_the_core_reaches_the_window_through_the_bridge(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    window = window_for(qtbot, tmp_path)

    async def scenario() -> None:
        core = await Core.start(CliOptions(demo=True))
        bridge = Bridge(core.site, core)
        bridge.runs_changed.connect(window.show_runs)
        try:
            await core.actions.test(Trigger.UNREACHABLE, [sys.executable, "-c", "print('hi')"])
            await until(lambda: window.action_log.table.rowCount() == 1, what="the run")
        finally:
            bridge.close()
            await core.close()

    qloop.run_until_complete(scenario())
    assert cell(window, 0, 1).text() == "Gateway unreachable (test)"
    assert cell(window, 0, 4).text() == "hi"
