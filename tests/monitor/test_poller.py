"""The poller against the simulator, on a fake clock: schedules, connectivity, back-off, events,
single flight, supervision. Time moves only when a test says (``Run.step``); the gateway's
answers are real (HTTPS on loopback)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pwtray.core.words import event_title
from pwtray.gateway import GatewayClient, GridState, OperationMode
from pwtray.monitor import (
    Connectivity,
    Event,
    EventKind,
    EventSettings,
    Health,
    Poller,
    Schedule,
    Snapshot,
)
from pwtray.simulator import Simulator
from tests.conftest import SimFactory
from tests.fakeclock import T0, FakeClock
from tests.gateway.helpers import client_for, logins
from tests.waiting import until

SCHEDULE = Schedule(fast_s=5, slow_s=60, rare_s=3600, offline_after_s=30, backoff_cap_s=60)


@dataclass
class Run:
    """A running poller, its fake clock and everything it published."""

    poller: Poller
    clock: FakeClock
    snapshots: list[Snapshot] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def __call__(self, snapshot: Snapshot, events: list[Event]) -> None:
        self.snapshots.append(snapshot)
        self.events += events

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]

    @property
    def snapshot(self) -> Snapshot:
        return self.poller.snapshot

    def state(self) -> Connectivity:
        return self.poller.snapshot.connectivity

    async def settle(self) -> None:
        """Until the poller waits for its next cycle (its reads are real I/O) — with its sleep
        on the clock, which starts a moment after it parks (or waiting for the user)."""

        def waiting() -> bool:
            if not self.poller.parked:
                return False
            user = self.poller.snapshot.connectivity.waits_for_user
            return user or self.clock.next_deadline() is not None

        await until(waiting, what="the poller to finish its cycle")

    async def step(self, seconds: float = SCHEDULE.fast_s) -> None:
        """Advance the clock; if that ends the poller's wait, let it do what is due (a cycle,
        a probe) until it waits again."""
        await self.settle()
        deadline = self.clock.next_deadline()
        parks = self.poller.parks
        self.clock.advance(seconds)
        if deadline is not None and deadline <= seconds:
            await until(
                lambda: self.poller.parks > parks and self.poller.parked,
                what=f"the poller to act on {seconds} s",
            )

    async def steps(self, count: int, seconds: float = SCHEDULE.fast_s) -> None:
        for _ in range(count):
            await self.step(seconds)

    async def next_turn(self) -> float:
        """Advance to the poller's next wake-up, whatever it waits for; returns the delay."""
        await self.settle()
        delay = self.clock.next_deadline()
        assert delay is not None, "the poller waits for nothing on the clock"
        await self.step(delay)
        return delay


@asynccontextmanager
async def polling(
    sim: Simulator, *, client: GatewayClient | None = None, **options: Any
) -> AsyncIterator[Run]:
    clock = FakeClock()
    client_options = {
        k: options.pop(k)
        for k in list(options)
        if k in ("password", "fingerprint", "lockout_default_s", "timeouts")
    }
    options.setdefault("schedule", SCHEDULE)
    async with client or client_for(sim, clock=clock, **client_options) as gateway:
        poller = Poller(gateway, clock=clock, rng=random.Random(7), **options)
        run = Run(poller, clock)
        poller.subscribe(run)
        task = asyncio.create_task(poller.run())
        try:
            await run.settle()  # the first cycle
            yield run
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await poller.stop()


def count(sim: Simulator, path: str) -> int:
    return sum(1 for r in sim.requests() if r.path == path)


async def test_the_snapshot_follows_the_gateway(sim_factory: SimFactory) -> None:
    sim = sim_factory(soe_percent=66, powerwalls=2)
    async with polling(sim) as run:
        s = run.snapshot
    state = sim.state()
    assert s.connectivity is Connectivity.ONLINE
    assert s.soe_percent == pytest.approx(66, abs=0.3)
    assert s.soe_raw == pytest.approx(state["soe_raw"], abs=0.3)
    assert s.grid is GridState.CONNECTED
    assert s.mode is OperationMode.SELF_CONSUMPTION
    assert s.reserve_percent == 20
    assert s.powerwall_count == 2
    assert s.capacity_wh == pytest.approx(27_000, rel=0.01)
    assert s.energy_remaining_wh == pytest.approx(0.66 * 27_000, rel=0.02)
    assert s.continuous_power_w == 10_000
    assert s.firmware == "24.36.2"
    assert s.load_w == pytest.approx(s.solar_w + s.battery_w + s.site_w, abs=5)  # type: ignore[operator]
    assert s.age_s == 0
    assert s.unknown == ()


