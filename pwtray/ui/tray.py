"""The tray icon, its tooltip and menu, and where the notifier's notices go.

On Linux (and any desktop with a session bus) notices go to the freedesktop notification service
(:class:`pwtray.ui.freedesktop.DesktopNotifications`); Qt's ``QSystemTrayIcon.showMessage`` is used
only where there is no such service — Windows and macOS, whose trays show native notifications, or
a desktop without one. On a D-Bus tray ``showMessage`` would put a stock icon in place of pwtray's
for the message's duration, and it can neither replace nor close a notice.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QMenu, QMessageBox, QSystemTrayIcon

from pwtray import __version__
from pwtray.core import ActionRun
from pwtray.core.notify import Action, Close, Intent, Notifier, Replace, Slot
from pwtray.core.words import DEFAULT_UNITS, Units, event_title, status_line, tooltip
from pwtray.gateway import GridState
from pwtray.monitor import Connectivity, Event, HistoryStore, Severity, Snapshot
from pwtray.ui.bridge import Bridge
from pwtray.ui.icon import Condition, Flow, Grid, IconState, icon

if TYPE_CHECKING:  # the window (pyqtgraph, numpy) loads on first open, not at start
    from pwtray.ui.freedesktop import DesktopNotifications
    from pwtray.ui.window import MainWindow

log = logging.getLogger(__name__)

_CONDITIONS = {
    Connectivity.CONNECTING: Condition.STALE,
    Connectivity.ONLINE: Condition.LIVE,
    Connectivity.STALE: Condition.STALE,
    Connectivity.OFFLINE: Condition.OFFLINE,
    Connectivity.AUTH_REQUIRED: Condition.LOGIN,
    Connectivity.LOCKED_OUT: Condition.LOGIN,
    Connectivity.GATEWAY_STOPPED: Condition.STOPPED,
    Connectivity.CERTIFICATE_CHANGED: Condition.CERTIFICATE,
    Connectivity.INTERNAL_ERROR: Condition.OFFLINE,  # not live: its own words in the tooltip
}
_SEVERITY_ICONS = {
    Severity.INFO: QSystemTrayIcon.MessageIcon.Information,
    Severity.WARNING: QSystemTrayIcon.MessageIcon.Warning,
    Severity.CRITICAL: QSystemTrayIcon.MessageIcon.Critical,
}


def icon_state(snapshot: Snapshot) -> IconState:
    grid = Grid.UNKNOWN
    if snapshot.grid is not None:
        if snapshot.grid is GridState.CONNECTED:
            grid = Grid.UP
        elif snapshot.grid is GridState.TRANSITION_TO_GRID:
            grid = Grid.RESTORING
        elif snapshot.grid is not GridState.UNKNOWN:
            grid = Grid.OUTAGE
    flow = (
        Flow.CHARGING
        if snapshot.charging
        else Flow.DISCHARGING
        if snapshot.discharging
        else Flow.IDLE
    )
    return IconState(
        snapshot.soe_percent, flow, grid, snapshot.reserve_percent,
        _CONDITIONS[snapshot.connectivity],
    ).rounded  # fmt: skip


class TrayController(QObject):
    def __init__(
        self,
        bridge: Bridge,
        notifier: Notifier,
        *,
        on_quit: Callable[[], None],
        on_refresh: Callable[[], None],
        clock: Callable[[], float],
        history: HistoryStore | None = None,
        actions: dict[str, Callable[[], None]] | None = None,
        desktop_notifications: DesktopNotifications | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.history = history
        self.actions = actions or {}
        self.units: Units = DEFAULT_UNITS
        self.reduce_motion = False
        self.notifier = notifier
        self._clock = clock
        self._on_quit = on_quit
        self._on_refresh = on_refresh
        self._icon_state: IconState | None = None
        self._snapshot: Snapshot | None = None
        self.repaints = 0
        self.balloons = 0  # notices shown with showMessage (none where a service exists)
        self.desktop_notifications = desktop_notifications
        if desktop_notifications is not None:
            desktop_notifications.on_action = self.notice_action
            desktop_notifications.on_closed = notifier.closed
            desktop_notifications.fallback = self._balloon
        self.tray = QSystemTrayIcon(self)
        self.tray.setToolTip("pwtray — connecting to the gateway…")
        self.window: MainWindow | None = None
        self._build_menu()
        self.tray.activated.connect(self._activated)
        bridge.snapshot_changed.connect(self.show_snapshot)
        bridge.events_raised.connect(self.handle_events)
        bridge.runs_changed.connect(self._show_runs)
        self._timer = QTimer(self)
        self._timer.setInterval(15_000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._set_icon(IconState(condition=Condition.STALE))
        self.tray.show()

    # ------------------------------------------------------------------ menu
    def _build_menu(self) -> None:
        menu = QMenu()
        self.status_action = menu.addAction("Connecting…")
        self.status_action.setEnabled(False)
        self.status_action.triggered.connect(lambda: self._run_action("connection"))
        menu.addAction("Open pwtray", self.open_window)
        menu.addSeparator()
        self.ack_action = menu.addAction("Acknowledge grid outage", self._acknowledge)
        self.ack_action.setVisible(False)
        self.cancel_shutdown_action = menu.addAction(
            "Cancel this computer's shutdown", self.cancel_shutdown
        )
        self.cancel_shutdown_action.setVisible(False)
        self.start_action = menu.addAction("Start the Powerwalls…", self.ask_start_powerwalls)
        self.start_action.setVisible(False)
        self.schedule_menu = menu.addMenu("Scheduled changes")
        self.schedule_menu.menuAction().setVisible(False)
        pause = menu.addMenu("Pause notifications")
        pause.addAction("For 1 hour", lambda: self.pause(3600))
        pause.addAction("Until tomorrow", self.pause_until_tomorrow)
        self.resume_action = pause.addAction("Resume now", self.resume)
        self.resume_action.setEnabled(False)
        menu.addAction("Refresh now", self._on_refresh)
        menu.addSeparator()
        for key, title in (("mode", "Operation mode and reserve…"),
                           ("network", "Gateway info…"),
                           ("connection", "Connection…"),
                           ("preferences", "Preferences…")):  # fmt: skip
            menu.addAction(title, functools.partial(self._run_action, key))
        menu.addAction("About pwtray", self._about)
        menu.addSeparator()
        menu.addAction("Quit", self._on_quit)
        self.menu = menu
        self.tray.setContextMenu(menu)

    def _run_action(self, key: str) -> None:
        action = self.actions.get(key)
        if action is not None:
            action()

    def set_display(self, units: Units, reduce_motion: bool) -> None:
        """Units and motion from the preferences, for the window now and when it opens."""
        self.units, self.reduce_motion = units, reduce_motion
        if self.window is not None:
            self.window.set_units(units)
            self.window.flow.set_reduce_motion(reduce_motion)
            self.window.motion_action.setChecked(reduce_motion)

    def show_message(self, title: str, body: str, *, warning: bool = True) -> None:
        """pwtray's own message (not an event), shown as a notification."""
        self.notifier.tell(title, body, Severity.WARNING if warning else Severity.INFO)

    def _about(self) -> None:
        firmware = (
            self._snapshot.firmware if self._snapshot and self._snapshot.firmware else "unknown"
        )
        QMessageBox.about(
            None, "About pwtray",
            f"pwtray {__version__}\nGateway firmware: {firmware}\n\n"
            "Powerwall battery and grid status from the gateway's local API — no cloud.",
        )  # fmt: skip

    def pause(self, seconds: float) -> None:
        self.notifier.pause(seconds)
        self.resume_action.setEnabled(True)

    def pause_until_tomorrow(self) -> None:
        now = dt.datetime.now().astimezone()
        tomorrow = (now + dt.timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
        self.pause((tomorrow - now).total_seconds())

    def resume(self) -> None:
        self.notifier.resume()
        self.resume_action.setEnabled(False)

    def pause_text(self) -> str:
        if not self.notifier.paused:
            return "Notifications are on."
        until = dt.datetime.fromtimestamp(self.notifier.paused_until).astimezone()
        return f"Notifications are paused until {until:%a %H:%M}."

    def _acknowledge(self) -> None:
        self.notifier.acknowledge_outage()
        self.ack_action.setVisible(False)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.open_window()

    def open_window(
        self, *, notice: str = "", quit_on_close: Callable[[], None] | None = None
    ) -> None:
        """Show the window; ``notice`` is said above its tabs (e.g. why there is no icon), and
        ``quit_on_close`` makes closing it quit the app (when it is the only way in)."""
        if self.window is None:
            from pwtray.ui.window import MainWindow  # first open only

            self.window = MainWindow(
                self.history,
                clock=self._clock,
                on_refresh=self._on_refresh,
                units=self.units,
                reduce_motion=self.reduce_motion,
            )
            self.window.show_runs(self.bridge.action_runs)
        if notice:
            self.window.show_notice(notice)
        if quit_on_close is not None:
            self.window.on_close = quit_on_close
        if self._snapshot is not None:
            self.window.show_snapshot(self._snapshot, self._clock())
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    # ------------------------------------------------------------------ updates
    def show_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._set_icon(icon_state(snapshot))
        self.tray.setToolTip(tooltip(snapshot, self._clock(), self.units))
        # A login or certificate problem waits for the user: the status line opens Connection.
        needs_user = snapshot.connectivity.waits_for_user
        self.status_action.setText(
            f"{status_line(snapshot)} — fix in Connection…" if needs_user else status_line(snapshot)
        )
        self.status_action.setEnabled(needs_user)
        self.ack_action.setVisible(
            self.notifier.outage_active and not self.notifier.outage_acknowledged
        )
        self.start_action.setVisible(snapshot.sitemaster_running is False)
        if self.window is not None and self.window.isVisible():
            self.window.show_snapshot(snapshot, self._clock())

    def _show_runs(self, runs: list[ActionRun]) -> None:
        if self.window is not None:
            self.window.show_runs(runs)

    def handle_events(self, events: list[Event]) -> None:
        for event in events:
            log.info("event %s: %s", event.kind.value, event_title(event))
        self.notifier.handle(events)
        self.ack_action.setVisible(
            self.notifier.outage_active and not self.notifier.outage_acknowledged
        )

    # ------------------------------------------------------------------ notifications
    def deliver(self, intent: Intent) -> None:
        """Where the notifier's intents go: the desktop's service, else the tray's balloons."""
        if self.desktop_notifications is not None:
            self.desktop_notifications.send(intent)
        else:
            self._balloon(intent)

    def notice_action(self, slot: Slot, action: Action) -> None:
        """The user chose ``action`` on a notification (a click on it is OPEN)."""
        if action is Action.ACKNOWLEDGE:
            self._acknowledge()
        elif action is Action.CANCEL_SHUTDOWN:
            self.cancel_shutdown()
        else:
            self.open_window()

    def cancel_shutdown(self) -> None:
        """Stop this computer's shutdown countdown (the notice's Cancel, or the menu)."""
        core = self.bridge.core
        if core is not None and core.shutdown.cancel():
            log.info("the user cancelled the shutdown")
        self._show_shutdown()

    def _show_shutdown(self) -> None:
        core = self.bridge.core
        counting = core is not None and core.shutdown.counting_down
        self.cancel_shutdown_action.setVisible(counting)

    def show_schedules(self) -> None:
        """The next scheduled changes, in the menu (nothing when there are none)."""
        core = self.bridge.core
        upcoming = core.schedules.upcoming(3) if core is not None else []
        self.schedule_menu.clear()
        for due in upcoming:
            self.schedule_menu.addAction(due.describe()).setEnabled(False)
        self.schedule_menu.menuAction().setVisible(bool(upcoming))

    def ask_start_powerwalls(self) -> None:
        """Start the stopped Powerwalls, after a confirmation that says what happens."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "pwtray — Start the Powerwalls?",
            "The Powerwalls are stopped: they neither supply the house nor charge, and an "
            "outage now would leave the house dark. Starting them takes a few seconds; pwtray "
            "follows until they run.",
        )
        start = box.addButton("Start the Powerwalls", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda button: self.start_powerwalls() if button is start else None
        )
        self.start_confirmation = box
        box.open()

    def start_powerwalls(self) -> None:
        self.bridge.run(self.bridge.commands.start_powerwalls(), "starting the Powerwalls")

    def _balloon(self, intent: Intent) -> None:
        if isinstance(intent, Close):
            return  # a balloon cannot be taken back; it times out by itself
        notice = intent.notice if isinstance(intent, Replace) else intent
        timeout_ms = 0 if notice.sticky else 10_000
        log.info("balloon: %r", notice.title)
        self.balloons += 1
        self.tray.showMessage(
            notice.title, notice.body, _SEVERITY_ICONS[notice.severity], timeout_ms
        )

    def _set_icon(self, state: IconState) -> None:
        if state == self._icon_state:
            return  # repaint only when what the icon shows changes
        self._icon_state = state
        self.repaints += 1
        if sys.platform == "darwin":  # the menu bar tints template (mask) images itself
            template = icon(state, monochrome=True)
            template.setIsMask(True)
            self.tray.setIcon(template)
        else:  # the icon carries its own plate: the same on dark and light panels
            self.tray.setIcon(icon(state))

    def _tick(self) -> None:
        self.notifier.tick()
        if not self.notifier.paused:
            self.resume_action.setEnabled(False)
        self.show_schedules()
        self._show_shutdown()
        if self._snapshot is not None:
            self.tray.setToolTip(tooltip(self._snapshot, self._clock(), self.units))

    def hide(self) -> None:
        """Take the icon off the panel and let Qt delete what it owns, now rather than at exit."""
        self._timer.stop()
        self.bridge.snapshot_changed.disconnect(self.show_snapshot)
        self.bridge.events_raised.disconnect(self.handle_events)
        self.bridge.runs_changed.disconnect(self._show_runs)
        self.tray.hide()
        self.tray.setContextMenu(None)  # type: ignore[arg-type]
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
        self.menu.deleteLater()
        self.tray.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


__all__ = ["TrayController", "icon_state"]
