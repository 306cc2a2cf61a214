"""A clock that moves only when the test says: the monitor's time as an input.

It satisfies ``pwtray.monitor.Clock``: ``monotonic()``, ``wall()`` and ``await sleep(s)``. A sleep
ends when the test advances the clock past its deadline — never by itself — so schedules,
back-off, the watchdog and sleep detection are checked exactly and instantly, on any machine.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

T0 = 1_800_000_000.0  # a fixed wall time (2027-01-15 08:00 UTC) for snapshots and events


class FakeClock:
    def __init__(self, wall: float = T0, monotonic: float = 1000.0) -> None:
        self._mono = monotonic
        self._wall_offset = wall - monotonic
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self.sleeps: list[float] = []  # every sleep asked for, in order (back-off checks)

    def monotonic(self) -> float:
        return self._mono

    def wall(self) -> float:
        return self._mono + self._wall_offset

    def __call__(self) -> float:  # the gateway client takes a plain monotonic callable
        return self._mono

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._order), future))
        await future  # a cancelled sleep is dropped when its deadline comes up

    def advance(self, seconds: float) -> None:
        """Move both clocks forward; every sleep whose deadline has come ends."""
        self._mono += seconds
        while self._sleepers and self._sleepers[0][0] <= self._mono:
            _deadline, _order, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    def suspend(self, seconds: float) -> None:
        """The computer slept: the wall clock jumps, the monotonic one does not."""
        self._wall_offset += seconds

    def next_deadline(self) -> float | None:
        """Seconds until the nearest pending sleep ends (None: nobody sleeps)."""
        pending = [d for d, _, f in self._sleepers if not f.done()]
        return min(pending) - self._mono if pending else None
