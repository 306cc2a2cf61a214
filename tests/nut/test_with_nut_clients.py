"""Real NUT clients (upsc, upsmon) against the server, fed by the real poller and the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from pwtray.monitor import Connectivity, Poller, Schedule
from pwtray.nut import LowMarks, NutServer
from pwtray.simulator import Simulator
from tests.conftest import SimFactory
from tests.gateway.helpers import client_for
from tests.nut.conftest import USER, Serve
from tests.nut.helpers import parse_upsc, running_upsmon, upsc, upsc_value
from tests.waiting import until

FAST = Schedule(fast_s=0.2, slow_s=1.0, rare_s=5.0, offline_after_s=1.0, backoff_cap_s=0.8)


@asynccontextmanager
async def monitored(sim: Simulator) -> AsyncIterator[Poller]:
    """A poller that reads only when the test says so (``refresh``): one call, one poll."""
    async with client_for(sim) as client:
        poller = Poller(client, schedule=FAST)
        try:
            yield poller
        finally:
            await poller.stop()


@asynccontextmanager
async def polling(sim: Simulator) -> AsyncIterator[Poller]:
    """A poller on its own fast schedule, as in the app."""
    async with monitored(sim) as poller:
        task = asyncio.create_task(poller.run())
        try:
            yield poller
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task


def target(server: NutServer) -> str:
    return f"powerwall@127.0.0.1:{server.listen.port}"


async def test_upsc_lists_the_powerwall_as_a_ups(sim_factory: SimFactory, serve: Serve) -> None:
    sim = sim_factory(soe_percent=66, powerwalls=2)
    async with monitored(sim) as poller:
        snapshot = await poller.refresh()
        server = await serve(lambda: poller.snapshot)
        run = await upsc(target(server))
    assert run.returncode == 0, run.stderr
    shown = parse_upsc(run.stdout)
    assert shown["ups.status"] == "OL"
    assert shown["battery.charge"] == str(round(snapshot.soe_percent or -1))
    assert shown["battery.charge"] == "66"
    assert shown["device.serial"] == snapshot.din
    assert shown["device.mfr"] == shown["ups.mfr"] == "Tesla"
    assert shown["device.model"] == "Powerwall 2"
    assert shown["driver.name"] == "pwtray"
    assert shown["ups.realpower.nominal"] == "10000"
    load_w = snapshot.load_w or 0.0
    assert shown["ups.realpower"] == str(round(load_w))
    assert float(shown["ups.load"]) == pytest.approx(load_w / 100.0, abs=0.05)
    assert float(shown["input.voltage"]) == pytest.approx(240, abs=3)  # the site meter's
    assert "input.frequency" not in shown  # current firmware reports none
    assert list(shown) == sorted(shown)


async def test_upsc_reads_one_variable_and_lists_the_ups(
    sim_factory: SimFactory, serve: Serve
) -> None:
    sim = sim_factory()
    async with monitored(sim) as poller:
        await poller.refresh()
        server = await serve(lambda: poller.snapshot)
        assert await upsc_value(target(server), "ups.status") == "OL"
        assert await upsc_value(target(server), "battery.charge.low") == "10"
        listed = await upsc("-L", f"127.0.0.1:{server.listen.port}")
        assert listed.stdout.strip() == "powerwall: Tesla Powerwall 2 (pwtray)"
        missing = await upsc(target(server), "battery.voltage")
        assert missing.returncode != 0
        assert "Variable not supported by UPS" in missing.stderr
        unknown = await upsc(f"ups1@127.0.0.1:{server.listen.port}")
        assert "Unknown UPS" in unknown.stderr


async def test_an_outage_shows_as_on_battery_after_one_fast_poll(
    sim_factory: SimFactory, serve: Serve
) -> None:
    sim = sim_factory(soe_percent=55)
    async with monitored(sim) as poller:
        await poller.refresh()
        server = await serve(lambda: poller.snapshot, marks=LowMarks(charge_percent=40))
        assert await upsc_value(target(server), "ups.status") == "OL"
        sim.grid_down()
        await poller.refresh()  # one fast poll
        assert await upsc_value(target(server), "ups.status") == "OB"
        shown = parse_upsc((await upsc(target(server))).stdout)
        assert "input.voltage" not in shown  # the grid side reads 0 V: not reported
        assert shown["battery.charger.status"] == "discharging"
        sim.set_state(soe=39)  # below the low mark
        await poller.refresh()
        assert await upsc_value(target(server), "ups.status") == "OB LB"
        sim.grid_up()
        sim.advance(31)  # the gateway resynchronises and reconnects
        await poller.refresh()
        assert await upsc_value(target(server), "ups.status") == "OL LB"


async def test_the_live_poller_turns_the_status_on_battery_then_low(
    sim_factory: SimFactory, serve: Serve
) -> None:
    sim = sim_factory(soe_percent=50)
    async with polling(sim) as poller:
        server = await serve(lambda: poller.snapshot, marks=LowMarks(charge_percent=30))

        async def status() -> str:
            run = await upsc(target(server), "ups.status")
            return run.stdout.strip()

        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE)
        assert await status() == "OL"
        sim.grid_down()
        await until(lambda: poller.snapshot.off_grid, what="the poller to see the outage")
        assert await status() == "OB"
        sim.set_state(soe=25)
        await until(lambda: (poller.snapshot.soe_percent or 100) < 29, what="the low charge")
        assert await status() == "OB LB"


async def test_upsc_is_told_the_data_is_stale_when_the_gateway_stops_answering(
    sim_factory: SimFactory, serve: Serve
) -> None:
    sim = sim_factory()
    async with monitored(sim) as poller:
        await poller.refresh()
        server = await serve(lambda: poller.snapshot)
        sim.set_fault("drop", rate=1)
        await poller.refresh()
        assert poller.snapshot.connectivity is Connectivity.STALE
        run = await upsc(target(server), "ups.status")
        assert run.returncode != 0
        assert "Data stale" in run.stderr
        assert run.stdout == ""  # nothing old passed off as current
        sim.clear_faults()
        await poller.refresh()
        assert await upsc_value(target(server), "ups.status") == "OL"


async def test_a_real_upsmon_shuts_down_on_battery_low_and_not_before(
    sim_factory: SimFactory, serve: Serve, tmp_path: Path
) -> None:
    sim = sim_factory(soe_percent=50)
    async with polling(sim) as poller:
        server = await serve(lambda: poller.snapshot, user=USER, marks=LowMarks(charge_percent=30))
        await until(lambda: poller.snapshot.connectivity is Connectivity.ONLINE)
        port = server.listen.port
        with running_upsmon(tmp_path, port, USER.username, USER.password) as upsmon:
            await until(lambda: "OL" in upsmon.statuses(), what="upsmon to read OL")
            assert [c.logged_in for c in server.clients()] == [True]  # upsmon's LOGIN
            sim.grid_down()
            # on battery for longer than HOSTSYNC (1 s), read at every 1 s poll: no shutdown
            await until(lambda: upsmon.statuses().count("OB") >= 4, what="four OB readings")
            assert not upsmon.shut_down
            assert upsmon.process.poll() is None
            sim.set_state(soe=25)
            await until(lambda: upsmon.shut_down, what="upsmon's SHUTDOWNCMD")
            await until(lambda: upsmon.process.poll() is not None, what="upsmon to exit")
        assert "OB LB" in upsmon.statuses()
        assert "Executing automatic power-fail shutdown" in upsmon.wall_log.read_text()
        assert "on battery" in upsmon.wall_log.read_text()


async def test_upsmon_with_the_wrong_password_is_not_logged_in(
    sim_factory: SimFactory, serve: Serve, tmp_path: Path
) -> None:
    sim = sim_factory()
    async with monitored(sim) as poller:
        await poller.refresh()
        server = await serve(lambda: poller.snapshot, user=USER)
        with running_upsmon(tmp_path, server.listen.port, USER.username, "guess") as upsmon:
            await until(lambda: "ACCESS-DENIED" in upsmon.output(), what="upsmon's refusal")
            assert not any(c.logged_in for c in server.clients())
