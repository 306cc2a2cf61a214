"""The wire: TLS with the gateway's SNI rules, HTTP/1.1 keep-alive, one thread per connection.

One thread accepts; each connection gets a thread that does the TLS handshake and then serves
requests, each handed to the ``handle`` callback as an :class:`Exchange`. The transport knows
nothing about the API: it reads requests, writes answers, counts handshakes, rotates the
certificate and closes everything on stop. Imports nothing else from pwtray.
"""

from __future__ import annotations

import contextlib
import email.utils
import http
import http.server
import socket
import ssl
import struct
import tempfile
import threading
import urllib.parse
from collections.abc import Callable
from email.message import Message
from pathlib import Path
from typing import Any, NoReturn

from . import _certs
from ._config import Headers, SimulatorConfig

ALLOWED_SNI = frozenset({"teg", "powerwall", "powerpack"})
IDLE_TIMEOUT_S = 30.0
HANDSHAKE_TIMEOUT_S = 10.0
MAX_BODY_BYTES = 1 << 20


class Dropped(Exception):
    """The exchange ended without an answer (a reset or a blackholed request)."""


class Exchange:
    """One request and the means to answer it once."""

    def __init__(self, handler: _Handler, method: str, body: bytes) -> None:
        url = urllib.parse.urlsplit(handler.path)
        self._handler = handler
        self.method = method
        self.path = url.path.rstrip("/") or "/"
        self.headers: Message = handler.headers
        self.body = body
        self.connection_id: int = getattr(handler, "connection_id", 0)
        self.secure = handler.server.secure  # False on the plain-HTTP listener

    def send(self, status: int, data: bytes, content_type: str, headers: Headers) -> None:
        """Answer with the headers a gateway reply carries, then ``headers``. An empty answer
        (a 502 while stopped, a 204) has no type (21.39.1 captures)."""
        handler = self._handler
        handler.send_response(status)
        if data:
            handler.send_header("Content-Type", content_type)
        handler.send_header("Cache-Control", "no-cache, no-store")
        if data:
            handler.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def send_recorded(self, status: int, headers: Headers, data: bytes) -> None:
        """Answer with exactly the headers a capture recorded (a length added if it had none)."""
        handler = self._handler
        handler.log_request(status)
        handler.send_response_only(status)
        for name, value in headers:
            handler.send_header(name, value)
        if not any(name.lower() == "content-length" for name, _ in headers):
            handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def reset(self) -> NoReturn:
        """Close with a TCP reset, as a crashing gateway does."""
        connection = self._handler.connection
        with contextlib.suppress(OSError):
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        _close(connection)
        raise Dropped

    def abandon(self) -> NoReturn:
        """Never answer; the connection closes."""
        raise Dropped


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S
    # Buffered: headers and body leave in one write after each request (the stdlib flushes),
    # so a client never waits on a delayed ACK between two small segments.
    wbufsize = 64 * 1024
    server: _Server

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        # The gateway's clock is the simulated one: a frozen simulator sends the same Date.
        when = self.server.transport.now()
        self.send_header("Date", email.utils.formatdate(when, usegmt=True))

    def log_message(self, format: str, *args: Any) -> None:
        return  # the request log is the record; stderr stays quiet

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.send_error(http.HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        body = self.rfile.read(length) if length else b""
        self.server.transport.handle(Exchange(self, method, body))

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")


class _Server(http.server.HTTPServer):
    """Accepts TCP; each connection's handshake and requests run in a thread of their own."""

    daemon_threads = True

    def __init__(self, transport: Transport, address: tuple[str, int], *, secure: bool) -> None:
        self.transport = transport
        self.secure = secure
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.transport.serve_connection,
            args=(request, client_address, self),
            name="pwtray-sim-conn",
            daemon=True,
        )
        self.transport.track(thread)
        thread.start()


