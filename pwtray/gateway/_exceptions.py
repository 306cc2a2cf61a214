"""Everything that can go wrong talking to a gateway, as one typed tree.

::

    GatewayError                       any failure; str() is a message for a person
    ├── GatewayUnreachableError        DNS, refused, timed out, reset — retry later
    ├── CertificateChangedError        the pinned fingerprint did not match; nothing was sent
    ├── AuthenticationError            password rejected, or a session refused after one re-login
    ├── LockedOutError                 429: too many attempts; no request before ``until``
    ├── PermissionDeniedError          403: this login may not do that (customer writes)
    ├── GatewayUnavailableError        502/5xx: the Powerwalls are stopped or the gateway is busy
    ├── EndpointNotSupportedError      404: this firmware does not have the endpoint
    ├── WriteNotAppliedError           a write was accepted but reading back shows otherwise
    ├── RequestRefusedError            another documented 4xx refusal (409, 412…): status + message
    └── GatewayProtocolError           a body pwtray cannot read (bad JSON, HTML, wrong shape)

Callers branch on the type, never on the text. No message ever holds a password, token or
cookie: they are built from fixed words, the endpoint and numbers only.
"""

from __future__ import annotations

import datetime as dt


class GatewayError(Exception):
    """Base of every error raised by :mod:`pwtray.gateway`."""


class GatewayUnreachableError(GatewayError):
    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        self.reason = reason
        super().__init__(
            f"Cannot reach the gateway at {address} ({reason}). Check that it is powered on, "
            "on the same network as this computer, and that the address is right."
        )


class CertificateChangedError(GatewayError):
    def __init__(self, address: str, expected: str, actual: str) -> None:
        self.address = address
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"The gateway at {address} presented a different certificate than the one you trusted "
            f"(trusted sha256 {expected[:16]}…, now {actual[:16]}…). Nothing was sent to it. If "
            "the gateway was replaced or reset, trust the new certificate in Connection settings; "
            "otherwise another device may be answering at this address."
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
    def __init__(self, endpoint: str, message: str | None = None) -> None:
        self.endpoint = endpoint
        super().__init__(
            message
            or f"The gateway refused {endpoint} for this login. Gateways since firmware 20.49 do "
            "not let a customer login change the operation mode or backup reserve locally; use "
            "the Tesla app for that change."
        )


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
            f"The gateway accepted the change to {endpoint}, but reading it back shows {detail}. "
            "The change did not take effect."
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
