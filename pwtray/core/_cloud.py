"""The Tesla cloud, for what the gateway refuses locally — and only then.

Reads and polling stay on the LAN (they must work with the internet down). A change goes to the
gateway first; when the gateway refuses it to the customer login (HTTP 403, current firmware)
and a Tesla account is connected, it goes to the Fleet API. Tesla meters those calls, so the
cloud is never polled: its settings are read when a dialog opens and after a command.

The account (client ID, regional URL, site) is in the settings; the tokens only in the keyring.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from pwtray.cloud import (
    DEFAULT_AUTH_URL,
    DEFAULT_CLOUD_URL,
    BackupEvent,
    CloudError,
    CloudSettings,
    CommandResult,
    EnergySite,
    ExportRule,
    FleetClient,
    Mode,
    SignInRequiredError,
    TokenStore,
)
from pwtray.core._config import CliOptions
from pwtray.gateway import OperationMode
from pwtray.monitor import HistoryStore
from pwtray.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CloudAccount:
    """Which Tesla account and site to use: the settings, with the command line over them."""

    client_id: str
    cloud_url: str = DEFAULT_CLOUD_URL
    auth_url: str = DEFAULT_AUTH_URL
    ca_path: str | None = None
    site_id: int | None = None


def cloud_account(settings: Settings, cli: CliOptions) -> CloudAccount | None:
    """The account to use (the command line over the settings), or None: none connected."""
    client_id = cli.client_id or settings.cloud.client_id
    if not client_id:
        return None
    return CloudAccount(
        client_id=client_id,
        cloud_url=cli.cloud_url or settings.cloud.cloud_url or DEFAULT_CLOUD_URL,
        # A cloud given on the command line (a simulated one) signs in at the same address.
        auth_url=cli.cloud_url or DEFAULT_AUTH_URL,
        ca_path=cli.cloud_ca,
        site_id=settings.cloud.site_id or None,
    )


class NoCloudAccountError(Exception):
    """A change only the cloud can make, and no Tesla account is connected."""


class ReserveNotChangedError(CloudError):
    """Tesla's cloud took the operation mode, then did not change the backup reserve: the site
    has the mode asked for with its old reserve. ``result`` is what the cloud reported after
    the mode change; ``error`` why the reserve did not follow."""

    def __init__(self, result: CommandResult, error: CloudError) -> None:
        super().__init__(
            f"Tesla's cloud took the operation mode but did not change the backup reserve: {error}"
        )
        self.result = result
        self.error = error


MODES = {
    OperationMode.SELF_CONSUMPTION: Mode.SELF_POWERED,
    OperationMode.AUTONOMOUS: Mode.TIME_BASED_CONTROL,
    OperationMode.BACKUP: Mode.BACKUP_ONLY,
}


def cloud_reserve(percent: float) -> int:
    """The reserve as Tesla's cloud takes it: whole percents (the app's slider), the nearest."""
    return math.floor(min(100.0, max(0.0, percent)) + 0.5)


class CloudService:
    """One Fleet API client for the site, made when first needed and kept until quit."""

    def __init__(
        self,
        account: CloudAccount | None,
        tokens: TokenStore,
        *,
        din: Callable[[], str | None] = lambda: None,
        remember_site: Callable[[EnergySite, str], None] = lambda _site, _url: None,
    ) -> None:
        self.account = account
        self.tokens = tokens
        self._din = din
        self._remember_site = remember_site
        self._client: FleetClient | None = None
        self._refused: SignInRequiredError | None = None  # when finding the site
        self._retired: list[FleetClient] = []  # replaced by a sign-in; closed at quit
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        """A Tesla account was connected (its refresh token is in the keyring). Answered from
        memory: the tokens were read when the core unlocked (``await tokens.load()``)."""
        return self.account is not None and bool(self.tokens.load_refresh_token())

    @property
    def sign_in_required(self) -> SignInRequiredError | None:
        """Tesla refused the saved sign-in during this session (until a new sign-in)."""
        client = self._client
        refused = client.tokens.sign_in_required if client is not None else None
        return refused or self._refused

    async def use(self, account: CloudAccount | None) -> None:
        """Another account (or the same one signed in again): the next request uses it, with
        the tokens in the store now; what the previous client knew is dropped. The previous
        client is closed at quit, not now: a command may still be using it."""
        async with self._lock:
            self.account = account
            self._refused = None
            if self._client is not None:
                self._retired.append(self._client)
            self._client = None

    async def client(self) -> FleetClient:
        """The site's Fleet API client; the first use finds the site (matched to the gateway's
        DIN) and remembers it, so later dialogs cost a single request."""
        await self.tokens.load()  # in a worker thread, once (done already when unlocked)
        if not self.connected or self.account is None:
            raise NoCloudAccountError
        async with self._lock:
            if self._client is None:
                account = self.account
                client = FleetClient(
                    account.client_id,
                    self.tokens,
                    cloud_url=account.cloud_url,
                    auth_url=account.auth_url,
                    ca_path=account.ca_path,
                    site_id=account.site_id,
                )
                if client.site_id is None:
                    try:
                        choice = await client.connect(self._din())
                    except BaseException as exc:
                        await client.aclose()
                        if isinstance(exc, SignInRequiredError) and client.sign_in_required:
                            self._refused = exc
                        raise
                    self._remember_site(choice.site, client.cloud_url)
                self._client = client
            return self._client

    async def read_settings(self) -> CloudSettings:
        return await (await self.client()).read_settings()

    async def set_operation(self, mode: OperationMode, reserve_percent: float) -> CommandResult:
        client = await self.client()
        wanted = MODES.get(mode)
        if wanted is None:
            raise ValueError(f"the Tesla cloud does not offer the mode {mode.value}")
        result = await client.set_mode(wanted)
        if mode is OperationMode.BACKUP:  # backup-only keeps its reserve at 100 %
            return result
        try:
            return await client.set_reserve(cloud_reserve(reserve_percent))
        except CloudError as error:  # half applied: say so, never "not changed"
            raise ReserveNotChangedError(result, error) from error

    async def read_settings_if_connected(self) -> CloudSettings | None:
        """The site's settings as Tesla reports them (one request), or None: no account."""
        if not self.connected:
            return None
        return await self.read_settings()

    async def set_storm_watch(self, enabled: bool) -> CommandResult:
        return await (await self.client()).set_storm_watch(enabled)

    async def set_grid_charging(self, allowed: bool) -> CommandResult:
        return await (await self.client()).set_grid_charging(allowed)

    async def set_export_rule(self, rule: ExportRule) -> CommandResult:
        return await (await self.client()).set_export_rule(rule)

    async def set_vehicle_reserve(self, percent: float) -> CommandResult:
        return await (await self.client()).set_vehicle_reserve(percent)

    async def backup_events(self, start: float, end: float) -> list[BackupEvent]:
        client = await self.client()
        return await client.backup_events(
            dt.datetime.fromtimestamp(start, dt.UTC), dt.datetime.fromtimestamp(end, dt.UTC)
        )

    async def close(self) -> None:
        clients, self._retired = [*self._retired, self._client], []
        self._client = None
        for client in clients:
            if client is not None:
                await client.aclose()


UNWATCHED_GAP_S = 600.0  # pwtray was away this long: ask Tesla what happened meanwhile


async def backfill_outages(cloud: CloudService, history: HistoryStore, now: float) -> int:
    """Outages while pwtray was not running, from Tesla's calendar history, into the outage log
    (marked as told by the cloud). One request, at start, only when there is a gap to fill and
    a Tesla account is connected. Returns how many were added."""
    last = history.last_reading_at()
    if last is None or now - last < UNWATCHED_GAP_S or not cloud.connected:
        return 0
    events = await cloud.backup_events(last, now)
    added = 0
    for event in events:
        start, end = event.start.timestamp(), event.end.timestamp()
        if end > last and start < now and history.add_unwatched_outage(start, end):
            added += 1
    if added:
        log.info("%d outage(s) while pwtray was not running, as Tesla's cloud reports", added)
    return added
