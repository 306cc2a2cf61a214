"""The poller: reads the gateway on three schedules and publishes snapshots and events.

It is the only place that decides when to talk to the gateway (STYLE.md habit 3, 6, 7):

* fast (≈5 s: aggregates, soe, grid status), slow (≈60 s: operation, system status, site master,
  Powerwalls) and rare (≈1 h: status/firmware, site info, networks, update status); the reads due
  in one cycle go out together, so a cycle costs about one round trip;
* failures back off exponentially with jitter up to a cap — no request storm when the gateway is
  down — and recovery is automatic;
* a rejected password or a changed certificate stops polling until the user acts; a lock-out
  stops it until the lock-out ends; a stale or missing reading never looks live;
* one cycle at a time: ``refresh()`` joins the cycle in flight instead of racing it;
* a wall-clock jump larger than the monotonic clock's (sleep/resume) triggers a full read at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from pwtray.gateway import (
    AuthenticationError,
    CertificateChangedError,
    EndpointNotSupportedError,
    GatewayClient,
    GatewayError,
    GatewayUnavailableError,
    LockedOutError,
    MetersAggregates,
    SystemStatus,
)
from pwtray.gateway import _models as models
from pwtray.monitor._estimates import estimate, smooth
from pwtray.monitor._events import Event, EventSettings, Memory, derive
from pwtray.monitor._snapshot import Connectivity, Counters, Snapshot

log = logging.getLogger(__name__)

GROUPS: dict[str, tuple[str, ...]] = {
    "fast": ("aggregates", "soe", "grid_status"),
    "slow": ("operation", "system_status", "sitemaster", "powerwalls"),
    "rare": ("status", "site_info", "networks", "update_status"),
}
SLEEP_JUMP_S = 30.0  # wall clock ahead of the monotonic clock by more than this: we slept

Listener = Callable[[Snapshot, list[Event]], None]


@dataclass(frozen=True)
class Schedule:
    fast_s: float = 5.0
    slow_s: float = 60.0
    rare_s: float = 3600.0
    offline_after_s: float = 30.0  # failing this long turns "stale" into "offline"
    backoff_cap_s: float = 60.0

    def interval(self, group: str) -> float:
        return {"fast": self.fast_s, "slow": self.slow_s, "rare": self.rare_s}[group]


class HistorySink(Protocol):
    """What the poller needs from a history store (``pwtray.monitor.HistoryStore``)."""

    def record(self, snapshot: Snapshot, events: list[Event]) -> None: ...


class Poller:
    def __init__(
        self,
        client: GatewayClient,
        *,
        schedule: Schedule = Schedule(),
        settings: EventSettings | None = None,
        history: HistorySink | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self.schedule = schedule
        self.settings = settings or EventSettings()
        self._history = history
        self._clock = clock
        self._wall = wall
        self._rng = rng or random.Random()
        self._listeners: list[Listener] = []
        self._snapshot = Snapshot(taken_at=wall())
        self._memory = Memory()
        self._values: dict[str, Any] = {}
        self._read_at: dict[str, float] = {}
        self._unsupported: set[str] = set()
        self._next_due = dict.fromkeys(GROUPS, 0.0)
        self._failures = 0
        self._failing_since: float | None = None
        self._last_success: float | None = None
        self._smoothed_w: float | None = None
        self._smoothed_at: float | None = None
        self._expected_operation: tuple[str, float] | None = None
        self._cycle_task: asyncio.Task[Snapshot] | None = None
        self._wake = asyncio.Event()
        self._last_wall = wall()
        self._last_mono = clock()
        self.cycles = 0

    # ------------------------------------------------------------------ public
    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def client(self) -> GatewayClient:
        return self._client

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(snapshot, events)`` after every cycle; returns the unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    async def refresh(self) -> Snapshot:
        """Read everything now; joins a cycle already in flight rather than racing it."""
        self._next_due = dict.fromkeys(GROUPS, 0.0)
        snapshot = await self._run_cycle()
        self._wake.set()  # the loop restarts its timer from this fresh reading
        return snapshot

    def set_credentials(self, password: str, email: str | None = None) -> None:
        """New credentials from the user: polling resumes at once."""
        self._client.set_credentials(password, email)
        self._resume()

    def replace_client(self, client: GatewayClient) -> None:
        """Switch to a new client (after the user trusted a new certificate, say)."""
        self._client = client
        self._resume()

    def expect_operation(self, mode: str, reserve_percent: float) -> None:
        """pwtray itself changed these: don't report the change as made elsewhere."""
        self._expected_operation = (mode, round(reserve_percent, 1))

    async def stop(self, grace_s: float = 2.0) -> None:
        """After cancelling ``run()``: let a cycle in flight finish (briefly), else cancel it.

        ``refresh()`` shields the cycle from its callers' cancellation, so without this a cycle
        could outlive the poller and find its client closed and its event loop gone.
        """
        task = self._cycle_task
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), grace_s)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except (GatewayError, asyncio.CancelledError):
            pass

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            await self._run_cycle()
            state = self._snapshot.connectivity
            if state.waits_for_user:
                log.info("polling paused until the user acts (%s)", state.value)
                await self._wake_up(None)
            else:
                await self._wake_up(self._next_delay())

    # ------------------------------------------------------------------ loop
    def _resume(self) -> None:
        self._failures = 0
        self._failing_since = None
        self._next_due = dict.fromkeys(GROUPS, 0.0)
        self._publish(replace(self._snapshot, connectivity=Connectivity.CONNECTING, error=None), [])
        self._wake.set()

    async def _wake_up(self, delay: float | None) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)

    def _next_delay(self) -> float:
        state = self._snapshot.connectivity
        if state is Connectivity.LOCKED_OUT and self._snapshot.locked_until is not None:
            return max(1.0, self._snapshot.locked_until - self._wall())
        if self._failures:
            base = self.schedule.fast_s * 2.0 ** min(self._failures - 1, 16)
            return min(self.schedule.backoff_cap_s, base) * self._rng.uniform(0.8, 1.2)
        now = self._clock()
        return max(0.0, min(self._next_due.values()) - now)

    async def _run_cycle(self) -> Snapshot:
        if self._cycle_task is None or self._cycle_task.done():
            self._cycle_task = asyncio.create_task(self._cycle(), name="pwtray-poll-cycle")
        return await asyncio.shield(self._cycle_task)

    # ------------------------------------------------------------------ one cycle
    def _reads(self) -> dict[str, Callable[[], Awaitable[Any]]]:
        gw = self._client
        return {
            "aggregates": gw.meters_aggregates,
            "soe": gw.soe,
            "grid_status": gw.grid_status,
            "operation": gw.operation,
            "system_status": gw.system_status,
            "sitemaster": gw.sitemaster,
            "powerwalls": gw.powerwalls,
            "status": gw.status,
            "site_info": gw.site_info,
            "networks": gw.networks,
            "update_status": gw.update_status,
        }

    async def _cycle(self) -> Snapshot:
        mono, wall = self._clock(), self._wall()
        resumed_after = None
        if (wall - self._last_wall) - (mono - self._last_mono) > SLEEP_JUMP_S:
            resumed_after = wall - self._last_wall
            log.info("woke from sleep after %.0f s: reading everything", resumed_after)
            self._next_due = dict.fromkeys(GROUPS, 0.0)
        self._last_wall, self._last_mono = wall, mono
        due = [g for g in GROUPS if self._next_due[g] <= mono or g == "fast"]
        names = [n for g in due for n in GROUPS[g] if n not in self._unsupported]
        reads = self._reads()
        results = await asyncio.gather(*(reads[n]() for n in names), return_exceptions=True)
        self.cycles += 1
        failure: GatewayError | None = None
        for name, result in zip(names, results, strict=True):
            if isinstance(result, EndpointNotSupportedError):
                self._unsupported.add(name)
                log.info("this gateway has no %s; not asking again", result.endpoint)
            elif isinstance(result, GatewayError):
                if name in GROUPS["fast"] or _decisive(result):
                    failure = failure if failure and _decisive(failure) else result
            elif isinstance(result, BaseException):
                raise result
            else:
                self._values[name] = result
                self._read_at[name] = wall
        now = self._clock()
        for group in due:
            self._next_due[group] = now + self.schedule.interval(group)
        snapshot = self._assemble(wall, failure, resumed_after)
        events, self._memory = derive(
            self._snapshot,
            snapshot,
            self._memory,
            self.settings,
            expected_operation=self._expected_operation,
        )
        self._publish(snapshot, events)
        return snapshot

    def _publish(self, snapshot: Snapshot, events: list[Event]) -> None:
        self._snapshot = snapshot
        if self._history is not None:
            try:
                self._history.record(snapshot, events)
            except Exception:  # history must never stop monitoring
                log.exception("could not record history")
        for listener in list(self._listeners):
            try:
                listener(snapshot, events)
            except Exception:
                log.exception("a snapshot listener failed")

    # ------------------------------------------------------------------ state
    def _assemble(
        self, wall: float, failure: GatewayError | None, resumed_after: float | None
    ) -> Snapshot:
        previous = self._snapshot.connectivity
        error: str | None = None
        locked_until = None
        if failure is None:
            connectivity = Connectivity.ONLINE
            if self._failures or previous not in (Connectivity.ONLINE, Connectivity.CONNECTING):
                log.info("gateway readings are live again")
            self._failures = 0
            self._failing_since = None
            self._last_success = wall
        else:
            error = str(failure)
            self._failures += 1
            self._failing_since = self._failing_since or wall
            connectivity = _classify(failure)
            if connectivity is Connectivity.STALE and (
                wall - self._failing_since >= self.schedule.offline_after_s
            ):
                connectivity = Connectivity.OFFLINE
            if isinstance(failure, LockedOutError):
                locked_until = wall + failure.retry_after_s
            if connectivity is not previous:
                # One missed reading is routine on Wi-Fi; longer trouble deserves a warning.
                level = logging.INFO if connectivity is Connectivity.STALE else logging.WARNING
                log.log(level, "gateway %s: %s", connectivity.value, error)
        return self._values_snapshot(wall, connectivity, error, locked_until, resumed_after)

    def _values_snapshot(
        self,
        wall: float,
        connectivity: Connectivity,
        error: str | None,
        locked_until: float | None,
        resumed_after: float | None,
    ) -> Snapshot:
        v = self._values
        meters: MetersAggregates | None = v.get("aggregates")
        soe: models.Soe | None = v.get("soe")
        grid: models.GridStatus | None = v.get("grid_status")
        operation: models.Operation | None = v.get("operation")
        system: SystemStatus | None = v.get("system_status")
        status: models.Status | None = v.get("status") or self._client.last_status
        site: models.SiteInfo | None = v.get("site_info")
        powerwalls: models.Powerwalls | None = v.get("powerwalls")
        sitemaster: models.SiteMaster | None = v.get("sitemaster")
        soe_percent = soe.app_percent if soe else None
        capacity_wh, remaining_wh = _energy(system, site, powerwalls, soe_percent)
        battery_w = meters.battery.instant_power if meters else None
        if battery_w is not None and connectivity.live:
            read = self._read_at.get("aggregates", wall)
            elapsed = read - self._smoothed_at if self._smoothed_at is not None else 0.0
            self._smoothed_w = smooth(self._smoothed_w, battery_w, elapsed)
            self._smoothed_at = read
        reserve = operation.reserve_app_percent if operation else None
        count = None
        if powerwalls is not None:
            count = len(powerwalls.powerwalls)
        elif system is not None and system.available_blocks is not None:
            count = system.available_blocks
        alerts: list[str] = []
        fault_times: tuple[tuple[int, str], ...] = ()
        if system is not None:
            fault_times = tuple((f.timestamp, f.alert_name) for f in system.grid_faults)
            for block in system.battery_blocks:
                alerts += [r for r in block.disabled_reasons if r not in alerts]
        return Snapshot(
            taken_at=wall,
            connectivity=connectivity,
            error=error,
            locked_until=locked_until,
            soe_percent=soe_percent,
            soe_raw=soe.percentage if soe else None,
            site_w=meters.site.instant_power if meters else None,
            battery_w=battery_w,
            load_w=meters.load.instant_power if meters else None,
            solar_w=meters.solar.instant_power if meters else None,
            generator_w=meters.generator.instant_power if meters and meters.generator else None,
            grid_voltage_v=_reported(meters.site.instant_average_voltage) if meters else None,
            grid_frequency_hz=_reported(meters.site.frequency) if meters else None,
            grid=grid.state if grid else None,
            mode=operation.mode if operation else None,
            reserve_percent=round(reserve, 1) if reserve is not None else None,
            capacity_wh=capacity_wh,
            energy_remaining_wh=remaining_wh,
            powerwall_count=count,
            firmware=status.firmware if status else None,
            din=status.din if status else None,
            site_name=site.site_name if site else None,
            sitemaster_running=sitemaster.running if sitemaster else None,
            alerts=tuple(alerts),
            grid_fault_times=fault_times,
            counters=_counters(meters),
            read_at={
                "meters": self._read_at.get("aggregates", 0.0),
                "soe": self._read_at.get("soe", 0.0),
                "grid": self._read_at.get("grid_status", 0.0),
                "operation": self._read_at.get("operation", 0.0),
                "system": self._read_at.get("system_status", 0.0),
            },
            estimates=estimate(
                battery_w_smoothed=self._smoothed_w if connectivity.live else None,
                soe_percent=soe_percent,
                reserve_percent=reserve,
                capacity_wh=capacity_wh,
                energy_remaining_wh=remaining_wh,
            ),
            last_success_at=self._last_success,
            resumed_after_s=resumed_after,
        )


