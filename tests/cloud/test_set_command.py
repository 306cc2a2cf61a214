"""`pwtray set`: the gateway first, the Tesla cloud where the gateway refuses, and the change
confirmed by the gateway itself — against a simulated gateway and its simulated cloud."""

from __future__ import annotations

from pathlib import Path

import pytest

from pwtray.cli import EXIT_CLOUD, EXIT_OK, EXIT_REFUSED, main
from tests.cloud.conftest import CLIENT_ID, Cloud, CloudFactory
from tests.conftest import PASSWORD, SimFactory
from tests.gateway.helpers import password_for


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no real settings file


def set_through_cloud(cloud: Cloud, monkeypatch: pytest.MonkeyPatch, *change: str) -> list[str]:
    """``pwtray set CHANGE…`` at the cloud's gateway, with the gateway's password and the
    cloud's refresh token in the environment, as a script gives them."""
    gateway, sim = cloud.gateway, cloud.sim
    monkeypatch.setenv("PWTRAY_PASSWORD", PASSWORD)
    monkeypatch.setenv("PWTRAY_CLOUD_REFRESH_TOKEN", sim.config.refresh_token)
    at = ["--host", gateway.address, "--fingerprint", gateway.fingerprint]
    cloud_at = [
        "--cloud-url",
        sim.base_url,
        "--cloud-ca",
        str(sim.ca_path),
        "--client-id",
        CLIENT_ID,
    ]
    return ["set", *change, *at, *cloud_at]


def test_a_change_the_gateway_refuses_goes_through_the_cloud_and_is_confirmed(
    cloud_factory: CloudFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cloud = cloud_factory(delay_s=0)  # the gateway has the change at once (tests: no waiting)
    gateway = cloud.gateway
    code = main(set_through_cloud(cloud, monkeypatch, "reserve", "55", "--wait", "60"))
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "made through the Tesla cloud; the gateway confirms it" in out
    # Tesla rotated the refresh token: the one in the environment may not work again.
    assert "Tesla replaced the refresh token given in PWTRAY_CLOUD_REFRESH_TOKEN" in err
    assert cloud.sim.config.refresh_token not in err
    assert gateway.state()["reserve_percent"] == pytest.approx(55, abs=0.01)
    assert [r.path for r in gateway.requests() if r.method == "POST"][-1] == "/api/operation"
    refused = [r for r in gateway.requests() if r.path == "/api/operation" and r.status == 403]
    assert len(refused) == 1  # asked locally first, once


def test_a_reserve_in_tenths_through_the_cloud_says_the_whole_percent_it_set(
    cloud_factory: CloudFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cloud = cloud_factory(delay_s=0)
    gateway = cloud.gateway
    code = main(set_through_cloud(cloud, monkeypatch, "reserve", "55.5", "--wait", "60"))
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    said = "with a 56 % backup reserve (Tesla's cloud takes whole percents; 55.5 % was asked)"
    assert said in out
    assert "the gateway confirms it" in out
    assert gateway.state()["reserve_percent"] == pytest.approx(56, abs=0.01)


def test_a_mode_taken_with_its_reserve_refused_is_said_as_half_done(
    cloud_factory: CloudFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cloud = cloud_factory(delay_s=0)
    gateway = cloud.gateway
    cloud.sim.set_fault("server_error", path="/backup", status=503)  # the reserve's command
    code = main(set_through_cloud(cloud, monkeypatch, "mode", "time-based"))
    out, err = capsys.readouterr()
    assert code == EXIT_CLOUD, out
    # Not "not changed": the mode did change, and the user is told which part failed.
    assert "The backup reserve was not changed" in err
    assert "Tesla's cloud did take the mode, Time-based control; the reserve stays 20 %" in err
    assert "Not changed" not in err
    assert cloud.sim.settings()["mode"] == "autonomous"
    assert gateway.state()["mode"] == "autonomous"


def test_without_a_tesla_account_the_refusal_is_explained(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = sim_factory()
    monkeypatch.setenv("PWTRAY_PASSWORD", PASSWORD)
    monkeypatch.delenv("PWTRAY_CLOUD_REFRESH_TOKEN", raising=False)
    argv = [
        "set",
        "mode",
        "backup-only",
        "--host",
        gateway.address,
        "--fingerprint",
        gateway.fingerprint,
    ]
    assert main(argv) == EXIT_REFUSED
    err = capsys.readouterr().err
    assert "pwtray cloud login" in err
    assert gateway.state()["mode"] == "self_consumption"


def test_firmware_1x_takes_the_change_locally(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = sim_factory(firmware="1.15.0")
    monkeypatch.setenv("PWTRAY_PASSWORD", password_for(gateway))
    argv = [
        "set",
        "reserve",
        "37.5",
        "--host",
        gateway.address,
        "--fingerprint",
        gateway.fingerprint,
    ]
    assert main(argv) == EXIT_OK
    assert "saved on the gateway, which confirms it" in capsys.readouterr().out
    assert gateway.state()["reserve_percent"] == pytest.approx(37.5, abs=0.01)


def test_storm_watch_is_a_cloud_setting(
    cloud_factory: CloudFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cloud = cloud_factory()
    argv = set_through_cloud(cloud, monkeypatch, "storm-watch", "on")
    assert main(argv) == EXIT_OK, capsys.readouterr().err
    assert cloud.sim.settings()["storm_watch"] is True


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["set", "mode", "party"], "mode is one of"),
        (["set", "reserve", "120"], "0 to 100"),
        (["set", "storm-watch", "maybe"], "on or off"),
    ],
)
def test_bad_values_are_usage_errors(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert words in capsys.readouterr().err
