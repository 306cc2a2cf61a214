"""Signing in to a Tesla account: in the browser (OAuth 2.0 code flow with PKCE and a loopback
redirect), or by pasting a client ID and a refresh token obtained elsewhere.

The browser flow (developer.tesla.com "Third-Party Tokens" and "Open Source Tokens"; RFC 7636;
RFC 8252 for the loopback redirect):

1. a random ``code_verifier`` and its S256 ``code_challenge``, a random ``state``;
2. a listener on ``http://localhost:<port>/callback`` (127.0.0.1, and ::1 where there is one) —
   the redirect URI registered in the user's own Tesla developer application;
3. the system browser opens ``{auth}/oauth2/v3/authorize?response_type=code&client_id=…&
   redirect_uri=…&scope=openid offline_access energy_device_data energy_cmds&state=…&
   code_challenge=…&code_challenge_method=S256``;
4. Tesla redirects the browser to the listener with ``code`` and ``state``; a wrong ``state``
   is answered with an error page and ignored; the page tells the user to close the tab;
5. the code and verifier are exchanged at ``{auth}/oauth2/v3/token`` (``TokenManager``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import html
import logging
import secrets
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from pwtray.cloud._exceptions import SignInFailedError
from pwtray.cloud._tokens import TokenManager, TokenStore

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
SCOPES = ("openid", "offline_access", "energy_device_data", "energy_cmds")
DEFAULT_AUTH_URL = "https://auth.tesla.com"
DEFAULT_CLOUD_URL = "https://fleet-api.prd.na.vn.cloud.tesla.com"
# Tesla's regional Fleet API hosts (developer.tesla.com "Base URLs"; pypowerwall fleetapi.py).
REGION_URLS = {
    "na": "https://fleet-api.prd.na.vn.cloud.tesla.com",
    "eu": "https://fleet-api.prd.eu.vn.cloud.tesla.com",
    "cn": "https://fleet-api.prd.cn.vn.cloud.tesla.cn",
}
CALLBACK_PATH = "/callback"
SIGN_IN_TIMEOUT_S = 300.0
_REQUEST_TIMEOUT_S = 10.0
_MAX_LINE = 8192


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair (RFC 7636): the verifier stays here, the challenge goes to the browser."""

    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]
        return cls(verifier, s256(verifier))

    def __repr__(self) -> str:
        return f"Pkce(challenge={self.challenge!r}, verifier=<hidden>)"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    client_id: str,
    redirect_uri: str,
    state: str,
    challenge: str,
    *,
    auth_url: str = DEFAULT_AUTH_URL,
    scopes: tuple[str, ...] = SCOPES,
) -> str:
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "prompt_missing_scopes": "true",
        },
        quote_via=urllib.parse.quote,
    )
    return f"{auth_url.rstrip('/')}/oauth2/v3/authorize?{query}"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pwtray: {title}</title>
