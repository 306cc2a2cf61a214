"""What the dialogs hand to the app reaches the core and the running site: a new connection
builds a new client and starts polling; preferences reach the poller, notifier, history and the
settings file."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import msgspec
from PySide6.QtWidgets import QApplication

from pwtray.core import CliOptions, Core
from pwtray.core.notify import Notifier
from pwtray.monitor import Connectivity, EventKind
from pwtray.settings import (
    Connection,
    Display,
    History,
    Nut,
    Polling,
    SessionSecrets,
    load,
    nut_account,
)
from pwtray.ui.bridge import Bridge
from pwtray.ui.connection_dialog import Saved
from pwtray.ui.controller import Controller
from pwtray.ui.preferences_dialog import Chosen, PreferencesDialog
from tests.conftest import PASSWORD, SimFactory
from tests.nut.helpers import raw_client
from tests.waiting import until


def test_a_saved_connection_starts_polling_and_preferences_apply_live(
    qapp: QApplication, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory, tmp_path: Path
) -> None:
    sim = sim_factory()
    settings_path = tmp_path / "settings.toml"

    async def scenario() -> None:
        core = await Core.start(
            CliOptions(),
            settings_path=settings_path,
            data_folder=tmp_path / "data",
            log_folder=tmp_path / "log",
            secrets=SessionSecrets(),
        )
        bridge = Bridge(core.site, core)
        controller = Controller(core, bridge, Notifier(lambda notice: None))
        core.site.start()  # not set up: nothing starts
        assert not core.supervisor.running(core.site.task_name)
        connection = Connection(host=sim.address, fingerprint=sim.fingerprint)
        controller.apply_connection(Saved(connection, PASSWORD))
        site = core.site
        await until(lambda: site.snapshot.connectivity is Connectivity.ONLINE, 15, "online")
        assert site.client.address.port == sim.port
        assert load(settings_path).settings.connection == connection
        assert core.secrets.get(sim.address) == PASSWORD
        chosen = msgspec.structs.replace(
            core.settings,
            polling=Polling(fast_s=2.0, slow_s=30.0),
            display=Display(kilo=False, decimals=0, reduce_motion=True),
            history=History(raw_days=3, minute_days=30),
        )
        chosen.notifications.muted.append("grid_restored")
        controller.apply_preferences(Chosen(chosen, start_at_login=False))
        await until(lambda: site.poller.schedule.fast_s == 2.0, 10, "the preferences")
        assert (site.poller.schedule.fast_s, site.poller.schedule.slow_s) == (2.0, 30.0)
        assert EventKind.GRID_RESTORED not in controller.notifier.enabled
        assert EventKind.GRID_OUTAGE in controller.notifier.enabled
        assert site.history is not None
        assert site.history.retention.raw_s == 3 * 86_400
        assert load(settings_path).settings == chosen
        bridge.close()
        await core.close()

    qloop.run_until_complete(scenario())


def test_the_tray_menu_lists_the_next_scheduled_changes(
    qapp: QApplication, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    from pwtray.settings import ScheduleEntry, Settings, save
    from pwtray.ui.tray import TrayController

    settings_path = tmp_path / "settings.toml"
    entries = [
        ScheduleEntry(name="Night", mode="backup", at="22:05"),
        ScheduleEntry(name="Morning", reserve_percent=5.0, at="07:55"),
    ]
    save(Settings(schedules=entries), settings_path)

    async def scenario() -> None:
        core = await Core.start(
            CliOptions(),
            settings_path=settings_path,
            data_folder=tmp_path / "data",
            log_folder=tmp_path / "log",
            secrets=SessionSecrets(),
        )
        bridge = Bridge(core.site, core)
        tray = TrayController(
            bridge,
            Notifier(lambda intent: None),
            on_quit=lambda: None,
            on_refresh=lambda: None,
            clock=lambda: 0.0,
        )
        tray.show_schedules()
        shown = [a.text() for a in tray.schedule_menu.actions()]
        assert tray.schedule_menu.menuAction().isVisible()
        assert len(shown) == 3  # the next three, soonest first
        assert any("Backup-only (Night)" in text for text in shown)
        assert any("reserve 5 % (Morning)" in text for text in shown)
        tray.hide()
        bridge.close()
        await core.close()

    qloop.run_until_complete(scenario())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_sharing_over_nut_from_preferences_serves_with_the_password_kept_in_the_keyring(
    qapp: QApplication, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory, tmp_path: Path
) -> None:
    """Preferences' Sharing page: switched on with a password, the NUT server starts at once, a
    client logs in with that password (which is in the keyring, never in settings.toml), the
    page says who is connected; a new password restarts it; switched off, it stops."""
    sim = sim_factory()
    port = free_port()
    settings_path = tmp_path / "settings.toml"

    async def scenario() -> None:
        secrets = SessionSecrets()
        secrets.set(sim.address, PASSWORD)
        core = await Core.start(
            CliOptions(),
            settings_path=settings_path,
            data_folder=tmp_path / "data",
            log_folder=tmp_path / "log",
            secrets=secrets,
        )
        bridge = Bridge(core.site, core)
        controller = Controller(core, bridge, Notifier(lambda notice: None))
        dialog = PreferencesDialog(
            core.settings,
            autostart=False,
            on_apply=controller.apply_preferences,
            ups_state=core.ups.state,
        )
        dialog.show_ups_state()
        assert dialog.nut_state.text() == "Off."
        dialog.nut_enabled.setChecked(True)
        dialog.nut_listen.setText(f"127.0.0.1:{port}")
        dialog.nut_username.setText("upsuser")
        dialog.nut_password.setText("first-secret")
        assert dialog.apply()
        assert dialog.nut_password.text() == ""  # not left in the widget
        await until(lambda: core.ups.server is not None, 10, "the NUT server")
        assert secrets.get(nut_account("upsuser")) == "first-secret"
        saved = settings_path.read_text()
        assert "first-secret" not in saved
        assert load(settings_path).settings.nut == Nut(
            enabled=True, listen=f"127.0.0.1:{port}", username="upsuser"
        )
        async with raw_client(port) as nut:
            assert await nut.ask("USERNAME upsuser") == "OK"
            assert await nut.ask("PASSWORD first-secret") == "OK"
            assert await nut.ask("LOGIN powerwall") == "OK"
            dialog.show_ups_state()
            assert f"Serving on 127.0.0.1:{port}" in dialog.nut_state.text()
            assert "Connected now (1): 127.0.0.1 (as upsuser)." in dialog.nut_state.text()

        dialog.nut_password.setText("second-secret")
        assert dialog.apply()
        await until(lambda: secrets.get(nut_account("upsuser")) == "second-secret", 10, "stored")
        await until(lambda: core.ups.server is not None and core.ups.server.serving, 10, "again")
        async with raw_client(port) as nut:
            assert await nut.ask("USERNAME upsuser") == "OK"
            assert await nut.ask("PASSWORD first-secret") == "OK"
            assert await nut.ask("LOGIN powerwall") == "ERR ACCESS-DENIED"

        dialog.nut_enabled.setChecked(False)
        assert dialog.apply()
        await until(lambda: core.ups.server is None, 10, "the NUT server stopped")
        dialog.show_ups_state()
        assert dialog.nut_state.text() == "Off."
        dialog.close()
        bridge.close()
        await core.close()

    qloop.run_until_complete(scenario())
