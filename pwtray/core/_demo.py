"""The demo: a simulated gateway on loopback, with its own throw-away settings and a week of
history made by the simulator's physics, so every tab and range has something on first look.

This is the only module outside the tests that imports the simulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from pwtray.core._config import CliOptions
from pwtray.gateway import GatewayClient, GatewayError
from pwtray.monitor import HistoryStore
from pwtray.simulator import HistoryRow, Simulator, SimulatorConfig, simulate_history

log = logging.getLogger(__name__)
DEMO_PASSWORD = "demo1"  # noqa: S105 - the embedded simulator's password
DEMO_SCENARIO = "outage:at=30,duration=60"
DEMO_DAYS = 7.0
DEMO_STEP_S = 60.0
COUNTERS = (
    "site_imported_wh",
    "site_exported_wh",
    "battery_imported_wh",
    "battery_exported_wh",
    "load_imported_wh",
    "solar_exported_wh",
)


@dataclass
class Demo:
    simulator: Simulator
    week: list[HistoryRow]

    @property
    def address(self) -> str:
        return self.simulator.address

    @property
    def fingerprint(self) -> str:
        return self.simulator.fingerprint


async def start_demo(cli: CliOptions, folder: Path, stack: contextlib.AsyncExitStack) -> Demo:
    """Start the demo's gateway (stopped when ``stack`` closes) and make its past week."""
    scenarios = cli.scenarios or (DEMO_SCENARIO,)
    now = dt.datetime.now().astimezone()
    config = SimulatorConfig(
        password=DEMO_PASSWORD,
        speed=cli.speed,
        scenarios=scenarios,
        soe_percent=72,
        cert_dir=folder / "demo-gateway",
    )

    def past_week() -> list[HistoryRow]:
        return list(simulate_history(now - dt.timedelta(days=DEMO_DAYS), days=DEMO_DAYS,
                                     step_s=DEMO_STEP_S, soe_percent=60))  # fmt: skip

    # Key generation and a week of physics, side by side in worker threads.
    simulator, week = await asyncio.gather(
        asyncio.to_thread(Simulator(config).start), asyncio.to_thread(past_week)
    )
    stack.callback(simulator.stop)
    if week:
        simulator.set_state(soe=week[-1].soe_percent)  # the live site goes on where it ended
    log.info("demo gateway at %s (scenarios: %s)", simulator.base_url, ", ".join(scenarios))
    return Demo(simulator, week)


async def prefill_history(demo: Demo, history: HistoryStore, client: GatewayClient) -> None:
    """The demo's week into its history, its counters ending where the live gateway's stand."""
    if not demo.week:
        return
    try:
        live = await client.meters_aggregates()
    except GatewayError as exc:
        log.warning("demo history not filled: %s", exc)
        return
    now = (
        live.site.energy_imported,
        live.site.energy_exported,
        live.battery.energy_imported,
        live.battery.energy_exported,
        live.load.energy_imported,
        live.solar.energy_exported,
    )
    last = demo.week[-1]
    shift = {name: value - getattr(last, name) for name, value in zip(COUNTERS, now, strict=True)}
    rows = [
        dataclasses.replace(row, **{n: getattr(row, n) + shift[n] for n in COUNTERS})
        for row in demo.week
    ]
    count = await asyncio.to_thread(history.import_history, rows)
    log.info("demo history: %d readings of the past week", count)


async def selftest_gateway() -> str:
    """The self-test's round trip: a throw-away simulator, read over pinned TLS by the client."""
    from pwtray.core._factory import make_client

    secret = "selftest"  # noqa: S105 - the throw-away simulator's password
    simulator = await asyncio.to_thread(Simulator(SimulatorConfig(password=secret)).start)
    try:
        async with make_client(
            simulator.address, password=secret, fingerprint=simulator.fingerprint
        ) as client:
            soe = await client.soe()
            status = await client.status()
    finally:
        await asyncio.to_thread(simulator.stop)
    return f"firmware {status.firmware}, charge {soe.app_percent:.0f} % over pinned TLS"
