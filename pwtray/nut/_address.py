"""Where the NUT server listens and whom it serves: parsed once, with errors in words.

The listen address is an IP literal (or ``localhost``), never a name to resolve: a name could
resolve beyond loopback without the user having chosen that. Clients beyond loopback must be
listed (addresses or networks); the machine's own loopback (127.0.0.1, ::1) is always served.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pwtray.nut._errors import NutConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3493  # IANA's port for NUT
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_OWN_LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.host).is_loopback

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_listen(text: str) -> Listen:
    """``PORT``, ``HOST:PORT`` or ``[IPv6]:PORT`` (the form of ``pwtray --nut``)."""
    raw = text.strip()
    host, port_text = DEFAULT_HOST, raw
    if raw.startswith("["):
        inside, bracket, rest = raw[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            raise NutConfigError(f"{text!r} is not [IPv6 address]:PORT (for example [::1]:3493)")
        host, port_text = inside, rest[1:]
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    elif ":" in raw:
        raise NutConfigError(f"{text!r}: write an IPv6 address in brackets, like [::1]:3493")
    return Listen(_host(host, text), _port(port_text, text))


def listen_at(host: str, port: int) -> Listen:
    """The same checks for a host and port given apart; port 0 takes any free port."""
    text = f"{host} port {port}"
    if not 0 <= port < 65536:
        raise NutConfigError(f"{text}: the port must be a number from 1 to 65535 (NUT: 3493)")
    return Listen(_host(host, text), port)


def parse_allowed(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Client addresses or networks (``192.168.1.20``, ``192.168.1.0/24``, ``fd00::/64``)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise NutConfigError(
                f"allowed client {entry!r} is not an IP address or network "
                "(for example 192.168.1.20 or 192.168.1.0/24; names are not accepted)"
            ) from None
    return tuple(networks)


def check_exposure(listen: Listen, allowed: Sequence[IPNetwork]) -> None:
    """Beyond loopback only with a list of clients: an open UPS port invites anyone in."""
    if not listen.loopback and not allowed:
        raise NutConfigError(
            f"The NUT server would listen on {listen}, beyond this computer, with no allowed "
            "clients: list the addresses of the machines that may connect."
        )


def peer_address(raw: str) -> IPAddress | None:
    """The client's address as the socket gives it (IPv4-mapped IPv6 unwrapped)."""
    try:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def admitted(address: IPAddress | None, allowed: Sequence[IPNetwork]) -> bool:
    """With no list every client is served (the server then listens on loopback only)."""
    if not allowed:
        return True
    if address is None:
        return False
    return address in _OWN_LOOPBACK or any(address in network for network in allowed)


def _host(host: str, text: str) -> str:
    host = host.strip()
    if host.lower() == "localhost":
        return DEFAULT_HOST
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        raise NutConfigError(
            f"{text!r}: the NUT server listens on an IP address of this computer "
            f"(127.0.0.1, 0.0.0.0, 192.168.1.5, ::1 …), not {host!r}"
        ) from None


def _port(port_text: str, text: str) -> int:
    try:
        port = int(port_text.strip())
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise NutConfigError(f"{text!r}: the port must be a number from 1 to 65535 (NUT: 3493)")
    return port
