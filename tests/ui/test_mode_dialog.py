"""The Mode & reserve dialog against simulators over real TLS, as a user works it: mode and
reserve (in tenths) written and read back on firmware 1.15, the 403 of current firmware
explained, changes made through the simulated Tesla cloud and followed until the gateway shows
them, the cloud-only settings shown where the site offers them, and off grid by choice."""

from __future__ import annotations

import asyncio
import collections
import json
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from pwtray.core import OperationView, Site
from pwtray.gateway import GridState, Operation, OperationMode, api_to_app
from pwtray.ui.mode_dialog import ModeReserveDialog
from tests.cloud.conftest import DELAY_S, Cloud, CloudFactory
from tests.cloud.conftest import cloud_factory as cloud_factory
from tests.conftest import SimFactory
from tests.core.helpers import cloud_site, site_for
from tests.fakeclock import FakeClock
from tests.timepump import time_passes
from tests.ui.conftest import until

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
HINT = "Connect a Tesla account in Connection… to change these."


def dialog_for(qtbot: QtBot, site: Site) -> ModeReserveDialog:
    """The dialog on a site's commands, as the app opens it."""
    dialog = ModeReserveDialog(site.commands, charge_percent=64.0)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def shown(widget: QWidget, dialog: QWidget) -> bool:
    return widget.isVisibleTo(dialog)


def cloud_calls(cloud: Cloud) -> collections.Counter[tuple[str, str]]:
    return collections.Counter((method, path) for method, path, _status in cloud.paths())


def save(dialog: QWidget, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / f"dialog-mode-{name}.png"))


# ---------------------------------------------------------------------- firmware 1.x, locally
def test_firmware_1x_changes_in_tenths_on_the_gateway_and_offers_only_what_it_has(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory(firmware="1.15.0")

    async def scenario() -> None:
        site = site_for(sim)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None and dialog.cloud_read, what="the reads")
        assert dialog.current.text() == (
            "Now: Self-powered, backup reserve 20 % (gateway value 24.0 %)."
        )
        buttons = dialog.mode_buttons
        assert shown(buttons[OperationMode.SELF_CONSUMPTION], dialog)
        assert shown(buttons[OperationMode.BACKUP], dialog)
        assert not shown(buttons[OperationMode.AUTONOMOUS], dialog)  # 1.15 answers it with 500
        assert not shown(dialog.grid_button, dialog)  # 1.x has no off-grid endpoint
        assert "firmware 1.15.0 cannot be switched off grid" in dialog.grid_label.text()
        assert not shown(dialog.account_hint, dialog)  # 1.x takes changes locally
        assert not shown(dialog.cloud_box, dialog)  # no Tesla account
        dialog.spin.setValue(66.6)
        assert "stores this as 68.3 %" in dialog.api_value.text()
        assert dialog.slider.value() == 67  # follows the box; the box keeps its tenth
        assert dialog.spin.value() == pytest.approx(66.6)
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith("✔"), what="the read-back")
        assert dialog.outcome.text() == (
            "✔ Changed on the gateway, which confirms: Self-powered, backup reserve 66.6 %."
        )
        await until(lambda: "66.6 %" in dialog.current.text(), what="the settings read again")
        assert dialog.current.text() == (
            "Now: Self-powered, backup reserve 66.6 % (gateway value 68.3 %)."
        )
        assert sim.state()["reserve_percent"] == pytest.approx(66.6, abs=0.01)
        assert site.snapshot.reserve_percent == pytest.approx(66.6, abs=0.01)  # at once
        save(dialog, "1x-saved")
        dialog.apply_button.click()
        assert dialog.outcome.text() == "Nothing to change: these are the settings it has now."
        posts = [r for r in sim.requests() if r.method == "POST" and r.path == "/api/operation"]
        assert len(posts) == 1  # an unchanged Apply sends nothing
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tenths=st.integers(0, 1000))
@example(tenths=666)
@example(tenths=199)
@example(tenths=1)
def test_a_reserve_set_in_tenths_reads_back_the_same(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    sim_factory: SimFactory,
    tenths: int,
) -> None:
    wanted = tenths / 10
    sim = sim_factory(firmware="1.15.0")

    async def scenario() -> None:
        site = site_for(sim)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None, what="the first read")
        dialog.spin.setValue(wanted)
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith(("✔", "Nothing")), what="saved")
        dialog.close()
        again = dialog_for(qtbot, site)  # opened afresh: what the gateway has now
        await until(lambda: again.view is not None, what="the read")
        assert again.spin.value() == wanted
        words = f"{wanted:.1f}".removesuffix(".0")
        assert again.current.text().startswith(f"Now: Self-powered, backup reserve {words} %")
        assert sim.state()["reserve_percent"] == pytest.approx(wanted, abs=0.01)
        again.close()
        await site.stop()

    qloop.run_until_complete(scenario())


