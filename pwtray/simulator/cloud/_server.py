"""The simulated Tesla cloud: OAuth (authorize, token) and the Fleet API's energy endpoints.

One HTTPS listener on loopback serves both the sign-in host and the Fleet API host. Its
certificate is signed by a CA it generates (``_ca.py``); clients verify it against that file.

Shapes (each checked against public sources, which are named where they are built):

- OAuth: ``GET /oauth2/v3/authorize`` (response_type=code, client_id, redirect_uri, scope,
  state, code_challenge, code_challenge_method=S256) approves at once and redirects to
  ``redirect_uri?code=…&state=…&issuer=…``; ``POST /oauth2/v3/token`` (form body) with
  ``grant_type=authorization_code`` (PKCE verified) or ``grant_type=refresh_token`` answers
  ``{"access_token", "refresh_token", "id_token", "expires_in", "token_type": "Bearer"}``.
  Refresh tokens are single use (developer.tesla.com, "Third-Party Tokens": "The refresh token
  is single use only and expires after 3 months"): a used or revoked one gets 401
  ``{"error": "login_required"}``; an unknown one 400 ``{"error": "invalid_grant"}``.
- Fleet API: every body is ``{"response": …}``; errors are
  ``{"response": null, "error": "…", "error_description": ""}`` with 401 (token expired or
  invalid), 403 (missing scopes), 404, 408 (site offline), 429 (``Retry-After``), 5xx.

Commands change the *same* simulated gateway after ``delay_s``, through nothing but its public
``set_state(mode=…, reserve=…)``; mode and reserve are read back with ``state()``. Storm Watch,
grid charging, exports and the off-grid vehicle reserve live in the cloud's own state.

Time here is the cloud's own clock (monotonic plus whatever :meth:`CloudSimulator.advance`
added), so tests expire tokens and run delayed commands without sleeping.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import html
import http.server
import json
import secrets
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import _ca

Json = Any
DEFAULT_CLIENT_ID = "pwtray-sim-client"
DEFAULT_REFRESH_TOKEN = "NA_sim-refresh-token-0001"  # noqa: S105 - the simulator's, printed
KNOWN_SCOPES = frozenset(
    {
        "openid",
        "offline_access",
        "user_data",
        "vehicle_device_data",
        "vehicle_cmds",
        "vehicle_charging_cmds",
        "energy_device_data",
        "energy_cmds",
    }
)
ALL_ENERGY_SCOPES = ("openid", "offline_access", "energy_device_data", "energy_cmds")
MODES = ("self_consumption", "autonomous", "backup")
EXPORT_RULES = ("battery_ok", "pv_only", "never")
FAULT_KINDS = frozenset({"offline", "rate_limit", "server_error", "missing_scope", "deny"})
MAX_BODY = 64 * 1024
IDLE_TIMEOUT_S = 10.0


class Gateway(Protocol):
    """The simulated gateway, as far as the cloud may know it (its public API only)."""

    def state(self) -> dict[str, Any]: ...

    def set_state(self, **values: Any) -> None: ...


@dataclass
class CloudConfig:
    """Everything the simulated cloud can be started with."""

    host: str = "127.0.0.1"
    port: int = 0
    delay_s: float = 5.0  # command accepted -> the gateway has it
    client_id: str = DEFAULT_CLIENT_ID
    refresh_token: str = DEFAULT_REFRESH_TOKEN  # accepted as pasted (all energy scopes)
    access_ttl_s: float = 8 * 3600.0  # Tesla's access tokens last 8 hours
    refresh_ttl_s: float = 90 * 86400.0
    code_ttl_s: float = 600.0
    region: str = "na"
    gateway_din: str = "1232100-00-E--TG1234567890G1"
    energy_site_id: int = 1689000000001
    site_name: str = "Home Energy Gateway"
    other_sites: tuple[str, ...] = ()  # gateway DINs of more energy sites on the account
    granted_scopes: tuple[str, ...] | None = None  # None: whatever the sign-in asked for
    storm_watch_capable: bool = True
    vehicle_reserve_supported: bool = True
    solar: bool = True
    backup_events: tuple[tuple[str, float], ...] = ()  # (start, RFC 3339; duration in s)
    region_base_url: str | None = None  # what /users/region answers (default: this server)
    cert_dir: Path | None = None


@dataclass
class CloudRequest:
    """One request as the cloud saw it (never a token: only the serial of the one used)."""

    time: float
    method: str
    path: str
    status: int
    token_serial: int | None = None  # which access token authorised it
    grant_type: str | None = None  # on the token endpoint


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scopes: tuple[str, ...]
    expires_at: float
    used: bool = False


@dataclass
class _Access:
    serial: int
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    valid: bool = True


@dataclass
class _Refresh:
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    state: str = "valid"  # "valid", "used", "revoked"


@dataclass
class _Site:
    energy_site_id: int
    din: str
    name: str
    linked: bool  # the one whose mode and reserve are the simulated gateway's
    mode: str = "self_consumption"
    reserve_percent: float = 20.0
    storm_watch: bool = False
    grid_charging: bool = True
    export_rule: str = "pv_only"
    vehicle_reserve_percent: int = 0


@dataclass
class _Pending:
    due: float
    changes: dict[str, Any]


@dataclass
class _Fault:
    kind: str
    path: str = ""
    count: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


class _Answer(Exception):
    def __init__(
        self, status: int, body: bytes, content_type: str, headers: list[tuple[str, str]]
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers


def _json_answer(
    status: int, payload: Json, headers: list[tuple[str, str]] | None = None
) -> _Answer:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return _Answer(status, body, "application/json; charset=utf-8", headers or [])


def _fleet_error(status: int, error: str, headers: list[tuple[str, str]] | None = None) -> _Answer:
    return _json_answer(
        status, {"response": None, "error": error, "error_description": ""}, headers
    )


def _oauth_error(status: int, error: str, description: str) -> _Answer:
    return _json_answer(status, {"error": error, "error_description": description})


def _page(status: int, title: str, text: str) -> _Answer:
    body = (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    ).encode()
    return _Answer(status, body, "text/html; charset=utf-8", [])


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _loopback_redirect(uri: str) -> bool:
    """Only http://localhost|127.0.0.1|[::1]:PORT/… — the simulator never sends a browser away."""
    parts = urllib.parse.urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = IDLE_TIMEOUT_S
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is the record; nothing goes to stderr

    def do_GET(self) -> None:
        self.server.cloud._serve(self, "GET")

    def do_POST(self) -> None:
        self.server.cloud._serve(self, "POST")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, cloud: CloudSimulator, address: tuple[str, int]) -> None:
        self.cloud = cloud
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Known to the simulator before it starts, so stop() can wait for every one.
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="pwtray-cloud-sim-conn",
            daemon=True,
        )
        self.cloud._track_thread(thread)
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.cloud._untrack_thread(threading.current_thread())

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake happens here, in the connection's own thread, not in accept().
        request.settimeout(IDLE_TIMEOUT_S)
        if self.cloud._stopping.is_set():
            return
        try:
            tls = self.cloud._context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        self.cloud._track(tls)
        try:
            _Handler(tls, client_address, self)
        finally:
            self.cloud._untrack(tls)
            with contextlib.suppress(OSError):
                tls.close()


