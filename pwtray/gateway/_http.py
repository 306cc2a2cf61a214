"""HTTP/1.1 to one gateway: a small keep-alive pool on asyncio's own TLS, bounded in time and size.

Every request has one deadline for all of it — waiting for a connection, connecting, the reply's
headers and its body — so a reply that trickles in a byte at a time ends at the deadline like one
that never comes. Every reply is capped while it streams in (headers and body alike) and again
after decompression, so neither an endless body nor a gzip bomb can take memory the cap does not
allow. Anything that is not well-formed HTTP/1.1 ends the request with a typed error.

Why not httpx here: a poll cycle is three small GETs to one host over one keep-alive pool, and
httpx → httpcore → anyio → h11 spent ~7 ms of CPU on that, five times the reading itself (see
benchmarks/poll_cycle.py). This module does the part the gateway needs — GET/POST, replies framed
by Content-Length, chunks or the connection's end, gzip/deflate when the gateway compresses
unasked, keep-alive reuse, at most N connections — in one protocol object per connection.
TLS is asyncio's, with the pinned context of :mod:`pwtray.gateway._tls`: the fingerprint is
compared inside the handshake, so a changed certificate gets no request at all.

``pwtray.gateway._httpx`` carries the same contract over an injected ``httpx.AsyncClient``,
imported only by a caller that hands one in (httpx costs 0.1 s to import).

The errors here are this module's own (:class:`HttpError`); ``_client`` turns them into
``GatewayError``\\ s that name the gateway and the endpoint. No Qt, nothing from ``monitor``.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pwtray.gateway._address import url_host

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Limits:
    """How much of a reply pwtray reads before it gives up on it.

    ``reply_bytes``: 2 MiB, for the body on the wire and again after decompression. The largest
    reply any captured gateway sent is 595 KB (``/api/installer/companies``, firmware 21.39;
    ``/api/site_info/grid_regions`` is 193 KB); the largest pwtray reads is ``/api/powerwalls``
    at ~7 KB. 2 MiB is more than three times the first and ~290 times the second, and small
    enough that a whole reply decoded stays far below the memory a desktop app may take.
    ``head_bytes``: 32 KiB of status line and headers (captured heads are under 1 KiB with the
    session cookies), in at most ``header_lines`` lines. ``json_depth``: 32 levels of nesting
    (the deepest capture, ``/api/powerwalls``, has 7).
    """

    reply_bytes: int = 2 * MIB
    head_bytes: int = 32 * KIB
    header_lines: int = 100
    json_depth: int = 32


@dataclass(frozen=True, slots=True)
class Target:
    """Where a request goes: the resolved address, and the SNI name for a named gateway."""

    ip: str
    port: int
    sni: str | None = None

    @property
    def host_header(self) -> str:
        host = url_host(self.ip)
        return host if self.port == 443 else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names; a repeated header's values joined by ", "
    set_cookies: tuple[str, ...] = ()
    body: bytes = b""
    peer_certificate: bytes | None = field(default=None, repr=False)  # DER, when known


class Transport(Protocol):
    """What :class:`~pwtray.gateway.GatewayClient` needs from HTTP (inject one in tests)."""

    async def request(
        self,
        method: str,
        target: Target,
        path: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        *,
        deadline: float,
        connect_s: float,
        reply_s: float,
    ) -> Reply:
        """Send one request and read its reply. ``connect_s`` bounds opening a connection,
        ``reply_s`` the whole reply once the request is on its way (headers and body), and
        ``deadline`` (on the running loop's clock, ``loop.time()``) all of it."""
        ...

    async def aclose(self) -> None: ...


# ---------------------------------------------------------------------- errors
class HttpError(Exception):
    """Base of this module's errors; ``_client`` translates them into ``GatewayError``\\ s."""


class ConnectFailedError(HttpError):
    """No connection: refused, unreachable, or the TLS handshake failed (``cause`` says why)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"cannot connect: {cause!r}")
        self.cause = cause


class TimedOutError(HttpError):
    """The deadline passed. ``phase``: "connect", "reply" (nothing came back) or "body"."""

    def __init__(self, phase: str, received_bytes: int) -> None:
        super().__init__(f"timed out ({phase}, {received_bytes} bytes received)")
        self.phase = phase
        self.received_bytes = received_bytes


class ConnectionCutError(HttpError):
    """The connection ended before the reply was complete."""

    def __init__(self, received_bytes: int) -> None:
        super().__init__(f"connection cut after {received_bytes} bytes of the reply")
        self.received_bytes = received_bytes


class TooLargeError(HttpError):
    """A part of the reply (``"headers"``, ``"body"``, ``"decompressed body"``) was over the cap."""

    def __init__(self, part: str, limit_bytes: int) -> None:
        super().__init__(f"{part} over {limit_bytes} bytes")
        self.part = part
        self.limit_bytes = limit_bytes


class MalformedReplyError(HttpError):
    """Not HTTP/1.x as the standard frames it (``problem`` says what, for a person)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


# ---------------------------------------------------------------------- the reply parser
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _UNTIL_CLOSE, _DONE = range(8)
_CHUNK_LINE_BYTES = 1024
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # in a header value: all but TAB
_CODINGS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


class ReplyParser:
    """Turns the bytes of one HTTP/1.x reply into a :class:`Reply`, within :class:`Limits`."""

    __slots__ = (
        "_body",
        "_buffer",
        "_cap",
        "_chunk_left",
        "_head_request",
        "_headers",
        "_limits",
        "_scan_from",
        "_set_cookies",
        "_state",
        "_status",
        "_trailer_bytes",
        "keep_alive",
        "received_bytes",
    )

    def __init__(self, limits: Limits, *, head_request: bool = False) -> None:
        self._limits = limits
        self._cap = limits.reply_bytes
        self._head_request = head_request
        self._buffer = bytearray()
        self._body = bytearray()
        self._state = _HEAD
        self._scan_from = 0
        self._status = 0
        self._headers: dict[str, str] = {}
        self._set_cookies: list[str] = []
        self._chunk_left = 0
        self._trailer_bytes = 0
        self.keep_alive = False
        self.received_bytes = 0

    @property
    def phase(self) -> str:
        if self.received_bytes == 0:
            return "reply"
        return "headers" if self._state == _HEAD else "body"

    def feed(self, data: bytes) -> Reply | None:
        """Take more bytes; the reply once it is complete, else ``None``."""
        self.received_bytes += len(data)
        if self._state == _DONE:
            self.keep_alive = False  # bytes after the reply: the connection is out of step
            return None
        self._buffer += data
        return self._advance()

    def feed_eof(self) -> Reply:
        """The connection ended: the reply if that is how its body ends, else an error."""
        if self._state == _UNTIL_CLOSE:
            return self._finish(bytes(self._buffer))
        raise ConnectionCutError(self.received_bytes)

    def _advance(self) -> Reply | None:
        buffer = self._buffer
        while True:
            state = self._state
            if state == _HEAD:
                end = buffer.find(b"\r\n\r\n", self._scan_from)
                if end < 0:
                    if len(buffer) > self._limits.head_bytes:
                        raise TooLargeError("headers", self._limits.head_bytes)
                    self._scan_from = max(0, len(buffer) - 3)
                    return None
                if end + 4 > self._limits.head_bytes:
                    raise TooLargeError("headers", self._limits.head_bytes)
                head = bytes(buffer[:end])
                del buffer[: end + 4]
                self._scan_from = 0
                self._read_head(head)
                if self._state == _DONE:
                    return self._finish(b"")
            elif state == _LENGTH:
                size = self._chunk_left
                if len(buffer) < size:
                    return None
                body = bytes(buffer[:size])
                del buffer[:size]
                if buffer:
                    self.keep_alive = False  # more than the reply: the connection is out of step
                return self._finish(body)
            elif state == _CHUNK_SIZE:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > _CHUNK_LINE_BYTES:
                        raise MalformedReplyError("a chunk-size line is too long")
                    return None
                size_text = bytes(buffer[:end]).split(b";", 1)[0].strip()
                del buffer[: end + 2]
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise MalformedReplyError("a chunk size is not a hexadecimal number") from None
                if size < 0 or len(size_text) > 16:
                    raise MalformedReplyError("a chunk size is not a hexadecimal number")
                if size == 0:
                    self._state = _TRAILERS
                elif len(self._body) + size > self._cap:
                    raise TooLargeError("body", self._cap)
                else:
                    self._chunk_left = size
                    self._state = _CHUNK_DATA
            elif state == _CHUNK_DATA:
                if not buffer:
                    return None
                take = min(self._chunk_left, len(buffer))
                self._body += buffer[:take]
                del buffer[:take]
                self._chunk_left -= take
                if self._chunk_left:
                    return None
                self._state = _CHUNK_END
            elif state == _CHUNK_END:
                if len(buffer) < 2:
                    return None
                if buffer[:2] != b"\r\n":
                    raise MalformedReplyError("a chunk does not end where its size says")
                del buffer[:2]
                self._state = _CHUNK_SIZE
            elif state == _TRAILERS:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if self._trailer_bytes + len(buffer) > self._limits.head_bytes:
                        raise TooLargeError("headers", self._limits.head_bytes)
                    return None
                self._trailer_bytes += end + 2
                if self._trailer_bytes > self._limits.head_bytes:
                    raise TooLargeError("headers", self._limits.head_bytes)
                del buffer[: end + 2]
                if end == 0:
                    if buffer:
                        self.keep_alive = False
                    return self._finish(bytes(self._body))
            elif state == _UNTIL_CLOSE:
                if len(buffer) > self._cap:
                    raise TooLargeError("body", self._cap)
                return None

    def _read_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        if len(lines) > self._limits.header_lines + 1:
            raise TooLargeError("headers", self._limits.head_bytes)
        version, _, rest = lines[0].partition(b" ")
        code = rest[:3]
        if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
            raise MalformedReplyError("the reply does not start with an HTTP/1.x status line")
        status = int(code)
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip() or b" " in name:
                raise MalformedReplyError("a reply header is not “name: value”")
            if _CONTROL.search(value):
                raise MalformedReplyError("a reply header holds control characters")
            key = name.decode("latin-1").lower()
            text = value.strip(b" \t").decode("latin-1")
            if key == "set-cookie":
                cookies.append(text)
            elif key in headers:
                headers[key] += ", " + text
            else:
                headers[key] = text
        if 100 <= status < 200:  # an interim reply (100 Continue…): the real one follows
            self._state = _HEAD
            return
        self._status, self._headers, self._set_cookies = status, headers, cookies
        self.keep_alive = (
            version == b"HTTP/1.1" and "close" not in headers.get("connection", "").lower()
        )
        transfer = headers.get("transfer-encoding")
        length = headers.get("content-length")
        if self._head_request or status in (204, 304):
            self._state = _DONE
        elif transfer is not None:
            if transfer.lower().rsplit(",", 1)[-1].strip() == "chunked":
                self._state = _CHUNK_SIZE
            else:
                self._state, self.keep_alive = _UNTIL_CLOSE, False
        elif length is not None:
            values = {v.strip() for v in length.split(",")}
            text = values.pop() if len(values) == 1 else ""
            if not text.isdigit() or len(text) > 18:
                raise MalformedReplyError("the reply's Content-Length is not a number")
            if int(text) > self._cap:
                raise TooLargeError("body", self._cap)
            self._chunk_left = int(text)
            self._state = _LENGTH
        else:
            self._state, self.keep_alive = _UNTIL_CLOSE, False

    def _finish(self, body: bytes) -> Reply:
        self._state = _DONE
        return Reply(
            self._status,
            self._headers,
            tuple(self._set_cookies),
            decompress(body, self._headers.get("content-encoding"), self._cap),
        )


def decompress(body: bytes, encoding: str | None, cap: int) -> bytes:
    """Undo the one content coding a gateway might use (gzip, deflate), to at most ``cap`` bytes."""
    if not encoding:
        return body
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip().lower() != "identity"]
    if not codings:
        return body
    if len(codings) > 1:
        raise MalformedReplyError("the reply is compressed more than once")
    wbits = _CODINGS.get(codings[0])
    if wbits is None:
        raise MalformedReplyError(f"the reply is compressed as “{codings[0][:20]}”")
    for bits in (wbits, -15) if wbits == 15 else (wbits,):  # deflate: zlib-wrapped, or raw
        inflater = zlib.decompressobj(bits)
        try:
            plain = inflater.decompress(body, cap + 1)
        except zlib.error:
            continue
        if len(plain) > cap:
            raise TooLargeError("decompressed body", cap)
        if not inflater.eof:
            raise MalformedReplyError("the compressed reply ends early")
        return plain
    raise MalformedReplyError("the compressed reply is damaged")