def test_any_gateway_value_is_shown_to_the_nearest_tenth(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory(firmware="1.15.0")

    async def scenario() -> None:
        site = site_for(sim)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None, what="the first read")
        view = dialog.view
        assert view is not None

        @settings(max_examples=400, deadline=None)
        @given(raw=st.floats(0, 100, allow_nan=False))
        @example(raw=24.6)
        @example(raw=33.0)  # the seed's app 30 %
        @example(raw=24.0)  # the seed's app 20 %
        @example(raw=5 + 0.95 * 19.999)  # app 19.999: shown as 20, never 19.9
        @example(raw=5 + 0.95 * 19.95)  # half way between two tenths
        def shows(raw: float) -> None:
            body = json.dumps({"mode": "self_consumption", "backup_reserve_percent": raw})
            operation = msgspec.json.decode(body, type=Operation)  # as the client decodes it
            dialog.show_view(OperationView(operation, GridState.CONNECTED, modes=view.modes))
            exact = api_to_app(raw)
            text = dialog.spin.text().removesuffix(" %")
            in_box, ok = dialog.spin.locale().toDouble(text)
            assert ok, text
            assert abs(in_box - exact) <= 0.05 + 1e-9, (raw, text)
            assert round(in_box * 10) == pytest.approx(in_box * 10)  # a tenth, no more
            line = dialog.current.text()
            number = line.removeprefix("Now: Self-powered, backup reserve ").split(" %")[0]
            assert abs(float(number) - exact) <= 0.05 + 1e-9, (raw, line)

        shows()
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


# ------------------------------------------------------------- current firmware, no account
def test_without_an_account_the_refusal_is_explained_and_nothing_pretends(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()  # customer login: mode and reserve writes get 403

    async def scenario() -> None:
        site = site_for(sim)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None and dialog.cloud_read, what="the reads")
        assert shown(dialog.account_hint, dialog)
        assert dialog.account_hint.text() == HINT
        assert not shown(dialog.cloud_box, dialog)
        assert shown(dialog.mode_buttons[OperationMode.AUTONOMOUS], dialog)
        dialog.spin.setValue(50)
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith("✖"), what="the refusal")
        text = dialog.outcome.text()
        assert "Not changed" in text
        assert "change them in the Tesla app" in text
        assert "connect a Tesla account in Connection…" in text
        assert "/api/" not in text  # the endpoint only in the details (the tooltip)
        assert "operation" in dialog.outcome.toolTip()
        await until(lambda: dialog.spin.value() == 20, what="the settings read again")
        assert dialog.current.text().startswith("Now: Self-powered, backup reserve 20 %")
        assert sim.state()["reserve_percent"] == pytest.approx(20)
        save(dialog, "refused")
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


def test_a_gateway_that_takes_local_writes_after_all_loses_the_hint(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    """Current firmware refuses the customer login (the hint says so before any try); one
    that takes the write after all (an installer's access) is remembered as taking them."""
    sim = sim_factory(allow_writes=True)

    async def scenario() -> None:
        site = site_for(sim)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None and dialog.cloud_read, what="the reads")
        assert shown(dialog.account_hint, dialog)
        dialog.spin.setValue(30.5)
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith("✔"), what="the read-back")
        assert dialog.outcome.text() == (
            "✔ Changed on the gateway, which confirms: Self-powered, backup reserve 30.5 %."
        )
        await until(lambda: not shown(dialog.account_hint, dialog), what="the hint gone")
        assert sim.state()["reserve_percent"] == pytest.approx(30.5, abs=0.01)
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


