"""Starting, restarting and stopping the simulator, in-process and as `pwtray-sim`."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.conftest import SimFactory
from tests.simulator.helpers import client, logged_in, peer_fingerprint


def test_cert_dir_keeps_the_fingerprint_across_restarts(
    sim_factory: SimFactory, tmp_path: Path
) -> None:
    first = sim_factory(cert_dir=tmp_path)
    fingerprint = first.fingerprint
    first.stop()
    second = sim_factory(cert_dir=tmp_path)
    assert second.fingerprint == fingerprint
    assert peer_fingerprint(second) == fingerprint
    assert (tmp_path / "gateway-key.pem").stat().st_mode & 0o077 == 0


def test_without_cert_dir_every_start_has_a_new_certificate(sim_factory: SimFactory) -> None:
    assert sim_factory().fingerprint != sim_factory().fingerprint


def test_keep_alive_reuses_one_connection(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with logged_in(sim) as http:
        for _ in range(5):
            http.get("/api/system_status/soe")
    assert len({r.connection for r in sim.requests()}) == 1
    assert sim.tls_handshakes == 1


def test_stop_closes_everything(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    port = sim.port
    with client(sim) as http:
        http.get("/api/status")  # leaves an idle keep-alive connection and its thread
        threads = [t for t in threading.enumerate() if t.name.startswith("pwtray-sim")]
        assert len(threads) >= 2  # the acceptor and the connection
        sim.stop()
        assert not any(t.is_alive() for t in threads)
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
        with pytest.raises(httpx.TransportError):
            http.get("/api/status")


def test_cli_prints_the_listening_line_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pwtray.simulator.cli",
            "--port",
            "0",
            "--cert-dir",
            str(tmp_path),
            "--scenario",
            "outage:at=1,duration=5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        match = re.fullmatch(r"listening on https://127\.0\.0\.1:(\d+) sha256=([0-9a-f]{64})", line)
        assert match, line
        response = httpx.get(f"https://127.0.0.1:{match[1]}/api/status", verify=False)
        assert response.json()["version"] == "24.36.2 46990655"
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert err == ""


def test_cli_rejects_an_unknown_scenario() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pwtray.simulator.cli", "--port", "0", "--scenario", "nope"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert "unknown scenario 'nope'" in result.stderr