async def test_groups_run_on_their_own_schedules(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim) as run:
        await run.steps(26)  # 130 s of polling after the first cycle
    assert count(sim, "/api/system_status/soe") == 27  # every 5 s
    assert count(sim, "/api/operation") == 3  # at 0, 60 and 120 s
    assert count(sim, "/api/networks") == 1  # hourly
    assert logins(sim) == 1


async def test_a_cycles_reads_go_out_together(sim_factory: SimFactory) -> None:
    # Each read takes the gateway two seconds: one after another, the third would arrive four
    # seconds after the first. Read together, all three arrive before the first is answered.
    sim = sim_factory()
    paths = "/api/system_status/soe,/api/meters/aggregates,/api/system_status/grid_status"
    async with client_for(sim) as gw:
        await gw.login()
        sim.set_fault("slow", latency_ms=2000, paths=paths)
        poller = Poller(gw, clock=FakeClock())
        await poller.refresh()
        await poller.stop()
    arrivals = [r.time for r in sim.requests() if r.path in paths.split(",")]
    assert len(arrivals) == 3
    assert max(arrivals) - min(arrivals) < 2.0


async def test_an_outage_gives_one_outage_and_one_restored_event(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim) as run:
        sim.grid_down()
        await run.step()  # the very next fast cycle tells
        assert run.kinds() == [EventKind.GRID_OUTAGE]
        assert run.snapshot.grid_since == run.clock.wall()
        down_at = run.clock.wall()
        await run.steps(6)
        sim.grid_up()
        await run.step()
        assert run.snapshot.grid is GridState.TRANSITION_TO_GRID  # resynchronising: still out
        sim.advance(31)  # the gateway reconnects
        await run.step()
        up_at = run.clock.wall()
        await run.steps(2)
    assert run.kinds() == [EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED]
    restored = run.events[1]
    assert restored.data["duration_s"] == up_at - down_at == 40
    assert event_title(restored) == "Grid restored"
    assert run.snapshot.grid_since == up_at


async def test_a_flapping_grid_gives_one_pair_per_real_outage(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim) as run:
        for _ in range(3):
            sim.grid_down()
            await run.step()
            sim.grid_up()  # resynchronising ...
            await run.step()
            sim.grid_down()  # ... fails: still the same outage
            await run.step()
            sim.grid_up()
            sim.advance(31)
            await run.step()
    grid = [k for k in run.kinds() if k in (EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED)]
    assert grid == [EventKind.GRID_OUTAGE, EventKind.GRID_RESTORED] * 3


