"""Gateway addresses: ``192.0.2.10``, ``192.0.2.10:8443``, ``[::1]:8443``, ``powerwall.home.lan``.

HTTPS unless the user writes ``http://`` on purpose: firmware 1.x also answers plain HTTP (the
seed's examples use it). Such an address is never pinned or encrypted, and the app says so.

Gateways abort the TLS handshake when the SNI name is not their IP, ``teg``, ``powerwall`` or
``powerpack`` (PROTOCOL.md §1). So pwtray resolves a host name itself, connects to the address,
and sends SNI ``powerwall``; an IP address is used as it is (no SNI is sent for an IP).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

DEFAULT_PORT = 443
PLAIN_PORT = 80
GATEWAY_NAMES = frozenset({"teg", "powerwall", "powerpack"})

Resolver = Callable[[str, int], Awaitable[str]]


@dataclass(frozen=True)
class GatewayAddress:
    host: str
    port: int = DEFAULT_PORT
    plain: bool = False  # http:// given explicitly: no TLS (firmware 1.x only)

    @classmethod
    def parse(cls, text: str) -> GatewayAddress:
        """Parse ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address, with an optional
        ``https://`` or — only when written — ``http://``."""
        value = text.strip()
        plain = value.lower().startswith("http://")
        for prefix in ("https://", "http://", "HTTPS://", "HTTP://"):
            value = value.removeprefix(prefix)
        value = value.rstrip("/")
        if not value:
            raise ValueError("the gateway address is empty")
        if value.startswith("["):
            host, _, rest = value[1:].partition("]")
            port_text = rest.removeprefix(":") if rest else ""
        elif value.count(":") > 1:
            host, port_text = value, ""  # bare IPv6
        else:
            host, _, port_text = value.partition(":")
        port = PLAIN_PORT if plain else DEFAULT_PORT
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ValueError(f"{port_text!r} is not a port number")
            port = int(port_text)
        if not host or any(ch.isspace() for ch in host):
            raise ValueError(f"{text!r} is not a host name or IP address")
        return cls(host, port, plain)

    @property
    def is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    @property
    def sni(self) -> str | None:
        """The SNI name to send: none for an IP, the name itself if the gateway knows it."""
        if self.is_ip:
            return None
        return self.host if self.host in GATEWAY_NAMES else "powerwall"

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.plain:
            return f"http://{host}" + ("" if self.port == PLAIN_PORT else f":{self.port}")
        return host if self.port == DEFAULT_PORT else f"{host}:{self.port}"


def url_host(ip: str) -> str:
    return f"[{ip}]" if ":" in ip else ip


async def system_resolver(host: str, port: int) -> str:
    """The first address the operating system resolves ``host`` to."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise OSError(f"no address for {host}")
    return str(infos[0][4][0])