def _decisive(error: GatewayError) -> bool:
    """Errors that are about the gateway as a whole, whichever endpoint raised them."""
    return isinstance(error, AuthenticationError | LockedOutError | CertificateChangedError)


def _classify(error: GatewayError) -> Connectivity:
    if isinstance(error, CertificateChangedError):
        return Connectivity.CERTIFICATE_CHANGED
    if isinstance(error, LockedOutError):
        return Connectivity.LOCKED_OUT
    if isinstance(error, AuthenticationError):
        return Connectivity.AUTH_REQUIRED
    if isinstance(error, GatewayUnavailableError) and error.sitemaster_stopped:
        return Connectivity.GATEWAY_STOPPED
    return Connectivity.STALE


def _energy(
    system: SystemStatus | None,
    site: models.SiteInfo | None,
    powerwalls: models.Powerwalls | None,
    soe_percent: float | None,
) -> tuple[float | None, float | None]:
    """Usable capacity and energy above the app's 0 %, in Wh."""
    if system is not None and system.nominal_full_pack_energy > 0:
        full = system.nominal_full_pack_energy
        capacity = full * 0.95
        return capacity, min(capacity, max(0.0, system.nominal_energy_remaining - 0.05 * full))
    if site is not None and site.nominal_system_energy_kWh:
        capacity = site.nominal_system_energy_kWh * 1000.0
    elif powerwalls is not None and powerwalls.powerwalls:
        capacity = 13_500.0 * len(powerwalls.powerwalls)
    else:
        return None, None
    remaining = capacity * soe_percent / 100.0 if soe_percent is not None else None
    return capacity, remaining


def _reported(value: float) -> float | None:
    """A meter's voltage or frequency: 0 is what a gateway sends for "not measured"."""
    return value if value > 0 else None


def _counters(meters: MetersAggregates | None) -> Counters | None:
    if meters is None:
        return None
    return Counters(
        site_imported_wh=meters.site.energy_imported,
        site_exported_wh=meters.site.energy_exported,
        battery_imported_wh=meters.battery.energy_imported,
        battery_exported_wh=meters.battery.energy_exported,
        load_imported_wh=meters.load.energy_imported,
        solar_exported_wh=meters.solar.energy_exported,
    )
