"""JSON bodies of every endpoint, built from the model in the shapes real gateways send.

Shapes, key order and JSON types follow ``shared/gateway-samples`` (current firmware) and the
seed document (firmware 1.15). Numbers are mixed int/float where real gateways mix them.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from dataclasses import dataclass
from typing import Any

from ._model import ISLANDED, SiteModel

NEVER = "0001-01-01T00:00:00Z"
PART_NUMBER = "3012170-05-B"
Json = Any


@dataclass(frozen=True)
class Identity:
    """What identifies the simulated gateway."""

    firmware: str  # as /api/status reports it, e.g. "24.36.2 46990655" or "1.15.0"
    serial: str  # gateway serial (TG…); the 1.15 login password is "S" + serial
    site_name: str
    timezone: str
    git_hash: str
    started: dt.datetime

    @property
    def legacy(self) -> bool:
        return is_legacy(self.firmware)

    @property
    def din(self) -> str:
        return f"1232100-00-E--{self.serial}"

    @property
    def major(self) -> int:
        return self.version[0]

    @property
    def version(self) -> tuple[int, int]:
        """Major and minor version: (1, 15), (21, 39), (24, 36)."""
        return firmware_version(self.firmware)

    @property
    def seed_era(self) -> bool:
        """Firmware of the seed document's time (before 1.20 made the API HTTPS only)."""
        return self.version < (1, 20)


def firmware_version(firmware: str) -> tuple[int, int]:
    parts = firmware.split()[0].split(".")
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0


def is_legacy(firmware: str) -> bool:
    """Firmware before 20.49 reads without login and uses the 1.15 login."""
    return firmware_version(firmware) < (20, 49)


def error(code: int, error_text: str, message: str) -> Json:
    return {"code": code, "error": error_text, "message": message}


def rfc3339_ns(when: dt.datetime) -> str:
    """The gateway's timestamps: nanoseconds and a numeric offset."""
    offset = when.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else "Z"
    nanos = when.microsecond * 1000 + (when.microsecond * 7) % 1000
    return f"{when:%Y-%m-%dT%H:%M:%S}.{nanos:09d}{offset}"


def go_duration(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours)}h{int(minutes)}m{secs:.9f}s"


def json_number(value: float, decimals: int | None = None) -> int | float:
    """Whole numbers go out as JSON integers, as gateways send them."""
    if decimals is not None:
        value = round(value, decimals)
    return int(value) if float(value).is_integer() else value


def soe(m: SiteModel) -> Json:
    return {"percentage": json_number(m.soe_raw)}


def grid_status(m: SiteModel, ident: Identity) -> Json:
    if ident.legacy:
        return {"grid_status": m.island_state}
    return {"grid_status": m.island_state, "grid_services_active": m.island_state == ISLANDED}


def sitemaster(m: SiteModel, ident: Identity) -> Json:
    if ident.legacy:
        if not m.running:
            return {"running": False, "uptime": "log:", "connected_to_tesla": False}
        uptime = int((m.now() - ident.started).total_seconds())
        return {"running": True, "uptime": f"{uptime}s,", "connected_to_tesla": True}
    return {
        "status": "StatusUp" if m.running else "StatusDown",
        "running": m.running,
        "connected_to_tesla": True,
        "power_supply_mode": False,
        "can_reboot": can_reboot(m),
    }


def can_reboot(m: SiteModel) -> str:
    if not m.running:
        return ""
    return "Power flow is too high" if abs(m.battery_w) > 4000 else "Yes"


def status(m: SiteModel, ident: Identity, commission_count: int) -> Json:
    start = ident.started.strftime("%Y-%m-%d %H:%M:%S %z")
    uptime = go_duration((m.now() - ident.started).total_seconds())
    if ident.legacy:
        return {
            "start_time": start,
            "up_time_seconds": uptime,
            "is_new": False,
            "version": ident.firmware + "\n",
            "git_hash": ident.git_hash + "\n",
        }
    body: dict[str, Json] = {
        "din": ident.din,
        "start_time": start,
        "up_time_seconds": uptime,
        "is_new": False,
        "version": ident.firmware,
        "git_hash": ident.git_hash,
        "commission_count": commission_count,
        "device_type": "teg",
    }
    if ident.major >= 23:
        body |= {"teg_type": "unknown", "sync_type": "v2.1", "cellular_disabled": False}
        body["can_reboot"] = can_reboot(m) == "Yes"
    else:
        body |= {"sync_type": "v2.1", "leader": "", "followers": None, "cellular_disabled": False}
    return body


