"""The demo: a simulated gateway on loopback, with its own throw-away settings and history.

This is the only module outside the tests that imports the simulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from pwtray.core._config import CliOptions
from pwtray.simulator import Simulator, SimulatorConfig

log = logging.getLogger(__name__)
DEMO_PASSWORD = "demo1"  # noqa: S105 - the embedded simulator's password
DEMO_SCENARIO = "outage:at=30,duration=60"


async def start_demo(cli: CliOptions, folder: Path, stack: contextlib.AsyncExitStack) -> Simulator:
    """Start the demo's gateway (stopped when ``stack`` closes)."""
    scenarios = cli.scenarios or (DEMO_SCENARIO,)
    config = SimulatorConfig(
        password=DEMO_PASSWORD,
        speed=cli.speed,
        scenarios=scenarios,
        soe_percent=72,
        cert_dir=folder / "demo-gateway",
    )
    simulator = await asyncio.to_thread(Simulator(config).start)  # key generation blocks
    stack.callback(simulator.stop)
    log.info("demo gateway at %s (scenarios: %s)", simulator.base_url, ", ".join(scenarios))
    return simulator


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