# ---------------------------------------------------------------------- off grid
def test_going_off_grid_needs_a_confirmation_and_is_off_grid_by_choice(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()

    async def scenario() -> None:
        site = site_for(sim)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.grid_button.isEnabled(), what="the grid state")
        assert dialog.grid_label.text() == "Connected to the grid."
        dialog.grid_button.click()
        box = dialog.confirmation
        assert "run on the Powerwall (now 64 %) and solar" in box.text()
        box.button(QMessageBox.StandardButton.Cancel).click()
        assert not dialog.tasks.busy  # Cancel started nothing that could still send it
        assert not any(r.path.startswith("/api/v2/islanding") for r in sim.requests())
        dialog.grid_button.click()
        confirm = next(b for b in dialog.confirmation.buttons() if b.text() == "Go off grid")
        confirm.click()
        clock = site.clock
        assert isinstance(clock, FakeClock)
        async with time_passes(sim, clock):  # the gateway takes a few seconds to switch
            await until(lambda: dialog.outcome.text().startswith("✔"), 20, "off grid")
        assert dialog.outcome.text() == "✔ Off grid (by choice)."
        assert dialog.grid_label.text().startswith("Off grid (by choice).")
        assert dialog.grid_button.text() == "Reconnect to the grid…"
        assert sim.state()["grid_status"] != "SystemGridConnected"
        assert site.snapshot.off_grid_by_choice  # refreshed after the command
        dialog.close()
        later = dialog_for(qtbot, site)  # opened again: the gateway's state, the monitor's why
        await until(lambda: later.view is not None, what="the read")
        assert later.grid_label.text() == (
            "Off grid (by choice). The house runs on the Powerwall and solar."
        )
        assert later.grid_button.text() == "Reconnect to the grid…"
        assert later.grid_button.isEnabled()
        save(later, "off-grid")
        later.close()
        await site.stop()

    qloop.run_until_complete(scenario())


# ---------------------------------------------------------------------- through the Tesla account
def test_changes_go_through_the_account_and_are_followed_until_the_gateway_has_them(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, cloud_factory: CloudFactory
) -> None:
    cloud = cloud_factory()  # current firmware: the gateway refuses; the cloud delays 600 s
    gateway = cloud.gateway

    async def scenario() -> None:
        site = cloud_site(cloud)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None and dialog.cloud_read, what="the reads")
        assert not shown(dialog.account_hint, dialog)
        assert shown(dialog.cloud_box, dialog)
        for control in ("storm_watch", "grid_charging", "export_rule", "vehicle_reserve_percent"):
            assert all(shown(w, dialog) for w in dialog.cloud_rows[control][0]), control
        assert not dialog.storm_watch.isChecked()
        assert dialog.grid_charging.isChecked()
        assert dialog.export_rule.currentText() == "Solar only"
        assert dialog.vehicle_reserve.value() == 0
        # Opening costs one read of site_info (and the access token); nothing else, ever.
        assert cloud_calls(cloud) == {("POST", "token"): 1, ("GET", "site_info"): 1}

        dialog.spin.setValue(66.6)
        dialog.storm_watch.setChecked(True)
        dialog.grid_charging.setChecked(False)
        starts = Qt.MatchFlag.MatchStartsWith
        dialog.export_rule.setCurrentIndex(dialog.export_rule.findText("Everything", starts))
        dialog.vehicle_reserve.setValue(30)
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith("➜"), what="sent")
        assert dialog.outcome.text() == (
            "➜ Sent through your Tesla account; the gateway shows it in a minute or so. "
            "Tesla's cloud takes whole percents, so the reserve went as 67 %."
        )
        lines = {c: row[1] for c, row in dialog.cloud_rows.items()}
        await until(lambda: all(line.text().startswith("✔") for line in lines.values()), 20)
        assert lines["storm_watch"].text() == "✔ Changed. Tesla now reports: on."
        assert lines["grid_charging"].text() == "✔ Changed. Tesla now reports: off."
        assert lines["export_rule"].text() == (
            "✔ Changed. Tesla now reports: Everything (solar and Powerwall)."
        )
        assert lines["vehicle_reserve_percent"].text() == "✔ Changed. Tesla now reports: 30 %."
        assert cloud.sim.settings() == {
            "mode": "self_consumption",
            "reserve_percent": 67,
            "storm_watch": True,
            "grid_charging": False,
            "export_rule": "battery_ok",
            "vehicle_reserve_percent": 30,
        }
        assert gateway.state()["reserve_percent"] == pytest.approx(20)  # not there yet
        assert dialog.current.text().startswith("Now: Self-powered, backup reserve 20 %")

        cloud.sim.advance(DELAY_S)  # Tesla's change reaches the gateway
        assert cloud.sim.pending() == []
        clock = site.clock
        assert isinstance(clock, FakeClock)
        async with time_passes(gateway, clock):  # the dialog reads the gateway every 2 s
            await until(lambda: dialog.outcome.text().startswith("✔"), 20, "confirmed")
        assert dialog.outcome.text() == (
            "✔ Sent through your Tesla account, and the gateway now shows it: Self-powered with "
            "a 67 % reserve. Tesla's cloud takes whole percents, so the reserve went as 67 %."
        )
        await until(lambda: "67 %" in dialog.current.text(), what="the settings read again")
        assert gateway.state()["reserve_percent"] == pytest.approx(67)
        save(dialog, "cloud-confirmed")

        # Never polled: time passing with the dialog open asks Tesla nothing more.
        calls = cloud_calls(cloud)
        async with time_passes(gateway, clock, step_s=30.0):
            await asyncio.sleep(0.5)
        assert cloud_calls(cloud) == calls
        # Each change: the command, then one read of what Tesla reports.
        assert calls == {
            ("POST", "token"): 1,
            ("GET", "site_info"): 1 + 6,
            ("POST", "operation"): 1,
            ("POST", "backup"): 1,
            ("POST", "storm_mode"): 1,
            ("POST", "grid_import_export"): 2,
            ("POST", "off_grid_vehicle_charging_reserve"): 1,
        }
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


