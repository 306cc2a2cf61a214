"""Hostile or broken clients cost little and never stop the server serving the others."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from contextlib import AsyncExitStack

import pytest

from pwtray.nut import Limits, NutBindError, NutConfigError, NutServer
from tests.nut.conftest import Serve
from tests.nut.helpers import RawClient, Site, raw_client, upsc_value
from tests.waiting import until

STATUS = 'VAR powerwall ups.status "OL"'


async def served(server: NutServer, source: str = "127.0.0.1") -> bool:
    async with raw_client(server.listen.port, source=source) as nut:
        return await nut.ask("GET VAR powerwall ups.status") == STATUS


async def test_an_overlong_line_is_refused_and_its_connection_closed(
    serve: Serve, site: Site
) -> None:
    server = await serve(site, wall=site.wall, limits=Limits(max_line_bytes=1024))
    async with raw_client(server.listen.port) as nut:
        await nut.send(b"GET VAR powerwall " + b"x" * 100_000)  # no end of line in sight
        assert await nut.line() == "ERR TOO-LONG"
        assert await nut.closed_by_server()
    assert await upsc_value(f"powerwall@127.0.0.1:{server.listen.port}", "ups.status") == "OL"
    assert server.clients() == []


async def test_garbage_gets_errors_and_the_connection_stays_usable(server: NutServer) -> None:
    rng = random.Random(20)
    async with raw_client(server.listen.port) as nut:
        for _ in range(40):
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
            junk = junk.replace(b"\n", b"")
            assert (await nut.ask(junk.decode("latin-1"))).startswith("ERR ")
        await nut.send(b"\x00\xff\xfeGET\x07 VAR powerwall ups.status\n")  # control bytes dropped
        assert await nut.line() == STATUS
        assert await nut.ask("GET VAR powerwall ups.status") == STATUS


async def test_a_silent_or_dribbling_client_is_shed(serve: Serve, site: Site) -> None:
    server = await serve(site, wall=site.wall, limits=Limits(idle_timeout_s=0.5))
    async with raw_client(server.listen.port) as silent, raw_client(server.listen.port) as slow:
        assert await silent.ask("NETVER") == "1.3"
        assert await silent.closed_by_server()
        # a byte now and then, never a whole line: the idle timer is not reset by it
        with pytest.raises(ConnectionError):
            await _dribble(slow)
    await until(lambda: server.clients() == [], what="both connections gone")
    assert await served(server)


async def _dribble(nut: RawClient) -> None:
    for _ in range(1000):
        await nut.send(b"G")
        await asyncio.sleep(0.05)  # the hostile client's pace, not a wait for the server


async def test_connections_are_capped_per_address_and_overall(serve: Serve, site: Site) -> None:
    limits = Limits(max_clients=6, max_clients_per_address=3)
    server = await serve(site, wall=site.wall, limits=limits)
    async with AsyncExitStack() as stack:
        flood = [
            await stack.enter_async_context(raw_client(server.listen.port, source="127.0.0.7"))
            for _ in range(5)
        ]
        for nut in flood[:3]:
            assert await nut.ask("NETVER") == "1.3"
        for nut in flood[3:]:
            assert await nut.closed_by_server()  # closed at accept, without a word
        # another machine is still served while that one holds its share
        assert await served(server, source="127.0.0.8")
        more = [
            await stack.enter_async_context(raw_client(server.listen.port, source=source))
            for source in ("127.0.0.8", "127.0.0.8", "127.0.0.9", "127.0.0.9")
        ]
        answered = [nut for nut in more if await _answers(nut)]
        assert len(answered) == 3  # 3 + 3 = the overall cap of 6
        await flood[0].close()
        await until(lambda: len(server.clients()) == 5, what="a free place")
        assert await served(server, source="127.0.0.10")


async def _answers(nut: RawClient) -> bool:
    try:
        return await nut.ask("NETVER") == "1.3"
    except (AssertionError, ConnectionError):
        return False


async def test_a_flooding_client_is_slowed_while_others_are_answered(
    serve: Serve, site: Site
) -> None:
    limits = Limits(commands_per_s=20.0, command_burst=50)
    server = await serve(site, wall=site.wall, limits=limits)
    async with raw_client(server.listen.port) as flooder:
        await flooder.send(b"GET VAR powerwall ups.status\n" * 400)
        await until(lambda: sum(c.commands for c in server.clients()) >= 50, what="the burst")
        assert await upsc_value(f"powerwall@127.0.0.1:{server.listen.port}", "ups.status") == "OL"
        (flooding,) = server.clients()
        assert flooding.commands < 400  # held to its rate, not served at the others' expense


async def test_a_client_that_does_not_read_its_replies_is_dropped(serve: Serve, site: Site) -> None:
    limits = Limits(commands_per_s=1e9, command_burst=10**9, write_timeout_s=0.5)
    server = await serve(site, wall=site.wall, limits=limits)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.listen.port))
    sock.setblocking(False)
    try:
        with pytest.raises(ConnectionError):  # the server gave up on us and closed
            await _send_without_reading(sock)
        await until(lambda: server.clients() == [], what="the reader-less client dropped")
    finally:
        sock.close()
    assert await served(server)


async def _send_without_reading(sock: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    request = b"LIST VAR powerwall\n" * 2000
    for _ in range(1000):
        await asyncio.wait_for(loop.sock_sendall(sock, request), 30)


async def test_clients_not_listed_are_refused_at_once(
    serve: Serve, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="pwtray.nut")
    server = await serve(site, wall=site.wall, allowed_clients=["127.0.0.5", "127.0.2.0/24"])
    async with raw_client(server.listen.port, source="127.0.0.6") as stranger:
        assert await stranger.closed_by_server()
    async with raw_client(server.listen.port, source="127.0.0.6") as stranger:
        assert await stranger.closed_by_server()
    assert caplog.text.count("NUT connection from 127.0.0.6 refused") == 1  # said once
    assert await served(server, source="127.0.0.5")
    assert await served(server, source="127.0.2.77")
    assert await served(server, source="127.0.0.1")  # this computer itself


def test_listening_beyond_this_computer_needs_a_list_of_clients(site: Site) -> None:
    with pytest.raises(NutConfigError, match="no allowed clients"):
        NutServer(site, host="0.0.0.0")  # noqa: S104 - checked, never bound
    with pytest.raises(NutConfigError, match="not an IP address or network"):
        NutServer(site, host="0.0.0.0", allowed_clients=["nas.lan"])  # noqa: S104
    NutServer(site, host="0.0.0.0", allowed_clients=["127.0.1.0/24"])  # noqa: S104 - not started
    with pytest.raises(NutConfigError, match=r"not 'nas\.lan'"):
        NutServer(site, host="nas.lan")
    with pytest.raises(NutConfigError, match="UPS name"):
        NutServer(site, ups_name="my ups")


async def test_a_port_in_use_is_said_in_words(serve: Serve, site: Site) -> None:
    first = await serve(site, wall=site.wall)
    second = NutServer(site, port=first.listen.port)
    with pytest.raises(NutBindError, match=r"127\.0\.0\.1:\d+: the port is in use") as caught:
        await second.start()
    assert caught.value.port == first.listen.port
    assert not second.serving


async def test_stop_closes_every_connection(serve: Serve, site: Site) -> None:
    server = await serve(site, wall=site.wall)
    async with raw_client(server.listen.port) as one, raw_client(server.listen.port) as two:
        assert await one.ask("NETVER") == "1.3"
        assert await two.ask("NETVER") == "1.3"
        await server.stop()
        assert await one.closed_by_server()
        assert await two.closed_by_server()
    assert not server.serving
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", server.listen.port)
