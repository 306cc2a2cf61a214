"""Supervised background work: every task the app starts runs under a :class:`Supervisor`.

A task that ends with an unexpected error is logged once with its traceback, reported to the
supervisor's listener (so the UI can show it as a state), and started again after a pause that
grows with each failure — a bug in one part never silently stops the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

Work = Callable[[], Coroutine[Any, Any, None]]
RESTART_FIRST_S = 5.0
RESTART_CAP_S = 300.0


class Supervisor:
    def __init__(
        self,
        on_failure: Callable[[str, BaseException], None] | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._on_failure = on_failure
        self._sleep = sleep
        self.failures: dict[str, int] = {}

    def start(self, name: str, work: Work, *, restart: bool = True) -> None:
        """Run ``work()`` as task ``name`` (replacing a task of that name)."""
        self.cancel(name)
        self._tasks[name] = asyncio.create_task(self._run(name, work, restart), name=name)

    def running(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    def cancel(self, name: str) -> None:
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, name: str, work: Work, restart: bool) -> None:
        pause = RESTART_FIRST_S
        while True:
            try:
                await work()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                count = self.failures.get(name, 0) + 1
                self.failures[name] = count
                if count == 1:
                    log.exception("%s stopped on an unexpected error", name)
                else:
                    log.error("%s stopped again (%s); restarting", name, type(exc).__name__)
                if self._on_failure is not None:
                    self._on_failure(name, exc)
                if not restart:
                    return
            await self._sleep(pause)
            pause = min(RESTART_CAP_S, pause * 2)
