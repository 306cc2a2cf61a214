"""The mapping from a pwtray Snapshot to NUT variables, and when data counts as fresh."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwtray.gateway import GridState
from pwtray.monitor import Connectivity, Estimates
from pwtray.nut import Availability, LowMarks, availability, ups_status, ups_variables
from pwtray.nut._protocol import quote, split_words
from tests.nut.helpers import live

NOW = 1_781_510_400.0
MARKS = LowMarks(charge_percent=20.0, runtime_s=900.0)


@pytest.mark.parametrize(
    ("grid", "status"),
    [
        (GridState.CONNECTED, "OL"),
        (GridState.ISLANDED, "OB"),  # an outage
        (GridState.ISLANDED_READY, "OB"),  # off grid by choice: the house is on the Powerwall
        (GridState.MICROGRID_FAULTED, "OB"),
        (GridState.TRANSITION_TO_GRID, "OB"),  # still islanded while it resynchronises
        (GridState.TRANSITION_TO_ISLAND, "OL"),  # the next reading says islanded
        (GridState.WAIT_FOR_USER, "OL"),
        (GridState.UNKNOWN, "OL"),
    ],
)
def test_on_line_or_on_battery_follows_the_grid(grid: GridState, status: str) -> None:
    assert ups_status(live(NOW, grid=grid), MARKS) == status


@pytest.mark.parametrize(
    ("soe", "time_to_empty_s", "low"),
    [
        (20.4, None, False),  # shown as 20: not below 20
        (19.6, None, False),  # shown as 20 too
        (19.4, None, True),  # shown as 19
        (80.0, 900.0, False),
        (80.0, 899.0, True),  # time left below its mark, whatever the charge
        (5.0, 3600.0, True),
    ],
)
def test_low_battery_when_the_shown_charge_or_time_left_is_below_its_mark(
    soe: float, time_to_empty_s: float | None, low: bool
) -> None:
    snapshot = live(
        NOW,
        grid=GridState.ISLANDED,
        soe_percent=soe,
        battery_w=2000.0,
        estimates=Estimates(2000.0, time_to_empty_s=time_to_empty_s),
    )
    assert ups_status(snapshot, MARKS) == ("OB LB" if low else "OB")
    variables = ups_variables(snapshot, MARKS)
    assert variables["battery.charge"] == str(round(soe))
    assert variables["battery.charge.low"] == "20"
    assert variables["battery.runtime.low"] == "900"
    if time_to_empty_s is None:
        assert "battery.runtime" not in variables
    else:
        assert variables["battery.runtime"] == str(round(time_to_empty_s))


def test_low_battery_is_shown_on_line_too_and_forced_shutdown_comes_first() -> None:
    snapshot = live(NOW, soe_percent=3.0)
    assert ups_status(snapshot, MARKS) == "OL LB"
    assert ups_status(snapshot, MARKS, forced_shutdown=True) == "FSD OL LB"
    assert ups_variables(snapshot, MARKS, forced_shutdown=True)["ups.status"] == "FSD OL LB"


def test_the_full_set_for_a_two_powerwall_site() -> None:
    snapshot = live(
        NOW,
        load_w=7450.0,
        battery_w=3000.0,
        grid_frequency_hz=50.0123,
        estimates=Estimates(3000.0, time_to_empty_s=16_200.4),
    )
    assert ups_variables(snapshot, MARKS) == {
        "battery.charge": "62",
        "battery.charge.low": "20",
        "battery.charger.status": "discharging",
        "battery.runtime": "16200",
        "battery.runtime.low": "900",
        "device.mfr": "Tesla",
        "device.model": "Powerwall 2",
        "device.serial": "1232100-00-E--TG121048001E4G",
        "device.type": "ups",
        "driver.name": "pwtray",
        "input.frequency": "50.01",
        "input.voltage": "241.3",
        "ups.firmware": "24.36.2",
        "ups.load": "74.5",  # 7450 W of 2 x 5 kW
        "ups.mfr": "Tesla",
        "ups.model": "Powerwall 2",
        "ups.realpower": "7450",
        "ups.realpower.nominal": "10000",
        "ups.serial": "1232100-00-E--TG121048001E4G",
        "ups.status": "OL",
    }


def test_what_the_snapshot_does_not_know_is_left_out() -> None:
    snapshot = live(
        NOW,
        continuous_power_w=None,
        din=None,
        firmware=None,
        grid_voltage_v=None,
        soe_percent=None,
        battery_w=None,
    )
    variables = ups_variables(snapshot, MARKS)
    for absent in (
        "ups.load",
        "ups.realpower.nominal",
        "device.serial",
        "ups.serial",
        "ups.firmware",
        "input.voltage",
        "input.frequency",
        "battery.charge",
        "battery.charger.status",
        "battery.runtime",
    ):
        assert absent not in variables
    assert variables["ups.status"] == "OL"
    assert variables["ups.realpower"] == "1234"


@pytest.mark.parametrize(
    ("battery_w", "charger"),
    [(-1500.0, "charging"), (20.0, "resting"), (900.0, "discharging")],
)
def test_the_charger_status(battery_w: float, charger: str) -> None:
    variables = ups_variables(live(NOW, battery_w=battery_w), MARKS)
    assert variables["battery.charger.status"] == charger


def test_numbers_are_plain_decimals() -> None:
    snapshot = live(NOW, load_w=1e9, estimates=Estimates(1.0, time_to_empty_s=1e12))
    variables = ups_variables(snapshot, LowMarks(charge_percent=12.5, runtime_s=600.0))
    assert variables["ups.realpower"] == "1000000000"
    assert variables["battery.runtime"] == "1000000000000"
    assert variables["ups.load"] == "10000000.0"
    assert variables["battery.charge.low"] == "12.5"
    assert not any("e" in v for k, v in variables.items() if k.startswith(("ups.l", "batt")))


@pytest.mark.parametrize(
    ("connectivity", "age_s", "expected"),
    [
        (Connectivity.ONLINE, 0.0, Availability.AVAILABLE),
        (Connectivity.ONLINE, 15.0, Availability.AVAILABLE),
        (Connectivity.ONLINE, 15.1, Availability.DATA_STALE),  # the monitor went quiet
        (Connectivity.STALE, 1.0, Availability.DATA_STALE),  # the last fast poll failed
        (Connectivity.OFFLINE, 60.0, Availability.DATA_STALE),
        (Connectivity.CONNECTING, 0.0, Availability.DATA_STALE),
        (Connectivity.LOCKED_OUT, 0.0, Availability.DATA_STALE),
        (Connectivity.CERTIFICATE_CHANGED, 0.0, Availability.DATA_STALE),
    ],
)
def test_only_live_recent_data_is_available(
    connectivity: Connectivity, age_s: float, expected: Availability
) -> None:
    snapshot = live(NOW - age_s, connectivity=connectivity, taken_at=NOW)
    assert availability(snapshot, NOW, max_age_s=15.0) is expected


def test_no_reading_yet_and_no_monitor() -> None:
    never_read = live(NOW, last_success_at=None)
    assert availability(never_read, NOW, 15.0) is Availability.DATA_STALE
    assert availability(None, NOW, 15.0) is Availability.DRIVER_NOT_CONNECTED


@given(st.text())
def test_any_value_survives_quoting_as_a_nut_client_reads_it(value: str) -> None:
    printable = "".join(ch for ch in value if " " <= ch <= "~")
    assert split_words(f"VAR powerwall ups.firmware {quote(value)}") == [
        "VAR",
        "powerwall",
        "ups.firmware",
        printable,
    ]
