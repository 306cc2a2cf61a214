"""The gateway's network and site information, read section by section for the Gateway info
dialog. Every section is read on its own: one that fails says what it could not read, in words,
and the others still show."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pwtray.core._codes import readable
from pwtray.gateway import EndpointNotSupportedError, GatewayClient, UpdateStatus

Rows = list[tuple[str, str]]
INTERFACES = {"EthType": "Ethernet", "WifiType": "Wi-Fi", "GsmType": "Cellular"}
SECURITY = {  # the codes in the seed document and the captures; others are made readable
    "NONE": "none (open)",
    "WEP": "WEP",
    "WPA_Personal": "WPA Personal",
    "WPA2_Personal": "WPA2 Personal",
    "WPAorWPA2_Personal": "WPA or WPA2 Personal",
    "WPA2_Enterprise": "WPA2 Enterprise",
    "WPA3_Personal": "WPA3 Personal",
}
UPTIME = re.compile(r"(?:(\d{1,9})h)?(?:(\d{1,2})m)?(?:([\d.]{1,20})s?)?$")


@dataclass(frozen=True)
class Section:
    title: str
    rows: Rows = field(default_factory=list)
    error: str | None = None  # what could not be read, for a person


def _yes(value: bool | None) -> str:
    return "—" if value is None else "yes" if value else "no"


async def _networks(gw: GatewayClient) -> Rows:
    nets = await gw.networks()
    reachable = [n.last_tesla_connected for n in nets if n.last_tesla_connected is not None]
    rows: Rows = [("Connected to Tesla", _yes(any(reachable)) if reachable else "not reported")]
    for net in nets:
        state = []
        if net.enabled is not None:
            state.append("enabled" if net.enabled else "disabled")
        if net.active or net.connected:
            state.append("active")
        if net.primary:
            state.append("primary")
        for what, value in (
            ("internet", net.last_internet_connected),
            ("Tesla", net.last_tesla_connected),
        ):
            if value is not None:
                state.append(f"{what} {'reachable' if value else 'not reachable'}")
        addresses = ", ".join(net.addresses) or "no address"
        kind = INTERFACES.get(net.interface or "") or readable(net.interface or "Network")
        internal = net.label.endswith("_tesla_internal_default") or net.label.startswith("default_")
        name = "" if internal or net.label == kind else net.label
        security = f", security {_security(net.security_type)}" if net.security_type else ""
        described = ", ".join(state) or "state unknown"
        rows.append((f"{kind} {name}".strip(), f"{addresses} — {described}{security}"))
    return rows if nets else [*rows, ("Networks", "none configured")]


async def _wifi(gw: GatewayClient) -> Rows:
    offered = [_security(t) for t in await gw.wifi_security_types()]
    return [("Security types offered", ", ".join(offered) or "none")]


def _security(code: str) -> str:
    return SECURITY.get(code) or readable(code)


async def _connectivity(gw: GatewayClient) -> Rows:
    tests = await gw.connectivity_tests(timeout_s=20.0)
    if tests.results is None:
        return [("Tests", "still running when pwtray stopped waiting")]
    return [
        (
            name.replace("_", " "),
            "passed" if r.passed else f"failed: {r.error}" if r.error else "failed",
        )
        for name, r in sorted(tests.results.items())
    ]


async def _site(gw: GatewayClient) -> Rows:
    info = await gw.site_info()
    grid = info.grid_code
    code = grid if isinstance(grid, str) else getattr(grid, "grid_code", None)
    rows: Rows = [("Name", info.site_name), ("Time zone", info.timezone or "—")]
    if info.nominal_system_power_kW is not None:
        rows.append(("Nominal power", f"{info.nominal_system_power_kW:g} kW"))
    if info.nominal_system_energy_kWh is not None:
        rows.append(("Nominal energy", f"{info.nominal_system_energy_kWh:g} kWh"))
    rows.append(("Grid code", str(code or "—")))
    return rows


async def _firmware(gw: GatewayClient) -> Rows:
    status = await gw.status()
    rows: Rows = [("Firmware", status.firmware), ("Gateway DIN", status.din or "—")]
    if status.up_time_seconds:
        rows.append(("Up for", _uptime(status.up_time_seconds)))
    try:
        update = await gw.update_status()
    except EndpointNotSupportedError:
        rows.append(("Update status", "not offered by this firmware"))
    else:
        rows.append(("Update status", update_text(update, status.firmware)))
    return rows


UPDATE_STATES = {  # the seed document's list, in words
    "/clear_update_status": "checking for an update",
    "/update_succeeded": "up to date (the last update succeeded)",
    "/update_staged": "an update is staged, to be installed",
    "/download": "downloading an update",
    "/update_downloaded": "an update is downloaded, ready to install",
    "/update_unknown": "no update in progress",
}


def update_text(update: UpdateStatus, firmware: str) -> str:
    """``/api/system/update/status`` in words. The seed: ``/update_failed`` with the status
    ``nonactionable`` means an update was looked for and none was needed — up to date, not
    a failure; ``ignoring`` means the gateway was busy with something it would not interrupt."""
    status = set(update.info.status if update.info else [])
    if update.state == "/update_failed":
        if "error" in status:
            text = "the last update failed"
        elif "ignoring" in status:
            text = "busy; the update check was put off"
        else:
            text = "up to date"
    else:
        text = (
            UPDATE_STATES.get(update.state)
            or readable(update.state.strip("/") or "unknown").lower()
        )
    if update.offline_updating:
        text += "; updating without the internet"
    if update.offline_update_error:
        text += f"; the offline update failed: {update.offline_update_error}"
    version = (update.version or "").split()[0] if update.version else ""
    if (
        version
        and not firmware.startswith(version)
        and update.state
        in (
            "/update_staged",
            "/download",
            "/update_downloaded",
            "/clear_update_status",
        )
    ):
        text += f" (to {version})"
    return text


async def _registration(gw: GatewayClient) -> Rows:
    registration = await gw.registration()
    return [("Registered with Tesla", _yes(registration.registered))]


async def _powerwalls(gw: GatewayClient) -> Rows:
    pws = await gw.powerwalls()
    rows: Rows = [
        (f"Powerwall {i}", f"serial {p.serial_number}, part {p.part_number}")
        for i, p in enumerate(pws.powerwalls, start=1)
    ]
    return rows or [("Powerwalls", "none reported")]


def _uptime(text: str) -> str:
    """The gateway's ``230h55m0.123s`` as ``9 days 14 h 55 min``."""
    match = UPTIME.match(text.strip())
    if not match or not any(match.groups()):
        return text
    hours, minutes = int(match.group(1) or 0), int(match.group(2) or 0)
    days, hours = divmod(hours, 24)
    day_text = f"{days} day{'s' if days != 1 else ''} " if days else ""
    return f"{day_text}{hours} h {minutes:02d} min"


SECTIONS: tuple[tuple[str, Callable[[GatewayClient], Awaitable[Rows]]], ...] = (
    ("Networks", _networks),
    ("Wi-Fi", _wifi),
    ("Connectivity tests", _connectivity),
    ("Site", _site),
    ("Firmware and updates", _firmware),
    ("Registration", _registration),
    ("Powerwalls", _powerwalls),
)
