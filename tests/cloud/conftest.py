"""Fixtures for the cloud client: a simulated gateway with the simulated Tesla cloud in front
of it (real HTTPS, verified against the CA the simulated cloud writes), a fake wall clock for
the client, and stores that record what happened to the tokens."""

from __future__ import annotations

import asyncio
import ssl
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from pwtray.cloud import (
    FleetClient,
    MemoryTokenStore,
    sign_in_with_browser,
    sign_in_with_refresh_token,
)
from pwtray.simulator import Simulator
from pwtray.simulator.cloud import CloudConfig, CloudSimulator, din_for_serial
from tests.conftest import SIM_START, SimFactory

CLIENT_ID = "pwtray-test-client"
# Tests read settings, then wait for a delayed command by moving the cloud's clock; a long
# delay means no machine is slow enough for the wall clock to get there first.
DELAY_S = 600.0


class FakeClock:
    """The client's wall clock (time.time() seconds), moved only by the test."""

    def __init__(self, start: float = SIM_START.timestamp()) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Cloud:
    gateway: Simulator
    sim: CloudSimulator
    din: str

    @property
    def url(self) -> str:
        return self.sim.base_url

    def client(self, store: Any, clock: FakeClock, *, site_id: int | None = None) -> FleetClient:
        return FleetClient(
            CLIENT_ID,
            store,
            cloud_url=self.url,
            auth_url=self.url,
            ca_path=self.sim.ca_path,
            site_id=site_id,
            clock=clock,
        )

    async def paste_sign_in(self, store: Any, clock: FakeClock) -> None:
        await sign_in_with_refresh_token(
            CLIENT_ID,
            self.sim.config.refresh_token,
            store,
            auth_url=self.url,
            ca_path=self.sim.ca_path,
            clock=clock,
        )

    async def connected(self, clock: FakeClock, store: Any | None = None) -> FleetClient:
        """Signed in (paste flow), region discovered, site chosen by the gateway's DIN."""
        store = store if store is not None else MemoryTokenStore()
        await self.paste_sign_in(store, clock)
        client = self.client(store, clock)
        await client.connect(self.din)
        return client

    def paths(self) -> list[tuple[str, str, int]]:
        """(method, last path segment, status) of every request the cloud saw."""
        return [(r.method, r.path.rsplit("/", 1)[-1], r.status) for r in self.sim.requests()]


CloudFactory = Callable[..., Cloud]


@pytest.fixture
def cloud_factory(sim_factory: SimFactory) -> Iterator[CloudFactory]:
    started: list[CloudSimulator] = []
    before = set(threading.enumerate())

    def start(gateway: Simulator | None = None, **overrides: Any) -> Cloud:
        gateway = gateway or sim_factory()
        din = overrides.setdefault("gateway_din", din_for_serial(gateway.config.serial))
        overrides.setdefault("delay_s", DELAY_S)
        overrides.setdefault("client_id", CLIENT_ID)
        cloud = CloudSimulator(gateway, CloudConfig(**overrides)).start()
        started.append(cloud)
        return Cloud(gateway, cloud, din)

    yield start
    for cloud in started:
        cloud.stop()
    leaked = [
        t
        for t in set(threading.enumerate()) - before
        if t.name.startswith("pwtray-cloud-sim") and t.is_alive()
    ]
    assert not leaked, f"simulated cloud threads left running: {leaked}"


@pytest.fixture
def cloud(cloud_factory: CloudFactory) -> Cloud:
    return cloud_factory()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class Crash(Exception):
    """Stands in for the process dying at that point."""


class RecordingStore(MemoryTokenStore):
    """A token store that records each operation with how many requests the cloud had seen,
    and can crash at a chosen operation."""

    def __init__(self, cloud: Cloud, crash_on: str | None = None) -> None:
        super().__init__()
        self.cloud = cloud
        self.crash_on = crash_on
        self.ops: list[tuple[str, int]] = []

    def _op(self, name: str) -> None:
        self.ops.append((name, len(self.cloud.sim.requests())))
        if name == self.crash_on:
            raise Crash(name)

    async def save_refresh_token(self, token: str) -> None:
        self._op("save_refresh")
        await super().save_refresh_token(token)

    async def save_access_token(self, token: str, use_until: float) -> None:
        self._op("save_access")
        await super().save_access_token(token, use_until)


def ca_context(cloud: Cloud) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cloud.sim.ca_path))


async def browser_sign_in(cloud: Cloud, store: Any, clock: FakeClock) -> None:
    """The browser flow, with ``browse`` as the browser."""
    await sign_in_with_browser(
        CLIENT_ID,
        store,
        open_browser=lambda url: asyncio.get_running_loop().create_task(browse(url, cloud)),
        auth_url=cloud.url,
        cloud_url=cloud.url,
        ca_path=cloud.sim.ca_path,
        clock=clock,
    )


async def browse(url: str, cloud: Cloud) -> httpx.Response:
    """What the system browser does: open Tesla's page, follow its redirect to pwtray."""
    async with httpx.AsyncClient(verify=ca_context(cloud), trust_env=False) as web:
        page = await web.get(url)
        assert page.status_code == 302, page.text
        location = page.headers["location"]
        assert urllib.parse.urlsplit(location).hostname == "localhost"  # loopback only
        return await web.get(location)
