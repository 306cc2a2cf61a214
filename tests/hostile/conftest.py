"""Hostile gateways for a test: started on loopback, stopped (and checked for leaks) after it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.hostile.server import HostileGateway

HostileFactory = Callable[..., HostileGateway]


@pytest.fixture
def hostile_factory() -> Iterator[HostileFactory]:
    started: list[HostileGateway] = []

    def start(**options: Any) -> HostileGateway:
        server = HostileGateway(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    leaked = [
        t for t in threading.enumerate() if t.name.startswith("pwtray-hostile") and t.is_alive()
    ]
    assert not leaked, f"hostile gateway threads left running: {leaked}"


@pytest.fixture
def hostile(hostile_factory: HostileFactory) -> HostileGateway:
    return hostile_factory()
