"""Commands: the one way anything changes the site.

Each command writes, reads back what the gateway now says, refreshes the monitor's snapshot (so
the icon, tooltip and window show the result at once) and tells the site's listeners what
happened. The UI, the CLI and (later) schedules and actions all come through here; none of them
holds a client.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pwtray.cloud import CloudSettings
from pwtray.core._cloud import CloudService, NoCloudAccountError, cloud_reserve
from pwtray.core._system import read_section
from pwtray.core._system_info import Section
from pwtray.gateway import (
    LEGACY_MODES,
    GatewayError,
    Generation,
    GridState,
    Operation,
    OperationMode,
    PermissionDeniedError,
    SiteMaster,
    WriteNotAppliedError,
)

if TYPE_CHECKING:
    from pwtray.core._site import Site
    from pwtray.monitor import Snapshot

CONFIRM_TIMEOUT_S = 600.0  # the cloud's change reaches the gateway within minutes
CONFIRM_EVERY_S = 2.0  # a local read: cheap, and only while a change is awaited


class Via(enum.Enum):
    """Which path a change may take: the gateway first (``AUTO``), or only one of them."""

    AUTO = "auto"
    LOCAL = "local"
    CLOUD = "cloud"


class ChangeRefusedError(Exception):
    """The gateway refused a change to this login, and the cloud could not take it instead."""

    def __init__(self, refusal: GatewayError, *, cloud_connected: bool) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal
        self.cloud_connected = cloud_connected


@dataclass(frozen=True)
class Applied:
    """A change made: which path made it, and what was read back."""

    via: Via  # LOCAL or CLOUD
    mode: str
    reserve_percent: float  # the app's scale, as read back
    confirmed_locally: bool  # the gateway itself shows the new values


SETTLED_OFF = (GridState.ISLANDED, GridState.ISLANDED_READY)
FOLLOW_TIMEOUT_S = 120.0
FOLLOW_EVERY_S = 1.0


# The modes a customer chooses between, in the Tesla app's order.
CUSTOMER_MODES = (OperationMode.SELF_CONSUMPTION, OperationMode.AUTONOMOUS, OperationMode.BACKUP)


@dataclass(frozen=True)
class OperationView:
    """What the mode dialog shows: the gateway's settings and grid state, read just now, and
    what this gateway lets pwtray change."""

    operation: Operation
    grid: GridState
    off_grid_by_choice: bool = False  # the monitor's judgement: pwtray or the owner chose it
    modes: tuple[OperationMode, ...] = CUSTOMER_MODES  # those the gateway accepts locally
    offers_off_grid: bool = True  # the firmware has /api/v2/islanding/mode
    local_writes_refused: bool = False  # mode and reserve only through the cloud, if at all
    firmware: str | None = None


class Commands:
    def __init__(self, site: Site, cloud: CloudService | None = None) -> None:
        self._site = site
        self.cloud = cloud
        # Whether the gateway took (True) or refused (False) a mode/reserve write from this login.
        self._local_writes: bool | None = None

    # ------------------------------------------------------------------ reading on demand
    async def refresh(self) -> Snapshot:
        """Read everything now (joins a cycle in flight)."""
        return await self._site.poller.refresh()

    async def read_operation(self) -> OperationView:
        client = self._site.client
        legacy = await client.generation() is Generation.LEGACY
        operation = await client.operation()
        grid = (await client.grid_status()).state
        # Firmware 1.x takes writes from its login but not every mode, and cannot go off grid
        # on request; current firmware refuses mode and reserve to the customer login (403).
        refused = self._local_writes is False or (self._local_writes is None and not legacy)
        status = client.last_status
        return OperationView(
            operation,
            grid,
            off_grid_by_choice=self._site.snapshot.off_grid_by_choice and grid.off_grid,
            modes=tuple(m for m in CUSTOMER_MODES if m.value in LEGACY_MODES)
            if legacy
            else CUSTOMER_MODES,
            offers_off_grid=not legacy,
            local_writes_refused=refused,
            firmware=status.firmware if status is not None else None,
        )

    async def read_cloud_settings(self) -> CloudSettings | None:
        """The settings Tesla's cloud reports for the site (one metered request), or None when
        no Tesla account is connected. Asked when a dialog opens, never on a schedule."""
        if self.cloud is None:
            return None
        return await self.cloud.read_settings_if_connected()

    async def read_section(self, title: str) -> Section:
        """One section of the gateway's system and network information."""
        return await read_section(self._site.client, title)

    # ------------------------------------------------------------------ changes
    async def set_operation(self, mode: OperationMode, reserve_percent: float) -> Operation:
        """Mode and backup reserve (the app's %) on the gateway itself: written, committed,
        read back, refreshed."""
        self._site.poller.expect_operation(mode.value, reserve_percent)
        try:
            applied = await self._site.client.set_operation(mode, reserve_percent)
        except PermissionDeniedError:
            self._local_writes = False
            raise
        self._local_writes = True
        await self.refresh()
        return applied

    async def change_operation(
        self, mode: OperationMode, reserve_percent: float, *, via: Via = Via.AUTO
    ) -> Applied:
        """Mode and reserve, locally when the gateway allows it, else through the Tesla cloud
        (when an account is connected). The cloud's change reaches the gateway later:
        ``confirm_operation`` waits for it."""
        cloud = self.cloud
        if via is not Via.CLOUD:
            try:
                operation = await self.set_operation(mode, reserve_percent)
            except PermissionDeniedError as refusal:
                if via is Via.LOCAL or cloud is None or not cloud.connected:
                    connected = cloud is not None and cloud.connected
                    raise ChangeRefusedError(refusal, cloud_connected=connected) from refusal
            else:
                return Applied(Via.LOCAL, operation.mode, operation.reserve_app_percent, True)
        if cloud is None:
            raise NoCloudAccountError
        if mode is not OperationMode.BACKUP:
            reserve_percent = cloud_reserve(reserve_percent)  # what the cloud takes, and sets
        self._site.poller.expect_operation(mode.value, reserve_percent)
        result = await cloud.set_operation(mode, reserve_percent)
        settings = result.settings
        return Applied(Via.CLOUD, settings.mode, settings.reserve_percent, False)

    async def confirm_operation(
        self, mode: OperationMode, reserve_percent: float, *, timeout_s: float = CONFIRM_TIMEOUT_S
    ) -> bool:
        """Wait until the gateway itself shows this mode and reserve (a change made through the
        cloud arrives after a while); True once it does, False if it did not in time."""
        client, clock = self._site.client, self._site.clock
        deadline = clock.monotonic() + timeout_s
        while True:
            operation = await client.operation()
            if operation.mode == mode.value and (
                mode is OperationMode.BACKUP
                or abs(operation.reserve_app_percent - reserve_percent) < 0.6
            ):
                await self.refresh()
                return True
            if clock.monotonic() >= deadline:
                return False
            await clock.sleep(CONFIRM_EVERY_S)

    async def switch_grid(
        self, *, off_grid: bool, on_state: Callable[[GridState], None] = lambda _s: None
    ) -> GridState:
        """Go off grid (or reconnect) and follow the grid state until the transition ends.

        ``on_state`` hears every state read, the first one straight after the write. Raises
        ``TimeoutError`` if it has not settled within ``FOLLOW_TIMEOUT_S``.
        """
        client, clock = self._site.client, self._site.clock
        if off_grid:
            self._site.poller.expect_off_grid()  # the monitor: on purpose, not an outage
        state = await client.set_off_grid(off_grid)
        on_state(state)
        deadline = clock.monotonic() + FOLLOW_TIMEOUT_S
        while not _settled(state, off_grid):
            if clock.monotonic() >= deadline:
                raise TimeoutError(f"the grid state is still {state.value} after the switch")
            await clock.sleep(FOLLOW_EVERY_S)
            state = (await client.grid_status()).state
            on_state(state)
        await self.refresh()
        return state

    async def start_powerwalls(self) -> SiteMaster:
        """Start the site master (the Powerwalls) and follow it until it runs."""
        client, clock = self._site.client, self._site.clock
        try:
            state = await client.run_sitemaster()
        except WriteNotAppliedError:  # accepted; the Powerwalls take a moment to start
            state = await client.sitemaster()
        deadline = clock.monotonic() + FOLLOW_TIMEOUT_S
        while not state.running:
            if clock.monotonic() >= deadline:
                raise WriteNotAppliedError("/api/sitemaster/run", "the system still stopped")
            await clock.sleep(FOLLOW_EVERY_S)
            state = await client.sitemaster()
        await self.refresh()
        return state


def _settled(state: GridState, off_grid: bool) -> bool:
    return state in SETTLED_OFF if off_grid else state is GridState.CONNECTED
