"""Command line: ``pwtray`` (the tray app), ``pwtray --demo``, ``pwtray --selftest``,
``pwtray status`` (one-shot read for scripts). Qt is imported only when the app starts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from pwtray import __version__
from pwtray.gateway import (
    AuthenticationError,
    CertificateChangedError,
    GatewayAddress,
    GatewayClient,
    GatewayError,
    GatewayTimeoutError,
    GatewayUnavailableError,
    GatewayUnreachableError,
    GridState,
    LockedOutError,
    OperationMode,
    PermissionDeniedError,
    SecureConnectionError,
    Timeouts,
    concurrently,
    fetch_fingerprint,
    normalize_fingerprint,
)

EXIT_OK, EXIT_USAGE, EXIT_AUTH, EXIT_UNREACHABLE = 0, 2, 3, 4
EXIT_CERTIFICATE, EXIT_STOPPED, EXIT_PROTOCOL, EXIT_TLS = 5, 6, 7, 8
PASSWORD_ENV = "PWTRAY_PASSWORD"  # noqa: S105 - the variable's name, not a password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pwtray", description="Tray monitor for a Tesla Powerwall 2 / Backup Gateway."
    )
    parser.add_argument("--version", action="version", version=f"pwtray {__version__}")
    app = parser.add_argument_group("the tray app")
    app.add_argument(
        "--demo",
        action="store_true",
        help="run against a built-in simulated gateway, with throw-away history",
    )
    app.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="demo scenario (default: an outage 10 s in, back 20 s later)",
    )
    app.add_argument("--speed", type=float, default=3.0, help="demo: simulated seconds per second")
    app.add_argument("--selftest", action="store_true", help="check this installation and exit")
    app.add_argument("--host", help="gateway address (IP or name, optional :PORT)")
    app.add_argument("--fingerprint", help="the gateway certificate's trusted SHA-256")
    app.add_argument("--email", default="", help="email sent with the customer login")
    app.add_argument("--poll-seconds", type=float, default=None, help="fast poll interval")
    app.add_argument(
        "--mute",
        action="append",
        default=[],
        metavar="KIND",
        help="do not notify this event kind (e.g. grid_restored); repeatable",
    )
    app.add_argument("--autostart", choices=("on", "off"), help="start pwtray at login, or not")
    app.add_argument("--verbose", action="store_true", help="log everything, also to stderr")
    app.add_argument("--instance-key", help=argparse.SUPPRESS)  # tests: a private single instance
    commands = parser.add_subparsers(dest="command")
    status = commands.add_parser(
        "status",
        help="read the gateway once and print its state",
        description=(
            "Read the gateway once. The password comes from the PWTRAY_PASSWORD environment "
            "variable, or a prompt. Exit codes: 0 ok, 2 usage, 3 login refused or locked out "
            "(or a reading this login may not make), 4 unreachable or no complete answer "
            "within --timeout, 5 certificate changed, 6 Powerwalls stopped, 7 a reply it "
            "cannot read (malformed, too large, nested too deep, values out of range), 8 no "
            "secure connection (the device offers only outdated TLS, or not TLS)."
        ),
    )
    status.add_argument("--host", required=True, help="gateway address: IP or name, optional :PORT")
    status.add_argument("--email", default="", help="email sent with the customer login")
    trust = status.add_mutually_exclusive_group(required=True)
    trust.add_argument("--fingerprint", help="the gateway certificate's trusted SHA-256")
    trust.add_argument(
        "--trust-on-first-use",
        action="store_true",
        help="trust whatever certificate the gateway presents now (prints its fingerprint)",
    )
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        help="seconds to wait for each reply; the whole read ends within 1.5 times this",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "status":
        return status_command(args, sys.stdout, sys.stderr)
    if args.autostart:
        from pwtray.settings import autostart

        if args.autostart == "on":
            print(f"pwtray will start at login ({autostart.enable() or 'registry'})")
        else:
            autostart.disable()
            print("pwtray will no longer start at login")
        return EXIT_OK
    if args.selftest:
        from pwtray.ui.selftest import run_selftest

        return run_selftest()
    return app_command(args)


def app_command(args: argparse.Namespace) -> int:
    from pwtray.monitor import EventKind
    from pwtray.ui.app import AppOptions, run_app

    try:
        muted = frozenset(EventKind(kind) for kind in args.mute)
    except ValueError:
        known = ", ".join(kind.value for kind in EventKind)
        print(f"pwtray: --mute takes one of: {known}", file=sys.stderr)
        return EXIT_USAGE
    password = os.environ.get(PASSWORD_ENV)  # else the keyring, for the configured gateway
    options = AppOptions(
        demo=args.demo,
        scenarios=args.scenario,
        speed=args.speed,
        host=args.host,
        fingerprint=normalize_fingerprint(args.fingerprint) if args.fingerprint else None,
        email=args.email,
        password=password,
        poll_s=args.poll_seconds or (2.0 if args.demo else None),
        muted=muted,
        verbose=args.verbose,
        instance_key=args.instance_key,
    )
    return run_app(options)


def status_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        address = GatewayAddress.parse(args.host)
        fingerprint = normalize_fingerprint(args.fingerprint) if args.fingerprint else None
    except ValueError as exc:
        print(f"pwtray status: {exc}", file=err)
        return EXIT_USAGE
    password = os.environ.get(PASSWORD_ENV)
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(f"Customer password for the gateway at {address}: ")
    try:
        reading = asyncio.run(_read(address, password, args.email, fingerprint, args.timeout))
    except GatewayError as exc:
        print(f"pwtray status: {exc}", file=err)
        if isinstance(exc, AuthenticationError) and password is None:
            print(f"pwtray status: set {PASSWORD_ENV} to the customer password.", file=err)
        return _exit_code(exc)
    if args.json:
        print(json.dumps(reading), file=out)
    else:
        print(_as_text(reading), file=out)
    return EXIT_OK


async def _read(
    address: GatewayAddress,
    password: str | None,
    email: str,
    fingerprint: str | None,
    timeout_s: float,
) -> dict[str, Any]:
    if fingerprint is None:
        fingerprint = await fetch_fingerprint(address, timeout_s=timeout_s)
    timeouts = Timeouts(connect_s=min(3.0, timeout_s), read_s=timeout_s, total_s=timeout_s)
    budget_s = 1.5 * timeout_s  # a status probe, a login and the reads, each within timeout_s
    async with GatewayClient(
        address, password=password, email=email, fingerprint=fingerprint, timeouts=timeouts
    ) as gateway:
        try:
            async with asyncio.timeout(budget_s):
                await gateway.generation()
                meters, soe, grid, operation, status = await concurrently(
                    gateway.meters_aggregates(),
                    gateway.soe(),
                    gateway.grid_status(),
                    gateway.operation(),
                    gateway.status(),
                )
        except TimeoutError as exc:
            raise GatewayTimeoutError(str(address), "", budget_s, "total") from exc
    return {
        "soe": round(soe.app_percent, 1),
        "grid_status": grid.grid_status,
        "site_w": meters.site.instant_power,
        "battery_w": meters.battery.instant_power,
        "load_w": meters.load.instant_power,
        "solar_w": meters.solar.instant_power,
        "mode": operation.mode,
        "reserve_percent": round(operation.reserve_app_percent, 1),
        "firmware": status.firmware,
        "fingerprint": fingerprint,
    }


def _as_text(reading: dict[str, Any]) -> str:
    def kw(watts: float) -> str:
        return f"{watts / 1000:+.2f} kW"

    battery_w = reading["battery_w"]
    direction = "discharging" if battery_w > 20 else "charging" if battery_w < -20 else "idle"
    try:
        mode = OperationMode(reading["mode"]).label
    except ValueError:
        mode = reading["mode"]
    lines = [
        ("Battery", f"{reading['soe']:.0f} %"),
        ("Grid", GridState.parse(reading["grid_status"]).label),
        ("Solar", kw(reading["solar_w"])),
        ("Home", kw(reading["load_w"])),
        ("Powerwall", f"{kw(battery_w)} ({direction})"),
        ("Grid power", f"{kw(reading['site_w'])} (+ import, - export)"),
        ("Mode", f"{mode}, backup reserve {reading['reserve_percent']:.0f} %"),
        ("Firmware", reading["firmware"]),
        ("Certificate", f"sha256={reading['fingerprint']}"),
    ]
    return "\n".join(f"{name:<12}{value}" for name, value in lines)


def _exit_code(exc: GatewayError) -> int:
    if isinstance(exc, AuthenticationError | LockedOutError | PermissionDeniedError):
        return EXIT_AUTH
    if isinstance(exc, CertificateChangedError):
        return EXIT_CERTIFICATE
    if isinstance(exc, SecureConnectionError):
        return EXIT_TLS
    if isinstance(exc, GatewayUnavailableError) and exc.sitemaster_stopped:
        return EXIT_STOPPED
    if isinstance(exc, GatewayUnreachableError | GatewayUnavailableError):
        return EXIT_UNREACHABLE
    return EXIT_PROTOCOL


if __name__ == "__main__":
    raise SystemExit(main())