def site_info(m: SiteModel, ident: Identity) -> Json:
    energy_kwh = json_number(13.5 * m.powerwalls, 1)
    power_kw = json_number(5 * m.powerwalls)
    grid = {
        "grid_code": "60Hz_240V_s_UL1741SA:2019_California",
        "grid_voltage_setting": 240,
        "grid_freq_setting": 60,
        "grid_phase_setting": "Split",
        "country": "United States",
        "state": "California",
    }
    if ident.legacy:
        return {
            "site_name": ident.site_name,
            "timezone": ident.timezone,
            "min_site_meter_power_kW": -1000000000,
            "max_site_meter_power_kW": 1000000000,
            "nominal_system_energy_kWh": energy_kwh,
            **grid,
            "region": "UL1741SA",
        }
    body: dict[str, Json] = {
        "max_system_energy_kWh": energy_kwh,
        "max_system_power_kW": power_kw,
        "site_name": ident.site_name,
        "timezone": ident.timezone,
        "max_site_meter_power_kW": 1000000000,
        "min_site_meter_power_kW": -1000000000,
        "nominal_system_energy_kWh": energy_kwh,
        "nominal_system_power_kW": power_kw,
    }
    if ident.major >= 23:
        body["panel_max_current"] = 200
    body["grid_code"] = {
        **grid,
        "distributor": "*",
        "utility": "Pacific Gas and Electric Company",
        "retailer": "*",
        "region": "UL1741SA-CA:2019",
    }
    return body


def site_name(ident: Identity) -> Json:
    return {"site_name": ident.site_name, "timezone": ident.timezone}


def battery_serial(ident: Identity, index: int) -> str:
    return f"TG{int(ident.serial[2:12]) + 100 + index:010d}"[:12] + f"{index:02d}"


POWERWALLS_FLAGS: dict[str, Json] = {
    "enumerating": False,
    "updating": False,
    "checking_if_offgrid": False,
    "running_phase_detection": False,
    "phase_detection_last_error": "no phase information",
    "bubble_shedding": False,
    "on_grid_check_error": "run sitemanager flag enabled",
    "grid_qualifying": False,
    "grid_code_validating": False,
    "phase_detection_not_available": True,
}
SITEMASTER_RUNNING_409 = error(
    409, "Sitemaster is current running", "Sitemaster is current running"
)  # seed document, /api/powerwalls/status on 1.15


def powerwalls_flags(m: SiteModel) -> Json:
    """``/api/powerwalls/status``: with the site master stopped the gateway checks the grid
    itself (``is_on_grid``) and has no error to report (21.39.1 "stopped" capture)."""
    if m.running:
        return POWERWALLS_FLAGS
    flags = dict(POWERWALLS_FLAGS, on_grid_check_error="")
    ordered = list(flags.items())
    ordered.insert(3, ("is_on_grid", not m.off_grid))
    return dict(ordered)


_BLOCKED = (
    "Cannot perform this action with site controller running. From landing page, "
    'either "STOP SYSTEM" or "RUN WIZARD" to proceed.'
)


def _diagnostic_check(name: str, when: str) -> Json:
    return {
        "name": name,
        "status": "fail",
        "start_time": when,
        "end_time": when,
        "message": _BLOCKED,
        "results": {},
        "debug": {},
        "checks": None,
    }


def _update_check(name: str) -> Json:
    return {
        "name": name,
        "status": "not_run",
        "start_time": None,
        "end_time": None,
        "progress": 0,
        "results": None,
        "debug": None,
        "checks": None,
    }