class Transport:
    """The listening socket, its connections and the certificate they present."""

    def __init__(
        self,
        config: SimulatorConfig,
        handle: Callable[[Exchange], None],
        now: Callable[[], float],
        on_connect: Callable[[], None],
        stopping: threading.Event,
    ) -> None:
        self.config = config
        self.handle = handle
        self.now = now  # the simulated time, as a POSIX timestamp, for the Date header
        self._on_connect = on_connect  # runs before each handshake (a due rotation applies)
        self.stopping = stopping  # set on stop: whatever waits on it (a slow answer) ends
        self._lock = threading.Lock()
        self._connections: dict[int, socket.socket] = {}
        self._threads: set[threading.Thread] = set()
        self._next_connection = 0
        self.tls_handshakes = 0
        self.tls_failures = 0
        self.fingerprint = ""
        self._context: ssl.SSLContext | None = None
        self._own_cert_dir: tempfile.TemporaryDirectory[str] | None = None
        self._cert_dir: Path | None = None
        self._servers: list[_Server] = []
        self._serve_threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        cert_dir = self.config.cert_dir
        if cert_dir is None:
            self._own_cert_dir = tempfile.TemporaryDirectory(prefix="pwtray-sim-")
            cert_dir = Path(self._own_cert_dir.name)
        self._cert_dir = cert_dir
        self._load_certificate(rotate=False)
        host = self.config.host
        self._servers = [_Server(self, (host, self.config.port), secure=True)]
        if self.config.plain_http:
            try:
                self._servers.append(_Server(self, (host, self.config.http_port), secure=False))
            except OSError:
                self._servers.pop().server_close()
                raise
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="pwtray-sim",
                daemon=True,
            )
            self._serve_threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """Stop accepting, close every connection, and wait for every thread."""
        self.stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self.close_connections()
        for thread in [*self._threads, *self._serve_threads]:
            thread.join(timeout=5)
        if self._own_cert_dir is not None:
            self._own_cert_dir.cleanup()
            self._own_cert_dir = None
        self._servers = []
        self._serve_threads = []

    @property
    def port(self) -> int:
        """The HTTPS port."""
        if not self._servers:
            raise RuntimeError("the simulator is not running")
        return int(self._servers[0].server_address[1])

    @property
    def http_port(self) -> int:
        """The plain-HTTP port (``SimulatorConfig.plain_http``)."""
        if len(self._servers) < 2:
            raise RuntimeError("the simulator has no plain-HTTP listener (plain_http=False)")
        return int(self._servers[1].server_address[1])

    @property
    def cert_path(self) -> Path:
        if self._cert_dir is None:
            raise RuntimeError("the simulator has not been started")
        return self._cert_dir / _certs.CERT_FILE

    def rotate_certificate(self) -> None:
        """A new certificate, as after a gateway replacement; open connections are closed."""
        self._load_certificate(rotate=True)
        self.close_connections()

    def close_connections(self) -> None:
        with self._lock:
            connections = list(self._connections.values())
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    # ------------------------------------------------------------------ connections
    def track(self, thread: threading.Thread) -> None:
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(thread)

    def serve_connection(self, raw: socket.socket, client_address: Any, server: _Server) -> None:
        self._on_connect()
        with self._lock:
            context = self._context or ssl.create_default_context()
            self._next_connection += 1
            conn_id = self._next_connection
        conn: socket.socket = raw
        try:
            raw.settimeout(HANDSHAKE_TIMEOUT_S)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if not server.secure:
                with self._lock:
                    self._connections[conn_id] = raw
                self._serve_requests(raw, client_address, server, conn_id)
                return
            tls = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
            conn = tls  # wrap_socket detached ``raw``; from here on ``tls`` owns the socket
            with self._lock:
                self._connections[conn_id] = tls
            if self.stopping.is_set():
                return
            try:
                tls.do_handshake()
            except (OSError, ssl.SSLError):
                with self._lock:
                    self.tls_failures += 1
                return
            with self._lock:
                self.tls_handshakes += 1
            self._serve_requests(tls, client_address, server, conn_id)
        finally:
            with self._lock:
                self._connections.pop(conn_id, None)
            _close(conn)

    def _serve_requests(
        self, conn: socket.socket, client_address: Any, server: _Server, conn_id: int
    ) -> None:
        conn.settimeout(IDLE_TIMEOUT_S)
        handler_cls = type("Handler", (_Handler,), {"connection_id": conn_id})
        with contextlib.suppress(OSError, ssl.SSLError, Dropped):
            handler_cls(conn, client_address, server)

    # ------------------------------------------------------------------ TLS
    def _load_certificate(self, *, rotate: bool) -> None:
        assert self._cert_dir is not None  # noqa: S101 - start() sets it before any TLS
        cert_path, key_path = _certs.ensure(self._cert_dir, rotate=rotate)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_path, key_path)
        context.set_alpn_protocols(["http/1.1"])
        if self.config.check_sni:
            context.sni_callback = self._check_sni
        with self._lock:
            self._context = context
            self.fingerprint = _certs.fingerprint(cert_path)

    def _check_sni(
        self, sslobj: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext
    ) -> int | None:
        # Real gateways abort the handshake for names other than their IP and a few fixed ones.
        if name is None or name in ALLOWED_SNI or name == self.config.host:
            return None
        return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME


def html_error_page(status: int) -> bytes:
    """The web page a proxy or a crashing web server answers with instead of JSON."""
    reason = http.HTTPStatus(status).phrase
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()


def _close(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.close()