def test_a_mode_taken_with_its_reserve_refused_says_which_half_failed(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, cloud_factory: CloudFactory
) -> None:
    cloud = cloud_factory()
    cloud.sim.set_fault("server_error", path="backup", status=503)  # the reserve's command

    async def scenario() -> None:
        site = cloud_site(cloud)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None and dialog.cloud_read, what="the reads")
        dialog.mode_buttons[OperationMode.AUTONOMOUS].click()
        dialog.spin.setValue(50)
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith("✖"), 20, "the outcome")
        text = dialog.outcome.text()
        assert text.startswith("✖ The backup reserve was not changed: Tesla's cloud cannot reach")
        assert (
            "Tesla's cloud did take the mode, Time-based control; the reserve stays 20 %." in text
        )
        assert text.endswith("Apply sends the reserve again.")
        assert cloud.sim.settings()["mode"] == "autonomous"
        # The choices stay as made, so Apply sends the reserve again; this time Tesla takes it.
        assert dialog.mode_buttons[OperationMode.AUTONOMOUS].isChecked()
        assert dialog.spin.value() == pytest.approx(50)
        assert dialog.apply_button.isEnabled()
        cloud.sim.clear_faults()
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith("➜"), 20, "sent")
        assert cloud.sim.settings()["reserve_percent"] == 50
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


def test_a_change_the_gateway_never_shows_is_reported_as_such(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, cloud_factory: CloudFactory
) -> None:
    cloud = cloud_factory()

    async def scenario() -> None:
        site = cloud_site(cloud)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None and dialog.cloud_read, what="the reads")
        dialog.mode_buttons[OperationMode.BACKUP].click()
        assert dialog.spin.value() == 100
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith("➜"), what="sent")
        clock = site.clock
        assert isinstance(clock, FakeClock)
        # Ten minutes of the gateway's time pass; Tesla's clock stands still (it never delivers).
        async with time_passes(cloud.gateway, clock, step_s=20.0):
            await until(lambda: dialog.outcome.text().startswith("✖"), 20, "the wait ended")
        assert dialog.outcome.text() == (
            "✖ Sent through your Tesla account, but the gateway did not show Backup-only within "
            "10 minutes; Tesla may still apply it. The settings above are what the gateway has."
        )
        assert dialog.current.text().startswith("Now: Self-powered")
        assert cloud.gateway.state()["mode"] == "self_consumption"
        assert cloud.sim.pending() != []  # still on its way, as the line says
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


