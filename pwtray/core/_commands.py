"""Commands: the one way anything changes the site.

Each command writes, reads back what the gateway now says, refreshes the monitor's snapshot (so
the icon, tooltip and window show the result at once) and tells the site's listeners what
happened. The UI, the CLI and (later) schedules and actions all come through here; none of them
holds a client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pwtray.core._system_info import Section, read_section
from pwtray.gateway import (
    GridState,
    Operation,
    OperationMode,
    SiteMaster,
    WriteNotAppliedError,
)

if TYPE_CHECKING:
    from pwtray.core._site import Site
    from pwtray.monitor import Snapshot

SETTLED_OFF = (GridState.ISLANDED, GridState.ISLANDED_READY)
FOLLOW_TIMEOUT_S = 120.0
FOLLOW_EVERY_S = 1.0


@dataclass(frozen=True)
class OperationView:
    """What the mode dialog shows: the gateway's settings and grid state, read just now."""

    operation: Operation
    grid: GridState


class Commands:
    def __init__(self, site: Site) -> None:
        self._site = site

    # ------------------------------------------------------------------ reading on demand
    async def refresh(self) -> Snapshot:
        """Read everything now (joins a cycle in flight)."""
        return await self._site.poller.refresh()

    async def read_operation(self) -> OperationView:
        client = self._site.client
        operation = await client.operation()
        grid = (await client.grid_status()).state
        return OperationView(operation, grid)

    async def read_section(self, title: str) -> Section:
        """One section of the gateway's system and network information."""
        return await read_section(self._site.client, title)

    # ------------------------------------------------------------------ changes
    async def set_operation(self, mode: OperationMode, reserve_percent: float) -> Operation:
        """Mode and backup reserve (the app's %): written, committed, read back, refreshed."""
        self._site.poller.expect_operation(mode.value, reserve_percent)
        applied = await self._site.client.set_operation(mode, reserve_percent)
        await self.refresh()
        return applied

    async def switch_grid(
        self, *, off_grid: bool, on_state: Callable[[GridState], None] = lambda _s: None
    ) -> GridState:
        """Go off grid (or reconnect) and follow the grid state until the transition ends.

        ``on_state`` hears every state read, the first one straight after the write. Raises
        ``TimeoutError`` if it has not settled within ``FOLLOW_TIMEOUT_S``.
        """
        client, clock = self._site.client, self._site.clock
        if off_grid:
            self._site.poller.expect_off_grid()  # the monitor: on purpose, not an outage
        state = await client.set_off_grid(off_grid)
        on_state(state)
        deadline = clock.monotonic() + FOLLOW_TIMEOUT_S
        while not _settled(state, off_grid):
            if clock.monotonic() >= deadline:
                raise TimeoutError(f"the grid state is still {state.value} after the switch")
            await clock.sleep(FOLLOW_EVERY_S)
            state = (await client.grid_status()).state
            on_state(state)
        await self.refresh()
        return state

    async def start_powerwalls(self) -> SiteMaster:
        """Start the site master (the Powerwalls) and follow it until it runs."""
        client, clock = self._site.client, self._site.clock
        try:
            state = await client.run_sitemaster()
        except WriteNotAppliedError:  # accepted; the Powerwalls take a moment to start
            state = await client.sitemaster()
        deadline = clock.monotonic() + FOLLOW_TIMEOUT_S
        while not state.running:
            if clock.monotonic() >= deadline:
                raise WriteNotAppliedError("/api/sitemaster/run", "the system still stopped")
            await clock.sleep(FOLLOW_EVERY_S)
            state = await client.sitemaster()
        await self.refresh()
        return state


def _settled(state: GridState, off_grid: bool) -> bool:
    return state in SETTLED_OFF if off_grid else state is GridState.CONNECTED
