"""Writes that take a while to settle, followed until they do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pwtray.gateway._client import GatewayClient
from pwtray.gateway._models import GridState

SETTLED_OFF = (GridState.ISLANDED, GridState.ISLANDED_READY)


async def switch_grid(
    client: GatewayClient,
    *,
    off_grid: bool,
    on_state: Callable[[GridState], None],
    timeout_s: float = 120.0,
    poll_s: float = 1.0,
) -> GridState:
    """Go off grid (or reconnect) and follow the grid state until the transition ends.

    ``on_state`` hears every state read, the first one straight after the write. Returns the
    final state; raises ``TimeoutError`` if it has not settled within ``timeout_s``.
    """
    state = await client.set_off_grid(off_grid)
    on_state(state)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not _settled(state, off_grid):
        if loop.time() >= deadline:
            raise TimeoutError(f"the grid state is still {state.label} after {timeout_s:.0f} s")
        await asyncio.sleep(poll_s)
        state = (await client.grid_status()).state
        on_state(state)
    return state


def _settled(state: GridState, off_grid: bool) -> bool:
    return state in SETTLED_OFF if off_grid else state is GridState.CONNECTED