# ---------------------------------------------------------------------- connections and the pool
def request_bytes(
    method: str,
    target: Target,
    path: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
) -> bytes:
    """The request as it goes on the wire. Refuses a header that would end the header block."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {target.host_header}"]
    for name, value in headers:
        if "\r" in value or "\n" in value:
            raise ValueError(f"the {name} header may not hold a line break")
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("\r\n")
    head = "\r\n".join(lines).encode("latin-1")
    if " " in path or "\r" in path or "\n" in path:
        raise ValueError("a request path may not hold spaces or line breaks")
    return head + body if body else head


class _Connection(asyncio.Protocol):
    """One keep-alive TLS connection; asks one question at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._parser: ReplyParser | None = None
        self._reply: asyncio.Future[Reply] | None = None
        self.lost: asyncio.Future[None] = loop.create_future()
        self.peer_certificate: bytes | None = None
        self.idle_since = 0.0
        self.reused = False

    @property
    def usable(self) -> bool:
        return self._transport is not None and not self.lost.done()

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # a stream transport: TCP + TLS
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self.peer_certificate = ssl_object.getpeercert(binary_form=True)

    def data_received(self, data: bytes) -> None:
        parser, waiter = self._parser, self._reply
        if parser is None or waiter is None or waiter.done():
            self.abort()  # bytes nobody asked for: the next reply could not be trusted
            return
        try:
            reply = parser.feed(data)
        except HttpError as exc:
            waiter.set_exception(exc)
            self.abort()
            return
        if reply is not None:
            waiter.set_result(reply)

    def eof_received(self) -> None:
        parser, waiter = self._parser, self._reply
        if parser is not None and waiter is not None and not waiter.done():
            try:
                waiter.set_result(parser.feed_eof())
            except HttpError as exc:
                waiter.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        waiter = self._reply
        if waiter is not None and not waiter.done():
            received = self._parser.received_bytes if self._parser is not None else 0
            waiter.set_exception(ConnectionCutError(received))
        if not self.lost.done():
            self.lost.set_result(None)

    # used by the pool
    async def exchange(self, payload: bytes, parser: ReplyParser) -> Reply:
        transport = self._transport
        if transport is None or self.lost.done():
            raise ConnectionCutError(0)
        self._parser = parser
        waiter: asyncio.Future[Reply] = self._loop.create_future()
        self._reply = waiter
        try:
            transport.write(payload)
            return await waiter
        finally:
            self._reply = None
            self._parser = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()


