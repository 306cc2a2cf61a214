"""NUT server figures: outage → ``ups.status`` OB as real ``upsc`` sees it, and the idle cost.

    .venv/bin/python -m benchmarks.nut latency [--repeats 5]
    .venv/bin/python -m benchmarks.nut idle [--seconds 60] [--clients 3]

``latency``: the simulator (its own process) loses the grid at a random phase of the 5 s poll;
``upsc powerwall@127.0.0.1:PORT ups.status`` runs back to back until it says OB. Printed beside
the poller's own outage event in the same run: the NUT path should add only upsc's own time.

``idle``: this process's CPU (poller + server) while 3 real ``upsmon`` secondaries poll every
5 s, against the poller alone for the same time, and the server's CPU per request under load
(from a client in another process). Needs Debian's nut-client. Only loopback is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from benchmarks._sim import PASSWORD, simulator
from pwtray.gateway import GatewayClient, GridState
from pwtray.monitor import Event, EventKind, Poller, Snapshot
from pwtray.nut import Limits, NutServer, NutUser

UPSMON = ("/lib/nut/upsmon", "/usr/lib/nut/upsmon", "/usr/sbin/upsmon")  # not Debian's wrapper
INSTALL = "install nut-client (scripts/install-system-packages)"


def upsc() -> str:
    path = shutil.which("upsc")
    if path is None:
        sys.exit(f"upsc is missing: {INSTALL}")
    return path


async def status_by_upsc(port: int) -> str:
    process = await asyncio.create_subprocess_exec(
        upsc(),
        f"powerwall@127.0.0.1:{port}",
        "ups.status",
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    return out.decode().strip()


async def until_status(port: int, status: str) -> None:
    for _ in range(600):
        if await status_by_upsc(port) == status:
            return
        await asyncio.sleep(0.1)
    sys.exit(f"upsc never showed {status}")


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(600):
        if condition():
            return
        await asyncio.sleep(0.1)
    sys.exit("the benchmark's set-up did not come up within a minute")


# ---------------------------------------------------------------------- latency
async def latency(repeats: int) -> None:
    with simulator() as sim:
        control = httpx.AsyncClient(base_url=f"https://{sim.address}", verify=False)  # noqa: S501
        async with GatewayClient(sim.address, password=PASSWORD, fingerprint=sim.fingerprint) as gw:
            poller = Poller(gw)  # the default schedule: fast reads every 5 s
            outage_at = [0.0]
            outage = asyncio.Event()

            def listen(snapshot: Snapshot, events: list[Event]) -> None:
                if any(e.kind is EventKind.GRID_OUTAGE for e in events):
                    outage_at[0] = time.time()
                    outage.set()

            poller.subscribe(listen)
            server = NutServer(lambda: poller.snapshot, port=0)
            await server.start()
            task = asyncio.create_task(poller.run())
            port = server.listen.port
            to_ob, to_event, upsc_runs = [], [], []
            rng = random.Random(3)
            await until_status(port, "OL")
            for _ in range(repeats):
                await asyncio.sleep(rng.uniform(0, 5))  # any phase of the polling cycle
                outage.clear()
                down_at = time.time()
                await control.post("/_sim/grid/down")
                runs = 0
                while await status_by_upsc(port) != "OB":
                    runs += 1
                to_ob.append(time.time() - down_at)
                upsc_runs.append(runs + 1)
                await outage.wait()
                to_event.append(outage_at[0] - down_at)
                await control.post("/_sim/grid/up")
                await control.post("/_sim/advance", json={"seconds": 60})
                await until_status(port, "OL")
            task.cancel()
            await server.stop()
        await control.aclose()
    print(f"\nOutage -> ups.status OB as seen by upsc, {repeats} outages (fast poll 5 s):")
    print(
        f"  upsc sees OB:      median {statistics.median(to_ob):.2f} s, max {max(to_ob):.2f} s"
        f"  {json.dumps([round(d, 2) for d in to_ob])}"
    )
    print(
        f"  poller's event:    median {statistics.median(to_event):.2f} s, "
        f"max {max(to_event):.2f} s  {json.dumps([round(d, 2) for d in to_event])}"
    )
    extra = [a - b for a, b in zip(to_ob, to_event, strict=True)]
    print(
        f"  NUT path adds:     median {statistics.median(extra) * 1000:.0f} ms "
        f"(upsc ran {sum(upsc_runs)} times back to back)"
    )


# ---------------------------------------------------------------------- idle cost
@contextmanager
def upsmons(count: int, port: int, user: NutUser, folder: Path) -> Iterator[None]:
    program = next((p for p in UPSMON if os.access(p, os.X_OK)), None)
    if program is None:
        sys.exit(f"upsmon is missing: {INSTALL}")
    processes = []
    try:
        for n in range(count):
            home = folder / f"upsmon{n}"
            home.mkdir()
            (home / "wall").write_text("#!/bin/sh\ncat > /dev/null\n")
            (home / "wall").chmod(0o755)
            config = home / "upsmon.conf"
            config.write_text(
                textwrap.dedent(f"""\
                MONITOR powerwall@127.0.0.1:{port} 1 {user.username} {user.password} secondary
                MINSUPPLIES 1
                SHUTDOWNCMD "/bin/true"
                POLLFREQ 5
                POLLFREQALERT 5
                """)
            )
            config.chmod(0o600)
            env = {
                "PATH": f"{home}:/usr/bin:/bin",
                "NUT_CONFPATH": str(home),
                "NUT_STATEPATH": str(home),
                "NUT_ALTPIDPATH": str(home),
            }
            name = f"upsmon-pwtray-bench-{os.getpid()}-{n}"
            processes.append(
                (
                    name,
                    subprocess.Popen(
                        [name, "-F", "-p"],
                        executable=program,
                        env=env,
                        cwd=home,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    ),
                )
            )
        yield
    finally:
        for name, process in processes:
            process.terminate()
            process.wait(timeout=10)
            Path("/run/nut", f"{name}.pid").unlink(missing_ok=True)


async def cpu_over(seconds: float) -> float:
    """This process's CPU, in % of one core, over the next ``seconds``."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100.0


