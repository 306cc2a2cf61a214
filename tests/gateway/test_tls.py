"""Trust on first use, pinning inside the handshake, host names and SNI."""

from __future__ import annotations

import pytest

from pwtray.gateway import (
    CertificateChangedError,
    GatewayUnreachableError,
    fetch_fingerprint,
    normalize_fingerprint,
)
from tests.conftest import SimFactory
from tests.gateway.helpers import client_for


async def test_fetch_fingerprint_reads_the_certificate(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    assert await fetch_fingerprint(sim.address) == sim.fingerprint
    assert sim.requests() == []  # reading a certificate sends no request


async def test_a_wrong_pin_stops_before_any_request(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    wrong = "ab" * 32
    async with client_for(sim, fingerprint=wrong) as gw:
        with pytest.raises(CertificateChangedError) as caught:
            await gw.soe()
    assert caught.value.expected == wrong
    assert caught.value.actual == sim.fingerprint
    assert "Nothing was sent" in str(caught.value)
    assert sim.requests() == []  # no status probe, no login, no password


async def test_certificate_rotation_mid_session_sends_nothing_after_it(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(scenarios=("cert-rotation:at=60",))
    async with client_for(sim, keep_session=True) as gw:
        await gw.soe()
        before = len(sim.requests())
        sim.advance(61)  # the gateway is "replaced": new certificate, connections closed
        for _ in range(3):
            with pytest.raises(CertificateChangedError):
                await gw.meters_aggregates()
        assert len(sim.requests()) == before
        # The client reached the new certificate and refused it before even finishing the
        # handshake: the gateway never saw a completed TLS session, let alone a request.
        assert sim.tls_failures >= 1


async def test_trust_on_first_use_records_the_first_fingerprint(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim, fingerprint=None) as gw:
        assert gw.fingerprint is None
        await gw.soe()
        assert gw.fingerprint == sim.fingerprint


def test_fingerprint_formats_are_accepted() -> None:
    plain = "0f" * 32
    assert normalize_fingerprint(plain.upper()) == plain
    assert normalize_fingerprint(":".join(["0F"] * 32)) == plain
    assert normalize_fingerprint("sha256=" + plain) == plain
    with pytest.raises(ValueError, match="64 hexadecimal digits"):
        normalize_fingerprint("abc")


async def test_host_names_are_resolved_and_sent_with_sni_powerwall(sim_factory: SimFactory) -> None:
    sim = sim_factory()  # aborts handshakes whose SNI is not the IP, teg, powerwall or powerpack
    asked: list[str] = []

    async def resolver(host: str, port: int) -> str:
        asked.append(host)
        return "127.0.0.1"

    async with client_for(sim, resolver=resolver) as gw:
        gw_by_name = type(gw)(f"powerwall.home.lan:{sim.port}", password=gw._password,
                              fingerprint=sim.fingerprint, resolver=resolver)  # fmt: skip
        async with gw_by_name:
            assert (await gw_by_name.soe()).percentage > 0
    assert asked == ["powerwall.home.lan"]


async def test_a_name_that_does_not_resolve(sim_factory: SimFactory) -> None:
    sim = sim_factory()

    async def resolver(host: str, port: int) -> str:
        raise OSError("Name or service not known")

    async with client_for(sim) as reference:
        password = reference._password
    from pwtray.gateway import GatewayClient

    async with GatewayClient("nowhere.invalid", password=password, resolver=resolver) as gw:
        with pytest.raises(GatewayUnreachableError, match="does not resolve"):
            await gw.soe()
