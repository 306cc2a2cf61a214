"""Logins, tokens, cookies and lock-outs, on the simulated clock.

Both login generations: firmware 1.x takes a blank user and ``S<serial>`` (seed document);
current firmware takes ``customer`` and the customer password, counts bad passwords and locks
everyone out for a while after too many (PROTOCOL §2). A session is a token presented as
``Authorization: Bearer`` or as the ``AuthCookie`` cookie. Imports nothing else from pwtray.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import urllib.parse
from collections import deque
from email.message import Message
from typing import Any

from . import _responses
from ._config import Respond, SimulatorConfig


class Sessions:
    """The tokens handed out, the bad passwords counted, and the lock-out window."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.ttl_s = config.token_ttl_s
        self._tokens: dict[str, float | None] = {}  # token -> expiry (simulated s) or None
        self._failed_logins: deque[float] = deque()
        self.locked_until_s = 0.0

    def __len__(self) -> int:
        return len(self._tokens)

    def check_login(self, fields: dict[str, Any], *, legacy: bool, now_s: float) -> None:
        """Raise the gateway's 429 or 401 unless these credentials may log in now."""
        if now_s < self.locked_until_s:
            raise Respond(
                429,
                _responses.error(429, "Api Limit reached for this endpoint", "API Limit Reached"),
            )
        username = str(fields.get("username", ""))
        password = str(fields.get("password", "")).encode()
        if legacy:
            good = hmac.compare_digest(password, ("S" + self.config.serial).encode())
        else:
            if username in ("installer", "engineer"):
                raise Respond(
                    401,
                    _responses.error(
                        401, "roles [Provider_Engineer] require physical access", "Login Error"
                    ),
                )
            expected = self.config.password.encode()
            good = username == "customer" and hmac.compare_digest(password, expected)
        if not good:
            self._count_failure(now_s)
            raise Respond(401, _responses.error(401, "bad credentials", "Login Error"))
        self._failed_logins.clear()

    def open(self, now_s: float, token: str | None = None) -> str:
        """A new session (an 88-character base64 token unless one is given)."""
        token = token or base64.b64encode(secrets.token_bytes(64)).decode()
        self._tokens[token] = None if self.ttl_s is None else now_s + self.ttl_s
        return token

    def valid(self, token: str | None, now_s: float) -> bool:
        if token is None or token not in self._tokens:
            return False
        expiry = self._tokens[token]
        if expiry is not None and now_s >= expiry:
            del self._tokens[token]
            return False
        return True

    def close(self, token: str | None) -> None:
        if token is not None:
            self._tokens.pop(token, None)

    def revoke_all(self) -> None:
        self._tokens.clear()

    def lock_out(self, until_s: float) -> None:
        self.locked_until_s = until_s

    def _count_failure(self, now_s: float) -> None:
        self._failed_logins.append(now_s)
        while self._failed_logins and self._failed_logins[0] < now_s - self.config.lockout_s:
            self._failed_logins.popleft()
        if len(self._failed_logins) >= self.config.lockout_after:
            self.locked_until_s = now_s + self.config.lockout_s
            self._failed_logins.clear()


def login_cookies(token: str) -> list[tuple[str, str]]:
    """The two session cookies current firmware sets with a login."""
    user_record = base64.b64encode(secrets.token_bytes(96)).decode()
    return [
        ("Set-Cookie", f"AuthCookie={token}; Path=/"),
        ("Set-Cookie", f"UserRecord={user_record}; Path=/"),
    ]


def presented_session(headers: Message) -> tuple[str | None, str | None]:
    """How a session was presented ("bearer", "cookie" or None) and its token."""
    authorization = headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        return "bearer", authorization.removeprefix("Bearer ").strip()
    for cookie_header in headers.get_all("Cookie") or []:
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "AuthCookie":
                # Go's net/http, which gateways run, accepts a double-quoted cookie value.
                return "cookie", value.strip('"')
    return None, None


def parse_body(body: bytes, content_type: str = "application/json") -> dict[str, Any]:
    """A request body as fields: JSON, or form-encoded (``curl -d`` sends JSON as a form)."""
    if not body:
        return {}
    text = body.decode("utf-8", "replace")
    if "application/x-www-form-urlencoded" in content_type and not body.lstrip().startswith(b"{"):
        return dict(urllib.parse.parse_qsl(text))
    try:
        value = json.loads(body)
    except ValueError:
        try:
            return dict(urllib.parse.parse_qsl(text, strict_parsing=True))
        except ValueError:
            raise Respond(400, _responses.error(400, "Bad Request", "invalid body")) from None
    return value if isinstance(value, dict) else {}
