"""Polling, connectivity, events, estimates and history. asyncio only — no Qt here."""

from pwtray.kinds import EventKind, Severity
from pwtray.monitor._assemble import (
    UNIT_ENERGY_WH,
    UNIT_POWER_W,
    capacity_wh,
    continuous_power_w,
)
from pwtray.monitor._clock import SYSTEM_CLOCK, Clock, SystemClock
from pwtray.monitor._endpoints import ENDPOINTS, Endpoint, Group, Health, Readings
from pwtray.monitor._estimates import describe_duration, estimate, smooth
from pwtray.monitor._events import Event, EventSettings, Memory, derive
from pwtray.monitor._history import (
    DailyEnergy,
    HistoryStore,
    HistoryUnavailableError,
    Outage,
    Point,
    Retention,
)
from pwtray.monitor._poller import Poller
from pwtray.monitor._schedule import Schedule
from pwtray.monitor._snapshot import (
    FLOW_W,
    Connectivity,
    Counters,
    Estimates,
    Flow,
    ReadTimes,
    Snapshot,
)

__all__ = [
    "ENDPOINTS",
    "FLOW_W",
    "SYSTEM_CLOCK",
    "UNIT_ENERGY_WH",
    "UNIT_POWER_W",
    "Clock",
    "Connectivity",
    "Counters",
    "DailyEnergy",
    "Endpoint",
    "Estimates",
    "Event",
    "EventKind",
    "EventSettings",
    "Flow",
    "Group",
    "Health",
    "HistoryStore",
    "HistoryUnavailableError",
    "Memory",
    "Outage",
    "Point",
    "Poller",
    "ReadTimes",
    "Readings",
    "Retention",
    "Schedule",
    "Severity",
    "Snapshot",
    "SystemClock",
    "capacity_wh",
    "continuous_power_w",
    "derive",
    "describe_duration",
    "estimate",
    "smooth",
]
