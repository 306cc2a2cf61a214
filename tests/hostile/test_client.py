"""The client against a hostile gateway: every misbehaviour ends in a typed error with true words,
bounded in time and memory, and the client goes on working once the gateway behaves again."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pwtray.gateway import (
    CertificateChangedError,
    GatewayClient,
    GatewayError,
    GatewayProtocolError,
    GatewayTimeoutError,
    GatewayUnreachableError,
    LockedOutError,
    PermissionDeniedError,
    ReplyTooLargeError,
    RequestRefusedError,
    SecureConnectionError,
    Timeouts,
)
from tests.conftest import PASSWORD, SIM_START
from tests.gateway.helpers import FakeClock
from tests.hostile import server as h
from tests.hostile.conftest import HostileFactory
from tests.hostile.server import HostileGateway
from tests.waiting import until

SOE = "/api/system_status/soe"
AGGREGATES = "/api/meters/aggregates"
WALL = SIM_START.timestamp()
CAP = 2 * 1024 * 1024


def client_for(gw: HostileGateway, **overrides: Any) -> GatewayClient:
    options: dict[str, Any] = {
        "password": PASSWORD,
        "fingerprint": gw.fingerprint,
        "timeouts": Timeouts(connect_s=2, read_s=1),
        "wall": lambda: WALL,
    }
    options.update(overrides)
    return GatewayClient(gw.address, **options)


def reads_of(gw: HostileGateway, path: str) -> int:
    return gw.paths().count(path)


# ---------------------------------------------------------------------- JSON too deep
@pytest.mark.parametrize("path", [SOE, "/api/system_status", h.LOGIN, "/api/status"])
async def test_json_nested_100000_deep_is_a_protocol_error(
    hostile: HostileGateway, path: str
) -> None:
    hostile.on(path, h.deep_json(100_000))
    async with client_for(hostile) as gw:
        with pytest.raises(GatewayProtocolError) as caught:
            await gw.soe() if path != "/api/system_status" else await gw.system_status()
    assert caught.value.endpoint == path
    assert caught.value.path == "$"
    assert "nested deeper than 32 levels" in str(caught.value)


async def test_deep_json_in_a_refusal_still_gives_the_refusal(hostile: HostileGateway) -> None:
    def refusal(exchange: h.Exchange) -> None:
        exchange.reply(412, b'{"error":' + b"[" * 4000 + b"]" * 4000 + b"}")

    hostile.on(SOE, refusal)
    async with client_for(hostile) as gw:
        with pytest.raises(RequestRefusedError) as caught:
            await gw.soe()
    assert caught.value.status == 412
    assert caught.value.reason == ""  # unreadable words are left out, not guessed at


# ---------------------------------------------------------------------- time
async def test_a_reply_that_drips_in_ends_at_the_deadline(hostile: HostileGateway) -> None:
    hostile.on(SOE, h.drip(bytes_per_s=20))  # ~100 bytes: 5 s to send, the deadline is 1 s
    async with client_for(hostile) as gw:
        await gw.meters_aggregates()  # logged in and connected: only the reply is slow
        with pytest.raises(GatewayTimeoutError) as caught:
            await gw.soe()
        ending = await until(lambda: hostile.endings, what="the drip to end")
        assert ending[0].client_hung_up  # the client hung up; the gateway did not finish
        assert caught.value.phase in ("headers", "body")
        assert caught.value.received_bytes > 0
        assert "began answering /api/system_status/soe but did not finish within 1 s" in str(
            caught.value
        )
        hostile.routes.clear()  # the gateway behaves again: so does the client
        assert (await gw.soe()).percentage > 0


async def test_a_gateway_that_never_answers_a_read(hostile: HostileGateway) -> None:
    def silent(exchange: h.Exchange) -> None:
        exchange.wait(30)

    hostile.on(SOE, silent)
    async with client_for(hostile) as gw:
        with pytest.raises(GatewayTimeoutError, match="sent no answer in time") as caught:
            await gw.soe()
    assert caught.value.phase == "reply"
    assert isinstance(caught.value, GatewayUnreachableError)  # the monitor's "stale" as before


# ---------------------------------------------------------------------- size
@pytest.mark.parametrize(
    ("behaviour", "part"),
    [
        (h.huge_declared, "body"),
        (h.until_close, "body"),
        (h.endless_chunked, "body"),
        (h.gzip_bomb, "decompressed body"),
    ],
)
async def test_huge_endless_and_bomb_bodies_stop_at_the_cap(
    hostile: HostileGateway, behaviour: Any, part: str
) -> None:
    hostile.on(SOE, behaviour())
    async with client_for(hostile, timeouts=Timeouts(connect_s=5, read_s=30)) as gw:
        with pytest.raises(ReplyTooLargeError) as caught:
            await gw.soe()
        assert caught.value.part == part
        assert caught.value.limit_bytes == CAP
        assert f"its {part} passed 2 MiB" in str(caught.value)
        if behaviour is not h.gzip_bomb:
            ending = await until(lambda: hostile.endings, what="the long reply to end")
            assert ending[0].client_hung_up
            assert ending[0].sent_bytes < 256 * 1024 * 1024  # far from all of it was taken
        hostile.routes.clear()
        assert (await gw.soe()).percentage > 0


async def test_an_honest_compressed_reply_is_read(hostile: HostileGateway) -> None:
    hostile.on(SOE, h.gzipped({"percentage": 61.5}))
    async with client_for(hostile) as gw:
        assert (await gw.soe()).percentage == 61.5


async def test_oversized_headers_are_named_as_such(hostile: HostileGateway) -> None:
    hostile.on(SOE, h.oversized_headers(100 * 1024))
    async with client_for(hostile) as gw:
        with pytest.raises(ReplyTooLargeError) as caught:
            await gw.soe()
    assert caught.value.part == "headers"
    assert caught.value.limit_bytes == 32 * 1024
    assert "its headers passed 32 KiB" in str(caught.value)
    assert "Cannot reach" not in str(caught.value)


# ---------------------------------------------------------------------- values
@pytest.mark.parametrize(
    ("path", "name", "change", "json_path"),
    [
        (
            AGGREGATES,
            "meters_aggregates.json",
            lambda d: d["site"].update(instant_power=1e20),
            "$.site.instant_power",
        ),
        (SOE, "system_status_soe.json", lambda d: d.update(percentage=1e9), "$.percentage"),
        (
            AGGREGATES,
            "meters_aggregates.json",
            lambda d: d["battery"].update(energy_exported=-5000),
            "$.battery.energy_exported",
        ),
        (
            "/api/system_status",
            "system_status_multi_battery.json",
            lambda d: d["grid_faults"][0].update(timestamp=10**17),
            "$.grid_faults[0].timestamp",
        ),
        (
            "/api/operation",
            "operation.json",
            lambda d: d.update(backup_reserve_percent=250),
            "$.backup_reserve_percent",
        ),
    ],
)
async def test_absurd_values_are_a_protocol_error_naming_the_field(
    hostile: HostileGateway, path: str, name: str, change: Any, json_path: str
) -> None:
    hostile.on(path, h.absurd(name, change))
    read = {
        AGGREGATES: "meters_aggregates",
        SOE: "soe",
        "/api/system_status": "system_status",
        "/api/operation": "operation",
    }[path]
    async with client_for(hostile) as gw:
        with pytest.raises(GatewayProtocolError) as caught:
            await getattr(gw, read)()
    assert caught.value.endpoint == path
    assert caught.value.path == json_path
    assert "a value out of range" in caught.value.problem


# ---------------------------------------------------------------------- cookies
async def test_two_user_record_cookies_of_different_path(hostile: HostileGateway) -> None:
    hostile.on(
        h.LOGIN,
        h.cookie_conflict(("for-root", "/"), ("for-api", "/api"), ("for-login", "/api/login")),
    )
    async with client_for(hostile) as gw:
        assert (await gw.soe()).percentage > 0
    read = next(r for r in hostile.requests if r.path == SOE)
    # The one a browser would send first to /api/…: the longest Path that covers /api/.
    assert "UserRecord=for-api" in read.cookie
    assert "for-root" not in read.cookie
    assert "for-login" not in read.cookie


async def test_a_cookie_value_that_could_break_a_header_is_refused(
    hostile: HostileGateway,
) -> None:
    hostile.on(
        h.LOGIN,
        h.cookie_conflict(
            ('a"b c', "/"),
        ),
    )
    async with client_for(hostile) as gw:
        with pytest.raises(GatewayProtocolError) as caught:
            await gw.soe()
    assert caught.value.path == "Set-Cookie UserRecord"
    assert reads_of(hostile, SOE) == 0


# ---------------------------------------------------------------------- Retry-After
def http_date(seconds_after_wall: float, zone: str) -> str:
    offset = {"-0000": 0, "GMT": 0, "+0200": 2, "-0700": -7}[zone]
    moment = dt.datetime.fromtimestamp(
        WALL + seconds_after_wall, dt.timezone(dt.timedelta(hours=offset))
    )
    return moment.strftime(f"%a, %d %b %Y %H:%M:%S {zone}")


@pytest.mark.parametrize(
    ("retry_after", "expected_s"),
    [
        (http_date(120, "-0000"), 120),  # RFC 5322's "zone unknown": read as UTC
        (http_date(600, "GMT"), 600),
        (http_date(900, "+0200"), 900),
        (http_date(45, "-0700"), 45),
        (http_date(-3600, "GMT"), 30),  # already past: the floor
        ("99999999999999999999", 3600),  # the cap
        ("86400", 3600),
        ("1", 30),  # obeyed literally this was a login a second
        ("0", 30),
        ("0000000001", 30),
        ("soon", 300),  # unreadable: the default lock-out
        ("Fri, 99 Foo 2026 99:99:99 GMT", 300),
    ],
)
async def test_retry_after_in_any_form_gives_a_bounded_lock_out(
    hostile: HostileGateway, retry_after: str, expected_s: float
) -> None:
    hostile.on(h.LOGIN, h.refuse(429, [("Retry-After", retry_after)]))
    clock = FakeClock()
    async with client_for(hostile, clock=clock) as gw:
        with pytest.raises(LockedOutError) as caught:
            await gw.soe()
        assert caught.value.retry_after_s == pytest.approx(expected_s, abs=1)
        assert caught.value.until.timestamp() == pytest.approx(WALL + expected_s, abs=1)
        for _ in range(5):
            clock.advance(expected_s / 10)
            with pytest.raises(LockedOutError):
                await gw.soe()
        assert hostile.logins() == 1
        clock.advance(expected_s)
        hostile.routes.clear()
        assert (await gw.soe()).percentage > 0
    assert hostile.logins() == 2


# ---------------------------------------------------------------------- 403
async def test_a_403_on_one_endpoint_degrades_only_that_endpoint(hostile: HostileGateway) -> None:
    hostile.on("/api/powerwalls", h.forbidden_for_everyone())
    async with client_for(hostile) as gw:
        with pytest.raises(PermissionDeniedError) as first:
            await gw.powerwalls()  # before any other read: the SOE is asked as the canary
        assert first.value.read
        assert first.value.endpoint == "/api/powerwalls"
        assert "answers pwtray's other readings with the same login" in str(first.value)
        assert (await gw.soe()).percentage > 0
        before = len(hostile.requests)
        for _ in range(3):
            with pytest.raises(PermissionDeniedError):
                await gw.powerwalls()
        # Known for this session: each later refusal costs only its own request.
        assert hostile.paths()[before:] == ["/api/powerwalls"] * 3
        assert (await gw.meters_aggregates()).site is not None
    assert hostile.logins() == 1


async def test_a_dead_session_refused_with_403_everywhere_logs_in_once_more(
    hostile: HostileGateway,
) -> None:
    def strict(exchange: h.Exchange) -> None:  # firmware that says 403 to an expired session
        if exchange.logged_in:
            h.gateway(exchange)
        else:
            h.forbidden_for_everyone()(exchange)

    hostile.on(SOE, strict).on(AGGREGATES, strict)
    async with client_for(hostile) as gw:
        await gw.soe()
        hostile.revoke_sessions()
        assert (await gw.soe()).percentage > 0
    assert hostile.logins() == 2
    assert hostile.paths()[-4:-1] == [AGGREGATES, h.LOGIN, SOE]  # canary refused: re-login


# ---------------------------------------------------------------------- logins
async def test_a_cut_login_is_sent_once_for_all_waiting_reads(hostile: HostileGateway) -> None:
    hostile.on(h.LOGIN, h.cut_mid_reply())
    clock = FakeClock()
    async with client_for(hostile, clock=clock) as gw:
        results = await asyncio.gather(*(gw.soe() for _ in range(10)), return_exceptions=True)
        assert hostile.logins() == 1  # ten reads shared one login and its outcome
        assert all(isinstance(r, GatewayUnreachableError) for r in results), results
        assert "the connection was cut mid-reply" in str(results[0])
        # Within the pause (one fast poll interval) no new login: the same answer.
        assert gw.next_login_in_s() == pytest.approx(5.0)
        results = await asyncio.gather(*(gw.soe() for _ in range(10)), return_exceptions=True)
        assert all(isinstance(r, GatewayUnreachableError) for r in results)
        assert hostile.logins() == 1
        clock.advance(5)
        assert gw.next_login_in_s() == 0
        with pytest.raises(GatewayUnreachableError):
            await gw.soe()
        assert hostile.logins() == 2  # one per pause, not one per read
        hostile.routes.clear()
        clock.advance(5)
        assert (await gw.soe()).percentage > 0
    assert hostile.logins() == 3


async def test_deep_json_in_the_login_reply_pauses_logins_too(hostile: HostileGateway) -> None:
    hostile.on(h.LOGIN, h.deep_json())
    clock = FakeClock()
    async with client_for(hostile, clock=clock) as gw:
        for _ in range(4):
            with pytest.raises(GatewayProtocolError):
                await gw.soe()
            clock.advance(1)
        assert hostile.logins() == 1
        clock.advance(1)
        with pytest.raises(GatewayProtocolError):
            await gw.soe()
        assert hostile.logins() == 2


# ---------------------------------------------------------------------- TLS and pinning
async def test_a_tls_1_0_only_server_is_named_as_such(hostile_factory: HostileFactory) -> None:
    old = hostile_factory(tls_version=ssl.TLSVersion.TLSv1)
    async with client_for(old) as gw:
        with pytest.raises(SecureConnectionError) as caught:
            await gw.soe()
    assert caught.value.kind == "outdated-tls"
    assert "offers only an outdated TLS version" in str(caught.value)
    assert "powered on" not in str(caught.value)
    assert old.requests == []


@pytest.fixture
def plain_http_port() -> Iterator[int]:
    """A server on loopback that answers a TLS hello with plain HTTP."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def answer() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    listener.close()
    thread.join(10)


