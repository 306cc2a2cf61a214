"""Everything that can go wrong talking to Tesla's cloud, as one typed tree.

::

    CloudError                          any failure; str() is a message for a person
    ├── CloudUnreachableError           DNS, refused, timed out, reset: no internet, or Tesla down
    │   └── CloudCertificateError       the server's certificate is not trusted; nothing was sent
    ├── SignInRequiredError             not signed in, or Tesla refuses the sign-in: sign in again
    ├── SignInFailedError               a sign-in did not complete (declined, timed out, refused)
    ├── MissingScopeError               403: the sign-in did not grant a permission pwtray needs
    ├── SiteOfflineError                408/503/504: Tesla cannot reach the Powerwall right now
    ├── CloudUnavailableError           500/502/other 5xx: Tesla's servers are failing
    ├── RateLimitedError                429: too many requests; no request before ``until``
    ├── SiteNotFoundError               the account has no such energy site (404, or none at all)
    ├── SiteChoiceRequiredError         several sites and none matches the gateway: ask the user
    ├── CommandRefusedError             Tesla understood and said no (400/412/422…): its reason
    ├── CommandNotConfirmedError        accepted, but reading back shows another value
    └── CloudProtocolError              a body pwtray cannot read (bad JSON, wrong shape, too big)

Callers branch on the type, never on the text. No message ever holds a token, a code or a
client secret: messages are built from fixed words, endpoint paths and numbers, plus Tesla's
own error words (which carry no credentials).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence


class CloudError(Exception):
    """Base of every error raised by :mod:`pwtray.cloud`."""


class CloudUnreachableError(CloudError):
    def __init__(self, host: str, reason: str, message: str | None = None) -> None:
        self.host = host
        self.reason = reason
        super().__init__(
            message
            or f"Cannot reach Tesla's cloud at {host} ({reason}). Check this computer's "
            "internet connection; the Powerwall keeps working and pwtray keeps reading it locally."
        )


class CloudCertificateError(CloudUnreachableError):
    def __init__(self, host: str) -> None:
        super().__init__(
            host,
            "its certificate is not trusted",
            f"The server at {host} did not present a certificate this computer trusts, so "
            "nothing was sent to it. A network that intercepts secure connections (some "
            "company or hotel networks) can cause this.",
        )


class SignInRequiredError(CloudError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"Sign in to your Tesla account again: {reason}. Until then pwtray changes settings "
            "only where the gateway allows it locally."
        )


class SignInFailedError(CloudError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"Signing in to Tesla did not complete: {reason}.")


SCOPE_WORDS = {
    # Tesla's names for them on its consent page (developer.tesla.com, Authentication).
    "energy_device_data": "Energy Product Information",
    "energy_cmds": "Energy Product Settings",
}


class MissingScopeError(CloudError):
    def __init__(self, endpoint: str, scope: str, reason: str = "") -> None:
        self.endpoint = endpoint
        self.scope = scope
        self.reason = reason
        said = f" (Tesla said: {reason})" if reason else ""
        super().__init__(
            f"Tesla refused {endpoint}: your sign-in does not include the permission "
            f'"{SCOPE_WORDS.get(scope, scope)}" ({scope}){said}. Sign in again and leave '
            "that permission ticked on Tesla's page."
        )


class SiteOfflineError(CloudError):
    def __init__(self, endpoint: str, status: int) -> None:
        self.endpoint = endpoint
        self.status = status
        super().__init__(
            f"Tesla's cloud cannot reach your Powerwall right now (HTTP {status} from "
            f"{endpoint}). The gateway may be offline or its internet connection down; "
            "try again later."
        )


class CloudUnavailableError(CloudError):
    def __init__(self, endpoint: str, status: int) -> None:
        self.endpoint = endpoint
        self.status = status
        super().__init__(
            f"Tesla's cloud is failing (HTTP {status} from {endpoint}). Try again later."
        )


class RateLimitedError(CloudError):
    def __init__(self, endpoint: str, retry_after_s: float, until: dt.datetime) -> None:
        self.endpoint = endpoint
        self.retry_after_s = retry_after_s
        self.until = until
        super().__init__(
            f"Tesla is limiting how often this account may call its cloud. pwtray will not "
            f"ask again before {until.astimezone():%H:%M:%S} (about {retry_after_s:.0f} s)."
        )


class SiteNotFoundError(CloudError):
    def __init__(self, site_id: int | None) -> None:
        self.site_id = site_id
        if site_id is None:
            text = "This Tesla account has no Powerwall (no energy site with a battery)."
        else:
            text = (
                f"This Tesla account has no energy site {site_id}. Sign in with the account "
                "that owns the Powerwall, or choose the site again."
            )
        super().__init__(text)


class SiteChoiceRequiredError(CloudError):
    """Several energy sites and none has this gateway's DIN: ``sites`` lists them to choose."""

    def __init__(self, din: str | None, sites: Sequence[object]) -> None:
        self.din = din
        self.sites = tuple(sites)
        which = f"none has the gateway {din}" if din else "pwtray does not know which to use"
        super().__init__(
            f"This Tesla account has {len(self.sites)} energy sites and {which}. Choose the "
            "site to control."
        )


class CommandRefusedError(CloudError):
    def __init__(self, endpoint: str, status: int, reason: str = "") -> None:
        self.endpoint = endpoint
        self.status = status
        self.reason = reason
        why = f": {reason}" if reason else ""
        super().__init__(f"Tesla refused the request to {endpoint} (HTTP {status}{why}).")


class CommandNotConfirmedError(CloudError):
    def __init__(self, control: str, requested: object, reported: object) -> None:
        self.control = control
        self.requested = requested
        self.reported = reported
        super().__init__(
            f"Tesla accepted the change of {control} to {requested}, but now reports "
            f"{reported}. The change may not have taken effect."
        )


class CloudProtocolError(CloudError):
    def __init__(self, endpoint: str, path: str, problem: str) -> None:
        self.endpoint = endpoint
        self.path = path
        self.problem = problem
        super().__init__(
            f"Tesla's cloud sent a reply pwtray cannot read from {endpoint} (at {path}: "
            f"{problem}). If this keeps happening, Tesla may have changed its API."
        )
