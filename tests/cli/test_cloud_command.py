"""`pwtray cloud login|status|logout` against the simulated cloud: tokens in the keyring only,
settings read once, exit codes 0 / 3 (sign in again) / 4 (unreachable)."""

from __future__ import annotations

import json
import socket

import pytest

from pwtray.cli import main
from pwtray.simulator.cloud import CloudConfig, CloudSimulator, din_for_serial
from tests.conftest import SimFactory
from tests.keyrings import MemoryKeyring, using


def test_login_status_logout(
    sim_factory: SimFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = sim_factory()
    din = din_for_serial(gateway.config.serial)
    with CloudSimulator(gateway, CloudConfig(gateway_din=din)) as cloud:
        url, ca = cloud.base_url, str(cloud.ca_path)
        where = ["--client-id", cloud.config.client_id, "--cloud-url", url, "--auth-url", url,
                 "--cloud-ca", ca, "--din", din]  # fmt: skip  # option pairs, as typed
        keyring_backend = MemoryKeyring()
        with using(keyring_backend):
            monkeypatch.setenv("PWTRAY_CLOUD_REFRESH_TOKEN", cloud.config.refresh_token)
            assert main(["cloud", "login", "--paste", *where]) == 0
            monkeypatch.delenv("PWTRAY_CLOUD_REFRESH_TOKEN")
            login = capsys.readouterr()
            assert "Signed in. Site: Home Energy Gateway (energy site 1689000000001" in login.out
            stored = keyring_backend.items[("pwtray", "tesla-cloud:refresh-token")]

            cloud.clear_requests()
            assert main(["cloud", "status", *where, "--json"]) == 0
            status = json.loads(capsys.readouterr().out)
            assert (status["mode"], status["reserve_percent"]) == ("self_consumption", 20)
            assert status["gateway_dins"] == [din]
            assert [r.path.rsplit("/", 1)[-1] for r in cloud.requests()] == [
                "region", "products", "site_info",
            ]  # fmt: skip  # one request list

            with socket.socket() as spare:
                spare.bind(("127.0.0.1", 0))
                nowhere = f"https://127.0.0.1:{spare.getsockname()[1]}"
            moved = [*where[:2], "--cloud-url", nowhere, *where[4:]]
            assert main(["cloud", "status", *moved]) == 4
            assert "Cannot reach Tesla's cloud at 127.0.0.1" in capsys.readouterr().err

            cloud.revoke_tokens()
            assert main(["cloud", "status", *where]) == 3
            refused = capsys.readouterr()
            assert "Sign in to your Tesla account again" in refused.err

            assert main(["cloud", "logout"]) == 0
            assert keyring_backend.items == {}
            assert main(["cloud", "status", *where]) == 3
            assert "not signed in to a Tesla account" in capsys.readouterr().err
    for secret in (cloud.config.refresh_token, stored):
        assert secret not in login.out + login.err + refused.out + refused.err
