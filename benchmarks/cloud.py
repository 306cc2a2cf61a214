"""The Fleet API path against ``pwtray-sim --cloud`` (its own process): what a change costs.

Prints, for ``--repeats`` reserve changes: the time until the cloud confirms the change (its
answer plus one read-back) and until the local gateway API shows it, next to the simulated
cloud's delay (the ratio "visible / delay" is the part pwtray adds); how many cloud requests
opening the Mode & reserve dialog and one command cost, and how many an idle client makes; and
(in-process, where the cloud can be told to expire the token mid-command) what a token refresh
during a command adds.

    .venv/bin/python -m benchmarks.cloud [--delay 3] [--repeats 5] [--idle 5]

Everything runs on loopback. Timings are wall-clock on a shared machine: read the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pwtray.cloud import FleetClient, MemoryTokenStore, sign_in_with_refresh_token
from pwtray.gateway import GatewayClient, api_to_app

PASSWORD = "BenchPw1"
SERIAL = "TG1234567890G1"
POLL_S = 0.02  # how often the local API is read while waiting (the measurement's resolution)


@dataclass(frozen=True)
class Sims:
    gateway_address: str
    fingerprint: str
    cloud_url: str
    ca_path: str
    client_id: str
    refresh_token: str


@contextmanager
def simulators(delay_s: float) -> Iterator[Sims]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pwtray.simulator.cli", "--port", "0", "--password", PASSWORD,
         "--serial", SERIAL, "--cloud", "--cloud-delay", str(delay_s)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip  # the command line as one would type it
    try:
        assert process.stdout is not None
        gateway = re.search(r"https://(\S+) sha256=(\w+)", process.stdout.readline())
        cloud = re.search(
            r"cloud on (\S+) ca=(\S+) client-id=(\S+) refresh-token=(\S+)",
            process.stdout.readline(),
        )
        if not gateway or not cloud:
            raise RuntimeError("pwtray-sim --cloud did not start")
        yield Sims(gateway[1], gateway[2], cloud[1], cloud[2], cloud[3], cloud[4])
    finally:
        process.terminate()
        process.wait(timeout=10)


def client_for(sims: Sims, store: MemoryTokenStore) -> FleetClient:
    return FleetClient(
        sims.client_id, store, cloud_url=sims.cloud_url, auth_url=sims.cloud_url,
        ca_path=sims.ca_path,
    )  # fmt: skip  # one constructor call


async def local_reserve_is(gateway: GatewayClient, reserve: int) -> None:
    while True:
        if round(api_to_app((await gateway.operation()).backup_reserve_percent)) == reserve:
            return
        await asyncio.sleep(POLL_S)


async def command_figures(sims: Sims, delay_s: float, repeats: int, idle_s: float) -> None:
    store = MemoryTokenStore()
    await sign_in_with_refresh_token(
        sims.client_id, sims.refresh_token, store, auth_url=sims.cloud_url, ca_path=sims.ca_path
    )
    gateway = GatewayClient(sims.gateway_address, password=PASSWORD, fingerprint=sims.fingerprint)
    async with client_for(sims, store) as client, gateway:
        await client.connect(f"1232100-00-E--{SERIAL}")
        await gateway.operation()  # log in locally before timing anything

        client.calls.clear()
        start = time.perf_counter()
        await client.read_settings()
        dialog_s = time.perf_counter() - start
        dialog_calls = list(client.calls)

        confirmed: list[float] = []
        visible: list[float] = []
        command_calls: list[str] = []
        for n in range(repeats):
            reserve = 30 + 10 * (n % 5)
            client.calls.clear()
            start = time.perf_counter()
            result = await client.set_reserve(reserve)
            confirmed.append(time.perf_counter() - start)
            command_calls = list(client.calls)
            assert result.reported == reserve
            await local_reserve_is(gateway, reserve)  # another process: read until it shows
            visible.append(time.perf_counter() - start)

        client.calls.clear()
        await asyncio.sleep(idle_s)
        idle_calls = len(client.calls)

    print(f"\nFleet API path, simulated cloud delay {delay_s:g} s, {repeats} reserve changes")
    print(f"{'':<44}{'median':>10}{'p90':>10}{'x delay':>9}")
    for name, values in (
        ("command -> confirmed by the cloud", confirmed),
        ("command -> visible on the local API", visible),
    ):
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else median
        ratio = f"{median / delay_s:>9.3f}" if delay_s else f"{'-':>9}"
        print(f"{name:<44}{median * 1000:>8.0f}ms{p90 * 1000:>8.0f}ms{ratio}")
    print(f"{'open the dialog (read settings)':<44}{dialog_s * 1000:>8.0f}ms")
    print(f"\ncloud requests: open the dialog = {len(dialog_calls)} ({', '.join(dialog_calls)})")
    print(f"cloud requests: one command     = {len(command_calls)} ({', '.join(command_calls)})")
    print(f"cloud requests: idle for {idle_s:g} s    = {idle_calls} (per hour idle: 0 by design)")


async def refresh_in_flight_figures(repeats: int) -> None:
    """A command whose read-back meets an expired token, against one that does not."""
    from pwtray.simulator import Simulator, SimulatorConfig
    from pwtray.simulator.cloud import CloudConfig, CloudSimulator

    with (
        Simulator(SimulatorConfig()) as gateway,
        CloudSimulator(gateway, CloudConfig(delay_s=60)) as cloud,
    ):
        store = MemoryTokenStore()
        url, ca = cloud.base_url, cloud.ca_path
        await sign_in_with_refresh_token(
            cloud.config.client_id, cloud.config.refresh_token, store, auth_url=url, ca_path=ca
        )
        plain: list[float] = []
        expiring: list[float] = []
        calls: list[str] = []
        async with FleetClient(
            cloud.config.client_id, store, cloud_url=url, auth_url=url, ca_path=ca
        ) as client:
            await client.connect(cloud.config.gateway_din)
            for n in range(repeats):
                start = time.perf_counter()
                await client.set_reserve(40 + n % 5)
                plain.append(time.perf_counter() - start)
                cloud.after_next("/backup", cloud.expire_access_tokens)
                client.calls.clear()
                start = time.perf_counter()
                await client.set_reserve(50 + n % 5)
                expiring.append(time.perf_counter() - start)
                calls = list(client.calls)
    ratio = statistics.median(expiring) / statistics.median(plain)
    print("\ntoken expiring while a command is in flight (in-process simulators)")
    print(f"  command, token valid        {statistics.median(plain) * 1000:>7.1f} ms median")
    print(
        f"  command, token expires      {statistics.median(expiring) * 1000:>7.1f} ms median"
        f"  (x{ratio:.2f}; {len(calls)} requests: {', '.join(calls)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=3.0, help="simulated cloud delay, s")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds to watch an idle client")
    args = parser.parse_args()
    with simulators(args.delay) as sims:
        asyncio.run(command_figures(sims, args.delay, args.repeats, args.idle))
    asyncio.run(refresh_in_flight_figures(max(args.repeats, 10)))


if __name__ == "__main__":
    main()
