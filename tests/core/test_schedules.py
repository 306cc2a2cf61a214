"""Scheduled changes against the simulator on a fake clock: made on time through the same
commands as a click, made late after a sleep only inside their window, reported otherwise, and a
one-shot change put back when it ends."""

from __future__ import annotations

import datetime as dt

import pytest

from pwtray.core import Site
from pwtray.core._schedules import Change, Kind, Schedule, ScheduleService
from pwtray.gateway import OperationMode
from pwtray.monitor import Event, EventKind
from pwtray.simulator import Simulator
from tests.cloud.conftest import CloudFactory
from tests.cloud.conftest import cloud_factory as cloud_factory
from tests.conftest import SimFactory
from tests.core.helpers import cloud_site, site_for
from tests.fakeclock import T0, FakeClock
from tests.waiting import until

UTC = dt.UTC
START = dt.datetime.fromtimestamp(T0, UTC)  # 2027-01-15 08:00 UTC, a Friday


def service(sim: Simulator, *schedules: Schedule) -> tuple[ScheduleService, Site, list[Event]]:
    site = site_for(sim)
    events: list[Event] = []
    site.subscribe(lambda _s, new: events.extend(new))
    return ScheduleService(site, site._supervisor, schedules, tz=UTC), site, events


def clock_of(site: Site) -> FakeClock:
    assert isinstance(site.clock, FakeClock)
    return site.clock


async def advance_to(site: Site, when: dt.datetime) -> None:
    """Move the clock, a wait of the service at a time, until ``when``."""
    clock = clock_of(site)
    while clock.wall() < when.timestamp():
        await until(lambda: clock.next_deadline() is not None, what="the schedule's wait")
        step = min(clock.next_deadline() or 0.0, when.timestamp() - clock.wall())
        clock.advance(max(step, 0.001))
        await until(lambda: clock.next_deadline() is not None, what="the schedule to settle")


async def test_a_daily_change_is_made_at_its_time(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")  # writes allowed locally
    night = Schedule("Night", Kind.RECURRING, Change(OperationMode.BACKUP), at=dt.time(22, 5))
    schedules, site, _ = service(sim, night)
    await site.commands.refresh()
    schedules.start()
    assert [d.when for d in schedules.upcoming(2)] == [
        START.replace(hour=22, minute=5),
        START.replace(hour=22, minute=5) + dt.timedelta(days=1),
    ]
    await advance_to(site, START.replace(hour=22, minute=4))
    assert sim.state()["mode"] == "self_consumption"  # not a minute early
    await advance_to(site, START.replace(hour=22, minute=6))
    await until(lambda: len(schedules.runs) == 1, what="the run")
    assert schedules.runs[0].ok, schedules.runs[0].detail
    assert sim.state()["mode"] == "backup"
    assert site.snapshot.mode is OperationMode.BACKUP  # the snapshot shows it at once
    await schedules.supervisor.stop()
    await site.stop()


async def test_after_a_sleep_only_changes_inside_their_window_are_made(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(firmware="1.15.0")
    morning = Schedule(
        "Morning",
        Kind.RECURRING,
        Change(reserve_percent=5.0),
        at=dt.time(9, 0),
        window=dt.timedelta(hours=1),
    )
    schedules, site, events = service(sim, morning)
    await site.commands.refresh()
    schedules.start()
    await until(lambda: clock_of(site).next_deadline() is not None)
    # Asleep from Friday 08:00 to Sunday 09:15; the service looks at the clock again on waking.
    clock_of(site).suspend(2 * 86_400 + 4500 - 300)
    clock_of(site).advance(300)
    await until(lambda: len(schedules.runs) == 3, what="three runs")
    friday, saturday, sunday = schedules.runs
    assert not friday.ok  # long past its window: reported, never made late
    assert not saturday.ok
    assert "missed" in friday.detail
    assert sunday.ok, sunday.detail  # 15 minutes late, inside its hour: made on waking
    assert sim.state()["reserve_percent"] == pytest.approx(5, abs=0.01)
    await schedules.supervisor.stop()
    await site.stop()
    assert [e.kind for e in events if e.kind is EventKind.SCHEDULE_MISSED] == [
        EventKind.SCHEDULE_MISSED
    ] * 2


async def test_a_one_shot_change_goes_back_when_it_ends(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    storm = Schedule(
        "Storm", Kind.ONE_SHOT, Change(reserve_percent=100.0), until=START + dt.timedelta(hours=2)
    )
    schedules, site, _ = service(sim, storm)
    await site.commands.refresh()
    before = site.snapshot.reserve_percent
    schedules.start()
    await until(lambda: len(schedules.runs) == 1, what="the start")
    assert sim.state()["reserve_percent"] == pytest.approx(100)
    await advance_to(site, START + dt.timedelta(hours=2, minutes=1))
    await until(lambda: len(schedules.runs) == 2, what="the end")
    assert schedules.runs[1].ok, schedules.runs[1].detail
    assert sim.state()["reserve_percent"] == pytest.approx(before, abs=0.1)
    await schedules.supervisor.stop()
    await site.stop()


async def test_a_change_the_gateway_refuses_is_told(sim_factory: SimFactory) -> None:
    sim = sim_factory()  # current firmware, no Tesla account: the write is refused
    now = Schedule(
        "Now", Kind.ONE_SHOT, Change(OperationMode.BACKUP), until=START + dt.timedelta(hours=1)
    )
    schedules, site, events = service(sim, now)
    await site.commands.refresh()
    schedules.start()
    await until(lambda: schedules.runs, what="the attempt")
    assert not schedules.runs[0].ok
    assert [e.kind for e in events if e.kind is EventKind.SCHEDULE_FAILED] == [
        EventKind.SCHEDULE_FAILED
    ]
    await schedules.supervisor.stop()
    await site.stop()


async def test_a_change_the_cloud_makes_only_half_of_is_told_as_such(
    cloud_factory: CloudFactory,
) -> None:
    cloud = cloud_factory()  # current firmware: the gateway refuses, the Tesla account is used
    cloud.sim.set_fault("server_error", path="backup", status=503)  # the reserve's command
    site = cloud_site(cloud)
    events: list[Event] = []
    site.subscribe(lambda _s, new: events.extend(new))
    storm = Schedule(
        "Storm",
        Kind.ONE_SHOT,
        Change(OperationMode.AUTONOMOUS, 80.0),
        until=START + dt.timedelta(hours=1),
    )
    schedules = ScheduleService(site, site._supervisor, [storm], tz=UTC)
    await site.commands.refresh()
    schedules.start()
    await until(lambda: schedules.runs, what="the attempt")
    run = schedules.runs[0]
    assert not run.ok
    assert run.detail.startswith("The backup reserve was not changed: Tesla's cloud cannot reach")
    assert "Tesla's cloud did take the mode, Time-based control" in run.detail
    failed = [e for e in events if e.kind is EventKind.SCHEDULE_FAILED]
    assert len(failed) == 1
    assert cloud.sim.settings()["mode"] == "autonomous"
    await schedules.supervisor.stop()
    await site.stop()
