"""Meter bodies: aggregates, the meter list, per-CT readings, the site and solar meters.

Each firmware generation has its own shape, taken from the captures in
``shared/gateway-samples/sets``:

- firmware before 1.46 (the seed's 1.15, ``vlo-1.15-2018``): every aggregate meter reads the
  grid's frequency, and ``busway``, ``frequency`` and ``generator`` meters read zero;
- 1.46 up to 20.49 (``jrester-de-1.50``, ``ha-us-1.x``): the same readings with ``timeout``,
  no zero meters;
- current firmware (``vlo-21.39.1-foogod``): only the battery reports a frequency; site and
  solar say how many meters they aggregate. Per-CT readings (``/api/meters/readings``) come from
  the synchrometers and are withheld while the site master runs (the capture's own error text).

Imports nothing else from pwtray.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._model import SiteModel
from ._responses import NEVER, Identity, Json, json_number, rfc3339_ns

NEURIO_SERIAL_PREFIX = "OBB"
READINGS_WITHHELD = "run sitemanager flag enabled, sitemanager process is running"
ZERO_METERS = ("busway", "frequency", "generator")  # firmware 1.15 reports them, all zero


@dataclass(frozen=True)
class Grid:
    """Voltages and frequencies at one instant, as the meters see them."""

    house_v: float  # line to line on the split-phase service
    site_v: float  # the grid side of the gateway: 0 while islanded
    grid_hz: float  # the utility's frequency: 0 while islanded
    battery_hz: float  # the Powerwalls' (they form the house's grid off grid)

    @property
    def house_hz(self) -> float:
        return self.grid_hz or self.battery_hz


def grid_at(m: SiteModel) -> Grid:
    t = m.now().timestamp()
    house_v = 240.0 + 1.7 * math.sin(t / 37.0)
    battery_hz = 60.0 + 0.007 * math.sin(t / 3.0) + (0.3 if m.off_grid else 0.0)
    if m.off_grid:
        return Grid(house_v, 0, 0, battery_hz)
    return Grid(house_v, house_v - 0.4, 60.0 + 0.03 * math.sin(t / 23.0), battery_hz)


def _era(ident: Identity) -> str:
    if ident.version < (1, 46):
        return "1.15"
    if ident.legacy:
        return "1.50"
    # 21.44 added the per-phase energy time (absent from the 21.39.1 capture)
    return "current" if ident.version >= (21, 44) else "21.39"


# ---------------------------------------------------------------------- aggregates
def _meter(
    era: str,
    when: str,
    power_w: float,
    imported_wh: float,
    exported_wh: float,
    *,
    voltage: float,
    frequency: float,
    aggregated: int | None,
    current: float = 0,
    reactive: float | None = None,
) -> dict[str, Json]:
    if reactive is None:
        reactive = -0.28 * abs(power_w) + 30.0
    meter: dict[str, Json] = {
        "last_communication_time": when,
        "instant_power": power_w,
        "instant_reactive_power": json_number(reactive, 2),
        "instant_apparent_power": math.hypot(power_w, reactive),
        "frequency": frequency,
        "energy_exported": exported_wh,
        "energy_imported": imported_wh,
        "instant_average_voltage": voltage,
    }
    if era in ("1.15", "1.50"):
        meter |= {"instant_total_current": current, "i_a_current": 0, "i_b_current": 0}
        meter["i_c_current"] = 0
        if era == "1.50":
            meter["timeout"] = 1500000000
        return meter
    meter |= {
        "instant_average_current": current,
        "i_a_current": 0,
        "i_b_current": 0,
        "i_c_current": 0,
        "last_phase_voltage_communication_time": NEVER,
        "last_phase_power_communication_time": NEVER,
    }
    if era == "current":
        meter["last_phase_energy_communication_time"] = NEVER
    meter["timeout"] = 1500000000
    if aggregated is not None:
        meter["num_meters_aggregated"] = aggregated
    meter["instant_total_current"] = current
    return meter


def aggregates(m: SiteModel, ident: Identity) -> Json:
    era = _era(ident)
    when = rfc3339_ns(m.now())
    grid = grid_at(m)
    # Current firmware reports a frequency for the battery only; 1.x for every meter.
    legacy = era in ("1.15", "1.50")
    site_hz, house_hz = (grid.grid_hz, grid.house_hz) if legacy else (0.0, 0.0)
    load_w = round(m.load_w, 3)
    body = {
        "site": _meter(
            era,
            when,
            json_number(m.site_w, 3),
            m.site_meter.imported_wh,
            m.site_meter.exported_wh,
            voltage=grid.site_v,
            frequency=site_hz,
            aggregated=2,
        ),
        "battery": _meter(
            era,
            when,
            round(m.battery_w),
            round(m.battery_meter.imported_wh),
            round(m.battery_meter.exported_wh),
            voltage=round(grid.house_v + 6.5, 1),
            frequency=grid.battery_hz,
            aggregated=m.powerwalls,
        ),
        "load": _meter(
            era,
            when,
            json_number(load_w),
            m.load_meter.imported_wh,
            m.load_meter.exported_wh,
            voltage=grid.house_v,
            frequency=house_hz,
            aggregated=None,
            current=load_w / grid.house_v,
        ),
        "solar": _meter(
            era,
            when,
            json_number(m.solar_w, 3),
            m.solar_meter.imported_wh,
            m.solar_meter.exported_wh,
            voltage=round(grid.house_v - 1.5, 6),
            frequency=house_hz,
            aggregated=1,
        ),
    }
    if era == "1.15":
        for name in ZERO_METERS:
            body[name] = _meter(
                era, NEVER, 0, 0, 0, voltage=0, frequency=0, aggregated=None, reactive=0
            )
    return body


# ---------------------------------------------------------------------- meter devices
def _neurio_serial(ident: Identity) -> str:
    return f"{NEURIO_SERIAL_PREFIX}{ident.serial[2:12]}"


def meters_list(ident: Identity) -> Json:
    return [
        {
            "serial": _neurio_serial(ident),
            "short_id": "49123",
            "connected": True,
            "cts": [
                {
                    "type": "solar",
                    "valid": [False, False, True, True],
                    "inverted": [False, False, False, False],
                },
                {
                    "type": "site",
                    "valid": [True, True, False, False],
                    "inverted": [False, False, False, False],
                },
            ],
        }
    ]


def _ct(
    number: int, volts: float, power_w: float, reactive: float, exp_wh: float, imp_wh: float
) -> dict[str, Json]:
    return {
        "ct": number,
        "v_V": round(volts, 2),
        "p_W": round(power_w, 2),
        "q_VAR": round(reactive, 2),
        "eExp_Ws": round(exp_wh * 3600),
        "eImp_Ws": round(imp_wh * 3600),
    }


def meter_readings(m: SiteModel, ident: Identity) -> Json:
    """Per-CT voltage, power and energy: the seed's Neurio on 1.x, synchrometers on current
    firmware (withheld while the site master runs, as the 21.39.1 capture shows)."""
    grid = grid_at(m)
    legs = (grid.house_v / 2 + 0.3, grid.house_v / 2 - 0.2)  # L1-N and L2-N
    site, solar = m.site_meter, m.solar_meter
    if ident.legacy:
        cts = [
            _ct(1, legs[0], m.site_w / 2, -179.66, site.exported_wh / 2, site.imported_wh / 2),
            _ct(2, legs[1], m.site_w / 2, -109.03, site.exported_wh / 2, site.imported_wh / 2),
            _ct(3, legs[0], m.solar_w / 2, 0, solar.exported_wh / 2, solar.imported_wh / 2),
            _ct(4, legs[1], m.solar_w / 2, -0.17, solar.exported_wh / 2, solar.imported_wh / 2),
        ]
        data = {
            "IP": "Neurio-49123",
            "sensorId": "0x0000C47F510354AE",
            "firmwareVersion": "Tesla-0.0.7",
            "f_Hz": json_number(grid.house_hz, 2),
            "cts": cts,
        }
        return {_neurio_serial(ident): {"error": "", "data": data}}
    firmware = ident.git_hash[:14]
    unused = _ct(0, 0, 0, 0, 0, 0)
    if m.running:
        withheld = {
            "error": READINGS_WITHHELD,
            "data": {"firmwareVersion": "", "cts": [unused] * 4},
        }
        return {f"{ident.serial}synchrometerX": withheld, f"{ident.serial}synchrometerY": withheld}
    site_x = [
        _ct(1, legs[0], m.site_w * 0.6, -268, 0, 0),
        _ct(2, legs[1], m.site_w * 0.4, -269, 0, 0),
        _ct(3, 0, 0, 0, 0, 0),
        unused,
    ]
    panel_y = [
        _ct(1, legs[0], 3, 3, 0, 0),
        _ct(2, legs[1], 6, 7, 0, 0),
        _ct(3, legs[0], m.solar_w, 174, 0, 0),
        unused,
    ]
    return {
        f"{ident.serial}synchrometerX": {
            "error": "",
            "data": {"firmwareVersion": firmware, "cts": site_x},
        },
        f"{ident.serial}synchrometerY": {
            "error": "",
            "data": {"firmwareVersion": firmware, "cts": panel_y},
        },
    }


def _meter_entry(
    location: str, power_w: float, meter_imp: float, meter_exp: float, ident: Identity, when: str
) -> Json:
    serial = _neurio_serial(ident)
    readings: dict[str, Json] = {
        "energy_exported": meter_exp,
        "energy_exported_a": meter_exp,
        "energy_imported": meter_imp,
        "energy_imported_a": meter_imp,
        "frequency": 60,
        "i_a_current": 0,
        "i_b_current": 0,
        "i_c_current": 0,
        "instant_apparent_power": abs(power_w) + 12.5,
        "instant_average_current": 0,
        "instant_average_voltage": 240.1,
        "instant_power": power_w,
        "instant_reactive_power": -121.87,
        "instant_total_current": 0,
        "last_communication_time": when,
        "last_phase_energy_communication_time": when,
        "last_phase_power_communication_time": when,
        "last_phase_voltage_communication_time": when,
        "reactive_power_a": -121.87,
        "real_power_a": power_w,
        "serial_number": serial,
        "timeout": 1500000000,
        "v_l1n": 120.05,
        "version": "1.7.1-Tesla",
    }
    if location == "site":  # the site meter measures both legs of a split-phase service
        readings |= {
            "energy_exported_a": meter_exp * 0.6,
            "energy_exported_b": meter_exp * 0.4,
            "energy_imported_a": meter_imp * 0.6,
            "energy_imported_b": meter_imp * 0.4,
            "reactive_power_a": -121.87,
            "reactive_power_b": -0.11,
            "real_power_a": power_w * 0.6,
            "real_power_b": power_w * 0.4,
            "v_l2n": 120.02,
        }
        readings = dict(sorted(readings.items()))
    return [
        {
            "Cached_readings": readings,
            "connection": {
                "device_serial": serial,
                "https_conf": {},
                "ip_address": "PWRview-49123",
                "neurio_connected": True,
                "port": 443,
                "short_id": "49123",
            },
            "cts": [True, True, False, False]
            if location == "site"
            else [False, False, False, True],
            "id": 0,
            "inverted": [False, False, False, False],
            "location": location,
            "type": "neurio_tcp",
        }
    ]


def meters_site(m: SiteModel, ident: Identity) -> Json:
    when = rfc3339_ns(m.now())
    site = m.site_meter
    return _meter_entry("site", m.site_w, site.imported_wh, site.exported_wh, ident, when)


def meters_solar(m: SiteModel, ident: Identity) -> Json:
    when = rfc3339_ns(m.now())
    solar = m.solar_meter
    return _meter_entry("solar", m.solar_w, solar.imported_wh, solar.exported_wh, ident, when)
