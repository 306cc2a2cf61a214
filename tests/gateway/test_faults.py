"""Each way a gateway misbehaves ends in the right typed error with a message for people."""

from __future__ import annotations

import socket

import pytest

from pwtray.gateway import (
    EndpointNotSupportedError,
    GatewayClient,
    GatewayError,
    GatewayProtocolError,
    GatewayUnavailableError,
    GatewayUnreachableError,
)
from pwtray.gateway._client import Timeouts
from tests.conftest import SimFactory
from tests.gateway.helpers import client_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_nothing_listening() -> None:
    async with GatewayClient(f"127.0.0.1:{free_port()}", password="x") as gw:
        with pytest.raises(GatewayUnreachableError, match="connection refused") as caught:
            await gw.soe()
    assert "Check that it is powered on" in str(caught.value)


async def test_slow_gateway_times_out(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim, timeouts=Timeouts(connect_s=2, read_s=0.3)) as gw:
        await gw.soe()
        sim.set_fault("slow", latency_ms=1000)
        with pytest.raises(GatewayUnreachableError, match="no answer in time"):
            await gw.soe()
        sim.clear_faults()
        assert (await gw.soe()).percentage > 0  # recovers on its own


async def test_dropped_connections(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as gw:
        await gw.soe()
        sim.set_fault("drop", rate=1)
        with pytest.raises(GatewayUnreachableError, match="connection was cut"):
            await gw.soe()
        sim.clear_faults()
        assert (await gw.soe()).percentage > 0


async def test_malformed_json_names_the_endpoint(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as gw:
        await gw.soe()
        sim.set_fault("malformed-json", rate=1)
        with pytest.raises(GatewayProtocolError) as caught:
            await gw.meters_aggregates()
    assert caught.value.endpoint == "/api/meters/aggregates"
    assert "/api/meters/aggregates" in str(caught.value)


async def test_html_error_pages(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as gw:
        await gw.soe()
        sim.set_fault("html-error", rate=1, status=503)
        with pytest.raises(GatewayUnavailableError, match="busy or restarting"):
            await gw.soe()
        sim.set_fault("html-error", rate=1, status=200)
        with pytest.raises(GatewayProtocolError, match="web page arrived instead of JSON"):
            await gw.soe()


async def test_stopped_powerwalls_give_502_but_sitemaster_answers(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("sitemaster-stopped",))
    async with client_for(sim) as gw:
        with pytest.raises(GatewayUnavailableError) as caught:
            await gw.meters_aggregates()
        assert caught.value.sitemaster_stopped
        assert "Powerwalls are stopped" in str(caught.value)
        assert not (await gw.sitemaster()).running


async def test_endpoints_missing_from_old_firmware(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    async with client_for(sim) as gw:
        with pytest.raises(EndpointNotSupportedError, match="does not offer /api/system_status"):
            await gw.system_status()


async def test_every_error_is_a_gateway_error_with_plain_words(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    errors: list[GatewayError] = []
    for fault, options in [("drop", {}), ("malformed-json", {}), ("html-error", {"status": 500})]:
        sim.set_fault(fault, rate=1, **options)
        async with client_for(sim, generation=None) as gw:
            try:
                await gw.soe()
            except GatewayError as exc:
                errors.append(exc)
        sim.clear_faults()
    assert len(errors) == 3
    for error in errors:
        text = str(error)
        assert text[0].isupper()
        assert text.endswith(".")
        assert "httpx" not in text
        assert "Traceback" not in text
        assert error.__cause__ is not None or isinstance(error, GatewayUnavailableError)
