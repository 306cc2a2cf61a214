"""``GatewayClient``: the gateway's whole local API over one keep-alive HTTPS client.

Retry policy here is deliberately narrow (STYLE.md habit 3): the only automatic retry is one
re-login after a 401 (or a 403 on a read). Connection failures are raised at once; the monitor
decides when to try again. A rejected password is never sent twice, a lock-out (429) is
respected until it ends, and a certificate change stops the connection inside the handshake.
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
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import httpx
import msgspec

from pwtray.gateway import _models as m
from pwtray.gateway._address import GatewayAddress, Resolver, system_resolver, url_host
from pwtray.gateway._exceptions import (
    AuthenticationError,
    CertificateChangedError,
    EndpointNotSupportedError,
    GatewayError,
    GatewayProtocolError,
    GatewayUnavailableError,
    GatewayUnreachableError,
    LockedOutError,
    PermissionDeniedError,
    RequestRefusedError,
    WriteNotAppliedError,
)
from pwtray.gateway._scale import api_to_app, app_to_api
from pwtray.gateway._tls import PinnedContext, find_mismatch, pinned_context

log = logging.getLogger(__name__)

T = TypeVar("T")
LOGIN = "/api/login/Basic"
DEFAULT_LOCKOUT_S = 300.0
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
    connect_s: float = 3.0
    read_s: float = 5.0


def make_http_client(
    context: PinnedContext, timeouts: Timeouts = Timeouts(), max_connections: int = 4
) -> httpx.AsyncClient:
    """The one HTTP client a gateway gets: keep-alive, explicit timeouts, a small pool."""
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
        timeouts: Timeouts = Timeouts(),
        max_connections: int = 4,
        lockout_default_s: float = DEFAULT_LOCKOUT_S,
        resolver: Resolver = system_resolver,
        keep_session: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = (
            address if isinstance(address, GatewayAddress) else GatewayAddress.parse(address)
        )
        self._password = password
        self._email = email
        self._context = pinned_context(fingerprint)
        self._http = http or make_http_client(self._context, timeouts, max_connections)
        self._owns_http = http is None
        self._generation = generation or (session.generation if session else None)
        self._session = session
        self._lockout_default_s = lockout_default_s
        self._resolver = resolver
        self._keep_session = keep_session
        self._clock = clock
        self._ip: str | None = self.address.host if self.address.is_ip else None
        self._locks: dict[str, float] = {}  # endpoint -> monotonic time the lock-out ends
        self._password_rejected = False
        self._login_lock = asyncio.Lock()
        self._generation_lock = asyncio.Lock()
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
            if self._session is not None and not self._keep_session:
                await self.logout()
        except GatewayError as exc:
            log.debug("logout on close failed: %s", type(exc).__name__)
        finally:
            if self._owns_http:
                await self._http.aclose()

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
        self._session = None

    def lockout_remaining_s(self, endpoint: str = LOGIN) -> float:
        return max(0.0, self._locks.get(endpoint, 0.0) - self._clock())

    async def generation(self) -> Generation:
        """Which login this gateway speaks, from ``/api/status`` (asked once)."""
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
        return await self._get("/api/powerwalls/status", m.PowerwallsStatus)

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
        path = "/api/solars/brands/" + httpx.URL(brand).raw_path.decode()
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
        key = "mode" if await self.generation() is Generation.LEGACY else "real_mode"
        body = {key: mode_value, "backup_reserve_percent": reserve_api}
        await self._call("POST", "/api/operation", m.Operation, json_body=body)
        await self.config_completed()
        applied = await self.operation()
        if applied.mode != mode_value or abs(applied.backup_reserve_percent - reserve_api) > 0.05:
            reserve = api_to_app(applied.backup_reserve_percent)
            detail = f"mode {applied.mode} with reserve {reserve:.0f} %"
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
            ip = await self._resolve()
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(ip, self.address.port), timeout_s
            )
        except (OSError, TimeoutError, GatewayError):
            self._ip = self.address.host if self.address.is_ip else None
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
        await self._login(stale=self._session)
        if self._session is None:  # pragma: no cover - _login raises instead
            raise AuthenticationError()
        return self._session

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
            if self._session is None:
                await self._login(stale=None)
            use = self._session
        elif self._generation is Generation.LEGACY and self._login_lock.locked():
            # A 1.x login stops the Powerwalls until sitemaster/run: reads wait for it.
            async with self._login_lock:
                pass
        logins_before = self.login_count
        response = await self._send(method, path, json_body, use)
        overlapped = self.login_count != logins_before
        if response.status_code == 502 and overlapped and self._generation is Generation.LEGACY:
            # A 1.x login that overlapped this read stopped the Powerwalls under it; the login
            # starts them again, so wait for it and read once more.
            async with self._login_lock:
                pass
            response = await self._send(method, path, json_body, use)
        denied = response.status_code == 401 or (response.status_code == 403 and method == "GET")
        if denied and relogin and (session or response.status_code == 401):
            # The session was refused (expired, revoked, or none yet): log in once, retry once.
            await self._login(stale=use)
            response = await self._send(method, path, json_body, self._session)
            if response.status_code == 401 or (response.status_code == 403 and method == "GET"):
                raise AuthenticationError(
                    "The gateway did not accept pwtray's session even right after logging in. "
                    "Check the password in Connection settings; the gateway may also need its "
                    "customer login enabled again from its web page."
                )
        return self._decode(path, response, model)

    def _refuse_if_locked(self, path: str) -> None:
        remaining = self.lockout_remaining_s(path)
        if remaining > 0:
            raise _locked(path, remaining)

    async def _send(
        self, method: str, path: str, json_body: dict[str, Any] | None, session: Session | None
    ) -> httpx.Response:
        ip = await self._resolve()
        headers = {"Accept": "application/json"}
        if session is not None:
            if session.generation is Generation.LEGACY:
                headers["Authorization"] = f"Bearer {session.token}"
            else:
                cookie = f"AuthCookie={session.token}"
                if session.user_record:
                    cookie += f"; UserRecord={session.user_record}"
                headers["Cookie"] = cookie
        url = f"https://{url_host(ip)}:{self.address.port}{path}"
        extensions = {"sni_hostname": self.address.sni} if self.address.sni else None
        try:
            response = await self._http.request(
                method, url, json=json_body, headers=headers, extensions=extensions
            )
        except httpx.TimeoutException as exc:
            if path == LOGIN and isinstance(exc, httpx.ReadTimeout):
                # Locked-out gateways accept the connection and never answer a login.
                self._locks[LOGIN] = self._clock() + self._lockout_default_s
                raise _locked(LOGIN, self._lockout_default_s) from exc
            raise GatewayUnreachableError(str(self.address), "no answer in time") from exc
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from exc
        finally:
            self._http.cookies.clear()  # the session is sent explicitly, never from a jar
        return response

    def _transport_error(self, exc: httpx.TransportError) -> GatewayError:
        mismatch = find_mismatch(exc)
        if mismatch is not None:
            return CertificateChangedError(str(self.address), mismatch.expected, mismatch.actual)
        self._ip = self.address.host if self.address.is_ip else None  # resolve again next time
        return GatewayUnreachableError(str(self.address), _reason(exc))

    async def _resolve(self) -> str:
        if self._ip is None:
            try:
                self._ip = await self._resolver(self.address.host, self.address.port)
            except OSError as exc:
                raise GatewayUnreachableError(
                    str(self.address), "the name does not resolve"
                ) from exc
        return self._ip

    def _decode(self, path: str, response: httpx.Response, model: Any) -> Any:
        status = response.status_code
        if status == 429:
            retry_after = _retry_after_s(response) or self._lockout_default_s
            until = self._clock() + retry_after
            self._locks[path] = until
            # A gateway that rate-limits anything is not to be sent a password either.
            self._locks[LOGIN] = max(self._locks.get(LOGIN, 0.0), until)
            raise _locked(path, retry_after)
        if status == 401:
            raise AuthenticationError()
        if status == 403:
            raise PermissionDeniedError(path)
        if status == 404:
            raise EndpointNotSupportedError(path)
        if status >= 500:
            raise GatewayUnavailableError(path, status)
        if 400 <= status < 500:
            raise RequestRefusedError(path, status, _refusal_reason(response.content))
        if not 200 <= status < 300:
            raise GatewayProtocolError(path, "$", f"unexpected HTTP status {status}")
        if model is None:
            return None
        content_type = response.headers.get("content-type", "")
        if "html" in content_type:
            raise GatewayProtocolError(path, "$", "a web page arrived instead of JSON")
        return decode(path, response.content, model)

    async def _login(self, *, stale: Session | None) -> None:
        async with self._login_lock:
            if self._session is not None and self._session is not stale:
                return  # another request logged in while this one waited
            self._refuse_if_locked(LOGIN)
            if self._password_rejected:
                raise AuthenticationError()  # never send a rejected password again
            if self._password is None:
                raise AuthenticationError(
                    "The gateway asks for a login and no password is set. Enter the customer "
                    "password in Connection settings."
                )
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
            response = await self._send("POST", LOGIN, body, None)
            if response.status_code in (401, 403):
                self._password_rejected = True
                if b"physical access" in response.content:
                    raise AuthenticationError(
                        "The gateway only lets the installer account in with physical access; "
                        "pwtray logs in as the customer."
                    )
                raise AuthenticationError()
            login = self._decode(LOGIN, response, m.Login)
            self._session = Session(generation, login.token, response.cookies.get("UserRecord"))
            log.info("logged in to the gateway at %s", self.address)
            if generation is Generation.LEGACY:
                # Firmware 1.x stops the Powerwalls when it hands out a token (seed document).
                await self._send("GET", "/api/sitemaster/run", None, self._session)


def decode(endpoint: str, body: bytes, model: type[T]) -> T:
    """Decode a reply; any problem becomes a GatewayProtocolError naming the JSON path."""
    try:
        return msgspec.json.decode(body, type=model)
    except msgspec.ValidationError as exc:
        text = str(exc)
        match = _AT_PATH.search(text)
        path = match[1] if match else "$"
        problem = _AT_PATH.sub("", text) if match else text
        raise GatewayProtocolError(endpoint, path, problem) from exc
    except msgspec.DecodeError as exc:
        problem = "empty reply" if not body.strip() else "not valid JSON"
        raise GatewayProtocolError(endpoint, "$", problem) from exc


def _reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words, from the most specific cause in the chain."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, ConnectionResetError | BrokenPipeError):
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
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "the connection was cut"
    if "refused" in str(exc).lower():
        return "connection refused"
    return "cannot connect"


class _ErrorBody(msgspec.Struct):
    """The gateway's error reply: ``{"code": 412, "error": "...", "message": "..."}``."""

    error: str = ""
    message: str = ""


def _refusal_reason(body: bytes) -> str:
    """The gateway's own words for a refusal, if its body has them (bounded, printable)."""
    try:
        reply = msgspec.json.decode(body[:4096], type=_ErrorBody)
    except msgspec.MsgspecError:
        return ""
    words = [w for w in (reply.error, reply.message) if w]
    if len(words) == 2 and words[0].casefold() == words[1].casefold():
        words = words[:1]
    text = " — ".join(words)
    return "".join(ch for ch in text if ch.isprintable())[:200]


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _locked(endpoint: str, remaining_s: float) -> LockedOutError:
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=remaining_s)
    return LockedOutError(endpoint, remaining_s, until)
