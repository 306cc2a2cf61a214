"""Coroutines started from widgets (qasync runs them on the GUI thread's loop).

A widget keeps a ``Tasks``: results come back through callbacks, and ``cancel()`` (called when the
widget closes) stops what is still running so that no callback reaches a closed widget.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QWidget

log = logging.getLogger(__name__)
T = TypeVar("T")


class Tasks:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def start(
        self,
        work: Coroutine[Any, Any, T],
        on_result: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> asyncio.Task[T]:
        task = asyncio.ensure_future(work)
        self._running.add(task)

        def finished(done: asyncio.Task[T]) -> None:
            self._running.discard(done)
            if done.cancelled():
                return
            error = done.exception()
            if error is None:
                on_result(done.result())
            elif isinstance(error, Exception):
                on_error(error)
            else:  # KeyboardInterrupt, SystemExit: not ours to swallow
                log.error("task ended with %s", type(error).__name__)

        task.add_done_callback(finished)
        return task

    def cancel(self) -> None:
        for task in list(self._running):
            task.cancel()
        self._running.clear()


class TaskDialog(QDialog):
    """A dialog whose gateway work stops when it closes, however it closes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = Tasks()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.tasks.cancel()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self.tasks.cancel()
        super().done(result)
