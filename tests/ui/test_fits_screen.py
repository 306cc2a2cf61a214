"""Every dialog and the window at its minimum size fit a 1280x720 screen with room for a panel
and a title bar, with their buttons on screen — each shown in its fullest state (every section
loaded, the longest texts, the certificate box open), as a user on a small laptop sees it.
Pictures of each are saved under artifacts/ (fit-*.png)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize, QTimer
from PySide6.QtWidgets import QApplication, QPushButton, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from pwtray.core import CliOptions, Core, Passwords
from pwtray.monitor import HistoryStore
from pwtray.settings import Connection, SessionSecrets, Settings, save
from pwtray.ui.app import NO_TRAY
from pwtray.ui.connection_dialog import ConnectionDialog
from pwtray.ui.mode_dialog import ModeReserveDialog
from pwtray.ui.network_dialog import NetworkInfoDialog
from pwtray.ui.tray import TrayController
from pwtray.ui.window import TABS, MainWindow
from pwtray.ui.wizard import SetupWizard
from tests.cloud.conftest import CLIENT_ID, CloudFactory
from tests.cloud.conftest import cloud_factory as cloud_factory
from tests.conftest import PASSWORD, SimFactory
from tests.core.helpers import cloud_site, site_for
from tests.keyrings import NoDefaultKeyring, using
from tests.ui.conftest import until
from tests.ui.sitehistory import SimTime, simulate
from tests.ui.test_connection_account import Browser, free_port, start_core
from tests.ui.test_tray import tray as tray

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SCREEN = QSize(1280, 720)
# What a window may use of it: a panel (Xfce's default is 26 px, many are 32-48) and a title bar.
ROOM = QSize(SCREEN.width(), SCREEN.height() - 48 - 32)


def fits(widget: QWidget, name: str, *, hint: QSize | None = None) -> None:
    """The widget's preferred and actual sizes fit ROOM, and every button is inside it."""
    hint, size = hint or widget.sizeHint(), widget.size()
    assert hint.width() <= ROOM.width(), f"{name}: preferred width {hint.width()}"
    assert hint.height() <= ROOM.height(), f"{name}: preferred height {hint.height()}"
    assert size.width() <= ROOM.width(), f"{name}: width {size.width()}"
    assert size.height() <= ROOM.height(), f"{name}: height {size.height()}"
    buttons = [b for b in widget.findChildren(QPushButton)
               if b.isVisibleTo(widget) and not _scrolled(b, widget)]  # fmt: skip
    assert buttons or isinstance(widget, MainWindow), f"{name}: no buttons found"
    for button in buttons:
        where = QRect(button.mapTo(widget, button.rect().topLeft()), button.size())
        assert widget.rect().contains(where), f"{name}: {button.text()!r} at {where}"
    ARTIFACTS.mkdir(exist_ok=True)
    assert widget.grab().save(str(ARTIFACTS / f"fit-{name}.png"))


def _scrolled(button: QWidget, top: QWidget) -> bool:
    """Inside a scroll area of ``top``: reachable by scrolling, wherever it is now."""
    parent = button.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def shown(qtbot: QtBot, widget: QWidget) -> None:
    """Outside a coroutine: shown, and Qt's events processed."""
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    QApplication.processEvents()


async def show(qtbot: QtBot, widget: QWidget) -> None:
    """Inside a coroutine (no nested Qt loop there: the event loop runs while it waits)."""
    qtbot.addWidget(widget)
    widget.show()
    await until(widget.isVisible, 10, "the window")
    await settle()


async def settle() -> None:
    """Let Qt lay out what just changed (qasync runs Qt's events while this waits)."""
    await asyncio.sleep(0.1)


