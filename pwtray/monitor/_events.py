"""What is worth telling the user: a pure function of (previous, current) snapshots.

Events are facts (a kind, a severity, a time and the numbers behind them); the sentences are
made in ``pwtray.core.words``, so every screen and the CLI say the same thing the same way.

``derive`` takes the previous and current snapshot plus a small immutable ``Memory`` (what was
already said: the outage in progress, latched thresholds, alerts seen) and returns the events
and the next memory. No clock, no I/O: the same inputs always give the same events, which is
what the property tests check (no event without a change; every restore follows an outage).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pwtray.gateway import GridState
from pwtray.kinds import EventKind, Severity
from pwtray.monitor._snapshot import Connectivity, Snapshot


@dataclass(frozen=True)
class Event:
    """Something worth telling, as facts: ``pwtray.core.words.event_text`` says it in words.

    ``data`` holds the numbers and names the words need (see each kind below); ``problem`` the
    error behind a connectivity event.
    """

    kind: EventKind
    severity: Severity
    at: float  # wall-clock seconds
    data: dict[str, float | str] = field(default_factory=dict, compare=False)
    problem: BaseException | None = field(default=None, compare=False)


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
    chosen_off_grid_since: float | None = None  # off grid on purpose (by pwtray or the owner)
    alerts_seen: frozenset[tuple[int, str]] | None = None  # None until the first reading


def derive(
    previous: Snapshot | None,
    current: Snapshot,
    memory: Memory = Memory(),
    settings: EventSettings = EventSettings(),
    *,
    expected_operation: tuple[str, float] | None = None,
    expected_off_grid: bool = False,
) -> tuple[list[Event], Memory]:
    """Events for the step from ``previous`` to ``current``, and the memory to pass next time.

    ``expected_off_grid``: pwtray itself just took the house off grid (a command).
    """
    events: list[Event] = []
    memory = _chosen_off_grid(current, memory, events, expected=expected_off_grid)
    memory = _grid(previous, current, memory, events)
    memory = _battery(previous, current, memory, settings, events)
    memory = _connectivity(previous, current, memory, settings, events)
    memory = _alerts(current, memory, events)
    _settings_changed(previous, current, expected_operation, events)
    if current.resumed_after_s is not None and previous is not None:
        events.append(_resumed(previous, current))
    return events, memory


# ---------------------------------------------------------------------- grid
GRID_PRESENT_V = 90.0  # the grid side of the gateway still has this: the grid itself is there


def grid_present(snapshot: Snapshot) -> bool | None:
    """Whether the grid itself has power, from the site meter's voltage (None: not reported).

    Off grid with the grid still live on the site meter means the house left the grid on
    purpose (pwtray's or the Tesla app's "Go off grid"); in an outage the grid side is dead.
    """
    if snapshot.grid_voltage_v is None:
        return None
    return snapshot.grid_voltage_v >= GRID_PRESENT_V


def _chosen_off_grid(
    current: Snapshot, memory: Memory, events: list[Event], *, expected: bool
) -> Memory:
    """Off grid by choice: told calmly, never as the outage alarm — unless the grid itself then
    fails, which ``_grid`` tells as an outage."""
    grid = current.grid
    if grid is None:
        return memory
    chosen = memory.chosen_off_grid_since
    leaving = chosen is None and memory.outage_started_at is None and grid.off_grid
    if leaving and (expected or grid_present(current) is True):
        data: dict[str, float | str] = {"started_at": current.taken_at}
        if current.soe_percent is not None:
            data["soe"] = current.soe_percent
        if expected:
            data["by_pwtray"] = 1.0
        events.append(Event(EventKind.OFF_GRID_CHOSEN, Severity.INFO, current.taken_at, data))
        return replace(memory, chosen_off_grid_since=current.taken_at)
    if chosen is not None and grid is GridState.CONNECTED:
        data = {"duration_s": max(0.0, current.taken_at - chosen)}
        events.append(Event(EventKind.BACK_ON_GRID, Severity.INFO, current.taken_at, data))
        return replace(memory, chosen_off_grid_since=None)
    return memory


def _grid(
    previous: Snapshot | None, current: Snapshot, memory: Memory, events: list[Event]
) -> Memory:
    grid = current.grid
    if grid is None:
        return memory  # nothing read this time: an outage in progress stays in progress
    chosen = memory.chosen_off_grid_since is not None
    dead = grid_present(current) is False
    if memory.outage_started_at is None and grid.off_grid and (not chosen or dead):
        first_reading = previous is None or previous.grid is None
        started = current.taken_at
        data: dict[str, float | str] = {"started_at": started, "grid": grid.value}
        if first_reading:
            data["already"] = 1.0
        if current.soe_percent is not None:
            data["soe"] = current.soe_percent
        if current.estimates.time_to_empty_s is not None:
            data["time_to_empty_s"] = current.estimates.time_to_empty_s
        if chosen:
            data["while_off_grid_by_choice"] = 1.0
        events.append(Event(EventKind.GRID_OUTAGE, Severity.CRITICAL, current.taken_at, data))
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


def _restored(current: Snapshot, memory: Memory, started_at: float, lowest: float | None) -> Event:
    data: dict[str, float | str] = {
        "duration_s": max(0.0, current.taken_at - started_at),
        "started_at": started_at,
    }
    if current.counters and memory.outage_start_discharged_wh is not None:
        supplied = current.counters.battery_exported_wh - memory.outage_start_discharged_wh
        data["energy_wh"] = max(0.0, supplied)
    if lowest is not None:
        data["lowest_soe"] = lowest
    if memory.outage_start_soe is not None:
        data["start_soe"] = memory.outage_start_soe
    if current.soe_percent is not None:
        data["soe"] = current.soe_percent
    return Event(EventKind.GRID_RESTORED, Severity.INFO, current.taken_at, data)


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
            data: dict[str, float | str] = {"soe": soe, "reserve": reserve}
            if current.off_grid:
                data["off_grid"] = 1.0
            events.append(
                Event(EventKind.RESERVE_REACHED, Severity.WARNING, current.taken_at, data)
            )
        elif reserve_latched and soe > reserve + h:
            reserve_latched = False
    full_latched = memory.full_latched
    if not full_latched and soe >= 99.5:
        full_latched = True
        events.append(Event(EventKind.BATTERY_FULL, Severity.INFO, current.taken_at))
    elif full_latched and soe < 100 - 2 * h:
        full_latched = False
    latched = set(memory.latched_thresholds)
    crossed = [t for t in settings.soe_thresholds if soe < t and t not in latched]
    if crossed:
        lowest = min(crossed)
        latched.update(crossed)
        data = {"threshold": lowest, "soe": soe}
        if current.estimates.time_to_empty_s:
            data["time_to_empty_s"] = current.estimates.time_to_empty_s
        severity = Severity.CRITICAL if current.off_grid else Severity.WARNING
        events.append(Event(EventKind.SOE_BELOW, severity, current.taken_at, data))
    latched = {t for t in latched if soe < t + h}
    return replace(
        memory,
        reserve_latched=reserve_latched,
        full_latched=full_latched,
        latched_thresholds=frozenset(latched),
    )


# ---------------------------------------------------------------------- connectivity
_STATE_EVENTS = {
    Connectivity.AUTH_REQUIRED: (EventKind.AUTH_REQUIRED, Severity.WARNING),
    Connectivity.LOCKED_OUT: (EventKind.LOCKED_OUT, Severity.WARNING),
    Connectivity.CERTIFICATE_CHANGED: (EventKind.CERTIFICATE_CHANGED, Severity.CRITICAL),
    Connectivity.GATEWAY_STOPPED: (EventKind.GATEWAY_STOPPED, Severity.WARNING),
    Connectivity.INTERNAL_ERROR: (EventKind.INTERNAL_ERROR, Severity.WARNING),
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
        kind, severity = _STATE_EVENTS[state]
        events.append(Event(kind, severity, current.taken_at, problem=current.problem))
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
                    current.taken_at,
                    {"since": since},
                    problem=current.problem,
                )
            )
    elif state is Connectivity.ONLINE:
        if told:
            away = current.taken_at - (since or current.taken_at)
            events.append(
                Event(EventKind.BACK_ONLINE, Severity.INFO, current.taken_at, {"away_s": away})
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
        data: dict[str, float | str] = {"alert": name, "alert_at": timestamp_ms / 1000}
        events.append(Event(EventKind.NEW_ALERT, Severity.WARNING, current.taken_at, data))
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
        data: dict[str, float | str] = {"firmware": current.firmware, "was": previous.firmware}
        events.append(Event(EventKind.FIRMWARE_CHANGED, Severity.INFO, current.taken_at, data))
    if expected is not None and (current.mode_raw, current.reserve_percent) == expected:
        return  # the change pwtray itself made
    if previous.mode_raw and current.mode_raw and previous.mode_raw != current.mode_raw:
        data = {"mode": current.mode_raw, "was": previous.mode_raw}
        events.append(Event(EventKind.MODE_CHANGED, Severity.INFO, current.taken_at, data))
    before, after = previous.reserve_percent, current.reserve_percent
    if before is not None and after is not None and abs(before - after) >= 0.5:
        data = {"reserve": after, "was": before}
        events.append(Event(EventKind.RESERVE_CHANGED, Severity.INFO, current.taken_at, data))


def _resumed(previous: Snapshot, current: Snapshot) -> Event:
    data: dict[str, float | str] = {"away_s": current.resumed_after_s or 0.0}
    if previous.soe_percent is not None and current.soe_percent is not None:
        data["soe_before"], data["soe"] = previous.soe_percent, current.soe_percent
    return Event(EventKind.RESUMED, Severity.INFO, current.taken_at, data)


def _min(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return min(values) if values else None
