"""Time as an input: the monitor reads and waits on a clock it is given.

``SYSTEM_CLOCK`` is the real one. Tests pass a fake that moves only when told, so schedules,
back-off, watchdog deadlines and sleep detection are checked without real waiting and without
depending on the machine's speed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (schedules, deadlines)."""
        ...

    def wall(self) -> float:
        """Seconds since the epoch (what snapshots and events are stamped with)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
