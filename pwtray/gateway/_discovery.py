"""Finding gateways: probe addresses concurrently for the ``/api/status`` signature.

Only the addresses the caller passes are probed — pwtray never picks a network range by itself;
the first-run wizard shows the range and the user confirms it. Tests probe simulators on
127.0.0.x only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from pwtray.gateway import _models as m
from pwtray.gateway._address import GatewayAddress, system_resolver
from pwtray.gateway._client import nested_deeper_than, tls_refusal
from pwtray.gateway._exceptions import GatewayUnreachableError, SecureConnectionError
from pwtray.gateway._http import Http11Transport, HttpError, Limits, Target
from pwtray.gateway._tls import fingerprint_of, pinned_context, read_certificate


@dataclass(frozen=True)
class DiscoveredGateway:
    address: GatewayAddress
    din: str | None
    firmware: str
    legacy: bool
    fingerprint: str


MAX_ADDRESSES = 1024
# Any device on the network may answer a probe: /api/status is ~400 bytes, a web page is not.
PROBE_LIMITS = Limits(reply_bytes=64 * 1024, head_bytes=16 * 1024, json_depth=8)


def expand_range(text: str) -> list[str]:
    """``192.168.1.1-254``, ``127.0.0.2-6:8443`` (a port for the whole range) or addresses
    separated by commas or spaces, as the list of addresses to probe. Raises ``ValueError`` with
    a message for a person."""
    addresses: list[str] = []
    for part in text.replace(",", " ").split():
        suffix = ""
        head, colon, port = part.rpartition(":")
        if colon and "-" in head and port.isdigit():
            part, suffix = head, f":{int(port)}"
        if "-" in part:
            first, _, last = part.partition("-")
            try:
                start = ipaddress.IPv4Address(first)
            except ValueError as exc:
                raise ValueError(f"“{first}” is not an IPv4 address") from exc
            prefix = first.rsplit(".", 1)[0]
            end_text = last if "." in last else f"{prefix}.{last}"
            try:
                end = ipaddress.IPv4Address(end_text)
            except ValueError as exc:
                raise ValueError(f"“{last}” does not end a range of addresses") from exc
            if int(end) < int(start):
                raise ValueError(f"the range {part} ends before it starts")
            if int(end) - int(start) >= MAX_ADDRESSES:
                raise ValueError(f"{part} holds more than {MAX_ADDRESSES} addresses")
            addresses.extend(
                f"{ipaddress.IPv4Address(n)}{suffix}" for n in range(int(start), int(end) + 1)
            )
        else:
            GatewayAddress.parse(part)  # ValueError for a malformed address
            addresses.append(part)
        if len(addresses) > MAX_ADDRESSES:
            raise ValueError(f"more than {MAX_ADDRESSES} addresses to search")
    if not addresses:
        raise ValueError("no address to search")
    return addresses


async def fetch_fingerprint(address: str | GatewayAddress, *, timeout_s: float = 5.0) -> str:
    """SHA-256 of the certificate the gateway presents, for the user to confirm (TOFU)."""
    target = address if isinstance(address, GatewayAddress) else GatewayAddress.parse(address)
    try:
        ip = target.host if target.is_ip else await system_resolver(target.host, target.port)
        der = await read_certificate(
            ip, target.port, server_hostname=target.sni, timeout_s=timeout_s
        )
    except ConnectionRefusedError as exc:
        raise GatewayUnreachableError(str(target), "connection refused") from exc
    except TimeoutError as exc:
        raise GatewayUnreachableError(str(target), "no answer in time") from exc
    except ssl.SSLError as exc:
        refusal = tls_refusal(exc)
        if refusal is not None:
            raise SecureConnectionError(str(target), *refusal) from exc
        raise GatewayUnreachableError(str(target), "cannot read its certificate") from exc
    except OSError as exc:
        raise GatewayUnreachableError(str(target), "cannot read its certificate") from exc
    return fingerprint_of(der)


async def discover(
    addresses: Iterable[str | GatewayAddress],
    *,
    concurrency: int = 32,
    timeout_s: float = 1.5,
) -> list[DiscoveredGateway]:
    """Probe each address once, at most ``concurrency`` at a time; return the gateways found."""
    targets = [a if isinstance(a, GatewayAddress) else GatewayAddress.parse(a) for a in addresses]
    limit = asyncio.Semaphore(concurrency)
    context = pinned_context(None)

    async def probe(target: GatewayAddress) -> DiscoveredGateway | None:
        async with limit:
            return await _probe(context, target, timeout_s)

    found = await asyncio.gather(*(probe(t) for t in targets))
    return [gateway for gateway in found if gateway is not None]


async def _probe(
    context: ssl.SSLContext, target: GatewayAddress, timeout_s: float
) -> DiscoveredGateway | None:
    """One bounded ``GET /api/status``; ``None`` for anything that is not a gateway's answer."""
    transport = Http11Transport(context, limits=PROBE_LIMITS, max_connections=1)
    deadline = asyncio.get_running_loop().time() + timeout_s
    try:
        reply = await transport.request(
            "GET",
            Target(target.host, target.port, target.sni),
            "/api/status",
            [("Accept", "application/json")],
            None,
            deadline=deadline,
            connect_s=timeout_s,
            reply_s=timeout_s,
        )
    except (HttpError, ValueError):
        return None
    finally:
        await transport.aclose()
    if reply.status != 200 or nested_deeper_than(reply.body, PROBE_LIMITS.json_depth):
        return None
    try:
        status = msgspec.json.decode(reply.body, type=m.Status)
    except msgspec.MsgspecError:
        return None
    if status.din is None and not status.legacy:
        return None  # answers /api/status but is not a gateway
    return DiscoveredGateway(
        address=target,
        din=status.din,
        firmware=status.firmware,
        legacy=status.legacy,
        fingerprint=fingerprint_of(reply.peer_certificate or b""),
    )
