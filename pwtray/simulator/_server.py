"""The HTTPS server: TLS with the gateway's SNI rules, sessions, lock-outs, faults, routes.

One thread accepts; each connection gets a thread that does the TLS handshake and then serves
HTTP/1.1 keep-alive requests. All model and session state sits behind one lock. Time-based things
(token lifetime, lock-out window, scenario steps) run on the simulated clock, so tests can jump
forward with :meth:`Simulator.advance` instead of sleeping.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email.utils
import hmac
import http.server
import json
import random
import secrets
import socket
import ssl
import struct
import tempfile
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import _certs, _responses
from ._model import SimClock, SiteModel
from ._responses import Identity, Json
from ._timeline import FAULT_KINDS, Scenario, ScenarioError, Step, load_scenario

ALLOWED_SNI = frozenset({"teg", "powerwall", "powerpack"})
IDLE_TIMEOUT_S = 30.0
Headers = list[tuple[str, str]]
DEFAULT_PASSWORD = "ABCDE"  # noqa: S105 - the simulated gateway's customer password, not a secret
DEFAULT_SERIAL = "TG1234567890G1"

# Endpoints that answer 502 with an empty body while the site master is stopped [PROTOCOL §4].
STOPPED_502 = frozenset(
    {
        "/api/meters/aggregates",
        "/api/system_status/soe",
        "/api/system_status/grid_status",
        "/api/system_status",
        "/api/system_status/grid_faults",
    }
)
# On 1.15 these needed a token (seed document, "The below API calls require authentication").
LEGACY_AUTH = frozenset(
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


@dataclass
class SimulatorConfig:
    """Everything a simulated gateway can be started with."""

    host: str = "127.0.0.1"
    port: int = 0
    firmware: str = "24.36.2 46990655"
    password: str = DEFAULT_PASSWORD
    serial: str = DEFAULT_SERIAL
    email: str = ""
    powerwalls: int = 1
    scenarios: tuple[str, ...] = ()
    speed: float = 1.0
    cert_dir: Path | None = None
    token_ttl_s: float | None = None
    lockout_after: int = 5
    lockout_s: float = 300.0
    allow_writes: bool = False
    status_requires_auth: bool = False
    check_sni: bool = True
    seed: int = 1
    start: dt.datetime | None = None
    soe_percent: float = 60.0  # the app's scale
    site_name: str = "Home Energy Gateway"
    solar_peak_w: float = 6000.0


@dataclass(frozen=True)
class RequestRecord:
    """One request as the gateway saw it. Never holds a password, token or cookie value."""

    time: float
    sim_time: str
    method: str
    path: str
    status: int | None
    outcome: str  # "answered", "dropped", "blackholed"
    auth: str | None  # "bearer", "cookie" or None: whether a session was presented
    connection: int


@dataclass
class _Faults:
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def active(self, kind: str, rng: random.Random, path: str = "") -> dict[str, Any] | None:
        params = self.settings.get(kind)
        if params is None:
            return None
        only = params.get("paths")  # comma-separated path prefixes; all paths when absent
        if only and not any(path.startswith(prefix) for prefix in str(only).split(",")):
            return None
        if rng.random() < float(params.get("rate", 1.0)):
            return params
        return None


class _Respond(Exception):
    def __init__(self, status: int, body: Json | bytes | None = None,
                 headers: Headers | None = None) -> None:  # fmt: skip
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or []


class _Drop(Exception):
    pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S
    # Buffered: headers and body leave in one write after each request (the stdlib flushes),
    # so a client never waits on a delayed ACK between two small segments.
    wbufsize = 64 * 1024
    server: _HTTPSServer

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        # The gateway's clock is the simulated one: a frozen simulator sends the same Date.
        when = self.server.simulator.clock.now().timestamp()
        self.send_header("Date", email.utils.formatdate(when, usegmt=True))

    def log_message(self, format: str, *args: Any) -> None:
        return  # the request log is the record; stderr stays quiet

    def do_GET(self) -> None:
        self.server.simulator._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.simulator._handle(self, "POST")

    def do_DELETE(self) -> None:
        self.server.simulator._handle(self, "DELETE")

    def do_PUT(self) -> None:
        self.server.simulator._handle(self, "PUT")


class _HTTPSServer(http.server.HTTPServer):
    """Accepts TCP; each connection's TLS handshake and requests run in its own thread."""

    daemon_threads = True

    def __init__(self, simulator: Simulator, address: tuple[str, int]) -> None:
        self.simulator = simulator
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.simulator._serve_connection,
            args=(request, client_address),
            name="pwtray-sim-conn",
            daemon=True,
        )
        self.simulator._track_thread(thread)
        thread.start()


