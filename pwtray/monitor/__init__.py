"""Polling, connectivity, events, estimates and history. asyncio only — no Qt here."""

from pwtray.monitor._estimates import describe_duration, estimate, smooth
from pwtray.monitor._events import Event, EventKind, EventSettings, Memory, Severity, derive
from pwtray.monitor._history import DailyEnergy, HistoryStore, Outage, Point, Retention
from pwtray.monitor._poller import Poller, Schedule
from pwtray.monitor._snapshot import Connectivity, Counters, Estimates, Snapshot

__all__ = [
    "Connectivity",
    "Counters",
    "DailyEnergy",
    "Estimates",
    "Event",
    "EventKind",
    "EventSettings",
    "HistoryStore",
    "Memory",
    "Outage",
    "Point",
    "Poller",
    "Retention",
    "Schedule",
    "Severity",
    "Snapshot",
    "derive",
    "describe_duration",
    "estimate",
    "smooth",
]
