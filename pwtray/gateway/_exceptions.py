"""Everything that can go wrong talking to a gateway, as one typed tree.

::

    GatewayError                       any failure; str() is a message for a person
    ├── GatewayUnreachableError        DNS, refused, reset, cut — retry later
    │   └── GatewayTimeoutError        no whole reply before the request's deadline (``phase``)
    ├── SecureConnectionError          the TLS handshake failed: outdated TLS only, not TLS at all…
    ├── CertificateChangedError        the pinned fingerprint did not match; nothing was sent
    ├── AuthenticationError            password rejected, or a session refused after one re-login
    ├── LockedOutError                 429: too many attempts; no request before ``until``
    ├── PermissionDeniedError          403: this login may not do that (a write, or one endpoint
    │                                  it may not read while other endpoints accept the session)
    ├── GatewayUnavailableError        502/5xx: the Powerwalls are stopped or the gateway is busy
    ├── EndpointNotSupportedError      404: this firmware does not have the endpoint
    ├── WriteNotAppliedError           a write was accepted but reading back shows otherwise
    ├── RequestRefusedError            another documented 4xx refusal (409, 412…): status + message
    └── GatewayProtocolError           a reply pwtray cannot read (bad HTTP or JSON, HTML, wrong
        │                              shape, a value out of range, JSON nested too deep)
        └── ReplyTooLargeError         headers or body over pwtray's cap (on the wire or unpacked)

Callers branch on the type, never on the text. No message ever holds a password, token or
cookie: they are built from fixed words, the endpoint and numbers only.
"""

from __future__ import annotations

import datetime as dt


class GatewayError(Exception):
    """Base of every error raised by :mod:`pwtray.gateway`."""


# What an endpoint is, for the messages people read most (refused and unapplied changes); the
# path stays in the exception's ``endpoint`` for the log and for bug reports.
ENDPOINT_WORDS = {
    "/api/operation": "the operation mode and backup reserve",
    "/api/config/completed": "saving the configuration",
    "/api/v2/islanding/mode": "going off grid or back",
    "/api/sitemaster/run": "starting the Powerwalls",
    "/api/sitemaster/stop": "stopping the Powerwalls",
    "/api/site_info/site_name": "the site name",
    "/api/meters/aggregates": "the power readings",
    "/api/system_status/soe": "the charge",
    "/api/system_status/grid_status": "the grid state",
    "/api/system_status": "the system status",
    "/api/system_status/grid_faults": "the grid faults",
    "/api/powerwalls": "the Powerwalls' list",
    "/api/networks": "the networks",
    "/api/installer": "the installer's details",
    "/api/solars": "the solar inverters",
    "/api/meters/readings": "the meters' readings",
    "/api/system/update/status": "the update status",
}


def in_words(endpoint: str) -> str:
    """``/api/operation`` as "the operation mode and backup reserve"; an endpoint without words
    as "this request (…path…)"."""
    return ENDPOINT_WORDS.get(endpoint) or f"this request ({endpoint})"


class GatewayUnreachableError(GatewayError):
    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        self.reason = reason
        super().__init__(
            f"Cannot reach the gateway at {address} ({reason}). Check that it is powered on, "
            "on the same network as this computer, and that the address is right."
        )


class GatewayTimeoutError(GatewayUnreachableError):
    """The request's deadline (connect + headers + body) passed.

    ``phase``: ``"connect"`` (no connection), ``"reply"`` (connected, nothing came back),
    ``"headers"`` or ``"body"`` (the reply started but did not finish in time), ``"total"``
    (several requests together took longer than a caller's overall budget).
    """

    def __init__(
        self, address: str, endpoint: str, deadline_s: float, phase: str, received_bytes: int = 0
    ) -> None:
        self.endpoint = endpoint
        self.deadline_s = deadline_s
        self.phase = phase
        self.received_bytes = received_bytes
        if phase == "connect":
            super().__init__(address, f"no connection within {deadline_s:g} s")
            return
        self.address = address
        if phase == "total":
            self.reason = "too slow"
            text = (
                f"The gateway at {address} did not answer all of pwtray's requests within "
                f"{deadline_s:g} s; it is answering too slowly."
            )
        elif phase == "reply":
            self.reason = "no answer in time"
            text = (
                f"The gateway at {address} took the request for {endpoint} but sent no answer in "
                f"time (within {deadline_s:g} s). It may be busy or restarting; pwtray tries again."
            )
        else:
            self.reason = "the reply came too slowly"
            text = (
                f"The gateway at {address} began answering {endpoint} but did not finish within "
                f"{deadline_s:g} s ({received_bytes} bytes arrived); pwtray stopped waiting. A "
                "gateway that answers this slowly is overloaded or something on the network is "
                "holding the reply back."
            )
        GatewayError.__init__(self, text)


