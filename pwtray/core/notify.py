"""Which events become desktop notifications, and what becomes of them afterwards.

The notification policy, in plain Python (no Qt, no D-Bus), in the core: the
:class:`Notifier` turns monitor events into *intents* for whatever shows notifications —

- :class:`Notice`: show a new notification;
- :class:`Replace`: show this one in place of the one its slot shows (same notification, new text);
- :class:`Close`: take the slot's notification away.

A :class:`Slot` is a topic. Each topic has at most one notification on screen: "Grid still down"
reminders and "Grid restored" replace the "Grid outage" notice rather than stack under it, "Gateway
back online" replaces "Gateway unreachable", and so on.

Rules: each kind can be switched off; a repeat of the same notice within ``DUPLICATE_S`` is dropped;
notifications can be paused (nothing new appears; an outage notice already showing is still taken
away when the grid returns). The outage notice is critical and stays until the grid is back (it is
then replaced by the restore notice, or closed if that one is not to be shown) or until the user
acknowledges it (closed). Until then it is refreshed every ``OUTAGE_REPEAT_S`` ("Grid still
down …"), in place if it is still showing, anew if the user dismissed it. Whatever shows the
notices reports back what the desktop did (:meth:`Notifier.closed`) and what the user chose
(:meth:`Notifier.acknowledge_outage`; :attr:`Action.OPEN` is the window's business).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from pwtray.core.words import event_body, event_text
from pwtray.kinds import EventKind, Severity
from pwtray.monitor import Event

DUPLICATE_S = 120.0
OUTAGE_REPEAT_S = 600.0
DEFAULT_KINDS = frozenset(
    {
        EventKind.GRID_OUTAGE,
        EventKind.GRID_RESTORED,
        EventKind.RESERVE_REACHED,
        EventKind.BATTERY_FULL,
        EventKind.SOE_BELOW,
        EventKind.UNREACHABLE,
        EventKind.BACK_ONLINE,
        EventKind.AUTH_REQUIRED,
        EventKind.LOCKED_OUT,
        EventKind.CERTIFICATE_CHANGED,
        EventKind.GATEWAY_STOPPED,
        EventKind.FIRMWARE_CHANGED,
        EventKind.MODE_CHANGED,
        EventKind.RESERVE_CHANGED,
        EventKind.NEW_ALERT,
        EventKind.RESUMED,
        EventKind.OFF_GRID_CHOSEN,
        EventKind.BACK_ON_GRID,
        EventKind.INTERNAL_ERROR,
        EventKind.HISTORY_FAILING,
        EventKind.ACTION_FAILED,
        EventKind.SCHEDULE_FAILED,
        EventKind.SCHEDULE_MISSED,
        EventKind.SHUTDOWN_PENDING,
        EventKind.SHUTDOWN_CANCELLED,
        EventKind.SHUTDOWN_STARTED,
        EventKind.SHUTDOWN_FAILED,
    }
)
# This computer is about to go down (or did not): always said, paused or muted or not, and never
# taken for a repeat — a new countdown soon after a cancelled one is news.
SHUTDOWN_KINDS = frozenset(
    {
        EventKind.SHUTDOWN_PENDING,
        EventKind.SHUTDOWN_CANCELLED,
        EventKind.SHUTDOWN_STARTED,
        EventKind.SHUTDOWN_FAILED,
    }
)


class Slot(enum.Enum):
    """What a notice is about; one notification per slot is on screen at a time."""

    GRID = "grid"
    CONNECTION = "connection"
    BATTERY = "battery"
    ALERTS = "alerts"
    CHANGES = "changes"
    RESUMED = "resumed"
    SHUTDOWN = "shutdown"  # this computer's countdown, and how it ended
    APP = "app"  # pwtray's own messages (settings not saved, password kept for the session)


class Action(enum.Enum):
    """What the user can do from a notification. OPEN is also what a click on it does."""

    OPEN = "open"
    ACKNOWLEDGE = "acknowledge"
    CANCEL_SHUTDOWN = "cancel_shutdown"


_SLOTS = {
    EventKind.GRID_OUTAGE: Slot.GRID,
    EventKind.GRID_RESTORED: Slot.GRID,
    EventKind.OFF_GRID_CHOSEN: Slot.GRID,
    EventKind.BACK_ON_GRID: Slot.GRID,
    EventKind.UNREACHABLE: Slot.CONNECTION,
    EventKind.BACK_ONLINE: Slot.CONNECTION,
    EventKind.AUTH_REQUIRED: Slot.CONNECTION,
    EventKind.LOCKED_OUT: Slot.CONNECTION,
    EventKind.CERTIFICATE_CHANGED: Slot.CONNECTION,
    EventKind.GATEWAY_STOPPED: Slot.CONNECTION,
    EventKind.INTERNAL_ERROR: Slot.CONNECTION,
    EventKind.RESERVE_REACHED: Slot.BATTERY,
    EventKind.BATTERY_FULL: Slot.BATTERY,
    EventKind.SOE_BELOW: Slot.BATTERY,
    EventKind.NEW_ALERT: Slot.ALERTS,
    EventKind.FIRMWARE_CHANGED: Slot.CHANGES,
    EventKind.MODE_CHANGED: Slot.CHANGES,
    EventKind.RESERVE_CHANGED: Slot.CHANGES,
    EventKind.RESUMED: Slot.RESUMED,
    EventKind.HISTORY_FAILING: Slot.APP,
    EventKind.ACTION_FAILED: Slot.APP,
    EventKind.SCHEDULE_FAILED: Slot.CHANGES,
    EventKind.SCHEDULE_MISSED: Slot.CHANGES,
    EventKind.SHUTDOWN_PENDING: Slot.SHUTDOWN,
    EventKind.SHUTDOWN_CANCELLED: Slot.SHUTDOWN,
    EventKind.SHUTDOWN_STARTED: Slot.SHUTDOWN,
    EventKind.SHUTDOWN_FAILED: Slot.SHUTDOWN,
}
# Events that end what another kind's notice says: when they are not shown themselves (switched
# off, paused), the notice they end is closed rather than left on screen, stale.
_ENDS = {
    EventKind.GRID_RESTORED: EventKind.GRID_OUTAGE,
    EventKind.BACK_ONLINE: EventKind.UNREACHABLE,
    EventKind.BACK_ON_GRID: EventKind.OFF_GRID_CHOSEN,
}
_OUTAGE_ACTIONS = (Action.OPEN, Action.ACKNOWLEDGE)


@dataclass(frozen=True)
class Notice:
    """Show a new notification in ``slot``."""

    slot: Slot
    title: str
    body: str
    severity: Severity
    kind: EventKind | None  # None: pwtray's own message, not a monitor event
    sticky: bool = False  # stays until closed (the outage); others expire as the desktop likes
    actions: tuple[Action, ...] = (Action.OPEN,)


@dataclass(frozen=True)
class Replace:
    """Show ``notice`` in place of the notification its slot shows."""

    notice: Notice


@dataclass(frozen=True)
class Close:
    """Take the slot's notification away."""

    slot: Slot


