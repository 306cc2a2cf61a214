"""The settings file on a real disk: round trip, bad files kept aside, atomic writes, schema."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from pwtray.settings import SCHEMA, Connection, Display, Settings, dumps, load, save


def test_a_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    loaded = load(tmp_path / "settings.toml")
    assert loaded.settings == Settings()
    assert loaded.problem is None
    assert loaded.settings.polling.fast_s == 5.0


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "settings.toml"
    settings = Settings(
        connection=Connection(
            host="powerwall.lan", email='me "x"@example.org', fingerprint="ab" * 32
        ),
        display=Display(kilo=False, decimals=0, reduce_motion=True),
    )
    settings.notifications.muted.append("grid_restored")
    settings.notifications.soe_thresholds[:] = [30.0, 5.5]
    save(settings, path)
    assert load(path).settings == settings
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# pwtray settings. Passwords are not here")
    assert tomllib.loads(text)["schema"] == SCHEMA
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]  # no temporary left


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"[connection\nhost = 1", "not valid TOML"),
        (b"\xff\xfe[x]", "not UTF-8"),
        (b"[polling]\nfast_s = 0.1\n", "Expected `float` >= 1.0 - at `polling.fast_s`"),
        (b"[display]\ncolour = 'red'\n", "unknown setting `colour` - at `display`"),
        (b'[notifications]\nmuted = ["grid_outage", "weather"]\n', "unknown notification kind"),
    ],
)
def test_a_bad_file_is_kept_aside_and_explained(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "settings.toml"
    path.write_bytes(content)
    loaded = load(path)
    assert loaded.settings == Settings()
    assert loaded.problem is not None
    assert reason in loaded.problem
    assert "started with the default settings" in loaded.problem
    (kept,) = tmp_path.glob("settings.toml.unreadable-*")
    assert kept.read_bytes() == content  # nothing the user wrote is lost
    assert kept.name in loaded.problem
    assert not path.exists()
    save(loaded.settings, path)  # the next save starts a fresh, valid file
    assert load(path).problem is None


def test_a_failure_mid_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.toml"
    save(Settings(connection=Connection(host="old.lan")), path)
    before = path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save(Settings(connection=Connection(host="new.lan")), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]


def test_a_newer_schema_is_used_as_defaults_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f"schema = {SCHEMA + 1}\n[future]\nthing = 1\n", encoding="utf-8")
    loaded = load(path)
    assert loaded.read_only
    assert loaded.problem is not None
    assert "newer pwtray" in loaded.problem
    assert path.exists()  # left as it is


def test_strings_are_escaped_as_toml(tmp_path: Path) -> None:
    tricky = 'a\\b"c\nd\t\u00e9\u20ac'
    text = dumps(Settings(connection=Connection(email=tricky)))
    assert tomllib.loads(text)["connection"]["email"] == tricky


@pytest.mark.parametrize(
    ("connection", "reason"),
    [
        ('fingerprint = "not-a-fp"', "fingerprint is not usable"),
        ('host = "bad host:99999"', "address “bad host:99999” is not usable"),
    ],
)
def test_values_the_app_cannot_use_are_kept_aside_and_explained(
    tmp_path: Path, connection: str, reason: str
) -> None:
    from pwtray.core._core import check_settings  # the app's check: it knows addresses

    path = tmp_path / "settings.toml"
    content = f"[connection]\n{connection}\n".encode()
    path.write_bytes(content)
    loaded = load(path, check_settings)
    assert loaded.settings == Settings()
    assert loaded.problem is not None
    assert reason in loaded.problem
    (kept,) = tmp_path.glob("settings.toml.unreadable-*")
    assert kept.read_bytes() == content


def test_values_nested_a_thousand_deep_do_not_crash_the_start(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[notifications]\nsoe_thresholds = " + "[" * 1000 + "]" * 1000 + "\n")
    loaded = load(path)
    assert loaded.settings == Settings()
    assert loaded.problem is not None
    assert "nests values far deeper" in loaded.problem


def test_the_file_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.toml"
    save(Settings(), path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_schedules_round_trip_and_bad_ones_are_explained(tmp_path: Path) -> None:
    from pwtray.settings import ScheduleEntry

    path = tmp_path / "settings.toml"
    settings = Settings(
        schedules=[
            ScheduleEntry(
                name="Morning",
                mode="self_consumption",
                reserve_percent=5.0,
                at="07:55",
                days=["mon", "tue", "wed", "thu", "fri"],
            ),
            ScheduleEntry(name="Night", mode="backup", at="22:05"),
            ScheduleEntry(name="Storm", mode="backup", until="2026-12-06T00:00:00+01:00"),
        ]
    )
    save(settings, path)
    assert load(path).settings == settings
    assert "[[schedules]]" in path.read_text()
    path.write_text('[[schedules]]\nname = "x"\nmode = "backup"\nat = "25:00"\n')
    loaded = load(path)
    assert loaded.problem is not None
    assert "`at` is a time like 22:05" in loaded.problem
