"""The simulated site: sun, house, Powerwalls and grid, moved by a simulated clock.

Powers follow the gateway's sign conventions (seed document): ``site`` > 0 imports from the grid,
``battery`` > 0 discharges, ``load`` is the home, ``solar`` is production. At every instant
``load == solar + battery + site`` (before the rounding the endpoints apply).

State of energy is kept in watt-hours on the gateway's raw scale: the "percentage" endpoint is
``remaining / full * 100``; the Tesla app shows ``(raw - 5) / 0.95``. The backup reserve is
stored on the raw scale too, as the gateway does.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from dataclasses import dataclass, field

CONNECTED = "SystemGridConnected"
ISLANDED = "SystemIslandedActive"
TO_GRID = "SystemTransitionToGrid"
TO_ISLAND = "SystemTransitionToIsland"

FULL_PACK_WH = 14_211.0  # raw 100 %; the usable 95 % above raw 5 % is 13.5 kWh
CONTINUOUS_W = 5_000.0  # per Powerwall 2
PEAK_W = 7_000.0  # per Powerwall 2, off-grid
EMPTY_RAW = 5.0  # raw SOE that the app shows as 0 %
STEP_S = 5.0  # longest integration step


def app_to_raw(app_percent: float) -> float:
    """The Tesla app's percentage on the gateway's raw scale (the simulator's own conversion,
    kept apart from the client's on purpose)."""
    return 5.0 + 0.95 * app_percent


def raw_to_app(raw_percent: float) -> float:
    return max(0.0, (raw_percent - 5.0) / 0.95)


class SimClock:
    """Simulated local time: starts at ``start`` and runs ``speed`` times faster than real time.

    ``speed=0`` freezes it: simulated time then moves only through :meth:`advance`, so nothing
    depends on how fast the machine is. The wall clock is never read; only the monotonic clock,
    and only while ``speed`` is above 0.
    """

    def __init__(self, start: dt.datetime, speed: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated clock needs a start time with a time zone")
        _check_speed(speed)
        self._start = start
        self._speed = speed
        self._mono0 = time.monotonic()
        self._offset_s = 0.0

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def start(self) -> dt.datetime:
        return self._start

    def elapsed_s(self) -> float:
        """Simulated seconds since the start."""
        if self._speed == 0:
            return self._offset_s
        return (time.monotonic() - self._mono0) * self._speed + self._offset_s

    def now(self) -> dt.datetime:
        return self.at(self.elapsed_s())

    def at(self, elapsed_s: float) -> dt.datetime:
        """The simulated local time ``elapsed_s`` simulated seconds after the start."""
        return self._start + dt.timedelta(seconds=elapsed_s)

    def advance(self, seconds: float) -> None:
        """Jump forward without waiting (tests and the control endpoint)."""
        if not seconds >= 0:
            raise ValueError(f"the simulated clock only moves forward, not by {seconds} s")
        self._offset_s += seconds

    def set_speed(self, speed: float) -> None:
        _check_speed(speed)
        self._offset_s = self.elapsed_s()
        self._mono0 = time.monotonic()
        self._speed = speed


def _check_speed(speed: float) -> None:
    if not (speed >= 0 and math.isfinite(speed)):
        raise ValueError(f"speed must be 0 (a frozen clock) or more, not {speed}")


@dataclass
class Meter:
    """Cumulative counters of one aggregate meter, in Wh."""

    imported_wh: float
    exported_wh: float

    def add(self, power_w: float, dt_s: float) -> None:
        if power_w >= 0:
            self.imported_wh += power_w * dt_s / 3600.0
        else:
            self.exported_wh += -power_w * dt_s / 3600.0


@dataclass
class GridFault:
    timestamp_ms: int
    alert_name: str


@dataclass
class SiteModel:
    """All the physical state of the simulated site. Not thread-safe: the server holds a lock."""

    clock: SimClock
    powerwalls: int = 1
    solar_peak_w: float = 6_000.0
    cloudiness: float = 0.4
    seed: int = 1
    mode: str = "self_consumption"
    reserve_raw: float = 24.0  # the app's 20 %
    remaining_wh: float = 0.0
    utility_up: bool = True
    resync_s: float = 30.0
    island_state: str = CONNECTED
    transition_until_s: float = 0.0
    intentional_island: bool = False
    running: bool = True
    load_override_w: float | None = None
    solar_override_w: float | None = None
    solar_w: float = 0.0
    load_w: float = 0.0
    battery_w: float = 0.0
    site_w: float = 0.0
    site_meter: Meter = field(default_factory=lambda: Meter(752_045.9, 348_463.5))
    battery_meter: Meter = field(default_factory=lambda: Meter(642_500.0, 567_740.0))
    load_meter: Meter = field(default_factory=lambda: Meter(1_595_342.4, 0.0))
    solar_meter: Meter = field(default_factory=lambda: Meter(2_655.5, 1_269_175.5))
    grid_faults: list[GridFault] = field(default_factory=list)
    _t_s: float = 0.0
    _spikes: dict[int, list[tuple[float, float, float]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.remaining_wh == 0.0:
            self.set_soe_raw(60.0)
        self._t_s = self.clock.elapsed_s()
        self._recompute(0.0)

    # ------------------------------------------------------------------ derived values
    @property
    def full_wh(self) -> float:
        return FULL_PACK_WH * self.powerwalls

    @property
    def soe_raw(self) -> float:
        return self.remaining_wh / self.full_wh * 100.0

    def set_soe_raw(self, percent: float) -> None:
        self.remaining_wh = max(0.0, min(100.0, percent)) / 100.0 * self.full_wh

    @property
    def off_grid(self) -> bool:
        """True while the house runs on the Powerwalls alone (the site meter reads ~0)."""
        return self.island_state in (ISLANDED, TO_GRID)

    def now(self) -> dt.datetime:
        return self.clock.now()

    @property
    def elapsed_s(self) -> float:
        """Simulated seconds since the start that the model has been brought up to."""
        return self._t_s

    # ------------------------------------------------------------------ events
    def grid_down(self) -> None:
        """The utility fails: the gateway islands at once."""
        self.utility_up = False
        if self.island_state != ISLANDED:
            self.island_state = ISLANDED
            self.grid_faults.append(
                GridFault(int(self.now().timestamp() * 1000), "PINV_a006_vfCheckUnderFrequency")
            )

    def grid_up(self) -> None:
        """The utility returns: the gateway resynchronises, then reconnects."""
        self.utility_up = True
        if self.island_state == ISLANDED and not self.intentional_island:
            self.island_state = TO_GRID
            self.transition_until_s = self._t_s + self.resync_s

    def go_off_grid(self) -> None:
        self.intentional_island = True
        if self.island_state == CONNECTED:
            self.island_state = TO_ISLAND
            self.transition_until_s = self._t_s + 3.0

    def reconnect(self) -> None:
        self.intentional_island = False
        if self.utility_up and self.island_state in (ISLANDED, TO_ISLAND):
            self.island_state = TO_GRID
            self.transition_until_s = self._t_s + min(self.resync_s, 5.0)

    # ------------------------------------------------------------------ time
    def advance_to(self, target: float) -> None:
        """Integrate up to ``target`` simulated seconds after the start."""
        while self._t_s < target:
            step = min(STEP_S, target - self._t_s)
            self._t_s += step
            self._transitions()
            self._recompute(step)

    def refresh(self) -> None:
        """Decide the flows for this instant after a change (a new load, mode, grid or site
        master state), without booking any energy: a frozen clock shows the change at once."""
        self._recompute(0.0)

    def _transitions(self) -> None:
        if self.island_state in (TO_GRID, TO_ISLAND) and self._t_s >= self.transition_until_s:
            if self.island_state == TO_GRID:
                self.island_state = CONNECTED
            else:
                self.island_state = ISLANDED

    # ------------------------------------------------------------------ physics
    def _local_time(self) -> dt.datetime:
        """The local time of the step being integrated (not of the clock, which may be ahead)."""
        return self.clock.at(self._t_s)

    def _local_hour(self) -> float:
        now = self._local_time()
        return now.hour + now.minute / 60.0 + now.second / 3600.0

    def _solar_now(self) -> float:
        if self.solar_override_w is not None:
            return self.solar_override_w
        hour = self._local_hour()
        if not 6.5 < hour < 19.5:
            return -2.0  # inverters draw a little at night, as real meters show
        clear: float = math.sin(math.pi * (hour - 6.5) / 13.0) ** 1.3
        t = self._t_s
        shade = math.sin(2 * math.pi * t / 1500 + self.seed) * math.sin(2 * math.pi * t / 4100)
        return self.solar_peak_w * clear * (1.0 - self.cloudiness * max(0.0, shade))

    def _spikes_for_day(self, day: int) -> list[tuple[float, float, float]]:
        """Appliance spikes of one simulated day: (start hour, end hour, watts), seeded."""
        if day not in self._spikes:
            rng = random.Random(self.seed * 100_003 + day)
            spikes = []
            for _ in range(rng.randint(4, 9)):
                start = rng.uniform(6.0, 23.0)
                spikes.append((start, start + rng.uniform(0.03, 0.3), rng.uniform(800, 2800)))
            self._spikes = {day: spikes}
        return self._spikes[day]

    def _load_now(self) -> float:
        if self.load_override_w is not None:
            return self.load_override_w
        hour = self._local_hour()
        t = self._t_s
        load = (
            320.0
            + 450.0 * math.exp(-(((hour - 7.5) / 1.0) ** 2))
            + 1300.0 * math.exp(-(((hour - 19.0) / 1.8) ** 2))
            + 120.0 * math.sin(2 * math.pi * t / 1800 + self.seed)
            + 25.0 * math.sin(t * 0.7)
            + 15.0 * math.sin(t * 1.3)
        )
        day = self._local_time().toordinal()
        load += sum(w for start, end, w in self._spikes_for_day(day) if start <= hour < end)
        return max(80.0, load)

    def _recompute(self, dt_s: float) -> None:
        """Decide the flows for the step that just ended and book its energy."""
        solar = self._solar_now()
        load = self._load_now()
        battery = 0.0
        n = self.powerwalls
        deficit = load - solar
        if not self.running:
            site = deficit
        elif self.off_grid:
            site = 0.0
            if deficit > 0:
                # Off grid the reserve no longer applies: the house may use it all.
                battery = self._discharge_limit(min(deficit, PEAK_W * n), EMPTY_RAW, dt_s)
                if battery < deficit:  # not enough battery: the house browns out
                    load = solar + battery
            elif self.soe_raw < 100.0:
                battery = self._charge_limit(max(deficit, -CONTINUOUS_W * n), dt_s)
                solar = load - battery  # the rest of the sun is curtailed
            else:
                solar = load
        else:
            if deficit > 0:
                if self.mode != "backup" and not self._holding():
                    floor = max(self.reserve_raw, EMPTY_RAW)
                    battery = self._discharge_limit(min(deficit, CONTINUOUS_W * n), floor, dt_s)
            elif self.soe_raw < 100.0:
                battery = self._charge_limit(max(deficit, -CONTINUOUS_W * n), dt_s)
            site = load - solar - battery
        self.solar_w, self.load_w, self.battery_w, self.site_w = solar, load, battery, site
        if dt_s > 0:
            self.remaining_wh = min(
                self.full_wh, max(0.0, self.remaining_wh - battery * dt_s / 3600.0)
            )
            self.site_meter.add(site, dt_s)
            self.battery_meter.add(-battery, dt_s)  # "imported" = charged, as real meters count
            self.load_meter.add(load, dt_s)
            self.solar_meter.add(-solar, dt_s)

    def _holding(self) -> bool:
        """Time-based control holds the battery through the cheap night hours."""
        return self.mode == "autonomous" and self._local_hour() < 6.0

    def _discharge_limit(self, wanted_w: float, floor_raw: float, dt_s: float) -> float:
        floor_wh = floor_raw / 100.0 * self.full_wh
        available_wh = self.remaining_wh - floor_wh
        if available_wh <= 0:
            return 0.0
        if dt_s <= 0:
            return wanted_w
        return min(wanted_w, available_wh * 3600.0 / dt_s)

    def _charge_limit(self, wanted_w: float, dt_s: float) -> float:
        room_wh = self.full_wh - self.remaining_wh
        if room_wh <= 0:
            return 0.0
        if dt_s <= 0:
            return wanted_w
        return max(wanted_w, -room_wh * 3600.0 / dt_s)
