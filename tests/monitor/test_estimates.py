"""Estimates come from a smoothed battery power and say nothing when nothing is meaningful."""

from __future__ import annotations

import pytest

from pwtray.monitor import describe_duration, estimate, smooth


def test_smoothing_ignores_a_spike_and_follows_a_trend() -> None:
    value = 1000.0
    value = smooth(value, 6000.0, 5)  # a kettle for one reading
    assert value < 1300
    for _ in range(200):  # ten minutes at 2 kW
        value = smooth(value, 2000.0, 3)
    assert value == pytest.approx(2000, abs=20)


def test_time_to_reserve_and_empty_when_discharging() -> None:
    e = estimate(
        battery_w_smoothed=1000,
        soe_percent=50,
        reserve_percent=20,
        capacity_wh=13_500,
        energy_remaining_wh=6750,
    )
    assert e.time_to_reserve_s == pytest.approx((6750 - 2700) / 1000 * 3600)
    assert e.time_to_empty_s == pytest.approx(6.75 * 3600)
    assert e.time_to_full_s is None


def test_time_to_full_when_charging() -> None:
    e = estimate(
        battery_w_smoothed=-2500,
        soe_percent=80,
        reserve_percent=20,
        capacity_wh=13_500,
        energy_remaining_wh=10_800,
    )
    assert e.time_to_full_s == pytest.approx(2700 / 2500 * 3600)
    assert e.time_to_empty_s is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"battery_w_smoothed": 20},  # idle
        {"battery_w_smoothed": None},  # no reading
        {"battery_w_smoothed": -3000, "soe_percent": 100},  # already full
        {"battery_w_smoothed": 1000, "capacity_wh": None},
    ],
)
def test_no_estimate_when_not_meaningful(kwargs: dict[str, float | None]) -> None:
    base: dict[str, float | None] = {
        "battery_w_smoothed": 1000,
        "soe_percent": 50,
        "reserve_percent": 20,
        "capacity_wh": 13_500,
        "energy_remaining_wh": 6750,
    }
    e = estimate(**{**base, **kwargs})
    assert (e.time_to_full_s, e.time_to_reserve_s, e.time_to_empty_s) == (None, None, None)


def test_durations_in_words() -> None:
    assert describe_duration(30) == "under a minute"
    assert describe_duration(45 * 60) == "45 min"
    assert describe_duration(2 * 3600 + 5 * 60) == "2 h 05 min"
    assert describe_duration(5 * 86400) == "5 days"
