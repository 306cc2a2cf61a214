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
from pwtray.core import CliOptions, StatusReading, read_status
from pwtray.core.words import explain, grid_label, mode_label, reserve_not_changed
from pwtray.gateway import (
    AuthenticationError,
    CertificateChangedError,
    GatewayAddress,
    GatewayError,
    GatewayProtocolError,
    GatewayUnavailableError,
    GatewayUnreachableError,
    LockedOutError,
    SecureConnectionError,
    normalize_fingerprint,
)
from pwtray.kinds import EventKind
from pwtray.monitor import FLOW_W, Connectivity, Health, Snapshot

# One table for every command (README "Exit codes").
EXIT_OK, EXIT_USAGE, EXIT_AUTH, EXIT_UNREACHABLE = 0, 2, 3, 4
EXIT_CERTIFICATE, EXIT_STOPPED, EXIT_PROTOCOL = 5, 6, 7
EXIT_REFUSED, EXIT_CLOUD = 8, 9  # pwtray set: the gateway refused and no cloud took it / cloud
EXIT_INTERNAL, EXIT_TLS, EXIT_NO_DESKTOP = 10, 11, 12
PASSWORD_ENV = "PWTRAY_PASSWORD"  # noqa: S105 - the variable's name, not a password
EXIT_CODES = (
    "Exit codes: 0 the grid state and the charge were read (parts that could not be read are "
    "listed), 2 usage, 3 login refused or locked out, 4 unreachable or no answer in time, "
    "5 certificate changed, 6 Powerwalls stopped, 7 a reply pwtray cannot read (malformed, "
    "too large, nested too deep, a value out of range), 10 an internal error, 11 no secure "
    "connection (the device offers only outdated TLS, or not TLS)."
)
HEALTH_WORDS = {
    Health.MISSING: "not offered by this firmware",
    Health.REFUSED: "refused to this login",
    Health.NEEDS_LOGIN: "needs the gateway password",
    Health.UNREADABLE: "a reply pwtray cannot read",
    Health.FAILING: "no answer",
}


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
        help="demo scenario (default: the grid fails about 10 s in and is back about 30 s later)",
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
    app.add_argument(
        "--nut",
        nargs="?",
        const="127.0.0.1:3493",
        metavar="[HOST:]PORT",
        help="serve the Powerwall as a UPS to NUT clients (upsmon, NAS) on this address "
        "(default 127.0.0.1:3493); beyond this computer only with allowed clients in the settings",
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
            "variable, or a prompt when the gateway asks for a login (firmware 1.x reads "
            "without one). " + EXIT_CODES
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
    status.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for replies")
    _add_cloud_commands(commands)
    _add_set_command(commands)
    for option, help_text in (
        ("--cloud-url", "the Tesla Fleet API (scripts and tests: a simulated cloud)"),
        ("--cloud-ca", "trust this CA file for the cloud instead of the system's"),
        ("--client-id", "the client ID of your Tesla developer application"),
    ):
        app.add_argument(option, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "status":
        return status_command(args, sys.stdout, sys.stderr)
    if args.command == "cloud":
        return cloud_command(args, sys.stdout, sys.stderr)
    if args.command == "set":
        return set_command(args, sys.stdout, sys.stderr)
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
    from pwtray.ui.app import run_app

    try:
        muted = frozenset(EventKind(kind) for kind in args.mute)
    except ValueError:
        known = ", ".join(kind.value for kind in EventKind)
        print(f"pwtray: --mute takes one of: {known}", file=sys.stderr)
        return EXIT_USAGE
    try:
        fingerprint = normalize_fingerprint(args.fingerprint) if args.fingerprint else None
    except ValueError as exc:
        print(f"pwtray: --fingerprint: {exc}", file=sys.stderr)
        return EXIT_USAGE
    cli = CliOptions(
        demo=args.demo,
        scenarios=tuple(args.scenario),
        speed=args.speed,
        host=args.host,
        fingerprint=fingerprint,
        email=args.email or None,
        password=os.environ.get(PASSWORD_ENV),  # else the keyring, for the configured gateway
        poll_s=args.poll_seconds,
        muted=muted,
        verbose=args.verbose,
        instance_key=args.instance_key,
        nut=args.nut,
        cloud_url=args.cloud_url,
        cloud_ca=args.cloud_ca,
        client_id=args.client_id,
        cloud_refresh_token=os.environ.get(CLOUD_TOKEN_ENV),
    )
    return run_app(cli)


def status_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        address = GatewayAddress.parse(args.host)
        fingerprint = normalize_fingerprint(args.fingerprint) if args.fingerprint else None
    except ValueError as exc:
        print(f"pwtray status: {exc}", file=err)
        return EXIT_USAGE
    password = os.environ.get(PASSWORD_ENV)

    def read(password: str | None) -> StatusReading:
        return asyncio.run(
            read_status(
                address,
                password=password,
                email=args.email,
                fingerprint=fingerprint,
                timeout_s=args.timeout,
            )
        )

    try:
        reading = read(password)
        asked = reading.snapshot.connectivity is Connectivity.AUTH_REQUIRED
        if asked and password is None and sys.stdin.isatty():
            password = getpass.getpass(f"Customer password for the gateway at {address}: ")
            reading = read(password)
    except GatewayError as exc:  # before any reading: the certificate could not be fetched
        print(f"pwtray status: {explain(exc)}", file=err)
        return exit_code(exc)
    snapshot = reading.snapshot
    if snapshot.connectivity is not Connectivity.ONLINE:
        print(f"pwtray status: {explain(snapshot.problem)}", file=err)
        if snapshot.connectivity is Connectivity.AUTH_REQUIRED and password is None:
            print(f"pwtray status: set {PASSWORD_ENV} to the gateway's password.", file=err)
        return exit_code(snapshot.problem)
    if snapshot.grid is None and snapshot.soe_percent is None:
        print(
            "pwtray status: this gateway reports neither the grid state nor a battery (a Tesla "
            "solar inverter without a Powerwall?); there is nothing for pwtray to watch.",
            file=err,
        )
        return EXIT_PROTOCOL
    if args.json:
        print(json.dumps(as_json(reading)), file=out)
    else:
        print(as_text(reading), file=out)
    return EXIT_OK


def as_json(reading: StatusReading) -> dict[str, Any]:
    s = reading.snapshot
    return {
        "soe": None if s.soe_percent is None else round(s.soe_percent, 1),
        "grid_status": s.grid.value if s.grid else None,
        "site_w": s.site_w,
        "battery_w": s.battery_w,
        "load_w": s.load_w,
        "solar_w": s.solar_w,
        "mode": s.mode_raw,
        "reserve_percent": s.reserve_percent,
        "firmware": s.firmware,
        "fingerprint": reading.fingerprint,
        "unread": {name: health.value for name, health in reading.unread.items()},
    }


def as_text(reading: StatusReading) -> str:
    s = reading.snapshot

    def kw(watts: float | None) -> str:
        return "unknown" if watts is None else f"{watts / 1000:+.2f} kW"

    lines = [
        ("Battery", "unknown" if s.soe_percent is None else f"{s.soe_percent:.0f} %"),
        ("Grid", grid_label(s.grid)),
        ("Solar", kw(s.solar_w)),
        ("Home", kw(s.load_w)),
        ("Powerwall", f"{kw(s.battery_w)} ({_direction(s)})"),
        ("Grid power", f"{kw(s.site_w)} (+ import, - export)"),
        ("Mode", _mode(s)),
        ("Firmware", s.firmware or "unknown"),
        ("Certificate", f"sha256={reading.fingerprint}"),
    ]
    for name, health in sorted(reading.unread.items()):
        lines.append(("Not read", f"{name}: {HEALTH_WORDS[health]}"))
    return "\n".join(f"{name:<12}{value}" for name, value in lines)


def _direction(s: Snapshot) -> str:
    if s.battery_w is None:
        return "unknown"
    if abs(s.battery_w) < FLOW_W:
        return "idle"
    return "discharging" if s.battery_w > 0 else "charging"


def _mode(s: Snapshot) -> str:
    if not s.mode_raw:
        return "unknown"
    reserve = "" if s.reserve_percent is None else f", backup reserve {s.reserve_percent:.0f} %"
    return f"{mode_label(s.mode or s.mode_raw)}{reserve}"


def exit_code(problem: BaseException | None) -> int:
    """The documented exit code for why a reading failed."""
    if isinstance(problem, AuthenticationError | LockedOutError):
        return EXIT_AUTH
    if isinstance(problem, CertificateChangedError):
        return EXIT_CERTIFICATE
    if isinstance(problem, SecureConnectionError):
        return EXIT_TLS
    if isinstance(problem, GatewayUnavailableError) and problem.sitemaster_stopped:
        return EXIT_STOPPED
    if isinstance(problem, GatewayUnreachableError | GatewayUnavailableError):
        return EXIT_UNREACHABLE
    if isinstance(problem, GatewayError):
        return EXIT_PROTOCOL if isinstance(problem, GatewayProtocolError) else EXIT_UNREACHABLE
    return EXIT_INTERNAL


# ---------------------------------------------------------------------- pwtray cloud …
EXIT_CLOUD = 9
CLOUD_TOKEN_ENV = "PWTRAY_CLOUD_REFRESH_TOKEN"  # noqa: S105 - the variable's name, not a token


def _add_cloud_commands(commands: Any) -> None:
    from pwtray.cloud import DEFAULT_AUTH_URL, DEFAULT_CLOUD_URL

    cloud = commands.add_parser(
        "cloud",
        help="connect pwtray to your Tesla account (Fleet API), show or end that connection",
        description=(
            "Tesla's cloud is used only for changes the gateway refuses locally; its calls are "
            "metered, so pwtray never polls it. Tokens live in the system keyring. Exit codes: "
            "0 ok, 2 usage, 3 sign-in needed or refused, 4 unreachable, 9 other cloud error."
        ),
    )
    actions = cloud.add_subparsers(dest="cloud_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--client-id", required=True, help="your app's client ID (developer.tesla.com)"
    )
    common.add_argument("--cloud-url", default=DEFAULT_CLOUD_URL, help="Fleet API base URL")
    common.add_argument("--auth-url", default=DEFAULT_AUTH_URL, help="Tesla sign-in base URL")
    common.add_argument("--cloud-ca", help="trust this CA file instead of the system's")
    common.add_argument("--din", help="the local gateway's DIN, to pick the site")
    login = actions.add_parser(
        "login",
        parents=[common],
        help="sign in (browser, or --paste a refresh token)",
        description="Sign in in the browser, or with --paste a refresh token from "
        f"{CLOUD_TOKEN_ENV} or a prompt.",
    )
    login.add_argument("--paste", action="store_true", help="use a refresh token got elsewhere")
    login.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port of your registered http://localhost:PORT/callback",
    )
    status = actions.add_parser(
        "status", parents=[common], help="read the site's settings from Tesla's cloud once"
    )
    status.add_argument("--json", action="store_true", help="print one JSON object")
    actions.add_parser("logout", help="forget the Tesla tokens (keyring)")


def cloud_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pwtray.cloud import CloudError
    from pwtray.core import CloudTokens
    from pwtray.core.words import sign_in_keyring_text
    from pwtray.settings import KeyringSecrets, KeyringTokenStore

    keyring = KeyringTokenStore(KeyringSecrets())  # blocking is fine here: no event loop waits
    try:
        if args.cloud_command == "logout":
            keyring.clear()
            if keyring.problem is not None:
                return EXIT_CLOUD
            print("Signed out: the Tesla tokens are gone from the keyring.", file=out)
            return EXIT_OK
        result = asyncio.run(_cloud(args, CloudTokens(keyring), out, err))
    except ValueError as exc:
        print(f"pwtray cloud: {exc}", file=err)
        return EXIT_USAGE
    except CloudError as exc:
        print(f"pwtray cloud: {exc}", file=err)
        return _cloud_exit_code(exc)
    finally:
        if keyring.problem is not None:
            print(f"pwtray cloud: {sign_in_keyring_text(keyring.problem)}", file=err)
    return result


async def _cloud(args: argparse.Namespace, store: Any, out: TextIO, err: TextIO) -> int:
    import webbrowser

    from pwtray.cloud import FleetClient, sign_in_with_browser, sign_in_with_refresh_token

    urls = {"auth_url": args.auth_url, "ca_path": args.cloud_ca}
    pasted = os.environ.get(CLOUD_TOKEN_ENV)
    if args.cloud_command == "login" and args.paste and not pasted:
        pasted = getpass.getpass("Refresh token (not shown): ")
    if pasted and (args.cloud_command == "status" or args.paste):
        await sign_in_with_refresh_token(args.client_id, pasted, store, **urls)
    elif args.cloud_command == "login":

        def open_browser(url: str) -> None:
            print(f"Opening Tesla's sign-in page. If no browser opens, visit:\n  {url}", file=err)
            webbrowser.open(url)

        await sign_in_with_browser(
            args.client_id,
            store,
            open_browser=open_browser,
            port=args.port,
            cloud_url=args.cloud_url,
            **urls,
        )
    async with FleetClient(args.client_id, store, cloud_url=args.cloud_url, **urls) as client:
        choice = await client.connect(args.din)
        if args.cloud_command == "login":
            matched = "" if choice.matched_din or not args.din else " (its DIN is not --din)"
            print(
                f"Signed in. Site: {choice.site.name} (energy site {choice.site.site_id}, "
                f"gateway {choice.site.gateway_din}){matched}; region {client.cloud_url}",
                file=out,
            )
            return EXIT_OK
        settings = await client.read_settings()
    reading = {f: getattr(settings, f) for f in settings.__struct_fields__}
    reading["gateway_dins"] = list(settings.gateway_dins)
    if args.json:
        print(json.dumps(reading), file=out)
    else:
        print("\n".join(f"{name:<24}{value}" for name, value in reading.items()), file=out)
    return EXIT_OK


def _cloud_exit_code(exc: Exception) -> int:
    from pwtray.cloud import CloudUnreachableError, SignInFailedError, SignInRequiredError

    if isinstance(exc, SignInRequiredError | SignInFailedError):
        return EXIT_AUTH
    if isinstance(exc, CloudUnreachableError):
        return EXIT_UNREACHABLE
    return EXIT_CLOUD


# ---------------------------------------------------------------------- pwtray set …
SET_CONTROLS = ("mode", "reserve", "storm-watch", "grid-charging", "export")
MODE_WORDS = {
    "self-powered": "self_consumption",
    "self_consumption": "self_consumption",
    "time-based": "autonomous",
    "autonomous": "autonomous",
    "backup-only": "backup",
    "backup": "backup",
}
EXPORT_WORDS = {"everything": "battery_ok", "solar-only": "pv_only", "none": "never"}


def _add_set_command(commands: Any) -> None:
    change = commands.add_parser(
        "set",
        help="change a setting of the Powerwall: locally, else through the Tesla cloud",
        description=(
            "Change mode, reserve, Storm Watch, grid charging or exports. The gateway is asked "
            "first; where it refuses a customer login (current firmware) and a Tesla account "
            "is connected, the Tesla cloud makes the change, and pwtray waits until the "
            "gateway itself shows it. Storm Watch, grid charging and exports exist only in "
            "the cloud. The gateway is the one set up in pwtray, or --host/--fingerprint; the "
            "password comes from PWTRAY_PASSWORD or the keyring, the cloud's refresh token "
            "from PWTRAY_CLOUD_REFRESH_TOKEN or the keyring. "
            + EXIT_CODES.replace(
                "10 an internal",
                "8 refused by the gateway with no Tesla account connected, "
                "9 a Tesla cloud error, 10 an internal",
            )
        ),
    )
    change.add_argument("control", choices=SET_CONTROLS)
    change.add_argument(
        "value",
        help="mode: self-powered|time-based|backup-only; reserve: percent (0-100, tenths "
        "allowed locally); storm-watch, grid-charging: on|off; export: everything|solar-only|none",
    )
    change.add_argument(
        "--via",
        choices=("auto", "local", "cloud"),
        default="auto",
        help="which path may make the change (default: the gateway, else cloud)",
    )
    change.add_argument(
        "--wait",
        type=float,
        default=600.0,
        metavar="S",
        help="seconds to wait for the gateway to show a cloud change (600)",
    )
    change.add_argument("--host", help="gateway address (default: the one set up in pwtray)")
    change.add_argument("--fingerprint", help="the gateway certificate's trusted SHA-256")
    change.add_argument("--email", default=None, help="email sent with the customer login")
    change.add_argument("--cloud-url", help="the Tesla Fleet API (tests: the simulated cloud)")
    change.add_argument("--cloud-ca", help="trust this CA file for the cloud")
    change.add_argument("--client-id", help="the client ID of your Tesla developer application")


def set_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pwtray.cloud import CloudError, SignInRequiredError
    from pwtray.core import (
        ChangeRefusedError,
        NoCloudAccountError,
        NotSetUpError,
        ReserveNotChangedError,
        Via,
    )

    try:
        fingerprint = normalize_fingerprint(args.fingerprint) if args.fingerprint else None
        change = _parse_change(args.control, args.value)
    except ValueError as exc:
        print(f"pwtray set: {exc}", file=err)
        return EXIT_USAGE
    cli = CliOptions(
        host=args.host,
        fingerprint=fingerprint,
        email=args.email,
        password=os.environ.get(PASSWORD_ENV),
        cloud_url=args.cloud_url,
        cloud_ca=args.cloud_ca,
        client_id=args.client_id,
        cloud_refresh_token=os.environ.get(CLOUD_TOKEN_ENV),
    )
    try:
        work = _apply_change(cli, args.control, change, Via(args.via), args.wait, err)
        line = asyncio.run(work)
    except NotSetUpError as exc:
        print(f"pwtray set: {exc}", file=err)
        return EXIT_USAGE
    except ChangeRefusedError as exc:
        hint = (
            ""
            if exc.cloud_connected
            else " Connect a Tesla account (pwtray cloud login) to "
            "make this change through Tesla's cloud."
        )
        print(f"pwtray set: {explain(exc.refusal)}{hint}", file=err)
        return EXIT_REFUSED
    except NoCloudAccountError:
        print(
            "pwtray set: this change needs a Tesla account: run pwtray cloud login first.", file=err
        )
        return EXIT_REFUSED
    except SignInRequiredError as exc:
        print(f"pwtray set: {exc}", file=err)
        return EXIT_AUTH
    except ReserveNotChangedError as exc:
        print(f"pwtray set: {reserve_not_changed(exc)}", file=err)
        return EXIT_CLOUD
    except CloudError as exc:
        print(f"pwtray set: {exc}", file=err)
        return EXIT_CLOUD
    except GatewayError as exc:
        print(f"pwtray set: {explain(exc)}", file=err)
        return exit_code(exc)
    code, text = line
    print(text, file=out if code == EXIT_OK else err)
    return code


def _parse_change(control: str, value: str) -> Any:
    from pwtray.gateway import OperationMode

    word = value.strip().lower()
    if control == "mode":
        if word not in MODE_WORDS:
            raise ValueError(f"mode is one of self-powered, time-based, backup-only, not {value}")
        return OperationMode(MODE_WORDS[word])
    if control == "reserve":
        try:
            percent = float(word.rstrip("%"))
        except ValueError:
            raise ValueError(f"reserve is a percent from 0 to 100, not {value}") from None
        if not 0 <= percent <= 100:
            raise ValueError(f"reserve is a percent from 0 to 100, not {value}")
        return percent
    if control in ("storm-watch", "grid-charging"):
        if word not in ("on", "off"):
            raise ValueError(f"{control} is on or off, not {value}")
        return word == "on"
    if word not in EXPORT_WORDS:
        raise ValueError(f"export is one of everything, solar-only, none, not {value}")
    return EXPORT_WORDS[word]


async def _apply_change(
    cli: CliOptions, control: str, change: Any, via: Any, wait_s: float, err: TextIO
) -> tuple[int, str]:
    from pwtray.cloud import ExportRule
    from pwtray.core import (
        ENV_SIGN_IN_REPLACED,
        CloudTokens,
        NoCloudAccountError,
        Via,
        one_shot_site,
    )
    from pwtray.gateway import OperationMode

    site = await one_shot_site(cli)
    try:
        commands = site.commands
        if control in ("mode", "reserve"):
            now = await site.client.operation()
            current = OperationMode.parse(now.mode) or OperationMode.SELF_CONSUMPTION
            mode = change if control == "mode" else current
            reserve = change if control == "reserve" else now.reserve_app_percent
            if mode is OperationMode.BACKUP:
                reserve = 100.0
            applied = await commands.change_operation(mode, reserve, via=via)
            what = f"{mode_label(mode)} with a {reserve:.1f} % backup reserve".replace(".0 %", " %")
            if applied.via is Via.LOCAL:
                return EXIT_OK, f"{what}: saved on the gateway, which confirms it."
            if round(applied.reserve_percent, 1) != round(reserve, 1):
                # Tesla's cloud takes whole percents: say what was set, not what was asked.
                what = (
                    f"{mode_label(mode)} with a {applied.reserve_percent:.0f} % backup reserve "
                    f"(Tesla's cloud takes whole percents; {reserve:g} % was asked)"
                )
                reserve = applied.reserve_percent
            confirmed = await commands.confirm_operation(mode, reserve, timeout_s=wait_s)
            if confirmed:
                return EXIT_OK, f"{what}: made through the Tesla cloud; the gateway confirms it."
            return EXIT_CLOUD, (
                f"pwtray set: {what}: accepted by the Tesla cloud, but the gateway did not show "
                f"it within {wait_s:.0f} s."
            )
        cloud = commands.cloud
        if cloud is None or not cloud.connected or via is Via.LOCAL:
            raise NoCloudAccountError
        if control == "storm-watch":
            result = await cloud.set_storm_watch(change)
        elif control == "grid-charging":
            result = await cloud.set_grid_charging(change)
        else:
            result = await cloud.set_export_rule(ExportRule(change))
        return EXIT_OK, f"{control} is now {result.reported} (reported by the Tesla cloud)."
    finally:
        tokens = site.commands.cloud.tokens if site.commands.cloud is not None else None
        if isinstance(tokens, CloudTokens) and tokens.given_token_replaced:
            print(f"pwtray set: {ENV_SIGN_IN_REPLACED}", file=err)
        await site.stop()


if __name__ == "__main__":
    raise SystemExit(main())