def powerwalls(m: SiteModel, ident: Identity) -> Json:
    serials = [battery_serial(ident, i) for i in range(m.powerwalls)]
    if ident.legacy:
        return {
            "powerwalls": [
                {"PackagePartNumber": PART_NUMBER, "PackageSerialNumber": s} for s in serials
            ],
            "has_sync": m.powerwalls > 1,
        }
    when = rfc3339_ns(m.now())
    entries = []
    for serial in serials:
        entries.append(
            {
                "Type": "",
                "PackagePartNumber": PART_NUMBER,
                "PackageSerialNumber": serial,
                "type": "ACPW",
                "grid_state": "Grid_Uncompliant",
                "grid_reconnection_time_seconds": 0,
                "under_phase_detection": False,
                "updating": False,
                "commissioning_diagnostic": {
                    "name": "Commissioning",
                    "category": "InternalComms",
                    "disruptive": False,
                    "inputs": None,
                    "checks": [
                        _diagnostic_check(name, when)
                        for name in (
                            "CAN connectivity",
                            "Enable switch",
                            "Internal communications",
                            "Firmware up-to-date",
                        )
                    ],
                    "alert": False,
                },
                "update_diagnostic": {
                    "name": "Firmware Update",
                    "category": "InternalComms",
                    "disruptive": True,
                    "inputs": None,
                    "checks": [
                        _update_check(name)
                        for name in ("Powerwall firmware", "Battery firmware", "Inverter firmware")
                    ],
                    "alert": False,
                },
                "bc_type": None,
                "in_config": True,
            }
        )
    return {
        **POWERWALLS_FLAGS,
        "powerwalls": entries,
        "gateway_din": ident.din,
        "sync": {
            "updating": False,
            "commissioning_diagnostic": {
                "name": "Commissioning",
                "category": "System",
                "disruptive": False,
                "inputs": None,
                "checks": [],
                "alert": False,
            },
            "update_diagnostic": {
                "name": "Firmware Update",
                "category": "System",
                "disruptive": True,
                "inputs": None,
                "checks": [],
                "alert": False,
            },
        },
        "msa": None,
        "states": None,
    }


def operation(
    mode: str, reserve_raw: float, ident: Identity, max_pv_export_kw: float | None = None
) -> Json:
    reserve = json_number(reserve_raw)
    if ident.legacy:
        body: dict[str, Json] = {"mode": mode, "backup_reserve_percent": reserve}
        if max_pv_export_kw is not None:  # the seed shows the key once a limit was set
            body["max_pv_export_power_kW"] = json_number(max_pv_export_kw)
        return body
    return {
        "real_mode": mode,
        "backup_reserve_percent": reserve,
        "freq_shift_load_shed_soe": 0,
        "freq_shift_load_shed_delta_f": 0,
    }


def grid_faults(m: SiteModel, ident: Identity) -> Json:
    return [
        {
            "timestamp": fault.timestamp_ms,
            "alert_name": fault.alert_name,
            "alert_is_fault": False,
            "decoded_alert": (
                f'[{{"name":"PINV_alertID","value":"{fault.alert_name}"}},'
                '{"name":"PINV_alertType","value":"Warning"}]'
            ),
            "alert_raw": 432108069015568384,
            "git_hash": ident.git_hash[:14],
            "site_uid": f"STE{ident.serial}",
            "ecu_type": "TEPINV",
            "ecu_package_part_number": "1081100-22-U",
            "ecu_package_serial_number": battery_serial(ident, 0),
        }
        for fault in m.grid_faults
    ]


def system_status(m: SiteModel, ident: Identity) -> Json:
    n = m.powerwalls
    per_block_wh = m.remaining_wh / n
    when = rfc3339_ns(ident.started)
    blocks: list[dict[str, Json]] = [
        {
            "Type": "",
            "PackagePartNumber": PART_NUMBER,
            "PackageSerialNumber": battery_serial(ident, i),
            "disabled_reasons": [],
            "pinv_state": "PINV_GridForming" if m.off_grid else "PINV_GridFollowing",
            "pinv_grid_state": "Grid_Compliant",
            "nominal_energy_remaining": round(per_block_wh),
            "nominal_full_pack_energy": round(m.full_wh / n),
            "p_out": round(m.battery_w / n),
            "q_out": 30,
            "v_out": 246.9,
            "f_out": 60.007000000000005,
            "i_out": round(m.battery_w / n / 246.9, 1),
            "energy_charged": round(m.battery_meter.imported_wh / n),
            "energy_discharged": round(m.battery_meter.exported_wh / n),
            "off_grid": m.off_grid,
            "vf_mode": m.off_grid,
            "wobble_detected": False,
            "charge_power_clamped": False,
            "backup_ready": True,
            "OpSeqState": "Active",
            "version": ident.git_hash[:14],
        }
        for i in range(n)
    ]
    return {
        "command_source": "Configuration",
        "battery_target_power": float(round(-m.battery_w, 1)),
        "battery_target_reactive_power": 0,
        "nominal_full_pack_energy": round(m.full_wh),
        "nominal_energy_remaining": round(m.remaining_wh),
        "max_power_energy_remaining": 0,
        "max_power_energy_to_be_charged": 0,
        "max_charge_power": 5000 * n,
        "max_discharge_power": 5000 * n,
        "max_apparent_power": 5000 * n,
        "instantaneous_max_discharge_power": 12000 * n,
        "instantaneous_max_charge_power": 5290 * n,
        "grid_services_power": 0,
        "system_island_state": m.island_state,
        "available_blocks": n,
        "battery_blocks": blocks,
        "ffr_power_availability_high": 5800 * n,
        "ffr_power_availability_low": 5290 * n,
        "load_charge_constraint": 0,
        "max_sustained_ramp_rate": 1250000,
        "grid_faults": grid_faults(m, ident),
        "can_reboot": can_reboot(m),
        "smart_inv_delta_p": 0,
        "smart_inv_delta_q": 0,
        "last_toggle_timestamp": when,
        "solar_real_power_limit": -1,
        "score": 10000,
        "blocks_controlled": n,
        "primary": True,
        "auxiliary_load": 0,
        "all_enable_lines_high": True,
        "inverter_nominal_usable_power": 5800 * n,
        "expected_energy_remaining": 0,
    }


