"""The one seam between the core (plain callbacks and coroutines) and Qt (signals).

Data comes out of it as signals on the GUI thread; commands go in through ``commands`` (the
site's :class:`pwtray.core.Commands`) and, for the app, through ``core`` (settings, connection).
No widget or dialog holds a gateway client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from pwtray.core import Commands, Core, Site
from pwtray.monitor import Event, HistoryStore, Snapshot

log = logging.getLogger(__name__)


class Bridge(QObject):
    """Re-emits the site's snapshots and events as Qt signals; hands out its commands."""

    snapshot_changed = Signal(object)  # Snapshot
    events_raised = Signal(object)  # list[Event], passed as is (no QVariantList round trip)

    def __init__(self, site: Site, core: Core | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.site = site
        self.core = core
        self._background: set[asyncio.Task[Any]] = set()
        self._unsubscribe: Callable[[], None] | None = site.subscribe(self._on_update)

    @property
    def commands(self) -> Commands:
        return self.site.commands

    @property
    def snapshot(self) -> Snapshot:
        return self.site.snapshot

    @property
    def history(self) -> HistoryStore | None:
        return self.site.history

    def refresh(self) -> None:
        """Read the gateway now ("Refresh now"): joins a cycle in flight."""
        self.run(self.commands.refresh(), "refresh")

    def run(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        """Fire-and-forget work from a menu: kept alive, and a failure is logged, not lost."""
        task = asyncio.ensure_future(work)
        self._background.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self._background.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.error("%s failed", what, exc_info=finished.exception())

        task.add_done_callback(done)

    def _on_update(self, snapshot: Snapshot, events: list[Event]) -> None:
        self.snapshot_changed.emit(snapshot)
        if events:
            self.events_raised.emit(events)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in self._background:
            task.cancel()
