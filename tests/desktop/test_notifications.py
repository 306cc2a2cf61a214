"""Notifications on the real desktop (xfce4-panel's Status Tray + dunst), as dunst received them.

The demo's story: the outage reaches dunst as CRITICAL with pwtray's own icon and its actions, the
restore takes its place (same id), pwtray's tray icon is never swapped for a stock one (Qt never
shows a message itself: its item never asks for attention), the actions work from dunst's own
controls (``dunstctl action``, dunst's action menu), and quitting takes pwtray's notices away.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.desktop.conftest import RunningApp
from tests.desktop.realdesktop import (
    DesktopUnavailableError,
    DunstNotification,
    RealDesktop,
    SessionBus,
    real_desktop,
)
from tests.waiting import wait_until

# The outage comes 3 s after start and lasts long enough to act on it.
LONG_OUTAGE = ("--demo", "--speed", "10", "--poll-seconds", "0.5",
               "--scenario", "outage:at=30,duration=900")  # fmt: skip
ICON = (
    Path(__file__).resolve().parents[2] / "resources/icons/hicolor/48x48/apps/pwtray.png"
).as_uri()


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealDesktop]:
    """The real desktop, with dunst's action menu answerable by the tests."""
    try:
        with real_desktop(tmp_path_factory.mktemp("notify-desktop"), menu_picker=True) as running:
            yield running
    except DesktopUnavailableError as exc:
        pytest.fail(str(exc))


class ItemWatch:
    """Samples the app's tray item (Status, AttentionIconName) every 0.2 s while it runs.

    Qt's showMessage sets the item to NeedsAttention with a stock attention icon (dialog-error,
    dialog-warning, dialog-information) for the message's duration: that is the swap users saw.
    """

    def __init__(self, desktop: RealDesktop, pid: int) -> None:
        self._bus: SessionBus = desktop.bus()
        self._pid = pid
        self.samples: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        item = None
        while not self._stop.wait(0.2):
            try:
                item = item or self._bus.tray_item_of(self._pid)
                if item is not None:
                    status = self._bus.item_property(item, "Status")
                    attention = self._bus.item_property(item, "AttentionIconName")
                    self.samples.append((status, attention))
            except (LookupError, TimeoutError):
                item = None  # not registered yet, or gone

    def __enter__(self) -> ItemWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._bus.close()


def grid_notices(desktop: RealDesktop, before: int) -> list[DunstNotification]:
    return [n for n in desktop.notifications()[before:] if n.summary.startswith("Grid")]


def test_the_demo_story_as_dunst_received_it(
    desktop: RealDesktop, start_app: Callable[..., RunningApp]
) -> None:
    before = len(desktop.notifications())
    app = start_app("--demo")
    with ItemWatch(desktop, app.process.pid) as watch:
        outage = desktop.wait_for_notification("Grid outage", after=before, timeout_s=60)
        desktop.shot("notify-outage")
        assert outage.critical, outage.urgency
        assert outage.appname == "pwtray"
        assert outage.icon == ICON  # pwtray's own icon, not dialog-error
        assert outage.category == "device.error"
        assert outage.timeout == 0
        assert outage.actions == {"default": "Open pwtray", "acknowledge": "Acknowledge"}
        assert "running on the Powerwall" in outage.body
        restored = desktop.wait_for_notification("Grid restored", after=before, timeout_s=90)
        desktop.shot("notify-restored")
        assert restored.id == outage.id  # the restore took the outage's place
        assert (restored.urgency, restored.icon) == ("NORMAL", ICON)
        assert "The grid is back after" in restored.body
        # dunst expires the restore notice after its own timeout; pwtray hears it.
        wait_until(lambda: f"#{restored.id} closed (expired)" in app.text(), 30, "the expiry")
    assert [n.summary for n in grid_notices(desktop, before)] == ["Grid outage", "Grid restored"]
    for notice in desktop.notifications()[before:]:
        assert not notice.icon.startswith("dialog-"), notice
    # The tray icon stayed pwtray's: the item never asked for attention with a stock icon.
    assert len(watch.samples) > 50
    assert set(watch.samples) == {("Active", "")}
    assert app.stop() == 0
    log = app.text()
    assert "notifications through dunst" in log
    assert "balloon:" not in log  # Qt's showMessage was never called


def test_quitting_takes_the_outage_notice_away(
    desktop: RealDesktop, start_app: Callable[..., RunningApp]
) -> None:
    before = len(desktop.notifications())
    app = start_app(*LONG_OUTAGE)
    outage = desktop.wait_for_notification("Grid outage", after=before, timeout_s=60)
    assert int(desktop.dunstctl("count", "displayed")) >= 1
    assert app.stop() == 0
    assert desktop.dunstctl("count", "displayed") == "0"
    assert f"closed notification #{outage.id}" in app.text()


def test_acknowledge_in_dunsts_menu_takes_the_outage_away(
    desktop: RealDesktop, start_app: Callable[..., RunningApp]
) -> None:
    before = len(desktop.notifications())
    app = start_app(*LONG_OUTAGE)
    outage = desktop.wait_for_notification("Grid outage", after=before, timeout_s=60)
    offered = desktop.choose_from_menu("Acknowledge (Grid outage)")
    assert f"#Acknowledge (Grid outage) [{outage.id},acknowledge]" in offered
    assert f"#Open pwtray (Grid outage) [{outage.id},default]" in offered
    wait_until(lambda: f"closed notification #{outage.id}" in app.text(), 20, "pwtray to close it")
    assert f"notification #{outage.id}: the user chose 'acknowledge'" in app.text()
    time.sleep(2)  # no reminder follows an acknowledged outage (it would come at once)
    assert [n.summary for n in grid_notices(desktop, before)] == ["Grid outage"]
    assert app.stop() == 0


def test_a_click_on_the_outage_opens_the_window(
    desktop: RealDesktop, start_app: Callable[..., RunningApp]
) -> None:
    before = len(desktop.notifications())
    app = start_app(*LONG_OUTAGE)
    outage = desktop.wait_for_notification("Grid outage", after=before, timeout_s=60)
    # dunstctl action 0: what a middle click on the top notification does (dunst sorts by
    # urgency, so the critical outage is on top) — its default action.
    desktop.dunstctl("action", "0")
    wait_until(lambda: f"notification #{outage.id}: the user chose 'default'" in app.text(), 20,
               "the click to reach pwtray")  # fmt: skip
    assert wait_until(lambda: windows_named(desktop, "^pwtray$"), 20, "pwtray's window")
    assert app.stop() == 0


def windows_named(desktop: RealDesktop, pattern: str) -> list[str]:
    """Visible windows whose name matches ``pattern`` (xdotool exits 1 when there are none)."""
    try:
        return desktop.run(["xdotool", "search", "--onlyvisible", "--name", pattern]).split()
    except subprocess.CalledProcessError:
        return []
