"""The one seam between the monitor (plain callbacks) and Qt (signals)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from pwtray.monitor import Event, Poller, Snapshot


class MonitorBridge(QObject):
    """Re-emits the poller's snapshots and events as Qt signals on the GUI thread."""

    snapshot_changed = Signal(object)  # Snapshot
    events_raised = Signal(object)  # list[Event], passed as is (no QVariantList round trip)

    def __init__(self, poller: Poller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.poller = poller
        self._unsubscribe: Callable[[], None] | None = poller.subscribe(self._on_update)

    def _on_update(self, snapshot: Snapshot, events: list[Event]) -> None:
        self.snapshot_changed.emit(snapshot)
        if events:
            self.events_raised.emit(events)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
