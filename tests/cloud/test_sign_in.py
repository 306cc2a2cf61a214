"""Signing in: the browser flow (PKCE, loopback redirect) and the paste flow, against the
simulated cloud over TLS verified with its CA; tokens end up in a (test) keyring only."""

from __future__ import annotations

import asyncio
import logging
import urllib.parse

import httpx
import pytest

from pwtray.cloud import (
    SCOPES,
    LoopbackReceiver,
    MemoryTokenStore,
    Pkce,
    SignInFailedError,
    TokenManager,
    authorize_url,
    make_http_client,
    sign_in_with_browser,
    sign_in_with_refresh_token,
)
from pwtray.cloud._auth import s256, token_audience
from pwtray.core import CloudTokens
from pwtray.settings import KeyringSecrets, KeyringTokenStore
from tests.cloud.conftest import CLIENT_ID, Cloud, CloudFactory, FakeClock, browse
from tests.keyrings import MemoryKeyring, using


def keyring_tokens() -> CloudTokens:
    """The app's token store: the system keyring (here a test one) behind memory."""
    return CloudTokens(KeyringTokenStore(KeyringSecrets()))


def test_pkce_follows_rfc_7636() -> None:
    # RFC 7636 appendix B: this verifier has this S256 challenge.
    assert (
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    first, second = Pkce.new(), Pkce.new()
    assert first.verifier != second.verifier
    assert 43 <= len(first.verifier) <= 128
    assert set(first.verifier) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )
    assert first.challenge == s256(first.verifier)
    assert first.verifier not in repr(first)


def test_the_authorize_url_asks_for_the_energy_scopes_with_pkce() -> None:
    url = authorize_url(
        "my-client",
        "http://localhost:8765/callback",
        "st4te",
        "ch4llenge",
        auth_url="https://auth.tesla.com",
    )
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert (parts.scheme, parts.hostname, parts.path) == (
        "https",
        "auth.tesla.com",
        "/oauth2/v3/authorize",
    )
    assert query == {
        "response_type": "code",
        "client_id": "my-client",
        "redirect_uri": "http://localhost:8765/callback",
        "scope": "openid offline_access energy_device_data energy_cmds",
        "state": "st4te",
        "code_challenge": "ch4llenge",
        "code_challenge_method": "S256",
        "prompt_missing_scopes": "true",
    }
    assert SCOPES == ("openid", "offline_access", "energy_device_data", "energy_cmds")


async def test_browser_sign_in_end_to_end_keeps_the_tokens_in_the_keyring_only(
    cloud: Cloud,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    pages: list[httpx.Response] = []
    opened: list[str] = []

    def open_browser(url: str) -> None:
        opened.append(url)
        task = asyncio.get_running_loop().create_task(browse(url, cloud))
        task.add_done_callback(lambda t: pages.append(t.result()))

    keyring_backend = MemoryKeyring()
    with using(keyring_backend):
        store = keyring_tokens()
        signed_in = await sign_in_with_browser(
            CLIENT_ID,
            store,
            open_browser=open_browser,
            auth_url=cloud.url,
            cloud_url=cloud.url,
            ca_path=cloud.sim.ca_path,
            clock=clock,
        )
        await asyncio.sleep(0)  # the browser task's callback
        # The page the user sees, and what went to Tesla's sign-in page.
        assert pages[0].status_code == 200
        assert "You can close this tab" in pages[0].text
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(opened[0]).query))
        assert query["redirect_uri"].startswith("http://localhost:")
        assert query["code_challenge_method"] == "S256"
        # Both tokens are in the keyring, nowhere else; the access token is used until
        # shortly before Tesla's 8 hours are up.
        stored = {user: secret for (service, user), secret in keyring_backend.items.items()}
        assert set(stored) == {"tesla-cloud:refresh-token", "tesla-cloud:access-token"}
        assert clock() + 7 * 3600 < signed_in.use_until < clock() + 8 * 3600
        # A later run finds the sign-in in the keyring and uses it without refreshing.
        async with cloud.client(keyring_tokens(), clock) as client:
            await client.connect(cloud.din)
            settings = await client.read_settings()
        assert settings.site_id == cloud.sim.config.energy_site_id
        assert not any(call.startswith("POST token") for call in client.calls)
        access = store.load_access_token()
    assert access is not None
    output = capsys.readouterr()
    for secret in (stored["tesla-cloud:refresh-token"], access[0]):
        assert secret not in output.out + output.err
        assert secret not in caplog.text
        assert secret not in repr(store)


async def test_a_redirect_with_another_state_is_refused_and_the_sign_in_waits_on() -> None:
    async with LoopbackReceiver() as receiver:
        waiting = asyncio.create_task(receiver.wait("the-right-state", timeout_s=30))
        async with httpx.AsyncClient(trust_env=False) as web:
            forged = await web.get(
                receiver.redirect_uri, params={"code": "NA_forged", "state": "another"}
            )
            assert forged.status_code == 400
            assert "does not belong to the sign-in pwtray started" in forged.text
            assert not waiting.done()
            other = await web.get(f"http://localhost:{receiver.port}/favicon.ico")
            assert other.status_code == 404
            good = await web.get(
                receiver.redirect_uri, params={"code": "NA_good", "state": "the-right-state"}
            )
            assert good.status_code == 200
            assert await waiting == "NA_good"
            again = await web.get(
                receiver.redirect_uri, params={"code": "NA_late", "state": "the-right-state"}
            )
            assert again.status_code == 410


