"""Each way the cloud can fail is a typed error a person can read: missing permission, site
offline, rate-limited (with the wait), Tesla failing, network down, untrusted certificate."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from pwtray.cloud import (
    CloudCertificateError,
    CloudError,
    CloudProtocolError,
    CloudUnavailableError,
    CloudUnreachableError,
    CommandRefusedError,
    FleetClient,
    MemoryTokenStore,
    MissingScopeError,
    RateLimitedError,
    SiteNotFoundError,
    SiteOfflineError,
)
from tests.cloud.conftest import CLIENT_ID, Cloud, CloudFactory, FakeClock, browser_sign_in


async def test_a_sign_in_without_the_command_permission_can_read_but_not_change(
    cloud_factory: CloudFactory, clock: FakeClock
) -> None:
    # On Tesla's page the user unticked "sending commands".
    cloud = cloud_factory(granted_scopes=("openid", "offline_access", "energy_device_data"))
    store = MemoryTokenStore()
    await browser_sign_in(cloud, store, clock)
    async with cloud.client(store, clock) as client:
        await client.connect(cloud.din)
        settings = await client.read_settings()
        with pytest.raises(MissingScopeError) as caught:
            await client.set_mode("backup")
    error = caught.value
    assert error.scope == "energy_cmds"
    assert error.endpoint.endswith("/operation")
    assert 'does not include the permission "Energy Product Settings" (energy_cmds)' in str(error)
    assert "Sign in again and leave that permission ticked" in str(error)
    assert "Unauthorized missing scopes" in str(error)
    assert settings.mode == "self_consumption"  # nothing changed
    assert cloud.sim.pending() == []


@pytest.mark.parametrize(
    ("fault", "params", "error_type", "words"),
    [
        ("offline", {}, SiteOfflineError, "cannot reach your Powerwall right now (HTTP 408"),
        ("server_error", {"status": 503}, SiteOfflineError, "(HTTP 503"),
        ("server_error", {"status": 500}, CloudUnavailableError, "Tesla's cloud is failing"),
        ("server_error", {"status": 502}, CloudUnavailableError, "(HTTP 502"),
        (
            "missing_scope",
            {},
            MissingScopeError,
            '"Energy Product Information" (energy_device_data)',
        ),
    ],
)
async def test_failures_of_a_read_are_typed_and_in_words(
    cloud: Cloud,
    clock: FakeClock,
    fault: str,
    params: dict[str, int],
    error_type: type[CloudError],
    words: str,
) -> None:
    client = await cloud.connected(clock)
    async with client:
        cloud.sim.set_fault(fault, path="/site_info", **params)
        with pytest.raises(error_type) as caught:
            await client.read_settings()
    assert words in str(caught.value)
    assert cloud.paths()[-1][1] == "site_info"  # no retry of a failure that would fail again


async def test_rate_limited_waits_as_long_as_tesla_says_and_sends_nothing_meanwhile(
    cloud: Cloud, clock: FakeClock
) -> None:
    client = await cloud.connected(clock)
    async with client:
        cloud.sim.set_fault("rate_limit", count=1, retry_after_s=120)
        with pytest.raises(RateLimitedError) as caught:
            await client.read_settings()
        error = caught.value
        assert error.retry_after_s == 120
        assert error.until == dt.datetime.fromtimestamp(clock() + 120, dt.UTC)
        assert "limiting how often this account may call" in str(error)
        assert "about 120 s" in str(error)
        seen = len(cloud.sim.requests())
        clock.advance(119)
        with pytest.raises(RateLimitedError) as still:
            await client.set_reserve(40)
        assert still.value.retry_after_s == pytest.approx(1)
        assert len(cloud.sim.requests()) == seen  # refused here, not sent
        clock.advance(1)
        assert (await client.read_settings()).reserve_percent == 20


async def test_a_rate_limited_token_refresh_is_the_same_wait(
    cloud: Cloud, clock: FakeClock
) -> None:
    client = await cloud.connected(clock)
    async with client:
        clock.advance(cloud.sim.config.access_ttl_s)
        cloud.sim.set_fault("rate_limit", path="/token", count=1, retry_after_s=30)
        with pytest.raises(RateLimitedError, match="about 30 s"):
            await client.read_settings()
        with pytest.raises(RateLimitedError):
            await client.live_status()
        clock.advance(30)
        await client.live_status()


async def test_network_down_is_said_in_words(clock: FakeClock) -> None:
    with socket.socket() as spare:  # a loopback port nobody listens on
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    url = f"https://127.0.0.1:{port}"
    async with FleetClient(
        CLIENT_ID, MemoryTokenStore("NA_x"), cloud_url=url, auth_url=url, clock=clock, site_id=1
    ) as client:
        with pytest.raises(CloudUnreachableError) as caught:
            await client.read_settings()
    assert caught.value.host == "127.0.0.1"
    assert "Cannot reach Tesla's cloud at 127.0.0.1 (the connection was refused)" in str(
        caught.value
    )
    assert "internet connection" in str(caught.value)


async def test_a_certificate_from_another_ca_stops_everything_before_a_token_is_sent(
    cloud: Cloud, cloud_factory: CloudFactory, clock: FakeClock
) -> None:
    other = cloud_factory()  # its own CA
    store = MemoryTokenStore(cloud.sim.config.refresh_token)
    async with FleetClient(
        CLIENT_ID,
        store,
        cloud_url=cloud.url,
        auth_url=cloud.url,
        ca_path=other.sim.ca_path,
        clock=clock,
        site_id=1,
    ) as client:
        with pytest.raises(CloudCertificateError) as caught:
            await client.read_settings()
    assert isinstance(caught.value, CloudUnreachableError)
    assert "did not present a certificate this computer trusts, so nothing was sent" in str(
        caught.value
    )
    assert cloud.sim.requests() == []


async def test_the_system_store_does_not_trust_the_simulated_cloud(
    cloud: Cloud, clock: FakeClock
) -> None:
    store = MemoryTokenStore("NA_x")
    url = cloud.url
    async with FleetClient(
        CLIENT_ID, store, cloud_url=url, auth_url=url, clock=clock, site_id=1
    ) as client:
        with pytest.raises(CloudCertificateError):
            await client.read_settings()
    assert cloud.sim.requests() == []


async def test_a_site_that_is_not_the_accounts(cloud: Cloud, clock: FakeClock) -> None:
    store = MemoryTokenStore()
    await cloud.paste_sign_in(store, clock)
    async with cloud.client(store, clock, site_id=42) as client:
        with pytest.raises(SiteNotFoundError, match="no energy site 42"):
            await client.read_settings()


async def test_a_change_the_site_cannot_make_is_refused_with_teslas_reason(
    cloud_factory: CloudFactory, clock: FakeClock
) -> None:
    cloud = cloud_factory(storm_watch_capable=False)
    client = await cloud.connected(clock)
    async with client:
        with pytest.raises(CommandRefusedError) as caught:
            await client.set_storm_watch(True)
    assert caught.value.status == 400
    assert "this site has no Storm Watch" in str(caught.value)


async def test_a_region_answer_pointing_away_from_tesla_is_not_followed(
    cloud_factory: CloudFactory, clock: FakeClock
) -> None:
    cloud = cloud_factory(region_base_url="https://fleet-api.example.net")
    store = MemoryTokenStore()
    await cloud.paste_sign_in(store, clock)
    async with cloud.client(store, clock) as client:
        with pytest.raises(CloudProtocolError, match=r"fleet-api\.example\.net is not a Tesla"):
            await client.discover_region()
        assert client.cloud_url == cloud.url  # the token stays with the configured host


async def test_bad_values_are_refused_before_anything_is_sent(
    cloud: Cloud, clock: FakeClock
) -> None:
    client = await cloud.connected(clock)
    async with client:
        cloud.sim.clear_requests()
        with pytest.raises(ValueError, match=r"whole number from 0 to 100 \(got 101\)"):
            await client.set_reserve(101)
        with pytest.raises(ValueError, match=r"whole number from 0 to 100 \(got 12\.5\)"):
            await client.set_vehicle_reserve(12.5)
        with pytest.raises(ValueError, match="Unknown operation mode 'eco'"):
            await client.set_mode("eco")
        with pytest.raises(ValueError, match="Unknown export rule 'all'"):
            await client.set_export_rule("all")
    assert cloud.sim.requests() == []


async def test_no_error_ever_carries_a_token(cloud: Cloud, clock: FakeClock) -> None:
    store = MemoryTokenStore()
    client = await cloud.connected(clock, store)
    errors: list[CloudError] = []
    async with client:
        for fault in ("offline", "missing_scope", "rate_limit"):
            cloud.sim.set_fault(fault, count=1)
            try:
                await client.read_settings()
            except CloudError as exc:
                errors.append(exc)
            clock.advance(3600)
        cloud.sim.revoke_tokens()
        try:
            await client.read_settings()
        except CloudError as exc:
            errors.append(exc)
    assert len(errors) == 4
    secrets = [store.load_refresh_token(), (store.load_access_token() or ("",))[0]]
    for error in errors:
        for secret in secrets:
            assert secret
            assert secret not in str(error)
            assert secret not in repr(error.args)
