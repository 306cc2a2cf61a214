"""``pwtray-sim --cloud``: the options, and starting the cloud beside the gateway."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._server import DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN, CloudConfig, CloudSimulator, Gateway


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("simulated Tesla cloud (Fleet API)")
    group.add_argument(
        "--cloud", action="store_true", help="also serve a simulated Tesla cloud for this site"
    )
    group.add_argument("--cloud-port", type=int, default=0, help="its port; 0 picks a free one")
    group.add_argument(
        "--cloud-delay",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds before a cloud command reaches the gateway (default 5)",
    )
    group.add_argument("--cloud-client-id", default=DEFAULT_CLIENT_ID, help="accepted client ID")
    group.add_argument(
        "--cloud-refresh-token",
        default=DEFAULT_REFRESH_TOKEN,
        help="a refresh token accepted as pasted",
    )
    group.add_argument(
        "--cloud-token-ttl", type=float, default=8 * 3600.0, metavar="S", help="access-token life"
    )
    group.add_argument("--cloud-dir", type=Path, help="keep its CA and certificate here")


def din_for_serial(serial: str) -> str:
    """The gateway's DIN as the gateway simulator reports it in ``/api/status`` (a test checks)."""
    return f"1232100-00-E--{serial}"


def start_from_arguments(
    args: argparse.Namespace, gateway: Gateway, gateway_din: str
) -> CloudSimulator | None:
    """Start the cloud when ``--cloud`` was given; raises ValueError on a bad option."""
    if not args.cloud:
        return None
    if args.cloud_delay < 0:
        raise ValueError("--cloud-delay must be 0 or more seconds")
    if args.cloud_token_ttl <= 0:
        raise ValueError("--cloud-token-ttl must be more than 0 seconds")
    config = CloudConfig(
        host=args.host,
        port=args.cloud_port,
        delay_s=args.cloud_delay,
        client_id=args.cloud_client_id,
        refresh_token=args.cloud_refresh_token,
        access_ttl_s=args.cloud_token_ttl,
        gateway_din=gateway_din,
        cert_dir=args.cloud_dir,
    )
    return CloudSimulator(gateway, config).start()


def banner(cloud: CloudSimulator) -> str:
    cfg = cloud.config
    return (
        f"cloud on {cloud.base_url} ca={cloud.ca_path} client-id={cfg.client_id} "
        f"refresh-token={cfg.refresh_token} delay={cfg.delay_s:g}s"
    )