def test_each_cloud_control_says_its_own_outcome_and_errors_in_words(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, cloud_factory: CloudFactory
) -> None:
    cloud = cloud_factory()

    async def scenario() -> None:
        site = cloud_site(cloud)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None and dialog.cloud_read, what="the reads")
        cloud.sim.set_fault("offline", path="storm_mode")
        dialog.storm_watch.setChecked(True)
        dialog.vehicle_reserve.setValue(40)
        dialog.apply_button.click()
        storm = dialog.cloud_rows["storm_watch"][1]
        vehicle = dialog.cloud_rows["vehicle_reserve_percent"][1]
        await until(lambda: storm.text()[:1] in "✔✖" and vehicle.text()[:1] in "✔✖", 20)
        assert storm.text().startswith(
            "✖ Not changed: Tesla's cloud cannot reach your Powerwall right now (HTTP 408"
        )
        assert not dialog.storm_watch.isChecked()  # back to what Tesla reports
        assert vehicle.text() == "✔ Changed. Tesla now reports: 40 %."
        assert dialog.outcome.text() == ""  # mode and reserve were not touched
        assert cloud.sim.settings()["storm_watch"] is False
        assert cloud.sim.settings()["vehicle_reserve_percent"] == 40
        assert dialog.apply_button.isEnabled()
        save(dialog, "cloud-error")
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


def test_controls_the_site_does_not_offer_are_not_shown(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, cloud_factory: CloudFactory
) -> None:
    cloud = cloud_factory(storm_watch_capable=False, vehicle_reserve_supported=False, solar=False)

    async def scenario() -> None:
        site = cloud_site(cloud)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None and dialog.cloud_read, what="the reads")
        for widgets, result in dialog.cloud_rows.values():
            assert not any(shown(w, dialog) for w in [*widgets, result])
        assert dialog.cloud_status.text() == (
            "Tesla reports no other settings your site lets you change."
        )
        assert not shown(dialog.account_hint, dialog)  # the account changes mode and reserve
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


def test_a_cloud_that_cannot_be_read_is_said_in_words(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, cloud_factory: CloudFactory
) -> None:
    cloud = cloud_factory()
    cloud.sim.set_fault("missing_scope", path="site_info")

    async def scenario() -> None:
        site = cloud_site(cloud)
        dialog = dialog_for(qtbot, site)
        await until(lambda: dialog.view is not None and dialog.cloud_read, what="the reads")
        text = dialog.cloud_status.text()
        assert text.startswith("Could not read the settings from Tesla: Tesla refused")
        assert '"Energy Product Information"' in text
        assert not any(shown(w, dialog) for ws, _ in dialog.cloud_rows.values() for w in ws)
        assert dialog.current.text().startswith("Now: Self-powered")  # the gateway still read
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


# ---------------------------------------------------------------------- pictures
def _dark() -> QPalette:
    palette = QPalette(QColor(45, 45, 48))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(235, 235, 235))
    palette.setColor(QPalette.ColorRole.Text, QColor(235, 235, 235))
    palette.setColor(QPalette.ColorRole.Base, QColor(30, 30, 32))
    palette.setColor(QPalette.ColorRole.Button, QColor(55, 55, 58))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(235, 235, 235))
    return palette


def _contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_pictures_with_every_control_light_and_dark(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    dark: bool,
) -> None:
    cloud = cloud_factory()

    async def scenario() -> None:
        site = cloud_site(cloud)
        dialog = ModeReserveDialog(site.commands, charge_percent=64.0)
        qtbot.addWidget(dialog)
        if dark:
            dialog.setPalette(_dark())
        dialog.show()
        await until(lambda: dialog.view is not None and dialog.cloud_read, what="the reads")
        cloud.sim.set_fault("offline", path="storm_mode")
        dialog.spin.setValue(45.5)
        dialog.storm_watch.setChecked(True)
        dialog.export_rule.setCurrentIndex(0)
        dialog.apply_button.click()
        lines = [dialog.cloud_rows[c][1] for c in ("storm_watch", "export_rule")]
        await until(lambda: all(line.text()[:1] in "✔✖" for line in lines), 15, "the results")
        await until(lambda: dialog.outcome.text().startswith("➜"), 15, "sent")
        await asyncio.sleep(0.1)  # the layouts settle
        # Every text is readable on its background, the greyed mode help included.
        for label in [*dialog.mode_help.values(), dialog.outcome, *lines]:
            role = label.foregroundRole()
            group = (
                QPalette.ColorGroup.Disabled
                if not label.isEnabled()
                else QPalette.ColorGroup.Active
            )
            ink = label.palette().color(group, role)
            paper = label.palette().color(group, label.backgroundRole())
            assert _contrast(ink, paper) >= 3.0, (label.text(), ink.name(), paper.name())
        save(dialog, "dark" if dark else "light")
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())
