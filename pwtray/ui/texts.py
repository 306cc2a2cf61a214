"""What the tray says in words: the tooltip and the menu's status line. No widgets here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pwtray.gateway import OperationMode
from pwtray.monitor import Connectivity, Snapshot, describe_duration


@dataclass(frozen=True)
class Units:
    """How powers and energies are written: kW/kWh (with ``decimals``) or W/Wh (whole)."""

    kilo: bool = True
    decimals: int = 1

    def power(self, watts: float | None) -> str:
        if watts is None:
            return "—"
        if not self.kilo:
            return f"{watts:,.0f} W".replace(",", "\u2009")
        return f"{watts / 1000:.{self.decimals}f} kW"

    def energy(self, wh: float | None) -> str:
        if wh is None:
            return "—"
        if not self.kilo:
            return f"{wh:,.0f} Wh".replace(",", "\u2009")
        return f"{wh / 1000:.{self.decimals}f} kWh"


DEFAULT_UNITS = Units()


def kw(watts: float | None) -> str:
    return DEFAULT_UNITS.power(watts)


def mode_label(mode: OperationMode | str | None) -> str:
    if not mode:
        return "—"
    if isinstance(mode, OperationMode):
        return mode.label
    parsed = OperationMode.parse(mode)
    return parsed.label if parsed else mode


def tooltip(snapshot: Snapshot, now: float) -> str:
    if snapshot.soe_percent is None:
        return "pwtray — " + (snapshot.error or "connecting to the gateway…")
    lines = []
    flow = ""
    if snapshot.charging:
        flow = f", charging {kw(-(snapshot.battery_w or 0))}"
    elif snapshot.discharging:
        flow = f", supplying {kw(snapshot.battery_w)}"
    lines.append(f"Powerwall {snapshot.soe_percent:.0f} %{flow}")
    if snapshot.grid is not None:
        lines.append(snapshot.grid.label)
    grid_w = snapshot.site_w
    if grid_w is None:
        grid_text = "—"
    elif grid_w > 20:
        grid_text = f"importing {kw(grid_w)}"
    elif grid_w < -20:
        grid_text = f"exporting {kw(-grid_w)}"
    else:
        grid_text = "0 kW"
    lines.append(f"Solar {kw(snapshot.solar_w)} · Home {kw(snapshot.load_w)} · Grid {grid_text}")
    if snapshot.mode:
        mode = mode_label(snapshot.mode)
        reserve = (
            ""
            if snapshot.reserve_percent is None
            else f", reserve {snapshot.reserve_percent:.0f} %"
        )
        lines.append(f"{mode}{reserve}")
    e = snapshot.estimates
    if e.time_to_full_s is not None:
        lines.append(f"Full in {describe_duration(e.time_to_full_s)}")
    if e.time_to_reserve_s is not None:
        at = dt.datetime.fromtimestamp(now + e.time_to_reserve_s).astimezone()
        lines.append(f"Reserve in {describe_duration(e.time_to_reserve_s)} (at {at:%H:%M})")
    if snapshot.last_success_at is not None:
        age = max(0, round(now - snapshot.last_success_at))
        state = (
            ""
            if snapshot.connectivity is Connectivity.ONLINE
            else f" — {snapshot.connectivity.value.replace('_', ' ')}"
        )
        lines.append(f"Updated {age} s ago{state}")
    return "\n".join(lines)


def status_line(snapshot: Snapshot) -> str:
    if snapshot.connectivity is not Connectivity.ONLINE:
        return {
            Connectivity.CONNECTING: "Connecting…",
            Connectivity.STALE: "Reconnecting…",
            Connectivity.OFFLINE: "Gateway unreachable",
            Connectivity.AUTH_REQUIRED: "Login needed",
            Connectivity.LOCKED_OUT: "Login locked out",
            Connectivity.GATEWAY_STOPPED: "Powerwalls stopped",
            Connectivity.CERTIFICATE_CHANGED: "Certificate changed",
        }[snapshot.connectivity]
    grid = snapshot.grid.label if snapshot.grid else ""
    soe = "" if snapshot.soe_percent is None else f"{snapshot.soe_percent:.0f} %"
    return " · ".join(part for part in (soe, grid) if part)


def node_details(node: str, snapshot: Snapshot | None, units: Units = DEFAULT_UNITS) -> str:
    """What clicking a node of the flow diagram tells: ``node`` is its name (Solar, Grid, …)."""
    if snapshot is None:
        return "No readings yet."
    if node == "Powerwall":
        lines = []
        if snapshot.powerwall_count:
            plural = "s" if snapshot.powerwall_count != 1 else ""
            lines.append(f"{snapshot.powerwall_count} unit{plural}")
        if snapshot.capacity_wh:
            lines.append(f"Usable capacity {units.energy(snapshot.capacity_wh)}")
        if snapshot.energy_remaining_wh is not None:
            lines.append(f"Energy remaining {units.energy(snapshot.energy_remaining_wh)}")
        if snapshot.soe_percent is not None:
            raw = "" if snapshot.soe_raw is None else f" (gateway {snapshot.soe_raw:.1f} %)"
            lines.append(f"Charge {snapshot.soe_percent:.0f} %{raw}")
        if snapshot.charging or snapshot.discharging:
            verb = "Supplying" if snapshot.discharging else "Charging with"
            lines.append(f"{verb} {units.power(abs(snapshot.battery_w or 0.0))}")
        elif snapshot.battery_w is not None:
            lines.append("Idle")
        lines.extend(estimate_lines(snapshot))
        return "\n".join(lines)
    value = {
        "Solar": snapshot.solar_w,
        "Home": snapshot.load_w,
        "Grid": snapshot.site_w,
        "Generator": snapshot.generator_w,
    }.get(node)
    lines = [f"Now {units.power(value)}"]
    if node == "Grid":
        if snapshot.grid is not None:
            lines.append(snapshot.grid.label)
        if value is not None:
            lines[0] = (
                f"Importing {units.power(value)}" if value > 20
                else f"Exporting {units.power(-value)}" if value < -20
                else "No power to or from the grid"
            )  # fmt: skip
    counters = snapshot.counters
    if counters is not None:
        lifetime = {
            "Solar": ("Produced", counters.solar_exported_wh),
            "Home": ("Used", counters.load_imported_wh),
            "Grid": ("Imported", counters.site_imported_wh),
        }.get(node)
        if lifetime:
            lines.append(f"{lifetime[0]} since the meter started {units.energy(lifetime[1])}")
        if node == "Grid":
            lines.append(
                f"Exported since the meter started {units.energy(counters.site_exported_wh)}"
            )
    return "\n".join(lines)


def estimate_lines(snapshot: Snapshot) -> list[str]:
    e = snapshot.estimates
    lines = []
    if e.time_to_full_s is not None:
        lines.append(f"Full in {describe_duration(e.time_to_full_s)}")
    if e.time_to_reserve_s is not None:
        lines.append(f"Reserve reached in {describe_duration(e.time_to_reserve_s)}")
    if e.time_to_empty_s is not None:
        lines.append(f"Empty in {describe_duration(e.time_to_empty_s)}")
    return lines
