"""`pwtray-sim --cloud`: the simulated cloud beside the gateway, as a command."""

from __future__ import annotations

import re
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx


def test_cloud_line_defaults_and_the_same_site(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pwtray.simulator.cli", "--port", "0", "--cloud",
         "--cloud-delay", "2", "--cloud-dir", str(tmp_path), "--serial", "TG0000000042AB"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip  # the command line as one would type it
    try:
        assert process.stdout is not None
        gateway_line = process.stdout.readline().strip()
        cloud_line = process.stdout.readline().strip()
        gateway = re.fullmatch(r"listening on (https://127\.0\.0\.1:\d+) sha256=\S+", gateway_line)
        cloud = re.fullmatch(
            r"cloud on (https://127\.0\.0\.1:\d+) ca=(\S+) client-id=(\S+) "
            r"refresh-token=(\S+) delay=2s",
            cloud_line,
        )
        assert gateway, gateway_line
        assert cloud, cloud_line
        assert Path(cloud[2]) == tmp_path / "ca.pem"
        assert (cloud[3], cloud[4]) == ("pwtray-sim-client", "NA_sim-refresh-token-0001")
        din = httpx.get(f"{gateway[1]}/api/status", verify=False).json()["din"]
        with httpx.Client(
            base_url=cloud[1], verify=ssl.create_default_context(cafile=cloud[2]), trust_env=False
        ) as http:
            grant = http.post(
                "/oauth2/v3/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": cloud[3],
                    "refresh_token": cloud[4],
                },
            ).json()
            products = http.get(
                "/api/1/products", headers={"Authorization": f"Bearer {grant['access_token']}"}
            ).json()["response"]
        assert [p["gateway_id"] for p in products if "energy_site_id" in p] == [din]
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert err == ""


def test_a_negative_delay_is_refused_in_words() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pwtray.simulator.cli", "--port", "0", "--cloud",
         "--cloud-delay", "-1"],
        capture_output=True,
        text=True,
        timeout=30,
    )  # fmt: skip  # the command line as one would type it
    assert result.returncode == 2
    assert "--cloud-delay must be 0 or more seconds" in result.stderr
