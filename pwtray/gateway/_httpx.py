"""The gateway transport's contract over an injected ``httpx.AsyncClient``.

Only a caller that hands ``GatewayClient(http=...)`` a client imports this (and httpx); the
tray and the command line use :class:`~pwtray.gateway._http.Http11Transport`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx

from pwtray.gateway._http import (
    ConnectFailedError,
    ConnectionCutError,
    Limits,
    Reply,
    Target,
    TimedOutError,
    TooLargeError,
    decompress,
)

_LIMITS = Limits()


class HttpxTransport:
    """The same contract over an injected ``httpx.AsyncClient`` (tests: ``httpx.MockTransport``).

    The client's own timeouts still apply; the deadline and the caps of :class:`Limits` are
    added on top. Its cookie jar is emptied after every reply: sessions are sent explicitly.
    """

    def __init__(self, http: httpx.AsyncClient, *, limits: Limits = _LIMITS) -> None:
        self.http = http
        self._limits = limits

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
        url = f"https://{target.host_header}{path}"
        extensions = {"sni_hostname": target.sni} if target.sni else None
        cap = self._limits.reply_bytes
        received = 0
        chunks: list[bytes] = []
        certificate: bytes | None = None
        try:
            async with asyncio.timeout_at(
                min(deadline, asyncio.get_running_loop().time() + reply_s)
            ):
                async with self.http.stream(
                    method, url, content=body, headers=list(headers), extensions=extensions
                ) as response:
                    stream = response.extensions.get("network_stream")
                    ssl_object = stream.get_extra_info("ssl_object") if stream else None
                    if ssl_object is not None:
                        certificate = ssl_object.getpeercert(binary_form=True)
                    try:
                        chunks.append(response.content)  # a reply made in memory (a mock)
                        received = len(response.content)
                    except httpx.ResponseNotRead:
                        async for chunk in response.aiter_raw():
                            received += len(chunk)
                            if received > cap:
                                raise TooLargeError("body", cap) from None
                            chunks.append(chunk)
                    if received > cap:
                        raise TooLargeError("body", cap)
        except TimeoutError:
            raise TimedOutError("body" if received else "reply", received) from None
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                raise TimedOutError("connect", 0) from exc
            raise TimedOutError("body" if received else "reply", received) from exc
        except httpx.ConnectError as exc:
            raise ConnectFailedError(exc) from exc
        except httpx.TransportError as exc:
            raise ConnectionCutError(received) from exc
        finally:
            self.http.cookies.clear()
        fields: dict[str, str] = {}
        for name, value in response.headers.multi_items():
            if name != "set-cookie":
                fields[name] = f"{fields[name]}, {value}" if name in fields else value
        return Reply(
            response.status_code,
            fields,
            tuple(response.headers.get_list("set-cookie")),
            decompress(b"".join(chunks), fields.get("content-encoding"), cap),
            certificate,
        )

    async def aclose(self) -> None:
        await self.http.aclose()
