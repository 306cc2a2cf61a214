"""What keeps the tray app light on a real Xfce session, as a user runs it — its password in GNOME
Keyring, no Qt platform theme chosen: its icon on the panel, showing the charge, while its process
has loaded neither GTK (Qt's GTK3 platform theme would, on Xfce) nor keyring's Secret Service
back-end (secretstorage and cryptography, which a child process used instead). A theme the user
chose is still honoured. (``benchmarks/footprint.py`` measures what that saves.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import PASSWORD, SimFactory
from tests.desktop.conftest import RunningApp
from tests.desktop.realdesktop import RealDesktop
from tests.waiting import wait_until

GTK = "libgtk-3.so"
CRYPTOGRAPHY = "/cryptography/"  # its compiled bindings (_rust.abi3.so)


def charge_shown(desktop: RealDesktop, app: RunningApp) -> str:
    """The tooltip title of the app's item on the panel once it gives the charge, else ''."""
    bus = desktop.bus()
    try:
        item = bus.tray_item_of(app.process.pid)
        title = "" if item is None else str(bus.item_property(item, "ToolTip")[2])
    finally:
        bus.close()
    return title if "%" in title else ""


def mapped_files(app: RunningApp) -> str:
    return Path(f"/proc/{app.process.pid}/maps").read_text()


def test_on_xfce_the_tray_app_loads_neither_gtk_nor_the_keyring_backend(
    desktop: RealDesktop, start_app: Callable[..., RunningApp], sim_factory: SimFactory
) -> None:
    sim = sim_factory()
    with desktop.unlocked_keyring():
        desktop.store_password("pwtray", sim.address, PASSWORD)
        app = start_app("--host", sim.address, "--fingerprint", sim.fingerprint)
        # the password came from the keyring: the app logged in and shows the charge
        title = wait_until(lambda: charge_shown(desktop, app), 60, "the charge on the panel")
        assert title.startswith("Powerwall")
        maps = mapped_files(app)
        assert GTK not in maps
        assert CRYPTOGRAPHY not in maps
        assert app.stop() == 0


def test_a_platform_theme_the_user_chose_is_kept(
    desktop: RealDesktop, start_app: Callable[..., RunningApp], sim_factory: SimFactory
) -> None:
    sim = sim_factory()
    app = start_app(
        "--host",
        sim.address,
        "--fingerprint",
        sim.fingerprint,
        env={"QT_QPA_PLATFORMTHEME": "gtk3", "PWTRAY_PASSWORD": PASSWORD},
    )
    wait_until(lambda: charge_shown(desktop, app), 60, "the charge on the panel")
    assert GTK in mapped_files(app)  # Qt's GTK3 theme, as asked
    assert app.stop() == 0
