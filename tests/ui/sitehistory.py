"""History made by the simulator's site model: days of sun, house and Powerwall physics written
into a real HistoryStore through the same ``record`` the poller uses, outages included."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from pwtray.gateway import GridState, OperationMode, api_to_app
from pwtray.monitor import (
    Connectivity,
    Counters,
    Event,
    EventKind,
    HistoryStore,
    Severity,
    Snapshot,
    estimate,
)
from pwtray.simulator._model import ISLANDED, TO_GRID, SimClock, SiteModel


def model_snapshot(model: SiteModel, at: float) -> Snapshot:
    grid = {ISLANDED: GridState.ISLANDED, TO_GRID: GridState.TRANSITION_TO_GRID}.get(
        model.island_state, GridState.CONNECTED
    )
    soe = api_to_app(model.soe_raw)
    capacity = 13_500.0 * model.powerwalls
    reserve = api_to_app(model.reserve_raw)
    return Snapshot(
        taken_at=at,
        connectivity=Connectivity.ONLINE,
        soe_percent=soe,
        soe_raw=model.soe_raw,
        site_w=model.site_w,
        battery_w=model.battery_w,
        load_w=model.load_w,
        solar_w=model.solar_w,
        grid=grid,
        mode=OperationMode.SELF_CONSUMPTION,
        mode_raw="self_consumption",
        reserve_percent=reserve,
        capacity_wh=capacity,
        energy_remaining_wh=soe / 100 * capacity,
        estimates=estimate(
            battery_w_smoothed=model.battery_w,
            soe_percent=soe,
            reserve_percent=reserve,
            capacity_wh=capacity,
            energy_remaining_wh=soe / 100 * capacity,
        ),
        powerwall_count=model.powerwalls,
        firmware="25.10.1",
        counters=Counters(
            site_imported_wh=model.site_meter.imported_wh,
            site_exported_wh=model.site_meter.exported_wh,
            battery_imported_wh=model.battery_meter.imported_wh,
            battery_exported_wh=model.battery_meter.exported_wh,
            load_imported_wh=model.load_meter.imported_wh,
            solar_exported_wh=model.solar_meter.exported_wh,
        ),
        last_success_at=at,
    )


class SimTime:
    """The store's clock, moved by ``simulate`` as the simulated days go by."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def simulate(
    store: HistoryStore,
    clock_of_store: SimTime,
    end: dt.datetime,
    *,
    days: float,
    outages: tuple[tuple[float, float], ...] = (),
    step_s: float = 60.0,
    soe_percent: float = 55.0,
) -> Snapshot:
    """Fill ``store`` with ``days`` before ``end``; ``outages`` are (start, end) in hours before
    ``end`` (an end of 0 leaves the grid down). Returns the last snapshot."""
    start = end - dt.timedelta(days=days)
    clock = SimClock(start, speed=0.0)
    model = SiteModel(clock=clock, cloudiness=0.5, seed=3)
    model.set_soe_raw(5 + 0.95 * soe_percent)
    t0 = start.timestamp()
    total = days * 86_400
    marks = sorted(
        [(total - a * 3600, "down") for a, _ in outages]
        + [(total - b * 3600, "up") for _, b in outages if b > 0]
    )
    was_off = False
    since: float | None = None  # when the grid last changed, as the monitor would say
    last = model_snapshot(model, t0)
    t = 0.0
    while t < total:
        t = min(total, t + step_s)
        while marks and marks[0][0] <= t:
            _, what = marks.pop(0)
            model.grid_down() if what == "down" else model.grid_up()
        clock.advance(t - clock.elapsed_s())
        model.advance_to(t)
        last = model_snapshot(model, t0 + t)
        clock_of_store.now = t0 + t
        events: list[Event] = []
        if last.off_grid and not was_off:
            began: dict[str, float | str] = {"started_at": t0 + t}
            events.append(Event(EventKind.GRID_OUTAGE, Severity.CRITICAL, t0 + t, began))
            since = t0 + t
        elif was_off and not last.off_grid:
            events.append(Event(EventKind.GRID_RESTORED, Severity.INFO, t0 + t))
            since = t0 + t
        was_off = last.off_grid
        last = replace(last, grid_since=since)
        store.record(last, events)
    store.maintain(t0 + total)
    return last
