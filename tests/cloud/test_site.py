"""The site to control is the one whose gateway is the local gateway (its DIN); with one
Powerwall site that is the one; with several and no match the user chooses."""

from __future__ import annotations

import pytest

from pwtray.cloud import EnergySite, SiteChoiceRequiredError, SiteNotFoundError, choose_site
from pwtray.gateway import GatewayClient
from tests.cloud.conftest import CloudFactory, FakeClock
from tests.conftest import PASSWORD

HOME = EnergySite(101, "Home", "1232100-00-E--TG1234567890G1", "battery")
CABIN = EnergySite(202, "Cabin", "1232100-00-E--TG9999999999X9", "battery")
SOLAR_ONLY = EnergySite(303, "Roof", None, "solar")


def test_the_gateways_din_picks_the_site() -> None:
    choice = choose_site([CABIN, HOME], " 1232100-00-e--tg1234567890g1 ")
    assert (choice.site, choice.matched_din) == (HOME, True)


def test_the_serial_alone_matches_when_the_part_number_differs() -> None:
    choice = choose_site([CABIN, HOME], "1152100-14-J--TG1234567890G1")
    assert (choice.site, choice.matched_din) == (HOME, True)


def test_the_only_powerwall_site_is_taken_and_flagged_when_its_din_differs() -> None:
    choice = choose_site([SOLAR_ONLY, CABIN], "1232100-00-E--TG1234567890G1")
    assert (choice.site, choice.matched_din) == (CABIN, False)
    assert choose_site([CABIN], None).site == CABIN


def test_several_sites_and_no_match_asks_the_user() -> None:
    with pytest.raises(SiteChoiceRequiredError) as caught:
        choose_site([HOME, CABIN, SOLAR_ONLY], "1232100-00-E--TG0000000000Z0")
    assert caught.value.sites == (HOME, CABIN)  # the solar-only site has no reserve to set
    assert "has 2 energy sites and none has the gateway 1232100-00-E--TG0000000000Z0" in str(
        caught.value
    )


def test_an_account_without_a_powerwall() -> None:
    with pytest.raises(SiteNotFoundError, match="no Powerwall"):
        choose_site([SOLAR_ONLY], None)


async def test_the_site_is_chosen_by_the_local_gateways_din(
    cloud_factory: CloudFactory, clock: FakeClock
) -> None:
    cloud = cloud_factory(other_sites=("1232100-00-E--TG5555555555A5", "1232100-00-E--TG7777"))
    async with GatewayClient(
        cloud.gateway.address, password=PASSWORD, fingerprint=cloud.gateway.fingerprint
    ) as gateway:
        din = (await gateway.status()).din
    client = await cloud.connected(clock)  # connect(din of the simulator's config)
    async with client:
        choice = await client.select_site(din)
        assert client.calls[-1] == "GET products"
        settings = await client.read_settings()
    assert choice.matched_din
    assert choice.site.site_id == cloud.sim.config.energy_site_id
    assert settings.gateway_dins == (din,)
    with pytest.raises(SiteChoiceRequiredError) as caught:
        async with cloud.client(client.tokens.store, clock) as other:
            await other.select_site("1232100-00-E--TG0000000000Z0")
    assert len(caught.value.sites) == 3
