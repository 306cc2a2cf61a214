"""From readings to a snapshot: capacity, energy, smoothing — plain functions, no I/O.

**Capacity rule.** The Powerwalls' usable energy comes from, in order:

1. ``/api/system_status``'s ``nominal_full_pack_energy`` (the packs' own measure, current
   firmware): usable = 95 % of it (the gateway's raw 5 % is the app's 0 %);
2. otherwise the larger of ``site_info.nominal_system_energy_kWh`` and *units x 13.5 kWh*, the
   units counted from ``/api/powerwalls`` (or ``available_blocks``). Firmware 1.x reports one
   unit's energy for the whole site — the 1.15 and 1.40.2 captures with two Powerwalls say
   13.5 kWh — and a site never holds less than its units do, so the larger one is right.

The continuous power the Powerwalls supply together follows the same rule with
``nominal_system_power_kW`` and 5 kW per unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from pwtray.gateway import MetersAggregates, OperationMode, SiteInfo, SystemStatus
from pwtray.monitor._connectivity import Link
from pwtray.monitor._endpoints import Readings
from pwtray.monitor._estimates import estimate, smooth
from pwtray.monitor._snapshot import Connectivity, Counters, ReadTimes, Snapshot

UNIT_ENERGY_WH = 13_500.0  # one Powerwall 2, usable
UNIT_POWER_W = 5_000.0  # one Powerwall 2, continuous
USABLE_SHARE = 0.95  # above the raw 5 % that the app shows as 0 %


@dataclass(frozen=True)
class Smoothing:
    """The exponential average of the battery power, and the reading time it is from."""

    watts: float | None = None
    at: float | None = None

    def step(self, watts: float, at: float) -> Smoothing:
        elapsed = at - self.at if self.at is not None else 0.0
        return Smoothing(smooth(self.watts, watts, elapsed), at)


def unit_count(readings: Readings) -> int | None:
    if readings.powerwalls is not None and readings.powerwalls.powerwalls:
        return len(readings.powerwalls.powerwalls)
    system = readings.system_status
    if system is not None and system.available_blocks:
        return system.available_blocks
    if system is not None and system.battery_blocks:
        return len(system.battery_blocks)
    return None


def capacity_wh(
    system: SystemStatus | None, site: SiteInfo | None, units: int | None
) -> float | None:
    """Usable capacity by the rule in this module's docstring."""
    if system is not None and system.nominal_full_pack_energy > 0:
        return system.nominal_full_pack_energy * USABLE_SHARE
    nominal = (
        site.nominal_system_energy_kWh * 1000.0 if site and site.nominal_system_energy_kWh else 0
    )
    by_units = units * UNIT_ENERGY_WH if units else 0.0
    best = max(nominal, by_units)
    return best or None


def continuous_power_w(site: SiteInfo | None, units: int | None) -> float | None:
    nominal = site.nominal_system_power_kW * 1000.0 if site and site.nominal_system_power_kW else 0
    by_units = units * UNIT_POWER_W if units else 0.0
    best = max(nominal, by_units)
    return best or None


def energy_remaining_wh(
    system: SystemStatus | None, capacity: float | None, soe_percent: float | None
) -> float | None:
    """Usable energy left above the app's 0 %."""
    if system is not None and system.nominal_full_pack_energy > 0 and capacity is not None:
        floor = (1 - USABLE_SHARE) * system.nominal_full_pack_energy
        return min(capacity, max(0.0, system.nominal_energy_remaining - floor))
    if capacity is None or soe_percent is None:
        return None
    return capacity * soe_percent / 100.0


def _measured(value: float) -> float | None:
    """A meter's voltage or frequency: 0 is what a gateway sends for "not measured"."""
    return value if value > 0 else None


def counters(meters: MetersAggregates | None) -> Counters | None:
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


def assemble(
    readings: Readings,
    link: Link,
    smoothing: Smoothing,
    wall: float,
    *,
    grid_since: float | None = None,
    resumed_after_s: float | None = None,
) -> tuple[Snapshot, Smoothing]:
    """The snapshot for these readings, and the smoothing to keep for the next one."""
    r = readings
    live = link.connectivity is Connectivity.ONLINE
    stopped = link.connectivity is Connectivity.GATEWAY_STOPPED
    meters = None if stopped else r.aggregates  # no stale power figures while stopped
    soe_percent = r.soe.app_percent if r.soe else None
    units = unit_count(r)
    capacity = capacity_wh(r.system_status, r.site_info, units)
    remaining = energy_remaining_wh(r.system_status, capacity, soe_percent)
    battery_w = meters.battery.instant_power if meters else None
    if battery_w is not None and live:
        smoothing = smoothing.step(battery_w, r.read_at.get("aggregates", wall))
    reserve = r.operation.reserve_app_percent if r.operation else None
    alerts: list[str] = []
    fault_times: tuple[tuple[int, str], ...] = ()
    if r.system_status is not None:
        fault_times = tuple((f.timestamp, f.alert_name) for f in r.system_status.grid_faults)
        for block in r.system_status.battery_blocks:
            alerts += [reason for reason in block.disabled_reasons if reason not in alerts]
    status = r.status
    snapshot = Snapshot(
        taken_at=wall,
        connectivity=link.connectivity,
        problem=None if live else link.error,
        locked_until=link.locked_until,
        soe_percent=soe_percent,
        soe_raw=r.soe.percentage if r.soe else None,
        site_w=meters.site.instant_power if meters else None,
        battery_w=battery_w,
        load_w=meters.load.instant_power if meters else None,
        solar_w=meters.solar.instant_power if meters else None,
        generator_w=meters.generator.instant_power if meters and meters.generator else None,
        grid_voltage_v=_measured(meters.site.instant_average_voltage) if meters else None,
        grid_frequency_hz=_measured(meters.site.frequency) if meters else None,
        grid=r.grid_status.state if r.grid_status else None,
        grid_since=grid_since,
        mode=OperationMode.parse(r.operation.mode) if r.operation else None,
        mode_raw=r.operation.mode if r.operation else None,
        reserve_percent=round(reserve, 1) if reserve is not None else None,
        capacity_wh=capacity,
        energy_remaining_wh=remaining,
        powerwall_count=units,
        continuous_power_w=continuous_power_w(r.site_info, units),
        firmware=status.firmware if status else None,
        din=status.din if status else None,
        site_name=r.site_info.site_name if r.site_info else None,
        sitemaster_running=False if stopped else (r.sitemaster.running if r.sitemaster else None),
        alerts=tuple(alerts),
        grid_fault_times=fault_times,
        counters=counters(r.aggregates),
        read_at=ReadTimes(
            meters=r.read_at.get("aggregates", 0.0),
            soe=r.read_at.get("soe", 0.0),
            grid=r.read_at.get("grid_status", 0.0),
            operation=r.read_at.get("operation", 0.0),
            system=r.read_at.get("system_status", 0.0),
        ),
        unknown=r.unknown(),
        estimates=estimate(
            battery_w_smoothed=smoothing.watts if live else None,
            soe_percent=soe_percent,
            reserve_percent=reserve,
            capacity_wh=capacity,
            energy_remaining_wh=remaining,
        ),
        last_success_at=link.last_success,
        resumed_after_s=resumed_after_s,
    )
    return snapshot, smoothing