def update_status(m: SiteModel, ident: Identity) -> Json:
    now_ms = int(m.now().timestamp() * 1000)
    if ident.legacy:
        return {
            "state": "/update_failed",
            "info": {"status": ["nonactionable"]},
            "current_time": now_ms,
        }
    return {
        "state": "/update_succeeded",
        "info": {"status": ["nonactionable"]},
        "current_time": now_ms,
        "last_status_time": now_ms - 3_359_486,
        "version": ident.firmware,
        "offline_updating": False,
        "offline_update_error": "",
        "estimated_bytes_per_second": None,
    }


def registration(ident: Identity) -> Json:
    body: dict[str, Json] = {
        "privacy_notice": True,
        "limited_warranty": True,
        "grid_services": True if not ident.legacy else None,
        "marketing": True if not ident.legacy else None,
        "registered": True,
    }
    if ident.legacy:
        body |= {"emailed_registration": True, "skipped_registration": False}
    body["timed_out_registration"] = False
    return body


def go_mask(netmask: str) -> str:
    """A netmask as Go's JSON encoding of ``net.IPMask`` writes it: base64 of its bytes."""
    return base64.b64encode(ipaddress.IPv4Address(netmask).packed).decode()


def _networks_23(wifi: dict[str, Json]) -> Json:
    """Firmware 23 and later (23.28.2 and 23.44 captures): ``ip_networks`` entries are Go
    ``net.IPNet`` values, ``{"IP": "", "Mask": "<base64>"}``; the address itself is left empty,
    and the Tesla-internal Ethernet address shows only in ``extra_ips``."""

    def info(name: str, interface: str, mask: str, signal: int, hw_address: str = "") -> Json:
        return {
            "network_name": name,
            "ip_networks": [{"IP": "", "Mask": go_mask(mask)}],
            "gateway": "",
            "interface": interface,
            "state": "DeviceStateReady",
            "state_reason": "DeviceStateReasonNone",
            "signal_strength": signal,
            "hw_address": hw_address,
        }

    return [
        {
            "network_name": "ethernet_tesla_internal_default",
            "interface": "EthType",
            "enabled": True,
            "dhcp": True,
            "extra_ips": [{"ip": "192.168.90.2", "netmask": 24}],
            "active": False,
            "primary": False,
            "lastTeslaConnected": False,
            "lastInternetConnected": False,
            "iface_network_info": info(
                "ethernet_tesla_internal_default", "EthType", "255.255.255.0", 0
            ),
        },
        {
            "network_name": "gsm_tesla_internal_default",
            "interface": "GsmType",
            "enabled": True,
            "dhcp": None,
            "active": True,
            "primary": False,
            "lastTeslaConnected": False,
            "lastInternetConnected": False,
            "iface_network_info": info(
                "gsm_tesla_internal_default", "GsmType", "255.255.255.255", 71
            ),
        },
        {
            "network_name": wifi["network_name"],
            "interface": "WifiType",
            "security_type": wifi["security_type"],
            "enabled": True,
            "dhcp": True,
            "username": "",
            "active": True,
            "primary": True,
            "lastTeslaConnected": True,
            "lastInternetConnected": True,
            "iface_network_info": info(
                wifi["network_name"], "WifiType", "255.255.255.0", 59, "4c:fc:aa:01:02:03"
            ),
        },
    ]


