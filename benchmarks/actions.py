"""Outage → the user's action started, with the app's own site and the default 5 s polling.

    .venv/bin/python -m benchmarks.actions [--repeats 5]

The simulator (its own process) loses the grid at a random phase of the 5 s poll; the site (the
core's client, poller and ActionService, as the app builds them) runs a real command on the
outage. Printed: the time to the poller's outage event, to the command being started (the run's
own start time) and to the command's first statement (it writes ``time.time()`` to a file) —
median and max. Only loopback is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks._sim import PASSWORD, simulator
from pwtray.core import (
    ActionsConfig,
    ActionService,
    ActionSpec,
    Site,
    Supervisor,
    Trigger,
    effective,
    join_command,
)
from pwtray.monitor import Event, EventKind, Snapshot
from pwtray.settings import Connection, Settings

STAMP = "import sys, time; open(sys.argv[1], 'a').write(repr(time.time()) + '\\n')"


async def until(condition: Callable[[], object], what: str) -> None:
    for _ in range(1200):
        if condition():
            return
        await asyncio.sleep(0.05)
    sys.exit(f"{what} did not happen within a minute")


async def measure(repeats: int) -> None:
    with simulator() as sim, tempfile.TemporaryDirectory() as folder:
        marker = Path(folder) / "started.txt"
        command = (sys.executable, "-c", STAMP, str(marker))
        settings = Settings(connection=Connection(host=sim.address, fingerprint=sim.fingerprint))
        config = effective(settings)  # the default schedule: fast reads every 5 s
        supervisor = Supervisor()
        site = Site(config, password=PASSWORD, history=None, supervisor=supervisor)
        actions = ActionService(
            site,
            supervisor,
            ActionsConfig(commands={Trigger.GRID_OUTAGE: ActionSpec(command, 30.0)}),
            folder=None,
        )
        outage_at: list[float] = []

        def listen(_snapshot: Snapshot, events: list[Event]) -> None:
            if any(e.kind is EventKind.GRID_OUTAGE for e in events):
                outage_at.append(time.time())

        site.subscribe(listen)
        site.subscribe(actions.on_update)
        control = httpx.AsyncClient(base_url=f"https://{sim.address}", verify=False)  # noqa: S501
        site.start()
        await until(lambda: site.snapshot.connectivity.live, "the first reading")
        rng = random.Random(7)
        to_event: list[float] = []
        to_start: list[float] = []
        to_command: list[float] = []
        for index in range(repeats):
            await asyncio.sleep(rng.uniform(0, 5))  # any phase of the polling cycle
            down_at = time.time()
            await control.post("/_sim/grid/down")
            await until(lambda: len(actions.runs) > index, "the action")  # noqa: B023 - awaited in this iteration
            run = actions.runs[-1]
            stamps = marker.read_text().split()
            to_event.append(outage_at[-1] - down_at)
            to_start.append(run.started_at - down_at)
            to_command.append(float(stamps[-1]) - down_at)
            await control.post("/_sim/grid/up")
            await control.post("/_sim/advance", json={"seconds": 60})
            await until(
                lambda: site.snapshot.grid is not None and site.snapshot.grid.grid_up,
                "the grid back",
            )
        await control.aclose()
        await supervisor.stop()
        await site.stop()
    print(f"\nOutage -> command action, {repeats} outages, fast poll 5 s (default), real time:")
    print(f"  command: {join_command(command)}")
    for name, values in (
        ("poller's outage event", to_event),
        ("action started (spawned)", to_start),
        ("command's first statement", to_command),
    ):
        print(
            f"  {name:27} median {statistics.median(values):.2f} s, max {max(values):.2f} s  "
            f"{json.dumps([round(v, 3) for v in values])}"
        )
    extra = [s - e for s, e in zip(to_start, to_event, strict=True)]
    print(f"  the action adds to the event: median {statistics.median(extra) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(measure(args.repeats))


if __name__ == "__main__":
    main()
