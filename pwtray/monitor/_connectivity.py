"""How the monitor stands with the gateway: one pure ``next_state`` function (DESIGN.md §3).

::

    connecting ──ok──► online ◄──ok── stale ──(failing offline_after_s)──► offline
        │                 │  └──failure──►┘
        │                 ├──rejected password──► auth_required   (waits for the user)
        │                 ├──changed certificate──► certificate_changed   (waits for the user)
        │                 ├──429──► locked_out(until)   (waits until then)
        │                 ├──502──► gateway_stopped   (Powerwalls stopped; keeps reading)
        └─────────────────┴──a fault in pwtray itself──► internal_error   (keeps reading)

Any state goes back to ``online`` with the first cycle whose essential reads succeed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from pwtray.gateway import (
    AuthenticationError,
    CertificateChangedError,
    GatewayError,
    GatewayUnavailableError,
    LockedOutError,
)
from pwtray.monitor._snapshot import Connectivity


class OutcomeKind(enum.Enum):
    OK = "ok"  # the essential reads answered
    GATEWAY = "gateway"  # they failed with a gateway error
    INTERNAL = "internal"  # pwtray itself failed (a bug, or the machine: memory, …)
    TIMED_OUT = "timed_out"  # the cycle did not finish within its deadline (watchdog)


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    error: BaseException | None = None

    @classmethod
    def ok(cls) -> Outcome:
        return cls(OutcomeKind.OK)


@dataclass(frozen=True)
class Link:
    """The state machine's state: where we stand and since when."""

    connectivity: Connectivity = Connectivity.CONNECTING
    error: BaseException | None = None  # why, when not online (no traceback kept)
    failures: int = 0  # failed cycles in a row
    failing_since: float | None = None  # wall time of the first of them
    last_success: float | None = None  # wall time of the last good cycle
    locked_until: float | None = None  # wall time a lock-out ends


def classify(error: BaseException | None, kind: OutcomeKind) -> Connectivity:
    if kind is OutcomeKind.INTERNAL:
        return Connectivity.INTERNAL_ERROR
    if isinstance(error, CertificateChangedError):
        return Connectivity.CERTIFICATE_CHANGED
    if isinstance(error, LockedOutError):
        return Connectivity.LOCKED_OUT
    if isinstance(error, AuthenticationError):
        return Connectivity.AUTH_REQUIRED
    if isinstance(error, GatewayUnavailableError) and error.sitemaster_stopped:
        return Connectivity.GATEWAY_STOPPED
    return Connectivity.STALE


def next_state(link: Link, outcome: Outcome, wall: float, offline_after_s: float) -> Link:
    """The link after a cycle that ended with ``outcome`` at wall time ``wall``."""
    if outcome.kind is OutcomeKind.OK:
        return Link(Connectivity.ONLINE, last_success=wall)
    failing_since = link.failing_since if link.failing_since is not None else wall
    connectivity = classify(outcome.error, outcome.kind)
    if connectivity is Connectivity.STALE and wall - failing_since >= offline_after_s:
        connectivity = Connectivity.OFFLINE
    locked_until = None
    if isinstance(outcome.error, LockedOutError):
        locked_until = wall + outcome.error.retry_after_s
    error = outcome.error
    if error is not None:
        error = error.with_traceback(None)  # keep the reason, not the frames it held
    return replace(
        link,
        connectivity=connectivity,
        error=error,
        failures=link.failures + 1,
        failing_since=failing_since,
        locked_until=locked_until,
    )


def decisive(errors: list[BaseException]) -> BaseException | None:
    """Of the essential reads' errors, the one that says most about the gateway as a whole."""
    order = (CertificateChangedError, LockedOutError, AuthenticationError, GatewayUnavailableError)
    for kind in order:
        for error in errors:
            if isinstance(error, kind):
                return error
    gateway = [e for e in errors if isinstance(e, GatewayError)]
    return gateway[0] if gateway else (errors[0] if errors else None)