<style>body{{font-family:sans-serif;max-width:36em;margin:4em auto;line-height:1.5}}</style>
</head><body><h1>{title}</h1><p>{text}</p></body></html>
"""


class LoopbackReceiver:
    """Receives the one redirect from Tesla's sign-in page on this computer.

    Use ``async with LoopbackReceiver(port) as receiver:``; ``redirect_uri`` is what to register
    and send; ``await receiver.wait(state)`` returns the authorization code.
    """

    def __init__(self, port: int = 0, *, host: str = "localhost") -> None:
        self._port = port
        self._host = host
        self._servers: list[asyncio.Server] = []
        self._state = ""
        self._result: asyncio.Future[str] | None = None

    async def __aenter__(self) -> LoopbackReceiver:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        self._result = asyncio.get_running_loop().create_future()
        try:
            first = await asyncio.start_server(
                self._serve, "127.0.0.1", self._port, limit=_MAX_LINE
            )
        except OSError as exc:
            raise SignInFailedError(
                f"pwtray cannot listen on port {self._port} of this computer for Tesla's "
                f"answer ({exc.strerror}); close what uses it or choose another port"
            ) from exc
        self._servers.append(first)
        self._port = first.sockets[0].getsockname()[1]
        # Browsers may resolve "localhost" to ::1 first; answer there too when possible.
        with contextlib.suppress(OSError):
            self._servers.append(
                await asyncio.start_server(self._serve, "::1", self._port, limit=_MAX_LINE)
            )

    @property
    def port(self) -> int:
        return self._port

    @property
    def redirect_uri(self) -> str:
        return f"http://{self._host}:{self._port}{CALLBACK_PATH}"

    async def wait(self, state: str, timeout_s: float = SIGN_IN_TIMEOUT_S) -> str:
        """The authorization code for ``state``; SignInFailedError if declined or too late."""
        if self._result is None:
            raise RuntimeError("the receiver is not started")
        self._state = state
        try:
            async with asyncio.timeout(timeout_s):
                return await asyncio.shield(self._result)
        except TimeoutError:
            waited = f"{timeout_s / 60:.0f} min" if timeout_s >= 90 else f"{timeout_s:g} s"
            raise SignInFailedError(
                f"no answer from Tesla's sign-in page within {waited}; start again when ready"
            ) from None

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self._servers.clear()
        if self._result is not None and not self._result.done():
            self._result.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_REQUEST_TIMEOUT_S):
                request_line = await reader.readline()
                for _ in range(100):  # headers: read and ignore, bounded
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                status, title, text = self._answer(request_line)
                body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                    f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n"
                    "Referrer-Policy: no-referrer\r\nConnection: close\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (TimeoutError, ValueError, ConnectionError, asyncio.LimitOverrunError):
            pass  # a half-sent or oversized request: nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _answer(self, request_line: bytes) -> tuple[str, str, str]:
        parts = request_line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return "400 Bad Request", "Bad request", "This is not a request pwtray understands."
        method, target = parts[0], urllib.parse.urlsplit(parts[1])
        if target.path != CALLBACK_PATH:
            return "404 Not Found", "Not found", "pwtray only answers Tesla's sign-in redirect."
        if method != "GET":
            return "405 Method Not Allowed", "Not allowed", "Only GET is answered here."
        query = dict(urllib.parse.parse_qsl(target.query))
        result = self._result
        if result is None or result.done():
            return "410 Gone", "Already done", "This sign-in has already finished in pwtray."
        state = query.get("state", "")
        if not self._state or not hmac.compare_digest(state.encode(), self._state.encode()):
            log.warning("sign-in redirect with a state pwtray did not send: ignored")
            return (
                "400 Bad Request",
                "Not this sign-in",
                "This answer does not belong to the sign-in pwtray started, so it was ignored. "
                "Start the sign-in again from pwtray if it is still waiting.",
            )
        if "error" in query:
            reason = query.get("error_description") or query["error"]
            result.set_exception(SignInFailedError(f"Tesla did not grant access ({reason[:200]})"))
            return (
                "200 OK",
                "Access not granted",
                "Tesla did not give pwtray access. You can close this tab.",
            )
        code = query.get("code", "")
        if not code:
            return "400 Bad Request", "No code", "Tesla's answer had no authorization code."
        result.set_result(code)
        return (
            "200 OK",
            "Signed in",
            "pwtray is now connected to your Tesla account. You can close this tab.",
        )


@dataclass(frozen=True)
class SignIn:
    """What a completed sign-in tells the caller (never a token)."""

    client_id: str
    use_until: float  # the access token is used until then (time.time() seconds)


async def sign_in_with_browser(
    client_id: str,
    store: TokenStore,
    *,
    open_browser: Callable[[str], object],
    port: int = 0,
    auth_url: str = DEFAULT_AUTH_URL,
    cloud_url: str = DEFAULT_CLOUD_URL,
    ca_path: str | Path | None = None,
    client_secret: str | None = None,
    scopes: tuple[str, ...] = SCOPES,
    timeout_s: float = SIGN_IN_TIMEOUT_S,
    http: httpx.AsyncClient | None = None,
    clock: Callable[[], float] = time.time,
) -> SignIn:
    """Sign in through the browser; the tokens go to ``store``. Cancel the task to abandon it.

    ``open_browser(url)`` shows Tesla's page (``webbrowser.open``; the caller may also show the
    URL for copying). ``port`` must be the one in the redirect URI registered with Tesla.
    """
    pkce = Pkce.new()
    state = secrets.token_urlsafe(24)
    async with LoopbackReceiver(port) as receiver:
        redirect_uri = receiver.redirect_uri
        open_browser(
            authorize_url(
                client_id, redirect_uri, state, pkce.challenge, auth_url=auth_url, scopes=scopes
            )
        )
        code = await receiver.wait(state, timeout_s)
    async with _client(http, ca_path) as client:
        manager = TokenManager(client_id, store, auth_url=auth_url, http=client, clock=clock)
        await manager.exchange_code(
            code,
            pkce.verifier,
            redirect_uri,
            audience=token_audience(code, cloud_url),
            client_secret=client_secret,
        )
        _, use_until = store.load_access_token() or ("", 0.0)
    return SignIn(manager.client_id, use_until)


def token_audience(code: str, cloud_url: str) -> str:
    """The Fleet API host a token is for. Tesla's codes start with the account's region
    ("NA_", "EU_", "CN_"; Teslemetry's oauth.get_refresh_token reads it the same way): when
    ``cloud_url`` is one of Tesla's regional hosts, the code's region wins."""
    region = code.partition("_")[0].lower()
    if cloud_url.rstrip("/") in REGION_URLS.values() and region in REGION_URLS:
        return REGION_URLS[region]
    return cloud_url


async def sign_in_with_refresh_token(
    client_id: str,
    refresh_token: str,
    store: TokenStore,
    *,
    auth_url: str = DEFAULT_AUTH_URL,
    ca_path: str | Path | None = None,
    http: httpx.AsyncClient | None = None,
    clock: Callable[[], float] = time.time,
) -> SignIn:
    """The paste flow: check the pair with Tesla at once (one refresh) and keep the result.

    The pasted token is used once and replaced by the one Tesla returns (stored first).
    """
    token = refresh_token.strip()
    if not token or any(c.isspace() for c in token):
        raise ValueError("The refresh token is empty or has spaces in it: paste it again.")
    async with _client(http, ca_path) as client:
        manager = TokenManager(client_id, store, auth_url=auth_url, http=client, clock=clock)
        await manager.refresh(using=token)
        _, use_until = store.load_access_token() or ("", 0.0)
    return SignIn(manager.client_id, use_until)


@contextlib.asynccontextmanager
async def _client(
    http: httpx.AsyncClient | None, ca_path: str | Path | None
) -> AsyncIterator[httpx.AsyncClient]:
    if http is not None:
        yield http
        return
    from pwtray.cloud._http import make_http_client  # imports httpx, 0.1 s

    client = make_http_client(ca_path)
    try:
        yield client
    finally:
        await client.aclose()
