"""The connection doctor and the network information, against simulators over real TLS."""

from __future__ import annotations

import socket

from pwtray.core import diagnose, network_info, spaced_fingerprint
from pwtray.simulator import Simulator
from tests.conftest import PASSWORD, SimFactory
from tests.gateway.helpers import client_for
from tests.timepump import time_passes


def count(sim: Simulator, path: str) -> int:
    return sum(1 for r in sim.requests() if r.path == path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_healthy_gateway_passes_every_check(sim: Simulator) -> None:
    result = await diagnose(sim.address, fingerprint=sim.fingerprint, password=PASSWORD)
    assert [(c.name, c.ok) for c in result.checks] == [
        ("Reachable", True), ("Certificate", True), ("Gateway", True), ("Login", True),
        ("Response times", True),
    ]  # fmt: skip
    assert result.ok
    assert "current firmware" in result.check("Gateway").detail
    assert "Power readings in" in result.check("Response times").detail
    assert result.fingerprint == sim.fingerprint


async def test_nothing_listening_is_explained() -> None:
    result = await diagnose(f"127.0.0.1:{free_port()}", fingerprint=None, password=PASSWORD)
    reachable = result.check("Reachable")
    assert reachable.ok is False
    assert "connection refused" in reachable.detail
    assert "same network" in reachable.detail
    assert result.check("Login").ok is None  # not tried
    assert not result.ok


async def test_a_changed_certificate_stops_before_the_password(sim: Simulator) -> None:
    trusted = "ab" * 32
    result = await diagnose(sim.address, fingerprint=trusted, password=PASSWORD)
    cert = result.check("Certificate")
    assert cert.ok is False
    assert "No password was sent" in cert.detail
    assert "AB:AB:AB" in cert.detail
    assert not any(r.path == "/api/login/Basic" for r in sim.requests())


async def test_an_untrusted_certificate_is_shown_to_compare(sim: Simulator) -> None:
    result = await diagnose(sim.address, fingerprint=None, password=None)
    assert result.check("Certificate").ok is None
    assert spaced_fingerprint(sim.fingerprint) in result.check("Certificate").detail
    assert result.check("Login").detail == "No password given: the login was not tried."


async def test_a_wrong_password_and_a_lock_out_are_said(sim_factory: SimFactory) -> None:
    sim = sim_factory(lockout_after=1, lockout_s=300)
    wrong = await diagnose(sim.address, fingerprint=sim.fingerprint, password="nope!")
    assert wrong.check("Login").ok is False
    assert "rejected the password" in wrong.check("Login").detail
    locked = await diagnose(sim.address, fingerprint=sim.fingerprint, password="nope!")
    assert "after too many attempts" in locked.check("Login").detail
    assert "will not try again before" in locked.check("Login").detail


async def test_old_firmware_is_recognised(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    result = await diagnose(sim.address, fingerprint=sim.fingerprint, password=None)
    assert result.legacy is True
    assert "firmware 1.x" in result.check("Gateway").detail


async def test_network_info_reads_each_section(sim: Simulator) -> None:
    # The gateway's connectivity tests take some (simulated) seconds.
    async with client_for(sim) as gw, time_passes(sim):
        sections = {s.title: s for s in await network_info(gw)}
    assert list(sections) == ["Networks", "Wi-Fi", "Connectivity tests", "Site",
                              "Firmware and updates", "Registration", "Powerwalls"]  # fmt: skip
    assert {t: s.error for t, s in sections.items() if s.error} == {}
    networks = dict(sections["Networks"].rows)
    assert networks["Connected to Tesla"] == "yes"  # from the networks the gateway reports
    assert "Tesla reachable" in networks["Wi-Fi HomeWiFi"]
    site = dict(sections["Site"].rows)
    assert site["Name"] == "Home Energy Gateway"
    assert dict(sections["Firmware and updates"].rows)["Firmware"].startswith("24.36.2")
    assert sections["Powerwalls"].rows[0][1].startswith("serial ")
    assert count(sim, "/api/networks") == 1  # read once, for every section that shows it


async def test_a_section_that_fails_says_so_and_the_rest_show(sim: Simulator) -> None:
    sim.set_fault("malformed-json", paths="/api/site_info", rate=1.0)
    # The gateway's connectivity tests take some (simulated) seconds.
    async with client_for(sim) as gw, time_passes(sim):
        sections = {s.title: s for s in await network_info(gw)}
    site = sections["Site"]
    assert site.rows == []
    assert site.error is not None
    assert site.error.startswith("Could not read this: The gateway sent a reply pwtray")
    assert [t for t, s in sections.items() if s.error] == ["Site"]


async def test_old_firmware_shows_every_section_it_offers(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    # The gateway's connectivity tests take some (simulated) seconds.
    async with client_for(sim) as gw, time_passes(sim):
        sections = {s.title: s for s in await network_info(gw)}
    assert {t: s.error for t, s in sections.items() if s.error} == {}
    assert dict(sections["Networks"].rows)["Connected to Tesla"] == "not reported"
    assert dict(sections["Firmware and updates"].rows)["Firmware"] == "1.15.0"


async def test_plain_http_to_a_1x_gateway_is_checked_and_said_to_be_unencrypted(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(firmware="1.15.0", plain_http=True)
    result = await diagnose(sim.http_url, fingerprint=None, password=None)
    checks = {c.name: c for c in result.checks}
    assert checks["Reachable"].ok
    assert checks["Certificate"].ok is None
    assert "Not encrypted" in checks["Certificate"].detail
    assert "in the clear" in checks["Certificate"].detail
    assert checks["Gateway"].ok  # it went on to ask what answers, over plain HTTP
    assert result.firmware == "1.15.0"
    assert sim.tls_handshakes == 0
