"""Monitor figures: soak under random faults, outage→event latency, a year of history.

    .venv/bin/python -m benchmarks.monitor soak [--cycles 10000]
    .venv/bin/python -m benchmarks.monitor latency [--repeats 5]
    .venv/bin/python -m benchmarks.monitor history

The simulator runs in its own process; nothing but loopback is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks._sim import PASSWORD, simulator
from pwtray.gateway import GatewayClient, GridState
from pwtray.monitor import Event, EventKind, HistoryStore, Poller, Schedule, Snapshot


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def soak(cycles: int) -> None:
    faults = [None, "drop", "malformed-json", "html-error", "slow"]
    rng = random.Random(7)
    with simulator() as sim:
        # the simulator's own control endpoint, on loopback
        control = httpx.AsyncClient(base_url=f"https://{sim.address}", verify=False)  # noqa: S501
        async with GatewayClient(sim.address, password=PASSWORD, fingerprint=sim.fingerprint) as gw:
            poller = Poller(gw, schedule=Schedule(fast_s=0.01, slow_s=0.5, rare_s=5))
            baseline: tuple[int, int, int] | None = None
            started = time.perf_counter()
            fault_cycles = 0
            for cycle in range(1, cycles + 1):
                if cycle % 250 == 0:
                    await control.post("/_sim/faults/clear")
                    fault = rng.choice(faults)
                    if fault == "slow":
                        slow = {"kind": "slow", "latency_ms": 15, "rate": 0.5}
                        await control.post("/_sim/fault", json=slow)
                    elif fault:
                        await control.post("/_sim/fault", json={"kind": fault, "rate": 0.2})
                await poller.refresh()
                if poller.snapshot.error:
                    fault_cycles += 1
                if cycle == 1000:
                    baseline = (rss_kb(), open_fds(), len(asyncio.all_tasks()))
            elapsed = time.perf_counter() - started
            end = (rss_kb(), open_fds(), len(asyncio.all_tasks()))
        await control.aclose()
    assert baseline is not None
    print(f"\nSoak: {cycles} poll cycles in {elapsed:.0f} s; {fault_cycles} hit an injected fault")
    print(f"{'':14}{'after 1000':>12}{'at the end':>12}{'growth':>10}")
    for name, a, b in zip(("RSS (kB)", "open fds", "asyncio tasks"), baseline, end, strict=True):
        print(f"{name:14}{a:>12}{b:>12}{b - a:>+10}")


async def latency(repeats: int) -> None:
    with simulator() as sim:
        control = httpx.AsyncClient(base_url=f"https://{sim.address}", verify=False)  # noqa: S501
        async with GatewayClient(sim.address, password=PASSWORD, fingerprint=sim.fingerprint) as gw:
            poller = Poller(gw)  # the default schedule: fast reads every 5 s
            outage, connected = asyncio.Event(), asyncio.Event()
            outage_at = [0.0]

            def listen(snapshot: Snapshot, events: list[Event]) -> None:
                if any(e.kind is EventKind.GRID_OUTAGE for e in events):
                    outage_at[0] = time.time()
                    outage.set()
                if snapshot.grid is GridState.CONNECTED:
                    connected.set()

            poller.subscribe(listen)
            task = asyncio.create_task(poller.run())
            delays = []
            rng = random.Random(3)
            for _ in range(repeats):
                await asyncio.sleep(rng.uniform(0, 5))  # any phase of the polling cycle
                outage.clear()
                down_at = time.time()
                await control.post("/_sim/grid/down")
                await outage.wait()
                delays.append(outage_at[0] - down_at)
                connected.clear()
                await control.post("/_sim/grid/up")
                await control.post("/_sim/advance", json={"seconds": 60})
                await connected.wait()
            task.cancel()
        await control.aclose()
    print(f"\nOutage -> event latency over {repeats} outages (fast interval 5 s, goal <= 5.5 s):")
    print(f"median {statistics.median(delays):.2f} s, max {max(delays):.2f} s, "
          f"all: {json.dumps([round(d, 2) for d in delays])}")  # fmt: skip


def history() -> None:
    end = dt.datetime(2026, 12, 31, tzinfo=dt.UTC).timestamp()
    start = end - 365 * 86_400
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.sqlite"
        now = [start]
        store = HistoryStore(path, clock=lambda: now[0], tz=dt.UTC)
        insert_started = time.perf_counter()
        day = start
        while day < end:
            rows = [
                (t, 50.0, 120.0, -300.0, 900.0, 1100.0, 0)
                for t in (day + i * 5.0 for i in range(17_280))
            ]
            store.add_samples(rows)
            now[0] = day + 86_400
            store.maintain()
            day += 86_400
        insert_s = time.perf_counter() - insert_started
        timings: dict[str, tuple[float, int]] = {}
        for name, span in (("7-day", 7 * 86_400), ("1-year", 365 * 86_400)):
            runs, count = [], 0
            for _ in range(5):
                t0 = time.perf_counter()
                count = len(store.series(end - span, end))
                runs.append(time.perf_counter() - t0)
            timings[name] = (statistics.median(runs), count)
        counts = store.counts()
        store.close()
        size_mb = sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6
    print(f"\nHistory: one year of 5-second samples ({365 * 17_280:,} readings) "
          f"inserted and rolled up in {insert_s:.0f} s")  # fmt: skip
    for name, (seconds, points) in timings.items():
        print(
            f"{name} query: {seconds * 1000:.1f} ms, {points} points (goal < 50 ms, <= 2000 points)"
        )
    print(f"rows kept: {counts}; database size after a year: {size_mb:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("soak").add_argument("--cycles", type=int, default=10_000)
    sub.add_parser("latency").add_argument("--repeats", type=int, default=5)
    sub.add_parser("history")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # injected faults are expected here
    if args.what == "soak":
        asyncio.run(soak(args.cycles))
    elif args.what == "latency":
        asyncio.run(latency(args.repeats))
    else:
        history()


if __name__ == "__main__":
    main()
