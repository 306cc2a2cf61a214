"""``GatewayClient``: the gateway's whole local API over one small keep-alive HTTPS pool.

Retry policy here is deliberately narrow (STYLE.md habit 3): the only automatic retries are one
re-login after a 401 (or a 403 whose session turns out to be dead) and one new connection for a
GET whose kept-alive connection the gateway had just closed. Connection failures are raised at
once; the monitor decides when to try again.

Logins (at most one in flight, whatever asks for it):

* every read that needs a session while a login is under way waits for that login and shares
  its outcome — a session, or the very error it ended with;
* a rejected password is never sent again (until the user gives new credentials); a lock-out
  (429, or a login the gateway never answers) is respected until it ends — ``Retry-After`` is
  read as seconds or an HTTP date in any zone, and held between 30 s and 1 h;
* after a login that failed for any other reason (connection cut, timeout, a reply pwtray cannot
  read…) no new login is sent for ``login_pause_s`` (default 5 s, one fast poll interval): the
  reads in that time get the same error. So a poll cycle sends at most one login, and a monitor
  that polls every fast interval sends at most one per cycle. ``next_login_in_s()`` tells when
  the next login may go.

A 403 on a read is not always the session's fault: firmware can refuse one endpoint (say
``/api/powerwalls``) to a customer login that reads everything else. So on a 403 the client asks
a *canary* — the last endpoint that read fine with that session, else the SOE — with the same
session: if that answers, the session works and the 403 belongs to the endpoint
(``PermissionDeniedError(endpoint, read=True)``, remembered for that session, so it costs no
more requests next time); if the canary is refused too, the session is dead: one re-login, one
retry, and the same test with the new session. Only a session refused everywhere right after a
login is an ``AuthenticationError``.

Bounded: each request has one deadline for all of it (``Timeouts.request_s``: connect + headers
+ body), each reply a size cap on the wire and after decompression, JSON a nesting limit, and the
values pwtray shows range checks (``_models``); see :class:`pwtray.gateway._http.Limits`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import enum
import errno
import logging
import re
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from pwtray import __version__
from pwtray.gateway import _models as m
from pwtray.gateway._address import GatewayAddress, Resolver, system_resolver
from pwtray.gateway._exceptions import (
    AuthenticationError,
    CertificateChangedError,
    EndpointNotSupportedError,
    GatewayError,
    GatewayProtocolError,
    GatewayTimeoutError,
    GatewayUnavailableError,
    GatewayUnreachableError,
    LockedOutError,
    PermissionDeniedError,
    ReplyTooLargeError,
    RequestRefusedError,
    SecureConnectionError,
    WriteNotAppliedError,
)
from pwtray.gateway._http import (
    ConnectFailedError,
    ConnectionCutError,
    Http11Transport,
    Limits,
    MalformedReplyError,
    Reply,
    Target,
    TimedOutError,
    TooLargeError,
    Transport,
)
from pwtray.gateway._scale import api_to_app, app_to_api
from pwtray.gateway._tls import PinnedContext, find_mismatch, pinned_context

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

T = TypeVar("T")
LOGIN = "/api/login/Basic"
# What firmware 1.x accepts on /api/operation (the seed: "autonomous" gives a server error).
LEGACY_MODES = frozenset({"self_consumption", "backup"})
DEFAULT_LOCKOUT_S = 300.0
RETRY_AFTER_FLOOR_S = 30.0  # "Retry-After: 1" must not turn into a login a second
RETRY_AFTER_CAP_S = 3600.0  # a huge or far-future value must not silence pwtray for days
DEFAULT_LOGIN_PAUSE_S = 5.0  # one fast poll interval
USER_AGENT = f"pwtray/{__version__}"
DEFAULT_LIMITS = Limits()
# Asked with a session whose 403 elsewhere is in doubt: small replies every firmware has.
CANARIES = ("/api/system_status/soe", "/api/meters/aggregates")
# On firmware 1.x these needed a token (seed document); everything else read without one.
LEGACY_PROTECTED = frozenset(
    {
        "/api/operation",
        "/api/powerwalls/status",
        "/api/site_info/grid_codes",
        "/api/solars",
        "/api/solars/brands",
        "/api/generators",
        "/api/customer",
        "/api/config",
        "/api/generators/disconnect_types",
        "/api/meters",
        "/api/installer",
        "/api/sitemaster/run",
        "/api/sitemaster/stop",
    }
)
_AT_PATH = re.compile(r" - at `([^`]*)`$")
_BOUND = re.compile(r"^Expected `\w+` (>=|<=|>|<) (\S+)$")
_BOUND_WORDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}
# RFC 6265 cookie-octets: what may go back to the gateway in a Cookie header.
_COOKIE_VALUE = re.compile(f"{m.COOKIE_OCTETS}{{1,8192}}")
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_SECRET_HEADERS = frozenset({"set-cookie", "cookie", "authorization"})
_AFTER_LOGIN = (
    "The gateway did not accept pwtray's session even right after logging in. Check the "
    "password in Connection… (tray menu); the gateway may also need its customer login "
    "enabled again from its web page."
)


class Generation(enum.Enum):
    """Which login the gateway speaks."""

    LEGACY = "1.x"  # blank user, password S+serial, Bearer token; open reads
    CURRENT = "current"  # user "customer", customer password, cookies; every read needs them


@dataclass(frozen=True)
class Session:
    """A login the gateway granted; save it (in the keyring) to skip a login on restart."""

    generation: Generation
    token: str
    user_record: str | None = None

    def __repr__(self) -> str:
        return f"Session(generation={self.generation.value}, token=<hidden>)"


@dataclass(frozen=True)
class Timeouts:
    """``connect_s``: opening a connection (TCP + TLS). ``read_s``: the whole reply — headers
    and body — once the request is on its way. ``total_s``: the whole request, waiting for a
    free connection included; by default ``connect_s + read_s``. A reply still arriving at its
    deadline is abandoned, however steadily it trickles in."""

    connect_s: float = 3.0
    read_s: float = 5.0
    total_s: float | None = None

    @property
    def request_s(self) -> float:
        return self.total_s if self.total_s is not None else self.connect_s + self.read_s


def make_http_client(
    context: PinnedContext, timeouts: Timeouts = Timeouts(), max_connections: int = 4
) -> httpx.AsyncClient:
    """An httpx client set up as a gateway needs (pinned, no proxy, no redirects), for callers
    that inject one with ``GatewayClient(http=...)``; by default the client uses its own pool."""
    import httpx  # here, not at the top: httpx takes 0.1 s to import

    return httpx.AsyncClient(
        verify=context,
        timeout=httpx.Timeout(timeouts.read_s, connect=timeouts.connect_s, pool=timeouts.connect_s),
        limits=httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=20.0,
        ),
        http1=True,
        http2=False,
        follow_redirects=False,
        trust_env=False,  # a desktop proxy must never see gateway traffic or credentials
    )


class GatewayClient:
    """Async client for one gateway. Use ``async with GatewayClient(...) as gw:``."""

    def __init__(
        self,
        address: str | GatewayAddress,
        *,
        password: str | None = None,
        email: str = "",
        fingerprint: str | None = None,
        generation: Generation | None = None,
        session: Session | None = None,
        http: httpx.AsyncClient | None = None,
        transport: Transport | None = None,
        timeouts: Timeouts = Timeouts(),
        limits: Limits = DEFAULT_LIMITS,
        max_connections: int = 4,
        lockout_default_s: float = DEFAULT_LOCKOUT_S,
        login_pause_s: float = DEFAULT_LOGIN_PAUSE_S,
        resolver: Resolver = system_resolver,
        keep_session: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        """``transport`` (or an ``httpx.AsyncClient`` as ``http``) replaces the built-in pool;
        the client then leaves closing it to the caller. ``clock`` times lock-outs and pauses,
        ``wall`` reads ``Retry-After`` dates and says until when a lock-out lasts."""
        self.address = (
            address if isinstance(address, GatewayAddress) else GatewayAddress.parse(address)
        )
        self._password = password
        self._email = email
        self._context = pinned_context(fingerprint)
        self._limits = limits
        self._timeouts = timeouts
        if transport is None:
            if http is not None:
                from pwtray.gateway._httpx import HttpxTransport  # imports httpx

                transport = HttpxTransport(http, limits=limits)
            else:
                transport = Http11Transport(
                    None if self.address.plain else self._context,
                    limits=limits,
                    max_connections=max_connections,
                )
            self._owns_transport = http is None
        else:
            self._owns_transport = False
        self._transport = transport
        if session is not None and not _sendable(session):
            log.warning("the saved session cannot be sent back to the gateway; logging in anew")
            session = None
        self._generation = generation or (session.generation if session else None)
        self._session = session
        self._lockout_default_s = lockout_default_s
        self.login_pause_s = login_pause_s
        self._resolver = resolver
        self._keep_session = keep_session
        self._clock = clock
        self._wall = wall
        self._target: Target | None = (
            Target(self.address.host, self.address.port) if self.address.is_ip else None
        )
        self._locks: dict[str, float] = {}  # endpoint -> monotonic time the lock-out ends
        self._password_rejected = False
        self._login_task: asyncio.Task[Session] | None = None
        self._login_failure: tuple[float, GatewayError] | None = None  # (when, why)
        self._generation_lock = asyncio.Lock()
        self._headers: tuple[Session | None, list[tuple[str, str]]] = (None, _headers(None))
        self._canary: str | None = None  # the last endpoint a session read without trouble
        self._denied: dict[str, Session] = {}  # endpoint -> a working session it was refused to
        self.login_count = 0
        self.last_status: m.Status | None = None

    # ------------------------------------------------------------------ life cycle
    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Log out (unless the session is kept for the next start) and close the connections."""
        try:
            task = self._login_task
            if task is not None and not task.done():
                task.cancel()
                await asyncio.wait([task])
            if self._session is not None and not self._keep_session:
                await self.logout()
        except GatewayError as exc:
            log.debug("logout on close failed: %s", type(exc).__name__)
        finally:
            if self._owns_transport:
                await self._transport.aclose()

    # ------------------------------------------------------------------ state
    @property
    def session(self) -> Session | None:
        return self._session

    @property
    def fingerprint(self) -> str | None:
        """The certificate fingerprint in use: the pinned one, or the first one seen."""
        pinned = self._context.sslobject_class
        expected = getattr(pinned, "expected", None)
        if expected:
            return str(expected)
        return self._context.seen_fingerprints[0] if self._context.seen_fingerprints else None

    def set_credentials(self, password: str, email: str | None = None) -> None:
        """New credentials from the user: a rejected password may now be tried (once)."""
        self._password = password
        if email is not None:
            self._email = email
        self._password_rejected = False
        self._login_failure = None
        self._session = None

    def lockout_remaining_s(self, endpoint: str = LOGIN) -> float:
        return max(0.0, self._locks.get(endpoint, 0.0) - self._clock())

    def next_login_in_s(self) -> float | None:
        """Seconds until this client would send a login again (0: now); ``None`` when it will
        not before the user gives new credentials (password rejected, or none set)."""
        if self._password_rejected or self._password is None:
            return None
        wait = self.lockout_remaining_s(LOGIN)
        if self._login_failure is not None:
            failed_at, _ = self._login_failure
            wait = max(wait, failed_at + self.login_pause_s - self._clock())
        return max(0.0, wait)

    async def generation(self) -> Generation:
        """Which login this gateway speaks, from ``/api/status`` (asked once)."""
        if self._generation is not None:
            return self._generation
        async with self._generation_lock:
            if self._generation is None:
                try:
                    status = await self._call(
                        "GET", "/api/status", m.Status, session=False, relogin=False
                    )
                except AuthenticationError:
                    # Only current firmware can require a session for /api/status.
                    self._generation = Generation.CURRENT
                else:
                    self.last_status = status
                    self._generation = Generation.LEGACY if status.legacy else Generation.CURRENT
        return self._generation

    # ------------------------------------------------------------------ reads
    async def meters_aggregates(self) -> m.MetersAggregates:
        return await self._get("/api/meters/aggregates", m.MetersAggregates)

    async def soe(self) -> m.Soe:
        return await self._get("/api/system_status/soe", m.Soe)

    async def grid_status(self) -> m.GridStatus:
        return await self._get("/api/system_status/grid_status", m.GridStatus)

    async def grid_faults(self) -> list[m.GridFault]:
        return await self._get("/api/system_status/grid_faults", list[m.GridFault])

    async def system_status(self) -> m.SystemStatus:
        return await self._get("/api/system_status", m.SystemStatus)

    async def sitemaster(self) -> m.SiteMaster:
        return await self._get("/api/sitemaster", m.SiteMaster)

    async def status(self) -> m.Status:
        status = await self._get("/api/status", m.Status, session=False)
        self.last_status = status
        return status

    async def powerwalls(self) -> m.Powerwalls:
        return await self._get("/api/powerwalls", m.Powerwalls)

    async def powerwalls_status(self) -> m.PowerwallsStatus:
        """The Powerwalls' own state. Firmware 1.x answers 409 "Sitemaster is current running"
        while they run (the seed); that is a result, not an error: ``sitemaster_running``."""
        try:
            return await self._get("/api/powerwalls/status", m.PowerwallsStatus)
        except RequestRefusedError as exc:
            if exc.status != 409:
                raise
            return m.PowerwallsStatus(sitemaster_running=True)

    async def operation(self) -> m.Operation:
        return await self._get("/api/operation", m.Operation)

    async def site_info(self) -> m.SiteInfo:
        return await self._get("/api/site_info", m.SiteInfo)

    async def site_name(self) -> m.SiteName:
        return await self._get("/api/site_info/site_name", m.SiteName)

    async def registration(self) -> m.Registration:
        return await self._get("/api/customer/registration", m.Registration)

    async def update_status(self) -> m.UpdateStatus:
        return await self._get("/api/system/update/status", m.UpdateStatus)

    async def grid_codes(self) -> list[m.GridCode]:
        return await self._get("/api/site_info/grid_codes", list[m.GridCode])

    async def solars(self) -> list[m.Solar]:
        return await self._get("/api/solars", list[m.Solar])

    async def solar_brands(self) -> list[str]:
        return await self._get("/api/solars/brands", list[str])

    async def solar_brand_models(self, brand: str) -> list[str]:
        path = "/api/solars/brands/" + urllib.parse.quote(brand, safe="")
        return await self._get(path, list[str], protected=True)

    async def generators(self) -> m.Generators:
        return await self._get("/api/generators", m.Generators)

    async def generator_disconnect_types(self) -> list[str]:
        return await self._get("/api/generators/disconnect_types", list[str])

    async def customer(self) -> m.Customer:
        return await self._get("/api/customer", m.Customer)

    async def config(self) -> m.GatewayConfig:
        return await self._get("/api/config", m.GatewayConfig)

    async def meters(self) -> list[m.MeterDevice]:
        return await self._get("/api/meters", list[m.MeterDevice])

    async def meter_readings(self) -> dict[str, m.MeterReading]:
        return await self._get("/api/meters/readings", dict[str, m.MeterReading])

    async def meters_site(self) -> list[m.SiteMeter]:
        return await self._get("/api/meters/site", list[m.SiteMeter])

    async def meters_solar(self) -> list[m.SiteMeter]:
        return await self._get("/api/meters/solar", list[m.SiteMeter])

    async def installer(self) -> m.Installer:
        return await self._get("/api/installer", m.Installer)

    async def networks(self) -> list[m.Network]:
        return await self._get("/api/networks", list[m.Network])

    async def system_networks(self) -> list[m.SystemNetwork]:
        return await self._get("/api/system/networks", list[m.SystemNetwork])

    async def wifi_security_types(self) -> list[str]:
        return await self._get("/api/networks/wifi_security_types", list[str])

    async def system_testing(self) -> m.SystemTesting:
        return await self._get("/api/system/testing", m.SystemTesting)

    async def troubleshooting_problems(self) -> m.Problems:
        return await self._get("/api/troubleshooting/problems", m.Problems)

    async def auth_toggle_supported(self) -> m.AuthToggle:
        return await self._get("/api/auth/toggle/supported", m.AuthToggle)

    async def connectivity_tests(
        self, *, timeout_s: float = 30.0, poll_s: float = 1.0
    ) -> m.ConnTests:
        """Run the gateway's connectivity tests and wait for their results."""
        deadline = self._clock() + timeout_s
        while True:
            result: m.ConnTests = await self._call(
                "POST", "/api/system/networks/conn_tests", m.ConnTests
            )
            if result.finished or self._clock() >= deadline:
                return result
            await asyncio.sleep(poll_s)

    # ------------------------------------------------------------------ writes
    async def set_operation(
        self, mode: m.OperationMode | str, reserve_app_percent: float
    ) -> m.Operation:
        """Set mode and backup reserve (the app's percent), commit, read back and confirm."""
        mode_value = mode.value if isinstance(mode, m.OperationMode) else str(mode)
        m.OperationMode(mode_value)  # ValueError for a mode the gateway does not have
        reserve_api = round(app_to_api(reserve_app_percent), 2)
        legacy = await self.generation() is Generation.LEGACY
        if legacy and mode_value not in LEGACY_MODES:
            # The seed: firmware 1.x answers a server error to these; nothing is sent.
            raise RequestRefusedError(
                "/api/operation", 400, f"firmware 1.x does not offer the mode {mode_value}"
            )
        key = "mode" if legacy else "real_mode"
        body = {key: mode_value, "backup_reserve_percent": reserve_api}
        await self._call("POST", "/api/operation", m.Operation, json_body=body)
        await self.config_completed()
        applied = await self.operation()
        if applied.mode != mode_value or abs(applied.backup_reserve_percent - reserve_api) > 0.05:
            reserve = api_to_app(applied.backup_reserve_percent)
            detail = f"mode {applied.mode} with reserve {reserve:.0f} %"
            raise WriteNotAppliedError("/api/operation", detail)
        return applied

    async def set_max_pv_export(self, limit_kw: float | None) -> m.Operation:
        """Limit solar export to ``limit_kw`` (None: no limit), commit, read back and confirm.

        Only firmware 1.x has this setting (the seed); later firmware refuses the write.
        """
        if limit_kw is not None and not 0 <= limit_kw <= 1000:
            raise ValueError(f"an export limit of {limit_kw} kW is not one a site can have")
        body = {"max_pv_export_power_kW": limit_kw}
        await self._call("POST", "/api/operation", m.Operation, json_body=body)
        await self.config_completed()
        applied = await self.operation()
        if applied.max_pv_export_power_kW != limit_kw:
            detail = f"an export limit of {applied.max_pv_export_power_kW} kW"
            raise WriteNotAppliedError("/api/operation", detail)
        return applied

    async def config_completed(self) -> None:
        """Commit configuration changes (firmware 1.x: 202; current: the status, counted)."""
        await self._call("GET", "/api/config/completed", None, protected=True)

    async def set_off_grid(self, off_grid: bool) -> m.GridState:
        """Go off grid (``True``) or reconnect; returns the grid state read back."""
        wanted = "intentional_reconnect_failsafe" if off_grid else "backup"
        answer = await self._call(
            "POST", "/api/v2/islanding/mode", m.IslandMode, json_body={"island_mode": wanted}
        )
        if answer.island_mode != wanted:
            raise WriteNotAppliedError("/api/v2/islanding/mode", f"mode {answer.island_mode}")
        return (await self.grid_status()).state

    async def stop_sitemaster(self, *, force: bool = False) -> m.SiteMaster:
        if await self.generation() is Generation.LEGACY:
            await self._call("GET", "/api/sitemaster/stop", None)
        else:
            await self._call("POST", "/api/sitemaster/stop", None, json_body={"force": force})
        state = await self.sitemaster()
        if state.running:
            raise WriteNotAppliedError("/api/sitemaster/stop", "the system still running")
        return state

    async def run_sitemaster(self) -> m.SiteMaster:
        await self._call("GET", "/api/sitemaster/run", None)
        state = await self.sitemaster()
        if not state.running:
            raise WriteNotAppliedError("/api/sitemaster/run", "the system still stopped")
        return state

    async def set_site_name(self, name: str) -> m.SiteName:
        await self._call(
            "POST", "/api/site_info/site_name", m.SiteName, json_body={"site_name": name}
        )
        applied = await self.site_name()
        if applied.site_name != name:
            raise WriteNotAppliedError(
                "/api/site_info/site_name", f"the name {applied.site_name!r}"
            )
        return applied

    async def reachable(self, timeout_s: float = 2.0) -> bool:
        """Whether the gateway accepts a TCP connection now (no TLS, nothing sent): a cheap
        probe for noticing that a gateway that was unreachable answers again."""
        try:
            target = await self._resolve()
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(target.ip, target.port), timeout_s
            )
        except (OSError, TimeoutError, GatewayError):
            if not self.address.is_ip:
                self._target = None  # a name: resolve it again next time
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def logout(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await self._call("GET", "/api/logout", None, session=False, relogin=False, use=session)

    async def login(self) -> Session:
        """Log in now (normally done on demand). Raises on a wrong password or a lock-out."""
        return await self._login(stale=self._session)

    # ------------------------------------------------------------------ the request path
    async def _get(
        self, path: str, model: type[T], *, session: bool = True, protected: bool = False
    ) -> T:
        result: T = await self._call("GET", path, model, session=session, protected=protected)
        return result

    async def _needs_session(self, path: str, protected: bool) -> bool:
        if await self.generation() is Generation.CURRENT:
            return True
        return protected or path in LEGACY_PROTECTED

    async def _call(
        self,
        method: str,
        path: str,
        model: Any,
        *,
        json_body: dict[str, Any] | None = None,
        session: bool = True,
        protected: bool = False,
        relogin: bool = True,
        use: Session | None = None,
    ) -> Any:
        self._refuse_if_locked(path)
        if use is None and session and await self._needs_session(path, protected):
            use = self._session or await self._login(stale=None)
        elif self._generation is Generation.LEGACY:
            # A 1.x login stops the Powerwalls until sitemaster/run: reads wait for it.
            await self._login_settled()
        logins_before = self.login_count
        reply = await self._send(method, path, json_body, use)
        if (
            reply.status == 502
            and self.login_count != logins_before
            and self._generation is Generation.LEGACY
        ):
            # A 1.x login that overlapped this read stopped the Powerwalls under it; the login
            # starts them again, so wait for it and read once more.
            await self._login_settled()
            reply = await self._send(method, path, json_body, use)
        refused = reply.status == 401 or (reply.status == 403 and method == "GET")
        if refused and relogin and (session or reply.status == 401):
            reply = await self._after_refusal(method, path, json_body, use, reply.status)
        result = self._decode(path, reply, model)
        if use is not None and method == "GET":
            self._canary = path
        return result

    async def _after_refusal(
        self,
        method: str,
        path: str,
        json_body: dict[str, Any] | None,
        use: Session | None,
        status: int,
    ) -> Reply:
        """A 401, or a 403 on a read: whose fault is it — the session's or the endpoint's?"""
        if (
            status == 403
            and use is not None
            and (self._denied.get(path) is use or await self._session_works(use, path))
        ):
            self._denied[path] = use
            raise PermissionDeniedError(path, read=True)
        fresh = await self._login(stale=use)
        reply = await self._send(method, path, json_body, fresh)
        if reply.status == 403 and method == "GET" and await self._session_works(fresh, path):
            self._denied[path] = fresh
            raise PermissionDeniedError(path, read=True)
        if reply.status == 401 or (reply.status == 403 and method == "GET"):
            raise AuthenticationError(_AFTER_LOGIN)
        return reply

    async def _session_works(self, session: Session, refused_path: str) -> bool:
        """Does ``session`` read another endpoint (the canary) without a refusal?"""
        canary = self._canary
        if canary is None or canary == refused_path:
            canary = next(p for p in CANARIES if p != refused_path)
        reply = await self._send("GET", canary, None, session)
        return 200 <= reply.status < 300

    def _refuse_if_locked(self, path: str) -> None:
        remaining = self.lockout_remaining_s(path)
        if remaining > 0:
            raise self._locked(path, remaining)

    async def _send(
        self, method: str, path: str, json_body: dict[str, Any] | None, session: Session | None
    ) -> Reply:
        target = await self._resolve()
        cached_for, headers = self._headers
        if cached_for is not session:
            headers = _headers(session)
            self._headers = (session, headers)
        body = None
        if json_body is not None:
            body = msgspec.json.encode(json_body)
            headers = [*headers, ("Content-Type", "application/json")]
        timeouts = self._timeouts
        deadline = asyncio.get_running_loop().time() + timeouts.request_s
        try:
            reply = await self._transport.request(
                method,
                target,
                path,
                headers,
                body,
                deadline=deadline,
                connect_s=timeouts.connect_s,
                reply_s=timeouts.read_s,
            )
        except TimedOutError as exc:
            if path == LOGIN and exc.phase == "reply":
                # Locked-out gateways accept the connection and never answer a login.
                self._locks[LOGIN] = self._clock() + self._lockout_default_s
                raise self._locked(LOGIN, self._lockout_default_s) from exc
            if exc.phase == "connect":
                self._target = None if not self.address.is_ip else self._target
                limit_s = min(timeouts.connect_s, timeouts.request_s)
            else:
                limit_s = min(timeouts.read_s, timeouts.request_s)
            raise GatewayTimeoutError(
                str(self.address), path, limit_s, exc.phase, exc.received_bytes
            ) from exc
        except ConnectFailedError as exc:
            raise self._connect_error(exc) from exc
        except ConnectionCutError as exc:
            reason = "the connection was cut" + (" mid-reply" if exc.received_bytes else "")
            raise GatewayUnreachableError(str(self.address), reason) from exc
        except TooLargeError as exc:
            raise ReplyTooLargeError(path, exc.part, exc.limit_bytes) from exc
        except MalformedReplyError as exc:
            raise GatewayProtocolError(path, "HTTP", exc.problem) from exc
        if log.isEnabledFor(logging.DEBUG):  # never the cookies' values, nor any body
            shown = {k: v for k, v in reply.headers.items() if k not in _SECRET_HEADERS}
            log.debug(
                "%s %s -> HTTP %d, %d bytes, %d cookies set, headers %s",
                method,
                path,
                reply.status,
                len(reply.body),
                len(reply.set_cookies),
                shown,
            )
        return reply

    def _connect_error(self, exc: ConnectFailedError) -> GatewayError:
        mismatch = find_mismatch(exc.cause)
        if mismatch is not None:
            return CertificateChangedError(str(self.address), mismatch.expected, mismatch.actual)
        self._target = None if not self.address.is_ip else self._target  # a name: resolve again
        refusal = tls_refusal(exc.cause)
        if refusal is not None:
            kind, detail = refusal
            return SecureConnectionError(str(self.address), kind, detail)
        return GatewayUnreachableError(str(self.address), _reason(exc.cause))

    async def _resolve(self) -> Target:
        if self._target is None:
            try:
                ip = await self._resolver(self.address.host, self.address.port)
            except OSError as exc:
                raise GatewayUnreachableError(
                    str(self.address), "the name does not resolve"
                ) from exc
            self._target = Target(ip, self.address.port, self.address.sni)
        return self._target

    def _decode(self, path: str, reply: Reply, model: Any) -> Any:
        status = reply.status
        if status == 429:
            retry_after = retry_after_s(reply.headers.get("retry-after"), self._wall())
            if retry_after is None:
                retry_after = self._lockout_default_s
            until = self._clock() + retry_after
            self._locks[path] = until
            # A gateway that rate-limits anything is not to be sent a password either.
            self._locks[LOGIN] = max(self._locks.get(LOGIN, 0.0), until)
            raise self._locked(path, retry_after)
        if status == 401:
            raise AuthenticationError()
        if status == 403:
            raise PermissionDeniedError(path)
        if status == 404:
            raise EndpointNotSupportedError(path)
        if status >= 500:
            reason = _refusal_reason(reply.body, self._limits)
            if reason and status not in (502, 503, 504):
                # The gateway said why in its error body (the seed's 500 "Unable to stop
                # sitemaster"): a refusal with its words, not a busy gateway.
                raise RequestRefusedError(path, status, reason)
            raise GatewayUnavailableError(path, status)
        if 400 <= status < 500:
            raise RequestRefusedError(path, status, _refusal_reason(reply.body, self._limits))
        if 300 <= status < 400:
            where = _printable(reply.headers.get("location", ""), 80)
            raise GatewayProtocolError(
                path, "$", f"a redirect (HTTP {status}) to “{where}”, which pwtray does not follow"
            )
        if not 200 <= status < 300:
            raise GatewayProtocolError(path, "$", f"unexpected HTTP status {status}")
        if model is None:
            return None
        if "html" in reply.headers.get("content-type", ""):
            raise GatewayProtocolError(path, "$", "a web page arrived instead of JSON")
        return decode(path, reply.body, model, max_depth=self._limits.json_depth)

    def _locked(self, endpoint: str, remaining_s: float) -> LockedOutError:
        until = dt.datetime.fromtimestamp(self._wall() + remaining_s, dt.UTC)
        return LockedOutError(endpoint, remaining_s, until)

    # ------------------------------------------------------------------ logging in
    async def _login(self, *, stale: Session | None) -> Session:
        """The session to use instead of ``stale``: one that arrived meanwhile, the outcome of
        the login in flight, or a new login — never a second login alongside the first."""
        current = self._session
        if current is not None and current is not stale:
            return current  # another request logged in while this one waited
        task = self._login_task
        if task is None or task.done():
            self._refuse_login_now()
            task = asyncio.get_running_loop().create_task(self._log_in(), name="pwtray-login")
            task.add_done_callback(_retrieve)
            self._login_task = task
        return await asyncio.shield(task)

    async def _login_settled(self) -> None:
        task = self._login_task
        if task is not None and not task.done():
            await asyncio.wait([task])

    def _refuse_login_now(self) -> None:
        self._refuse_if_locked(LOGIN)
        if self._password_rejected:
            raise AuthenticationError()  # never send a rejected password again
        if self._password is None:
            raise AuthenticationError(
                "The gateway asks for a login and no password is set. Enter the customer "
                "password in Connection… (tray menu)."
            )
        if self._login_failure is not None:
            failed_at, error = self._login_failure
            if self._clock() - failed_at < self.login_pause_s:
                raise error.with_traceback(None)  # the last login's outcome, not a new login

    async def _log_in(self) -> Session:
        try:
            return await self._post_login()
        except GatewayError as exc:
            if not isinstance(exc, AuthenticationError | LockedOutError):
                self._login_failure = (self._clock(), exc)
            raise

    async def _post_login(self) -> Session:
        assert self._password is not None  # noqa: S101 - checked by _refuse_login_now
        generation = await self.generation()
        if generation is Generation.LEGACY:
            body = {"username": "", "password": self._password, "force_sm_off": False}
        else:
            body = {
                "username": "customer",
                "password": self._password,
                "email": self._email,
                "force_sm_off": False,
            }
        self._session = None
        self.login_count += 1
        reply = await self._send("POST", LOGIN, body, None)
        if reply.status in (401, 403):
            self._password_rejected = True
            if b"physical access" in reply.body:
                raise AuthenticationError(
                    "The gateway only lets the installer account in with physical access; "
                    "pwtray logs in as the customer."
                )
            raise AuthenticationError()
        login: m.Login = self._decode(LOGIN, reply, m.Login)
        session = Session(generation, login.token, api_cookie(reply.set_cookies, "UserRecord"))
        self._session = session
        self._login_failure = None
        log.info("logged in to the gateway at %s", self.address)
        if generation is Generation.LEGACY:
            # Firmware 1.x stops the Powerwalls when it hands out a token (seed document).
            await self._send("GET", "/api/sitemaster/run", None, session)
        return session


def _retrieve(task: asyncio.Task[Session]) -> None:
    """A login nobody waits for any more must not be reported as an unretrieved error."""
    if not task.cancelled():
        task.exception()


def _sendable(session: Session) -> bool:
    """Whether a session (from the keyring, say) can go in a header without breaking it."""
    parts = [session.token, *([session.user_record] if session.user_record else [])]
    return all(_COOKIE_VALUE.fullmatch(part) for part in parts)


def _headers(session: Session | None) -> list[tuple[str, str]]:
    headers = [("Accept", "application/json"), ("User-Agent", USER_AGENT)]
    if session is None:
        return headers
    if session.generation is Generation.LEGACY:
        headers.append(("Authorization", f"Bearer {session.token}"))
    else:
        cookie = f"AuthCookie={session.token}"
        if session.user_record:
            cookie += f"; UserRecord={session.user_record}"
        headers.append(("Cookie", cookie))
    return headers


def decode(endpoint: str, body: bytes, model: type[T], *, max_depth: int = 32) -> T:
    """Decode a reply; any problem becomes a GatewayProtocolError naming the JSON path."""
    if nested_deeper_than(body, max_depth):
        raise GatewayProtocolError(endpoint, "$", f"JSON nested deeper than {max_depth} levels")
    try:
        return msgspec.json.decode(body, type=model)
    except msgspec.ValidationError as exc:
        text = str(exc)
        match = _AT_PATH.search(text)
        path = match[1] if match else "$"
        problem = _AT_PATH.sub("", text) if match else text
        bound = _BOUND.match(problem)
        if bound:
            problem = f"a value out of range (must be {_BOUND_WORDS[bound[1]]} {bound[2]})"
        elif problem == "Number out of range":
            problem = "a number out of range"
        elif "matching regex" in problem:
            problem = "text in a form pwtray does not accept"
        raise GatewayProtocolError(endpoint, path, problem) from exc
    except msgspec.DecodeError as exc:
        problem = "empty reply" if not body.strip() else "not valid JSON"
        raise GatewayProtocolError(endpoint, "$", problem) from exc
    except RecursionError as exc:  # a safety net: the depth check above comes first
        raise GatewayProtocolError(endpoint, "$", "JSON nested too deeply") from exc


def nested_deeper_than(body: bytes, max_depth: int) -> bool:
    """Whether JSON ``body`` nests arrays/objects more than ``max_depth`` deep (strings skipped).

    Replies with few brackets in all (every fast-poll reply) are answered by counting alone.
    """
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    depth = 0
    for token in _JSON_TOKEN.finditer(body):
        opener = token[0]
        if opener in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif opener in (b"]", b"}"):
            depth -= 1
    return False


def retry_after_s(value: str | None, now_wall_s: float) -> float | None:
    """``Retry-After`` as seconds from now, held between 30 s and 1 h; ``None`` if unreadable.

    Either a number of seconds (any size) or an HTTP date in any zone — a date without a real
    zone (``-0000``) is read as UTC.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        digits = text.lstrip("0")
        seconds = RETRY_AFTER_CAP_S if len(digits) > 9 else float(digits or 0)
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        try:
            seconds = when.timestamp() - now_wall_s
        except (OverflowError, ValueError, OSError):
            return None
    return min(RETRY_AFTER_CAP_S, max(RETRY_AFTER_FLOOR_S, seconds))


def api_cookie(set_cookies: tuple[str, ...], name: str) -> str | None:
    """The value of cookie ``name`` as a browser would send it first to ``/api/…``.

    Among the ``Set-Cookie`` headers for ``name`` whose Path covers ``/api/`` (absent: the
    login's own folder, ``/api/login``, which does not), the longest Path wins, and of equal
    ones the last. A value that could not go back in a Cookie header is a protocol error.
    """
    best: tuple[int, str] | None = None
    for header in set_cookies:
        pair, *attributes = header.split(";")
        key, equals, value = pair.partition("=")
        if not equals or key.strip() != name:
            continue
        path = "/api/login"
        for attribute in attributes:
            attr, _, attr_value = attribute.strip().partition("=")
            if attr.strip().lower() == "path" and attr_value.strip().startswith("/"):
                path = attr_value.strip()
        if not _path_covers(path, "/api/"):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if not _COOKIE_VALUE.fullmatch(value):
            raise GatewayProtocolError(LOGIN, f"Set-Cookie {name}", "not a valid cookie value")
        if best is None or len(path) >= best[0]:
            best = (len(path), value)
    return best[1] if best else None


def _path_covers(cookie_path: str, request_path: str) -> bool:
    """RFC 6265 §5.1.4 path-match."""
    if cookie_path == request_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def tls_refusal(exc: BaseException) -> tuple[str, str] | None:
    """(kind, detail) when ``exc`` is a TLS handshake the other side would not complete."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return None  # the connection was cut, which is no statement about TLS
        if isinstance(current, ssl.SSLError):
            reason = str(getattr(current, "reason", "") or "")
            if reason in _OUTDATED_TLS:
                return "outdated-tls", reason
            if reason in _NOT_TLS:
                return "not-tls", reason
            if reason == "UNEXPECTED_EOF_WHILE_READING":
                return None
            return "handshake", reason.replace("_", " ").lower() or "no reason given"
        current = current.__cause__ or current.__context__
    return None


_OUTDATED_TLS = frozenset(
    {
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "UNSUPPORTED_PROTOCOL",
        "NO_PROTOCOLS_AVAILABLE",
        "VERSION_TOO_LOW",
        "WRONG_SSL_VERSION",
    }
)
_NOT_TLS = frozenset(
    {"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"}
)

# httpx's names for a cut connection, matched by name so that httpx is not imported for them.
_CUT_BY_HTTPX = frozenset({"RemoteProtocolError", "ReadError", "WriteError"})


def _reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words, from the most specific cause in the chain."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, ConnectionResetError | BrokenPipeError | ssl.SSLEOFError):
            return "the connection was cut"
        if isinstance(current, socket.gaierror):
            return "the name does not resolve"
        if isinstance(current, ssl.SSLError):
            return "the secure connection failed"
        if isinstance(current, OSError) and current.errno in (
            errno.EHOSTUNREACH,
            errno.ENETUNREACH,
        ):
            return "network unreachable"
        current = current.__cause__ or current.__context__
    if isinstance(exc, ConnectionCutError) or type(exc).__name__ in _CUT_BY_HTTPX:
        return "the connection was cut"
    if "refused" in str(exc).lower():
        return "connection refused"
    return "cannot connect"


class _ErrorBody(msgspec.Struct):
    """The gateway's error reply: ``{"code": 412, "error": "...", "message": "..."}``."""

    error: str = ""
    message: str = ""


def _refusal_reason(body: bytes, limits: Limits) -> str:
    """The gateway's own words for a refusal, if its body has them (bounded, printable)."""
    snippet = body[:4096]
    if nested_deeper_than(snippet, limits.json_depth):
        return ""
    try:
        reply = msgspec.json.decode(snippet, type=_ErrorBody)
    except (msgspec.MsgspecError, RecursionError):
        return ""
    words = [w for w in (reply.error, reply.message) if w]
    if len(words) == 2 and words[0].casefold() == words[1].casefold():
        words = words[:1]
    return _printable(" — ".join(words), 200)


def _printable(text: str, limit: int) -> str:
    return "".join(ch for ch in text if ch.isprintable())[:limit]