LOAD_CLIENT = """
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
n = int(sys.argv[2]); request = b"GET VAR powerwall ups.status\\n"
f = s.makefile("rb")
for _ in range(n // 100):
    s.sendall(request * 100)
    for _ in range(100):
        f.readline()
"""


async def per_request_cpu(server: NutServer, requests: int) -> float:
    """Server CPU per GET VAR, in µs, the client in another process."""
    cpu0 = time.process_time()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOAD_CLIENT, str(server.listen.port), str(requests)
    )
    await process.wait()
    return (time.process_time() - cpu0) / requests * 1e6


async def idle(seconds: float, clients: int) -> None:
    user = NutUser("monuser", secrets.token_hex(8))
    with simulator() as sim, tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        async with GatewayClient(sim.address, password=PASSWORD, fingerprint=sim.fingerprint) as gw:
            poller = Poller(gw)
            task = asyncio.create_task(poller.run())
            await until(lambda: poller.snapshot.grid is GridState.CONNECTED)
            alone = await cpu_over(seconds)
            server = NutServer(lambda: poller.snapshot, port=0, user=user)
            await server.start()
            stack.enter_context(upsmons(clients, server.listen.port, user, Path(folder)))
            await until(lambda: sum(c.logged_in for c in server.clients()) == clients)
            served = await cpu_over(seconds)
            commands = sum(c.commands for c in server.clients())
            stack.close()
            await server.stop()
            loaded = NutServer(
                lambda: poller.snapshot,
                port=0,
                limits=Limits(commands_per_s=1e9, command_burst=10**9),
            )
            await loaded.start()
            per_request = await per_request_cpu(loaded, 20_000)
            await loaded.stop()
            task.cancel()
    rate = clients / 5.0
    print(
        f"\nIdle cost, {clients} upsmon secondaries polling every 5 s, {seconds:.0f} s each "
        "(2 shared cores: noisy):"
    )
    print(f"  poller alone:           {alone:.3f} % CPU")
    print(f"  poller + NUT server:    {served:.3f} % CPU  ({commands} requests answered)")
    print(f"  difference:             {served - alone:+.3f} % CPU")
    print(
        f"  per request under load: {per_request:.0f} µs CPU -> {rate:.1f} requests/s "
        f"cost {per_request * rate / 1e4:.4f} % CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="what", required=True)
    measure = commands.add_parser("latency")
    measure.add_argument("--repeats", type=int, default=5)
    cost = commands.add_parser("idle")
    cost.add_argument("--seconds", type=float, default=60.0)
    cost.add_argument("--clients", type=int, default=3)
    args = parser.parse_args()
    if args.what == "latency":
        asyncio.run(latency(args.repeats))
    else:
        asyncio.run(idle(args.seconds, args.clients))


if __name__ == "__main__":
    main()
