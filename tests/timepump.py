"""Simulated time that passes while a test waits for something that needs it to pass.

With the simulator's clock frozen (the tests' default), a gateway that takes thirty simulated
seconds to reconnect never does so on its own. ``time_passes`` moves it (and a fake monitor
clock, when given) a step at a time while the block runs — the outcome depends on how many
simulated seconds pass, never on how fast this machine is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from pwtray.simulator import Simulator
from tests.fakeclock import FakeClock


@contextlib.asynccontextmanager
async def time_passes(
    sim: Simulator, clock: FakeClock | None = None, *, step_s: float = 1.0, every_s: float = 0.02
) -> AsyncIterator[None]:
    async def pump() -> None:
        while True:
            await asyncio.sleep(every_s)
            sim.advance(step_s)
            if clock is not None:
                clock.advance(step_s)

    task = asyncio.ensure_future(pump())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
