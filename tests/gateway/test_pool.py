"""The connection pool: one TLS handshake for many reads, never more connections than allowed."""

from __future__ import annotations

import asyncio

from tests.conftest import SimFactory
from tests.gateway.helpers import client_for


async def test_one_handshake_serves_many_reads(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    async with client_for(sim) as gw:
        for _ in range(20):
            await gw.soe()
    assert sim.tls_handshakes == 1


async def test_concurrent_reads_never_open_more_connections_than_allowed(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(scenarios=("slow:latency_ms=100,jitter_ms=0",))
    async with client_for(sim, max_connections=2) as gw:
        await gw.soe()
        readings = await asyncio.gather(*(gw.soe() for _ in range(8)))
    assert len(readings) == 8
    assert sim.tls_handshakes <= 2
