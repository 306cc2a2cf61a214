"""The tray on a (fake) desktop: the item it registers, its icon and tooltip, notifications."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from pwtray.core import Site, Supervisor, effective
from pwtray.core.notify import Notifier
from pwtray.gateway import GridState, OperationMode
from pwtray.monitor import Connectivity, Estimates, Event, Snapshot
from pwtray.settings import Settings
from pwtray.ui.bridge import Bridge
from pwtray.ui.icon import paint
from pwtray.ui.tray import TrayController, icon_state
from tests.ui.fakedesktop import FakeDesktop

T0 = 1_800_000_000.0


def snapshot(**values: Any) -> Snapshot:
    base: dict[str, Any] = {
        "taken_at": T0,
        "connectivity": Connectivity.ONLINE,
        "soe_percent": 62.0,
        "grid": GridState.CONNECTED,
        "battery_w": -1500.0,
        "site_w": -200.0,
        "load_w": 800.0,
        "solar_w": 2500.0,
        "mode": OperationMode.SELF_CONSUMPTION,
        "mode_raw": "self_consumption",
        "reserve_percent": 20.0,
        "last_success_at": T0 - 3,
        "estimates": Estimates(-1500.0, 5400.0, None, None),
    }
    base.update(values)
    return Snapshot(**base)


@pytest.fixture
def tray(qapp: Any, desktop: FakeDesktop, qtbot: QtBot) -> Iterator[TrayController]:
    site = Site(effective(Settings()), password=None, history=None, supervisor=Supervisor())
    bridge = Bridge(site)
    # No notification client: a notice here would be one of Qt's own balloons, which the fake
    # desktop refuses (an int32 urgency) — notifications are tested in test_desktop_notifications.
    notifier = Notifier(lambda intent: controller.deliver(intent))
    registered = len(desktop.items)  # before this tray exists: its own item must arrive
    controller = TrayController(
        bridge, notifier, on_quit=lambda: None, on_refresh=lambda: None, clock=lambda: T0
    )
    qtbot.waitUntil(lambda: len(desktop.items) > registered, timeout=5000)
    yield controller
    controller.hide()
    bridge.close()


def ask(qtbot: QtBot, query: Callable[[], Any]) -> Any:
    """Ask the app over D-Bus from another thread while Qt keeps answering on this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(query)
        qtbot.waitUntil(future.done, timeout=8000)
        return future.result()


def publish(tray: TrayController, snap: Snapshot, events: list[Event] | None = None) -> None:
    tray.bridge._on_update(snap, events or [])


def test_the_item_shows_the_battery_and_grid_in_its_tooltip(
    tray: TrayController, desktop: FakeDesktop, qtbot: QtBot
) -> None:
    publish(tray, snapshot())
    title, _ = ask(qtbot, desktop.tooltip)
    assert title.splitlines() == [
        "Powerwall 62 %, charging 1.5 kW",
        "Grid connected",
        "Solar 2.5 kW · Home 0.8 kW · Grid exporting 0.2 kW",
        "Self-powered, reserve 20 %",
        "Full in 1 h 30 min",
        "Updated 3 s ago",
    ]
    assert tray.status_action.text() == "62 % · Grid connected"


def test_the_item_icon_follows_the_grid(
    tray: TrayController, desktop: FakeDesktop, qtbot: QtBot
) -> None:
    outage = snapshot(grid=GridState.ISLANDED, battery_w=900.0)
    publish(tray, outage)
    qtbot.wait(200)
    pixmaps = {width: data for width, _, data in ask(qtbot, desktop.icon_pixmaps)}
    assert sorted(pixmaps) == [16, 22, 24, 32, 44]
    for size in (22, 32):  # the pixels the tray host receives are the painted outage icon's
        expected = paint(icon_state(outage), size).convertToFormat(QImage.Format.Format_ARGB32)
        argb = bytes(
            channel
            for y in range(size)
            for x in range(size)
            for channel in _argb(expected.pixel(x, y))
        )
        assert pixmaps[size] == argb


def _argb(pixel: int) -> tuple[int, int, int, int]:
    return (pixel >> 24) & 255, (pixel >> 16) & 255, (pixel >> 8) & 255, pixel & 255


def test_the_item_keeps_to_the_status_notifier_spec(
    tray: TrayController, desktop: FakeDesktop, qtbot: QtBot
) -> None:
    publish(tray, snapshot())
    properties = ask(qtbot, desktop.item_properties)
    assert ask(qtbot, desktop.item_violations) == []
    assert properties["Status"] == ("s", "Active")
    assert {w for w, _, _ in properties["IconPixmap"][1]} >= {16, 22, 24, 32}


def test_repaints_only_when_the_icon_changes(tray: TrayController) -> None:
    publish(tray, snapshot())
    before = tray.repaints
    publish(tray, snapshot(taken_at=T0 + 5, soe_percent=62.3, battery_w=-1490.0))
    publish(tray, snapshot(taken_at=T0 + 10, soe_percent=61.8))
    assert tray.repaints == before
    publish(tray, snapshot(taken_at=T0 + 15, soe_percent=63.0))
    assert tray.repaints == before + 1


def test_the_menu(tray: TrayController) -> None:
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts[:2] == ["Connecting…", "Open pwtray"]
    for entry in (
        "Pause notifications",
        "Refresh now",
        "Operation mode and reserve…",
        "Gateway info…",
        "Connection…",
        "Preferences…",
        "About pwtray",
        "Quit",
    ):
        assert entry in texts


def test_menu_entries_open_what_the_app_gave_them(tray: TrayController) -> None:
    opened: list[str] = []
    tray.actions = {"mode": lambda: opened.append("mode"),
                    "preferences": lambda: opened.append("preferences")}  # fmt: skip
    by_text = {a.text(): a for a in tray.menu.actions()}
    by_text["Operation mode and reserve…"].trigger()
    by_text["Preferences…"].trigger()
    by_text["Gateway info…"].trigger()  # nothing given: nothing happens, nothing breaks
    assert opened == ["mode", "preferences"]


def test_a_problem_that_waits_for_the_user_leads_to_the_connection_dialog(
    tray: TrayController,
) -> None:
    opened: list[str] = []
    tray.actions = {"connection": lambda: opened.append("connection")}
    publish(tray, snapshot(connectivity=Connectivity.CERTIFICATE_CHANGED), [])
    assert tray.status_action.text() == "Certificate changed — fix in Connection…"
    assert tray.status_action.isEnabled()
    tray.status_action.trigger()
    assert opened == ["connection"]
    publish(tray, snapshot(), [])
    assert not tray.status_action.isEnabled()


def test_pausing_says_until_when_and_resumes(tray: TrayController) -> None:
    tray.pause(3600)
    assert tray.notifier.paused
    assert tray.pause_text().startswith("Notifications are paused until ")
    assert tray.resume_action.isEnabled()
    tray.resume()
    assert tray.pause_text() == "Notifications are on."
    assert not tray.resume_action.isEnabled()


def test_start_the_powerwalls_is_offered_only_while_they_are_stopped(
    tray: TrayController,
) -> None:
    publish(tray, snapshot())
    assert not tray.start_action.isVisible()
    publish(tray, snapshot(connectivity=Connectivity.GATEWAY_STOPPED, sitemaster_running=False))
    assert tray.start_action.isVisible()
    tray.start_action.trigger()  # asks first: nothing is started without the user's yes
    assert "neither supply the house nor charge" in tray.start_confirmation.text()
    tray.start_confirmation.reject()
    publish(tray, snapshot())
    assert not tray.start_action.isVisible()
