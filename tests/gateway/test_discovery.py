"""Discovery finds exactly the simulated gateways on 127.0.0.x and nothing else."""

from __future__ import annotations

import socket

import pytest

from pwtray.gateway import GatewayAddress, discover
from tests.conftest import SimFactory


def closed_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


async def test_finds_the_gateways_and_skips_closed_ports(sim_factory: SimFactory) -> None:
    current = sim_factory(host="127.0.0.2")
    legacy = sim_factory(host="127.0.0.3", firmware="1.15.0")
    candidates = [current.address, legacy.address, f"127.0.0.4:{closed_port('127.0.0.4')}"]
    found = await discover(candidates, timeout_s=1)
    by_host = {g.address.host: g for g in found}
    assert set(by_host) == {"127.0.0.2", "127.0.0.3"}
    assert by_host["127.0.0.2"].din == "1232100-00-E--TG1234567890G1"
    assert by_host["127.0.0.2"].fingerprint == current.fingerprint
    assert not by_host["127.0.0.2"].legacy
    assert by_host["127.0.0.3"].legacy
    assert by_host["127.0.0.3"].firmware == "1.15.0"
    assert by_host["127.0.0.3"].fingerprint == legacy.fingerprint
    assert current.requests()[0].path == "/api/status"
    assert len(current.requests()) == 1  # one probe, no login


async def test_an_https_server_that_is_not_a_gateway_is_skipped(sim_factory: SimFactory) -> None:
    other = sim_factory(host="127.0.0.5")
    other.set_fault("html-error", rate=1, status=200)
    assert await discover([other.address], timeout_s=1) == []


async def test_bounded_concurrency_on_many_dead_addresses() -> None:
    addresses = [GatewayAddress("127.0.0.6", closed_port("127.0.0.6")) for _ in range(40)]
    assert await discover(addresses, concurrency=8, timeout_s=0.5) == []


@pytest.mark.parametrize(
    ("text", "host", "port", "sni"),
    [
        ("192.0.2.10", "192.0.2.10", 443, None),
        ("192.0.2.10:8443", "192.0.2.10", 8443, None),
        ("https://192.0.2.10/", "192.0.2.10", 443, None),
        ("[::1]:8443", "::1", 8443, None),
        ("::1", "::1", 443, None),
        ("powerwall.home.lan", "powerwall.home.lan", 443, "powerwall"),
        ("teg:8443", "teg", 8443, "teg"),
    ],
)
def test_addresses(text: str, host: str, port: int, sni: str | None) -> None:
    address = GatewayAddress.parse(text)
    assert (address.host, address.port, address.sni) == (host, port, sni)


@pytest.mark.parametrize("text", ["", "host:99999", "host:abc", "two words"])
def test_bad_addresses(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each has its own message
        GatewayAddress.parse(text)
