"""The tray menu's dialogs: opened once each, given the bridge's commands (never a client), and
what they change handed to the core, which saves and applies it. Display preferences go to the
tray and the window."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from pwtray.core import Core
from pwtray.core.notify import DEFAULT_KINDS, Notifier
from pwtray.core.words import Units, keyring_text
from pwtray.settings import autostart
from pwtray.ui.bridge import Bridge
from pwtray.ui.tray import TrayController

if TYPE_CHECKING:  # the dialogs load when first opened: the tray starts without them
    from pwtray.ui.connection_dialog import Saved
    from pwtray.ui.preferences_dialog import Chosen

log = logging.getLogger(__name__)


@dataclass
class Controller:
    core: Core
    bridge: Bridge
    notifier: Notifier
    tray: TrayController | None = None
    dialogs: dict[str, QWidget] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return self.core.site.configured

    def close_dialogs(self) -> None:
        for dialog in list(self.dialogs.values()):
            dialog.close()

    # ------------------------------------------------------------------ applying
    def apply_live(self) -> None:
        """What the UI itself shows from the configuration: notifications, units, motion."""
        config = self.core.config
        self.notifier.enabled = DEFAULT_KINDS - config.muted
        if self.tray is not None:
            display = config.display
            self.tray.set_display(
                Units(kilo=display.kilo, decimals=display.decimals), display.reduce_motion
            )

    def apply_preferences(self, chosen: Chosen) -> None:
        start_at_login = chosen.start_at_login

        async def apply() -> None:
            problem = await self.core.apply_settings(
                chosen.settings, nut_password=chosen.nut_password
            )
            if problem:
                self._tell("Not every preference took effect", problem)
            self.apply_live()

        self.bridge.run(apply(), "applying preferences")
        if not self.core.cli.demo and start_at_login != autostart.is_enabled():
            try:
                autostart.enable() if start_at_login else autostart.disable()
            except OSError as exc:
                self._tell("Start at login not changed", str(exc))

    def apply_connection(self, saved: Saved) -> None:
        async def apply() -> None:
            problem = await self.core.apply_connection(saved.connection, saved.password)
            if problem:
                self._tell("pwtray could not save its settings", problem)
            keyring = self.core.passwords.problem
            if keyring is not None and saved.password is not None:
                self._tell("Password kept for this session only", keyring_text(keyring))

        self.bridge.run(apply(), "applying the connection")

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

    def _tell(self, title: str, body: str) -> None:
        if self.tray is not None:
            self.tray.show_message(title, body)

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

        passwords = self.core.passwords
        self._open("wizard", lambda: SetupWizard(passwords, on_done=self.apply_connection))

    def open_connection(self) -> None:
        if not self.configured:
            self.open_wizard()
            return
        from pwtray.ui.connection_dialog import ConnectionDialog

        self._open(
            "connection",
            lambda: ConnectionDialog(
                self.core.settings.connection, self.core.passwords, on_saved=self.apply_connection
            ),
        )

    def open_preferences(self) -> None:
        from pwtray.ui.preferences_dialog import PreferencesDialog

        demo = self.core.cli.demo
        self._open(
            "preferences",
            lambda: PreferencesDialog(
                self.core.settings,
                autostart=not demo and autostart.is_enabled(),
                on_apply=self.apply_preferences,
                pause=self.pause,
                test_action=self.core.actions.test,
                ups_state=self.core.ups.state,
            ),
        )

    def open_mode(self) -> None:
        if not self.configured:
            self.open_wizard()
            return
        from pwtray.ui.mode_dialog import ModeReserveDialog

        charge = self.bridge.snapshot.soe_percent
        commands = self.bridge.commands
        self._open("mode", lambda: ModeReserveDialog(commands, charge_percent=charge))

    def open_network(self) -> None:
        if not self.configured:
            self.open_wizard()
            return
        from pwtray.ui.network_dialog import NetworkInfoDialog

        self._open("network", lambda: NetworkInfoDialog(self.bridge.commands))

    def actions(self) -> dict[str, Callable[[], None]]:
        return {
            "mode": self.open_mode,
            "network": self.open_network,
            "connection": self.open_connection,
            "preferences": self.open_preferences,
        }
