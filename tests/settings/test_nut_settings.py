"""The ``[nut]`` section of settings.toml and the NUT password's place in the keyring."""

from __future__ import annotations

from pathlib import Path

import pytest

from pwtray.settings import KeyringSecrets, Nut, Settings, load, nut_account, save
from tests.keyrings import MemoryKeyring, using


def test_the_nut_server_is_off_and_on_this_computer_only_by_default(tmp_path: Path) -> None:
    nut = load(tmp_path / "settings.toml").settings.nut
    assert not nut.enabled
    assert nut.listen == "127.0.0.1:3493"
    assert nut.allowed_clients == []
    assert nut.username == "monuser"
    assert nut.ups_name == "powerwall"
    assert (nut.charge_low_percent, nut.runtime_low_s) == (10.0, 600.0)


def test_the_nut_section_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    settings = Settings(
        nut=Nut(
            enabled=True,
            listen="0.0.0.0:3493",
            allowed_clients=["127.0.0.20", "127.0.1.0/24"],
            ups_name="ups",
            username="nas",
            charge_low_percent=25.0,
            runtime_low_s=1200.0,
        )
    )
    save(settings, path)
    assert load(path).settings == settings
    assert "[nut]" in path.read_text()
    assert "password" not in path.read_text().split("[nut]")[1]


@pytest.mark.parametrize(
    ("section", "reason"),
    [
        ("allowed_clients = 5", "Expected `array`, got `int` - at `nut.allowed_clients`"),
        ("charge_low_percent = 120", "Expected `float` <= 100.0 - at `nut.charge_low_percent`"),
        ("port = 3493", "unknown setting `port` - at `nut`"),
    ],
)
def test_a_bad_nut_setting_is_explained(tmp_path: Path, section: str, reason: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f"[nut]\n{section}\n")
    loaded = load(path)
    assert loaded.problem is not None
    assert reason in loaded.problem
    assert loaded.settings == Settings()


def test_the_nut_password_lives_in_the_keyring_beside_the_gateways() -> None:
    backend = MemoryKeyring()
    with using(backend):
        secrets = KeyringSecrets()
        secrets.set("127.0.0.30", "gateway-pw")
        secrets.set(nut_account("monuser"), "Nut-pw1")
        assert KeyringSecrets().get(nut_account("monuser")) == "Nut-pw1"
        assert KeyringSecrets().get(nut_account("other")) is None
        assert backend.items == {
            ("pwtray", "127.0.0.30"): "gateway-pw",
            ("pwtray", "nut-user:monuser"): "Nut-pw1",
        }
