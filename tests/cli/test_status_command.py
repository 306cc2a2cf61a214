"""`pwtray status`: text and JSON output, and an exit code for each kind of failure."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from pwtray.cli import main
from tests.conftest import PASSWORD, SimFactory

JSON_KEYS = {
    *("soe", "grid_status", "site_w", "battery_w", "load_w", "solar_w", "mode"),
    *("reserve_percent", "firmware", "fingerprint", "unread"),
}


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PWTRAY_PASSWORD", PASSWORD)


def test_json_output(sim_factory: SimFactory, capsys: pytest.CaptureFixture[str]) -> None:
    sim = sim_factory(soe_percent=81)
    code = main(["status", "--host", sim.address, "--fingerprint", sim.fingerprint, "--json"])
    out = capsys.readouterr().out
    assert code == 0
    reading = json.loads(out)
    assert set(reading) == JSON_KEYS
    assert reading["soe"] == pytest.approx(81, abs=0.2)
    assert reading["grid_status"] == "SystemGridConnected"
    assert reading["load_w"] == pytest.approx(
        reading["solar_w"] + reading["battery_w"] + reading["site_w"], abs=5
    )
    assert reading["mode"] == "self_consumption"
    assert reading["reserve_percent"] == 20
    assert reading["firmware"] == "24.36.2"
    assert reading["fingerprint"] == sim.fingerprint
    assert reading["unread"] == {}  # everything was read


def test_text_output_during_an_outage(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = sim_factory()
    sim.grid_down()
    assert main(["status", "--host", sim.address, "--trust-on-first-use"]) == 0
    out = capsys.readouterr().out
    assert "Grid outage — running on Powerwall" in out
    assert f"sha256={sim.fingerprint}" in out
    assert "Self-powered, backup reserve 20 %" in out


def test_legacy_firmware(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory(firmware="1.15.0")
    monkeypatch.setenv("PWTRAY_PASSWORD", "S" + sim.config.serial)
    assert main(["status", "--host", sim.address, "--trust-on-first-use", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["firmware"] == "1.15.0"


def test_legacy_firmware_reads_without_a_password(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory(firmware="1.15.0")
    monkeypatch.delenv("PWTRAY_PASSWORD")
    assert main(["status", "--host", sim.address, "--trust-on-first-use"]) == 0
    out = capsys.readouterr().out
    assert "Battery" in out
    assert "Grid connected" in out
    assert "operation: needs the gateway password" in out  # only the protected read is missing
    assert not [r for r in sim.requests() if r.path == "/api/login/Basic"]


def test_wrong_password_exits_3(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory()
    monkeypatch.setenv("PWTRAY_PASSWORD", "nope")
    assert main(["status", "--host", sim.address, "--trust-on-first-use"]) == 3
    err = capsys.readouterr().err
    assert "rejected the password" in err
    assert "nope" not in err


def test_locked_out_exits_3(sim_factory: SimFactory, capsys: pytest.CaptureFixture[str]) -> None:
    sim = sim_factory(scenarios=("lockout",))
    assert main(["status", "--host", sim.address, "--trust-on-first-use"]) == 3
    assert "will not try again before" in capsys.readouterr().err


def test_unreachable_exits_4(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["status", "--host", f"127.0.0.1:{port}", "--trust-on-first-use"]) == 4
    assert "Cannot reach the gateway" in capsys.readouterr().err


def test_changed_certificate_exits_5(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = sim_factory()
    assert main(["status", "--host", sim.address, "--fingerprint", "00" * 32]) == 5
    assert "different certificate" in capsys.readouterr().err
    assert sim.requests() == []


def test_stopped_powerwalls_exit_6(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = sim_factory(scenarios=("sitemaster-stopped",))
    assert main(["status", "--host", sim.address, "--trust-on-first-use"]) == 6
    assert "Powerwalls are stopped" in capsys.readouterr().err


def test_unreadable_reply_exits_7(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = sim_factory(scenarios=("malformed-json:rate=1",))
    assert main(["status", "--host", sim.address, "--trust-on-first-use"]) == 7
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["status", "--host", "127.0.0.1"],  # neither --fingerprint nor --trust-on-first-use
        ["status", "--host", "127.0.0.1", "--fingerprint", "abc"],
        ["status", "--host", "127.0.0.1:99999", "--trust-on-first-use"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits by itself
        code = int(exc.code or 0)
    assert code == 2
    assert capsys.readouterr().err


def test_as_a_real_command(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    command = ["status", "--host", sim.address, "--fingerprint", sim.fingerprint, "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "pwtray.cli", *command],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PWTRAY_PASSWORD": PASSWORD},
    )
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) == JSON_KEYS