async def test_a_server_that_is_not_tls_is_named_as_such(plain_http_port: int) -> None:
    async with GatewayClient(
        f"127.0.0.1:{plain_http_port}", password=PASSWORD, fingerprint="ab" * 32
    ) as gw:
        with pytest.raises(SecureConnectionError) as caught:
            await gw.soe()
    assert caught.value.kind == "not-tls"
    assert "does not answer with a secure (TLS) connection" in str(caught.value)


async def test_a_changed_certificate_gets_no_request(hostile_factory: HostileFactory) -> None:
    trusted, impostor = hostile_factory(), hostile_factory()
    async with client_for(trusted, fingerprint=trusted.fingerprint) as gw:
        gw.address = type(gw.address).parse(impostor.address)  # the address now answers otherwise
        gw._target = None
        with pytest.raises(CertificateChangedError) as caught:
            await gw.soe()
    assert caught.value.actual == impostor.fingerprint
    await until(lambda: impostor.tls_failures, what="the refused handshake")
    assert impostor.requests == []


async def test_redirects_are_not_followed(hostile: HostileGateway) -> None:
    hostile.on(SOE, h.redirect(f"https://{hostile.address}/api/status?from=redirect"))
    async with client_for(hostile) as gw:
        with pytest.raises(GatewayProtocolError, match="which pwtray does not follow") as caught:
            await gw.soe()
    assert "HTTP 302" in caught.value.problem
    assert hostile.paths().count("/api/status") == 1  # the generation probe, not the redirect


