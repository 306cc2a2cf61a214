"""A hostile gateway: real HTTPS on loopback, pinned like a gateway, misbehaving where a test says.

By default it answers like a current-firmware gateway (login with token and cookies, reads that
need the session, replies from the real captures in ../shared/gateway-samples). A test replaces
the answer to any path with a *behaviour* (below): deep JSON, a reply that drips in, bodies that
are huge, endless or a gzip bomb, clashing cookies, odd ``Retry-After``, a 403 on one endpoint,
oversized headers, absurd values, a connection cut mid-reply, a redirect. ``tls_version`` makes
it speak only an old TLS version.

It records what it saw (``requests``), TLS handshakes that failed, and how each long reply ended
(``endings``: did the client hang up, after how many bytes) — so tests assert on the gateway's
side too, not only on what the client says.

Only loopback: it binds 127.0.0.1 and nothing else.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import secrets
import socket
import ssl
import struct
import tempfile
import threading
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pwtray.simulator import _certs
from tests.conftest import PASSWORD, sample

LOGIN = "/api/login/Basic"
READS = {
    "/api/meters/aggregates": "meters_aggregates.json",
    "/api/system_status/soe": "system_status_soe.json",
    "/api/system_status/grid_status": "system_status_grid_status.json",
    "/api/operation": "operation.json",
    "/api/system_status": "system_status_multi_battery.json",
    "/api/sitemaster": "sitemaster.json",
    "/api/powerwalls": "powerwalls.json",
}
OPEN = {"/api/status": "status.json"}  # answered without a session, as current firmware does
MIB = 1024 * 1024


class Hangup(Exception):
    """Raised inside a behaviour when the client closed the connection under it."""


class _Close(Exception):
    """A behaviour ends the connection on purpose."""


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    connection: int
    cookie: str
    authorization: str
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Ending:
    """How one long reply ended: sent in full, or the client hung up after ``sent_bytes``."""

    path: str
    sent_bytes: int
    client_hung_up: bool


class Exchange:
    """One request, and the connection to answer it on."""

    def __init__(
        self, server: HostileGateway, sock: ssl.SSLSocket, seen: Seen, headers: dict[str, str]
    ) -> None:
        self.server = server
        self.seen = seen
        self.headers = headers
        self._sock = sock
        self.sent_bytes = 0

    @property
    def path(self) -> str:
        return self.seen.path

    @property
    def logged_in(self) -> bool:
        return self.server.session_valid(self.seen.cookie)

    def send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except (OSError, ssl.SSLError) as exc:
            raise Hangup from exc
        self.sent_bytes += len(data)

    def reply(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: list[tuple[str, str]] | None = None,
        reason: str = "OK",
    ) -> None:
        head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers or []]
        self.send(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    def json(
        self,
        payload: Any,
        status: int = 200,
        headers: list[tuple[str, str]] | None = None,
        reason: str = "OK",
    ) -> None:
        extra = [("Content-Type", "application/json"), *(headers or [])]
        self.reply(status, json.dumps(payload).encode(), extra, reason)

    def wait(self, seconds: float) -> None:
        """Pause (the server's stop cuts it short)."""
        if self.server.stopping.wait(seconds):
            raise _Close

    def close(self) -> None:
        raise _Close

    def stream(self, chunks: Iterator[bytes]) -> None:
        """Send until the chunks run out or the client hangs up; record which."""
        try:
            for chunk in chunks:
                if self.server.stopping.is_set():
                    raise _Close
                self.send(chunk)
        except Hangup:
            self.server.endings.append(Ending(self.path, self.sent_bytes, True))
            raise
        self.server.endings.append(Ending(self.path, self.sent_bytes, False))


Behaviour = Callable[[Exchange], None]


class HostileGateway:
    """Start with ``with HostileGateway() as gw:``; ``gw.on(path, behaviour)`` sets a fault."""

    def __init__(
        self, *, tls_version: ssl.TLSVersion | None = None, cert_dir: Path | None = None
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="pwtray-hostile-")
        folder = cert_dir or Path(self._tmp.name)
        cert, key = _certs.ensure(folder)
        self.fingerprint = _certs.fingerprint(cert)
        self._context = _server_context(cert, key, tls_version)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.address = f"127.0.0.1:{self.port}"
        self.stopping = threading.Event()
        self.routes: dict[str, Behaviour] = {}
        self.requests: list[Seen] = []
        self.endings: list[Ending] = []
        self.tls_failures = 0
        self._tokens: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._connections = 0

    # ------------------------------------------------------------------ set-up
    def on(self, path: str, behaviour: Behaviour) -> HostileGateway:
        self.routes[path] = behaviour
        return self

    def session_valid(self, cookie: str) -> bool:
        with self._lock:
            return any(f"AuthCookie={token}" in cookie for token in self._tokens)

    def revoke_sessions(self) -> None:
        with self._lock:
            self._tokens.clear()

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens.add(token)
        return token

    def logins(self) -> int:
        return sum(1 for r in self.requests if r.path == LOGIN)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    # ------------------------------------------------------------------ life cycle
    def __enter__(self) -> HostileGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> HostileGateway:
        self._listener.settimeout(0.2)
        thread = threading.Thread(target=self._accept, name="pwtray-hostile", daemon=True)
        self._threads.append(thread)
        thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(timeout=10)
        self._listener.close()
        self._tmp.cleanup()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections += 1
                number = self._connections
                self._sockets.add(raw)
            thread = threading.Thread(
                target=self._serve, args=(raw, number), name="pwtray-hostile-conn", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _serve(self, raw: socket.socket, number: int) -> None:
        try:
            raw.settimeout(10)
            try:
                tls = self._context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                with self._lock:
                    self.tls_failures += 1
                return
            with self._lock:  # wrap_socket took the descriptor over from ``raw``
                self._sockets.discard(raw)
                self._sockets.add(tls)
            with tls:
                self._requests_on(tls, number)
            with self._lock:
                self._sockets.discard(tls)
        finally:
            with self._lock:
                self._sockets.discard(raw)
            raw.close()

    def _requests_on(self, tls: ssl.SSLSocket, number: int) -> None:
        tls.settimeout(0.2)
        buffer = b""
        while not self.stopping.is_set():
            try:
                request, buffer = _read_request(tls, buffer, self.stopping)
            except (OSError, ssl.SSLError, ValueError):
                return
            if request is None:
                return
            method, path, headers, body = request
            seen = Seen(
                method,
                path,
                number,
                headers.get("cookie", ""),
                headers.get("authorization", ""),
                body,
            )
            with self._lock:
                self.requests.append(seen)
            behaviour = self.routes.get(path, gateway)
            tls.settimeout(10)
            try:
                behaviour(Exchange(self, tls, seen, headers))
            except (_Close, Hangup):
                return
            tls.settimeout(0.2)


def _server_context(cert: Path, key: Path, version: ssl.TLSVersion | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if version is not None:
        with warnings.catch_warnings():  # old versions are the point: no DeprecationWarning
            warnings.simplefilter("ignore", DeprecationWarning)
            context.set_ciphers("ALL:@SECLEVEL=0")
            context.minimum_version = version
            context.maximum_version = version
    return context


def _read_request(
    tls: ssl.SSLSocket, buffer: bytes, stopping: threading.Event
) -> tuple[tuple[str, str, dict[str, str], bytes] | None, bytes]:
    while b"\r\n\r\n" not in buffer:
        if len(buffer) > 65536:
            raise ValueError("request head too large")
        try:
            data = tls.recv(65536)
        except TimeoutError:
            if stopping.is_set():
                return None, b""
            continue
        if not data:
            return None, b""
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        data = tls.recv(65536)
        if not data:
            return None, b""
        rest += data
    return (method, path.split("?")[0], headers, rest[:length]), rest[length:]


# ---------------------------------------------------------------------- the normal gateway
def gateway(exchange: Exchange) -> None:
    """What a current-firmware gateway answers (reads need the session)."""
    path = exchange.path
    if path == LOGIN:
        login(exchange)
    elif path == "/api/logout":
        exchange.reply(204)
    elif path in OPEN:
        exchange.json(sample(OPEN[path]))
    elif path in READS:
        if not exchange.logged_in:
            exchange.json(
                {"code": 401, "error": "bad token", "message": "Login Error"},
                401,
                reason="Unauthorized",
            )
        else:
            exchange.json(sample(READS[path]))
    else:
        exchange.json({"code": 404, "error": "not found", "message": path}, 404, reason="Not Found")


def login(
    exchange: Exchange, *, user_records: tuple[tuple[str, str], ...] = (("ur", "/"),)
) -> None:
    """The current-firmware login: the token in JSON and as AuthCookie, plus UserRecord(s)."""
    body = json.loads(exchange.seen.body or b"{}")
    if body.get("password") != PASSWORD or body.get("username") != "customer":
        exchange.json(
            {"code": 401, "error": "bad credentials", "message": "Login Error"},
            401,
            reason="Unauthorized",
        )
        return
    token = exchange.server.issue_token()
    cookies = [("Set-Cookie", f"AuthCookie={token}; Path=/")]
    cookies += [("Set-Cookie", f"UserRecord={value}; Path={path}") for value, path in user_records]
    exchange.json(
        {
            "email": "",
            "firstname": "Tesla",
            "lastname": "Energy",
            "roles": ["Home_Owner"],
            "token": token,
            "provider": "Basic",
            "loginTime": "2026-06-15T03:00:00.0-07:00",
        },
        headers=cookies,
    )


# ---------------------------------------------------------------------- behaviours
def deep_json(depth: int = 100_000) -> Behaviour:
    """An array nested ``depth`` levels (valid JSON)."""
    body = b"[" * depth + b"]" * depth

    def behave(exchange: Exchange) -> None:
        exchange.reply(200, body, [("Content-Type", "application/json")])

    return behave


def drip(body: bytes | None = None, *, bytes_per_s: float = 1.0) -> Behaviour:
    """A complete, honest reply — sent one byte at a time (``Content-Length`` announced)."""

    def behave(exchange: Exchange) -> None:
        payload = (
            body if body is not None else json.dumps(sample("system_status_soe.json")).encode()
        )
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(payload)}\r\n\r\n"

        def trickle() -> Iterator[bytes]:
            for byte in head.encode() + payload:
                yield bytes([byte])
                exchange.wait(1 / bytes_per_s)

        exchange.stream(trickle())

    return behave


def _zeros(total: int | None) -> Iterator[bytes]:
    chunk = bytes(64 * 1024)
    sent = 0
    while total is None or sent < total:
        yield chunk
        sent += len(chunk)


def huge_declared(size: int = 1 << 30) -> Behaviour:
    """``Content-Length: 1 GiB`` and a body of that size (as long as the client reads)."""

    def behave(exchange: Exchange) -> None:
        exchange.send(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n".encode()
        )
        exchange.stream(_zeros(size))

    return behave


def until_close(size: int = 1 << 30) -> Behaviour:
    """No length at all: the body ends when the connection does (1 GiB of it)."""

    def behave(exchange: Exchange) -> None:
        exchange.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        )
        exchange.stream(_zeros(size))
        exchange.close()

    return behave


def endless_chunked() -> Behaviour:
    """``Transfer-Encoding: chunked`` and chunks that never stop."""

    def behave(exchange: Exchange) -> None:
        exchange.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = bytes(64 * 1024)
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        exchange.stream(iter(lambda: framed, None))

    return behave


@functools.cache
def gzip_bomb_body(unpacked: int = 1 << 30) -> bytes:
    """A valid gzip member of ``unpacked`` zero bytes (1 GiB → ~1 MB), built block by block."""
    block_size = 1 << 20
    assert unpacked % block_size == 0
    zeros = bytes(block_size)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)  # the same every time
    crc = 0
    for _ in range(unpacked // block_size):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, unpacked & 0xFFFFFFFF)
    return header + block * (unpacked // block_size) + deflate.flush() + trailer


def gzip_bomb(unpacked: int = 1 << 30) -> Behaviour:
    """``Content-Encoding: gzip`` (unasked for) over a small body that unpacks to 1 GiB."""

    def behave(exchange: Exchange) -> None:
        exchange.reply(
            200,
            gzip_bomb_body(unpacked),
            [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
        )

    return behave


def gzipped(payload: Any) -> Behaviour:
    """An honest reply, compressed although nobody asked for it."""

    def behave(exchange: Exchange) -> None:
        body = gzip.compress(json.dumps(payload).encode())
        exchange.reply(
            200, body, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
        )

    return behave


def cookie_conflict(*records: tuple[str, str]) -> Behaviour:
    """A login reply with several ``UserRecord`` cookies of different Path."""
    chosen = records or (("record-for-root", "/"), ("record-for-api", "/api"))

    def behave(exchange: Exchange) -> None:
        login(exchange, user_records=chosen)

    return behave


def refuse(
    status: int,
    headers: list[tuple[str, str]] | None = None,
    *,
    error: str = "Api Limit reached for this endpoint",
    message: str = "API Limit Reached",
) -> Behaviour:
    """An error reply with the gateway's JSON body (429 with ``Retry-After``, 403, …)."""

    def behave(exchange: Exchange) -> None:
        exchange.json(
            {"code": status, "error": error, "message": message},
            status,
            headers=headers,
            reason="Refused",
        )

    return behave


def forbidden_for_everyone() -> Behaviour:
    """403 to every session on this path (the session itself is fine elsewhere)."""
    return refuse(
        403, error="Unable to GET resource", message="User does not have adequate access rights"
    )


def oversized_headers(size: int = 100 * 1024) -> Behaviour:
    """A reply whose headers alone are ``size`` bytes."""

    def behave(exchange: Exchange) -> None:
        filler = [(f"X-Filler-{i}", "x" * 1000) for i in range(size // 1000)]
        exchange.json(sample("system_status_soe.json"), headers=filler)

    return behave


def absurd(name: str, change: Callable[[Any], None]) -> Behaviour:
    """A real capture with one value changed by ``change`` (to 1e20 W, say)."""

    def behave(exchange: Exchange) -> None:
        if not exchange.logged_in:
            gateway(exchange)
            return
        payload = sample(name)
        change(payload)
        exchange.json(payload)

    return behave


def cut_mid_reply(after: bytes = b'{"token": "ab') -> Behaviour:
    """Headers promising 200 bytes, the first few, then the connection closes."""

    def behave(exchange: Exchange) -> None:
        exchange.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200\r\n\r\n" + after
        )
        exchange.wait(0.05)
        exchange.close()

    return behave


def redirect(location: str) -> Behaviour:
    def behave(exchange: Exchange) -> None:
        exchange.reply(302, b"", [("Location", location)], reason="Found")

    return behave
