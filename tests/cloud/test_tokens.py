"""Tokens: refreshed before expiry, the rotated refresh token stored before the new access
token is used (a crash in between loses nothing), an expiry in the middle of a command, and a
revoked sign-in reported once — never a loop."""

from __future__ import annotations

import asyncio

import pytest

from pwtray.cloud import MemoryTokenStore, SignInRequiredError
from tests.cloud.conftest import Cloud, Crash, FakeClock, RecordingStore, browser_sign_in


def token_requests(cloud: Cloud) -> list[tuple[str | None, int]]:
    return [(r.grant_type, r.status) for r in cloud.sim.requests() if r.path.endswith("/token")]


async def test_the_access_token_is_refreshed_before_it_expires(
    cloud: Cloud, clock: FakeClock
) -> None:
    store = MemoryTokenStore()
    await cloud.paste_sign_in(store, clock)
    access = store.load_access_token()
    assert access is not None
    token, use_until = access
    ttl_s = cloud.sim.config.access_ttl_s
    assert use_until == pytest.approx(clock() + ttl_s - 300)  # five minutes early
    async with cloud.client(store, clock) as client:
        await client.connect(cloud.din)
        clock.advance(use_until - clock() - 1)  # a second before pwtray would refresh
        await client.read_settings()
        assert store.load_access_token() == access
        clock.advance(1)
        cloud.sim.clear_requests()
        await client.read_settings()
    # One refresh, before the read, and Tesla never saw the old token expire (no 401).
    assert cloud.paths() == [("POST", "token", 200), ("GET", "site_info", 200)]
    renewed = store.load_access_token()
    assert renewed is not None
    assert renewed[0] != token


async def test_the_new_refresh_token_is_stored_before_the_new_access_token_is_used(
    cloud: Cloud, clock: FakeClock
) -> None:
    store = RecordingStore(cloud)
    await cloud.paste_sign_in(store, clock)
    async with cloud.client(store, clock) as client:
        await client.connect(cloud.din)
        clock.advance(cloud.sim.config.access_ttl_s)  # force a refresh before the next read
        store.ops.clear()
        await client.read_settings()
    requests = cloud.sim.requests()
    (saved_refresh, refresh_seen), (saved_access, access_seen) = store.ops
    assert (saved_refresh, saved_access) == ("save_refresh", "save_access")
    # The refresh answer had arrived, and nothing had used the new access token yet.
    assert requests[refresh_seen - 1].grant_type == "refresh_token"
    new_serial = requests[-1].token_serial
    first_use = next(i for i, r in enumerate(requests) if r.token_serial == new_serial)
    assert first_use >= access_seen >= refresh_seen


async def test_a_crash_after_storing_the_rotated_token_loses_nothing(
    cloud: Cloud, clock: FakeClock
) -> None:
    store = RecordingStore(cloud)
    await cloud.paste_sign_in(store, clock)
    rotated_away = store.load_refresh_token()
    async with cloud.client(store, clock) as client:
        await client.connect(cloud.din)
        clock.advance(cloud.sim.config.access_ttl_s)
        store.crash_on = "save_access"  # dies between storing the refresh and the access token
        with pytest.raises(Crash):
            await client.read_settings()
    kept = store.load_refresh_token()
    assert kept != rotated_away
    # The new access token was never used.
    last = cloud.sim.requests()[-1]
    assert (last.path, last.grant_type) == ("/oauth2/v3/token", "refresh_token")
    # "Restart": the store's refresh token is the one Tesla accepts; the old one is dead.
    store.crash_on = None
    async with cloud.client(store, clock, site_id=cloud.sim.config.energy_site_id) as again:
        settings = await again.read_settings()
    assert settings.site_id == cloud.sim.config.energy_site_id
    assert token_requests(cloud)[-1] == ("refresh_token", 200)
    with pytest.raises(SignInRequiredError):
        async with cloud.client(MemoryTokenStore(rotated_away), clock, site_id=1) as stale:
            await stale.read_settings()


async def test_a_store_that_fails_to_keep_the_rotated_token_stops_the_refresh_there(
    cloud: Cloud, clock: FakeClock
) -> None:
    store = RecordingStore(cloud)
    await cloud.paste_sign_in(store, clock)
    before = store.load_access_token()
    async with cloud.client(store, clock) as client:
        await client.connect(cloud.din)
        clock.advance(cloud.sim.config.access_ttl_s)
        store.crash_on = "save_refresh"
        with pytest.raises(Crash):
            await client.read_settings()
    assert [op for op, _ in store.ops][-1] == "save_refresh"
    assert store.load_access_token() == before  # the new access token was not kept…
    assert cloud.sim.requests()[-1].grant_type == "refresh_token"  # …nor used