class CloudSimulator:
    """A running simulated Tesla cloud for one account. ``start()``/``stop()`` or ``with``."""

    def __init__(
        self,
        gateway: Gateway,
        config: CloudConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or CloudConfig()
        self._gateway = gateway
        self._clock = clock
        self._offset_s = 0.0
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._serial = 0
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._faults: list[_Fault] = []
        self._hooks: list[tuple[str, Callable[[], None]]] = []
        self._pending: list[_Pending] = []
        self._log: list[CloudRequest] = []
        self._connections: set[ssl.SSLSocket] = set()
        self._connection_threads: set[threading.Thread] = set()
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._own_dir: tempfile.TemporaryDirectory[str] | None = None
        cfg = self.config
        self._refresh[cfg.refresh_token] = _Refresh(
            cfg.client_id, ALL_ENERGY_SCOPES, self.now() + cfg.refresh_ttl_s
        )
        self._sites: list[_Site] = [
            _Site(cfg.energy_site_id, cfg.gateway_din, cfg.site_name, linked=True)
        ]
        for n, din in enumerate(cfg.other_sites, start=1):
            self._sites.append(_Site(cfg.energy_site_id + n, din, f"Site {n + 1}", linked=False))
        self._events: list[tuple[dt.datetime, float]] = [
            (dt.datetime.fromisoformat(start), duration) for start, duration in cfg.backup_events
        ]

    # ------------------------------------------------------------------ life cycle
    def start(self) -> CloudSimulator:
        directory = self.config.cert_dir
        if directory is None:
            self._own_dir = tempfile.TemporaryDirectory(prefix="pwtray-cloud-sim-")
            directory = Path(self._own_dir.name)
        self.ca_path, cert_path, key_path = _ca.ensure(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_path, key_path)
        self._context = context
        self._server = _Server(self, (self.config.host, self.config.port))
        serve = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="pwtray-cloud-sim",
            daemon=True,
        )
        applier = threading.Thread(
            target=self._apply_loop, name="pwtray-cloud-sim-apply", daemon=True
        )
        self._threads = [serve, applier]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every open connection and wait for the threads."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        with self._lock:
            connection_threads = list(self._connection_threads)
        for thread in connection_threads:
            thread.join(timeout=5)
        if self._own_dir is not None:
            self._own_dir.cleanup()
            self._own_dir = None
        self._server = None

    def __enter__(self) -> CloudSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulated cloud is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"https://{host}:{self.port}"

    # ------------------------------------------------------------------ control (Python)
    def now(self) -> float:
        return self._clock() + self._offset_s

    def advance(self, seconds: float) -> None:
        """Move the cloud's clock on: tokens expire, delayed commands reach the gateway."""
        with self._lock:
            self._offset_s += seconds
        self._apply_due()

    def set_fault(
        self, kind: str, *, path: str = "", count: int | None = None, **params: Any
    ) -> None:
        """Misbehave: offline (408), rate_limit (429), server_error (5xx), missing_scope (403),
        deny (the sign-in page refuses). ``path`` narrows it, ``count`` limits how often."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(sorted(FAULT_KINDS))}")
        with self._lock:
            self._faults.append(_Fault(kind, path, count, dict(params)))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def revoke_tokens(self) -> None:
        """As when the owner removes the app's access: every token stops working."""
        with self._lock:
            for refresh in self._refresh.values():
                if refresh.state == "valid":
                    refresh.state = "revoked"
            for access in self._access.values():
                access.valid = False

    def expire_access_tokens(self) -> None:
        with self._lock:
            for access in self._access.values():
                access.expires_at = min(access.expires_at, self.now())

    def after_next(self, path: str, action: Callable[[], None]) -> None:
        """Run ``action`` once, right after the next request whose path contains ``path``."""
        with self._lock:
            self._hooks.append((path, action))

    def add_backup_event(self, start: dt.datetime, duration_s: float) -> None:
        with self._lock:
            self._events.append((start, duration_s))

    def requests(self) -> list[CloudRequest]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def pending(self) -> list[dict[str, Any]]:
        """Commands accepted but not yet at the gateway, with how long until they are."""
        with self._lock:
            now = self.now()
            return [{"in_s": max(0.0, p.due - now), **p.changes} for p in self._pending]

    def settings(self) -> dict[str, Any]:
        """The linked site's settings as the cloud reports them."""
        with self._lock:
            site = self._sync(self._sites[0])
            return {
                "mode": site.mode,
                "reserve_percent": site.reserve_percent,
                "storm_watch": site.storm_watch,
                "grid_charging": site.grid_charging,
                "export_rule": site.export_rule,
                "vehicle_reserve_percent": site.vehicle_reserve_percent,
            }

    # ------------------------------------------------------------------ delayed commands
    def _apply_loop(self) -> None:
        while not self._stopping.wait(0.05):
            self._apply_due()

    def _apply_due(self) -> None:
        with self._lock:
            now = self.now()
            due = [p for p in self._pending if p.due <= now]
            self._pending = [p for p in self._pending if p.due > now]
            for item in due:
                self._gateway.set_state(**item.changes)

    def _sync(self, site: _Site) -> _Site:
        """Mode and reserve of the linked site: the latest command, else what the gateway has."""
        if not site.linked:
            return site
        state = self._gateway.state()
        site.mode = str(state["mode"])
        site.reserve_percent = round(float(state["reserve_percent"]), 1)
        for item in self._pending:
            site.mode = item.changes.get("mode", site.mode)
            site.reserve_percent = float(item.changes.get("reserve", site.reserve_percent))
        return site

    def _command(self, site: _Site, **changes: Any) -> None:
        if site.linked:
            self._pending.append(_Pending(self.now() + self.config.delay_s, changes))
        else:
            site.mode = changes.get("mode", site.mode)
            site.reserve_percent = float(changes.get("reserve", site.reserve_percent))

    # ------------------------------------------------------------------ HTTP
    def _track(self, conn: ssl.SSLSocket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _untrack(self, conn: ssl.SSLSocket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _track_thread(self, thread: threading.Thread) -> None:
        with self._lock:
            self._connection_threads.add(thread)

    def _untrack_thread(self, thread: threading.Thread) -> None:
        with self._lock:
            self._connection_threads.discard(thread)

    def _serve(self, handler: _Handler, method: str) -> None:
        parts = urllib.parse.urlsplit(handler.path)
        record = CloudRequest(time=self.now(), method=method, path=parts.path, status=0)
        try:
            length = int(handler.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise _oauth_error(413, "invalid_request", "body too large")
            body = handler.rfile.read(length) if length else b""
            with self._lock:
                self._apply_due()
                self._route(handler, method, parts, body, record)
            answer = _fleet_error(500, "unhandled")  # every route answers by raising
        except _Answer as raised:
            answer = raised
        except ValueError:
            answer = _oauth_error(400, "invalid_request", "malformed request")
        record.status = answer.status
        with self._lock:
            self._log.append(record)
            hook = next((h for h in self._hooks if h[0] in record.path), None)
            if hook is not None:
                self._hooks.remove(hook)
        if hook is not None:
            hook[1]()  # before the answer leaves: the client's next request sees its effect
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.send_header("Cache-Control", "no-store")
        for name, value in answer.headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(answer.body)

    def _route(
        self,
        handler: _Handler,
        method: str,
        parts: urllib.parse.SplitResult,
        body: bytes,
        record: CloudRequest,
    ) -> None:
        path = parts.path
        query = dict(urllib.parse.parse_qsl(parts.query))
        if method == "GET" and path == "/oauth2/v3/authorize":
            self._authorize(query)
        if method == "POST" and path == "/oauth2/v3/token":
            self._fault_for(path)
            self._token(handler, body, record)
        if not path.startswith("/api/1/"):
            raise _fleet_error(404, "Not Found")
        access = self._bearer(handler, record)
        self._fault_for(path)
        if method == "GET" and path == "/api/1/users/region":
            raise _json_answer(
                200,
                {
                    "response": {
                        "region": self.config.region,
                        "fleet_api_base_url": self.config.region_base_url or self.base_url,
                    }
                },
            )
        if method == "GET" and path == "/api/1/products":
            self._need_scope(access, "energy_device_data", "vehicle_device_data")
            raise _json_answer(200, self._products())
        segments = path.removeprefix("/api/1/").split("/")
        if len(segments) == 3 and segments[0] == "energy_sites":
            site = self._site(segments[1])
            if method == "GET":
                self._need_scope(access, "energy_device_data")
                self._energy_read(site, segments[2], query)
            if method == "POST":
                self._need_scope(access, "energy_cmds")
                self._energy_command(site, segments[2], handler, body)
        raise _fleet_error(404, "Not Found")

    def _fault_for(self, path: str) -> None:
        for fault in list(self._faults):
            if fault.kind == "deny" or fault.path not in path:
                continue
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
            if fault.kind == "offline":
                raise _fleet_error(408, "site unavailable: the gateway is not connected")
            if fault.kind == "rate_limit":
                retry = int(fault.params.get("retry_after_s", 30))
                raise _fleet_error(429, f"Retry in {retry} seconds", [("Retry-After", str(retry))])
            if fault.kind == "server_error":
                status = int(fault.params.get("status", 500))
                raise _fleet_error(status, "internal error")
            if fault.kind == "missing_scope":
                raise _fleet_error(403, "Unauthorized missing scopes")

    # ------------------------------------------------------------------ OAuth
    def _authorize(self, query: dict[str, str]) -> None:
        cfg = self.config
        if query.get("client_id") != cfg.client_id:
            raise _page(400, "Unknown application", "This client_id is not registered.")
        redirect_uri = query.get("redirect_uri", "")
        if not _loopback_redirect(redirect_uri):
            raise _page(400, "Invalid redirect_uri", "The redirect_uri is not registered.")
        if query.get("response_type") != "code":
            raise _page(400, "Invalid request", "response_type must be code")
        state = query.get("state", "")
        if not state:
            raise _page(400, "Invalid request", "state is required")
        challenge = query.get("code_challenge", "")
        if not challenge or query.get("code_challenge_method") != "S256":
            raise _page(400, "Invalid request", "PKCE with S256 is required")
        requested = tuple(s for s in query.get("scope", "").split() if s in KNOWN_SCOPES)
        if "openid" not in requested:
            raise _page(400, "Invalid request", "scope must include openid")
        separator = "&" if "?" in redirect_uri else "?"
        for fault in self._faults:
            if fault.kind == "deny":
                self._faults.remove(fault)
                params = {"error": "access_denied", "error_description": "denied", "state": state}
                location = redirect_uri + separator + urllib.parse.urlencode(params)
                raise _Answer(302, b"", "text/plain", [("Location", location)])
        granted = cfg.granted_scopes if cfg.granted_scopes is not None else requested
        code = f"{cfg.region.upper()}_{secrets.token_hex(24)}"
        self._codes[code] = _Code(
            cfg.client_id, redirect_uri, challenge, tuple(granted), self.now() + cfg.code_ttl_s
        )
        params = {
            "locale": "en-US",
            "code": code,
            "state": state,
            "issuer": f"{self.base_url}/oauth2/v3",
        }
        raise _Answer(
            302,
            b"",
            "text/plain",
            [("Location", redirect_uri + separator + urllib.parse.urlencode(params))],
        )

    def _token(self, handler: _Handler, body: bytes, record: CloudRequest) -> None:
        if "application/x-www-form-urlencoded" not in handler.headers.get("Content-Type", ""):
            raise _oauth_error(400, "invalid_request", "the body must be form encoded")
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
        grant_type = form.get("grant_type", "")
        record.grant_type = grant_type
        if form.get("client_id") != self.config.client_id:
            raise _oauth_error(401, "invalid_client", "unknown client_id")
        now = self.now()
        if grant_type == "authorization_code":
            code = self._codes.get(form.get("code", ""))
            if code is None or code.used or code.expires_at <= now:
                raise _oauth_error(400, "invalid_grant", "the authorization code is invalid")
            code.used = True  # single use, even when the rest of the request is wrong
            if form.get("redirect_uri") != code.redirect_uri:
                raise _oauth_error(400, "invalid_grant", "redirect_uri does not match")
            verifier = form.get("code_verifier", "")
            if not hmac.compare_digest(_s256(verifier), code.challenge):
                raise _oauth_error(400, "invalid_grant", "Invalid code_verifier")
            raise self._grant(code.client_id, code.scopes)
        if grant_type == "refresh_token":
            refresh = self._refresh.get(form.get("refresh_token", ""))
            if refresh is None:
                raise _oauth_error(400, "invalid_grant", "unknown refresh_token")
            if refresh.state != "valid" or refresh.expires_at <= now:
                raise _oauth_error(
                    401,
                    "login_required",
                    "The refresh_token has already been used, was revoked or has expired",
                )
            if refresh.client_id != form.get("client_id"):
                raise _oauth_error(400, "invalid_grant", "the refresh_token is another client's")
            refresh.state = "used"  # rotation: each refresh token works once
            raise self._grant(refresh.client_id, refresh.scopes)
        raise _oauth_error(400, "unsupported_grant_type", f"grant_type {grant_type!r}")

    def _grant(self, client_id: str, scopes: tuple[str, ...]) -> _Answer:
        cfg, now = self.config, self.now()
        self._serial += 1
        access = secrets.token_urlsafe(48)
        self._access[access] = _Access(self._serial, client_id, scopes, now + cfg.access_ttl_s)
        payload: dict[str, Any] = {
            "access_token": access,
            "id_token": f"sim.{secrets.token_urlsafe(16)}.id",
            "expires_in": int(cfg.access_ttl_s),
            "token_type": "Bearer",
        }
        if "offline_access" in scopes:
            refresh = f"{cfg.region.upper()}_{secrets.token_hex(32)}"
            self._refresh[refresh] = _Refresh(client_id, scopes, now + cfg.refresh_ttl_s)
            payload["refresh_token"] = refresh
        return _json_answer(200, payload)

    def _bearer(self, handler: _Handler, record: CloudRequest) -> _Access:
        header = handler.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        access = self._access.get(token)
        if access is None or not access.valid:
            raise _fleet_error(401, "invalid bearer token")
        record.token_serial = access.serial
        if access.expires_at <= self.now():
            raise _fleet_error(401, "token expired (401)")
        return access

    @staticmethod
    def _need_scope(access: _Access, *any_of: str) -> None:
        if not any(scope in access.scopes for scope in any_of):
            raise _fleet_error(403, "Unauthorized missing scopes")

    # ------------------------------------------------------------------ energy endpoints
    def _site(self, site_id: str) -> _Site:
        for site in self._sites:
            if str(site.energy_site_id) == site_id:
                return site
        raise _fleet_error(404, "Not Found")

    def _products(self) -> Json:
        # Shape: home-assistant/core tests/components/teslemetry/fixtures/products.json and
        # pypowerwall fleetapi get_products(): vehicles and energy sites in one list.
        vehicle: dict[str, Json] = {
            "id": 100021,
            "user_id": 429511308124,
            "vehicle_id": 99999,
            "vin": "5YJ3000000SIMUL01",
            "display_name": "Simulated car",
            "access_type": "OWNER",
            "state": "asleep",
            "in_service": False,
            "id_s": "100021",
        }
        sites: list[Json] = []
        for site in self._sites:
            self._sync(site)
            state = self._gateway.state() if site.linked else {}
            sites.append(
                {
                    "energy_site_id": site.energy_site_id,
                    "resource_type": "battery",
                    "site_name": site.name,
                    "id": f"STE{site.energy_site_id}",
                    "gateway_id": site.din,
                    "energy_left": round(float(state.get("remaining_wh", 0.0)), 1),
                    "total_pack_energy": round(float(state.get("full_wh", 13500.0))),
                    "percentage_charged": round(float(state.get("soe_percent", 50.0)), 2),
                    "battery_type": "ac_powerwall",
                    "backup_capable": True,
                    "battery_power": round(float(state.get("battery_w", 0.0))),
                    "storm_mode_enabled": site.storm_watch,
                    "components": {
                        "battery": True,
                        "battery_type": "ac_powerwall",
                        "solar": self.config.solar,
                        "grid": True,
                        "load_meter": True,
                        "market_type": "residential",
                    },
                }
            )
        products = [vehicle, *sites]
        return {"response": products, "count": len(products)}

    def _energy_read(self, site: _Site, endpoint: str, query: dict[str, str]) -> None:
        if endpoint == "site_info":
            raise _json_answer(200, {"response": self._site_info(site)})
        if endpoint == "live_status":
            raise _json_answer(200, {"response": self._live_status(site)})
        if endpoint == "calendar_history":
            raise _json_answer(200, {"response": self._calendar_history(query)})
        raise _fleet_error(404, "Not Found")

    def _site_info(self, site: _Site) -> Json:
        # Shape: pypowerwall fleetapi get_site_info() docstring and home-assistant/core
        # tests/components/tesla_fleet/fixtures/site_info.json.
        self._sync(site)
        cfg = self.config
        reserve = site.reserve_percent
        components: dict[str, Json] = {
            "solar": cfg.solar,
            "solar_type": "pv_panel" if cfg.solar else None,
            "battery": True,
            "grid": True,
            "backup": True,
            "gateway": "teg",
            "load_meter": True,
            "tou_capable": True,
            "storm_mode_capable": cfg.storm_watch_capable,
            "off_grid_vehicle_charging_reserve_supported": cfg.vehicle_reserve_supported,
            "set_islanding_mode_enabled": True,
            "backup_time_remaining_enabled": True,
            "battery_type": "ac_powerwall",
            "configurable": True,
            "grid_services_enabled": False,
            "gateways": [
                {
                    "device_id": f"gw-{site.energy_site_id}",
                    "din": site.din,
                    "serial_number": site.din.rpartition("--")[2],
                    "part_number": site.din.partition("--")[0],
                    "part_type": 10,
                    "part_name": "Tesla Backup Gateway 2",
                    "is_active": True,
                    "site_id": f"site-{site.energy_site_id}",
                    "firmware_version": "24.36.2 46990655",
                    "updated_datetime": "2026-06-01T00:00:00.000Z",
                }
            ],
            "batteries": [
                {
                    "device_id": f"pw-{site.energy_site_id}",
                    "din": "2012170-25-E--TG1234567890B1",
                    "part_number": "2012170-25-E",
                    "part_type": 2,
                    "part_name": "Powerwall 2",
                    "nameplate_max_charge_power": 5000,
                    "nameplate_max_discharge_power": 5000,
                    "nameplate_energy": 13500,
                }
            ],
            "edit_setting_permission_to_export": cfg.solar,
            "edit_setting_grid_charging": cfg.solar,
            "edit_setting_energy_exports": cfg.solar,
            "system_alerts_enabled": True,
        }
        if cfg.solar:
            # Absent means charging from the grid is allowed (pypowerwall set_grid_charging()).
            if not site.grid_charging:
                components["disallow_charge_from_grid_with_solar_installed"] = True
            components["customer_preferred_export_rule"] = site.export_rule
            if site.export_rule == "never":
                components["non_export_configured"] = True
        info: dict[str, Json] = {
            "id": f"STE{site.energy_site_id}",
            "site_name": site.name,
            "backup_reserve_percent": int(reserve) if reserve == int(reserve) else reserve,
            "default_real_mode": site.mode,
            "installation_date": "2021-09-25T15:53:47-07:00",
            "user_settings": {
                "go_off_grid_test_banner_enabled": False,
                "storm_mode_enabled": site.storm_watch,
                "powerwall_onboarding_settings_set": True,
                "sync_grid_alert_enabled": True,
                "breaker_alert_enabled": False,
            },
            "components": components,
            "version": "24.36.2 46990655",
            "battery_count": 1,
            "nameplate_power": 5000,
            "nameplate_energy": 13500,
            "installation_time_zone": "America/Los_Angeles",
            "vpp_backup_reserve_percent": 0,
        }
        if cfg.vehicle_reserve_supported:
            info["off_grid_vehicle_charging_reserve_percent"] = site.vehicle_reserve_percent
        return info

    def _live_status(self, site: _Site) -> Json:
        # Shape: home-assistant/core tests/components/teslemetry/fixtures/live_status.json.
        state = self._gateway.state() if site.linked else {}
        grid = str(state.get("grid_status", "SystemGridConnected"))
        islanded = grid in ("SystemIslandedActive", "SystemTransitionToGrid")
        return {
            "solar_power": round(float(state.get("solar_w", 0.0))),
            "percentage_charged": float(state.get("soe_percent", 50.0)),
            "backup_capable": True,
            "battery_power": round(float(state.get("battery_w", 0.0))),
            "load_power": round(float(state.get("load_w", 0.0))),
            "grid_status": "Inactive" if islanded else "Active",
            "grid_services_active": False,
            "grid_power": round(float(state.get("site_w", 0.0))),
            "grid_services_power": 0,
            "generator_power": 0,
            "island_status": "off_grid" if islanded else "on_grid",
            "storm_mode_active": False,
            "timestamp": str(state.get("sim_time", "2026-01-01T00:00:00+00:00")),
            "wall_connectors": [],
        }

    def _calendar_history(self, query: dict[str, str]) -> Json:
        # kind=backup: {"events": [{"timestamp", "duration" (ms)}], "total_events"}
        # (teslajsonpy issue #334 shows the events; MMM-Powerwall reads duration as ms).
        if query.get("kind") != "backup":
            raise _fleet_error(400, "the simulator answers kind=backup only")
        try:
            start = (
                dt.datetime.fromisoformat(query["start_date"]) if "start_date" in query else None
            )
            end = dt.datetime.fromisoformat(query["end_date"]) if "end_date" in query else None
        except ValueError:
            raise _fleet_error(400, "invalid_field: start_date/end_date must be RFC 3339") from None
        if (start is not None and start.tzinfo is None) or (end is not None and end.tzinfo is None):
            raise _fleet_error(400, "invalid_field: dates need a UTC offset")
        events = []
        for began, duration_s in sorted(self._events, key=lambda e: e[0]):
            ended = began + dt.timedelta(seconds=duration_s)
            if (start is None or ended >= start) and (end is None or began <= end):
                events.append(
                    {"timestamp": began.isoformat(), "duration": round(duration_s * 1000)}
                )
        return {"events": events, "total_events": len(events)}

    def _energy_command(self, site: _Site, endpoint: str, handler: _Handler, body: bytes) -> None:
        if "application/json" not in handler.headers.get("Content-Type", ""):
            raise _fleet_error(400, "invalid_request: the body must be JSON")
        try:
            args = json.loads(body or b"{}")
        except ValueError:
            raise _fleet_error(400, "invalid_request: the body is not JSON") from None
        if not isinstance(args, dict):
            raise _fleet_error(400, "invalid_request: the body must be a JSON object")
        cfg = self.config
        if endpoint == "operation":
            mode = args.get("default_real_mode")
            if mode not in MODES:
                raise _fleet_error(400, f"invalid_field: default_real_mode must be one of {MODES}")
            self._command(site, mode=mode)
        elif endpoint == "backup":
            reserve = _percent(args.get("backup_reserve_percent"), "backup_reserve_percent")
            self._command(site, reserve=reserve)
        elif endpoint == "storm_mode":
            enabled = args.get("enabled")
            if not isinstance(enabled, bool):
                raise _fleet_error(400, "invalid_field: enabled must be true or false")
            if not cfg.storm_watch_capable:
                raise _fleet_error(400, "invalid_request: this site has no Storm Watch")
            site.storm_watch = enabled
        elif endpoint == "grid_import_export":
            self._grid_import_export(site, args)
        elif endpoint == "off_grid_vehicle_charging_reserve":
            if not cfg.vehicle_reserve_supported:
                raise _fleet_error(400, "invalid_request: not supported by this site")
            key = "off_grid_vehicle_charging_reserve_percent"
            site.vehicle_reserve_percent = _percent(args.get(key), key)
        else:
            raise _fleet_error(404, "Not Found")
        # timdorr/tesla-api docs/energy/commands.md:
        # {"response": {"code": 201, "message": "Updated"}}
        raise _json_answer(200, {"response": {"code": 201, "message": "Updated"}})

    def _grid_import_export(self, site: _Site, args: dict[str, Any]) -> None:
        if not self.config.solar:
            raise _fleet_error(400, "invalid_request: the site has no solar")
        charge_key, export_key = (
            "disallow_charge_from_grid_with_solar_installed",
            "customer_preferred_export_rule",
        )
        if charge_key not in args and export_key not in args:
            raise _fleet_error(400, f"invalid_request: give {charge_key} or {export_key}")
        if charge_key in args:
            if not isinstance(args[charge_key], bool):
                raise _fleet_error(400, f"invalid_field: {charge_key} must be true or false")
            site.grid_charging = not args[charge_key]
        if export_key in args:
            if args[export_key] not in EXPORT_RULES:
                raise _fleet_error(
                    400, f"invalid_field: {export_key} must be one of {EXPORT_RULES}"
                )
            site.export_rule = args[export_key]


def _percent(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise _fleet_error(400, f"invalid_field: {name} must be a number from 0 to 100")
    if value != int(value):
        raise _fleet_error(400, f"invalid_field: {name} must be a whole number")
    return int(value)
