"""Logins: both generations, re-login once, rejected passwords, lock-outs, saved sessions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pwtray.gateway import (
    AuthenticationError,
    Generation,
    LockedOutError,
    make_http_client,
    pinned_context,
)
from pwtray.gateway._client import Timeouts
from tests.conftest import PASSWORD, SimFactory
from tests.gateway.helpers import FakeClock, client_for, logins


async def test_current_firmware_logs_in_and_sends_the_cookie(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as gw:
        await gw.soe()
        assert gw.session is not None
        assert gw.session.generation is Generation.CURRENT
        assert gw.session.user_record  # the gateway's second cookie is sent back too
    soe_reads = [r for r in sim.requests() if r.path == "/api/system_status/soe"]
    assert [r.auth for r in soe_reads] == ["cookie"]


async def test_legacy_firmware_reads_without_login_and_logs_in_for_protected(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(firmware="1.15.0")
    async with client_for(sim) as gw:
        await gw.soe()
        assert logins(sim) == 0
        await gw.operation()  # needs the token on 1.15
        assert logins(sim) == 1
        assert gw.session is not None
        assert gw.session.generation is Generation.LEGACY
        # The 1.15 login stops the Powerwalls; the client starts them again at once.
        assert (await gw.sitemaster()).running
        await gw.soe()
    operation_reads = [r for r in sim.requests() if r.path == "/api/operation"]
    assert [r.auth for r in operation_reads] == ["bearer"]


async def test_forced_generation_skips_detection(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim, generation=Generation.CURRENT) as gw:
        await gw.soe()
    assert "/api/status" not in [r.path for r in sim.requests()]


async def test_expired_token_means_exactly_one_new_login(sim_factory: SimFactory) -> None:
    sim = sim_factory(token_ttl_s=600)
    async with client_for(sim) as gw:
        await gw.soe()
        sim.advance(601)
        await asyncio.gather(gw.soe(), gw.meters_aggregates(), gw.grid_status())
        await gw.soe()
    assert logins(sim) == 2
    refused = [r for r in sim.requests() if r.status == 401]
    assert len(refused) == 3  # each of the concurrent reads saw 401 once, then one login served all


async def test_a_session_refused_after_re_login_raises_without_looping(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory()
    sim.set_fault("refuse-sessions")  # 401 for every request but the login, fresh token or not
    async with client_for(sim, generation=Generation.CURRENT) as gw:
        with pytest.raises(AuthenticationError, match="even right after logging in"):
            await gw.soe()
    assert [r.path for r in sim.requests()][:4] == [
        "/api/login/Basic",
        "/api/system_status/soe",
        "/api/login/Basic",
        "/api/system_status/soe",
    ]


async def test_a_rejected_password_is_never_sent_again(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim, password="wrong") as gw:
        for _ in range(5):
            with pytest.raises(AuthenticationError, match="rejected the password"):
                await gw.soe()
        assert logins(sim) == 1
        assert gw.next_login_in_s() is None  # not before the user gives a new password
        gw.set_credentials(PASSWORD)
        assert gw.next_login_in_s() == 0
        await gw.soe()
    assert logins(sim) == 2


async def test_lock_out_blocks_every_login_until_it_ends(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("lockout:duration=300",))
    clock = FakeClock()
    async with client_for(sim, clock=clock, lockout_default_s=300) as gw:
        with pytest.raises(LockedOutError) as first:
            await gw.soe()
        assert first.value.retry_after_s == 300
        assert "will not try again before" in str(first.value)
        for _ in range(10):
            clock.advance(20)
            with pytest.raises(LockedOutError):
                await gw.soe()
        assert logins(sim) == 1  # ten more attempts inside the window sent nothing
        sim.advance(301)
        clock.advance(101)
        await gw.soe()
    assert logins(sim) == 2


async def test_bad_passwords_never_cause_more_than_one_login_per_window(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(lockout_after=1, lockout_s=300)
    clock = FakeClock()
    async with client_for(sim, password="wrong", clock=clock) as gw:
        with pytest.raises(AuthenticationError):
            await gw.soe()
        gw.set_credentials("still-wrong")  # the user tries again at once
        with pytest.raises(LockedOutError):
            await gw.soe()
        gw.set_credentials(PASSWORD)  # and again, now right, but still inside the window
        with pytest.raises(LockedOutError):
            await gw.soe()
    assert logins(sim) == 2


async def test_retry_after_header_sets_the_window(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    sim.set_fault("rate-limit", retry_after=42)  # 429 with "Retry-After: 42" to every request
    clock = FakeClock()
    async with client_for(sim, generation=Generation.CURRENT, clock=clock) as gw:
        with pytest.raises(LockedOutError) as caught:
            await gw.soe()
        assert caught.value.retry_after_s == 42
        assert gw.lockout_remaining_s() == 42


async def test_a_login_that_never_answers_is_treated_as_a_lock_out(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    sim.set_fault("login-blackhole", seconds=5)
    async with client_for(sim, timeouts=Timeouts(connect_s=2, read_s=0.5)) as gw:
        with pytest.raises(LockedOutError):
            await gw.soe()
        with pytest.raises(LockedOutError):
            await gw.soe()
    assert logins(sim) == 1


async def test_a_saved_session_needs_no_new_login(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim, keep_session=True) as first:
        await first.soe()
        saved = first.session
    assert saved is not None
    assert "token=<hidden>" in repr(saved)
    async with client_for(sim, session=saved, password=None) as second:
        await second.soe()
    assert logins(sim) == 1
    assert "/api/status" not in [r.path for r in sim.requests()][1:]  # generation came along


async def test_logout_on_close_ends_the_session(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as gw:
        await gw.soe()
    assert sim.requests()[-1].path == "/api/logout"
    assert sim.state()["sessions"] == 0


async def test_no_password_on_current_firmware_says_so(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim, password=None) as gw:
        with pytest.raises(AuthenticationError, match="no password is set"):
            await gw.soe()
    assert logins(sim) == 0


async def test_secrets_never_reach_messages_or_logs(sim_factory: SimFactory, app_log: Path) -> None:
    sim = sim_factory(lockout_after=2)
    messages: list[str] = []
    async with client_for(sim, password="Wr0ngSecret") as gw:
        for attempt in range(3):
            try:
                await gw.soe()
            except Exception as exc:  # noqa: BLE001 - collecting every message
                messages += [str(exc), repr(exc)]
            gw.set_credentials(f"Wr0ngSecret{attempt}")
    async with client_for(sim, keep_session=True) as good:
        sim.advance(301)
        await good.soe()
        token = good.session.token if good.session else ""
    text = "\n".join(messages) + "\n" + app_log.read_text()  # noqa: ASYNC240 - after the I/O
    assert "POST /api/login/Basic -> HTTP 200" in text  # the request path's DEBUG lines
    assert "Wr0ngSecret" not in text
    assert PASSWORD not in text
    assert token not in text
    assert token  # the check above looked for a real token


async def test_the_default_http_client_never_uses_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    http = make_http_client(pinned_context(None))
    assert http._mounts == {}  # trust_env=False: no proxy routes were mounted
    await http.aclose()


async def test_a_damaged_saved_session_is_not_sent_but_replaced(sim_factory: SimFactory) -> None:
    from pwtray.gateway import Session

    sim = sim_factory()
    damaged = Session(Generation.CURRENT, "token\r\nX-Injected: 1")
    async with client_for(sim, session=damaged) as gw:
        assert (await gw.soe()).percentage > 0
    assert logins(sim) == 1
