"""The poller against the simulator: schedules, connectivity, back-off, events, single flight."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from pwtray.gateway import GridState
from pwtray.monitor import Connectivity, Event, EventKind, EventSettings, Poller, Schedule, Snapshot
from pwtray.simulator import Simulator
from tests.conftest import SimFactory
from tests.gateway.helpers import client_for, logins

FAST = Schedule(fast_s=0.2, slow_s=1.0, rare_s=5.0, offline_after_s=1.0, backoff_cap_s=0.8)


class Recorder:
    def __init__(self) -> None:
        self.snapshots: list[Snapshot] = []
        self.events: list[Event] = []

    def __call__(self, snapshot: Snapshot, events: list[Event]) -> None:
        self.snapshots.append(snapshot)
        self.events += events

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]


async def until(predicate: Callable[[], bool], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def polling(
    sim: Simulator, schedule: Schedule = FAST, **kw: Any
) -> AsyncIterator[tuple[Poller, Recorder]]:
    client_options = {
        k: kw.pop(k) for k in list(kw) if k in ("password", "fingerprint", "lockout_default_s")
    }
    async with client_for(sim, **client_options) as client:
        poller = Poller(client, schedule=schedule, **kw)
        recorder = Recorder()
        poller.subscribe(recorder)
        task = asyncio.create_task(poller.run())
        try:
            yield poller, recorder
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await poller.stop()


def count(sim: Simulator, path: str) -> int:
    return sum(1 for r in sim.requests() if r.path == path)


async def test_the_snapshot_follows_the_gateway(sim_factory: SimFactory) -> None:
    sim = sim_factory(soe_percent=66, powerwalls=2)
    async with polling(sim) as (poller, _):
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE
                    and poller.snapshot.firmware is not None)  # fmt: skip
        s = poller.snapshot
    state = sim.state()
    assert s.soe_percent == pytest.approx(66, abs=0.3)
    assert s.soe_raw == pytest.approx(state["soe_raw"], abs=0.3)
    assert s.grid is GridState.CONNECTED
    assert s.mode == "self_consumption"
    assert s.reserve_percent == 20
    assert s.powerwall_count == 2
    assert s.capacity_wh == pytest.approx(27_000, rel=0.01)
    assert s.energy_remaining_wh == pytest.approx(0.66 * 27_000, rel=0.02)
    assert s.firmware == "24.36.2"
    assert s.load_w == pytest.approx(s.solar_w + s.battery_w + s.site_w, abs=5)  # type: ignore[operator]
    assert s.age_s is not None
    assert s.age_s < 1


async def test_groups_run_on_their_own_schedules(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim):
        await asyncio.sleep(2.6)
    fast, slow, rare = (
        count(sim, p) for p in ("/api/system_status/soe", "/api/operation", "/api/networks")
    )
    assert 9 <= fast <= 15
    assert 2 <= slow <= 4
    assert rare == 1
    assert logins(sim) == 1


async def test_a_cycles_reads_go_out_together(sim_factory: SimFactory) -> None:
    # Each read takes the gateway a full second: read one after another, the second would
    # arrive a second after the first. Read together, they arrive together.
    sim = sim_factory()
    paths = "/api/system_status/soe,/api/meters/aggregates,/api/system_status/grid_status"
    async with client_for(sim) as gw:
        await gw.login()
        sim.set_fault("slow", latency_ms=1000, paths=paths)
        poller = Poller(gw)
        await poller.refresh()
        await poller.stop()
    arrivals = [r.time for r in sim.requests() if r.path in paths.split(",")]
    assert len(arrivals) >= 3
    assert max(arrivals) - min(arrivals) < 0.7


async def test_an_outage_gives_one_outage_and_one_restored_event(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim) as (poller, recorder):
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE)
        down_at = time.time()
        sim.grid_down()
        await until(lambda: EventKind.GRID_OUTAGE in recorder.kinds())
        latency = recorder.events[-1].at - down_at
        await asyncio.sleep(1.5)
        sim.grid_up()
        await until(lambda: poller.snapshot.grid is GridState.TRANSITION_TO_GRID)
        sim.advance(31)  # the gateway resynchronises and reconnects
        up_at = time.time()
        await until(lambda: EventKind.GRID_RESTORED in recorder.kinds())
        await asyncio.sleep(0.5)
    grid_events = [
        e for e in recorder.events if e.kind in (EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED)
    ]
    assert [e.kind for e in grid_events] == [EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED]
    assert latency <= FAST.fast_s + 0.5
    assert float(grid_events[1].data["duration_s"]) == pytest.approx(up_at - down_at, abs=0.5)
    assert grid_events[1].title == "Grid restored"


async def test_a_flapping_grid_gives_one_pair_per_real_outage(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim) as (poller, recorder):
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE)
        for _ in range(3):
            sim.grid_down()
            await asyncio.sleep(0.5)
            sim.grid_up()  # resynchronising ...
            await asyncio.sleep(0.5)
            sim.grid_down()  # ... fails: still the same outage
            await asyncio.sleep(0.5)
            sim.grid_up()
            sim.advance(31)
            await asyncio.sleep(0.6)
    grid = [k for k in recorder.kinds() if k in (EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED)]
    assert grid == [EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED] * 3


async def test_drain_to_reserve_gives_the_reserve_event_and_a_sensible_estimate(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(scenarios=("drain-to-reserve:reserve=20,soe=23,load_w=3000",))
    async with polling(sim, settings=EventSettings(soe_thresholds=())) as (poller, recorder):
        await until(lambda: poller.snapshot.estimates.time_to_reserve_s is not None)
        state = sim.state()
        usable_wh = state["full_wh"] * 0.95
        expected_s = (state["soe_percent"] - 20) / 100 * usable_wh / state["battery_w"] * 3600
        assert poller.snapshot.estimates.time_to_reserve_s == pytest.approx(expected_s, rel=0.3)
        sim.set_state(speed=1800)  # half an hour of draining per second
        await until(lambda: EventKind.RESERVE_REACHED in recorder.kinds(), within_s=15)
    assert recorder.kinds().count(EventKind.RESERVE_REACHED) == 1


async def test_a_lock_out_never_causes_a_second_login_inside_the_window(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(scenarios=("lockout:duration=300",))
    async with polling(sim) as (poller, recorder):
        await until(lambda: poller.snapshot.connectivity is Connectivity.LOCKED_OUT)
        await asyncio.sleep(2)
        assert poller.snapshot.locked_until is not None
        assert poller.snapshot.locked_until - time.time() > 290
    assert logins(sim) == 1
    assert recorder.kinds().count(EventKind.LOCKED_OUT) == 1


async def test_a_rejected_password_pauses_polling_until_new_credentials(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory()
    async with polling(sim, password="wrong") as (poller, recorder):
        await until(lambda: poller.snapshot.connectivity is Connectivity.AUTH_REQUIRED)
        before = len(sim.requests())
        await asyncio.sleep(1.0)
        assert len(sim.requests()) == before  # no login storm, no polling
        poller.set_credentials(sim.config.password)
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE)
    assert logins(sim) == 2
    assert EventKind.AUTH_REQUIRED in recorder.kinds()


async def test_unreachable_then_back_with_visible_back_off(
    sim_factory: SimFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pwtray.monitor")
    sim = sim_factory()
    async with polling(sim) as (poller, recorder):
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE)
        sim.set_fault("drop", rate=1)
        await until(lambda: poller.snapshot.connectivity is Connectivity.STALE)
        await until(lambda: poller.snapshot.connectivity is Connectivity.OFFLINE, within_s=5)
        await asyncio.sleep(2.5)
        sim.clear_faults()
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE, within_s=5)
    states = [s.connectivity for s in recorder.snapshots]
    first_stale = states.index(Connectivity.STALE)
    assert Connectivity.OFFLINE in states[first_stale:]
    dropped = [r.time for r in sim.requests() if r.outcome == "dropped" and r.path.endswith("/soe")]
    gaps = [b - a for a, b in itertools.pairwise(dropped)]
    assert gaps[0] < max(gaps) / 2  # the first retry comes soon ...
    assert max(gaps) > 0.6  # ... later ones back off towards the cap
    assert max(gaps) < FAST.backoff_cap_s * 1.2 + 0.2
    transitions = [r.getMessage() for r in caplog.records if r.getMessage().startswith("gateway ")]
    transitions = [m for m in transitions if "live again" not in m]
    # logged on each change of state, never once per failed poll
    assert [m.split(":")[0] for m in transitions] == ["gateway stale", "gateway offline"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # a single missed reading is not worth a warning; offline is
    assert sum("live again" in r.getMessage() for r in caplog.records) == 1


async def test_stopped_powerwalls(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim) as (poller, recorder):
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE)
        sim.stop_sitemaster()
        await until(lambda: poller.snapshot.connectivity is Connectivity.GATEWAY_STOPPED)
        assert poller.snapshot.soe_percent is not None  # the last reading stays, marked not live
        sim.run_sitemaster()
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE, within_s=5)
    assert recorder.kinds().count(EventKind.GATEWAY_STOPPED) == 1


async def test_a_changed_certificate_stops_polling(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim) as (poller, recorder):
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE)
        sim.rotate_certificate()
        await until(lambda: poller.snapshot.connectivity is Connectivity.CERTIFICATE_CHANGED)
        before = len(sim.requests())
        await asyncio.sleep(1.0)
        assert len(sim.requests()) == before
    assert EventKind.CERTIFICATE_CHANGED in recorder.kinds()


async def test_refresh_is_single_flight(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as client:
        poller = Poller(client, schedule=FAST)
        await poller.refresh()
        before = count(sim, "/api/system_status/soe")
        first, second = await asyncio.gather(poller.refresh(), poller.refresh())
        assert first is second
        assert count(sim, "/api/system_status/soe") == before + 1


async def test_waking_from_sleep_reads_everything_and_says_so(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    offset = [0.0]
    async with client_for(sim) as client:
        poller = Poller(client, schedule=FAST, wall=lambda: time.time() + offset[0])
        recorder = Recorder()
        poller.subscribe(recorder)
        await poller.refresh()
        networks = count(sim, "/api/networks")
        offset[0] = 7200.0  # the wall clock jumped two hours; the monotonic clock did not
        snapshot = await poller._run_cycle()
    assert snapshot.resumed_after_s == pytest.approx(7200, abs=5)
    assert EventKind.RESUMED in recorder.kinds()
    assert count(sim, "/api/networks") == networks + 1  # even the hourly reads ran again


async def test_old_firmware_without_system_status_is_asked_once(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    async with polling(sim) as (poller, _):
        await asyncio.sleep(2.5)
        s = poller.snapshot
    assert count(sim, "/api/system_status") == 1
    assert s.connectivity is Connectivity.ONLINE
    assert s.capacity_wh == 13_500
    assert s.energy_remaining_wh == pytest.approx(0.6 * 13_500, rel=0.02)


async def test_stop_lets_the_cycle_in_flight_finish(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    sim.set_fault("slow", latency_ms=300)
    async with client_for(sim) as client:
        poller = Poller(client, schedule=FAST)
        task = asyncio.create_task(poller.run())
        await asyncio.sleep(0.1)  # the first cycle is waiting on the slow gateway
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await poller.stop()
        assert poller.cycles == 1  # it completed, not abandoned
        assert poller._cycle_task is not None
        assert poller._cycle_task.done()


async def test_unsubscribe(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as client:
        poller = Poller(client, schedule=FAST)
        recorder = Recorder()
        unsubscribe = poller.subscribe(recorder)
        await poller.refresh()
        unsubscribe()
        await poller.refresh()
    assert len(recorder.snapshots) == 1