def networks(ident: Identity) -> Json:
    if ident.major >= 23:
        return _networks_23({"network_name": "HomeWiFi", "security_type": "WPA2_Personal"})
    if ident.legacy:
        return [
            {
                "id": 2,
                "name": "can0",
                "connected": True,
                "is_dhcp": True,
                "ip_address": "",
                "subnet": "",
                "config": None,
            },
            {
                "id": 3,
                "name": "eth0",
                "connected": True,
                "is_dhcp": True,
                "ip_address": "",
                "subnet": "",
                "config": None,
            },
            {
                "id": 170,
                "name": "rpine0",
                "connected": True,
                "is_dhcp": True,
                "ip_address": "",
                "subnet": "",
                "config": None,
            },
            {
                "id": 171,
                "name": "wifi0",
                "connected": True,
                "is_dhcp": True,
                "ip_address": "192.0.2.57",
                "subnet": "255.255.255.0",
                "config": {
                    "network_name": "HomeWiFi",
                    "interface": "WifiType",
                    "security_type": "WPA2_Personal",
                    "dhcp": True,
                    "enabled": True,
                },
            },
            {
                "id": 172,
                "name": "wifi1",
                "connected": True,
                "is_dhcp": True,
                "ip_address": "192.0.2.1",
                "subnet": "255.255.255.0",
                "config": None,
            },
        ]
    return [
        {
            "network_name": "ethernet_tesla_internal_default",
            "interface": "EthType",
            "dhcp": True,
            "enabled": True,
            "extra_ips": [{"ip": "192.0.2.2", "netmask": 24}],
            "active": False,
            "primary": False,
            "lastTeslaConnected": False,
            "lastInternetConnected": False,
        },
        {
            "network_name": "gsm_tesla_internal_default",
            "interface": "GsmType",
            "dhcp": None,
            "enabled": True,
            "active": True,
            "primary": False,
            "lastTeslaConnected": False,
            "lastInternetConnected": False,
            "iface_network_info": {
                "network_name": "gsm_tesla_internal_default",
                "ip_networks": [{"ip": "198.51.100.23", "mask": "255.255.255.255"}],
                "gateway": "198.51.100.1",
                "interface": "GsmType",
                "state": "DeviceStateReady",
                "state_reason": "DeviceStateReasonNone",
                "signal_strength": 71,
                "hw_address": "",
            },
        },
        {
            "network_name": "HomeWiFi",
            "interface": "WifiType",
            "security_type": "WPA2_Personal",
            "dhcp": True,
            "username": "",
            "enabled": True,
            "active": True,
            "primary": True,
            "lastTeslaConnected": True,
            "lastInternetConnected": True,
            "iface_network_info": {
                "network_name": "HomeWiFi",
                "ip_networks": [{"ip": "192.0.2.57", "mask": "255.255.255.0"}],
                "gateway": "192.0.2.1",
                "interface": "WifiType",
                "state": "DeviceStateReady",
                "state_reason": "DeviceStateReasonNone",
                "signal_strength": 59,
                "hw_address": "4c:fc:aa:01:02:03",
            },
        },
    ]


SYSTEM_NETWORKS: Json = [
    {"network_name": "default_gsm", "interface": "GsmType", "security_type": "NONE", "dhcp": None},
    {"network_name": "default_eth", "interface": "EthType", "security_type": "NONE", "dhcp": True},
    {
        "network_name": "HomeWiFi",
        "interface": "WifiType",
        "security_type": "WPA2_Personal",
        "dhcp": True,
        "enabled": True,
    },
]

WIFI_SECURITY_TYPES: Json = ["NONE", "WEP", "WPAorWPA2_Personal"]

