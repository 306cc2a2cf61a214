"""``pwtray-sim``: run a simulated gateway until interrupted."""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
from pathlib import Path

from . import cloud as cloud_sim
from ._config import ScenarioError, SimulatorConfig
from ._simulator import Simulator
from ._timeline import SCENARIOS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pwtray-sim",
        description="A simulated Tesla Powerwall 2 / Backup Gateway speaking the local HTTPS API.",
        epilog=(
            "Scenarios: "
            + ", ".join(sorted(SCENARIOS))
            + " (parameters as name:key=value,...) or a .toml timeline file. "
            "Control it at https://HOST:PORT/_sim/state, /_sim/requests, POST /_sim/grid/down …"
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=8443, help="port; 0 picks a free one")
    parser.add_argument(
        "--firmware",
        default="24.36.2 46990655",
        help='firmware to imitate: "1.15.0" (legacy login, open reads) or a current version',
    )
    parser.add_argument("--password", default="ABCDE", help="customer password (current firmware)")
    parser.add_argument(
        "--serial",
        default="TG1234567890G1",
        help="gateway serial; firmware 1.15 logs in with S+serial",
    )
    parser.add_argument("--email", default="", help="email the login response reports")
    parser.add_argument("--powerwalls", type=int, default=1, choices=range(1, 11), metavar="N")
    parser.add_argument(
        "--scenario", action="append", default=[], metavar="NAME", help="may be repeated"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per second; 0 freezes the clock (POST /_sim/advance moves it)",
    )
    parser.add_argument(
        "--start",
        type=_start_time,
        help="simulated start, ISO 8601 with a UTC offset (e.g. 2026-06-15T03:00-07:00); "
        "default: now",
    )
    parser.add_argument("--cert-dir", type=Path, help="keep the certificate here across restarts")
    parser.add_argument("--soe", type=float, default=60.0, help="starting charge, app percent")
    parser.add_argument("--token-ttl", type=float, help="session lifetime in simulated seconds")
    parser.add_argument("--lockout-after", type=int, default=5, help="bad logins before 429")
    parser.add_argument("--lockout-seconds", type=float, default=300.0)
    parser.add_argument(
        "--allow-writes", action="store_true", help="let a customer login POST /api/operation"
    )
    parser.add_argument("--status-requires-auth", action="store_true")
    parser.add_argument("--no-sni-check", action="store_true", help="accept any TLS SNI name")
    parser.add_argument("--seed", type=int, default=1, help="seed of the weather and the house")
    parser.add_argument(
        "--http",
        action="store_true",
        help="also listen for plain HTTP: the API on firmware before 1.20 (the seed's http:// "
        "examples), a redirect to HTTPS on later firmware",
    )
    parser.add_argument("--http-port", type=int, default=0, help="plain-HTTP port; 0 picks one")
    parser.add_argument(
        "--replay",
        type=Path,
        metavar="DIR",
        help="answer from a capture set (e.g. ../shared/gateway-samples/sets/vlo-21.39.1-foogod) "
        "instead of the simulated site; the firmware is the set's",
    )
    parser.add_argument(
        "--no-solar-meter",
        action="store_true",
        help="a site without solar meters: /api/meters/solar answers null",
    )
    cloud_sim.add_arguments(parser)
    return parser


def _start_time(text: str) -> dt.datetime:
    try:
        start = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time such as 2026-06-15T03:00-07:00"
        ) from None
    if start.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. {text}-07:00")
    return start


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.speed >= 0:
        print("pwtray-sim: --speed must be 0 (a frozen clock) or more", file=sys.stderr)
        return 2
    config = SimulatorConfig(
        host=args.host,
        port=args.port,
        firmware=args.firmware,
        password=args.password,
        serial=args.serial,
        email=args.email,
        powerwalls=args.powerwalls,
        scenarios=tuple(args.scenario),
        speed=args.speed,
        cert_dir=args.cert_dir,
        soe_percent=args.soe,
        token_ttl_s=args.token_ttl,
        lockout_after=args.lockout_after,
        lockout_s=args.lockout_seconds,
        allow_writes=args.allow_writes,
        status_requires_auth=args.status_requires_auth,
        check_sni=not args.no_sni_check,
        seed=args.seed,
        start=args.start,
        plain_http=args.http,
        http_port=args.http_port,
        solar_meter=not args.no_solar_meter,
        replay=args.replay,
    )
    try:
        sim = Simulator(config)
        sim.start()
    except ScenarioError as exc:
        print(f"pwtray-sim: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        ports = f"{args.port} and {args.http_port}" if args.http else str(args.port)
        print(
            f"pwtray-sim: cannot listen on {args.host} port {ports}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    try:
        cloud = cloud_sim.start_from_arguments(args, sim, cloud_sim.din_for_serial(args.serial))
    except (ValueError, OSError) as exc:
        sim.stop()
        print(f"pwtray-sim: cannot start the simulated cloud: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"listening on {sim.base_url} sha256={sim.fingerprint}", flush=True)
    if args.http:
        print(f"listening on {sim.http_url} (plain HTTP)", flush=True)
    if args.replay:
        print(f"replaying {args.replay} (firmware {sim.identity.firmware})", flush=True)
    if cloud is not None:
        print(cloud_sim.banner(cloud), flush=True)
    try:
        stop.wait()
    finally:
        if cloud is not None:
            cloud.stop()
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