async def _exchange(connection: _Connection, payload: bytes, parser: ReplyParser) -> Reply:
    """One request on ``connection``; a connection that fails or is interrupted is dropped."""
    try:
        return await connection.exchange(payload, parser)
    except BaseException:
        connection.abort()
        raise


class Http11Transport:
    """A pool of at most ``max_connections`` keep-alive connections to one gateway (plain HTTP
    when ``context`` is None: an ``http://`` address given on purpose)."""

    def __init__(
        self,
        context: ssl.SSLContext | None,
        *,
        limits: Limits = Limits(),
        max_connections: int = 4,
        keepalive_s: float = 20.0,
    ) -> None:
        self._context = context
        self._limits = limits
        self._keepalive_s = keepalive_s
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []
        self._open: set[_Connection] = set()
        self._idle_key: Target | None = None
        self._closed = False

    async def request(
        self,
        method: str,
        target: Target,
        path: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        *,
        deadline: float,
        connect_s: float,
        reply_s: float,
    ) -> Reply:
        payload = request_bytes(method, target, path, headers, body)
        parser = ReplyParser(self._limits, head_request=method == "HEAD")
        connection: _Connection | None = None
        try:
            async with asyncio.timeout_at(deadline) as budget, self._slots:
                connection = await self._connection(target, connect_s)
                budget.reschedule(min(deadline, asyncio.get_running_loop().time() + reply_s))
                try:
                    reply = await _exchange(connection, payload, parser)
                except ConnectionCutError as exc:
                    # A kept-alive connection the gateway closed just now: ask again once on a
                    # new one — only a GET, which does nothing twice, never a login or a write.
                    if not (connection.reused and exc.received_bytes == 0 and method == "GET"):
                        raise
                    parser = ReplyParser(self._limits)
                    connection = None
                    connection = await self._connection(target, connect_s, reuse=False)
                    reply = await _exchange(connection, payload, parser)
        except TimeoutError:
            phase = parser.phase if connection is not None else "connect"
            raise TimedOutError(phase, parser.received_bytes) from None
        if parser.keep_alive and connection.usable and not self._closed:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.append(connection)
        else:
            connection.close()
        if connection.peer_certificate is None:
            return reply
        return Reply(
            reply.status, reply.headers, reply.set_cookies, reply.body, connection.peer_certificate
        )

    async def _connection(
        self, target: Target, connect_s: float, *, reuse: bool = True
    ) -> _Connection:
        loop = asyncio.get_running_loop()
        if self._closed:
            raise ConnectFailedError(RuntimeError("the client is closed"))
        if target != self._idle_key:  # the gateway moved: connections to the old address go
            for stale in self._idle:
                stale.close()
            self._idle.clear()
            self._idle_key = target
        now = loop.time()
        while reuse and self._idle:
            connection = self._idle.pop()
            if connection.usable and now - connection.idle_since < self._keepalive_s:
                connection.reused = True
                return connection
            connection.close()
        try:
            async with asyncio.timeout(connect_s):
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop),
                    target.ip,
                    target.port,
                    ssl=self._context,
                    server_hostname=(target.sni or target.ip) if self._context else None,
                )
        except TimeoutError:
            raise TimedOutError("connect", 0) from None
        except (OSError, ssl.SSLError) as exc:
            raise ConnectFailedError(exc) from exc
        connection.reused = False
        self._open.add(connection)
        connection.lost.add_done_callback(lambda _: self._open.discard(connection))
        return connection

    async def aclose(self) -> None:
        """Close every connection and wait (briefly) until they are gone."""
        self._closed = True
        self._idle.clear()
        connections = list(self._open)
        for connection in connections:
            connection.close()
        if connections:
            _, pending = await asyncio.wait([c.lost for c in connections], timeout=1.0)
            for connection in connections:
                if not connection.lost.done():
                    connection.abort()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
