"""One reading for scripts (``pwtray status``): the monitor's own cycle, run once.

The same endpoint table, essential reads, per-endpoint health and assembler as the tray app, so
``pwtray status`` says exactly what the icon would: it succeeds when the essentials (grid state
and charge) were read, and lists the parts it could not read.
"""

from __future__ import annotations

from dataclasses import dataclass

from pwtray.core._factory import make_client
from pwtray.gateway import GatewayAddress, Timeouts, fetch_fingerprint
from pwtray.monitor import Health, Poller, Readings, Schedule, Snapshot


@dataclass(frozen=True)
class StatusReading:
    snapshot: Snapshot
    readings: Readings
    fingerprint: str

    @property
    def unread(self) -> dict[str, Health]:
        """Endpoints that did not answer usefully, and how."""
        return {n: h for n, h in self.readings.health.items() if h is not Health.OK}


async def read_status(
    address: GatewayAddress,
    *,
    password: str | None,
    email: str,
    fingerprint: str | None,
    timeout_s: float,
) -> StatusReading:
    """Read every endpoint once. Raises a ``GatewayError`` only before reading (no certificate);
    otherwise the snapshot's connectivity and problem say how it went."""
    if fingerprint is None:
        fingerprint = await fetch_fingerprint(address, timeout_s=timeout_s)
    timeouts = Timeouts(connect_s=min(3.0, timeout_s), read_s=timeout_s)
    async with make_client(
        address, password=password, email=email, fingerprint=fingerprint, timeouts=timeouts
    ) as client:
        # The whole cycle may take at most twice the timeout (a login, then the reads).
        poller = Poller(client, schedule=Schedule(cycle_deadline_s=2 * timeout_s))
        snapshot = await poller.refresh()
        return StatusReading(snapshot, poller.readings, fingerprint)
