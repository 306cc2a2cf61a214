"""The shutdown policy on a simulator-driven site with the fake clock, in dry run: it acts only
off grid below a threshold, counts down on the site's clock, is cancelled by the user, by the grid
coming back or by the charge recovering, and declares NUT's FSD (seen by the real ``upsc``) while
a shutdown is decided. The logind backend talks to a fake logind held to logind's signatures."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pwtray.core import (
    LogindBackend,
    Phase,
    PowerAction,
    PowerError,
    Reason,
    ShutdownConfig,
    ShutdownPolicy,
    Site,
    Supervisor,
    shutdown_config,
)
from pwtray.core._shutdown import CommandBackend, WindowsBackend, macos_backend
from pwtray.core._ups import UpsConfig, UpsService
from pwtray.core.words import event_text
from pwtray.monitor import Event, EventKind, Severity, Snapshot
from pwtray.settings import SessionSecrets, Settings, Shutdown
from pwtray.simulator import Simulator
from tests.conftest import SimFactory
from tests.core.fakelogind import private_bus, private_logind
from tests.core.helpers import site_for
from tests.fakeclock import FakeClock
from tests.nut.helpers import upsc_value
from tests.waiting import until


async def settle() -> None:
    """Let what was scheduled during an update run (announcements, the countdown's end)."""
    for _ in range(3):
        await asyncio.sleep(0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Harness:
    site: Site
    sim: Simulator
    policy: ShutdownPolicy
    ups: UpsService
    port: int
    events: list[Event] = field(default_factory=list)

    @property
    def clock(self) -> FakeClock:
        assert isinstance(self.site.clock, FakeClock)
        return self.site.clock

    async def read(self) -> Snapshot:
        snapshot = await self.site.commands.refresh()
        await settle()
        return snapshot

    async def status(self) -> str:
        """ups.status as the real upsc sees it."""
        return await upsc_value(f"powerwall@127.0.0.1:{self.port}", "ups.status")

    def phase(self) -> Phase:
        return self.policy.state.phase

    def told(self, kind: EventKind) -> list[Event]:
        return [e for e in self.events if e.kind is kind]

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await settle()


CONFIG = ShutdownConfig(
    enabled=True, charge_below_percent=10.0, time_left_below_s=0.0, countdown_s=60.0, dry_run=True
)


@pytest.fixture
async def harnesses() -> AsyncIterator[list[Harness]]:
    made: list[Harness] = []
    yield made
    for h in made:
        await h.policy.stop()
        await h.ups.stop()
        await h.site.stop()


async def harness(
    sim: Simulator, made: list[Harness], config: ShutdownConfig = CONFIG, **backend: object
) -> Harness:
    site = site_for(sim)
    ups = UpsService(site, SessionSecrets())
    port = free_port()
    problem = await ups.apply(
        UpsConfig(f"127.0.0.1:{port}", (), "powerwall", "monuser", 10.0, 600.0)
    )
    assert problem is None
    policy = ShutdownPolicy(site, Supervisor(), ups, config, **backend)  # type: ignore[arg-type]
    h = Harness(site, sim, policy, ups, port)
    site.subscribe(policy.on_update)
    site.subscribe(lambda _s, events: h.events.extend(events))
    made.append(h)
    return h


async def counting_down(h: Harness) -> None:
    h.sim.grid_down()
    h.sim.set_state(soe=8.0)
    await h.read()
    assert h.phase() is Phase.COUNTDOWN


async def test_only_off_grid_below_the_threshold_and_after_the_countdown(
    sim_factory: SimFactory, harnesses: list[Harness]
) -> None:
    h = await harness(sim_factory(soe_percent=8.0), harnesses)
    await h.read()
    assert h.phase() is Phase.WATCHING  # 8 %, but the grid is up
    h.sim.set_state(soe=30.0)
    h.sim.grid_down()
    await h.read()
    assert h.phase() is Phase.WATCHING  # off grid, but well charged
    assert await h.status() == "OB"
    h.sim.set_state(soe=8.0)
    await h.read()
    (pending,) = h.told(EventKind.SHUTDOWN_PENDING)
    assert pending.severity is Severity.CRITICAL
    assert pending.data["countdown_s"] == 60.0
    assert h.policy.seconds_left() == 60.0
    title, body = event_text(pending)
    assert title == "Dry run: Shutting down this computer in 60 s"
    assert "its charge is 8 % (below 10 %)" in body
    assert "This is a dry run" in body
    assert await h.status() == "FSD OB LB"  # NUT clients are told at once
    await h.advance(59)
    assert h.policy.dry_runs == []
    assert h.policy.seconds_left() == 1.0
    await h.advance(1)
    ((dry_run),) = h.policy.dry_runs
    assert (dry_run.what, dry_run.reason) == (PowerAction.POWEROFF, Reason.CHARGE)
    (started,) = h.told(EventKind.SHUTDOWN_STARTED)
    assert event_text(started)[0] == "Dry run: Shutting down this computer now"
    assert h.phase() is Phase.DONE
    await h.read()  # still low, still off grid: once is enough
    assert len(h.told(EventKind.SHUTDOWN_PENDING)) == 1
    assert await h.status() == "FSD OB LB"  # the decision stands for the house


async def test_the_user_cancels_and_it_holds_until_the_grid_is_back(
    sim: Simulator, harnesses: list[Harness]
) -> None:
    h = await harness(sim, harnesses)
    await counting_down(h)
    assert h.policy.cancel()
    assert not h.policy.cancel()  # nothing left to cancel
    await until(lambda: h.told(EventKind.SHUTDOWN_CANCELLED), what="the cancel event")
    (cancelled,) = h.told(EventKind.SHUTDOWN_CANCELLED)
    assert cancelled.data["reason"] == "user"
    assert event_text(cancelled)[0] == "Shutdown of this computer cancelled"
    assert await h.status() == "OB LB"  # FSD withdrawn
    await h.advance(60)
    await h.read()  # still low: the user said no for this outage
    assert h.policy.dry_runs == []
    assert h.phase() is Phase.HELD
    h.sim.grid_up()
    await h.read()
    assert h.phase() is Phase.WATCHING
    h.sim.advance(31)
    await h.read()
    h.sim.grid_down()  # the next outage, still low: a new countdown
    await h.read()
    assert h.phase() is Phase.COUNTDOWN
    assert len(h.told(EventKind.SHUTDOWN_PENDING)) == 2


async def test_the_grid_coming_back_cancels_the_countdown(
    sim: Simulator, harnesses: list[Harness]
) -> None:
    h = await harness(sim, harnesses)
    await counting_down(h)
    await h.advance(30)
    h.sim.grid_up()
    await h.read()
    (cancelled,) = h.told(EventKind.SHUTDOWN_CANCELLED)
    assert cancelled.data["reason"] == "grid"
    assert event_text(cancelled)[1] == "The grid is back."
    assert "FSD" not in await h.status()
    await h.advance(60)
    assert h.policy.dry_runs == []


async def test_the_charge_recovering_past_the_margin_cancels_it(
    sim: Simulator, harnesses: list[Harness]
) -> None:
    h = await harness(sim, harnesses)
    await counting_down(h)
    h.sim.set_state(soe=11.0)  # above 10 %, within the 3 % margin: still counting
    await h.read()
    assert h.phase() is Phase.COUNTDOWN
    h.sim.set_state(soe=14.0)
    await h.read()
    (cancelled,) = h.told(EventKind.SHUTDOWN_CANCELLED)
    assert cancelled.data["reason"] == "recovered"
    assert h.phase() is Phase.WATCHING
    assert "FSD" not in await h.status()


async def test_time_left_below_its_threshold_starts_the_countdown(
    sim_factory: SimFactory, harnesses: list[Harness]
) -> None:
    config = ShutdownConfig(
        enabled=True,
        charge_below_percent=0.0,
        time_left_below_s=1800.0,
        countdown_s=120.0,
        dry_run=True,
        what=PowerAction.HIBERNATE,
    )
    h = await harness(sim_factory(soe_percent=20.0), harnesses, config)
    h.sim.grid_down()
    h.sim.set_state(load_w=6000.0)  # 2.7 kWh left at 6 kW: 27 minutes
    snapshot = await h.read()
    assert snapshot.estimates.time_to_empty_s is not None
    assert snapshot.estimates.time_to_empty_s < 1800
    (pending,) = h.told(EventKind.SHUTDOWN_PENDING)
    assert pending.data["reason"] == "time_left"
    title, body = event_text(pending)
    assert title == "Dry run: Hibernating this computer in 120 s"
    assert "(below 30 min)" in body


async def test_switching_it_off_cancels_a_countdown_and_stale_data_never_starts_one(
    sim: Simulator, harnesses: list[Harness]
) -> None:
    h = await harness(sim, harnesses)
    await counting_down(h)
    h.policy.apply(ShutdownConfig())  # off, as in Preferences
    await until(lambda: h.told(EventKind.SHUTDOWN_CANCELLED), what="the cancel event")
    assert h.told(EventKind.SHUTDOWN_CANCELLED)[0].data["reason"] == "disabled"
    assert "FSD" not in await h.status()
    h.policy.apply(CONFIG)
    h.sim.set_fault("drop", rate=1.0)
    stale = await h.read()
    assert not stale.connectivity.live
    assert stale.soe_percent is not None
    assert stale.soe_percent < 10  # the last reading was low ...
    assert h.phase() is Phase.WATCHING  # ... but it is not a live reading


def test_the_settings_make_the_policy_and_the_demo_only_ever_pretends() -> None:
    settings = Settings(
        shutdown=Shutdown(enabled=True, what="suspend", time_left_below_min=15, countdown_s=30)
    )
    config = shutdown_config(settings)
    assert config == ShutdownConfig(
        enabled=True,
        what=PowerAction.SUSPEND,
        charge_below_percent=10.0,
        time_left_below_s=900.0,
        countdown_s=30.0,
        dry_run=False,
    )
    assert shutdown_config(settings, demo=True).dry_run
    assert not shutdown_config(Settings()).enabled  # off unless switched on


# ---------------------------------------------------------------------- logind
async def test_logind_is_asked_first_then_told_to_power_off_without_a_prompt(
    tmp_path: Path,
) -> None:
    with private_logind(tmp_path) as logind:
        await LogindBackend(bus=logind.address).perform(PowerAction.POWEROFF)
        assert logind.calls() == [("CanPowerOff", "", []), ("PowerOff", "b", [False])]


@pytest.mark.parametrize(
    ("what", "answer", "words"),
    [
        (PowerAction.HIBERNATE, "na", "this computer cannot hibernate"),
        (PowerAction.SUSPEND, "challenge", "only after typing a password"),
        (PowerAction.POWEROFF, "no", "does not let this user shut down"),
    ],
)
async def test_logind_saying_no_is_explained_and_nothing_is_done(
    tmp_path: Path, what: PowerAction, answer: str, words: str
) -> None:
    ask = {
        PowerAction.POWEROFF: "CanPowerOff",
        PowerAction.HIBERNATE: "CanHibernate",
        PowerAction.SUSPEND: "CanSuspend",
    }[what]
    with private_logind(tmp_path, {ask: answer}) as logind:
        with pytest.raises(PowerError, match=words):
            await LogindBackend(bus=logind.address).perform(what)
        assert logind.calls() == [(ask, "", [])]


async def test_the_policy_powers_off_through_logind_at_the_end_of_the_countdown(
    sim: Simulator, harnesses: list[Harness], tmp_path: Path
) -> None:
    with private_logind(tmp_path) as logind:
        config = ShutdownConfig(enabled=True, charge_below_percent=10.0, dry_run=False)
        h = await harness(sim, harnesses, config, backend=LogindBackend(bus=logind.address))
        await counting_down(h)
        await h.advance(60)
        await until(lambda: len(logind.calls()) == 2, what="logind to be told")
        assert logind.calls()[-1] == ("PowerOff", "b", [False])
        (started,) = h.told(EventKind.SHUTDOWN_STARTED)
        assert event_text(started)[0] == "Shutting down this computer now"
        assert h.policy.dry_runs == []


async def test_no_logind_on_the_bus_is_a_failure_told_in_words(
    sim: Simulator, harnesses: list[Harness]
) -> None:
    with private_bus() as address:
        config = ShutdownConfig(enabled=True, charge_below_percent=10.0, dry_run=False)
        h = await harness(sim, harnesses, config, backend=LogindBackend(bus=address))
        await counting_down(h)
        await h.advance(60)
        await until(lambda: h.told(EventKind.SHUTDOWN_FAILED), what="the failure")
        (failed,) = h.told(EventKind.SHUTDOWN_FAILED)
        title, body = event_text(failed)
        assert title == "This computer could not shut down"
        assert "logind refused CanPowerOff: org.freedesktop.DBus.Error.ServiceUnknown" in body
        await h.read()
        assert "FSD" in await h.status()  # the house's other computers still shut down


# ---------------------------------------------------------------------- other platforms
async def test_a_system_command_that_fails_is_explained() -> None:
    backend = CommandBackend(
        {
            PowerAction.POWEROFF: [
                sys.executable,
                "-c",
                "print('not allowed'); raise SystemExit(5)",
            ],
            PowerAction.HIBERNATE: "not on this system",
        }
    )
    with pytest.raises(PowerError, match="failed \\(exit code 5\\): not allowed"):
        await backend.perform(PowerAction.POWEROFF)
    with pytest.raises(PowerError, match="not on this system"):
        await backend.perform(PowerAction.HIBERNATE)


def test_windows_and_macos_use_their_own_programs() -> None:
    windows = WindowsBackend(r"C:\Windows").commands
    assert windows[PowerAction.POWEROFF] == [r"C:\Windows\System32\shutdown.exe", "/s", "/t", "0"]
    assert windows[PowerAction.HIBERNATE] == [r"C:\Windows\System32\shutdown.exe", "/h"]
    mac = macos_backend().commands
    assert mac[PowerAction.SUSPEND] == ["/usr/bin/pmset", "sleepnow"]
    assert mac[PowerAction.POWEROFF][-1] == 'tell application "System Events" to shut down'
    assert isinstance(mac[PowerAction.HIBERNATE], str)  # explained, not attempted


def test_the_grid_state_words_for_a_pending_shutdown_name_the_deadline() -> None:
    event = Event(
        EventKind.SHUTDOWN_PENDING,
        Severity.CRITICAL,
        0.0,
        {
            "countdown_s": 60.0,
            "deadline": 60.0,
            "what": "suspend",
            "reason": "charge",
            "soe": 9.0,
            "threshold": 10.0,
            "dry_run": 0.0,
        },
    )
    title, body = event_text(event)
    assert title == "Suspending this computer in 60 s"
    assert "pwtray will suspend this computer at" in body
    assert "dry run" not in body