async def test_declining_on_teslas_page_is_a_sign_in_failure_in_words(
    cloud: Cloud, clock: FakeClock
) -> None:
    cloud.sim.set_fault("deny")
    store = MemoryTokenStore()
    with pytest.raises(SignInFailedError, match="Tesla did not grant access") as caught:
        await sign_in_with_browser(
            CLIENT_ID,
            store,
            open_browser=lambda url: asyncio.get_running_loop().create_task(browse(url, cloud)),
            auth_url=cloud.url,
            cloud_url=cloud.url,
            ca_path=cloud.sim.ca_path,
            clock=clock,
        )
    assert "Signing in to Tesla did not complete" in str(caught.value)
    assert not any(r.path.endswith("/token") for r in cloud.sim.requests())
    assert store.load_refresh_token() is None


async def test_no_answer_from_the_browser_ends_the_sign_in_and_frees_the_port() -> None:
    async with LoopbackReceiver() as receiver:
        port = receiver.port
        with pytest.raises(SignInFailedError, match="no answer from Tesla's sign-in page"):
            await receiver.wait("state", timeout_s=0.05)
    # The port is free again: another sign-in can listen on it.
    async with LoopbackReceiver(port) as again:
        assert again.port == port


async def test_a_port_in_use_is_said_in_words() -> None:
    async with LoopbackReceiver() as first:
        with pytest.raises(SignInFailedError, match=f"cannot listen on port {first.port}"):
            async with LoopbackReceiver(first.port):
                pass


async def test_paste_flow_checks_the_pair_with_tesla_and_keeps_the_rotated_token(
    cloud: Cloud, clock: FakeClock
) -> None:
    pasted = cloud.sim.config.refresh_token
    keyring_backend = MemoryKeyring()
    with using(keyring_backend):
        store = keyring_tokens()
        await sign_in_with_refresh_token(
            CLIENT_ID,
            f"  {pasted}\n",
            store,
            auth_url=cloud.url,
            ca_path=cloud.sim.ca_path,
            clock=clock,
        )
        kept = keyring_backend.items[("pwtray", "tesla-cloud:refresh-token")]
    assert kept != pasted  # Tesla rotated it; the new one is what is kept
    assert [(r.path, r.grant_type, r.status) for r in cloud.sim.requests()] == [
        ("/oauth2/v3/token", "refresh_token", 200)
    ]
    # The pasted token was single use: pasting it again is refused, in words.
    with pytest.raises(SignInFailedError, match="Tesla no longer accepts the refresh token"):
        await sign_in_with_refresh_token(
            CLIENT_ID,
            pasted,
            keyring_tokens(),
            auth_url=cloud.url,
            ca_path=cloud.sim.ca_path,
            clock=clock,
        )


async def test_a_refused_paste_leaves_the_existing_sign_in_alone(
    cloud: Cloud, clock: FakeClock
) -> None:
    store = MemoryTokenStore()
    await cloud.paste_sign_in(store, clock)
    before = (store.load_refresh_token(), store.load_access_token())
    with pytest.raises(SignInFailedError, match="Tesla does not accept the refresh token"):
        await sign_in_with_refresh_token(
            CLIENT_ID,
            "NA_not-a-token-tesla-knows",
            store,
            auth_url=cloud.url,
            ca_path=cloud.sim.ca_path,
            clock=clock,
        )
    with pytest.raises(SignInFailedError, match="does not know this client ID"):
        await sign_in_with_refresh_token(
            "another-client",
            str(before[0]),
            store,
            auth_url=cloud.url,
            ca_path=cloud.sim.ca_path,
            clock=clock,
        )
    assert (store.load_refresh_token(), store.load_access_token()) == before
    with pytest.raises(ValueError, match="empty or has spaces"):
        await sign_in_with_refresh_token(CLIENT_ID, "NA_two words", store, auth_url=cloud.url)


async def test_a_code_for_another_verifier_is_refused(
    cloud_factory: CloudFactory, clock: FakeClock
) -> None:
    cloud = cloud_factory()
    async with LoopbackReceiver() as receiver:
        real, other = Pkce.new(), Pkce.new()
        url = authorize_url(
            CLIENT_ID, receiver.redirect_uri, "s", real.challenge, auth_url=cloud.url
        )
        browsing = asyncio.create_task(browse(url, cloud))
        code = await receiver.wait("s", timeout_s=30)
        await browsing
    async with make_http_client(cloud.sim.ca_path) as http:
        manager = TokenManager(CLIENT_ID, MemoryTokenStore(), auth_url=cloud.url, http=http)
        with pytest.raises(SignInFailedError, match="does not accept the sign-in code"):
            await manager.exchange_code(
                code, other.verifier, receiver.redirect_uri, audience=cloud.url
            )


def test_the_token_is_asked_for_the_region_the_code_comes_from() -> None:
    na = "https://fleet-api.prd.na.vn.cloud.tesla.com"
    eu = "https://fleet-api.prd.eu.vn.cloud.tesla.com"
    assert token_audience("EU_3f2a", na) == eu
    assert token_audience("NA_3f2a", eu + "/") == na
    assert token_audience("3f2a", na) == na  # no region in the code: as configured
    assert token_audience("EU_3f2a", "https://127.0.0.1:8443") == "https://127.0.0.1:8443"
