"""The peer libraries (bench extra) read the simulator correctly: an independent check that the
simulator speaks the gateway's protocol, not just the protocol our own client expects."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSWORD, SimFactory, require

pytestmark = pytest.mark.peer


# pypowerwall turns certificate checks off (PROTOCOL.md §1); urllib3 warns about that on each call.
@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_pypowerwall_reads_soe_powers_and_the_outage(
    sim_factory: SimFactory, tmp_path: Path
) -> None:
    pypowerwall = require("pypowerwall")
    sim = sim_factory()
    pw = pypowerwall.Powerwall(
        sim.address,
        PASSWORD,
        "me@example.com",
        "America/Los_Angeles",
        pwcacheexpire=0,
        cachefile=str(tmp_path / ".powerwall"),
        authpath=str(tmp_path),
    )
    state = sim.state()
    assert pw.level() == pytest.approx(state["soe_raw"], abs=0.1)  # pypowerwall's raw scale
    assert pw.level(scale=True) == pytest.approx(state["soe_percent"], abs=0.1)
    assert pw.grid_status() == "UP"
    assert pw.home() == pytest.approx(pw.solar() + pw.battery() + pw.grid(), abs=5)

    sim.grid_down()
    assert pw.grid_status() == "DOWN"
    assert pw.grid() == 0
    sim.grid_up()
    assert pw.grid_status() == "SYNCING"  # SystemTransitionToGrid
    sim.advance(60)
    assert pw.grid_status() == "UP"
    assert pw.version().startswith("24.36.2")


async def test_tesla_powerwall_reads_soe_meters_and_the_outage(sim_factory: SimFactory) -> None:
    tesla_powerwall = require("tesla_powerwall")
    sim = sim_factory()
    async with tesla_powerwall.Powerwall(sim.base_url + "/") as pw:
        await pw.login(PASSWORD, "me@example.com")
        assert await pw.get_charge() == pytest.approx(sim.state()["soe_raw"], abs=0.1)
        meters = await pw.get_meters()
        assert meters.load.instant_power == pytest.approx(
            meters.solar.instant_power + meters.battery.instant_power + meters.site.instant_power,
            abs=5,
        )
        assert await pw.get_grid_status() == tesla_powerwall.GridStatus.CONNECTED
        sim.grid_down()
        assert await pw.get_grid_status() == tesla_powerwall.GridStatus.ISLANDED
        status = await pw.get_status()
        assert status.version.startswith("24.36.2")
        reserve = await pw.get_backup_reserve_percentage()
        assert reserve == pytest.approx(24.0)
