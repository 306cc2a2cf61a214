"""Preferences: what the user picks reaches the app as settings; a bad threshold is explained."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QScrollArea
from pytestqt.qtbot import QtBot

from pwtray.core import ActionsConfig, ActionService, Supervisor, Trigger, join_command
from pwtray.monitor import EventKind
from pwtray.settings import Action, Actions, Settings, Shutdown, load, save
from pwtray.simulator import Simulator
from pwtray.ui.preferences_dialog import (
    PAGES,
    TITLE_BAR_PX,
    Chosen,
    PreferencesDialog,
    parse_thresholds,
)
from tests.core.helpers import site_for
from tests.ui.conftest import until

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def test_choices_become_settings_that_survive_a_restart(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    applied: list[tuple[Settings, bool]] = []
    dialog = PreferencesDialog(
        Settings(),
        autostart=False,
        on_apply=lambda c: applied.append((c.settings, c.start_at_login)),
    )
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


def test_a_bad_threshold_is_explained_and_nothing_applied(qapp: QApplication, qtbot: QtBot) -> None:
    applied: list[object] = []
    dialog = PreferencesDialog(
        Settings(), autostart=False, on_apply=lambda c: applied.append(c.settings)
    )
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
    dialog = PreferencesDialog(
        Settings(), autostart=False, on_apply=lambda c: applied.append(c.settings), pause=pause
    )
    qtbot.addWidget(dialog)
    assert dialog.pause_state.text() == "on"
    dialog.pause_buttons["hour"].click()
    assert dialog.pause_state.text() == "paused"
    dialog.pause_buttons["resume"].click()
    assert asked == ["state", "hour", "resume"]
    assert applied == []  # nothing saved by pausing


# ---------------------------------------------------------------------- actions and shutdown
def test_actions_and_shutdown_become_settings(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path
) -> None:
    base = Settings(actions=Actions(gateway_stopped=Action(command=["/opt/x y/z", "-q"])))
    applied: list[Settings] = []
    dialog = PreferencesDialog(base, autostart=False, on_apply=lambda c: applied.append(c.settings))
    qtbot.addWidget(dialog)
    rows = dialog.action_rows
    assert rows[Trigger.GATEWAY_STOPPED].command.text() == "'/opt/x y/z' -q"  # as a shell says it
    rows[Trigger.GRID_OUTAGE].command.setText('notify-send "Grid down" --urgency=critical')
    rows[Trigger.GRID_OUTAGE].timeout.setValue(15)
    dialog.action_charge.setValue(35)
    dialog.shutdown_enabled.setChecked(True)
    dialog.shutdown_what["hibernate"].setChecked(True)
    dialog.shutdown_charge.setValue(0)  # "not used"
    dialog.shutdown_time.setValue(20)
    dialog.countdown.setValue(90)
    dialog.dry_run.setChecked(True)
    assert dialog.apply()
    (settings,) = applied
    assert settings.actions.grid_outage == Action(
        command=["notify-send", "Grid down", "--urgency=critical"], timeout_s=15.0
    )
    assert settings.actions.gateway_stopped.command == ["/opt/x y/z", "-q"]
    assert settings.actions.charge_below_percent == 35
    assert settings.shutdown == Shutdown(
        enabled=True,
        what="hibernate",
        charge_below_percent=0,
        time_left_below_min=20,
        countdown_s=90,
        dry_run=True,
    )
    save(settings, tmp_path / "settings.toml")
    assert load(tmp_path / "settings.toml").settings == settings


@pytest.mark.parametrize(
    ("change", "problem", "page"),
    [
        (
            lambda d: d.action_rows[Trigger.GRID_RESTORED].command.setText("say 'hi"),
            "✖ Grid restored: a quote is not closed.",
            "actions",
        ),
        (
            lambda d: (
                d.shutdown_enabled.setChecked(True),
                d.shutdown_charge.setValue(0),
                d.shutdown_time.setValue(0),
            ),
            "✖ Shutdown: choose a charge or a time left to act on.",
            "shutdown",
        ),
    ],
)
def test_a_choice_that_cannot_be_used_is_explained_on_its_page(
    qapp: QApplication,
    qtbot: QtBot,
    change: Callable[[PreferencesDialog], object],
    problem: str,
    page: str,
) -> None:
    applied: list[Settings] = []
    dialog = PreferencesDialog(
        Settings(), autostart=False, on_apply=lambda c: applied.append(c.settings)
    )
    qtbot.addWidget(dialog)
    change(dialog)
    assert not dialog.apply()
    assert dialog.error.text() == problem
    assert PAGES[dialog.pages.currentIndex()] == page
    assert applied == []


def test_preferences_fit_a_1280_by_720_screen_with_the_buttons_in_view(
    qapp: QApplication, qtbot: QtBot
) -> None:
    dialog = PreferencesDialog(Settings(), autostart=False, on_apply=lambda c: None)
    qtbot.addWidget(dialog)
    panel_px = 32
    size = dialog.fit_to(QRect(0, 0, 1280, 720 - panel_px))
    assert size.height() + TITLE_BAR_PX <= 720 - panel_px
    assert size.width() <= 1280
    dialog.show()
    for index in range(dialog.pages.count()):
        dialog.pages.setCurrentIndex(index)
        qapp.processEvents()
        area = dialog.pages.currentWidget()
        assert isinstance(area, QScrollArea)
        assert area.verticalScrollBar().maximum() == 0, PAGES[index]  # the whole page shows
        assert area.horizontalScrollBar().maximum() == 0, PAGES[index]
        for button in dialog.buttons.buttons():
            corner = button.mapTo(dialog, button.rect().bottomRight())
            assert button.isVisible()
            assert dialog.rect().contains(corner)
        dialog.grab().save(str(ARTIFACTS / f"dialog-preferences-{PAGES[index]}.png"))


def test_on_a_small_screen_the_pages_scroll_and_the_buttons_stay(
    qapp: QApplication, qtbot: QtBot
) -> None:
    dialog = PreferencesDialog(Settings(), autostart=False, on_apply=lambda c: None)
    qtbot.addWidget(dialog)
    size = dialog.fit_to(QRect(0, 0, 800, 480))
    assert size.height() + TITLE_BAR_PX <= 480
    dialog.show()
    dialog.pages.setCurrentIndex(PAGES.index("actions"))
    qapp.processEvents()
    area = dialog.pages.currentWidget()
    assert isinstance(area, QScrollArea)
    assert area.verticalScrollBar().maximum() > 0  # reachable by scrolling
    for button in dialog.buttons.buttons():
        assert dialog.rect().contains(button.mapTo(dialog, button.rect().bottomRight()))


def test_the_test_button_runs_the_command_as_typed_and_shows_the_result(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    sim: Simulator,
    tmp_path: Path,
) -> None:
    site = site_for(sim)
    service = ActionService(site, Supervisor(), ActionsConfig(), folder=tmp_path)
    applied: list[Settings] = []
    dialog = PreferencesDialog(
        Settings(),
        autostart=False,
        on_apply=lambda c: applied.append(c.settings),
        test_action=service.test,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.pages.setCurrentIndex(PAGES.index("actions"))
    outage = dialog.action_rows[Trigger.GRID_OUTAGE]
    missing = dialog.action_rows[Trigger.UNREACHABLE]
    script = "import os; print('grid', os.environ['PWTRAY_GRID'], 'soe', os.environ['PWTRAY_SOE'])"
    outage.command.setText(join_command([sys.executable, "-c", script]))
    missing.command.setText("/nonexistent/pwtray-test/notify --now")

    async def scenario() -> None:
        outage.test.click()
        missing.test.click()
        assert outage.result.text() == "Running…"
        assert not outage.test.isEnabled()  # one test at a time
        await until(lambda: outage.result.text().startswith("✔"), what="the test run")
        await until(lambda: missing.result.text().startswith("✖"), what="the failed run")
        assert outage.test.isEnabled()
        dialog.grab().save(str(ARTIFACTS / "dialog-preferences-action-tested.png"))
        await service.stop()
        await site.stop()

    qloop.run_until_complete(scenario())
    assert outage.result.text().endswith("— it said: grid down soe 42.0")  # the sample values
    assert missing.result.text() == "✖ /nonexistent/pwtray-test/notify not found"
    assert missing.result.property("failed") is True
    assert applied == []  # testing is not applying
    assert [r.test for r in service.runs] == [True, True]


@pytest.mark.parametrize(
    ("listen", "clients", "user", "password", "said"),
    [
        ("0.0.0.0:3493", "", "monuser", "", "with no allowed clients"),
        ("127.0.0.1:99999", "", "monuser", "", "the port must be a number from 1 to 65535"),
        ("0.0.0.0:3493", "nas.local", "monuser", "", "names are not accepted"),
        ("127.0.0.1:3493", "", "mon user", "", "NUT user name"),
        ("127.0.0.1:3493", "", "monuser", 'pass"word', "NUT password"),
    ],
)
def test_nut_settings_that_cannot_serve_are_explained_on_the_sharing_page(
    qapp: QApplication,
    qtbot: QtBot,
    listen: str,
    clients: str,
    user: str,
    password: str,
    said: str,
) -> None:
    applied: list[Settings] = []
    dialog = PreferencesDialog(
        Settings(), autostart=False, on_apply=lambda c: applied.append(c.settings)
    )
    qtbot.addWidget(dialog)
    dialog.nut_enabled.setChecked(True)
    dialog.nut_listen.setText(listen)
    dialog.nut_clients.setText(clients)
    dialog.nut_username.setText(user)
    dialog.nut_password.setText(password)
    assert not dialog.apply()
    assert applied == []
    assert said in dialog.error.text()
    assert dialog.pages.currentIndex() == PAGES.index("sharing")
    assert 'pass"word' not in dialog.error.text()  # a password is never repeated on screen


def test_sharing_with_the_network_lists_the_clients_and_keeps_the_password_apart(
    qapp: QApplication, qtbot: QtBot
) -> None:
    chosen: list[Chosen] = []
    dialog = PreferencesDialog(Settings(), autostart=False, on_apply=chosen.append)
    qtbot.addWidget(dialog)
    dialog.nut_enabled.setChecked(True)
    dialog.nut_listen.setText("0.0.0.0:3493")
    dialog.nut_clients.setText("192.168.1.20, 192.168.1.0/24  fd00::/64")
    dialog.nut_ups_name.setText("ups")
    dialog.nut_charge.setValue(20)
    dialog.nut_runtime.setValue(15)
    dialog.nut_password.setText("s3cret")
    assert dialog.apply()
    ((choice),) = chosen
    nut = choice.settings.nut
    assert nut.enabled
    assert nut.allowed_clients == ["192.168.1.20", "192.168.1.0/24", "fd00::/64"]
    assert (nut.ups_name, nut.charge_low_percent, nut.runtime_low_s) == ("ups", 20.0, 900.0)
    assert choice.nut_password == "s3cret"
    assert "MONITOR ups@<this computer> 1 monuser" in dialog.nut_example.text()
    dialog.apply()  # applied again without typing: the stored password is kept
    assert chosen[-1].nut_password is None
