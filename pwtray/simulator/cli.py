"""``pwtray-sim``: run a simulated gateway until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from . import cloud as cloud_sim
from ._server import Simulator, SimulatorConfig
from ._timeline import SCENARIOS, ScenarioError


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
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
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
    cloud_sim.add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.speed <= 0:
        print("pwtray-sim: --speed must be greater than 0", file=sys.stderr)
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
    )
    try:
        sim = Simulator(config)
        sim.start()
    except ScenarioError as exc:
        print(f"pwtray-sim: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"pwtray-sim: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr
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