class SecureConnectionError(GatewayError):
    """The TLS handshake failed for a reason other than the certificate; nothing was sent.

    ``kind``: ``"outdated-tls"`` (the device offers only TLS 1.0/1.1), ``"not-tls"`` (it does
    not speak TLS on that port), ``"handshake"`` (any other refusal; ``detail`` has OpenSSL's
    reason).
    """

    def __init__(self, address: str, kind: str, detail: str = "") -> None:
        self.address = address
        self.kind = kind
        self.detail = detail
        if kind == "outdated-tls":
            text = (
                f"The device at {address} offers only an outdated TLS version (1.0 or 1.1). pwtray "
                "needs TLS 1.2 or newer and sent nothing. Tesla gateways speak TLS 1.2: check "
                "that this address is the gateway's."
            )
        elif kind == "not-tls":
            text = (
                f"The device at {address} does not answer with a secure (TLS) connection, as a "
                "gateway does. pwtray sent nothing. Check the address and the port."
            )
        else:
            why = f" ({detail})" if detail else ""
            text = (
                f"The secure connection to {address} failed during the TLS handshake{why}. "
                "pwtray sent nothing. Check that this address is the gateway's."
            )
        super().__init__(text)


class CertificateChangedError(GatewayError):
    def __init__(self, address: str, expected: str, actual: str) -> None:
        self.address = address
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"The gateway at {address} presented a different certificate than the one you trusted "
            f"(trusted sha256 {expected[:16]}…, now {actual[:16]}…). Nothing was sent to it. If "
            "the gateway was replaced or reset, trust the new certificate in Connection… (tray "
            "menu); otherwise another device may be answering at this address."
        )


class AuthenticationError(GatewayError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "The gateway rejected the password. On current firmware this is the customer "
            "password (by default the last 5 characters of the password on the gateway's label); "
            "on firmware 1.x it is S followed by the gateway's serial number."
        )


class LockedOutError(GatewayError):
    def __init__(self, endpoint: str, retry_after_s: float, until: dt.datetime) -> None:
        self.endpoint = endpoint
        self.retry_after_s = retry_after_s
        self.until = until
        minutes = max(1, round(retry_after_s / 60))
        what = "logins" if endpoint == "/api/login/Basic" else f"requests to {endpoint}"
        super().__init__(
            f"The gateway is refusing {what} after too many attempts. pwtray will not try again "
            f"before {until.astimezone():%H:%M} (about {minutes} min); trying sooner only "
            "extends the lock-out."
        )


class PermissionDeniedError(GatewayError):
    """403 that is not the session's fault. ``read``: a reading this login may not make (the
    same session reads other endpoints), as opposed to a write it may not make."""

    def __init__(self, endpoint: str, message: str | None = None, *, read: bool = False) -> None:
        self.endpoint = endpoint
        self.read = read
        if read:
            default = (
                f"The gateway refuses {in_words(endpoint)} to this login, while it answers "
                "pwtray's other readings with the same login. pwtray goes on without this reading."
            )
        else:
            default = (
                f"The gateway refused {in_words(endpoint)} to this login. Gateways since firmware "
                "20.49 do not let a customer login change the operation mode or backup reserve "
                "locally; connect a Tesla account (Connection… in the tray menu) or use the "
                "Tesla app for that change."
            )
        super().__init__(message or default)


class GatewayUnavailableError(GatewayError):
    def __init__(self, endpoint: str, status: int) -> None:
        self.endpoint = endpoint
        self.status = status
        if status == 502:
            text = (
                "The gateway answers, but its Powerwalls are stopped (site master not running), "
                "so it has no readings. They resume when the system is started again."
            )
        else:
            text = (
                f"The gateway is busy or restarting (HTTP {status} from {endpoint}). pwtray "
                "will try again shortly."
            )
        super().__init__(text)

    @property
    def sitemaster_stopped(self) -> bool:
        return self.status == 502


class EndpointNotSupportedError(GatewayError):
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        super().__init__(f"This gateway's firmware does not offer {endpoint}.")


class WriteNotAppliedError(GatewayError):
    def __init__(self, endpoint: str, detail: str) -> None:
        self.endpoint = endpoint
        self.detail = detail
        super().__init__(
            f"The gateway accepted the change to {in_words(endpoint)}, but reading it back shows "
            f"{detail}. The change did not take effect."
        )


class RequestRefusedError(GatewayError):
    """The gateway understood the request and said no (409 conflict, 412 precondition, …).

    ``status`` and the gateway's own ``reason`` (its ``error``/``message`` text, when it sent
    one) are kept as fields; this is an ordinary answer, not a sign of changed firmware.
    """

    def __init__(self, endpoint: str, status: int, reason: str = "") -> None:
        self.endpoint = endpoint
        self.status = status
        self.reason = reason
        why = f": {reason}" if reason else ""
        super().__init__(f"The gateway refused the request to {endpoint} (HTTP {status}{why}).")


class GatewayProtocolError(GatewayError):
    def __init__(self, endpoint: str, path: str, problem: str) -> None:
        self.endpoint = endpoint
        self.path = path
        self.problem = problem
        super().__init__(
            f"The gateway sent a reply pwtray cannot read from {endpoint} (at {path}: {problem}). "
            "If this keeps happening, the firmware may have changed; please report it."
        )


class ReplyTooLargeError(GatewayProtocolError):
    """Part of a reply (``"headers"``, ``"body"``, ``"decompressed body"``) was over the cap."""

    def __init__(self, endpoint: str, part: str, limit_bytes: int) -> None:
        self.endpoint = endpoint
        self.path = part
        self.problem = f"{part} larger than {_size(limit_bytes)}"
        self.part = part
        self.limit_bytes = limit_bytes
        GatewayError.__init__(
            self,
            f"The gateway's reply to {endpoint} is larger than pwtray reads (its {part} passed "
            f"{_size(limit_bytes)}; real replies are a few kilobytes). pwtray stopped reading it.",
        )


def _size(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count} bytes"
