"""The monitor's picture of the site at one moment: immutable, complete, honest about age."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pwtray.gateway import GridState, OperationMode

# One threshold for "is power flowing?" everywhere (icon, tooltip, diagram, CLI, estimates): a
# Powerwall or meter reading within ±FLOW_W of zero is idle — meter noise, not a flow.
FLOW_W = 50.0


class Connectivity(enum.Enum):
    """How the monitor stands with the gateway (DESIGN.md §3; see ``_connectivity``)."""

    CONNECTING = "connecting"
    ONLINE = "online"
    STALE = "stale"  # the last poll failed; values are from before
    OFFLINE = "offline"  # unreachable for longer
    AUTH_REQUIRED = "auth_required"  # password rejected: polling waits for new credentials
    LOCKED_OUT = "locked_out"  # 429: polling waits until ``locked_until``
    GATEWAY_STOPPED = "gateway_stopped"  # 502: Powerwalls / site master stopped
    CERTIFICATE_CHANGED = "certificate_changed"  # pin mismatch: polling waits for the user
    INTERNAL_ERROR = "internal_error"  # pwtray itself failed reading: still trying

    @property
    def live(self) -> bool:
        return self is Connectivity.ONLINE

    @property
    def waits_for_user(self) -> bool:
        return self in (Connectivity.AUTH_REQUIRED, Connectivity.CERTIFICATE_CHANGED)


class Flow(enum.Enum):
    """Which way power goes through the Powerwall (or the grid meter), by ``FLOW_W``."""

    IDLE = "idle"
    IN = "in"  # the Powerwall charges / the house exports to the grid
    OUT = "out"  # the Powerwall supplies / the house imports from the grid

    @classmethod
    def of(cls, watts: float | None) -> Flow:
        """The gateway's signs: battery + = discharging, site + = importing."""
        if watts is None or abs(watts) < FLOW_W:
            return cls.IDLE
        return cls.OUT if watts > 0 else cls.IN


@dataclass(frozen=True)
class Estimates:
    """Times from the smoothed battery power; ``None`` where not meaningful."""

    battery_w_smoothed: float | None = None
    time_to_full_s: float | None = None
    time_to_reserve_s: float | None = None
    time_to_empty_s: float | None = None


@dataclass(frozen=True)
class Counters:
    """The meters' lifetime counters in Wh (``imported`` = into the meter's direction)."""

    site_imported_wh: float
    site_exported_wh: float
    battery_imported_wh: float  # charged
    battery_exported_wh: float  # discharged
    load_imported_wh: float
    solar_exported_wh: float


@dataclass(frozen=True)
class ReadTimes:
    """When each group of values was last read (wall seconds; 0 = never)."""

    meters: float = 0.0
    soe: float = 0.0
    grid: float = 0.0
    operation: float = 0.0
    system: float = 0.0


@dataclass(frozen=True)
class Snapshot:
    """Everything the app shows, as of ``taken_at`` (wall-clock seconds since the epoch)."""

    taken_at: float
    connectivity: Connectivity = Connectivity.CONNECTING
    problem: BaseException | None = None  # why not online; words.explain() says it for people
    locked_until: float | None = None
    soe_percent: float | None = None  # the Tesla app's scale
    soe_raw: float | None = None  # the gateway's scale
    site_w: float | None = None  # + import from the grid, - export
    battery_w: float | None = None  # + discharging, - charging
    load_w: float | None = None
    solar_w: float | None = None
    generator_w: float | None = None
    grid_voltage_v: float | None = None  # at the site (grid) meter; None where not reported
    grid_frequency_hz: float | None = None  # likewise; current firmware reports none (0)
    grid: GridState | None = None
    grid_since: float | None = None  # when the grid entered its current up/down state
    off_grid_by_choice: bool = False  # off grid on purpose (pwtray or the Tesla app), no outage
    mode: OperationMode | None = None
    mode_raw: str | None = None  # the gateway's own word, also for modes pwtray does not know
    reserve_percent: float | None = None  # the Tesla app's scale
    capacity_wh: float | None = None  # usable (the app's 0-100 %)
    energy_remaining_wh: float | None = None  # usable, above the app's 0 %
    powerwall_count: int | None = None
    continuous_power_w: float | None = None  # what the Powerwalls can supply together
    firmware: str | None = None
    din: str | None = None
    site_name: str | None = None
    sitemaster_running: bool | None = None
    alerts: tuple[str, ...] = ()
    grid_fault_times: tuple[tuple[int, str], ...] = ()  # (timestamp ms, alert name)
    counters: Counters | None = None
    read_at: ReadTimes = ReadTimes()
    unknown: tuple[str, ...] = ()  # optional reads that could not be read (endpoint names)
    estimates: Estimates = Estimates()
    last_success_at: float | None = None
    resumed_after_s: float | None = None  # set on the first snapshot after a sleep

    @property
    def error(self) -> str | None:
        """Short technical text of the problem (logs); people get ``words.explain``."""
        return None if self.problem is None else str(self.problem)

    @property
    def age_s(self) -> float | None:
        """Seconds between the newest live reading and this snapshot."""
        if self.last_success_at is None:
            return None
        return max(0.0, self.taken_at - self.last_success_at)

    @property
    def off_grid(self) -> bool:
        return self.grid is not None and self.grid.off_grid

    @property
    def battery_flow(self) -> Flow:
        return Flow.of(self.battery_w)

    @property
    def grid_flow(self) -> Flow:
        return Flow.of(self.site_w)

    @property
    def charging(self) -> bool:
        return self.battery_flow is Flow.IN

    @property
    def discharging(self) -> bool:
        return self.battery_flow is Flow.OUT
