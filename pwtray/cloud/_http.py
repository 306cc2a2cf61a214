"""The HTTP layer for Tesla's cloud: TLS verified against a CA store, bounded replies,
transport failures mapped to :class:`CloudUnreachableError`.

Tesla has required HTTP/2 on its sign-in host since June 2026 (TeslaPy PR #177, pypowerwall
PRs #324/#338, teslamate PR #5388 all switched to HTTP/2 after 403s over HTTP/1.1), so the
client offers HTTP/2 (``h2``) and falls back to HTTP/1.1 where the server only speaks that.
"""

from __future__ import annotations

import email.utils
import re
import socket
import ssl
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pwtray.cloud._exceptions import (
    CloudCertificateError,
    CloudProtocolError,
    CloudUnreachableError,
)

if TYPE_CHECKING:
    import httpx

MAX_REPLY_BYTES = 4 * 1024 * 1024  # a year of calendar_history fits many times over
DEFAULT_RETRY_AFTER_S = 60.0
MAX_RETRY_AFTER_S = 3600.0
_RETRY_IN = re.compile(r"retry[^0-9]{0,20}(\d{1,5})\s*(?:seconds?|s)\b", re.IGNORECASE)


@dataclass(frozen=True)
class CloudTimeouts:
    connect_s: float = 5.0
    read_s: float = 20.0  # commands wait for Tesla to reach the gateway


DEFAULT_TIMEOUTS = CloudTimeouts()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes


def tls_context(ca_path: str | Path | None = None) -> ssl.SSLContext:
    """Ordinary CA verification with hostname checks: ``ca_path`` alone, or the system store."""
    if ca_path is not None:
        return ssl.create_default_context(cafile=str(ca_path))
    context = ssl.create_default_context()
    paths = ssl.get_default_verify_paths()
    system_store = any(p and Path(p).exists() for p in (paths.cafile, paths.capath))
    if sys.platform != "win32" and not system_store:
        # OpenSSL finds no roots where it looks (python.org builds on macOS, some bundles):
        # certifi (an httpx dependency) is the usual stand-in. On Windows
        # create_default_context() loads the system's own store.
        import certifi

        context.load_verify_locations(certifi.where())
    return context


def make_http_client(
    ca_path: str | Path | None = None, timeouts: CloudTimeouts = DEFAULT_TIMEOUTS
) -> httpx.AsyncClient:
    """One client for both Tesla hosts (sign-in and Fleet API): keep-alive, HTTP/2 offered."""
    import httpx  # here, not at the top: httpx takes 0.1 s to import

    return httpx.AsyncClient(
        verify=tls_context(ca_path),
        http2=True,
        timeout=httpx.Timeout(timeouts.read_s, connect=timeouts.connect_s, pool=timeouts.connect_s),
        limits=httpx.Limits(max_connections=4, max_keepalive_connections=2, keepalive_expiry=30.0),
        follow_redirects=False,
        trust_env=False,  # tokens go to Tesla only, never through a proxy from the environment
    )


async def send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    endpoint: str,
    **kwargs: Any,
) -> Reply:
    """Send one request; read at most MAX_REPLY_BYTES; map transport failures."""
    import httpx  # loaded already: ``http`` is an httpx client

    host = httpx.URL(url).host
    try:
        async with http.stream(method, url, **kwargs) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():  # decoded: the cap holds after gzip too
                size += len(chunk)
                if size > MAX_REPLY_BYTES:
                    raise CloudProtocolError(endpoint, "$", "the reply is too large")
                chunks.append(chunk)
            return Reply(response.status_code, response.headers, b"".join(chunks))
    except httpx.TimeoutException as exc:
        raise CloudUnreachableError(host, "no answer in time") from exc
    except httpx.TransportError as exc:
        raise _transport_error(host, exc) from exc


def _transport_error(host: str, exc: httpx.TransportError) -> CloudUnreachableError:
    import httpx

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return CloudCertificateError(host)
        if isinstance(cause, socket.gaierror):
            return CloudUnreachableError(host, "the name cannot be looked up; no internet?")
        if isinstance(cause, ConnectionRefusedError):
            return CloudUnreachableError(host, "the connection was refused")
        if isinstance(cause, ConnectionResetError):
            return CloudUnreachableError(host, "the connection was reset")
        cause = cause.__cause__ or cause.__context__
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return CloudCertificateError(host)
    if isinstance(exc, httpx.ConnectError):
        return CloudUnreachableError(host, "no connection")
    return CloudUnreachableError(host, f"the connection failed ({type(exc).__name__})")


def retry_after_s(reply: Reply, now: float | None = None) -> float:
    """Seconds to wait after a 429: ``Retry-After`` (seconds or a date), else Tesla's
    "Retry in N seconds" in the body, else a minute; capped at an hour."""
    value = reply.headers.get("Retry-After", "").strip()
    delay: float | None = None
    if value:
        try:
            delay = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
                delay = when.timestamp() - (time.time() if now is None else now)
            except (TypeError, ValueError, IndexError):
                delay = None
    if delay is None:
        match = _RETRY_IN.search(reply.body[:2000].decode("utf-8", "replace"))
        delay = float(match.group(1)) if match else DEFAULT_RETRY_AFTER_S
    return max(0.0, min(delay, MAX_RETRY_AFTER_S))
