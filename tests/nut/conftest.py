"""Fixtures for the NUT server's tests: servers on loopback, stopped after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from pwtray.nut import NutServer, NutUser
from tests.nut.helpers import Site

USER = NutUser("monuser", "Pw-4nut.Test")

Serve = Callable[..., Awaitable[NutServer]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """``await serve(provider, **options)``: a started server on 127.0.0.1, any free port."""
    servers: list[NutServer] = []

    async def start(provider: Any, **options: Any) -> NutServer:
        options.setdefault("port", 0)
        server = NutServer(provider, **options)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
def site() -> Site:
    return Site()


@pytest.fixture
async def server(serve: Serve, site: Site) -> NutServer:
    """The usual server: a fresh two-Powerwall site on the grid, the test user, a fake clock."""
    return await serve(site, user=USER, wall=site.wall)