Intent = Notice | Replace | Close
Send = Callable[[Intent], None]


class Notifier:
    """Turns events into intents for ``send``; keeps the outage notice true until it ends."""

    def __init__(
        self,
        send: Send,
        *,
        enabled: frozenset[EventKind] = DEFAULT_KINDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._send = send
        self.enabled = enabled
        self._clock = clock
        self._recent: dict[tuple[EventKind | None, str], float] = {}
        self._showing: dict[Slot, EventKind | None] = {}  # on screen, as told: slot -> kind
        self.paused_until = 0.0
        self._outage: Event | None = None
        self._outage_acknowledged = False
        self._outage_last_shown: float | None = None  # None: not shown yet (paused, muted)
        self._outages_said: set[tuple[EventKind, float]] = set()

    # ------------------------------------------------------------------ state
    @property
    def outage_active(self) -> bool:
        return self._outage is not None

    @property
    def outage_acknowledged(self) -> bool:
        return self._outage_acknowledged

    @property
    def showing(self) -> frozenset[Slot]:
        return frozenset(self._showing)

    def pause(self, seconds: float) -> None:
        self.paused_until = self._clock() + seconds

    def resume(self) -> None:
        self.paused_until = 0.0

    @property
    def paused(self) -> bool:
        return self._clock() < self.paused_until

    # ------------------------------------------------------------------ the user, the desktop
    def acknowledge_outage(self) -> None:
        """The user has seen the outage: no more reminders, and its notice goes away."""
        if self._outage is None or self._outage_acknowledged:
            return
        self._outage_acknowledged = True
        if self._showing.get(Slot.GRID) is EventKind.GRID_OUTAGE:
            self._close(Slot.GRID)

    def closed(self, slot: Slot) -> None:
        """The desktop took the slot's notification away (expired, or dismissed by the user)."""
        self._showing.pop(slot, None)

    # ------------------------------------------------------------------ events
    def handle(self, events: list[Event]) -> None:
        for event in events:
            if event.kind is EventKind.GRID_OUTAGE:
                self._start_outage(event)
            elif event.kind is EventKind.GRID_RESTORED:
                self._outage = None
                self._offer(event)
            else:
                self._offer(event)

    def tell(self, title: str, body: str, severity: Severity = Severity.WARNING) -> None:
        """pwtray's own message to the user (not an event): shown even while paused."""
        self._show(Notice(Slot.APP, title, body, severity, None))

    def tick(self) -> None:
        """Called periodically: refreshes the outage notice until the outage ends or is seen."""
        outage = self._outage
        if outage is None or self._outage_acknowledged or self.paused:
            return
        if EventKind.GRID_OUTAGE not in self.enabled:
            return
        now = self._clock()
        if self._outage_last_shown is None:
            self._show_outage(outage, *event_text(outage))  # after a pause, at once
        elif now - self._outage_last_shown >= OUTAGE_REPEAT_S:
            minutes = round((now - outage.at) / 60)
            self._show_outage(
                outage,
                "Grid still down",
                f"The grid has been down for {minutes} min. {event_body(outage)}",
            )

    # ------------------------------------------------------------------ inside
    def _start_outage(self, event: Event) -> None:
        # An outage is identified by when it began: the same one is said once, and a new one is
        # always said, however soon after the last (the monitor already ignores resync flickers).
        identity = (event.kind, float(event.data.get("started_at", event.at)))
        if identity in self._outages_said:
            return
        self._outages_said.add(identity)
        self._outage, self._outage_acknowledged = event, False
        self._outage_last_shown = None
        if event.kind in self.enabled and not self.paused:
            self._show_outage(event, *event_text(event))

    def _show_outage(self, outage: Event, title: str, body: str) -> None:
        self._outage_last_shown = self._clock()
        self._show(
            Notice(
                Slot.GRID,
                title,
                body,
                Severity.CRITICAL,
                outage.kind,
                sticky=True,
                actions=_OUTAGE_ACTIONS,
            )
        )

    def _offer(self, event: Event) -> None:
        slot = _SLOTS.get(event.kind, Slot.APP)
        if event.kind in SHUTDOWN_KINDS:  # always, and the countdown until it ends
            pending = event.kind is EventKind.SHUTDOWN_PENDING
            self._show(
                Notice(
                    slot,
                    *event_text(event),
                    event.severity,
                    event.kind,
                    sticky=pending,
                    actions=(Action.OPEN, Action.CANCEL_SHUTDOWN) if pending else (Action.OPEN,),
                )
            )
            return
        notice = Notice(slot, *event_text(event), event.severity, event.kind)
        if event.kind is EventKind.GRID_RESTORED:
            identity = (event.kind, float(event.data.get("started_at", event.at)))
            if identity in self._outages_said:
                return  # this restore was handled already
            self._outages_said.add(identity)
            shown = self._may_show(notice, rate_limited=False)
        else:
            shown = self._may_show(notice, rate_limited=True)
        if shown:
            self._show(notice)
        elif event.kind in _ENDS and self._showing.get(slot, False) is _ENDS[event.kind]:
            self._close(slot)

    def _may_show(self, notice: Notice, *, rate_limited: bool) -> bool:
        if notice.kind not in self.enabled or self.paused:
            return False
        key = (notice.kind, notice.title)
        now = self._clock()
        if rate_limited and now - self._recent.get(key, -1e18) < DUPLICATE_S:
            return False
        self._recent[key] = now
        return True

    def _show(self, notice: Notice) -> None:
        replacing = notice.slot in self._showing
        self._showing[notice.slot] = notice.kind
        self._send(Replace(notice) if replacing else notice)

    def _close(self, slot: Slot) -> None:
        if slot in self._showing:
            del self._showing[slot]
            self._send(Close(slot))


__all__ = [
    "DEFAULT_KINDS",
    "DUPLICATE_S",
    "OUTAGE_REPEAT_S",
    "SHUTDOWN_KINDS",
    "Action",
    "Close",
    "Intent",
    "Notice",
    "Notifier",
    "Replace",
    "Slot",
]
