"""The Powerwall as a NUT client sees it: a pwtray Snapshot mapped to NUT variables.

Pure functions, no I/O. Names, units and status words are NUT's (docs/nut-names.txt and the
developer guide's "Status data"); every value is text, numbers in plain decimal with a dot.

``ups.status``:

* ``OL`` while the grid supplies the house; ``OB`` while the house runs on the Powerwalls — an
  outage or islanding (``off_grid``) and the resynchronisation before reconnecting
  (``SystemTransitionToGrid``), the same span pwtray shows as an outage;
* ``LB`` added when the charge or the time left is below its low mark (the values compared are
  the ones shown: ``battery.charge`` 9 with a low mark of 10 is low, 10 is not);
* ``FSD`` in front once pwtray, or a NUT primary, has declared a forced shutdown — as upsd
  itself adds it; clients treat it like ``OB LB``.

``battery.runtime`` is the snapshot's time to empty at the smoothed discharge power, so it is
there only while the Powerwalls discharge. ``ups.load`` is the home's power as a share of the
Powerwalls' continuous power (the snapshot's ``continuous_power_w``: the site's rating, or 5 kW
per Powerwall 2); ``input.voltage``/``input.frequency`` appear only when the site meter
reports them.

Stale data is never mapped: :func:`availability` decides first, and a client then gets upsd's
``ERR DATA-STALE`` rather than old values dressed as new.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from pwtray.gateway import GridState
from pwtray.monitor import Snapshot

MANUFACTURER = "Tesla"
MODEL = "Powerwall 2"
DRIVER_NAME = "pwtray"


@dataclass(frozen=True)
class LowMarks:
    """Below either, ``LB`` is set: a NUT client on battery then shuts its machine down."""

    charge_percent: float = 10.0
    runtime_s: float = 600.0


class Availability(enum.Enum):
    """What upsd would say about its driver: serving, stale data, or no driver at all."""

    AVAILABLE = "available"
    DATA_STALE = "DATA-STALE"
    DRIVER_NOT_CONNECTED = "DRIVER-NOT-CONNECTED"


def availability(snapshot: Snapshot | None, now: float, max_age_s: float) -> Availability:
    """Fresh means the last fast poll succeeded (``Connectivity.live``) *and* it is recent.

    The age check catches a monitor that stopped publishing while its last word was "online"
    (upsd's MAXAGE does the same to a driver that stops talking).
    """
    if snapshot is None:
        return Availability.DRIVER_NOT_CONNECTED
    if not snapshot.connectivity.live or snapshot.last_success_at is None:
        return Availability.DATA_STALE
    if now - snapshot.last_success_at > max_age_s:
        return Availability.DATA_STALE
    return Availability.AVAILABLE


def on_battery(snapshot: Snapshot) -> bool:
    grid = snapshot.grid
    return grid is not None and (grid.off_grid or grid is GridState.TRANSITION_TO_GRID)


def ups_status(snapshot: Snapshot, marks: LowMarks, *, forced_shutdown: bool = False) -> str:
    words = ["OB" if on_battery(snapshot) else "OL"]
    if _low(snapshot, marks):
        words.append("LB")
    if forced_shutdown:
        words.insert(0, "FSD")
    return " ".join(words)


def ups_variables(
    snapshot: Snapshot, marks: LowMarks, *, forced_shutdown: bool = False
) -> dict[str, str]:
    """Every variable this snapshot supports, by name, in NUT's order (A to Z, case-blind)."""
    values: dict[str, str | None] = {
        "battery.charge": _number(_charge(snapshot)),
        "battery.charge.low": _number(marks.charge_percent),
        "battery.charger.status": _charger(snapshot),
        "battery.runtime": _number(_runtime(snapshot)),
        "battery.runtime.low": _number(round(marks.runtime_s)),
        "device.mfr": MANUFACTURER,
        "device.model": MODEL,
        "device.serial": snapshot.din,
        "device.type": "ups",
        "driver.name": DRIVER_NAME,
        "input.frequency": _number(snapshot.grid_frequency_hz, 2),
        "input.voltage": _number(snapshot.grid_voltage_v, 1),
        "ups.firmware": snapshot.firmware,
        "ups.load": _number(_load_percent(snapshot), 1),
        "ups.mfr": MANUFACTURER,
        "ups.model": MODEL,
        "ups.realpower": _number(_round(_home_w(snapshot))),
        "ups.realpower.nominal": _number(_nominal_w(snapshot)),
        "ups.serial": snapshot.din,
        "ups.status": ups_status(snapshot, marks, forced_shutdown=forced_shutdown),
    }
    return {
        name: value
        for name, value in sorted(values.items(), key=lambda item: item[0].lower())
        if value is not None and value != ""
    }


# What ``GET DESC`` answers (docs/nut-names.txt's wording).
DESCRIPTIONS = {
    "battery.charge": "Battery charge (percent)",
    "battery.charge.low": "Remaining battery level when UPS switches to LB (percent)",
    "battery.charger.status": "Status of the battery charger",
    "battery.runtime": "Battery runtime (seconds)",
    "battery.runtime.low": "Remaining battery runtime when UPS switches to LB (seconds)",
    "device.mfr": "Device manufacturer",
    "device.model": "Device model",
    "device.serial": "Device serial number",
    "device.type": "Device type",
    "driver.name": "Driver name",
    "input.frequency": "Input line frequency (Hz)",
    "input.voltage": "Input voltage (V)",
    "ups.firmware": "UPS firmware",
    "ups.load": "Load on UPS (percent)",
    "ups.mfr": "UPS manufacturer",
    "ups.model": "UPS model",
    "ups.realpower": "Current value of real power (W)",
    "ups.realpower.nominal": "Nominal value of real power (W)",
    "ups.serial": "UPS serial number",
    "ups.status": "UPS status",
}
TEXT_VARIABLES = frozenset(
    {
        "battery.charger.status",
        "device.mfr",
        "device.model",
        "device.serial",
        "device.type",
        "driver.name",
        "ups.firmware",
        "ups.mfr",
        "ups.model",
        "ups.serial",
        "ups.status",
    }
)


def _charge(snapshot: Snapshot) -> int | None:
    return _round(snapshot.soe_percent)


def _runtime(snapshot: Snapshot) -> int | None:
    return _round(snapshot.estimates.time_to_empty_s)


def _low(snapshot: Snapshot, marks: LowMarks) -> bool:
    charge, runtime = _charge(snapshot), _runtime(snapshot)
    return (charge is not None and charge < marks.charge_percent) or (
        runtime is not None and runtime < marks.runtime_s
    )


def _charger(snapshot: Snapshot) -> str | None:
    if snapshot.battery_w is None:
        return None
    if snapshot.charging:
        return "charging"
    return "discharging" if snapshot.discharging else "resting"


def _nominal_w(snapshot: Snapshot) -> int | None:
    return _round(snapshot.continuous_power_w) or None


def _home_w(snapshot: Snapshot) -> float | None:
    return None if snapshot.load_w is None else max(0.0, snapshot.load_w)


def _load_percent(snapshot: Snapshot) -> float | None:
    nominal, home_w = _nominal_w(snapshot), _home_w(snapshot)
    if nominal is None or home_w is None:
        return None
    return home_w / nominal * 100.0


def _round(value: float | None) -> int | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value)


def _number(value: float | None, decimals: int = 0) -> str | None:
    """Plain decimal with a dot, never an exponent (NUT's rule for numbers)."""
    if value is None or not math.isfinite(value):
        return None
    if decimals == 0 and float(value).is_integer():
        return str(int(value))
    return f"{value:.{decimals}f}" if decimals else f"{value:.1f}"
