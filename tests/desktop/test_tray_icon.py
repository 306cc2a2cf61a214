"""The charge can be read off the real panel: Xfce's Status Tray, dark and light, at its 22 px.

The app runs against a simulated gateway on loopback whose charge the test sets; for each
charge the test waits for the tooltip to say it, screenshots the screen, finds the icon the app
registered in the panel strip, and has tesseract read the digits there.
(``benchmarks/icon_ocr.py`` measures the read rate over every charge from 0 to 100.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from jeepney import DBusAddress
from jeepney.io.blocking import DBusConnection

from tests.conftest import PASSWORD, SimFactory
from tests.desktop.conftest import RunningApp
from tests.desktop.panelicon import (
    find_icon,
    icon_pixmaps,
    screen,
    session_bus,
    tooltip_title,
    tray_item,
)
from tests.desktop.realdesktop import RealDesktop
from tests.iconreading import Array, digit_height, read_digits, require_tesseract
from tests.waiting import wait_until

PANEL_PX = 26  # real-desktop.sh's default panel height
XFCE_ICON_PX = 22  # the Status Tray's default icon size, whatever the panel's height
CHARGES = (5, 42, 88, 100)  # one digit, two, three; the tests' fixed set (the benchmark: all)


def test_the_charge_on_the_panel_reads_as_digits(
    panel: RealDesktop, launch: Callable[..., RunningApp], sim_factory: SimFactory
) -> None:
    require_tesseract()
    sim = sim_factory(soe_percent=CHARGES[0])
    sim.set_state(load_w=0, solar_w=0)  # an idle battery: the charge stays where the test puts it
    gateway = ("--host", sim.address, "--fingerprint", sim.fingerprint, "--poll-seconds", "1")
    launch(panel, *gateway, env={"PWTRAY_PASSWORD": PASSWORD})
    with session_bus(panel) as bus:
        item = wait_until(lambda: tray_item(bus), 60, "pwtray's item on the panel")
        for charge in CHARGES:
            sim.set_state(soe=charge)
            title = f"Powerwall {charge} %"
            wait_until(functools.partial(_says, bus, item, title), 30, repr(title))
            pixmaps = icon_pixmaps(bus, item)
            # The largest pixmap (what Xfce scales from) is the 22 px icon doubled, pixel for pixel.
            assert max(pixmaps) == 2 * XFCE_ICON_PX
            doubled = pixmaps[XFCE_ICON_PX].repeat(2, axis=0).repeat(2, axis=1)
            assert np.array_equal(pixmaps[2 * XFCE_ICON_PX], doubled)
            # The panel shows exactly the 22 px design, not a blurred scaling of a larger one.
            shown = functools.partial(_shown, panel, pixmaps[XFCE_ICON_PX], f"charge-{charge}")
            icon = wait_until(shown, 30, f"the panel to show the {charge} % icon")[0]
            assert digit_height(icon) >= 12
            assert read_digits(icon) == str(charge), f"the panel shows {charge} %"


def _says(bus: DBusConnection, item: DBusAddress, title: str) -> bool:
    return tooltip_title(bus, item).startswith(title)


def _shown(panel: RealDesktop, pixmap: Array, name: str) -> list[Array]:
    """The icon's pixels on the screen once the panel shows ``pixmap`` unchanged, else []."""
    shot = screen(panel.shot(name))
    match = find_icon(shot, pixmap, PANEL_PX)
    if match.mean_error >= 1.0:
        return []
    return [shot[match.y : match.y + XFCE_ICON_PX, match.x : match.x + XFCE_ICON_PX]]
