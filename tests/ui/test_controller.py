"""What the dialogs hand to the app is applied to the running app: a new connection replaces the
client and starts polling; preferences reach the poller, notifier, history and settings file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
from PySide6.QtWidgets import QApplication

from pwtray.gateway import GatewayClient
from pwtray.monitor import Connectivity, EventKind, HistoryStore, Poller
from pwtray.settings import Connection, Display, History, Polling, SessionSecrets, Settings, load
from pwtray.ui.connection_dialog import Saved
from pwtray.ui.controller import Controller
from pwtray.ui.notifications import Notifier
from tests.conftest import PASSWORD, SimFactory
from tests.ui.conftest import until


def test_a_saved_connection_starts_polling_and_preferences_apply_live(
    qapp: QApplication, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory, tmp_path: Path
) -> None:
    sim = sim_factory()
    settings_path = tmp_path / "settings.toml"
    history = HistoryStore(tmp_path / "history.sqlite")

    async def scenario() -> None:
        poller = Poller(GatewayClient("127.0.0.1:9"), history=history)
        controller = Controller(
            settings=Settings(),
            settings_path=settings_path,
            secrets=SessionSecrets(),
            poller=poller,
            notifier=Notifier(lambda notice: None),
            history=history,
        )
        controller.start_polling()  # not set up: nothing starts
        assert controller._polling is None
        connection = Connection(host=sim.address, fingerprint=sim.fingerprint)
        controller.apply_connection(Saved(connection, PASSWORD))
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE, 15, "online")
        assert poller.client.address.port == sim.port
        assert load(settings_path).settings.connection == connection
        chosen = msgspec.structs.replace(
            controller.settings,
            polling=Polling(fast_s=2.0, slow_s=30.0),
            display=Display(kilo=False, decimals=0, reduce_motion=True),
            history=History(raw_days=3, minute_days=30),
        )
        chosen.notifications.muted.append("grid_restored")
        controller.apply_preferences(chosen, start_at_login=False)
        assert (poller.schedule.fast_s, poller.schedule.slow_s) == (2.0, 30.0)
        assert EventKind.GRID_RESTORED not in controller.notifier.enabled
        assert EventKind.GRID_OUTAGE in controller.notifier.enabled
        assert history.retention.raw_s == 3 * 86_400
        assert load(settings_path).settings == chosen
        await controller.stop()
        await poller.client.aclose()

    qloop.run_until_complete(scenario())
    history.close()