async def test_drain_to_reserve_gives_the_reserve_event_and_a_sensible_estimate(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(scenarios=("drain-to-reserve:reserve=20,soe=23,load_w=3000",))
    async with polling(sim, settings=EventSettings(soe_thresholds=())) as run:
        await run.steps(30)  # the smoothed battery power settles over a couple of minutes
        state = sim.state()
        usable_wh = state["full_wh"] * 0.95
        expected_s = (state["soe_percent"] - 20) / 100 * usable_wh / state["battery_w"] * 3600
        assert run.snapshot.estimates.time_to_reserve_s == pytest.approx(expected_s, rel=0.3)
        for _ in range(20):
            sim.advance(600)  # ten minutes of draining between readings
            await run.step()
    assert run.kinds().count(EventKind.RESERVE_REACHED) == 1


async def test_a_lock_out_never_causes_a_second_login_inside_the_window(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(scenarios=("lockout:duration=300",))
    async with polling(sim) as run:
        assert run.state() is Connectivity.LOCKED_OUT
        assert run.snapshot.locked_until == run.clock.wall() + 300
        await run.step(60)
        await run.step(60)
    assert logins(sim) == 1
    assert run.kinds().count(EventKind.LOCKED_OUT) == 1


async def test_a_rejected_password_pauses_polling_until_new_credentials(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory()
    async with polling(sim, password="wrong") as run:
        assert run.state() is Connectivity.AUTH_REQUIRED
        before = len(sim.requests())
        await run.step(600)
        assert len(sim.requests()) == before  # no login storm, no polling
        run.poller.set_credentials(sim.config.password)
        await until(lambda: run.state() is Connectivity.ONLINE)
    assert logins(sim) == 2
    assert EventKind.AUTH_REQUIRED in run.kinds()


async def test_failures_back_off_and_state_changes_are_logged_once(
    sim_factory: SimFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pwtray.monitor")
    sim = sim_factory()
    async with polling(sim) as run:
        sim.set_fault("html-error", status=503)  # it answers, but not with readings
        delays = [await run.next_turn() for _ in range(8)]
        assert run.state() is Connectivity.OFFLINE
        assert run.snapshot.soe_percent is not None  # the last reading stays, marked not live
        sim.clear_faults()
        await run.next_turn()
        assert run.state() is Connectivity.ONLINE
    assert delays[0] == 5  # the normal interval, then failing: 5 s doubling to 60 s, ±20 %
    for delay, base in zip(delays[1:], [5, 10, 20, 40, 60, 60, 60], strict=True):
        assert base * 0.8 <= delay <= base * 1.2
    states = [s.connectivity for s in run.snapshots]
    assert states.index(Connectivity.STALE) < states.index(Connectivity.OFFLINE)
    messages = [r.getMessage() for r in caplog.records]
    transitions = [m.split(":")[0] for m in messages if m.startswith("gateway ")]
    assert transitions == ["gateway stale", "gateway offline", "gateway readings are live again"]
    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 1  # offline, not stale


async def test_a_gateway_that_answers_again_is_read_within_one_fast_interval(
    sim_factory: SimFactory, tmp_path: Path
) -> None:
    sim = sim_factory(cert_dir=tmp_path)  # its certificate survives a restart, as a gateway's
    port = sim.port
    async with polling(sim) as run:
        sim.stop()  # the gateway is gone: connections are refused
        while run.clock.wall() < T0 + 120:  # two minutes of trying: the back-off reaches 60 s
            await run.next_turn()
        assert run.state() is Connectivity.OFFLINE
        waits = [s for s in run.clock.sleeps if s != SCHEDULE.cycle_deadline_s]  # not watchdogs
        assert max(waits) <= SCHEDULE.fast_s  # it tried a connection every fast interval
        back = sim_factory(port=port, cert_dir=tmp_path)  # the same gateway, back again
        cycles = run.poller.cycles
        await run.next_turn()  # the next probe finds it answering and reads at once
        assert run.poller.cycles == cycles + 1
        assert run.state() is Connectivity.ONLINE
    assert count(back, "/api/system_status/soe") >= 1


async def test_stopped_powerwalls_show_no_power_figures(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim) as run:
        sim.stop_sitemaster()
        await run.step()
        s = run.snapshot
        assert s.connectivity is Connectivity.GATEWAY_STOPPED
        assert s.sitemaster_running is False
        assert (s.battery_w, s.load_w, s.solar_w, s.site_w) == (None, None, None, None)
        assert s.soe_percent is not None  # the last known charge stays, marked not live
        sim.run_sitemaster()
        await run.next_turn()
        assert run.state() is Connectivity.ONLINE
    assert run.kinds().count(EventKind.GATEWAY_STOPPED) == 1


async def test_a_changed_certificate_stops_polling(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim) as run:
        sim.rotate_certificate()
        await run.step()
        assert run.state() is Connectivity.CERTIFICATE_CHANGED
        before = len(sim.requests())
        await run.step(600)
        assert len(sim.requests()) == before
    assert EventKind.CERTIFICATE_CHANGED in run.kinds()


async def test_refresh_is_single_flight(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as client:
        poller = Poller(client, schedule=SCHEDULE, clock=FakeClock())
        await poller.refresh()
        before = count(sim, "/api/system_status/soe")
        first, second = await asyncio.gather(poller.refresh(), poller.refresh())
        assert first is second
        assert count(sim, "/api/system_status/soe") == before + 1


async def test_waking_from_sleep_reads_everything_and_says_so(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with polling(sim) as run:
        networks = count(sim, "/api/networks")
        run.clock.suspend(7200)  # two hours asleep: the wall clock jumped, monotonic did not
        await run.step()
        assert run.snapshot.resumed_after_s == 7205
    assert EventKind.RESUMED in run.kinds()
    assert count(sim, "/api/networks") == networks + 1  # even the hourly reads ran again


async def test_old_firmware_without_system_status_is_asked_once(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    async with polling(sim) as run:
        await run.steps(30)
        s = run.snapshot
    assert count(sim, "/api/system_status") == 1
    assert s.connectivity is Connectivity.ONLINE
    assert s.capacity_wh == 13_500
    assert s.energy_remaining_wh == pytest.approx(0.6 * 13_500, rel=0.02)


async def test_firmware_1x_reads_live_without_a_password(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    async with polling(sim, password=None) as run:
        await run.steps(2)
        s = run.snapshot
    assert s.connectivity is Connectivity.ONLINE  # the seed: reads need no login on 1.x
    assert s.soe_percent is not None
    assert s.grid is GridState.CONNECTED
    assert s.mode is None  # /api/operation needs the password on 1.x: only it is unknown
    assert run.poller.readings.health["operation"] is Health.NEEDS_LOGIN
    assert "operation" in s.unknown
    assert logins(sim) == 0
    assert EventKind.AUTH_REQUIRED not in run.kinds()


async def test_a_refused_optional_read_leaves_everything_else_live(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(powerwalls=2)
    sim.set_fault("html-error", status=404, paths="/api/powerwalls")
    async with polling(sim) as run:
        await run.steps(2)
        s = run.snapshot
    assert s.connectivity is Connectivity.ONLINE
    assert s.soe_percent is not None
    assert "powerwalls" in s.unknown
    assert count(sim, "/api/powerwalls") == 1  # missing on this gateway: not asked again
    assert s.powerwall_count == 2  # still known from /api/system_status's blocks


async def test_stop_lets_the_cycle_in_flight_finish(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    sim.set_fault("slow", latency_ms=300)
    async with client_for(sim) as client:
        poller = Poller(client, schedule=SCHEDULE, clock=FakeClock())
        task = asyncio.create_task(poller.run())
        await until(lambda: any(r.path.startswith("/api/system_status") for r in sim.requests()))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await poller.stop()
        assert poller.cycles == 1  # it completed, not abandoned
        assert poller.snapshot.connectivity is Connectivity.ONLINE


async def test_unsubscribe(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as client:
        poller = Poller(client, schedule=SCHEDULE, clock=FakeClock())
        run = Run(poller, FakeClock())
        unsubscribe = poller.subscribe(run)
        await poller.refresh()
        unsubscribe()
        await poller.refresh()
    assert len(run.snapshots) == 1


# ---------------------------------------------------------------------- supervision
class FaultyClient(GatewayClient):
    """A client whose SOE read fails inside pwtray itself (not in the gateway) while armed."""

    armed = True

    async def soe(self) -> Any:
        if self.armed:
            raise RecursionError("maximum recursion depth exceeded while decoding")
        return await super().soe()


async def test_an_internal_error_is_told_once_shown_and_polling_goes_on(
    sim_factory: SimFactory, caplog: pytest.LogCaptureFixture
) -> None:
    sim = sim_factory()
    client = FaultyClient(sim.address, password="Xy7Qp", fingerprint=sim.fingerprint)
    async with polling(sim, client=client) as run:
        assert run.state() is Connectivity.ONLINE  # the grid state still came
        unknown_charge = run.snapshot.soe_percent
        assert run.poller.readings.health["soe"] is Health.UNREADABLE
        await run.steps(5)
        client.armed = False
        await run.step()
        known_charge = run.snapshot.soe_percent
    assert unknown_charge is None  # the charge was unknown, not made up …
    assert known_charge is not None  # … and came back with the first good read
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # once, with the traceback — not every cycle
    assert errors[0].exc_info is not None
    assert count(sim, "/api/system_status/grid_status") == 7  # polling never stopped


async def test_a_fault_in_every_essential_read_is_the_internal_error_state(
    sim_factory: SimFactory,
) -> None:
    class Broken(FaultyClient):
        async def grid_status(self) -> Any:
            raise MemoryError

    sim = sim_factory()
    client = Broken(sim.address, password="Xy7Qp", fingerprint=sim.fingerprint)
    async with polling(sim, client=client) as run:
        assert run.state() is Connectivity.INTERNAL_ERROR
        assert not run.snapshot.connectivity.live
        await run.next_turn()  # still trying
    assert run.kinds().count(EventKind.INTERNAL_ERROR) == 1


async def test_a_failing_listener_or_history_never_stops_monitoring(
    sim_factory: SimFactory, caplog: pytest.LogCaptureFixture
) -> None:
    class FullDisk:
        def record(self, snapshot: Snapshot, events: list[Event]) -> None:
            raise OSError(28, "No space left on device")

    def broken_listener(snapshot: Snapshot, events: list[Event]) -> None:
        raise ValueError("bad listener")

    sim = sim_factory()
    async with polling(sim, history=FullDisk()) as run:
        run.poller.subscribe(broken_listener)
        await run.steps(4)
        assert run.state() is Connectivity.ONLINE
    assert len(run.snapshots) == 5
    assert sum(r.levelno == logging.ERROR for r in caplog.records) == 2  # each told once


async def test_the_watchdog_abandons_a_cycle_that_never_ends(sim_factory: SimFactory) -> None:
    from pwtray.gateway import Timeouts

    sim = sim_factory()
    schedule = Schedule(fast_s=5, cycle_deadline_s=20)
    async with polling(sim, schedule=schedule, timeouts=Timeouts(connect_s=3, read_s=3600)) as run:
        sim.set_fault("slow", latency_ms=3_600_000, paths="/api/system_status/soe")
        run.clock.advance(5)  # the next cycle starts and hangs on the SOE read
        # the cycle waits on the gateway (not parked) with its deadline pending on the clock
        await until(lambda: not run.poller.parked and run.clock.next_deadline() == 20)
        cycles = run.poller.cycles
        run.clock.advance(20)  # its deadline passes
        await until(lambda: run.poller.cycles > cycles and run.poller.parked)
        assert run.state() is Connectivity.STALE
        assert "no answer in 20 s" in str(run.snapshot.problem)
        sim.clear_faults()
