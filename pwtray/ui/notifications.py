"""Which events become desktop notifications, and how often.

Each kind can be switched off; a repeat of the same notification within ``DUPLICATE_S`` is
dropped; notifications can be paused; a grid outage repeats every ``OUTAGE_REPEAT_S`` until the
grid is back or the user acknowledges it. What the shutdown policy says about this computer is
always shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pwtray.core.words import event_body, event_text
from pwtray.monitor import Event, EventKind, Severity

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
        EventKind.ACTION_FAILED,
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


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    severity: Severity
    kind: EventKind


Show = Callable[[Notice], None]


class Notifier:
    """Turns events into notices for ``show``; keeps the outage reminder going."""

    def __init__(self, show: Show, *, enabled: frozenset[EventKind] = DEFAULT_KINDS,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self._show = show
        self.enabled = enabled
        self._clock = clock
        self._recent: dict[tuple[EventKind, str], float] = {}
        self.paused_until = 0.0
        self._outage: Event | None = None
        self._outage_acknowledged = False
        self._outage_last_shown = 0.0
        self._outages_said: set[tuple[EventKind, float]] = set()

    @property
    def outage_active(self) -> bool:
        return self._outage is not None

    @property
    def outage_acknowledged(self) -> bool:
        return self._outage_acknowledged

    def pause(self, seconds: float) -> None:
        self.paused_until = self._clock() + seconds

    def resume(self) -> None:
        self.paused_until = 0.0

    @property
    def paused(self) -> bool:
        return self._clock() < self.paused_until

    def acknowledge_outage(self) -> None:
        self._outage_acknowledged = True

    def handle(self, events: list[Event]) -> None:
        for event in events:
            if event.kind is EventKind.GRID_OUTAGE:
                self._outage, self._outage_acknowledged = event, False
                self._outage_last_shown = self._clock()
            elif event.kind is EventKind.GRID_RESTORED:
                self._outage = None
            self._offer(event)

    def tick(self) -> None:
        """Called periodically: repeats the outage notice until acknowledged or over."""
        if self._outage is None or self._outage_acknowledged:
            return
        now = self._clock()
        if now - self._outage_last_shown >= OUTAGE_REPEAT_S:
            self._outage_last_shown = now
            minutes = round((now - self._outage.at) / 60)
            body = f"The grid has been down for {minutes} min. {event_body(self._outage)}"
            self._emit(
                Notice("Grid still down", body, Severity.CRITICAL, EventKind.GRID_OUTAGE),
                force=True,
            )

    def _offer(self, event: Event) -> None:
        if event.kind not in self.enabled and event.kind not in SHUTDOWN_KINDS:
            return
        title, body = event_text(event)
        notice = Notice(title, body, event.severity, event.kind)
        if event.kind in (EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED):
            # An outage is identified by when it began: the same one is said once, and a new
            # one is always said, however soon after the last (the monitor already ignores
            # resync flickers).
            identity = (event.kind, float(event.data.get("started_at", event.at)))
            if identity in self._outages_said:
                return
            self._outages_said.add(identity)
            self._emit(notice, force=True)
        else:
            self._emit(notice, force=event.kind in SHUTDOWN_KINDS)

    def _emit(self, notice: Notice, *, force: bool = False) -> None:
        if notice.kind in SHUTDOWN_KINDS:
            self._show(notice)
            return
        if notice.kind not in self.enabled:
            return
        if self.paused:
            return  # the outage reminder speaks again once the pause is over
        key = (notice.kind, notice.title)
        now = self._clock()
        if not force and now - self._recent.get(key, -1e18) < DUPLICATE_S:
            return
        self._recent[key] = now
        self._show(notice)
