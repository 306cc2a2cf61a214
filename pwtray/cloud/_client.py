"""``FleetClient``: one Tesla account's energy site through the Fleet API.

Calls are metered by Tesla, so nothing here polls: each method is one request (a command is
two: the change, then one read of ``site_info`` to report what the cloud now says). The only
automatic retry is one: a 401 answered by a token refresh and the same request again. A second
401 means Tesla refuses the account's new token: a sign-in is needed, not another try.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from pwtray.cloud._auth import DEFAULT_AUTH_URL, DEFAULT_CLOUD_URL
from pwtray.cloud._exceptions import (
    CloudError,
    CloudProtocolError,
    CloudUnavailableError,
    CommandNotConfirmedError,
    CommandRefusedError,
    MissingScopeError,
    SiteChoiceRequiredError,
    SiteNotFoundError,
    SiteOfflineError,
)
from pwtray.cloud._http import (
    DEFAULT_TIMEOUTS,
    CloudTimeouts,
    Reply,
    make_http_client,
    retry_after_s,
    send,
)
from pwtray.cloud._models import (
    BackupEvent,
    BackupHistory,
    CloudSettings,
    CommandAck,
    CommandResult,
    EnergySite,
    Envelope,
    ExportRule,
    FleetErrorBody,
    LiveStatus,
    Mode,
    Product,
    Region,
    SiteChoice,
    SiteInfo,
)
from pwtray.cloud._tokens import RateLimit, TokenManager, TokenStore

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
T = TypeVar("T")
# Hosts a region answer may send the account to: Tesla's own, or the configured one.
TESLA_HOST_SUFFIXES = (".tesla.com", ".tesla.cn")
OFFLINE_STATUSES = frozenset({408, 503, 504, 540})


class FleetClient:
    """Fleet API client for one account and one energy site. ``async with FleetClient(...)``.

    ``cloud_url`` is the regional Fleet API base (remember the one ``discover_region`` found),
    ``auth_url`` the sign-in host, ``ca_path`` a CA file to trust instead of the system store.
    """

    def __init__(
        self,
        client_id: str,
        tokens: TokenStore,
        *,
        cloud_url: str = DEFAULT_CLOUD_URL,
        auth_url: str = DEFAULT_AUTH_URL,
        ca_path: str | Path | None = None,
        site_id: int | None = None,
        http: httpx.AsyncClient | None = None,
        timeouts: CloudTimeouts = DEFAULT_TIMEOUTS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http or make_http_client(ca_path, timeouts)
        self._owns_http = http is None
        self._configured_url = cloud_url.rstrip("/")
        self.cloud_url = self._configured_url
        self.site_id = site_id
        self._clock = clock
        # The latest requests sent, e.g. "GET site_info": for counting what things cost.
        self.calls: deque[str] = deque(maxlen=1000)
        self.rate_limit = RateLimit(clock)
        self.tokens = TokenManager(
            client_id,
            tokens,
            auth_url=auth_url,
            http=self._http,
            clock=clock,
            rate_limit=self.rate_limit,
            calls=self.calls,
        )

    # ------------------------------------------------------------------ life cycle
    async def __aenter__(self) -> FleetClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    @property
    def sign_in_required(self) -> CloudError | None:
        """Set once Tesla has refused the saved sign-in; cleared by a new sign-in."""
        return self.tokens.sign_in_required

    # ------------------------------------------------------------------ account and site
    async def discover_region(self) -> Region:
        """Ask which regional Fleet API serves this account, and use it from now on."""
        region = await self._call("GET", "/api/1/users/region", Region)
        base = region.fleet_api_base_url.rstrip("/")
        if not self._trusted_base(base):
            raise CloudProtocolError(
                "/api/1/users/region",
                "$.response.fleet_api_base_url",
                f"{urllib.parse.urlsplit(base).hostname} is not a Tesla address",
            )
        self.cloud_url = base
        return region

    async def energy_sites(self) -> list[EnergySite]:
        products = await self._call("GET", "/api/1/products", list[Product])
        return [
            EnergySite(p.energy_site_id, p.site_name, p.gateway_id, p.resource_type)
            for p in products
            if p.energy_site_id is not None
        ]

    async def select_site(self, din: str | None = None) -> SiteChoice:
        """Choose this client's site from the account's products (one request)."""
        choice = choose_site(await self.energy_sites(), din)
        self.site_id = choice.site.site_id
        return choice

    async def connect(self, din: str | None = None) -> SiteChoice:
        """Region, then the site: what to do once after signing in (two requests)."""
        await self.discover_region()
        return await self.select_site(din)

    # ------------------------------------------------------------------ reads (on request only)
    async def site_info(self) -> SiteInfo:
        return await self._call("GET", self._site_path("site_info"), SiteInfo)

    async def read_settings(self) -> CloudSettings:
        """Everything the Mode & reserve dialog shows: one request."""
        return CloudSettings.from_site_info(self._require_site(), await self.site_info())

    async def live_status(self) -> LiveStatus:
        return await self._call("GET", self._site_path("live_status"), LiveStatus)

    async def backup_events(
        self, start: dt.datetime, end: dt.datetime, time_zone: str | None = None
    ) -> list[BackupEvent]:
        """Outages (the site ran on its Powerwall) that overlap ``start``…``end``."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end need a time zone (aware datetimes)")
        if end < start:
            raise ValueError("end is before start")
        params = {
            "kind": "backup",
            "start_date": start.isoformat(timespec="seconds"),
            "end_date": end.isoformat(timespec="seconds"),
        }
        if time_zone:
            params["time_zone"] = time_zone
        history = await self._call(
            "GET", self._site_path("calendar_history"), BackupHistory, params=params
        )
        return sorted(history.events, key=lambda e: e.timestamp)

    # ------------------------------------------------------------------ commands
    async def set_mode(self, mode: Mode | str) -> CommandResult:
        try:
            value = Mode(mode)
        except ValueError:
            names = ", ".join(m.value for m in Mode)
            raise ValueError(f"Unknown operation mode {mode!r}; use one of {names}.") from None
        await self._command("operation", {"default_real_mode": value.value})
        return await self._confirm("mode", value.value, lambda s: s.mode)

    async def set_reserve(self, percent: float) -> CommandResult:
        value = _whole_percent(percent, "The backup reserve")
        await self._command("backup", {"backup_reserve_percent": value})
        return await self._confirm("reserve", value, lambda s: s.reserve_percent)

    async def set_storm_watch(self, enabled: bool) -> CommandResult:
        await self._command("storm_mode", {"enabled": bool(enabled)})
        return await self._confirm("storm_watch", bool(enabled), lambda s: s.storm_watch)

    async def set_grid_charging(self, allowed: bool) -> CommandResult:
        body = {"disallow_charge_from_grid_with_solar_installed": not allowed}
        await self._command("grid_import_export", body)
        return await self._confirm("grid_charging", bool(allowed), lambda s: s.grid_charging)

    async def set_export_rule(self, rule: ExportRule | str) -> CommandResult:
        try:
            value = ExportRule(rule)
        except ValueError:
            names = ", ".join(r.value for r in ExportRule)
            raise ValueError(f"Unknown export rule {rule!r}; use one of {names}.") from None
        await self._command("grid_import_export", {"customer_preferred_export_rule": value.value})
        return await self._confirm("export_rule", value.value, lambda s: s.export_rule)

    async def set_vehicle_reserve(self, percent: float) -> CommandResult:
        value = _whole_percent(percent, "The off-grid vehicle-charging reserve")
        key = "off_grid_vehicle_charging_reserve_percent"
        await self._command("off_grid_vehicle_charging_reserve", {key: value})
        return await self._confirm("vehicle_reserve", value, lambda s: s.vehicle_reserve_percent)

    async def _command(self, name: str, body: dict[str, Any]) -> CommandAck:
        path = self._site_path(name)
        ack = await self._call("POST", path, CommandAck, json=body)
        if ack.code is not None and not 200 <= ack.code < 300:
            raise CommandRefusedError(path, ack.code, ack.message or "")
        return ack

    async def _confirm(
        self, control: str, requested: object, reported_of: Callable[[CloudSettings], object]
    ) -> CommandResult:
        settings = await self.read_settings()
        reported = reported_of(settings)
        if not _same(requested, reported):
            raise CommandNotConfirmedError(control, requested, reported)
        return CommandResult(control, requested, reported, settings)

    # ------------------------------------------------------------------ requests
    def _require_site(self) -> int:
        if self.site_id is None:
            raise RuntimeError("no energy site chosen yet: call connect() or select_site() first")
        return self.site_id

    def _site_path(self, endpoint: str) -> str:
        return f"/api/1/energy_sites/{self._require_site()}/{endpoint}"

    def _trusted_base(self, base: str) -> bool:
        parts = urllib.parse.urlsplit(base)
        configured = urllib.parse.urlsplit(self._configured_url)
        if parts.scheme != "https" or not parts.hostname:
            return False
        if (parts.hostname, parts.port) == (configured.hostname, configured.port):
            return True
        return parts.hostname.endswith(TESLA_HOST_SUFFIXES)

    async def _call(
        self,
        method: str,
        path: str,
        model: type[T],
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> T:
        self.rate_limit.check(path)
        token = await self.tokens.access_token()
        reply = await self._send(method, path, token, params, json)
        if reply.status == 401:
            fresh = await self.tokens.refresh(stale=token)
            reply = await self._send(method, path, fresh, params, json)
            if reply.status == 401:
                raise self.tokens.reject("Tesla refuses the new access token for this account")
        return self._decode(method, path, reply, model)

    async def _send(
        self,
        method: str,
        path: str,
        token: str,
        params: dict[str, str] | None,
        json: dict[str, Any] | None,
    ) -> Reply:
        self.calls.append(f"{method} {path.rsplit('/', 1)[-1]}")
        reply = await send(
            self._http,
            method,
            self.cloud_url + path,
            path,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        log.debug("%s %s -> HTTP %s", method, path, reply.status)
        return reply

    def _decode(self, method: str, path: str, reply: Reply, model: type[T]) -> T:
        status = reply.status
        if 200 <= status < 300:
            try:
                return msgspec.json.decode(reply.body, type=Envelope[model]).response  # type: ignore[valid-type]
            except msgspec.ValidationError as exc:
                raise CloudProtocolError(path, *_json_path(str(exc))) from exc
            except msgspec.DecodeError as exc:
                raise CloudProtocolError(path, "$", "not JSON") from exc
        reason = _reason(reply.body)
        if status == 429:
            raise self.rate_limit.hit(path, retry_after_s(reply, self._clock()))
        if status == 403:
            scope = "energy_cmds" if method == "POST" else "energy_device_data"
            raise MissingScopeError(path, scope, reason)
        if status == 404 and "/energy_sites/" in path:
            raise SiteNotFoundError(self.site_id)
        if status in OFFLINE_STATUSES:
            raise SiteOfflineError(path, status)
        if status >= 500:
            raise CloudUnavailableError(path, status)
        raise CommandRefusedError(path, status, reason)


def choose_site(sites: Sequence[EnergySite], din: str | None) -> SiteChoice:
    """The site with the gateway's DIN; else the only Powerwall site; else ask the user."""
    batteries = [s for s in sites if s.resource_type in (None, "battery")]
    if not batteries:
        raise SiteNotFoundError(None)
    if din:
        wanted = _din_key(din)
        for site in batteries:
            if site.gateway_din and _din_key(site.gateway_din) == wanted:
                return SiteChoice(site, matched_din=True)
        serial = wanted.rpartition("--")[2]
        for site in batteries:
            if site.gateway_din and _din_key(site.gateway_din).rpartition("--")[2] == serial:
                return SiteChoice(site, matched_din=True)
    if len(batteries) == 1:
        return SiteChoice(batteries[0], matched_din=False)
    raise SiteChoiceRequiredError(din, batteries)


def _same(requested: object, reported: object) -> bool:
    """Percentages compare as numbers (Tesla may answer 80.0 for 80); the rest exactly."""
    numbers = (int, float)
    if isinstance(requested, bool) or not isinstance(requested, numbers):
        return reported == requested
    return isinstance(reported, numbers) and abs(float(reported) - float(requested)) < 0.5


def _din_key(din: str) -> str:
    return din.strip().upper()


def _whole_percent(value: float, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number from 0 to 100.")
    if not 0 <= value <= 100 or value != int(value):
        raise ValueError(f"{what} must be a whole number from 0 to 100 (got {value:g}).")
    return int(value)


def _reason(body: bytes) -> str:
    try:
        error = msgspec.json.decode(body[:4000], type=FleetErrorBody)
    except msgspec.DecodeError:
        return ""
    return (error.error or "")[:200]


def _json_path(message: str) -> tuple[str, str]:
    problem, sep, at = message.rpartition(" - at `")
    return (at.rstrip("`"), problem) if sep else ("$", message)