async def test_a_command_in_flight_while_the_access_token_expires(
    cloud: Cloud, clock: FakeClock
) -> None:
    client = await cloud.connected(clock)
    async with client:
        cloud.sim.clear_requests()
        # The token expires at Tesla right after it accepted the change (the client's clock
        # still says it is valid): the read-back meets a 401.
        cloud.sim.after_next("/backup", cloud.sim.expire_access_tokens)
        result = await client.set_reserve(55)
    assert result.reported == 55
    assert cloud.paths() == [
        ("POST", "backup", 200),
        ("GET", "site_info", 401),
        ("POST", "token", 200),
        ("GET", "site_info", 200),
    ]  # the change was sent once; only the read was repeated, once


async def test_a_command_refused_for_an_expired_token_is_sent_again_once(
    cloud: Cloud, clock: FakeClock
) -> None:
    client = await cloud.connected(clock)
    async with client:
        cloud.sim.expire_access_tokens()
        cloud.sim.clear_requests()
        result = await client.set_mode("backup")
    assert result.reported == "backup"
    assert cloud.paths() == [
        ("POST", "operation", 401),  # refused before anything was applied
        ("POST", "token", 200),
        ("POST", "operation", 200),
        ("GET", "site_info", 200),
    ]
    assert len(cloud.sim.pending()) == 1


async def test_concurrent_calls_share_one_refresh(cloud: Cloud, clock: FakeClock) -> None:
    client = await cloud.connected(clock)
    async with client:
        cloud.sim.expire_access_tokens()
        cloud.sim.clear_requests()
        await asyncio.gather(client.read_settings(), client.live_status(), client.site_info())
    assert token_requests(cloud) == [("refresh_token", 200)]


async def test_a_revoked_sign_in_asks_to_sign_in_again_once_and_never_loops(
    cloud: Cloud, clock: FakeClock
) -> None:
    store = MemoryTokenStore()
    client = await cloud.connected(clock, store)
    async with client:
        cloud.sim.revoke_tokens()  # the owner removed pwtray's access at tesla.com
        cloud.sim.clear_requests()
        with pytest.raises(SignInRequiredError) as first:
            await client.read_settings()
        assert str(first.value).startswith("Sign in to your Tesla account again")
        assert "no longer accepts the refresh token" in str(first.value)
        assert cloud.paths() == [
            ("GET", "site_info", 401),
            ("POST", "token", 401),
        ]
        # Every later call says the same at once, without asking Tesla again.
        for call in (client.read_settings(), client.set_reserve(30), client.live_status()):
            with pytest.raises(SignInRequiredError) as later:
                await call
            assert later.value is first.value
        assert len(cloud.sim.requests()) == 2
        assert client.sign_in_required is first.value
        assert store.load_refresh_token() is not None  # kept: signing out is the user's call


async def test_a_fresh_token_tesla_refuses_means_signing_in_not_retrying(
    cloud: Cloud, clock: FakeClock
) -> None:
    client = await cloud.connected(clock)
    async with client:
        cloud.sim.clear_requests()
        # Every access token dies as soon as it is used: the refresh works, the retry fails.
        cloud.sim.expire_access_tokens()
        cloud.sim.after_next("/token", cloud.sim.expire_access_tokens)
        with pytest.raises(SignInRequiredError, match="refuses the new access token"):
            await client.read_settings()
    assert cloud.paths() == [
        ("GET", "site_info", 401),
        ("POST", "token", 200),
        ("GET", "site_info", 401),
    ]


async def test_not_signed_in_is_said_without_asking_tesla(cloud: Cloud, clock: FakeClock) -> None:
    async with cloud.client(MemoryTokenStore(), clock, site_id=1) as client:
        with pytest.raises(SignInRequiredError, match="not signed in to a Tesla account"):
            await client.read_settings()
    assert cloud.sim.requests() == []


async def test_an_idle_client_sends_nothing(cloud: Cloud, clock: FakeClock) -> None:
    client = await cloud.connected(clock)
    async with client:
        cloud.sim.clear_requests()
        clock.advance(24 * 3600)  # a day: no polling, no refresh in the background
        await asyncio.sleep(0.2)
    assert cloud.sim.requests() == []


async def test_after_signing_in_again_the_same_client_works_on(
    cloud: Cloud, clock: FakeClock
) -> None:
    store = MemoryTokenStore()
    client = await cloud.connected(clock, store)
    async with client:
        cloud.sim.revoke_tokens()
        with pytest.raises(SignInRequiredError):
            await client.read_settings()
        await browser_sign_in(cloud, store, clock)  # the owner signs in again
        client.tokens.reset()
        assert (await client.read_settings()).mode == "self_consumption"
    assert client.sign_in_required is None
