"""Writes with read-back: mode and reserve, off-grid, site master, site name."""

from __future__ import annotations

import pytest

from pwtray.gateway import (
    Generation,
    GridState,
    OperationMode,
    PermissionDeniedError,
    RequestRefusedError,
    WriteNotAppliedError,
)
from tests.conftest import SimFactory
from tests.gateway.helpers import client_for, logins


async def test_legacy_firmware_sets_mode_and_reserve(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    async with client_for(sim) as gw:
        applied = await gw.set_operation(OperationMode.BACKUP, 30)
    assert applied.mode == "backup"
    assert applied.reserve_app_percent == pytest.approx(30, abs=0.01)
    assert applied.backup_reserve_percent == pytest.approx(33.5)
    state = sim.state()
    assert state["mode"] == "backup"
    assert state["reserve_percent"] == pytest.approx(30, abs=0.01)
    paths = [r.path for r in sim.requests() if r.method == "POST" or "config" in r.path]
    assert paths[-2:] == ["/api/operation", "/api/config/completed"]


async def test_current_firmware_refuses_and_says_why_without_relogin(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory()
    async with client_for(sim) as gw:
        with pytest.raises(PermissionDeniedError, match="use the Tesla app"):
            await gw.set_operation("self_consumption", 50)
    assert logins(sim) == 1  # a refused write is not a reason to log in again
    assert sim.state()["reserve_percent"] == pytest.approx(20)


async def test_current_firmware_when_the_gateway_allows_writes(sim_factory: SimFactory) -> None:
    sim = sim_factory(allow_writes=True)
    async with client_for(sim) as gw:
        applied = await gw.set_operation(OperationMode.AUTONOMOUS, 55)
    assert applied.real_mode == "autonomous"
    assert applied.reserve_app_percent == pytest.approx(55, abs=0.01)


async def test_unknown_mode_is_refused_before_sending(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    async with client_for(sim) as gw:
        with pytest.raises(ValueError, match="party"):
            await gw.set_operation("party", 20)
    assert not [r for r in sim.requests() if r.method == "POST"]


async def test_a_write_that_did_not_stick_is_reported(sim_factory: SimFactory) -> None:
    sim = sim_factory(allow_writes=True)
    sim.set_fault("ignore-writes")  # the write is answered as accepted, then never applied
    async with client_for(sim, generation=Generation.CURRENT) as gw:
        with pytest.raises(WriteNotAppliedError, match="did not take effect"):
            await gw.set_operation("backup", 80)


async def test_go_off_grid_and_back(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as gw:
        assert await gw.set_off_grid(True) is GridState.TRANSITION_TO_ISLAND
        sim.advance(5)
        assert (await gw.grid_status()).state is GridState.ISLANDED
        assert await gw.set_off_grid(False) is GridState.TRANSITION_TO_GRID
        sim.advance(10)
        assert (await gw.grid_status()).state is GridState.CONNECTED


@pytest.mark.parametrize("firmware", ["1.15.0", "24.36.2 46990655"])
async def test_stop_and_run_the_site_master(sim_factory: SimFactory, firmware: str) -> None:
    sim = sim_factory(firmware=firmware)
    sim.set_state(load_w=800, solar_w=0)  # a quiet house: the battery moves well under 4 kW
    async with client_for(sim) as gw:
        assert not (await gw.stop_sitemaster()).running
        assert (await gw.run_sitemaster()).running


async def test_a_refused_stop_says_why_in_the_gateways_words(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    sim.set_state(load_w=6500, solar_w=0)  # the battery pushes more than 4 kW: stopping is unsafe
    async with client_for(sim) as gw:
        with pytest.raises(RequestRefusedError) as refused:
            await gw.stop_sitemaster()
        assert refused.value.status == 412
        assert "Power flow is too high" in refused.value.reason
        assert "report" not in str(refused.value)  # an ordinary refusal, not a firmware change
        assert (await gw.sitemaster()).running


async def test_rename_the_site(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as gw:
        assert (await gw.set_site_name("Cabin")).site_name == "Cabin"


async def test_firmware_1x_is_not_sent_a_mode_it_refuses(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    async with client_for(sim) as gw:
        with pytest.raises(RequestRefusedError, match="does not offer the mode autonomous"):
            await gw.set_operation(OperationMode.AUTONOMOUS, 30)
    assert not [r for r in sim.requests() if r.method == "POST"]


async def test_the_solar_export_limit_of_firmware_1x(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    async with client_for(sim) as gw:
        assert (await gw.operation()).max_pv_export_power_kW is None  # the seed's null
        applied = await gw.set_max_pv_export(4.5)
        assert applied.max_pv_export_power_kW == 4.5
        assert (await gw.set_max_pv_export(None)).max_pv_export_power_kW is None
        with pytest.raises(ValueError, match="not one a site can have"):
            await gw.set_max_pv_export(-1)


async def test_current_firmware_has_no_export_limit_to_write(sim_factory: SimFactory) -> None:
    sim = sim_factory(allow_writes=True)
    async with client_for(sim) as gw:
        with pytest.raises(RequestRefusedError):
            await gw.set_max_pv_export(4.5)


async def test_unable_to_stop_is_the_gateways_refusal_in_its_words(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0", scenarios=("unable-to-stop",))
    sim.set_state(load_w=800, solar_w=0)
    async with client_for(sim) as gw:
        with pytest.raises(RequestRefusedError) as refused:
            await gw.stop_sitemaster()
        assert refused.value.status == 500
        assert "Unable to stop sitemaster" in refused.value.reason
        assert "busy" not in str(refused.value)


async def test_the_seeds_409_while_running_is_a_result(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    async with client_for(sim) as gw:
        assert (await gw.powerwalls_status()).sitemaster_running