def test_the_setup_wizard_fits_on_every_page(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()
    wizard = SetupWizard(Passwords(SessionSecrets()), on_done=lambda s: None,
                         search_range="127.0.0.9")  # fmt: skip

    async def scenario() -> None:
        await show(qtbot, wizard)
        fits(wizard, "wizard-find")
        wizard.find_page.address_mode.setChecked(True)
        wizard.find_page.address.setText("127.0.0.9:1")  # nothing there: the longest report
        wizard.next()
        await until(lambda: wizard.cert_page.diagnosis is not None, 15, "the refusal")
        await settle()
        fits(wizard, "wizard-unreachable")
        wizard.back()
        wizard.find_page.address.setText(sim.address)
        wizard.next()
        await until(lambda: wizard.cert_page.diagnosis is not None, 15, "the certificate")
        await settle()
        fits(wizard, "wizard-certificate")
        wizard.cert_page.trust.setChecked(True)
        wizard.next()
        wizard.login_page.password.setText("wrong")
        wizard.login_page.login_button.click()
        await until(lambda: wizard.login_page.outcome.text().startswith("✖"), 15, "the refusal")
        await settle()
        fits(wizard, "wizard-login")
        wizard.login_page.password.setText(PASSWORD)
        wizard.login_page.login_button.click()
        await until(lambda: wizard.login_page.logged_in, 15, "the login")
        wizard.next()
        await until(lambda: wizard.done_page.keyring_checked, 15, "the keyring")
        await settle()
        fits(wizard, "wizard-ready")

    qloop.run_until_complete(scenario())


def test_connection_with_a_changed_certificate_and_a_full_report_fits(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    sim_factory: SimFactory,
    tmp_path: Path,
) -> None:
    sim = sim_factory()
    old = sim.fingerprint
    sim.rotate_certificate()
    secrets = SessionSecrets()
    secrets.set(sim.address, PASSWORD)
    settings_path = tmp_path / "settings.toml"
    save(Settings(connection=Connection(host=sim.address, fingerprint=old)), settings_path)

    async def scenario() -> None:  # the dialog reads the keyring on the running loop
        core = await Core.start(CliOptions(), settings_path=settings_path,
                                data_folder=tmp_path / "data", secrets=secrets)  # fmt: skip
        try:
            dialog = ConnectionDialog(Connection(host=sim.address, fingerprint=old),
                                      Passwords(secrets), on_saved=lambda s: None,
                                      account=core.account)  # fmt: skip
            await show(qtbot, dialog)
            await settle()
            fits(dialog, "connection")
            dialog.check_button.click()
            await until(lambda: dialog.diagnosis is not None, 15, "the check")
            assert dialog.change_box.isVisibleTo(dialog)
            await settle()
            fits(dialog, "connection-changed")
            dialog.trust_button.click()
            dialog.check_button.click()
            await until(lambda: dialog.report.text().count("✔") == 5, 15, "every check passing")
            await settle()
            fits(dialog, "connection-checked")
            dialog.close()
        finally:
            await core.close()

    qloop.run_until_complete(scenario())


def test_connection_on_its_tesla_account_tab_fits(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
) -> None:
    """The longest states: waiting for the browser, and a choice of sites with the paste box
    open — each with the keyring's problem said (no keyring, so the longest sentence)."""
    cloud = cloud_factory(gateway_din="1232100-00-E--TG1111111111AA",
                          other_sites=("1707000-11-J--TG9999999999ZZ",))  # fmt: skip
    browser = Browser(cloud, visit=False)

    async def scenario() -> None:
        core = await start_core(tmp_path, cloud)
        try:
            dialog = ConnectionDialog(core.settings.connection, core.passwords,
                                      on_saved=lambda s: None, account=core.account,
                                      open_browser=browser, redirect_port=free_port())  # fmt: skip
            await show(qtbot, dialog)
            dialog.show_account()
            panel = dialog.account_panel
            assert panel is not None
            await until(lambda: panel.status is not None, 15, "the account's state")
            panel.client_id.setText(CLIENT_ID)
            panel.browser_button.click()
            await until(lambda: bool(browser.opened), 15, "the browser")
            await settle()
            assert panel.waiting_box.isVisible()
            assert panel.kept.text().startswith("⚠")
            fits(dialog, "connection-account-waiting")
            panel.cancel_button.click()
            await until(lambda: not panel.busy, 15, "the cancel")
            browser.visit = True
            panel.browser_button.click()
            await until(lambda: panel.choice_box.isVisible() and not panel.busy, 30, "the sites")
            panel.paste_button.click()
            await settle()
            assert panel.paste_box.isVisible()
            fits(dialog, "connection-account-choice")
            dialog.close()
        finally:
            await core.close()

    with using(NoDefaultKeyring()):
        qloop.run_until_complete(scenario())


def test_mode_and_reserve_fits_with_a_refusal_shown(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()  # current firmware: a customer login may not write

    async def scenario() -> None:
        site = site_for(sim)
        dialog = ModeReserveDialog(site.commands, charge_percent=64.0)
        await show(qtbot, dialog)
        await until(lambda: dialog.view is not None and dialog.cloud_read, 15, "the reads")
        dialog.spin.setValue(55.5)
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith("✖"), 15, "the refusal")
        await settle()
        fits(dialog, "mode")
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


def test_mode_and_reserve_fits_with_every_tesla_account_control_and_their_results(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, cloud_factory: CloudFactory
) -> None:
    cloud = cloud_factory()  # every control offered; each result line shown, one an error

    async def scenario() -> None:
        site = cloud_site(cloud)
        dialog = ModeReserveDialog(site.commands, charge_percent=64.0)
        await show(qtbot, dialog)
        await until(lambda: dialog.view is not None and dialog.cloud_read, 15, "the reads")
        cloud.sim.set_fault("offline", path="storm_mode")  # the longest result: an error
        dialog.spin.setValue(66.6)
        dialog.storm_watch.setChecked(True)
        dialog.grid_charging.setChecked(False)
        dialog.export_rule.setCurrentIndex(0)
        dialog.vehicle_reserve.setValue(30)
        dialog.apply_button.click()
        lines = [result for _widgets, result in dialog.cloud_rows.values()]
        await until(lambda: all(line.text()[:1] in "✔✖" for line in lines), 15, "the results")
        await until(lambda: dialog.outcome.text().startswith("➜"), 15, "sent")
        await settle()
        fits(dialog, "mode-cloud")
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


def test_network_info_fits_with_every_section_loaded(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()

    async def scenario() -> None:
        site = site_for(sim)
        dialog = NetworkInfoDialog(site.commands)
        await show(qtbot, dialog)
        await until(lambda: dialog.all_loaded, 30, "every section")
        await settle()
        fits(dialog, "network")
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())


def test_about_fits(tray: TrayController, qtbot: QtBot) -> None:
    seen: list[QWidget] = []

    def measure_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert box is not None
        seen.append(box)
        fits(box, "about")
        box.close()

    QTimer.singleShot(200, measure_and_close)
    tray._about()  # modal: returns once closed
    assert len(seen) == 1


@pytest.mark.parametrize("tab", TABS)
def test_the_window_at_its_minimum_size_fits(
    qapp: QApplication, qtbot: QtBot, tmp_path: Path, tab: str
) -> None:
    end = dt.datetime(2026, 7, 14, 21, 10).astimezone()
    now = end.timestamp()
    clock = SimTime(now - 2 * 86_400)
    history = HistoryStore(tmp_path / "h.sqlite", clock=clock)
    last = simulate(history, clock, end, days=2, outages=((1.5, 0.0), (30.0, 29.0)))
    win = MainWindow(history, clock=lambda: now, state_file=tmp_path / "w.ini")
    win.show_snapshot(last, now)
    win.show_notice(NO_TRAY)  # the longest text it shows
    shown(qtbot, win)
    win.tabs.setCurrentIndex(TABS.index(tab))
    win.resize(win.minimumSize())
    QApplication.processEvents()
    assert win.size() == win.minimumSize()
    needed = win.minimumSizeHint()  # what the layouts need: nothing squeezed at the minimum
    assert needed.boundedTo(win.minimumSize()) == needed, f"needs {needed.toTuple()}"
    fits(win, f"window-min-{tab}", hint=needed)  # a window's size is its own, not its hint
    win.close()
    fresh = MainWindow(history, clock=lambda: now, state_file=tmp_path / "none.ini")
    assert fresh.size().boundedTo(ROOM) == fresh.size()  # the size it first opens at
    history.close()