class Simulator:
    """A running simulated gateway. Use as a context manager or call start()/stop()."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        cfg = self.config
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._rng = random.Random(cfg.seed)
        self._scenarios: list[Scenario] = [load_scenario(s) for s in cfg.scenarios]
        self._token_ttl_s = cfg.token_ttl_s
        for scenario in self._scenarios:
            if "token_ttl_s" in scenario.settings:
                self._token_ttl_s = float(scenario.settings["token_ttl_s"])
        start = self._start_time()
        self.clock = SimClock(start, cfg.speed)
        self.model = SiteModel(
            clock=self.clock,
            powerwalls=cfg.powerwalls,
            seed=cfg.seed,
            solar_peak_w=cfg.solar_peak_w,
        )
        self.model.set_soe_raw(app_to_raw(cfg.soe_percent))
        self.identity = Identity(
            firmware=cfg.firmware,
            serial=cfg.serial,
            site_name=cfg.site_name,
            timezone="America/Los_Angeles",
            git_hash=(cfg.firmware.split()[-1] + "575b7b19bad7e12a4ebad0eb52d1f50a")[:40]
            if " " in cfg.firmware
            else "dc337851c6cad15a7e9c7223d60fff719eb8da4d",
            started=start - dt.timedelta(hours=230, minutes=55),
        )
        self._steps: list[Step] = sorted(
            (step for s in self._scenarios for step in s.steps), key=lambda s: s.at_s
        )
        for scenario in self._scenarios:
            self._apply_start(scenario.start)
        self._sessions: dict[str, float | None] = {}  # token -> expiry (sim seconds) or None
        self._failed_logins: deque[float] = deque()
        self._locked_until_s = 0.0
        self._faults = _Faults()
        self._commission_count = 11
        self._conn_test_started: dt.datetime | None = None
        self._log: deque[RequestRecord] = deque(maxlen=20_000)
        self._connections: dict[int, socket.socket] = {}
        self._threads: set[threading.Thread] = set()
        self._next_connection = 0
        self.tls_handshakes = 0
        self.tls_failures = 0
        self._own_cert_dir: tempfile.TemporaryDirectory[str] | None = None
        self._server: _HTTPSServer | None = None
        self._serve_thread: threading.Thread | None = None
        self._context: ssl.SSLContext | None = None
        self.fingerprint = ""

    # ------------------------------------------------------------------ life cycle
    def start(self) -> Simulator:
        cert_dir = self.config.cert_dir
        if cert_dir is None:
            self._own_cert_dir = tempfile.TemporaryDirectory(prefix="pwtray-sim-")
            cert_dir = Path(self._own_cert_dir.name)
        self._cert_dir = cert_dir
        self._load_certificate(rotate=False)
        self._server = _HTTPSServer(self, (self.config.host, self.config.port))
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="pwtray-sim",
            daemon=True,
        )
        self._serve_thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every connection, and wait for every thread."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            connections = list(self._connections.values())
        for conn in connections:
            _shutdown(conn)
        for thread in list(self._threads):
            thread.join(timeout=5)
        if self._serve_thread is not None:
            self._serve_thread.join(timeout=5)
        if self._own_cert_dir is not None:
            self._own_cert_dir.cleanup()
            self._own_cert_dir = None
        self._server = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        """host:port, with brackets for IPv6."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"https://{self.address}"

    @property
    def cert_path(self) -> Path:
        return self._cert_dir / _certs.CERT_FILE

    # ------------------------------------------------------------------ control (Python)
    def grid_down(self) -> None:
        with self._lock:
            self._tick()
            self.model.grid_down()

    def grid_up(self) -> None:
        with self._lock:
            self._tick()
            self.model.grid_up()

    def stop_sitemaster(self) -> None:
        with self._lock:
            self._tick()
            self.model.running = False

    def run_sitemaster(self) -> None:
        with self._lock:
            self._tick()
            self.model.running = True

    def set_fault(self, kind: str, **params: Any) -> None:
        if kind not in FAULT_KINDS:
            raise ScenarioError(f"unknown fault {kind!r}; known: {', '.join(sorted(FAULT_KINDS))}")
        with self._lock:
            self._faults.settings[kind] = dict(params)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.settings.clear()

    def rotate_certificate(self) -> None:
        """A new certificate, as after a gateway replacement; open connections are closed."""
        with self._lock:
            self._load_certificate(rotate=True)
            connections = list(self._connections.values())
        for conn in connections:
            _shutdown(conn)

    def revoke_tokens(self) -> None:
        with self._lock:
            self._sessions.clear()

    def lock_out(self, seconds: float) -> None:
        with self._lock:
            self._tick()
            self._locked_until_s = self.clock.elapsed_s() + seconds

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward at once (physics, tokens, lock-outs, scenarios)."""
        with self._lock:
            self.clock.advance(seconds)
            self._tick()

    def set_state(self, **values: Any) -> None:
        """Change the site: soe and reserve (app %), mode, load_w, solar_w, solar_peak_w, speed."""
        with self._lock:
            self._tick()
            self._apply_start(values)

    def add_scenario(self, spec: str) -> None:
        """Run a scenario from now on (its times count from this moment)."""
        scenario = load_scenario(spec)
        with self._lock:
            self._tick()
            now = self.clock.elapsed_s()
            self._apply_start(scenario.start)
            if "token_ttl_s" in scenario.settings:
                self._token_ttl_s = float(scenario.settings["token_ttl_s"])
            shifted = [Step(now + s.at_s, s.action, s.params) for s in scenario.steps]
            self._steps = sorted(self._steps + shifted, key=lambda s: s.at_s)
            self._tick()

    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def state(self) -> dict[str, Any]:
        with self._lock:
            self._tick()
            m = self.model
            return {
                "sim_time": m.now().isoformat(),
                "elapsed_s": self.clock.elapsed_s(),
                "speed": self.clock.speed,
                "soe_raw": m.soe_raw,
                "soe_percent": raw_to_app(m.soe_raw),
                "remaining_wh": m.remaining_wh,
                "full_wh": m.full_wh,
                "solar_w": m.solar_w,
                "load_w": m.load_w,
                "battery_w": m.battery_w,
                "site_w": m.site_w,
                "grid_status": m.island_state,
                "utility_up": m.utility_up,
                "running": m.running,
                "mode": m.mode,
                "reserve_raw": m.reserve_raw,
                "reserve_percent": raw_to_app(m.reserve_raw),
                "firmware": self.identity.firmware,
                "fingerprint": self.fingerprint,
                "sessions": len(self._sessions),
                "locked_out_for_s": max(0.0, self._locked_until_s - self.clock.elapsed_s()),
                "faults": {k: dict(v) for k, v in self._faults.settings.items()},
                "tls_handshakes": self.tls_handshakes,
                "tls_failures": self.tls_failures,
                "pending_steps": [
                    {"at_s": s.at_s, "action": s.action, **s.params} for s in self._steps
                ],
            }

    # ------------------------------------------------------------------ internals
    def _start_time(self) -> dt.datetime:
        """The configured start (the wall clock only when none is given), at the time of day a
        scenario asks for."""
        start = self.config.start
        if start is None:
            start = dt.datetime.now().astimezone()
        elif start.tzinfo is None:
            raise ValueError("SimulatorConfig.start needs a time zone (tzinfo)")
        for scenario in self._scenarios:
            if "time" in scenario.start:
                start = at_time_of_day(start, str(scenario.start["time"]))
        return start

    def _apply_start(self, values: Any) -> None:
        m = self.model
        for key, value in dict(values).items():
            if key == "soe":
                m.set_soe_raw(app_to_raw(float(value)))
            elif key == "reserve":
                m.reserve_raw = app_to_raw(float(value))
            elif key == "mode":
                m.mode = str(value)
            elif key == "load_w":
                m.load_override_w = None if value is None else float(value)
            elif key == "solar_w":
                m.solar_override_w = None if value is None else float(value)
            elif key == "solar_peak_w":
                m.solar_peak_w = float(value)
            elif key == "speed":
                self.clock.set_speed(float(value))
            elif key != "time":
                raise ScenarioError(f"unknown setting {key!r}")

    def _tick(self) -> None:
        """Bring the model and the scenario steps up to the simulated now."""
        now = self.clock.elapsed_s()
        while self._steps and self._steps[0].at_s <= now:
            step = self._steps.pop(0)
            self.model.advance_to(step.at_s)
            self._apply_step(step)
        self.model.advance_to(now)

    def _apply_step(self, step: Step) -> None:
        action, p = step.action, step.params
        m = self.model
        if action == "grid-down":
            m.grid_down()
        elif action == "grid-up":
            m.grid_up()
        elif action == "sitemaster-stop":
            m.running = False
        elif action == "sitemaster-run":
            m.running = True
        elif action == "fault":
            self._faults.settings[str(p["kind"])] = {k: v for k, v in p.items() if k != "kind"}
        elif action == "clear-faults":
            self._faults.settings.clear()
        elif action == "rotate-cert":
            self._load_certificate(rotate=True)
            for conn in list(self._connections.values()):
                _shutdown(conn)
        elif action == "revoke-tokens":
            self._sessions.clear()
        elif action == "lockout":
            self._locked_until_s = step.at_s + float(p.get("seconds", 300))
        elif action == "set":
            self._apply_start(p)

    def _load_certificate(self, *, rotate: bool) -> None:
        cert_path, key_path = _certs.ensure(self._cert_dir, rotate=rotate)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_path, key_path)
        context.set_alpn_protocols(["http/1.1"])
        if self.config.check_sni:
            context.sni_callback = self._check_sni
        self._context = context
        self.fingerprint = _certs.fingerprint(cert_path)

    def _check_sni(
        self, sslobj: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext
    ) -> int | None:
        # Real gateways abort the handshake for names other than their IP and a few fixed ones.
        if name is None or name in ALLOWED_SNI or name == self.config.host:
            return None
        return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME

    def _track_thread(self, thread: threading.Thread) -> None:
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(thread)

    def _serve_connection(self, raw: socket.socket, client_address: Any) -> None:
        with self._lock:
            self._tick()  # a scheduled certificate rotation applies to this handshake
            context = self._context or ssl.create_default_context()
            self._next_connection += 1
            conn_id = self._next_connection
        conn: socket.socket = raw
        try:
            raw.settimeout(10.0)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            tls = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
            conn = tls  # wrap_socket detached ``raw``; from here on ``tls`` owns the socket
            with self._lock:
                self._connections[conn_id] = tls
            if self._stopping.is_set():
                return
            try:
                tls.do_handshake()
            except (OSError, ssl.SSLError):
                with self._lock:
                    self.tls_failures += 1
                return
            with self._lock:
                self.tls_handshakes += 1
            tls.settimeout(IDLE_TIMEOUT_S)
            handler_cls = type("Handler", (_Handler,), {"connection_id": conn_id})
            with contextlib.suppress(OSError, ssl.SSLError, _Drop):
                handler_cls(tls, client_address, self._server)
        finally:
            with self._lock:
                self._connections.pop(conn_id, None)
            _close(conn)

    # ------------------------------------------------------------------ requests
    def _handle(self, handler: _Handler, method: str) -> None:
        url = urllib.parse.urlsplit(handler.path)
        path = url.path.rstrip("/") or "/"
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if path.startswith("/_sim"):
            self._answer(handler, *self._control(method, path, body))
            return
        auth_kind, token = _presented_session(handler)
        with self._lock:
            self._tick()
            record = {
                "time": time.time(),
                "sim_time": self.model.now().isoformat(),
                "method": method,
                "path": path,
                "auth": auth_kind,
                "connection": getattr(handler, "connection_id", 0),
            }
            slow = self._faults.active("slow", self._rng, path)
            drop = self._faults.active("drop", self._rng, path)
            blackhole = path == "/api/login/Basic" and self._faults.active(
                "login-blackhole", self._rng, path
            )
            html = self._faults.active("html-error", self._rng, path)
            malformed = self._faults.active("malformed-json", self._rng, path)
        if slow:
            delay_ms = float(slow.get("latency_ms", 1500)) + self._rng.uniform(
                0, float(slow.get("jitter_ms", 0))
            )
            self._stopping.wait(delay_ms / 1000)
        if drop:
            self._record(record, None, "dropped")
            _reset(handler.connection)
            raise _Drop
        if blackhole:
            self._record(record, None, "blackholed")
            self._stopping.wait(float(blackhole.get("seconds", 60)))
            raise _Drop
        if html:
            status = int(html.get("status", 503))
            page = _html_error(status)
            self._record(record, status, "answered")
            self._send(handler, status, page, "text/html; charset=utf-8", [])
            return
        try:
            with self._lock:
                status, payload, headers = self._route(method, path, body, token, handler)
        except _Respond as response:
            status, payload, headers = response.status, response.body, response.headers
        data = _encode(payload)
        if malformed and status == 200 and data:
            data = data[: max(1, len(data) // 2)]
        self._record(record, status, "answered")
        self._send(handler, status, data, "application/json", headers)

    def _record(self, record: dict[str, Any], status: int | None, outcome: str) -> None:
        with self._lock:
            self._log.append(RequestRecord(status=status, outcome=outcome, **record))

    def _answer(self, handler: _Handler, status: int, payload: Json) -> None:
        self._send(handler, status, _encode(payload), "application/json", [])

    @staticmethod
    def _send(handler: _Handler, status: int, data: bytes, content_type: str,
              headers: Headers) -> None:  # fmt: skip
        handler.send_response(status)
        if data or status not in (204,):
            handler.send_header("Content-Type", content_type)
        handler.send_header("Cache-Control", "no-cache, no-store")
        handler.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _session_valid(self, token: str | None) -> bool:
        if token is None or token not in self._sessions:
            return False
        expiry = self._sessions[token]
        if expiry is not None and self.clock.elapsed_s() >= expiry:
            del self._sessions[token]
            return False
        return True

    def _require_session(self, token: str | None) -> None:
        if not self._session_valid(token):
            raise _Respond(401, _responses.error(401, "Authentication required", "Login Error"))

    def _route(self, method: str, path: str, body: bytes, token: str | None,
               handler: _Handler) -> tuple[int, Json, Headers]:  # fmt: skip
        ident, m = self.identity, self.model
        if path == "/api/login/Basic":
            if method != "POST":
                raise _Respond(
                    405, _responses.error(405, "Method Not Allowed", "Method Not Allowed")
                )
            return self._login(body, handler)
        if path == "/api/logout":
            if token is not None:
                self._sessions.pop(token, None)
            return 204, None, []
        if path.startswith("/tedapi"):
            raise _Respond(403, _responses.error(403, "Forbidden", "Forbidden"))
        public = ident.legacy and path not in LEGACY_AUTH
        if path == "/api/status" and not self.config.status_requires_auth:
            public = True
        if path == "/api/config/completed" and ident.legacy:
            public = True
        if not public:
            self._require_session(token)
        if path in STOPPED_502 and not m.running:
            return 502, None, []
        key = (method, path)
        route = self._routes().get(key)
        if route is None and path.startswith("/api/solars/brands/") and method == "GET":
            brand = urllib.parse.unquote(path.removeprefix("/api/solars/brands/"))
            if brand in _responses.SOLAR_BRANDS:
                return 200, _responses.SOLAR_BRANDS[brand], []
            raise _Respond(404, _responses.error(404, "Not Found", f"unknown brand {brand}"))
        if route is None and path.startswith("/api/networks/") and method == "POST":
            return 200, {"network_name": path.split("/")[3], "result": path.split("/")[-1]}, []
        if route is None and path.startswith("/api/meters/") and path.endswith("/verify"):
            return 200, {"serial": path.split("/")[3], "verified": True}, []
        if route is None:
            if any(p == path for (_, p) in self._routes()):
                raise _Respond(
                    405, _responses.error(405, "Method Not Allowed", "Method Not Allowed")
                )
            raise _Respond(404, _responses.error(404, "Not Found", "Not Found"))
        return route(_parse_body(body))

    def _routes(
        self,
    ) -> dict[tuple[str, str], Callable[[dict[str, Any]], tuple[int, Json, Headers]]]:
        ident, m, r = self.identity, self.model, _responses
        legacy = ident.legacy

        def ok(payload: Json) -> Callable[[dict[str, Any]], tuple[int, Json, Headers]]:
            return lambda _body: (200, payload, [])

        routes: dict[tuple[str, str], Callable[[dict[str, Any]], tuple[int, Json, Headers]]]
        routes = {
            ("GET", "/api/meters/aggregates"): lambda _b: (200, r.aggregates(m), []),
            ("GET", "/api/system_status/soe"): lambda _b: (200, r.soe(m), []),
            ("GET", "/api/system_status/grid_status"): lambda _b: (
                200,
                r.grid_status(m, ident),
                [],
            ),
            ("GET", "/api/system_status/grid_faults"): lambda _b: (
                200,
                r.grid_faults(m, ident),
                [],
            ),
            ("GET", "/api/sitemaster"): lambda _b: (200, r.sitemaster(m, ident), []),
            ("GET", "/api/sitemaster/run"): self._sitemaster_run,
            ("GET", "/api/powerwalls"): lambda _b: (200, r.powerwalls(m, ident), []),
            ("GET", "/api/customer/registration"): ok(r.registration(ident)),
            ("GET", "/api/system/update/status"): lambda _b: (200, r.update_status(m, ident), []),
            ("GET", "/api/site_info"): lambda _b: (200, r.site_info(m, ident), []),
            ("GET", "/api/site_info/site_name"): lambda _b: (200, r.site_name(self.identity), []),
            ("POST", "/api/site_info/site_name"): self._set_site_name,
            ("GET", "/api/status"): lambda _b: (
                200,
                r.status(m, ident, self._commission_count),
                [],
            ),
            ("GET", "/api/config/completed"): self._config_completed,
            ("GET", "/api/operation"): lambda _b: (
                200,
                r.operation(m.mode, m.reserve_raw, ident),
                [],
            ),
            ("POST", "/api/operation"): self._set_operation,
            ("GET", "/api/site_info/grid_codes"): ok(r.GRID_CODES),
            ("GET", "/api/solars"): ok(r.SOLARS),
            ("GET", "/api/solars/brands"): ok(sorted(r.SOLAR_BRANDS)),
            ("GET", "/api/generators"): ok({"disconnect_type": "None", "generators": []}),
            ("GET", "/api/generators/disconnect_types"): ok(["DownstreamATS"]),
            ("GET", "/api/customer"): ok(r.CUSTOMER),
            ("GET", "/api/config"): ok({"vin": ident.din}),
            ("GET", "/api/meters"): ok(r.meters_list(ident)),
            ("GET", "/api/meters/readings"): lambda _b: (200, r.meter_readings(m, ident), []),
            ("GET", "/api/installer"): ok(r.INSTALLER),
            ("GET", "/api/installer/companies"): ok(r.INSTALLER_COMPANIES),
            ("GET", "/api/networks"): ok(r.networks(ident)),
            ("POST", "/api/networks"): lambda b: (200, b, []),
            ("POST", "/api/networks/wifi_scan"): ok(r.WIFI_SCAN),
            ("GET", "/api/networks/wifi_security_types"): ok(r.WIFI_SECURITY_TYPES),
            ("GET", "/api/system/networks"): ok(r.SYSTEM_NETWORKS),
            ("POST", "/api/system/networks/conn_tests"): self._conn_tests,
            ("GET", "/api/system/networks/conn_tests"): self._conn_tests,
            ("GET", "/api/system/testing"): ok(r.SYSTEM_TESTING),
            ("POST", "/api/logging"): lambda _b: (204, None, []),
            ("POST", "/api/customer/registration/skip"): ok(r.registration(ident)),
            ("POST", "/api/customer/registration/emailed"): ok(r.registration(ident)),
            ("POST", "/api/customer/registration/legal"): lambda b: (200, b, []),
            ("POST", "/api/sitemaster/run_for_commissioning"): lambda _b: (202, None, []),
        }
        if legacy:
            routes[("GET", "/api/sitemaster/stop")] = self._sitemaster_stop
            routes[("GET", "/api/powerwalls/status")] = lambda _b: (
                409,
                r.error(409, "Sitemaster is current running", "Sitemaster is current running"),
                [],
            )
        else:
            routes |= {
                ("POST", "/api/sitemaster/stop"): self._sitemaster_stop,
                ("GET", "/api/sitemaster/stop"): lambda _b: (
                    405,
                    r.error(405, "Method Not Allowed", "Method Not Allowed"),
                    [],
                ),
                ("GET", "/api/powerwalls/status"): ok(r.POWERWALLS_FLAGS),
                ("GET", "/api/system_status"): lambda _b: (200, r.system_status(m, ident), []),
                ("GET", "/api/meters/site"): lambda _b: (200, r.meters_site(m, ident), []),
                ("GET", "/api/meters/solar"): lambda _b: (200, r.meters_solar(m, ident), []),
                ("GET", "/api/troubleshooting/problems"): ok({"problems": []}),
                ("GET", "/api/auth/toggle/supported"): ok({"toggle_auth_supported": True}),
                ("POST", "/api/v2/islanding/mode"): self._islanding,
            }
        return routes

    # ------------------------------------------------------------------ stateful endpoints
    def _login(self, body: bytes, handler: _Handler) -> tuple[int, Json, Headers]:
        now = self.clock.elapsed_s()
        if now < self._locked_until_s:
            raise _Respond(
                429,
                _responses.error(429, "Api Limit reached for this endpoint", "API Limit Reached"),
            )
        fields = _parse_body(body, handler.headers.get("Content-Type", ""))
        username = str(fields.get("username", ""))
        password = str(fields.get("password", ""))
        if self.identity.legacy:
            expected = "S" + self.config.serial
            good = hmac.compare_digest(password.encode(), expected.encode())
        else:
            if username in ("installer", "engineer"):
                raise _Respond(
                    401,
                    _responses.error(
                        401, "roles [Provider_Engineer] require physical access", "Login Error"
                    ),
                )
            good = username == "customer" and hmac.compare_digest(
                password.encode(), self.config.password.encode()
            )
        if not good:
            self._failed_logins.append(now)
            while self._failed_logins and self._failed_logins[0] < now - self.config.lockout_s:
                self._failed_logins.popleft()
            if len(self._failed_logins) >= self.config.lockout_after:
                self._locked_until_s = now + self.config.lockout_s
                self._failed_logins.clear()
            raise _Respond(401, _responses.error(401, "bad credentials", "Login Error"))
        self._failed_logins.clear()
        token = base64.b64encode(secrets.token_bytes(64)).decode()
        self._sessions[token] = None if self._token_ttl_s is None else now + self._token_ttl_s
        payload = _responses.login_ok(
            token,
            str(fields.get("email", "")) or self.config.email,
            self.model.now(),
            self.identity,
        )
        headers: Headers = []
        if self.identity.legacy:
            # Seed document: on 1.15 getting a token stops the Powerwalls until sitemaster/run.
            self.model.running = False
        else:
            user_record = base64.b64encode(secrets.token_bytes(96)).decode()
            headers.append(("Set-Cookie", f"AuthCookie={token}; Path=/"))
            headers.append(("Set-Cookie", f"UserRecord={user_record}; Path=/"))
        return 200, payload, headers

    def _sitemaster_run(self, _body: dict[str, Any]) -> tuple[int, Json, Headers]:
        self.model.running = True
        return 202, None, []

    def _sitemaster_stop(self, body: dict[str, Any]) -> tuple[int, Json, Headers]:
        reason = _responses.can_reboot(self.model)
        if not self.identity.legacy and reason != "Yes" and not body.get("force"):
            return 412, _responses.error(412, "Cannot stop sitemaster", reason or "stopped"), []
        self.model.running = False
        return 202, None, []

    def _config_completed(self, _body: dict[str, Any]) -> tuple[int, Json, Headers]:
        if self.identity.legacy:
            return 202, None, []
        self._commission_count += 1
        m = self.model
        return 200, _responses.status(m, self.identity, self._commission_count), []

    def _set_operation(self, body: dict[str, Any]) -> tuple[int, Json, Headers]:
        if not self.identity.legacy and not self.config.allow_writes:
            return (
                403,
                _responses.error(
                    403, "Unable to POST to resource", "User does not have adequate access rights"
                ),
                [],
            )
        mode = body.get("real_mode", body.get("mode"))
        reserve = body.get("backup_reserve_percent")
        modes = ("self_consumption", "backup", "autonomous", "scheduler", "site_control")
        if mode is not None and mode not in modes:
            return 400, _responses.error(400, "Invalid mode", f"unknown mode {mode}"), []
        if reserve is not None and reserve is not False:
            if not isinstance(reserve, int | float) or not 0 <= reserve <= 100:
                return 400, _responses.error(400, "Invalid reserve", "reserve must be 0-100"), []
            self.model.reserve_raw = float(reserve)
        if mode is not None:
            self.model.mode = str(mode)
        return 200, _responses.operation(self.model.mode, self.model.reserve_raw, self.identity), []

    def _set_site_name(self, body: dict[str, Any]) -> tuple[int, Json, Headers]:
        name = body.get("site_name")
        if not isinstance(name, str) or not name.strip():
            return 400, _responses.error(400, "Invalid site name", "site_name is required"), []
        self.identity = Identity(**{**asdict(self.identity), "site_name": name.strip()})
        return 200, _responses.site_name(self.identity), []

    def _islanding(self, body: dict[str, Any]) -> tuple[int, Json, Headers]:
        mode = body.get("island_mode")
        if mode == "intentional_reconnect_failsafe":
            self.model.go_off_grid()
        elif mode == "backup":
            self.model.reconnect()
        else:
            return 400, _responses.error(400, "Invalid island mode", f"unknown mode {mode}"), []
        return 200, {"island_mode": mode}, []

    def _conn_tests(self, _body: dict[str, Any]) -> tuple[int, Json, Headers]:
        now = self.model.now()
        started = self._conn_test_started
        if started is None or (now - started).total_seconds() > 60:
            self._conn_test_started = now
            return 200, _responses.conn_test_results(None), []
        if (now - started).total_seconds() < 2:
            return 200, _responses.conn_test_results(None), []
        return 200, _responses.conn_test_results(started + dt.timedelta(seconds=2)), []

    # ------------------------------------------------------------------ control endpoint
    def _control(self, method: str, path: str, body: bytes) -> tuple[int, Json]:
        action = path.removeprefix("/_sim").strip("/")
        try:
            args = json.loads(body) if body else {}
            if not isinstance(args, dict):
                return 400, {"error": "the body must be a JSON object"}
            if method == "GET" and action == "state":
                return 200, self.state()
            if method == "GET" and action == "requests":
                return 200, [asdict(r) for r in self.requests()]
            if method == "DELETE" and action == "requests":
                self.clear_requests()
                return 200, {"ok": True}
            if method != "POST":
                return 405, {"error": f"{method} /_sim/{action} is not supported"}
            commands: dict[str, Callable[[], None]] = {
                "grid/down": self.grid_down,
                "grid/up": self.grid_up,
                "sitemaster/stop": self.stop_sitemaster,
                "sitemaster/run": self.run_sitemaster,
                "rotate-cert": self.rotate_certificate,
                "revoke-tokens": self.revoke_tokens,
                "faults/clear": self.clear_faults,
                "fault": lambda: self.set_fault(str(args.pop("kind", "")), **args),
                "advance": lambda: self.advance(float(args.get("seconds", 0))),
                "lockout": lambda: self.lock_out(float(args.get("seconds", 300))),
                "set": lambda: self.set_state(**args),
                "scenario": lambda: self.add_scenario(str(args.get("name", ""))),
            }
            if action not in commands:
                return 404, {"error": f"unknown control {action!r}", "known": sorted(commands)}
            commands[action]()
            return 200, {"ok": True}
        except (ScenarioError, ValueError, TypeError) as exc:
            return 400, {"error": str(exc)}


# ---------------------------------------------------------------------- helpers
def at_time_of_day(day: dt.datetime, time_of_day: str) -> dt.datetime:
    """``day`` at ``"HH:MM"`` local time (a scenario's start time)."""
    hour, _, minute = time_of_day.partition(":")
    try:
        return day.replace(hour=int(hour), minute=int(minute or 0), second=0, microsecond=0)
    except ValueError as exc:
        raise ScenarioError(f"start time {time_of_day!r} should look like HH:MM") from exc


def app_to_raw(app_percent: float) -> float:
    """The simulator's own conversion (kept apart from the client's on purpose)."""
    return 5.0 + 0.95 * app_percent


def raw_to_app(raw_percent: float) -> float:
    return max(0.0, (raw_percent - 5.0) / 0.95)


def _presented_session(handler: _Handler) -> tuple[str | None, str | None]:
    authorization = handler.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        return "bearer", authorization.removeprefix("Bearer ").strip()
    for cookie_header in handler.headers.get_all("Cookie") or []:
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "AuthCookie":
                # Go's net/http, which gateways run, accepts a double-quoted cookie value.
                return "cookie", value.strip('"')
    return None, None


def _parse_body(body: bytes, content_type: str = "application/json") -> dict[str, Any]:
    if not body:
        return {}
    if "application/x-www-form-urlencoded" in content_type and not body.lstrip().startswith(b"{"):
        return dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    try:
        value = json.loads(body)
    except ValueError:
        try:
            return dict(
                urllib.parse.parse_qsl(body.decode("utf-8", "replace"), strict_parsing=True)
            )
        except ValueError:
            raise _Respond(400, _responses.error(400, "Bad Request", "invalid body")) from None
    return value if isinstance(value, dict) else {}


def _encode(payload: Json | bytes | None) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, separators=(",", ":")).encode()


def _html_error(status: int) -> bytes:
    reason = http.HTTPStatus(status).phrase
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()


def _reset(conn: socket.socket) -> None:
    """Close with a TCP reset, as a crashing gateway does."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _close(conn)


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


def _close(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.close()


__all__ = ["RequestRecord", "Simulator", "SimulatorConfig"]
