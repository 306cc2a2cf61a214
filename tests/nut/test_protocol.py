"""Each command and error reply of the NUT protocol, by hand over a socket, as upsd answers."""

from __future__ import annotations

import pytest

from pwtray import __version__
from pwtray.gateway import GridState
from pwtray.monitor import Connectivity
from pwtray.nut import NutServer
from tests.nut.conftest import USER, Serve
from tests.nut.helpers import Site, raw_client

UPS = "powerwall"


async def test_version_help_and_protocol_version(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("VER") == f"pwtray {__version__} NUT server (network protocol 1.3)"
        assert await nut.ask("NETVER") == "1.3"
        assert await nut.ask("PROTVER") == "1.3"  # upsd 2.8's alias
        assert await nut.ask("HELP") == (
            "Commands: HELP VER NETVER GET LIST LOGIN LOGOUT USERNAME PASSWORD STARTTLS"
        )
        for command in ("VER x", "NETVER 1", "HELP me"):
            assert await nut.ask(command) == "ERR INVALID-ARGUMENT"


async def test_list_ups_and_its_description(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask_list("LIST UPS") == [
            "BEGIN LIST UPS",
            'UPS powerwall "Tesla Powerwall 2 (pwtray)"',
            "END LIST UPS",
        ]
        assert await nut.ask("GET UPSDESC powerwall") == (
            'UPSDESC powerwall "Tesla Powerwall 2 (pwtray)"'
        )
        assert await nut.ask("GET UPSDESC ups1") == "ERR UNKNOWN-UPS"


async def test_list_var_gives_every_variable_quoted_in_order(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        lines = await nut.ask_list("LIST VAR powerwall")
    assert lines[0] == "BEGIN LIST VAR powerwall"
    assert lines[-1] == "END LIST VAR powerwall"
    body = lines[1:-1]
    assert all(line.startswith("VAR powerwall ") and line.endswith('"') for line in body)
    names = [line.split()[2] for line in body]
    assert names == sorted(names)
    assert 'VAR powerwall ups.status "OL"' in body
    assert 'VAR powerwall battery.charge "62"' in body
    assert 'VAR powerwall device.mfr "Tesla"' in body
    assert 'VAR powerwall ups.load "12.3"' in body  # 1234 W of 2 x 5 kW


async def test_names_match_without_regard_to_case_and_are_echoed_as_written(
    server: NutServer,
) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("get var PowerWall UPS.Status") == 'VAR PowerWall UPS.Status "OL"'
        lines = await nut.ask_list("list var POWERWALL")
        assert lines[0] == "BEGIN LIST VAR POWERWALL"
        assert lines[-1] == "END LIST VAR POWERWALL"


async def test_get_var_and_its_errors(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("GET VAR powerwall battery.charge.low") == (
            'VAR powerwall battery.charge.low "10"'
        )
        assert await nut.ask("GET VAR powerwall battery.voltage") == "ERR VAR-NOT-SUPPORTED"
        assert await nut.ask("GET VAR ups1 ups.status") == "ERR UNKNOWN-UPS"
        # upsd answers server.* itself, whatever UPS is named
        assert await nut.ask("GET VAR anything server.version") == (
            f'VAR anything server.version "{__version__}"'
        )
        assert await nut.ask("GET VAR powerwall server.nothing") == "ERR VAR-NOT-SUPPORTED"


@pytest.mark.parametrize(
    "request_line",
    [
        "GET",
        "GET VAR",
        "GET VAR powerwall",
        "GET NUMLOGINS",
        "GET FOO a b",
        "LIST",
        "LIST VAR",
        "LIST ENUM powerwall",
        "LIST FOO powerwall x",
        "GET TYPE powerwall",
    ],
)
async def test_missing_or_unknown_arguments_are_invalid(
    server: NutServer, request_line: str
) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask(request_line) == "ERR INVALID-ARGUMENT"


async def test_unknown_commands_and_empty_lines(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("REQ powerwall STATUS") == "ERR UNKNOWN-COMMAND"
        assert await nut.ask("") == "ERR UNKNOWN-COMMAND"
        assert await nut.ask("   # only a comment") == "ERR UNKNOWN-COMMAND"


async def test_type_description_and_the_empty_lists(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("GET TYPE powerwall ups.status") == (
            "TYPE powerwall ups.status STRING:64"
        )
        assert await nut.ask("GET TYPE powerwall battery.charge") == (
            "TYPE powerwall battery.charge NUMBER"
        )
        assert await nut.ask("GET TYPE powerwall battery.voltage") == "ERR VAR-NOT-SUPPORTED"
        assert await nut.ask("GET DESC powerwall battery.runtime") == (
            'DESC powerwall battery.runtime "Battery runtime (seconds)"'
        )
        assert await nut.ask("GET DESC powerwall x.y") == (
            'DESC powerwall x.y "Description unavailable"'
        )
        assert await nut.ask("GET CMDDESC powerwall load.off") == (
            'CMDDESC powerwall load.off "Description unavailable"'
        )
        # read-only: nothing writable, no instant commands
        assert await nut.ask_list("LIST RW powerwall") == [
            "BEGIN LIST RW powerwall",
            "END LIST RW powerwall",
        ]
        assert await nut.ask_list("LIST CMD powerwall") == [
            "BEGIN LIST CMD powerwall",
            "END LIST CMD powerwall",
        ]
        assert await nut.ask_list("LIST ENUM powerwall ups.status") == [
            "BEGIN LIST ENUM powerwall ups.status",
            "END LIST ENUM powerwall ups.status",
        ]
        assert await nut.ask("LIST RANGE powerwall battery.voltage") == "ERR VAR-NOT-SUPPORTED"
        assert await nut.ask("GET TRACKING") == "OFF"


async def test_quoted_words_escapes_and_comments(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask('GET VAR "powerwall" "ups.status"') == 'VAR powerwall ups.status "OL"'
        assert await nut.ask("GET VAR power\\wall ups.status # why") == (
            'VAR powerwall ups.status "OL"'
        )
        assert await nut.ask("GET\tVAR  powerwall ups.status\r") == 'VAR powerwall ups.status "OL"'
        # what upsd's parser rejects: the client gets an answer, and the connection goes on
        assert await nut.ask('GET VAR "powerwall') == "ERR INVALID-ARGUMENT"
        assert await nut.ask('GET VAR "power#wall" ups.status') == "ERR INVALID-ARGUMENT"
        assert await nut.ask("GET VAR powerwall ups.status\\") == "ERR INVALID-ARGUMENT"
        assert await nut.ask("GET VAR powerwall ups.status") == 'VAR powerwall ups.status "OL"'


async def test_values_are_escaped_as_upsd_escapes_them(server: NutServer, site: Site) -> None:
    site.update(firmware='24.36 "beta" #2 \\x')
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("GET VAR powerwall ups.firmware") == (
            'VAR powerwall ups.firmware "24.36 \\"beta\\" \\#2 \\\\x"'
        )


async def test_login_needs_username_then_password_then_the_right_ones(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("LOGIN powerwall") == "ERR USERNAME-REQUIRED"
        assert await nut.ask("USERNAME") == "ERR INVALID-ARGUMENT"
        assert await nut.ask("USERNAME monuser") == "OK"
        assert await nut.ask("USERNAME other") == "ERR ALREADY-SET-USERNAME"
        assert await nut.ask("LOGIN powerwall") == "ERR PASSWORD-REQUIRED"
        assert await nut.ask("PASSWORD wrong") == "OK"  # upsd checks only at LOGIN
        assert await nut.ask("PASSWORD again") == "ERR ALREADY-SET-PASSWORD"
        assert await nut.ask("LOGIN powerwall") == "ERR ACCESS-DENIED"
        assert await nut.ask("GET NUMLOGINS powerwall") == "NUMLOGINS powerwall 0"
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask(f"USERNAME {USER.username}") == "OK"
        assert await nut.ask(f"PASSWORD {USER.password}") == "OK"
        assert await nut.ask("LOGIN") == "ERR INVALID-ARGUMENT"
        assert await nut.ask("LOGIN ups1") == "ERR UNKNOWN-UPS"
        assert await nut.ask("LOGIN powerwall") == "OK"
        assert await nut.ask("LOGIN powerwall") == "ERR ALREADY-LOGGED-IN"
        assert await nut.ask("GET NUMLOGINS powerwall") == "NUMLOGINS powerwall 1"
        assert await nut.ask_list("LIST CLIENT powerwall") == [
            "BEGIN LIST CLIENT powerwall",
            "CLIENT powerwall 127.0.0.1",
            "END LIST CLIENT powerwall",
        ]
        async with raw_client(server.listen.port) as other:
            assert await other.ask("GET NUMLOGINS powerwall") == "NUMLOGINS powerwall 1"
    # the logged-in client left: upsmon's primary would see the count drop
    async with raw_client(server.listen.port) as other:
        assert await other.ask("GET NUMLOGINS powerwall") == "NUMLOGINS powerwall 0"
        assert await other.ask("GET NUMLOGINS ups1") == "ERR UNKNOWN-UPS"


async def test_with_no_nut_user_set_every_login_is_refused(serve: Serve, site: Site) -> None:
    server = await serve(site, user=None, wall=site.wall)
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask(f"USERNAME {USER.username}") == "OK"
        assert await nut.ask(f"PASSWORD {USER.password}") == "OK"
        assert await nut.ask("LOGIN powerwall") == "ERR ACCESS-DENIED"
        assert await nut.ask("PRIMARY powerwall") == "ERR ACCESS-DENIED"
        assert await nut.ask("GET VAR powerwall ups.status") == 'VAR powerwall ups.status "OL"'
    server.set_user(USER)  # set in Preferences: the next login works
    async with raw_client(server.listen.port) as nut:
        await nut.ask(f"USERNAME {USER.username}")
        await nut.ask(f"PASSWORD {USER.password}")
        assert await nut.ask("LOGIN powerwall") == "OK"


async def test_primary_and_the_old_master(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("PRIMARY powerwall") == "ERR USERNAME-REQUIRED"
        assert await nut.ask("MASTER powerwall") == "ERR USERNAME-REQUIRED"
        await nut.ask(f"USERNAME {USER.username}")
        await nut.ask(f"PASSWORD {USER.password}")
        assert await nut.ask("PRIMARY") == "ERR INVALID-ARGUMENT"
        assert await nut.ask("PRIMARY ups1") == "ERR UNKNOWN-UPS"
        assert await nut.ask("PRIMARY powerwall") == "OK PRIMARY-GRANTED"
        assert await nut.ask("MASTER powerwall") == "OK MASTER-GRANTED"


async def test_fsd_from_a_primary_is_seen_by_everyone_until_the_grid_is_back(
    server: NutServer, site: Site
) -> None:
    site.update(grid=GridState.ISLANDED)
    async with (
        raw_client(server.listen.port) as primary,
        raw_client(server.listen.port) as secondary,
    ):
        assert await primary.ask("FSD powerwall") == "ERR USERNAME-REQUIRED"
        await primary.ask(f"USERNAME {USER.username}")
        await primary.ask("PASSWORD not-it")
        assert await primary.ask("FSD powerwall") == "ERR ACCESS-DENIED"
        assert await secondary.ask("GET VAR powerwall ups.status") == (
            'VAR powerwall ups.status "OB"'
        )
    async with (
        raw_client(server.listen.port) as primary,
        raw_client(server.listen.port) as secondary,
    ):
        await primary.ask(f"USERNAME {USER.username}")
        await primary.ask(f"PASSWORD {USER.password}")
        assert await primary.ask("FSD") == "ERR INVALID-ARGUMENT"
        assert await primary.ask("FSD ups1") == "ERR UNKNOWN-UPS"
        assert await primary.ask("FSD powerwall") == "OK FSD-SET"
        assert await secondary.ask("GET VAR powerwall ups.status") == (
            'VAR powerwall ups.status "FSD OB"'
        )
        assert server.forced_shutdown
        site.update(grid=GridState.CONNECTED)  # pwtray's computer stayed up: the grid is back
        assert await secondary.ask("GET VAR powerwall ups.status") == (
            'VAR powerwall ups.status "OL"'
        )
        assert not server.forced_shutdown


async def test_pwtrays_own_shutdown_decision_shows_as_fsd(server: NutServer, site: Site) -> None:
    async with raw_client(server.listen.port) as nut:
        server.declare_shutdown(True)
        assert await nut.ask("GET VAR powerwall ups.status") == 'VAR powerwall ups.status "FSD OL"'
        site.update(grid=GridState.ISLANDED, soe_percent=4.0)
        assert await nut.ask("GET VAR powerwall ups.status") == (
            'VAR powerwall ups.status "FSD OB LB"'
        )
        server.declare_shutdown(False)
        assert await nut.ask("GET VAR powerwall ups.status") == ('VAR powerwall ups.status "OB LB"')


async def test_writes_and_instant_commands_are_refused(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask('SET VAR powerwall battery.charge.low "50"') == (
            "ERR USERNAME-REQUIRED"
        )
        assert await nut.ask("INSTCMD powerwall load.off") == "ERR USERNAME-REQUIRED"
        await nut.ask(f"USERNAME {USER.username}")
        await nut.ask(f"PASSWORD {USER.password}")
        assert await nut.ask('SET VAR powerwall battery.charge.low "50"') == "ERR ACCESS-DENIED"
        assert await nut.ask('SET VAR ups1 battery.charge.low "50"') == "ERR UNKNOWN-UPS"
        assert await nut.ask("SET VAR powerwall") == "ERR INVALID-ARGUMENT"
        assert await nut.ask("INSTCMD powerwall load.off") == "ERR CMD-NOT-SUPPORTED"
        assert await nut.ask("INSTCMD powerwall") == "ERR INVALID-ARGUMENT"
        assert await nut.ask("GET VAR powerwall battery.charge.low") == (
            'VAR powerwall battery.charge.low "10"'
        )


async def test_starttls_is_declined_and_the_connection_goes_on_in_plain_text(
    server: NutServer,
) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("STARTTLS") == "ERR FEATURE-NOT-CONFIGURED"
        assert await nut.ask("GET VAR powerwall ups.status") == 'VAR powerwall ups.status "OL"'


async def test_logout_says_goodbye_and_closes(server: NutServer) -> None:
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("LOGOUT now") == "ERR INVALID-ARGUMENT"
        assert await nut.ask("LOGOUT") == "OK Goodbye"
        assert await nut.closed_by_server()


@pytest.mark.parametrize(
    "connectivity",
    [
        Connectivity.STALE,
        Connectivity.OFFLINE,
        Connectivity.CONNECTING,
        Connectivity.GATEWAY_STOPPED,
        Connectivity.AUTH_REQUIRED,
    ],
)
async def test_stale_data_is_refused_as_upsd_refuses_it(
    server: NutServer, site: Site, connectivity: Connectivity
) -> None:
    site.update(connectivity=connectivity)
    async with raw_client(server.listen.port) as nut:
        for request in (
            "GET VAR powerwall ups.status",
            "LIST VAR powerwall",
            "GET NUMLOGINS powerwall",
            "GET TYPE powerwall ups.status",
            "LIST RW powerwall",
        ):
            assert await nut.ask(request) == "ERR DATA-STALE", request
        # what does not depend on the data still works, so upsmon stays logged in
        assert (await nut.ask_list("LIST UPS"))[1] == 'UPS powerwall "Tesla Powerwall 2 (pwtray)"'
        await nut.ask(f"USERNAME {USER.username}")
        await nut.ask(f"PASSWORD {USER.password}")
        assert await nut.ask("LOGIN powerwall") == "OK"
        site.update(connectivity=Connectivity.ONLINE)
        assert await nut.ask("GET VAR powerwall ups.status") == 'VAR powerwall ups.status "OL"'


async def test_data_older_than_its_max_age_is_stale_even_if_online(
    serve: Serve, site: Site
) -> None:
    server = await serve(site, wall=site.wall, max_age_s=15)
    async with raw_client(server.listen.port) as nut:
        site.wall.now += 15
        assert await nut.ask("GET VAR powerwall ups.status") == 'VAR powerwall ups.status "OL"'
        site.wall.now += 0.5  # the monitor stopped publishing: its "online" is 15.5 s old
        assert await nut.ask("GET VAR powerwall ups.status") == "ERR DATA-STALE"


async def test_without_a_monitor_the_driver_is_not_connected(serve: Serve) -> None:
    server = await serve(lambda: None)
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("GET VAR powerwall ups.status") == "ERR DRIVER-NOT-CONNECTED"
        assert await nut.ask("LIST VAR powerwall") == "ERR DRIVER-NOT-CONNECTED"
        assert await nut.ask("GET UPSDESC powerwall") == (
            'UPSDESC powerwall "Tesla Powerwall 2 (pwtray)"'
        )


async def test_another_ups_name(serve: Serve, site: Site) -> None:
    server = await serve(site, wall=site.wall, ups_name="house")
    async with raw_client(server.listen.port) as nut:
        assert await nut.ask("GET VAR house ups.status") == 'VAR house ups.status "OL"'
        assert await nut.ask("GET VAR powerwall ups.status") == "ERR UNKNOWN-UPS"
