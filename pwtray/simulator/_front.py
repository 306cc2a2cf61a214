"""The front door: each request through the faults and refusals to the answers, into the log.

Transport-level faults (slow, dropped, blackholed, HTML pages, cut JSON) and refusals that come
before the API (plain HTTP on firmware that moved to HTTPS, rate limits, refused sessions) are
decided here; the API itself is the routes' (or a replayed set's). Imports nothing else from
pwtray.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from ._config import Json, Reply, RequestRecord, Respond
from ._faults import Faults
from ._responses import error
from ._routes import LOGIN, Answers
from ._sessions import presented_session
from ._transport import Exchange, html_error_page

REQUEST_LOG_SIZE = 20_000
Control = Callable[[str, str, bytes], tuple[int, Json]]


class FrontDoor:
    """Serves each request the transport hands over."""

    def __init__(
        self,
        *,
        lock: threading.RLock,
        rng: random.Random,
        faults: Faults,
        answers: Answers,
        control: Control,
        tick: Callable[[], None],
        sim_time: Callable[[], str],
        https_url: Callable[[], str],
        stopping: threading.Event,
    ) -> None:
        self._lock = lock
        self._rng = rng
        self._faults = faults
        self.answers = answers
        self._control = control
        self._tick = tick
        self._sim_time = sim_time
        self._https_url = https_url
        self._stopping = stopping
        self.log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)

    def serve(self, exchange: Exchange) -> None:
        """One request through the faults, the sessions and the routes, and into the log."""
        path, method = exchange.path, exchange.method
        if path.startswith("/_sim"):
            status, payload = self._control(method, path, exchange.body)
            exchange.send(status, _encode(payload), "application/json", [])
            return
        auth_kind, token = presented_session(exchange.headers)
        with self._lock:
            self._tick()
            record = {
                "time": time.time(),
                "sim_time": self._sim_time(),
                "method": method,
                "path": path,
                "auth": auth_kind,
                "connection": exchange.connection_id,
            }
            active = self._faults.active
            slow = active("slow", self._rng, path)
            drop = active("drop", self._rng, path)
            blackhole = active("login-blackhole", self._rng, path) if path == LOGIN else None
            html = active("html-error", self._rng, path)
            malformed = active("malformed-json", self._rng, path)
        if slow is not None:
            jitter_ms = self._rng.uniform(0, float(slow.get("jitter_ms", 0)))
            self._stopping.wait((float(slow.get("latency_ms", 1500)) + jitter_ms) / 1000)
        if drop is not None:
            self._record(record, None, "dropped")
            exchange.reset()
        if blackhole is not None:
            self._record(record, None, "blackholed")
            self._stopping.wait(float(blackhole.get("seconds", 60)))
            exchange.abandon()
        if html is not None:
            status = int(html.get("status", 503))
            self._record(record, status, "answered")
            exchange.send(status, html_error_page(status), "text/html; charset=utf-8", [])
            return
        content_type = exchange.headers.get("Content-Type", "")
        try:
            with self._lock:
                reply = self._refusal(exchange) or self.answers.answer(
                    method, path, exchange.body, content_type, token
                )
        except Respond as respond:
            reply = respond.reply
        data = _encode(reply.body)
        if malformed is not None and reply.status == 200 and data:
            data = data[: max(1, len(data) // 2)]
        self._record(record, reply.status, "answered")
        if reply.exact:
            exchange.send_recorded(reply.status, reply.headers, data)
        else:
            exchange.send(reply.status, data, reply.content_type, reply.headers)

    def _refusal(self, exchange: Exchange) -> Reply | None:
        """An answer given before the API is consulted: plain HTTP on firmware that moved to
        HTTPS, and the faults that refuse requests (lock held)."""
        path = exchange.path
        if not exchange.secure and not self.answers.identity.seed_era:
            # Firmware 1.20 and later: "Plain HTTP → 301 Moved Permanently" (PROTOCOL §1).
            location = self._https_url() + path
            page = f'<a href="{location}">Moved Permanently</a>.\n\n'.encode()
            return Reply(301, page, [("Location", location)], "text/html; charset=utf-8")
        limited = self._faults.active("rate-limit", self._rng, path)
        if limited is not None:
            retry_after = _header_number(limited.get("retry_after", 300))
            body = error(429, "Api Limit reached for this endpoint", "API Limit Reached")
            return Reply(429, body, [("Retry-After", retry_after)])
        refuse = self._faults.active("refuse-sessions", self._rng, path)
        if path != LOGIN and refuse is not None:
            return Reply(401, error(401, "Authentication required", "Login Error"))
        return None

    def _record(self, record: dict[str, Any], status: int | None, outcome: str) -> None:
        with self._lock:
            self.log.append(RequestRecord(status=status, outcome=outcome, **record))


def _header_number(value: object) -> str:
    """A number for a header as a person would write it (42, not 42.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _encode(payload: Json | bytes | None) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, separators=(",", ":")).encode()
