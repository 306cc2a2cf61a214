"""One poll cycle (aggregates + soe + grid_status) against a gateway that takes 20 ms a request.

Compares pwtray's client with the peer libraries pypowerwall and tesla-powerwall (the ``bench``
extra), all measured in this run against the same simulator process. Prints wall time per cycle
(median and 90th percentile), client CPU time per cycle, and each one's ratio to a single request.

    .venv/bin/python -m benchmarks.poll_cycle [--cycles 60] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable

from benchmarks._sim import PASSWORD, simulator
from pwtray.core._concurrency import concurrently
from pwtray.gateway import GatewayClient

Row = tuple[str, list[float], float]


async def measure(name: str, cycle: Callable[[], Awaitable[object]], cycles: int) -> Row:
    for _ in range(3):  # warm-up: login, TLS handshakes, connection pool
        await cycle()
    walls: list[float] = []
    cpu_start = time.process_time()
    for _ in range(cycles):
        start = time.perf_counter()
        await cycle()
        walls.append(time.perf_counter() - start)
    cpu_per_cycle = (time.process_time() - cpu_start) / cycles
    return name, walls, cpu_per_cycle


async def pwtray_rows(address: str, fingerprint: str, cycles: int) -> list[Row]:
    async with GatewayClient(address, password=PASSWORD, fingerprint=fingerprint) as gw:
        single = await measure("pwtray: one request (soe)", gw.soe, cycles)
        cycle = await measure(
            "pwtray (concurrent)",
            lambda: concurrently(gw.meters_aggregates(), gw.soe(), gw.grid_status()),
            cycles,
        )
    return [single, cycle]


async def tesla_powerwall_rows(address: str, cycles: int) -> list[Row]:
    import tesla_powerwall

    async with tesla_powerwall.Powerwall(f"https://{address}/") as pw:
        await pw.login(PASSWORD, "bench@example.com")

        async def sequential() -> None:  # how Home Assistant calls it
            await pw.get_meters()
            await pw.get_charge()
            await pw.get_grid_status()

        async def gathered() -> None:
            await asyncio.gather(pw.get_meters(), pw.get_charge(), pw.get_grid_status())

        return [
            await measure("tesla-powerwall (sequential)", sequential, cycles),
            await measure("tesla-powerwall (gather)", gathered, cycles),
        ]


async def pypowerwall_rows(address: str, cycles: int) -> list[Row]:
    import pypowerwall

    with tempfile.TemporaryDirectory() as auth_dir:
        pw = pypowerwall.Powerwall(
            address, PASSWORD, "bench@example.com", "America/Los_Angeles",
            pwcacheexpire=0, cachefile=f"{auth_dir}/.powerwall", authpath=auth_dir,
        )  # fmt: skip

        async def cycle() -> None:  # a synchronous library: each call blocks
            pw.poll("/api/meters/aggregates")
            pw.poll("/api/system_status/soe")
            pw.poll("/api/system_status/grid_status")

        return [await measure("pypowerwall (sync, cache off)", cycle, cycles)]


def report(rows: list[Row], latency_ms: float) -> None:
    single = statistics.median(rows[0][1])
    ours = statistics.median(rows[1][1])
    print(
        "\nPoll cycle = aggregates + soe + grid_status; "
        f"simulator latency {latency_ms:.0f} ms/request"
    )
    print(
        f"{'client':<32}{'median ms':>10}{'p90 ms':>9}{'CPU ms':>9}{'x single':>10}{'x pwtray':>10}"
    )
    for name, walls, cpu in rows:
        median = statistics.median(walls)
        p90 = statistics.quantiles(walls, n=10)[-1]
        print(f"{name:<32}{median * 1000:>10.1f}{p90 * 1000:>9.1f}{cpu * 1000:>9.2f}"
              f"{median / single:>10.2f}{median / ours:>10.2f}")  # fmt: skip
    print(f"\ngoal: a pwtray cycle <= 1.10 x one round trip: {ours / single:.2f}")
    peer = next((row for row in rows if row[0] == "tesla-powerwall (gather)"), None)
    if peer is not None:
        our_cpu = rows[1][2]
        print(f"goal: pwtray CPU per cycle <= tesla-powerwall (gather): {our_cpu * 1000:.2f} ms "
              f"vs {peer[2] * 1000:.2f} ms ({our_cpu / peer[2]:.2f} x)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=60)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the peers turn certificate checks off and urllib3 says so
    fault = f"slow:latency_ms={args.latency_ms},jitter_ms=0"
    with simulator("--scenario", fault) as sim:
        rows = asyncio.run(pwtray_rows(sim.address, sim.fingerprint, args.cycles))
        for peer in (tesla_powerwall_rows, pypowerwall_rows):
            try:
                rows += asyncio.run(peer(sim.address, args.cycles))
            except ImportError:
                name = peer.__name__.removesuffix("_rows")
                print(f"({name} not installed: pip install -e '.[test]')")
    report(rows, args.latency_ms)


if __name__ == "__main__":
    main()
