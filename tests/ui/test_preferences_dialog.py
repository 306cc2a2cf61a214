"""Preferences: what the user picks reaches the app as settings; a bad threshold is explained."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from pwtray.monitor import EventKind
from pwtray.settings import Settings, load, save
from pwtray.ui.preferences_dialog import PreferencesDialog, parse_thresholds

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def test_choices_become_settings_that_survive_a_restart(qapp: QApplication, qtbot: QtBot,
                                                        tmp_path: Path) -> None:  # fmt: skip
    applied: list[tuple[Settings, bool]] = []
    dialog = PreferencesDialog(Settings(), autostart=False,
                               on_apply=lambda s, a: applied.append((s, a)))  # fmt: skip
    qtbot.addWidget(dialog)
    dialog.show()
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "dialog-preferences.png"))
    dialog.fast.setValue(10)
    dialog.kinds[EventKind.GRID_RESTORED].setChecked(False)
    dialog.thresholds.setText("30 %, 60, 30")
    dialog.watts.setChecked(True)
    dialog.reduce_motion.setChecked(True)
    dialog.autostart.setChecked(True)
    dialog.raw_days.setValue(14)
    assert dialog.apply()
    ((settings, autostart),) = applied
    assert autostart
    assert settings.polling.fast_s == 10
    assert settings.notifications.muted == ["grid_restored"]
    assert settings.notifications.soe_thresholds == [60.0, 30.0]
    assert (settings.display.kilo, settings.display.reduce_motion) == (False, True)
    assert settings.history.raw_days == 14
    save(settings, tmp_path / "settings.toml")
    assert load(tmp_path / "settings.toml").settings == settings


def test_a_bad_threshold_is_explained_and_nothing_applied(qapp: QApplication,
                                                          qtbot: QtBot) -> None:  # fmt: skip
    applied: list[object] = []
    dialog = PreferencesDialog(Settings(), autostart=False, on_apply=lambda s, a: applied.append(s))
    qtbot.addWidget(dialog)
    dialog.thresholds.setText("50, lots")
    assert not dialog.apply()
    assert dialog.error.text() == "✖ Charge thresholds: “lots” is not a number."
    assert applied == []


def test_thresholds_parse_like_a_person_writes_them() -> None:
    assert parse_thresholds("10,50;25 %") == [50.0, 25.0, 10.0]
    assert parse_thresholds("") == []


def test_pause_acts_at_once_and_is_not_a_saved_setting(qapp: QApplication, qtbot: QtBot) -> None:
    asked: list[str] = []

    def pause(what: str) -> str:
        asked.append(what)
        return "paused" if what in ("hour", "tomorrow") else "on"

    applied: list[Settings] = []
    dialog = PreferencesDialog(Settings(), autostart=False,
                               on_apply=lambda s, a: applied.append(s), pause=pause)  # fmt: skip
    qtbot.addWidget(dialog)
    assert dialog.pause_state.text() == "on"
    dialog.pause_buttons["hour"].click()
    assert dialog.pause_state.text() == "paused"
    dialog.pause_buttons["resume"].click()
    assert asked == ["state", "hour", "resume"]
    assert applied == []  # nothing saved by pausing
