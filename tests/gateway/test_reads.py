"""Every endpoint through the client, against the simulator over real TLS, both generations."""

from __future__ import annotations

import asyncio

import pytest

from pwtray.gateway import (
    EndpointNotSupportedError,
    GatewayClient,
    GatewayProtocolError,
    Generation,
    GridState,
    OperationMode,
    api_to_app,
)
from tests.conftest import PASSWORD, SimFactory
from tests.gateway.helpers import client_for, logins

FIRMWARES = ["1.15.0", "21.44 223a56cd", "24.36.2 46990655"]


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_every_endpoint_decodes(sim_factory: SimFactory, firmware: str) -> None:
    sim = sim_factory(firmware=firmware, powerwalls=2)
    legacy = firmware.startswith("1.")
    async with client_for(sim) as gw:
        assert await gw.generation() is (Generation.LEGACY if legacy else Generation.CURRENT)
        meters = await gw.meters_aggregates()
        assert meters.load.instant_power == pytest.approx(
            meters.solar.instant_power + meters.battery.instant_power + meters.site.instant_power,
            abs=5,
        )
        soe = await gw.soe()
        assert soe.app_percent == pytest.approx(60, abs=0.5)
        assert (await gw.grid_status()).state is GridState.CONNECTED
        assert (await gw.sitemaster()).running
        status = await gw.status()
        assert status.firmware == firmware.split()[0]
        assert status.legacy is legacy
        powerwalls = await gw.powerwalls()
        assert len(powerwalls.powerwalls) == 2
        assert (await gw.operation()).mode == "self_consumption"
        assert (await gw.site_info()).grid.grid_freq_setting == 60
        assert (await gw.site_name()).site_name == "Home Energy Gateway"
        assert (await gw.registration()).registered
        assert (await gw.update_status()).state.startswith("/update_")
        assert await gw.grid_faults() == []
        assert len(await gw.grid_codes()) >= 1
        assert (await gw.solars())[0].brand == "SolarEdge Technologies"
        assert "SolarEdge Technologies" in await gw.solar_brands()
        assert "SE7600H-US" in await gw.solar_brand_models("SolarEdge Technologies")
        assert (await gw.generators()).generators == []
        assert await gw.generator_disconnect_types() == ["DownstreamATS"]
        assert (await gw.customer()).country == "US"
        assert (await gw.config()).vin.startswith("1232100-00-E--")
        assert (await gw.meters())[0].cts[0].type == "solar"
        readings = await gw.meter_readings()
        assert len(next(iter(readings.values())).data.cts) == 4  # type: ignore[union-attr]
        assert (await gw.installer()).company
        networks = await gw.networks()
        assert any(n.addresses for n in networks)
        assert len(await gw.system_networks()) == 3
        assert "WEP" in await gw.wifi_security_types()
        assert (await gw.system_testing()).status == "TestPassed"
        if legacy:
            with pytest.raises(EndpointNotSupportedError):
                await gw.system_status()
            with pytest.raises(EndpointNotSupportedError):
                await gw.meters_site()
        else:
            system = await gw.system_status()
            assert len(system.battery_blocks) == 2
            assert system.nominal_full_pack_energy > system.nominal_energy_remaining > 0
            assert (await gw.meters_site())[0].location == "site"
            assert (await gw.meters_solar())[0].location == "solar"
            assert (await gw.troubleshooting_problems()).problems == []
            assert (await gw.auth_toggle_supported()).toggle_auth_supported
            assert not (await gw.powerwalls_status()).updating


async def test_values_agree_with_the_simulated_site(sim_factory: SimFactory) -> None:
    sim = sim_factory(soe_percent=73)
    async with client_for(sim) as gw:
        soe, operation = await asyncio.gather(gw.soe(), gw.operation())
    state = sim.state()
    assert soe.percentage == pytest.approx(state["soe_raw"], abs=0.05)
    assert soe.app_percent == pytest.approx(73, abs=0.05)
    assert OperationMode(operation.mode) is OperationMode.SELF_CONSUMPTION
    assert operation.reserve_app_percent == pytest.approx(20)
    assert api_to_app(operation.backup_reserve_percent) == pytest.approx(state["reserve_percent"])


async def test_a_poll_cycle_is_concurrent_with_one_login_and_reused_connections(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory()
    async with client_for(sim) as gw:
        for _ in range(5):
            await asyncio.gather(gw.meters_aggregates(), gw.soe(), gw.grid_status())
    assert logins(sim) == 1
    assert sim.tls_handshakes <= 4  # the pool's connections, then keep-alive
    connections = {r.connection for r in sim.requests() if r.path != "/api/login/Basic"}
    assert len(connections) <= 4
    generation_reads = [r for r in sim.requests() if r.path == "/api/status"]
    assert len(generation_reads) == 1  # the firmware generation is asked once


async def test_connectivity_tests_wait_for_results(sim_factory: SimFactory) -> None:
    sim = sim_factory(speed=20)  # the simulated tests take 2 simulated seconds
    async with client_for(sim) as gw:
        results = await gw.connectivity_tests(poll_s=0.05, timeout_s=5)
    assert results.finished
    assert results.results is not None
    assert all(test.passed for test in results.results.values())


async def test_plain_http_given_on_purpose_reads_a_1x_gateway(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0", plain_http=True)
    address = sim.http_url  # the seed's examples: http://<gateway>
    client = GatewayClient(address)  # no password: 1.x reads are open; no pin: nothing to pin
    assert client.address.plain
    assert str(client.address).startswith("http://")
    async with client:
        assert (await client.soe()).percentage > 0
        assert (await client.grid_status()).state is GridState.CONNECTED
    assert sim.tls_handshakes == 0  # plain, as asked: the app shows it as unencrypted


async def test_plain_http_to_current_firmware_is_explained(sim_factory: SimFactory) -> None:
    sim = sim_factory(plain_http=True)  # current firmware redirects plain HTTP to HTTPS
    async with GatewayClient(sim.http_url, password=PASSWORD) as client:
        with pytest.raises(GatewayProtocolError, match="redirect"):
            await client.soe()
