"""The ``[actions]`` and ``[shutdown]`` sections of settings.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pwtray.settings import Action, Actions, Settings, Shutdown, load, save


def test_nothing_runs_and_nothing_shuts_down_by_default(tmp_path: Path) -> None:
    settings = load(tmp_path / "settings.toml").settings
    assert all(
        getattr(settings.actions, name).command == []
        for name in (
            "grid_outage",
            "grid_restored",
            "charge_below",
            "time_left_below",
            "unreachable",
            "gateway_stopped",
        )
    )
    assert not settings.shutdown.enabled
    assert not settings.shutdown.dry_run
    assert settings.shutdown.countdown_s == 60.0


def test_commands_are_argument_lists_per_event_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    settings = Settings(
        actions=Actions(
            charge_below_percent=30.0,
            grid_outage=Action(
                command=["/usr/bin/notify-send", "Grid down", 'say "hi"'], timeout_s=15.0
            ),
            gateway_stopped=Action(command=[r"C:\Program Files\x\y.exe", "/q"]),
        ),
        shutdown=Shutdown(enabled=True, what="hibernate", time_left_below_min=0, dry_run=True),
    )
    save(settings, path)
    assert load(path).settings == settings
    table = tomllib.loads(path.read_text())
    assert table["actions"]["grid_outage"] == {
        "command": ["/usr/bin/notify-send", "Grid down", 'say "hi"'],
        "timeout_s": 15.0,
    }
    assert table["shutdown"]["what"] == "hibernate"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            '[actions.grid_outage]\ncommand = "notify-send hi"\n',
            "Expected `array`, got `str` - at `actions.grid_outage.command`",
        ),
        (
            '[actions.grid_outage]\ncommand = ["", "x"]\n',
            "the program (the first item) of `actions.grid_outage.command` is empty",
        ),
        (
            "[actions.unreachable]\ntimeout_s = 0\n",
            "Expected `float` >= 1.0 - at `actions.unreachable.timeout_s`",
        ),
        ('[shutdown]\nwhat = "reboot"\n', "Invalid enum value 'reboot' - at `shutdown.what`"),
        ("[shutdown]\ncountdown_s = 2\n", "Expected `float` >= 10.0 - at `shutdown.countdown_s`"),
    ],
)
def test_a_bad_action_or_shutdown_setting_is_explained(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    loaded = load(path)
    assert loaded.problem is not None
    assert reason in loaded.problem
    assert loaded.settings == Settings()
