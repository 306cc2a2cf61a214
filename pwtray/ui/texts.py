"""What the tray says in words: the tooltip and the menu's status line. No widgets here."""

from __future__ import annotations

import datetime as dt

from pwtray.gateway import OperationMode
from pwtray.monitor import Connectivity, Snapshot, describe_duration


def kw(watts: float | None) -> str:
    return "—" if watts is None else f"{watts / 1000:.1f} kW"


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
        try:
            mode = OperationMode(snapshot.mode).label
        except ValueError:
            mode = snapshot.mode
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