GRID_CODES: Json = [
    {
        "grid_code": "60Hz_240V_s_UL1741SA:2019_California",
        "grid_freq_setting": 60,
        "grid_phase_setting": "Split",
        "grid_voltage_setting": 240,
        "country": "United States",
        "state": "California",
        "distributor": "*",
        "utility": "*",
        "retailer": "*",
        "region": "UL1741SA-CA:2019",
    },
    {
        "grid_code": "60Hz_240V_s_IEEE1547a:2014",
        "grid_freq_setting": 60,
        "grid_phase_setting": "Split",
        "grid_voltage_setting": 240,
        "country": "United States",
        "state": "*",
        "distributor": "*",
        "utility": "*",
        "retailer": "*",
        "region": "IEEE1547a:2014",
    },
    {
        "grid_code": "50Hz_230V_1_AS4777.2:2015",
        "grid_freq_setting": 50,
        "grid_phase_setting": "Single",
        "grid_voltage_setting": 230,
        "country": "Australia",
        "state": "*",
        "distributor": "*",
        "utility": "*",
        "retailer": "*",
        "region": "AS4777.2:2015",
    },
]

SOLARS: Json = [
    {
        "brand": "SolarEdge Technologies",
        "model": "SE5000 (240V) w/ -ER-US or A-US",
        "power_rating_watts": 6000,
    },
]

SOLAR_BRANDS: dict[str, list[str]] = {
    "ABB": ["PVI-3.0-OUTD-S-US-A", "PVI-5000-OUTD-US"],
    "Enphase Energy": ["IQ7-60-2-US", "IQ7PLUS-72-2-US"],
    "Fronius USA": ["Primo 5.0-1", "Primo 7.6-1"],
    "SMA America": ["SB5.0-1SP-US-40", "SB7.7-1SP-US-40"],
    "SolarEdge Technologies": ["SE3800H-US", "SE5000 (240V) w/ -ER-US or A-US", "SE7600H-US"],
    "Tesla": ["Tesla Solar Inverter 3.8 kW", "Tesla Solar Inverter 7.6 kW"],
}

CUSTOMER: Json = {
    "city": "Springfield",
    "state": "California",
    "zip": "94000",
    "country": "US",
    "registered": True,
    "privacy_notice": True,
    "limited_warranty": True,
    "emailed_registration": True,
}

INSTALLER: Json = {
    "company": "Tesla Timbuktu",
    "customer_id": "01234567",
    "phone": "8885551212",
    "email": "installer@example.com",
    "run_sitemaster": True,
}

INSTALLER_COMPANIES: Json = [
    {"company": "1 Willpower Ltd", "customer_id": "AN-0000059"},
    {"company": "1000 Energie", "customer_id": "AN-0000062"},
    {"company": "Tesla Timbuktu", "customer_id": "01234567"},
]

WIFI_SCAN: Json = [
    {"network_name": "HomeWiFi", "security_type": "WPA2_Personal", "signal_strength": 59},
    {"network_name": "Neighbour", "security_type": "WPA2_Personal", "signal_strength": 21},
]


SYSTEM_TESTING: Json = {
    "running": False,
    "status": "TestPassed",
    "charge_tests": [0, -1000, -2000, -1000, 0],
    "meter_results": [
        [
            {"Power": 575.6900024414062, "CT": 1, "Serial": " OBB1234567890", "Type": "site"},
            {"Power": 71.94999694824219, "CT": 2, "Serial": " OBB1234567890", "Type": "site"},
        ],
        [
            {"Power": 1064.7099609375, "CT": 1, "Serial": " OBB1234567890", "Type": "site"},
            {"Power": 540.1099853515625, "CT": 2, "Serial": " OBB1234567890", "Type": "site"},
        ],
    ],
    "inverter_results": None,
    "hysteresis": 0.05,
    "error": "",
    "errors": None,
    "tests": None,
}


def conn_test_results(done_at: dt.datetime | None) -> Json:
    if done_at is None:
        return {"results": None, "timestamp": NEVER}
    names = ("Config Syncer Test", "Google GET Test", "Hermes Status Test", "Synergy Data Test")
    return {
        "results": {name: {"pass": True, "error": ""} for name in names},
        "timestamp": rfc3339_ns(done_at),
    }


def login_ok(token: str, email: str | None, when: dt.datetime, ident: Identity) -> Json:
    if ident.legacy:
        return {
            "email": None,
            "firstname": "Tesla",
            "lastname": "Energy",
            "roles": ["Provider_Engineer"],
            "token": token,
            "provider": "Basic",
        }
    return {
        "email": email or "",
        "firstname": "Tesla",
        "lastname": "Energy",
        "roles": ["Home_Owner"],
        "token": token,
        "provider": "Basic",
        "loginTime": rfc3339_ns(when),
    }