async def test_every_hostile_error_is_a_gateway_error(hostile_factory: HostileFactory) -> None:
    """The monitor relies on this: nothing but a GatewayError leaves the client."""
    cases = [
        h.deep_json(),
        h.huge_declared(),
        h.endless_chunked(),
        h.gzip_bomb(),
        h.oversized_headers(),
        h.cut_mid_reply(b"{"),
        h.redirect("/"),
        h.refuse(429, [("Retry-After", "Mon, 32 Foo 99999 25:61:61 -0000")]),
    ]
    for behaviour in cases:
        gw_server = hostile_factory()
        gw_server.on(SOE, behaviour)
        async with client_for(gw_server, timeouts=Timeouts(connect_s=5, read_s=30)) as gw:
            with pytest.raises(GatewayError) as caught:
                await gw.soe()
        assert str(caught.value)[0].isupper()
        assert "Traceback" not in str(caught.value)


# ---------------------------------------------------------------------- kept-alive connections
def answer_only_first_on_a_connection(exchange: h.Exchange) -> None:
    """A gateway that closed a kept-alive connection just as the next request went out."""
    earlier = [r for r in exchange.server.requests if r.connection == exchange.seen.connection]
    if len(earlier) > 1:
        exchange.close()
    h.gateway(exchange)


async def test_a_read_on_a_connection_closed_under_it_is_asked_again_once(
    hostile: HostileGateway,
) -> None:
    hostile.on(SOE, answer_only_first_on_a_connection)
    async with client_for(hostile) as gw:
        await gw.meters_aggregates()  # the connection is now kept alive and reused next
        assert (await gw.soe()).percentage > 0
    soe_reads = [r for r in hostile.requests if r.path == SOE]
    assert len(soe_reads) == 2
    assert soe_reads[0].connection != soe_reads[1].connection


async def test_a_login_is_never_sent_twice_on_its_own(hostile: HostileGateway) -> None:
    hostile.on(h.LOGIN, answer_only_first_on_a_connection)
    async with client_for(hostile) as gw:
        with pytest.raises(GatewayUnreachableError, match="the connection was cut"):
            await gw.soe()  # /api/status first, then the login on the same connection
    assert hostile.logins() == 1
