"""The NUT server: an asyncio TCP listener that answers NUT clients from pwtray's snapshots.

It shares the event loop with the monitor (and, in the app, with Qt), so no client may hurt
them: lines are bounded, a silent client is shed after a minute (as upsd does), a client that
stops reading is dropped, each client is held to a steady command rate, and there is a cap on
connections overall and per address. Clients beyond loopback are served only when listed.

    server = NutServer(lambda: poller.snapshot, user=NutUser("monuser", password))
    await server.start()        # raises NutConfigError / NutBindError with words
    ...
    server.declare_shutdown(True)   # pwtray decided the house should shut down: FSD
    await server.stop()
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pwtray.nut._address import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    Listen,
    admitted,
    check_exposure,
    listen_at,
    parse_allowed,
    peer_address,
)
from pwtray.nut._errors import NutBindError, NutConfigError
from pwtray.nut._protocol import NutUser, Provider, Session, UpsState
from pwtray.nut._variables import LowMarks

log = logging.getLogger(__name__)

UPS_NAME = "powerwall"
DESCRIPTION = "Tesla Powerwall 2 (pwtray)"
MAX_AGE_S = 15.0  # upsd's MAXAGE: older data is stale
_UPS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_REMEMBERED_REFUSALS = 64
DEFAULT_MARKS = LowMarks()


@dataclass(frozen=True)
class Limits:
    """What one client may cost the process; defaults fit a house full of NUT clients."""

    max_line_bytes: int = 1024  # NUT clients send at most 512
    idle_timeout_s: float = 60.0  # upsd sheds a client silent for a minute
    write_timeout_s: float = 10.0  # a client that does not read its replies is dropped
    max_clients: int = 32
    max_clients_per_address: int = 8
    commands_per_s: float = 20.0  # upsmon sends one every few seconds, upsc a handful
    command_burst: int = 50


@dataclass(frozen=True)
class ClientInfo:
    address: str
    username: str | None
    logged_in: bool
    commands: int


def check_ups_name(name: str) -> None:
    """The name clients write before the ``@`` (``powerwall@host``); raises NutConfigError."""
    if not _UPS_NAME.fullmatch(name):
        raise NutConfigError(
            f"UPS name {name!r}: use letters, digits, '.', '_' or '-' (like powerwall)"
        )


class NutServer:
    """One UPS (default ``powerwall``) on ``host:port`` (default 127.0.0.1:3493)."""

    def __init__(
        self,
        provider: Provider,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        allowed_clients: Sequence[str] = (),
        user: NutUser | None = None,
        marks: LowMarks = DEFAULT_MARKS,
        ups_name: str = UPS_NAME,
        description: str = DESCRIPTION,
        max_age_s: float = MAX_AGE_S,
        limits: Limits = Limits(),
        wall: Callable[[], float] = time.time,
    ) -> None:
        check_ups_name(ups_name)
        self._listen = listen_at(host, port)
        self._port = port
        self._allowed = parse_allowed(allowed_clients)
        check_exposure(self._listen, self._allowed)
        self.limits = limits
        self._ups = UpsState(
            provider,
            name=ups_name,
            description=description,
            marks=marks,
            max_age_s=max_age_s,
            wall=wall,
            user=user,
        )
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[Any], Session] = {}
        self._per_address: Counter[str] = Counter()
        self._refused: list[str] = []
        self._full_logged = False

    # ------------------------------------------------------------------ control
    @property
    def listen(self) -> Listen:
        """Where it listens; after ``start()`` with port 0, the port actually bound."""
        return Listen(self._listen.host, self._port)

    @property
    def serving(self) -> bool:
        return self._server is not None

    @property
    def ups_name(self) -> str:
        return self._ups.name

    async def start(self) -> None:
        if self._server is not None:
            return
        host = self._listen.host
        try:
            server = await asyncio.start_server(
                self._accept, host, self._port, limit=self.limits.max_line_bytes
            )
        except OSError as exc:
            raise NutBindError(host, self._port, _bind_reason(exc)) from exc
        self._server = server
        self._port = server.sockets[0].getsockname()[1]
        scope = "this computer only" if self._listen.loopback else "the listed clients"
        log.info("NUT server on %s, UPS %s, for %s", self.listen, self._ups.name, scope)

    async def stop(self) -> None:
        """Stop listening and close every client connection; returns when all are gone."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
        log.info("NUT server on %s stopped", self.listen)

    def set_user(self, user: NutUser | None) -> None:
        """A new NUT login (from Preferences); connections already logged in stay so."""
        self._ups.user = user

    def set_marks(self, marks: LowMarks) -> None:
        self._ups.marks = marks

    def declare_shutdown(self, forced: bool) -> None:
        """pwtray's decision that the house should shut down (``FSD``), or its withdrawal."""
        if forced != self._ups.declared_shutdown:
            log.warning("NUT: forced shutdown %s", "declared" if forced else "withdrawn")
        self._ups.declared_shutdown = forced

    @property
    def forced_shutdown(self) -> bool:
        """FSD is shown: declared by pwtray, or set by a NUT primary during this outage."""
        return self._ups.forced_shutdown

    def clients(self) -> list[ClientInfo]:
        return [
            ClientInfo(s.address, s.username, s.logged_in, s.commands)
            for s in self._connections.values()
        ]

    # ------------------------------------------------------------------ connections
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is None:  # never: start_server runs this callback as a task of its own
            writer.close()
            return
        peer = writer.get_extra_info("peername")
        raw = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        address = peer_address(raw)
        shown = str(address) if address is not None else raw or "unknown"
        if not admitted(address, self._allowed):
            self._note_refusal(shown)
            await _close(writer)
            return
        if self._full(shown):
            await _close(writer)
            return
        session = Session(self._ups, shown)
        self._connections[task] = session
        self._per_address[shown] += 1
        self._ups.attach(session)
        try:
            await self._converse(session, reader, writer)
        except asyncio.CancelledError:
            if self._server is not None:
                raise  # not our own stop(): let the canceller see it
        finally:
            self._ups.detach(session)
            self._per_address[shown] -= 1
            if self._per_address[shown] <= 0:
                del self._per_address[shown]
            del self._connections[task]
            if self._full_logged and len(self._connections) < self.limits.max_clients:
                self._full_logged = False
            await _close(writer)

    async def _converse(
        self, session: Session, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        limits = self.limits
        bucket = _Bucket(limits.commands_per_s, limits.command_burst)
        while True:
            try:
                line = await asyncio.wait_for(reader.readuntil(b"\n"), limits.idle_timeout_s)
            except TimeoutError:
                log.debug("NUT client %s silent: closed", session.address)
                return
            except asyncio.IncompleteReadError:
                return  # the client hung up (a partial last line is not a request)
            except asyncio.LimitOverrunError:
                log.info("NUT client %s sent an overlong line: closed", session.address)
                await self._send(writer, "ERR TOO-LONG\n")
                return
            except ConnectionError:
                return
            reply = session.handle(line.decode("latin-1"))
            if not await self._send(writer, reply.text) or reply.close:
                return
            delay = bucket.spend()
            if delay > 0:
                await asyncio.sleep(delay)

    async def _send(self, writer: asyncio.StreamWriter, text: str) -> bool:
        try:
            writer.write(text.encode("ascii", "replace"))
            await asyncio.wait_for(writer.drain(), self.limits.write_timeout_s)
        except (TimeoutError, ConnectionError):
            return False
        return True

    def _full(self, address: str) -> bool:
        limits = self.limits
        if self._per_address[address] >= limits.max_clients_per_address:
            self._note_refusal(address, f"already has {limits.max_clients_per_address} connections")
            return True
        if len(self._connections) >= limits.max_clients:
            if not self._full_logged:
                log.warning("NUT server full: new connections are closed")
                self._full_logged = True
            return True
        return False

    def _note_refusal(self, address: str, why: str = "not in the allowed clients") -> None:
        """Say so once per address (a scan must not flood the log)."""
        key = f"{address} {why}"
        if key in self._refused:
            return
        self._refused.append(key)
        del self._refused[:-_REMEMBERED_REFUSALS]
        log.warning("NUT connection from %s refused: %s", address, why)


class _Bucket:
    """A token bucket: how long to wait before reading the next command."""

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._at = asyncio.get_running_loop().time()

    def spend(self) -> float:
        now = asyncio.get_running_loop().time()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate) - 1.0
        self._at = now
        return 0.0 if self._tokens >= 0 else -self._tokens / self._rate


async def _close(writer: asyncio.StreamWriter) -> None:
    """Close after flushing what is left; a client that will not take it is cut off."""
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except TimeoutError:
        writer.transport.abort()  # else the transport would wait for that client forever
    except OSError:
        pass  # the client went first


def _bind_reason(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "the port is in use (is another NUT server, such as upsd, running?)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "this computer has no such address"
    if exc.errno == errno.EACCES:
        return "ports below 1024 need administrator rights; NUT's port is 3493"
    return exc.strerror or str(exc)
