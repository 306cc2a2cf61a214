"""The one way tests wait for something outside their control (a process, a daemon, a socket).

A wait is bounded by a generous deadline and returns as soon as the condition holds, so a
slow machine only makes a test slower, never wrong. Nothing here asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
POLL_S = 0.05


def wait_until(condition: Callable[[], T], timeout_s: float = 30.0, what: str = "") -> T:
    """Poll ``condition()`` until it returns something true; that value is returned."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout_s:.0f} s waiting for {what or condition}"
            )
        time.sleep(POLL_S)


async def until(condition: Callable[[], T], timeout_s: float = 30.0, what: str = "") -> T:
    """The same inside a coroutine: the event loop (and Qt, on qasync) keeps running."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(
                f"timed out after {timeout_s:.0f} s waiting for {what or condition}"
            )
        await asyncio.sleep(POLL_S / 2)
