"""The connection doctor: one call that checks reachability, the certificate, what answers,
the login (and any lock-out) and response times, and explains each result in words.

Each step runs only when the ones it needs passed: no password is sent to a certificate that
does not match the trusted one, and no login is tried while the gateway is locking logins out.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

from pwtray.core._factory import make_client
from pwtray.gateway import (
    AuthenticationError,
    GatewayAddress,
    GatewayError,
    GatewayUnreachableError,
    Generation,
    LockedOutError,
    Timeouts,
    fetch_fingerprint,
    normalize_fingerprint,
    system_resolver,
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: not run (an earlier step failed) or nothing to check
    detail: str


@dataclass
class Diagnosis:
    checks: list[Check] = field(default_factory=list)
    fingerprint: str | None = None  # what the gateway presents now
    firmware: str | None = None
    din: str | None = None
    legacy: bool | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)


NAMES = ("Reachable", "Certificate", "Gateway", "Login", "Response times")
WHY_NOT_CHECKED = {  # the step that failed → why the later ones were not run
    "Reachable": "Not checked, because the address could not be reached.",
    "Certificate": "Not checked, because the certificate could not be confirmed.",
    "Gateway": "Not checked, because what answers is not a Tesla gateway.",
    "Login": "Not checked, because the login did not succeed.",
}


async def diagnose(
    address: str,
    *,
    fingerprint: str | None,
    password: str | None,
    email: str = "",
    timeout_s: float = 5.0,
    samples: int = 3,
) -> Diagnosis:
    result = Diagnosis()
    checks = result.checks

    def skip_rest(after: str) -> Diagnosis:
        for name in NAMES[NAMES.index(after) + 1 :]:
            checks.append(Check(name, None, WHY_NOT_CHECKED[after]))
        return result

    # 1. reachability: a TCP connection to the HTTPS port
    try:
        target = GatewayAddress.parse(address)
    except ValueError as exc:
        checks.append(Check("Reachable", False, f"“{address}” is not an address: {exc}"))
        return skip_rest("Reachable")
    started = time.perf_counter()
    try:
        ip = target.host if target.is_ip else await system_resolver(target.host, target.port)
        _, writer = await asyncio.wait_for(asyncio.open_connection(ip, target.port), timeout_s)
        writer.close()
        await writer.wait_closed()
    except (OSError, TimeoutError, GatewayError) as exc:
        reason = "no answer in time" if isinstance(exc, TimeoutError) else _os_reason(exc)
        checks.append(Check("Reachable", False, str(GatewayUnreachableError(str(target), reason))))
        return skip_rest("Reachable")
    connect_ms = (time.perf_counter() - started) * 1000
    checks.append(Check("Reachable", True, f"{target} accepts connections ({connect_ms:.0f} ms)."))

    # 2. certificate (none with http://, given on purpose for firmware 1.x: say what that means)
    if target.plain:
        checks.append(Check("Certificate", None, UNENCRYPTED))
    else:
        failed = await _check_certificate(target, fingerprint, timeout_s, result)
        if failed:
            return skip_rest("Certificate")

    # 3. what answers: /api/status needs no login
    client = make_client(
        target,
        password=password,
        email=email,
        fingerprint=result.fingerprint,
        timeouts=Timeouts(connect_s=timeout_s, read_s=timeout_s),
    )
    try:
        try:
            status = await client.status()
            generation = await client.generation()
        except GatewayError as exc:
            checks.append(Check("Gateway", False, f"It answers, but not as a Tesla gateway: {exc}"))
            return skip_rest("Gateway")
        result.firmware, result.din = status.firmware, status.din
        result.legacy = generation is Generation.LEGACY
        which = "firmware 1.x (old login)" if result.legacy else "current firmware"
        name = f"Tesla Backup Gateway {status.din}" if status.din else "Tesla Backup Gateway"
        checks.append(Check("Gateway", True, f"{name}, firmware {status.firmware} — {which}."))

        # 4. login
        if not password:
            checks.append(Check("Login", None, "No password given: the login was not tried."))
            checks.append(Check("Response times", None, "Not measured without a login."))
            return result
        try:
            await client.login()
        except LockedOutError as exc:
            checks.append(Check("Login", False, str(exc)))
            return skip_rest("Login")
        except AuthenticationError as exc:
            checks.append(Check("Login", False, str(exc)))
            return skip_rest("Login")
        except GatewayError as exc:
            checks.append(Check("Login", False, f"The login did not complete: {exc}"))
            return skip_rest("Login")
        checks.append(Check("Login", True, "The password is right; the gateway gave a session."))

        # 5. response times of the reads pwtray makes every few seconds
        times = []
        try:
            for _ in range(samples):
                began = time.perf_counter()
                await client.meters_aggregates()
                times.append((time.perf_counter() - began) * 1000)
        except GatewayError as exc:
            checks.append(Check("Response times", False, f"A reading failed: {exc}"))
            return result
        median = statistics.median(times)
        verdict = "good" if median < 500 else "slow; pwtray still works, readings come later"
        detail = (
            f"Power readings in {median:.0f} ms (median of {samples}; slowest "
            f"{max(times):.0f} ms) — {verdict}."
        )
        checks.append(Check("Response times", True, detail))
    finally:
        await client.aclose()
    return result


UNENCRYPTED = (
    "Not encrypted: the address starts with http://, so the password and the readings cross "
    "your network in the clear. Only firmware 1.x answers this way; use https:// whenever the "
    "gateway offers it."
)


async def _check_certificate(
    target: GatewayAddress, fingerprint: str | None, timeout_s: float, result: Diagnosis
) -> bool:
    """Adds the certificate check; True when it failed (the later steps must not run)."""
    checks = result.checks
    try:
        result.fingerprint = await fetch_fingerprint(target, timeout_s=timeout_s)
    except GatewayError as exc:
        checks.append(Check("Certificate", False, f"No TLS certificate could be read: {exc}"))
        return True
    now = result.fingerprint
    shown = spaced_fingerprint(now)
    if not fingerprint:
        checks.append(
            Check(
                "Certificate",
                None,
                f"Not trusted yet. The gateway presents "
                f"SHA-256 {shown}; compare it before trusting it.",
            )
        )
    elif _same(fingerprint, now):
        checks.append(Check("Certificate", True, "Matches the certificate you trusted."))
    else:
        trusted = spaced_fingerprint(fingerprint)
        checks.append(
            Check(
                "Certificate",
                False,
                (
                    f"Differs from the one you trusted (trusted {trusted[:23]}…, "
                    f"now {shown[:23]}…). No password was sent. If the gateway was replaced or "
                    "reset, trust the new certificate; otherwise another device answers at this "
                    "address."
                ),
            )
        )
        return True
    return False


def _same(trusted: str, now: str) -> bool:
    try:
        return normalize_fingerprint(trusted) == now
    except ValueError:
        return False


def spaced_fingerprint(fingerprint: str) -> str:
    """``ab12cd…`` as ``AB:12:CD…`` pairs, the way certificate viewers print it."""
    clean = fingerprint.lower().replace(":", "")
    return ":".join(clean[i : i + 2] for i in range(0, len(clean), 2)).upper()


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, GatewayError):
        return "the name does not resolve"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return "the connection failed"
