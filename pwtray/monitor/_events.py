"""What is worth telling the user: a pure function of (previous, current) snapshots.

``derive`` takes the previous and current snapshot plus a small immutable ``Memory`` (what was
already said: the outage in progress, latched thresholds, alerts seen) and returns the events
and the next memory. No clock, no I/O: the same inputs always give the same events, which is
what the property tests check (no event without a change; every restore follows an outage).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from pwtray.gateway import GridState, OperationMode
from pwtray.kinds import EventKind, Severity
from pwtray.monitor._estimates import describe_duration
from pwtray.monitor._snapshot import Connectivity, Snapshot


@dataclass(frozen=True)
class Event:
    kind: EventKind
    severity: Severity
    title: str
    body: str
    at: float  # wall-clock seconds
    data: dict[str, float | str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class EventSettings:
    soe_thresholds: tuple[float, ...] = (50.0, 25.0, 10.0)  # the app's %, lowest matters most
    hysteresis_percent: float = 3.0
    unreachable_after_s: float = 300.0


@dataclass(frozen=True)
class Memory:
    outage_started_at: float | None = None
    outage_start_soe: float | None = None
    outage_start_discharged_wh: float | None = None
    outage_lowest_soe: float | None = None
    latched_thresholds: frozenset[float] = frozenset()
    reserve_latched: bool = False
    full_latched: bool = False
    unreachable_since: float | None = None
    unreachable_told: bool = False
    alerts_seen: frozenset[tuple[int, str]] | None = None  # None until the first reading


def derive(
    previous: Snapshot | None,
    current: Snapshot,
    memory: Memory = Memory(),
    settings: EventSettings = EventSettings(),
    *,
    expected_operation: tuple[str, float] | None = None,
) -> tuple[list[Event], Memory]:
    """Events for the step from ``previous`` to ``current``, and the memory to pass next time."""
    events: list[Event] = []
    memory = _grid(previous, current, memory, events)
    memory = _battery(previous, current, memory, settings, events)
    memory = _connectivity(previous, current, memory, settings, events)
    memory = _alerts(current, memory, events)
    _settings_changed(previous, current, expected_operation, events)
    if current.resumed_after_s is not None and previous is not None:
        events.append(_resumed(previous, current))
    return events, memory


# ---------------------------------------------------------------------- grid
def _grid(
    previous: Snapshot | None, current: Snapshot, memory: Memory, events: list[Event]
) -> Memory:
    grid = current.grid
    if grid is None:
        return memory  # nothing read this time: an outage in progress stays in progress
    if memory.outage_started_at is None and grid.off_grid:
        first_reading = previous is None or previous.grid is None
        started = current.taken_at
        events.append(
            Event(
                EventKind.GRID_OUTAGE,
                Severity.CRITICAL,
                "Grid outage" if grid is GridState.ISLANDED else "Off grid",
                _outage_body(current, started, already=first_reading),
                current.taken_at,
                {"started_at": started},
            )
        )
        discharged = current.counters.battery_exported_wh if current.counters else None
        return replace(
            memory,
            outage_started_at=started,
            outage_start_soe=current.soe_percent,
            outage_start_discharged_wh=discharged,
            outage_lowest_soe=current.soe_percent,
        )
    if memory.outage_started_at is not None:
        lowest = _min(memory.outage_lowest_soe, current.soe_percent)
        if grid is GridState.CONNECTED:
            events.append(_restored(current, memory, memory.outage_started_at, lowest))
            return replace(
                memory,
                outage_started_at=None,
                outage_start_soe=None,
                outage_start_discharged_wh=None,
                outage_lowest_soe=None,
            )
        return replace(memory, outage_lowest_soe=lowest)
    return memory


def _outage_body(current: Snapshot, started: float, *, already: bool) -> str:
    when = _clock_time(started)
    lead = (
        f"The grid was already down when pwtray connected ({when})."
        if already
        else f"The grid went down at {when}."
    )
    parts = [lead, "The house is running on the Powerwall"]
    if current.soe_percent is not None:
        parts[-1] += f", now {current.soe_percent:.0f} %"
    parts[-1] += "."
    empty = current.estimates.time_to_empty_s
    if empty is not None:
        parts.append(f"At the current use it lasts about {describe_duration(empty)}.")
    return " ".join(parts)


def _restored(current: Snapshot, memory: Memory, started_at: float, lowest: float | None) -> Event:
    duration_s = max(0.0, current.taken_at - started_at)
    supplied_wh: float | None = None
    if current.counters and memory.outage_start_discharged_wh is not None:
        supplied_wh = max(
            0.0, current.counters.battery_exported_wh - memory.outage_start_discharged_wh
        )
    body = f"The grid is back after {describe_duration(duration_s)}."
    if supplied_wh is not None:
        body += f" The Powerwall supplied {supplied_wh / 1000:.1f} kWh"
        if memory.outage_start_soe is not None and current.soe_percent is not None:
            body += f" ({memory.outage_start_soe:.0f} % → {current.soe_percent:.0f} %)"
        body += "."
    data: dict[str, float | str] = {
        "duration_s": duration_s,
        "started_at": started_at,
    }
    if supplied_wh is not None:
        data["energy_wh"] = supplied_wh
    if lowest is not None:
        data["lowest_soe"] = lowest
    return Event(
        EventKind.GRID_RESTORED, Severity.INFO, "Grid restored", body, current.taken_at, data
    )


# ---------------------------------------------------------------------- battery
def _battery(
    previous: Snapshot | None,
    current: Snapshot,
    memory: Memory,
    settings: EventSettings,
    events: list[Event],
) -> Memory:
    soe = current.soe_percent
    if soe is None or not current.connectivity.live:
        return memory
    h = settings.hysteresis_percent
    reserve = current.reserve_percent
    reserve_latched = memory.reserve_latched
    if reserve is not None and reserve > 0:
        at_reserve = soe <= reserve + 0.5
        # "Reached" means the charge fell to a reserve that stayed put — not that the user
        # raised the reserve above the charge, and not a charge already there at start.
        fell_to_it = (
            previous is not None
            and previous.soe_percent is not None
            and previous.reserve_percent == reserve
            and previous.soe_percent > reserve + 0.5
        )
        if not reserve_latched and at_reserve and fell_to_it:
            reserve_latched = True
            events.append(
                Event(
                    EventKind.RESERVE_REACHED,
                    Severity.WARNING,
                    "Battery at backup reserve",
                    f"The Powerwall is at {soe:.0f} %, its backup reserve ({reserve:.0f} %). "
                    + (
                        "It keeps running the house until the grid is back."
                        if current.off_grid
                        else "The grid now covers the house; the reserve is kept for outages."
                    ),
                    current.taken_at,
                )
            )
        elif reserve_latched and soe > reserve + h:
            reserve_latched = False
    full_latched = memory.full_latched
    if not full_latched and soe >= 99.5:
        full_latched = True
        full = "The Powerwall is fully charged."
        events.append(
            Event(EventKind.BATTERY_FULL, Severity.INFO, "Battery full", full, current.taken_at)
        )
    elif full_latched and soe < 100 - 2 * h:
        full_latched = False
    latched = set(memory.latched_thresholds)
    crossed = [t for t in settings.soe_thresholds if soe < t and t not in latched]
    if crossed:
        lowest = min(crossed)
        latched.update(crossed)
        events.append(
            Event(
                EventKind.SOE_BELOW,
                Severity.CRITICAL if current.off_grid else Severity.WARNING,
                f"Battery below {lowest:.0f} %",
                f"The Powerwall is at {soe:.0f} %." + _lasts(current),
                current.taken_at,
                {"threshold": lowest},
            )
        )
    latched = {t for t in latched if soe < t + h}
    return replace(
        memory,
        reserve_latched=reserve_latched,
        full_latched=full_latched,
        latched_thresholds=frozenset(latched),
    )


def _lasts(current: Snapshot) -> str:
    empty = current.estimates.time_to_empty_s
    return f" At the current use it lasts about {describe_duration(empty)}." if empty else ""


# ---------------------------------------------------------------------- connectivity
_STATE_EVENTS = {
    Connectivity.AUTH_REQUIRED: (EventKind.AUTH_REQUIRED, Severity.WARNING, "Gateway login needed"),
    Connectivity.LOCKED_OUT: (EventKind.LOCKED_OUT, Severity.WARNING, "Gateway login locked out"),
    Connectivity.CERTIFICATE_CHANGED: (
        EventKind.CERTIFICATE_CHANGED,
        Severity.CRITICAL,
        "Gateway certificate changed",
    ),
    Connectivity.GATEWAY_STOPPED: (
        EventKind.GATEWAY_STOPPED,
        Severity.WARNING,
        "Powerwalls stopped",
    ),
    Connectivity.INTERNAL_ERROR: (
        EventKind.INTERNAL_ERROR,
        Severity.WARNING,
        "pwtray hit an internal error",
    ),
}


def _connectivity(
    previous: Snapshot | None,
    current: Snapshot,
    memory: Memory,
    settings: EventSettings,
    events: list[Event],
) -> Memory:
    state = current.connectivity
    before = previous.connectivity if previous else Connectivity.CONNECTING
    if state in _STATE_EVENTS and state is not before:
        kind, severity, title = _STATE_EVENTS[state]
        events.append(Event(kind, severity, title, current.error or title, current.taken_at))
    unreachable = state in (Connectivity.STALE, Connectivity.OFFLINE)
    since, told = memory.unreachable_since, memory.unreachable_told
    if unreachable:
        since = since if since is not None else current.taken_at
        if not told and current.taken_at - since >= settings.unreachable_after_s:
            told = True
            events.append(
                Event(
                    EventKind.UNREACHABLE,
                    Severity.WARNING,
                    "Gateway unreachable",
                    f"pwtray has not reached the gateway since {_clock_time(since)}. "
                    + (current.error or ""),
                    current.taken_at,
                )
            )
    elif state is Connectivity.ONLINE:
        if told:
            events.append(
                Event(
                    EventKind.BACK_ONLINE,
                    Severity.INFO,
                    "Gateway reachable again",
                    "Readings are live again after "
                    f"{describe_duration(current.taken_at - (since or current.taken_at))}.",
                    current.taken_at,
                )
            )
        since, told = None, False
    return replace(memory, unreachable_since=since, unreachable_told=told)


# ---------------------------------------------------------------------- alerts and settings
def _alerts(current: Snapshot, memory: Memory, events: list[Event]) -> Memory:
    if not current.read_at.system:
        return memory
    seen_now = frozenset(current.grid_fault_times)
    if memory.alerts_seen is None:
        return replace(memory, alerts_seen=seen_now)  # what was there before we looked is old news
    for timestamp_ms, name in sorted(seen_now - memory.alerts_seen):
        events.append(
            Event(
                EventKind.NEW_ALERT,
                Severity.WARNING,
                "Gateway alert",
                f"The gateway reported {name} at {_clock_time(timestamp_ms / 1000)}.",
                current.taken_at,
                {"alert": name},
            )
        )
    return replace(memory, alerts_seen=memory.alerts_seen | seen_now)


def _settings_changed(
    previous: Snapshot | None,
    current: Snapshot,
    expected: tuple[str, float] | None,
    events: list[Event],
) -> None:
    if previous is None:
        return
    if previous.firmware and current.firmware and previous.firmware != current.firmware:
        events.append(
            Event(
                EventKind.FIRMWARE_CHANGED,
                Severity.INFO,
                "Gateway firmware updated",
                f"The gateway now runs firmware {current.firmware} (was {previous.firmware}).",
                current.taken_at,
            )
        )
    if expected is not None and (current.mode_raw, current.reserve_percent) == expected:
        return  # the change pwtray itself made
    if previous.mode_raw and current.mode_raw and previous.mode_raw != current.mode_raw:
        events.append(
            Event(
                EventKind.MODE_CHANGED,
                Severity.INFO,
                "Operation mode changed",
                f"The Powerwall is now in {_mode_label(current.mode_raw)} mode "
                f"(was {_mode_label(previous.mode_raw)}).",
                current.taken_at,
            )
        )
    before, after = previous.reserve_percent, current.reserve_percent
    if before is not None and after is not None and abs(before - after) >= 0.5:
        events.append(
            Event(
                EventKind.RESERVE_CHANGED,
                Severity.INFO,
                "Backup reserve changed",
                f"The backup reserve is now {after:.0f} % (was {before:.0f} %).",
                current.taken_at,
            )
        )


def _resumed(previous: Snapshot, current: Snapshot) -> Event:
    away = current.resumed_after_s or 0.0
    body = f"This computer was asleep for {describe_duration(away)}."
    if previous.soe_percent is not None and current.soe_percent is not None:
        body += f" Battery {previous.soe_percent:.0f} % → {current.soe_percent:.0f} %."
    return Event(EventKind.RESUMED, Severity.INFO, "Back from sleep", body, current.taken_at)


def _mode_label(mode: str) -> str:
    try:
        return OperationMode(mode).label
    except ValueError:
        return mode


def _min(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return min(values) if values else None


def _clock_time(epoch_s: float) -> str:
    return dt.datetime.fromtimestamp(epoch_s).astimezone().strftime("%H:%M")
