"""Commands against the simulator: write, read back, refresh the snapshot — one path for all."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from pwtray.core import Site
from pwtray.gateway import GridState, OperationMode
from pwtray.monitor import Connectivity, EventKind
from pwtray.simulator import Simulator
from tests.conftest import SimFactory
from tests.core.helpers import site_for
from tests.fakeclock import FakeClock

T = TypeVar("T")


async def test_off_grid_and_back_is_followed_to_the_end(sim: Simulator) -> None:
    site = site_for(sim)
    seen: list[GridState] = []
    final = await _while_time_passes(
        site, sim, site.commands.switch_grid(off_grid=True, on_state=seen.append)
    )
    assert final.off_grid
    assert seen[0] is not GridState.CONNECTED  # the write's own read-back
    assert site.snapshot.grid is final  # the monitor's snapshot shows it at once
    seen.clear()
    back_task = site.commands.switch_grid(off_grid=False, on_state=seen.append)
    back = await _while_time_passes(site, sim, back_task)
    assert back is GridState.CONNECTED
    assert GridState.TRANSITION_TO_GRID in seen  # the user saw it reconnecting
    await site.stop()


async def _while_time_passes(site: Site, sim: Simulator, work: Awaitable[T]) -> T:
    """Run ``work``; whenever it waits on the site's clock, a second passes there and in the
    simulated gateway."""
    clock = site.clock
    assert isinstance(clock, FakeClock)
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.sleep(0.01)
        if clock.next_deadline() is not None:
            sim.advance(1)
            clock.advance(1)
    return await task


async def test_set_operation_refreshes_the_snapshot_and_is_not_news(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(allow_writes=True)
    site = site_for(sim)
    kinds: list[EventKind] = []
    site.subscribe(lambda _snapshot, events: kinds.extend(e.kind for e in events))
    await site.commands.refresh()
    applied = await site.commands.set_operation(OperationMode.BACKUP, 100)
    assert applied.mode == "backup"
    assert site.snapshot.mode is OperationMode.BACKUP  # shown at once, not after a minute
    assert site.snapshot.reserve_percent == 100
    assert site.snapshot.connectivity is Connectivity.ONLINE
    assert EventKind.MODE_CHANGED not in kinds  # pwtray made it: not "changed elsewhere"
    await site.stop()


async def test_start_powerwalls_follows_until_they_run(sim: Simulator) -> None:
    sim.stop_sitemaster()
    site = site_for(sim)
    stopped = (await site.commands.refresh()).connectivity
    state = await site.commands.start_powerwalls()
    assert stopped is Connectivity.GATEWAY_STOPPED
    assert state.running
    assert site.snapshot.connectivity is Connectivity.ONLINE
    await site.stop()
