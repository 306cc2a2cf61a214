"""The "System" sections: what an owner wants to know about the installation beyond its
networks — the installer, the solar inverters, the meters and their CT readings, the grid code,
generators, the Tesla connection, and the gateway's alerts with what they mean.

Read like the network sections: each on its own, each saying what it could not read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable

from pwtray.core._system_info import SECTIONS, Rows, Section, _yes
from pwtray.gateway import EndpointNotSupportedError, GatewayClient, GatewayError

# What an alert name says, from its parts (the gateway's names are fixed codes such as
# "PINV_a006_vfCheckUnderFrequency"). Only wording is added; the code is always shown too.
_DEVICES = {
    "PINV": "the Powerwall's inverter",
    "PVAC": "the solar inverter",
    "PVS": "the solar inverter's safety unit",
    "BMS": "the battery",
    "SYNC": "the gateway",
    "TEPINV": "the Powerwall's inverter",
    "THC": "the battery's controller",
    "STSTSM": "the gateway's controller",
}
_MEANINGS = (
    ("underfrequency", "the grid's frequency fell too low"),
    ("overfrequency", "the grid's frequency rose too high"),
    ("undervoltage", "the grid's voltage fell too low"),
    ("overvoltage", "the grid's voltage rose too high"),
    ("rocof", "the grid's frequency changed too fast"),
    ("gridfault", "the grid failed"),
    ("islanddetect", "the grid was lost and the house was islanded"),
    ("phaseloss", "a phase of the grid was lost"),
    ("overtemp", "a part got too hot"),
    ("commsfault", "a part stopped answering the gateway"),
    ("groundfault", "a ground fault was detected"),
)


def explain_alert(name: str) -> str:
    """Plain words for a gateway alert, where its name says enough; else the name itself."""
    device = next((words for prefix, words in _DEVICES.items() if name.startswith(prefix)), None)
    flat = re.sub(r"[^a-z]", "", name.lower())
    meaning = next((words for key, words in _MEANINGS if key in flat), None)
    if meaning and device:
        return f"{meaning.capitalize()} ({device}: {name})"
    if meaning:
        return f"{meaning.capitalize()} ({name})"
    return name


async def _installer(gw: GatewayClient) -> Rows:
    installer = await gw.installer()
    return [
        ("Installer", installer.company or "—"),
        ("Phone", installer.phone or "—"),
        ("Email", installer.email or "—"),
    ]


async def _solar(gw: GatewayClient) -> Rows:
    solars = await gw.solars()
    rows: Rows = []
    for index, solar in enumerate(solars, start=1):
        rating = f", {solar.power_rating_watts / 1000:g} kW" if solar.power_rating_watts else ""
        rows.append((f"Inverter {index}", f"{solar.brand} {solar.model}".strip() + rating))
    return rows or [("Solar inverters", "none reported")]


async def _meters(gw: GatewayClient) -> Rows:
    readings = await gw.meter_readings()
    rows: Rows = []
    for serial, reading in sorted(readings.items()):
        if reading.data is None or reading.error:
            # A real 21.39 gateway: "run sitemanager flag enabled, sitemanager process is
            # running" beside CTs all at zero — it has no live CT readings while it runs.
            sensors = f"{len(reading.data.cts)} current sensors; " if reading.data else ""
            why = _meter_error(reading.error) if reading.error else "no reading"
            rows.append((f"Meter {serial}", f"{sensors}{why}"))
            continue
        hz = f", {reading.data.frequency_hz:g} Hz" if reading.data.frequency_hz else ""
        rows.append((f"Meter {serial}", f"{len(reading.data.cts)} current sensors{hz}"))
        numbered = len({ct.ct for ct in reading.data.cts}) == len(reading.data.cts)
        for position, ct in enumerate(reading.data.cts, start=1):
            name = f"  CT {ct.ct}" if numbered else f"  CT {position}"
            rows.append((name, f"{ct.v_volts:.1f} V, {ct.p_watts / 1000:+.2f} kW"))
    return rows or [("Meters", "none reported")]


def _meter_error(error: str) -> str:
    if "sitemanager" in error and "running" in error:
        return "no live readings here while the Powerwalls run (the gateway's own words: " + (
            f"{error})"
        )
    return f"the gateway says: {error}"


async def _grid_code(gw: GatewayClient) -> Rows:
    grid = (await gw.site_info()).grid
    rows: Rows = [("Grid code", grid.grid_code or "—")]
    if grid.grid_voltage_setting:
        rows.append(("Grid voltage", f"{grid.grid_voltage_setting:g} V"))
    if grid.grid_freq_setting:
        rows.append(("Grid frequency", f"{grid.grid_freq_setting:g} Hz"))
    if grid.grid_phase_setting:
        rows.append(("Phases", grid.grid_phase_setting))
    where = ", ".join(p for p in (grid.utility, grid.distributor, grid.state, grid.country) if p)
    if where:
        rows.append(("Utility and region", where))
    return rows


async def _generators(gw: GatewayClient) -> Rows:
    generators = await gw.generators()
    if not generators.generators:
        return [("Generators", "none")]
    rows: Rows = [
        (f"Generator {i}", ", ".join(f"{k}: {v}" for k, v in g.items()))
        for i, g in enumerate(generators.generators, start=1)
    ]
    if generators.disconnect_type:
        rows.append(("Disconnect", generators.disconnect_type.replace("_", " ")))
    return rows


async def _tesla(gw: GatewayClient) -> Rows:
    sitemaster = await gw.sitemaster()
    rows: Rows = [
        ("Connected to Tesla", _yes(sitemaster.connected_to_tesla)),
        ("Powerwalls running", _yes(sitemaster.running)),
    ]
    if sitemaster.uptime:  # firmware 1.x reports it here
        rows.append(("Up for", sitemaster.uptime.rstrip(",")))
    return rows


async def _alerts(gw: GatewayClient) -> Rows:
    system = await gw.system_status()
    rows: Rows = []
    for fault in sorted(system.grid_faults, key=lambda f: f.timestamp, reverse=True)[:20]:
        when = dt.datetime.fromtimestamp(fault.timestamp / 1000).astimezone()
        rows.append((f"{when:%Y-%m-%d %H:%M}", explain_alert(fault.alert_name)))
    reasons = sorted({r for block in system.battery_blocks for r in block.disabled_reasons})
    for reason in reasons:
        rows.append(("Battery", explain_alert(reason)))
    return rows or [("Alerts", "none")]


SYSTEM_SECTIONS: tuple[tuple[str, Callable[[GatewayClient], Awaitable[Rows]]], ...] = (
    ("Installer", _installer),
    ("Solar", _solar),
    ("Meters", _meters),
    ("Grid code", _grid_code),
    ("Generators", _generators),
    ("Tesla connection", _tesla),
    ("Alerts and faults", _alerts),
)


async def read_section(gw: GatewayClient, title: str) -> Section:
    """One section (a network one or a System one), or what could not be read of it."""
    reader = dict(SECTIONS + SYSTEM_SECTIONS)[title]
    try:
        return Section(title, await reader(gw))
    except EndpointNotSupportedError as exc:
        return Section(title, error=str(exc))
    except GatewayError as exc:
        return Section(title, error=f"Could not read this: {exc}")


async def network_info(gw: GatewayClient) -> list[Section]:
    """The network sections, read concurrently; each one independent of the others."""
    return list(await asyncio.gather(*(read_section(gw, title) for title, _ in SECTIONS)))
