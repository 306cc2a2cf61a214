"""TLS for gateways: self-signed certificates, trusted by their SHA-256 fingerprint.

Gateways present self-signed certificates (often for names nobody uses), so ordinary
verification cannot work and peers turn it off. pwtray pins the certificate instead: the
context's ``sslobject_class`` compares the peer's fingerprint as the handshake completes, so a
changed certificate aborts the connection before the first byte of a request — no password, no
token, no cookie ever reaches a host that is not the gateway the user trusted. Expiry dates and
names are not checked: the pin is the trust.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl

ALPN = ["http/1.1"]


class FingerprintMismatchError(ssl.SSLCertVerificationError):
    """Raised inside the handshake when the certificate is not the pinned one."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"certificate fingerprint {actual} is not the trusted {expected}")
        self.expected = expected
        self.actual = actual


def normalize_fingerprint(text: str) -> str:
    """Accept ``AB:CD:…``, ``sha256=abcd…`` or plain hex; return lower-case hex."""
    value = text.strip().lower().removeprefix("sha256=").removeprefix("sha256:")
    value = value.replace(":", "").replace(" ", "")
    if len(value) != 64 or any(ch not in "0123456789abcdef" for ch in value):
        raise ValueError("a SHA-256 fingerprint is 64 hexadecimal digits")
    return value


def fingerprint_of(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


class _PinnedSSLObject(ssl.SSLObject):
    expected: str | None = None  # set on the per-context subclass
    seen: list[str]

    def do_handshake(self) -> None:
        super().do_handshake()
        der = self.getpeercert(binary_form=True)
        actual = fingerprint_of(der or b"")
        self.seen.append(actual)
        if self.expected is not None and actual != self.expected:
            raise FingerprintMismatchError(self.expected, actual)


class PinnedContext(ssl.SSLContext):
    """A client context that checks (or, with no pin yet, records) the peer's fingerprint."""

    seen_fingerprints: list[str]

    def pin(self, fingerprint: str | None) -> None:
        """Start requiring ``fingerprint`` on every new connection (``None``: only record)."""
        seen: list[str] = []
        self.seen_fingerprints = seen
        self.sslobject_class = type(
            "PinnedSSLObject",
            (_PinnedSSLObject,),
            {"expected": fingerprint, "seen": seen},
        )


def pinned_context(fingerprint: str | None) -> PinnedContext:
    """A TLS client context for a gateway, pinned to ``fingerprint`` when one is given."""
    context = PinnedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the pin below replaces chain verification
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(ALPN)
    context.pin(normalize_fingerprint(fingerprint) if fingerprint else None)
    return context


def find_mismatch(exc: BaseException) -> FingerprintMismatchError | None:
    """The fingerprint mismatch somewhere in an exception's chain, if that is what happened."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, FingerprintMismatchError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


async def read_certificate(
    ip: str, port: int, *, server_hostname: str | None = None, timeout_s: float = 5.0
) -> bytes:
    """The DER certificate a TLS server presents (nothing is sent after the handshake)."""
    context = pinned_context(None)
    _reader, writer = await asyncio.wait_for(
        asyncio.open_connection(ip, port, ssl=context, server_hostname=server_hostname),
        timeout_s,
    )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der: bytes | None = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
            await asyncio.wait_for(writer.wait_closed(), 1.0)
    if not der:
        raise ssl.SSLError("the server presented no certificate")
    return der
