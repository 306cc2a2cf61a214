"""What the tray menu's dialogs change, applied to the running app: settings saved, the gateway
client replaced when the connection changes, preferences applied live."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from PySide6.QtWidgets import QWidget

from pwtray.gateway import GatewayClient
from pwtray.monitor import EventKind, EventSettings, HistoryStore, Poller, Retention, Schedule
from pwtray.settings import SecretStore, Settings, autostart, save
from pwtray.ui.notifications import DEFAULT_KINDS, Notifier
from pwtray.ui.texts import Units
from pwtray.ui.tray import TrayController

if TYPE_CHECKING:  # the dialogs load when first opened: the tray starts without them
    from pwtray.ui.connection_dialog import Saved

log = logging.getLogger(__name__)
DAY_S = 86_400.0


@dataclass
class Controller:
    settings: Settings
    settings_path: Path | None  # None: never written (demo, or a newer pwtray's file)
    secrets: SecretStore
    poller: Poller
    notifier: Notifier
    history: HistoryStore
    demo: bool = False
    speed: float = 1.0  # the demo clock's: its "every minute" comes sooner
    muted_by_cli: frozenset[EventKind] = frozenset()
    fast_s_by_cli: float | None = None
    configured: bool = False
    tray: TrayController | None = None
    dialogs: dict[str, QWidget] = field(default_factory=dict)
    _polling: asyncio.Task[None] | None = None
    _closing: set[asyncio.Task[None]] = field(default_factory=set)

    # ------------------------------------------------------------------ polling
    def start_polling(self) -> None:
        if self._polling is None and self.configured:
            self._polling = asyncio.create_task(self.poller.run(), name="pwtray-poller")

    async def stop(self) -> None:
        for dialog in list(self.dialogs.values()):
            dialog.close()
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
        await self.poller.stop()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    # ------------------------------------------------------------------ settings
    def save_settings(self) -> None:
        if self.settings_path is None:
            return
        try:
            save(self.settings, self.settings_path)
        except OSError as exc:
            log.warning("settings not saved: %s", exc.strerror)
            if self.tray is not None:
                self.tray.show_message(
                    "pwtray could not save its settings",
                    f"{self.settings_path}: {exc.strerror}. The change applies until pwtray quits.",
                )

    def apply_preferences(self, settings: Settings, start_at_login: bool) -> None:
        self.settings = settings
        self.save_settings()
        self.apply_live()
        if not self.demo and start_at_login != autostart.is_enabled():
            try:
                autostart.enable() if start_at_login else autostart.disable()
            except OSError as exc:
                if self.tray is not None:
                    self.tray.show_message("Start at login not changed", str(exc))

    def apply_live(self) -> None:
        s = self.settings
        fast = self.fast_s_by_cli or s.polling.fast_s
        slow = s.polling.slow_s / self.speed if self.demo else s.polling.slow_s
        self.poller.schedule = Schedule(fast_s=fast, slow_s=max(fast, slow))
        self.poller.settings = EventSettings(soe_thresholds=tuple(s.notifications.soe_thresholds))
        muted = {EventKind(k) for k in s.notifications.muted} | set(self.muted_by_cli)
        self.notifier.enabled = DEFAULT_KINDS - muted
        self.history.retention = Retention(raw_s=s.history.raw_days * DAY_S,
                                           minute_s=s.history.minute_days * DAY_S)  # fmt: skip
        if self.tray is not None:
            self.tray.set_display(Units(kilo=s.display.kilo, decimals=s.display.decimals),
                                  s.display.reduce_motion)  # fmt: skip

    def apply_connection(self, saved: Saved) -> None:
        self.settings = msgspec.structs.replace(self.settings, connection=saved.connection)
        self.save_settings()
        c = saved.connection
        password = saved.password or self.secrets.get(c.host)
        client = GatewayClient(c.host, password=password, email=c.email,
                               fingerprint=c.fingerprint, keep_session=not self.demo)  # fmt: skip
        old = self.poller.client
        self.poller.replace_client(client)
        closing = asyncio.ensure_future(old.aclose())
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)
        self.configured = True
        self.start_polling()
        if self.secrets.problem and self.tray is not None:
            self.tray.show_message("Password kept for this session only", self.secrets.problem)

    def pause(self, what: str) -> str:
        """Preferences' pause buttons: "hour", "tomorrow", "resume" or "state"; says the state."""
        tray = self.tray
        if tray is None:
            return ""
        if what == "hour":
            tray.pause(3600)
        elif what == "tomorrow":
            tray.pause_until_tomorrow()
        elif what == "resume":
            tray.resume()
        return tray.pause_text()

    # ------------------------------------------------------------------ dialogs
    def _open(self, key: str, make: Callable[[], QWidget]) -> None:
        dialog = self.dialogs.get(key)
        if dialog is None:
            dialog = make()
            self.dialogs[key] = dialog
            dialog.finished.connect(lambda *_: self._forget(key))  # type: ignore[attr-defined]
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _forget(self, key: str) -> None:
        dialog = self.dialogs.pop(key, None)
        if dialog is not None:
            dialog.deleteLater()

    def open_wizard(self) -> None:
        from pwtray.ui.wizard import SetupWizard

        self._open("wizard", lambda: SetupWizard(self.secrets, on_done=self.apply_connection))

    def open_connection(self) -> None:
        if not self.configured:
            self.open_wizard()
            return
        from pwtray.ui.connection_dialog import ConnectionDialog

        self._open("connection", lambda: ConnectionDialog(
            self.settings.connection, self.secrets, on_saved=self.apply_connection))  # fmt: skip

    def open_preferences(self) -> None:
        from pwtray.ui.preferences_dialog import PreferencesDialog

        self._open("preferences", lambda: PreferencesDialog(
            self.settings, autostart=not self.demo and autostart.is_enabled(),
            on_apply=self.apply_preferences, pause=self.pause))  # fmt: skip

    def open_mode(self) -> None:
        if not self.configured:
            self.open_wizard()
            return
        from pwtray.ui.mode_dialog import ModeReserveDialog

        charge = self.poller.snapshot.soe_percent
        poller = self.poller
        self._open("mode", lambda: ModeReserveDialog(
            poller.client, charge_percent=charge, expect=poller.expect_operation))  # fmt: skip

    def open_network(self) -> None:
        if not self.configured:
            self.open_wizard()
            return
        from pwtray.ui.network_dialog import NetworkInfoDialog

        self._open("network", lambda: NetworkInfoDialog(self.poller.client))

    def actions(self) -> dict[str, Callable[[], None]]:
        return {
            "mode": self.open_mode,
            "network": self.open_network,
            "connection": self.open_connection,
            "preferences": self.open_preferences,
        }
