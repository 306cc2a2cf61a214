"""History made by the site model on a clock of its own: days of sun, house, Powerwalls and
grid outages, computed as fast as the machine allows, for an app to pre-fill its history.

Imports nothing else from pwtray.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ._model import SimClock, SiteModel, app_to_raw, raw_to_app

Outage = tuple[float, float]  # (start, duration) in seconds after the history's start
DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """The site at one moment, as a monitor would have recorded it.

    Powers in W with the gateway's signs (site > 0 imports, battery > 0 discharges), so that
    ``load_w == solar_w + battery_w + site_w``; state of energy on the Tesla app's scale; the
    meters' lifetime counters in Wh.
    """

    timestamp: float  # POSIX seconds
    soe_percent: float
    site_w: float
    battery_w: float
    load_w: float
    solar_w: float
    off_grid: bool
    site_imported_wh: float
    site_exported_wh: float
    battery_imported_wh: float
    battery_exported_wh: float
    load_imported_wh: float
    solar_exported_wh: float


def default_outages(days: float, seed: int) -> list[Outage]:
    """One afternoon outage of under two hours on the second day and one night outage of a
    few hours on the fifth, where the period is long enough; the seed places them."""
    rng = random.Random(seed * 7_919 + 13)
    outages = [
        (1 * DAY_S + rng.uniform(13, 17) * 3600, rng.uniform(25, 110) * 60),
        (4 * DAY_S + rng.uniform(0.5, 3.5) * 3600, rng.uniform(2, 5) * 3600),
    ]
    return [(at, length) for at, length in outages if at + length < days * DAY_S]


def simulate_history(
    start: dt.datetime,
    days: float = 7.0,
    step_s: float = 60.0,
    seed: int = 1,
    outages: Sequence[Outage] | None = None,
    *,
    powerwalls: int = 1,
    soe_percent: float = 55.0,
    reserve_percent: float = 20.0,
    solar_peak_w: float = 6000.0,
) -> Iterator[HistoryRow]:
    """Rows every ``step_s`` seconds from ``start`` (with a time zone) for ``days`` days.

    ``outages`` are (start, duration) pairs in seconds after ``start``; None places one or two
    by the seed (:func:`default_outages`), ``()`` means none. The grid fails and returns at the
    exact times given, not at the next row.
    """
    if start.tzinfo is None:
        raise ValueError("the history's start needs a time zone")
    if not step_s > 0 or not days > 0:
        raise ValueError(f"days and step_s must be above 0, not {days} and {step_s}")
    clock = SimClock(start, speed=0)
    model = SiteModel(clock=clock, powerwalls=powerwalls, seed=seed, solar_peak_w=solar_peak_w)
    model.set_soe_raw(app_to_raw(soe_percent))
    model.reserve_raw = app_to_raw(reserve_percent)
    chosen = default_outages(days, seed) if outages is None else outages
    events = sorted(
        [(at, True) for at, _ in chosen] + [(at + length, False) for at, length in chosen]
    )
    t0 = start.timestamp()
    total_s = days * DAY_S
    rows = int(total_s // step_s)
    yield _row(model, t0)
    for index in range(1, rows + 1):
        t = index * step_s
        while events and events[0][0] <= t:
            at, down = events.pop(0)
            model.advance_to(at)
            if down:
                model.grid_down()
            else:
                model.grid_up()
        model.advance_to(t)
        clock.advance(t - clock.elapsed_s())
        yield _row(model, t0 + t)


def _row(model: SiteModel, timestamp: float) -> HistoryRow:
    return HistoryRow(
        timestamp=timestamp,
        soe_percent=raw_to_app(model.soe_raw),
        site_w=model.site_w,
        battery_w=model.battery_w,
        load_w=model.load_w,
        solar_w=model.solar_w,
        off_grid=model.off_grid,
        site_imported_wh=model.site_meter.imported_wh,
        site_exported_wh=model.site_meter.exported_wh,
        battery_imported_wh=model.battery_meter.imported_wh,
        battery_exported_wh=model.battery_meter.exported_wh,
        load_imported_wh=model.load_meter.imported_wh,
        solar_exported_wh=model.solar_meter.exported_wh,
    )
