"""A week of history from the site model on its own clock: rows that obey the physics."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from pwtray.simulator import HistoryRow, default_outages, simulate_history
from tests.conftest import SIM_START

COUNTERS = (
    "site_imported_wh",
    "site_exported_wh",
    "battery_imported_wh",
    "battery_exported_wh",
    "load_imported_wh",
    "solar_exported_wh",
)
FULL_PACK_WH = 14_211.0  # one Powerwall on the gateway's raw scale


@pytest.fixture(scope="module")
def week() -> list[HistoryRow]:
    return list(simulate_history(SIM_START, days=7, step_s=60, seed=1))


def outage_starts(rows: list[HistoryRow]) -> list[float]:
    return [b.timestamp for a, b in itertools.pairwise(rows) if b.off_grid and not a.off_grid]


def test_a_week_of_rows_every_minute_from_the_start(week: list[HistoryRow]) -> None:
    assert len(week) == 7 * 24 * 60 + 1
    assert week[0].timestamp == SIM_START.timestamp()
    assert {b.timestamp - a.timestamp for a, b in itertools.pairwise(week)} == {60.0}


def test_every_row_obeys_the_physics(week: list[HistoryRow]) -> None:
    for row in week:
        assert row.load_w == pytest.approx(row.solar_w + row.battery_w + row.site_w, abs=1e-6)
        assert 0 <= row.soe_percent <= 100
        assert row.load_w > 0
        assert abs(row.battery_w) <= 7000
        if row.off_grid:
            assert row.site_w == pytest.approx(0, abs=1e-9)


def test_the_counters_never_go_back_and_tell_the_same_story_as_the_charge(
    week: list[HistoryRow],
) -> None:
    for before, after in itertools.pairwise(week):
        for counter in COUNTERS:
            assert getattr(after, counter) >= getattr(before, counter), counter
    first, last = week[0], week[-1]
    charged = last.battery_imported_wh - first.battery_imported_wh
    discharged = last.battery_exported_wh - first.battery_exported_wh
    soe_change_wh = (last.soe_percent - first.soe_percent) * 0.95 / 100 * FULL_PACK_WH
    assert soe_change_wh == pytest.approx(charged - discharged, abs=1)
    assert last.load_imported_wh - first.load_imported_wh > 7 * 5_000  # a house uses energy


def test_a_week_has_one_or_two_outages_with_the_grid_at_zero(week: list[HistoryRow]) -> None:
    starts = outage_starts(week)
    assert 1 <= len(starts) <= 2
    assert len(default_outages(7, seed=1)) == len(starts)
    assert any(row.off_grid for row in week)
    assert not week[0].off_grid
    assert not week[-1].off_grid


def test_sun_by_day_and_none_by_night(week: list[HistoryRow]) -> None:
    def at_hour(hour: int) -> list[HistoryRow]:
        return [
            r for r in week if dt.datetime.fromtimestamp(r.timestamp, SIM_START.tzinfo).hour == hour
        ]

    assert max(r.solar_w for r in at_hour(13)) > 3000
    assert max(r.solar_w for r in at_hour(2)) <= 0


def test_outages_happen_exactly_when_asked() -> None:
    rows = list(simulate_history(SIM_START, days=1, step_s=60, outages=[(3600, 1800)]))
    off = [r.timestamp - SIM_START.timestamp() for r in rows if r.off_grid]
    assert off[0] == 3600
    # down for 30 minutes, then 30 s resynchronising with the returning grid
    assert off[-1] == 3600 + 1800
    assert not any(r.off_grid for r in rows if r.timestamp - SIM_START.timestamp() > 5460)


def test_no_outages_when_given_none() -> None:
    assert not any(r.off_grid for r in simulate_history(SIM_START, days=2, outages=()))


def test_the_same_seed_gives_the_same_history_and_another_seed_another(
    week: list[HistoryRow],
) -> None:
    again = list(simulate_history(SIM_START, days=1, seed=1))
    assert again == week[: len(again)]
    other = list(simulate_history(SIM_START, days=1, seed=2))
    assert [r.load_w for r in other] != [r.load_w for r in again]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": dt.datetime(2026, 6, 1)}, "time zone"),  # noqa: DTZ001 - the error under test
        ({"start": SIM_START, "step_s": 0}, "above 0"),
        ({"start": SIM_START, "days": -1}, "above 0"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        next(simulate_history(**kwargs))  # type: ignore[arg-type]
