"""Run a group of reads together, all-or-nothing.

``asyncio.gather`` returns at the first error and leaves the other requests running — with a
connection half-open when the client is closed under them. Cancelling them instead (a
``TaskGroup``) loses sockets that anyio has just connected. So :func:`concurrently` lets every
read finish or fail on its own (each has a timeout), then raises the first failure in argument
order, or returns all results.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar, overload

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")


@overload
async def concurrently(a: Awaitable[A], /) -> tuple[A]: ...
@overload
async def concurrently(a: Awaitable[A], b: Awaitable[B], /) -> tuple[A, B]: ...
@overload
async def concurrently(a: Awaitable[A], b: Awaitable[B], c: Awaitable[C], /) -> tuple[A, B, C]: ...
@overload
async def concurrently(
    a: Awaitable[A], b: Awaitable[B], c: Awaitable[C], d: Awaitable[D], /
) -> tuple[A, B, C, D]: ...
@overload
async def concurrently(
    a: Awaitable[A], b: Awaitable[B], c: Awaitable[C], d: Awaitable[D], e: Awaitable[E], /
) -> tuple[A, B, C, D, E]: ...
@overload
async def concurrently(*awaitables: Awaitable[Any]) -> tuple[Any, ...]: ...
async def concurrently(*awaitables: Awaitable[Any]) -> tuple[Any, ...]:
    """Await all together; when all are done, raise the first failure or return the results."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return tuple(results)
