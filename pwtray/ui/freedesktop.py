"""Desktop notifications through the freedesktop service, ``org.freedesktop.Notifications``.

The client speaks the Desktop Notifications Specification (1.2) over the session bus with its
exact types: ``Notify(susssasa{sv}i) → u``, the ``urgency`` hint a byte, ``category`` and
``desktop-entry`` strings, ``resident``/``transient`` booleans, the app's icon by theme name or
``file://`` URI. It shows a notice *in place of*
the one its slot shows (``replaces_id``), closes notices (``CloseNotification``), hears what the
server and the user did (``NotificationClosed``, ``ActionInvoked``) and closes what it still
shows when the app quits. It reads ``GetCapabilities`` and degrades: no actions offered when the
server has none, the body folded into the summary when it shows no body, text escaped when it
reads the body as markup.

Why jeepney and not Qt's D-Bus module: PySide6's QtDBus cannot express these types — a Python
int goes out as ``i`` (never ``u`` or ``y``) and a ``QDBusVariant`` inside ``a{sv}`` fails to
marshal — which is the very bug that made the outage an ordinary notice. jeepney builds the
message from an explicit signature and runs on the app's asyncio (qasync) loop, so replies and
signals are handled on the GUI thread like everything else.

Intents arrive synchronously from the policy (:mod:`pwtray.core.notify`) and are delivered
in order by one task; until the service is known they wait, and if there is none they go to
``fallback`` (the tray's own balloons). No Qt here: the callbacks adapt it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable
from typing import Any

from jeepney import DBusAddress, HeaderFields, MatchRule, MessageType, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.asyncio import DBusRouter, open_dbus_router

from pwtray.core.notify import Action, Close, Intent, Notice, Replace, Slot
from pwtray.kinds import EventKind, Severity

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
NOTIFY_SIGNATURE = "susssasa{sv}i"
CALL_TIMEOUT_S = 5.0  # a D-Bus-activated server may take a moment to start
CLOSE_TIMEOUT_S = 2.0  # at quit: the session may be ending
MAX_PENDING = 256  # intents waiting for the service; more than this means it is not coming
DEFAULT_ACTION = "default"  # the spec's key for a click on the notification itself

# Spec urgency levels (a byte): 0 low, 1 normal, 2 critical. Nothing pwtray says is "low": some
# desktops (GNOME) show low-urgency notices in the list only, and a returning grid is news.
_URGENCY = {Severity.INFO: 1, Severity.WARNING: 1, Severity.CRITICAL: 2}
# The spec's categories (section "Categories"), chosen per event kind.
_CATEGORIES = {
    EventKind.GRID_OUTAGE: "device.error",
    EventKind.GRID_RESTORED: "device",
    EventKind.UNREACHABLE: "network.disconnected",
    EventKind.BACK_ONLINE: "network.connected",
    EventKind.AUTH_REQUIRED: "network.error",
    EventKind.LOCKED_OUT: "network.error",
    EventKind.CERTIFICATE_CHANGED: "network.error",
    EventKind.GATEWAY_STOPPED: "device.error",
    EventKind.INTERNAL_ERROR: "device.error",
}
_LABELS = {
    Action.OPEN: "Open pwtray",
    Action.ACKNOWLEDGE: "Acknowledge",
    Action.CANCEL_SHUTDOWN: "Cancel the shutdown",
}


class CloseReason(enum.IntEnum):
    """``NotificationClosed``'s reason (the spec's numbers)."""

    EXPIRED = 1
    DISMISSED = 2
    CLOSED_BY_CALL = 3
    UNDEFINED = 4


class NotificationServiceError(Exception):
    """The notification service answered with an error or not at all."""


class DesktopNotifications:
    """One connection to the session's notification service, delivering intents in order."""

    def __init__(
        self,
        *,
        app_name: str = "pwtray",
        app_icon: str = "",
        desktop_entry: str = "",
        on_action: Callable[[Slot, Action], None] = lambda slot, action: None,
        on_closed: Callable[[Slot], None] = lambda slot: None,
        fallback: Callable[[Intent], None] = lambda intent: None,
        bus: str = "SESSION",
        call_timeout_s: float = CALL_TIMEOUT_S,
    ) -> None:
        self.app_name = app_name
        self.app_icon = app_icon
        self.desktop_entry = desktop_entry
        self.on_action = on_action
        self.on_closed = on_closed
        self.fallback = fallback
        self._bus = bus
        self._timeout_s = call_timeout_s
        self.available: bool | None = None  # None until start() knows
        self.capabilities: frozenset[str] = frozenset()
        self.server = ""  # "name version", for the log and the selftest
        self._pending: asyncio.Queue[Intent] = asyncio.Queue(MAX_PENDING)
        self._ids: dict[Slot, int] = {}
        self._slots: dict[int, Slot] = {}
        self._owner: str | None = None  # the server's unique bus name: signals come from it
        self._router_cm: open_dbus_router | None = None
        self._router: DBusRouter | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    # ------------------------------------------------------------------ life
    async def start(self) -> bool:
        """Connect and read the server's capabilities; ``False`` (and the fallback) if none."""
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._connect()
        except (
            OSError,
            KeyError,
            RuntimeError,
            EOFError,
            TimeoutError,
            NotificationServiceError,
        ) as exc:
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, KeyError):
                reason = "no session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
            log.warning(
                "no desktop notification service (%s): notices are shown by the tray icon itself",
                reason,
            )
            await self._disconnect()
            self.available = False
            while not self._pending.empty():
                self.fallback(self._pending.get_nowait())
                self._pending.task_done()
            return False
        self.available = True
        log.info(
            "notifications through %s; it offers: %s",
            self.server or SERVICE,
            ", ".join(sorted(self.capabilities)) or "nothing",
        )
        self._tasks.append(asyncio.create_task(self._deliver_all(), name="pwtray-notify"))
        return True

    async def _connect(self) -> None:
        self._router_cm = open_dbus_router(self._bus)
        self._router = await self._router_cm.__aenter__()
        rule = MatchRule(type="signal", interface=SERVICE, path=PATH)
        signals: asyncio.Queue[Any] = asyncio.Queue(MAX_PENDING)
        self._router.filter(rule, queue=signals)
        await self._call_bus(message_bus.AddMatch(rule))
        self._tasks.append(asyncio.create_task(self._hear(signals), name="pwtray-notify-signals"))
        (capabilities,) = await self._call("GetCapabilities")
        self.capabilities = frozenset(capabilities)
        name, vendor, version, spec = await self._call("GetServerInformation")
        self.server = f"{name} {version} ({vendor}, spec {spec})"

    async def aclose(self) -> None:
        """Deliver what is queued, close every notification still showing, disconnect."""
        self._closing = True
        if self.available:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await self._pending.join()
                    for notification_id in list(self._slots):
                        await self._close_id(notification_id)
        await self._disconnect()

    async def _disconnect(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._router_cm is not None:
            with contextlib.suppress(OSError, RuntimeError, EOFError):
                await self._router_cm.__aexit__(None, None, None)
        self._router_cm = self._router = None

    # ------------------------------------------------------------------ sending
    def send(self, intent: Intent) -> None:
        """Queue an intent (from the policy, on the loop's thread); delivered in order."""
        if self.available is False:
            self.fallback(intent)
        elif self._closing:
            log.debug("quitting: %s not sent", intent)
        else:
            try:
                self._pending.put_nowait(intent)
            except asyncio.QueueFull:
                log.warning(
                    "%d notices waiting for the notification service: %s dropped",
                    MAX_PENDING,
                    intent,
                )

    async def _deliver_all(self) -> None:
        while True:
            intent = await self._pending.get()
            try:
                await self._deliver(intent)
            except (NotificationServiceError, TimeoutError, OSError, EOFError) as exc:
                log.warning("the notification service did not take %s: %s", intent, exc)
            except Exception:  # a bug here must not stop the next notice (the outage) going out
                log.exception("delivering %s", intent)
            finally:
                self._pending.task_done()

    async def _deliver(self, intent: Intent) -> None:
        if isinstance(intent, Close):
            notification_id = self._ids.get(intent.slot)
            if notification_id is not None:
                await self._close_id(notification_id)
            return
        notice = intent.notice if isinstance(intent, Replace) else intent
        replaces = self._ids.get(notice.slot, 0)
        (notification_id,) = await self._call(
            "Notify", NOTIFY_SIGNATURE, self.arguments(notice, replaces)
        )
        old = self._ids.pop(notice.slot, None)
        if old is not None:
            self._slots.pop(old, None)
        self._ids[notice.slot] = notification_id
        self._slots[notification_id] = notice.slot
        log.info(
            "notified %r as #%d (%s%s)",
            notice.title,
            notification_id,
            "critical" if notice.severity is Severity.CRITICAL else "normal",
            f", replacing #{replaces}" if replaces else "",
        )

    async def _close_id(self, notification_id: int) -> None:
        slot = self._slots.pop(notification_id, None)
        if slot is not None and self._ids.get(slot) == notification_id:
            del self._ids[slot]
        try:
            await self._call("CloseNotification", "u", (notification_id,))
        except NotificationServiceError as exc:  # already gone: the spec answers with an error
            log.debug("closing #%d: %s", notification_id, exc)
        else:
            log.info("closed notification #%d", notification_id)

    def arguments(self, notice: Notice, replaces_id: int = 0) -> tuple[Any, ...]:
        """``Notify``'s arguments for ``notice``, fitted to what the server can show."""
        summary, body = notice.title, notice.body
        if "body" not in self.capabilities:
            summary, body = (f"{summary}: {body}" if body else summary), ""
        elif "body-markup" in self.capabilities:
            body = _escape_markup(body)
        actions: list[str] = []
        if "actions" in self.capabilities:
            for action in notice.actions:
                key = DEFAULT_ACTION if action is Action.OPEN else action.value
                actions += [key, _LABELS[action]]
        hints: dict[str, tuple[str, Any]] = {"urgency": ("y", _URGENCY[notice.severity])}
        category = _CATEGORIES.get(notice.kind) if notice.kind else None
        hints["category"] = ("s", category or "device")
        if self.desktop_entry:
            hints["desktop-entry"] = ("s", self.desktop_entry)
        if notice.sticky:
            hints["resident"] = ("b", True)  # "Open pwtray" must not take the outage away
        elif notice.severity is Severity.INFO and notice.slot is not Slot.GRID:
            hints["transient"] = ("b", True)  # passing news: not kept in the desktop's history
        expire_ms = 0 if notice.sticky else -1  # 0: never expires; -1: as the desktop likes
        return (self.app_name, replaces_id, self.app_icon, summary, body, actions, hints, expire_ms)

    # ------------------------------------------------------------------ hearing
    async def _hear(self, signals: asyncio.Queue[Any]) -> None:
        while True:
            message = await signals.get()
            sender = message.header.fields.get(HeaderFields.sender)
            if self._owner is not None and sender != self._owner:
                continue  # not from the server we talk to
            member = message.header.fields.get(HeaderFields.member)
            try:
                self._on_signal(member, message.body)
            except Exception:  # a bug in a callback must not stop us hearing the next signal
                log.exception("handling the notification service's %s", member)

    def _on_signal(self, member: str, body: tuple[Any, ...]) -> None:
        if member == "ActionInvoked":
            notification_id, key = body
            slot = self._slots.get(notification_id)
            if slot is None:
                return
            action = Action.OPEN if key == DEFAULT_ACTION else _action(key)
            log.info("notification #%d: the user chose %r", notification_id, key)
            if action is not None:
                self.on_action(slot, action)
        elif member == "NotificationClosed":
            notification_id, reason = body
            slot = self._slots.pop(notification_id, None)
            if slot is None:
                return
            if self._ids.get(slot) == notification_id:
                del self._ids[slot]
            log.info("notification #%d closed (%s)", notification_id, _reason(reason))
            self.on_closed(slot)

    # ------------------------------------------------------------------ calls
    async def _call(
        self, method: str, signature: str | None = None, body: tuple[Any, ...] = ()
    ) -> tuple[Any, ...]:
        address = DBusAddress(PATH, bus_name=SERVICE, interface=SERVICE)
        reply = await self._send(new_method_call(address, method, signature, body))
        self._owner = reply.header.fields.get(HeaderFields.sender, self._owner)
        return tuple(reply.body)

    async def _call_bus(self, message: Any) -> tuple[Any, ...]:
        reply = await self._send(message)
        return tuple(reply.body)

    async def _send(self, message: Any) -> Any:
        if self._router is None:
            raise NotificationServiceError("not connected to the session bus")
        async with asyncio.timeout(self._timeout_s):
            reply = await self._router.send_and_get_reply(message)
        if reply.header.message_type is MessageType.error:
            name = reply.header.fields.get(HeaderFields.error_name, "an error")
            detail = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
            raise NotificationServiceError(f"{name}: {detail}" if detail else name)
        return reply


def _escape_markup(text: str) -> str:
    """Text as the spec's body markup (a small XML subset) shows it literally. (Not the ``html``
    module: its entity table costs 2 ms of start-up for three characters.)"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _action(key: str) -> Action | None:
    try:
        return Action(key)
    except ValueError:
        log.warning("the notification service reported an action pwtray never offered: %r", key)
        return None


def _reason(reason: int) -> str:
    try:
        return CloseReason(reason).name.lower().replace("_", " ")
    except ValueError:
        return f"reason {reason}"


__all__ = ["CloseReason", "DesktopNotifications", "NotificationServiceError"]
