"""Preferences, on five tabs: General (polling, display, history, start at login),
Notifications, Actions (a command per event, with a Test button), Shutdown (this computer, off
grid and low) and Sharing (the Powerwall as a UPS for other computers, over NUT). Apply (or OK)
hands the choices to the app, which saves and applies them at once; the NUT password goes to the
keyring only.

Each tab scrolls on its own, so the dialog fits a 1280 x 720 screen and Apply/Cancel/OK stay in
view whatever a tab holds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import msgspec
from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QButtonGroup,
    QCheckBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pwtray.core import (
    ActionRun,
    Outcome,
    Trigger,
    UpsState,
    check_ups,
    join_command,
    split_command,
)
from pwtray.core.words import ACTION_LABELS, run_result, ups_state_text
from pwtray.monitor import EventKind
from pwtray.settings import Action, Nut, Settings
from pwtray.ui.tasks import TaskDialog

KIND_LABELS = {
    EventKind.GRID_OUTAGE: "Grid outage",
    EventKind.GRID_RESTORED: "Grid restored",
    EventKind.RESERVE_REACHED: "Backup reserve reached",
    EventKind.BATTERY_FULL: "Battery full",
    EventKind.SOE_BELOW: "Charge below a threshold",
    EventKind.UNREACHABLE: "Gateway unreachable",
    EventKind.BACK_ONLINE: "Gateway reachable again",
    EventKind.AUTH_REQUIRED: "Login needed",
    EventKind.LOCKED_OUT: "Login locked out",
    EventKind.CERTIFICATE_CHANGED: "Certificate changed",
    EventKind.GATEWAY_STOPPED: "Powerwalls stopped",
    EventKind.FIRMWARE_CHANGED: "Firmware updated",
    EventKind.MODE_CHANGED: "Mode changed elsewhere",
    EventKind.RESERVE_CHANGED: "Reserve changed elsewhere",
    EventKind.NEW_ALERT: "New gateway alert",
    EventKind.RESUMED: "Back from sleep",
    EventKind.ACTION_FAILED: "An action failed",
}
PAGES = ("general", "notifications", "actions", "shutdown", "sharing")
SHUTDOWN_CHOICES = (
    ("poweroff", "Shut down"),
    ("hibernate", "Hibernate"),
    ("suspend", "Suspend (sleep)"),
)
SHUTDOWN_WARNING = (
    "⚠ When the countdown ends, pwtray shuts down (or hibernates, or suspends) this computer "
    "without asking again: work not saved in open programs can be lost. Computers that follow "
    "pwtray over NUT are told to shut down (FSD) as soon as the countdown starts. Try it with "
    "“Dry run” first; it then only records what it would have done."
)
ACTIONS_HELP = (
    "pwtray runs the program with its arguments, without a shell (no pipes, no “~”), each "
    "time the event happens, with the facts in environment variables: PWTRAY_EVENT, PWTRAY_SOE, "
    "PWTRAY_GRID, PWTRAY_TIME_LEFT_S, PWTRAY_SITE, PWTRAY_AT and more (see the README). Its "
    "output goes to pwtray's log; the window's Actions tab lists every run."
)

NUT_HELP = (
    "A NAS, a server or a Raspberry Pi can follow the Powerwall like a UPS with Network UPS "
    "Tools (NUT): it sees when the house runs on battery, the charge and the time left, and "
    "shuts itself down when the Powerwall runs low (or when pwtray's own shutdown starts)."
)
LISTEN_HELP = (
    "127.0.0.1:3493 serves this computer only; 0.0.0.0:3493 (or this computer's address) the "
    "home network too, then only for the allowed clients."
)

FRAME_PX = 16  # window borders the dialog's size does not include
TITLE_BAR_PX = 48  # nor its title bar (and borders), on the tallest common decorations

TestAction = Callable[[Trigger, list[str], float], Coroutine[Any, Any, ActionRun]]


@dataclass(frozen=True)
class Chosen:
    """What Apply hands to the app."""

    settings: Settings
    start_at_login: bool
    nut_password: str | None = None  # a new one was typed; for the keyring only


class ChoiceError(ValueError):
    """A value that cannot be used; ``page`` is the tab it is on."""

    def __init__(self, page: str, message: str) -> None:
        super().__init__(message)
        self.page = page


def parse_thresholds(text: str) -> list[float]:
    """``"50, 25, 10"`` -> ``[50.0, 25.0, 10.0]``; ``ValueError`` with a message for a person."""
    values = []
    for part in text.replace(";", ",").split(","):
        part = part.strip().removesuffix("%").strip()
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"“{part}” is not a number") from None
        if not 0 < value < 100:
            raise ValueError(f"{value:g} % is not between 0 and 100")
        values.append(value)
    return sorted(set(values), reverse=True)


@dataclass
class ActionRow:
    command: QLineEdit
    timeout: QSpinBox
    test: QPushButton
    result: QLabel


def _scrolling(page: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(page)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
    return area


def _wrapped(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class PreferencesDialog(TaskDialog):
    def __init__(
        self,
        settings: Settings,
        *,
        autostart: bool,
        on_apply: Callable[[Chosen], None],
        pause: Callable[[str], str] | None = None,
        test_action: TestAction | None = None,
        ups_state: Callable[[], UpsState] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("pwtray — Preferences")
        self._base = settings
        self._on_apply = on_apply
        self._pause = pause
        self._test_action = test_action
        self._ups_state = ups_state

        self.pages = QTabWidget()
        self.pages.setAccessibleName("Preferences pages")
        self._contents = [
            self._general_page(settings, autostart),
            self._notifications_page(settings),
            self._actions_page(settings),
            self._shutdown_page(settings),
            self._sharing_page(settings.nut),
        ]
        self._areas = [_scrolling(page) for page in self._contents]
        titles = ("&General", "&Notifications", "&Actions", "&Shutdown", "Sha&ring")
        for area, title in zip(self._areas, titles, strict=True):
            self.pages.addTab(area, title)
        self.pages.currentChanged.connect(lambda _: self.show_ups_state())
        self._ups_timer = QTimer(self)  # clients come and go while the page is open
        self._ups_timer.setInterval(2000)
        self._ups_timer.timeout.connect(self.show_ups_state)

        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problem")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons = buttons
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.clicked.connect(self.apply)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, stretch=1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        self._fitted = False

    def showEvent(self, event: QShowEvent) -> None:
        if not self._fitted:  # the first time: as large as the pages want, within the screen
            self.fit_to(self.screen().availableGeometry())
        self.show_ups_state()
        self._ups_timer.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._ups_timer.stop()
        super().hideEvent(event)

    def fit_to(self, available: QRect) -> QSize:
        """Size the dialog so every page shows whole where ``available`` (the screen less its
        panels) allows; a page that still does not fit scrolls, the buttons stay in view."""
        pages = self._contents
        content = QSize(
            max(p.sizeHint().width() for p in pages), max(p.sizeHint().height() for p in pages)
        )
        chrome = self.sizeHint() - self.pages.sizeHint()  # margins, the problem line, buttons
        chrome += self.pages.sizeHint() - self._areas[self.pages.currentIndex()].sizeHint()
        scrollbar = self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent)
        want = content + chrome + QSize(scrollbar, 0)
        size = QSize(
            min(want.width(), available.width() - FRAME_PX),
            min(want.height(), available.height() - TITLE_BAR_PX),
        )
        self.resize(size)
        self._fitted = True
        return size

    # ------------------------------------------------------------------ pages
    def _general_page(self, settings: Settings, autostart: bool) -> QWidget:
        polling = QGroupBox("Reading the gateway")
        form = QFormLayout(polling)
        self.fast = self._seconds(settings.polling.fast_s, 1, 60, "Power, charge, grid state")
        self.slow = self._seconds(settings.polling.slow_s, 10, 3600, "Mode, reserve, counters")
        form.addRow("Power, charge and grid every", self.fast)
        form.addRow("Mode, reserve and alerts every", self.slow)

        display = QGroupBox("Display")
        form2 = QFormLayout(display)
        self.kilo = QRadioButton("kW and kWh")
        self.watts = QRadioButton("W and Wh")
        (self.kilo if settings.display.kilo else self.watts).setChecked(True)
        units = QWidget()
        units_row = QVBoxLayout(units)
        units_row.setContentsMargins(0, 0, 0, 0)
        units_row.addWidget(self.kilo)
        units_row.addWidget(self.watts)
        self.decimals = QSpinBox()
        self.decimals.setRange(0, 3)
        self.decimals.setValue(settings.display.decimals)
        self.decimals.setAccessibleName("Decimals for kW and kWh")
        self.reduce_motion = QCheckBox("Reduce motion (draw the power flow without moving dots)")
        self.reduce_motion.setChecked(settings.display.reduce_motion)
        self.autostart = QCheckBox("Start pwtray when I log in")
        self.autostart.setChecked(autostart)
        form2.addRow("Units", units)
        form2.addRow("Decimals", self.decimals)
        form2.addRow(self.reduce_motion)
        form2.addRow(self.autostart)

        history = QGroupBox("History")
        form3 = QFormLayout(history)
        self.raw_days = QSpinBox()
        self.raw_days.setRange(1, 60)
        self.raw_days.setSuffix(" days")
        self.raw_days.setValue(settings.history.raw_days)
        self.raw_days.setAccessibleName("Keep every reading for, days")
        self.minute_days = QSpinBox()
        self.minute_days.setRange(7, 730)
        self.minute_days.setSuffix(" days")
        self.minute_days.setValue(settings.history.minute_days)
        self.minute_days.setAccessibleName("Keep one-minute averages for, days")
        form3.addRow("Keep every reading for", self.raw_days)
        form3.addRow("Keep one-minute averages for", self.minute_days)
        form3.addRow(QLabel("Quarter-hour and hourly averages are kept for good."))
        return self._column(polling, display, history)

    def _notifications_page(self, settings: Settings) -> QWidget:
        notes = QGroupBox("Notifications")
        grid = QGridLayout(notes)
        muted = set(settings.notifications.muted)
        self.kinds: dict[EventKind, QCheckBox] = {}
        for index, (kind, label) in enumerate(KIND_LABELS.items()):
            box = QCheckBox(label)
            box.setChecked(kind.value not in muted)
            self.kinds[kind] = box
            grid.addWidget(box, index // 2, index % 2)
        self.thresholds = QLineEdit(
            ", ".join(f"{v:g}" for v in settings.notifications.soe_thresholds)
        )
        self.thresholds.setAccessibleName("Charge thresholds, percent")
        self.thresholds.setToolTip(
            "Notify when the charge falls below each of these, e.g. 50, 25, 10"
        )
        row = (len(KIND_LABELS) + 1) // 2 + 1
        grid.addWidget(QLabel("Charge thresholds (%)"), row, 0)
        grid.addWidget(self.thresholds, row, 1)
        # Pausing is for now, not a setting: it acts at once and is not saved.
        self.pause_state = QLabel(self._pause("state") if self._pause else "")
        self.pause_state.setAccessibleName("Notification pause")
        pause_row = QHBoxLayout()
        self.pause_buttons: dict[str, QPushButton] = {}
        for key, title in (
            ("hour", "Pause 1 hour"),
            ("tomorrow", "Until tomorrow"),
            ("resume", "Resume"),
        ):
            button = QPushButton(title)
            button.clicked.connect(lambda _=False, k=key: self._pause_clicked(k))
            button.setEnabled(self._pause is not None)
            self.pause_buttons[key] = button
            pause_row.addWidget(button)
        pause_row.addStretch(1)
        grid.addWidget(self.pause_state, row + 1, 0, 1, 2)
        grid.addLayout(pause_row, row + 2, 0, 1, 2)
        grid.addWidget(
            _wrapped("Shutdown notices cannot be switched off here."),
            row + 3,
            0,
            1,
            2,
        )
        return self._column(notes)

    def _actions_page(self, settings: Settings) -> QWidget:
        commands = QGroupBox("Run a command when…")
        grid = QGridLayout(commands)
        grid.addWidget(_wrapped(ACTIONS_HELP), 0, 0, 1, 4)
        grid.addWidget(QLabel("Command"), 1, 1)
        grid.addWidget(QLabel("Stop after"), 1, 2)
        self.action_rows: dict[Trigger, ActionRow] = {}
        for index, trigger in enumerate(Trigger):
            action: Action = getattr(settings.actions, trigger.value)
            label = ACTION_LABELS[trigger]
            command = QLineEdit(join_command(action.command))
            command.setAccessibleName(f"Command on {label}")
            command.setPlaceholderText("program and arguments, e.g. /usr/local/bin/on-outage --now")
            command.setMinimumWidth(240)
            timeout = QSpinBox()
            timeout.setRange(1, 86400)
            timeout.setSuffix(" s")
            timeout.setValue(round(action.timeout_s))
            timeout.setAccessibleName(f"Timeout on {label}, seconds")
            test = QPushButton("Test")
            test.setToolTip("Run it now with sample values (PWTRAY_TEST=1)")
            test.setAccessibleName(f"Test the command on {label}")
            test.clicked.connect(lambda _=False, t=trigger: self.test_action(t))
            test.setEnabled(self._test_action is not None)
            result = QLabel("")
            result.setWordWrap(True)
            result.setAccessibleName(f"Test result on {label}")
            result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            result.hide()
            row = 2 + 2 * index
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(command, row, 1)
            grid.addWidget(timeout, row, 2)
            grid.addWidget(test, row, 3)
            grid.addWidget(result, row + 1, 1, 1, 3)
            self.action_rows[trigger] = ActionRow(command, timeout, test, result)
        grid.setColumnStretch(1, 1)

        limits = QGroupBox("Thresholds (while off grid)")
        form = QFormLayout(limits)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.action_charge = QDoubleSpinBox()
        self.action_charge.setRange(1, 99)
        self.action_charge.setDecimals(0)
        self.action_charge.setSuffix(" %")
        self.action_charge.setValue(settings.actions.charge_below_percent)
        self.action_charge.setAccessibleName("Run the charge action below, percent")
        self.action_time = QDoubleSpinBox()
        self.action_time.setRange(1, 1440)
        self.action_time.setDecimals(0)
        self.action_time.setSuffix(" min")
        self.action_time.setValue(settings.actions.time_left_below_min)
        self.action_time.setAccessibleName("Run the time-left action below, minutes")
        form.addRow("“Charge below” runs under", self.action_charge)
        form.addRow("“Time left below” runs under", self.action_time)
        form.addRow(
            _wrapped(
                "Each runs once per outage, and again only after the value has "
                "recovered (3 % above; 5 minutes or a fifth above)."
            )
        )
        return self._column(commands, limits)

    def _shutdown_page(self, settings: Settings) -> QWidget:
        shutdown = settings.shutdown
        box = QGroupBox("Shut down this computer when the Powerwall runs low")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        warning = _wrapped(SHUTDOWN_WARNING)
        warning.setAccessibleName("Shutdown warning")
        warning.setStyleSheet(
            "QLabel { font-weight: bold; padding: 6px; border: 1px solid palette(mid); }"
        )
        form.addRow(warning)
        self.shutdown_enabled = QCheckBox(
            "Off grid and below a threshold: count down, then shut down this computer"
        )
        self.shutdown_enabled.setChecked(shutdown.enabled)
        form.addRow(self.shutdown_enabled)
        self.shutdown_what: dict[str, QRadioButton] = {}
        what_group = QButtonGroup(box)
        what_row = QWidget()
        what_layout = QHBoxLayout(what_row)
        what_layout.setContentsMargins(0, 0, 0, 0)
        for key, title in SHUTDOWN_CHOICES:
            radio = QRadioButton(title)
            radio.setChecked(shutdown.what == key)
            what_group.addButton(radio)
            what_layout.addWidget(radio)
            self.shutdown_what[key] = radio
        what_layout.addStretch(1)
        if sys.platform == "darwin":
            self.shutdown_what["hibernate"].setEnabled(False)
            self.shutdown_what["hibernate"].setToolTip("macOS lets programs ask for sleep only")
        form.addRow("Then", what_row)
        self.shutdown_charge = QDoubleSpinBox()
        self.shutdown_charge.setRange(0, 99)
        self.shutdown_charge.setDecimals(0)
        self.shutdown_charge.setSuffix(" %")
        self.shutdown_charge.setSpecialValueText("not used")
        self.shutdown_charge.setValue(shutdown.charge_below_percent)
        self.shutdown_charge.setAccessibleName("Shut down below this charge, percent")
        self.shutdown_time = QDoubleSpinBox()
        self.shutdown_time.setRange(0, 1440)
        self.shutdown_time.setDecimals(0)
        self.shutdown_time.setSuffix(" min")
        self.shutdown_time.setSpecialValueText("not used")
        self.shutdown_time.setValue(shutdown.time_left_below_min)
        self.shutdown_time.setAccessibleName("Shut down below this time left, minutes")
        self.countdown = QSpinBox()
        self.countdown.setRange(10, 3600)
        self.countdown.setSuffix(" s")
        self.countdown.setValue(round(shutdown.countdown_s))
        self.countdown.setAccessibleName("Countdown before shutting down, seconds")
        self.dry_run = QCheckBox("Dry run: only record and tell what would have happened")
        self.dry_run.setChecked(shutdown.dry_run)
        form.addRow("When the charge is below", self.shutdown_charge)
        form.addRow("or the time left is below", self.shutdown_time)
        form.addRow("Countdown (with Cancel)", self.countdown)
        form.addRow(self.dry_run)
        form.addRow(
            _wrapped(
                "The countdown is cancelled when the grid comes back or the "
                "Powerwall recovers. Keep this computer on a circuit the "
                "Powerwall backs up."
            )
        )
        return self._column(box)

    def _sharing_page(self, nut: Nut) -> QWidget:
        box = QGroupBox("Share the Powerwall as a UPS (NUT)")
        form = QFormLayout(box)
        form.addRow(_wrapped(NUT_HELP))
        self.nut_enabled = QCheckBox("Serve the Powerwall's state to NUT clients")
        self.nut_enabled.setChecked(nut.enabled)
        form.addRow(self.nut_enabled)
        self.nut_listen = QLineEdit(nut.listen)
        self.nut_listen.setAccessibleName("Listen on, address and port")
        self.nut_listen.setPlaceholderText("127.0.0.1:3493")
        form.addRow("Listen on", self.nut_listen)
        form.addRow(_wrapped(LISTEN_HELP))
        self.nut_clients = QLineEdit(", ".join(nut.allowed_clients))
        self.nut_clients.setAccessibleName("Allowed clients, addresses or networks")
        self.nut_clients.setPlaceholderText("192.168.1.20, 192.168.1.0/24")
        form.addRow("Allowed clients", self.nut_clients)
        self.nut_ups_name = QLineEdit(nut.ups_name)
        self.nut_ups_name.setAccessibleName("UPS name")
        form.addRow("UPS name", self.nut_ups_name)
        self.nut_username = QLineEdit(nut.username)
        self.nut_username.setAccessibleName("NUT user name")
        form.addRow("User name", self.nut_username)
        self.nut_password = QLineEdit()
        self.nut_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.nut_password.setAccessibleName("NUT password")
        self.nut_password.setPlaceholderText("unchanged (kept in the keyring)")
        form.addRow("Password", self.nut_password)
        self.nut_charge = QDoubleSpinBox()
        self.nut_charge.setRange(0, 99)
        self.nut_charge.setDecimals(0)
        self.nut_charge.setSuffix(" %")
        self.nut_charge.setValue(nut.charge_low_percent)
        self.nut_charge.setAccessibleName("Low battery below this charge, percent")
        self.nut_runtime = QDoubleSpinBox()
        self.nut_runtime.setRange(0, 1440)
        self.nut_runtime.setDecimals(0)
        self.nut_runtime.setSuffix(" min")
        self.nut_runtime.setValue(nut.runtime_low_s / 60)
        self.nut_runtime.setAccessibleName("Low battery below this time left, minutes")
        form.addRow("“Low battery” below", self.nut_charge)
        form.addRow("or a time left below", self.nut_runtime)
        self.nut_example = QLabel()
        self.nut_example.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.nut_example.setAccessibleName("upsmon.conf line for a client")
        self.nut_example.setWordWrap(True)
        form.addRow("In a client's upsmon.conf", self.nut_example)
        for edit in (self.nut_ups_name, self.nut_username):
            edit.textChanged.connect(self._show_nut_example)
        self._show_nut_example()
        self.nut_state = _wrapped("")
        self.nut_state.setAccessibleName("NUT server state")
        form.addRow("State", self.nut_state)
        return self._column(box)

    def _show_nut_example(self) -> None:
        name = self.nut_ups_name.text().strip() or "powerwall"
        user = self.nut_username.text().strip() or "monuser"
        self.nut_example.setText(f"MONITOR {name}@<this computer> 1 {user} <password> secondary")

    def show_ups_state(self) -> None:
        if self._ups_state is not None:
            self.nut_state.setText(ups_state_text(self._ups_state()))

    @staticmethod
    def _column(*groups: QWidget) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        for group in groups:
            column.addWidget(group)
        column.addStretch(1)
        return page

    @staticmethod
    def _seconds(value: float, low: int, high: int, name: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setDecimals(0)
        spin.setSuffix(" s")
        spin.setValue(value)
        spin.setAccessibleName(name)
        return spin

    def _pause_clicked(self, key: str) -> None:
        if self._pause is not None:
            self.pause_state.setText(self._pause(key))

    # ------------------------------------------------------------------ actions' Test
    def test_action(self, trigger: Trigger) -> None:
        """Run the command as typed (not yet applied) with sample values; show how it went."""
        row = self.action_rows[trigger]
        row.result.show()
        try:
            command = split_command(row.command.text())
        except ValueError as exc:
            self._show_test(row, f"✖ {exc}.", failed=True)
            return
        if not command or self._test_action is None:
            self._show_test(row, "✖ Type a command first.", failed=True)
            return
        row.test.setEnabled(False)
        self._show_test(row, "Running…", failed=False)
        work = self._test_action(trigger, command, float(row.timeout.value()))
        self.tasks.start(
            work, lambda run: self._tested(row, run), lambda exc: self._test_failed(row, exc)
        )

    def _tested(self, row: ActionRow, run: ActionRun) -> None:
        row.test.setEnabled(True)
        said = f" — it said: {run.output[-1]}" if run.output else ""
        self._show_test(row, run_result(run) + said, failed=run.outcome is not Outcome.OK)

    def _test_failed(self, row: ActionRow, exc: Exception) -> None:
        row.test.setEnabled(True)
        self._show_test(row, f"✖ {exc}", failed=True)

    @staticmethod
    def _show_test(row: ActionRow, text: str, *, failed: bool) -> None:
        row.result.setText(text)
        row.result.setProperty("failed", failed)
        row.result.setStyleSheet("QLabel { color: #c0392b; }" if failed else "")

    # ------------------------------------------------------------------ applying
    def chosen(self) -> Settings:
        """The settings as chosen; :class:`ChoiceError` (in words) for a value that cannot be
        used."""
        try:
            thresholds = parse_thresholds(self.thresholds.text())
        except ValueError as exc:
            raise ChoiceError("notifications", f"Charge thresholds: {exc}") from None
        s = self._base
        actions = {}
        for trigger, row in self.action_rows.items():
            try:
                command = split_command(row.command.text())
            except ValueError as exc:
                raise ChoiceError("actions", f"{ACTION_LABELS[trigger]}: {exc}") from None
            actions[trigger.value] = Action(command=command, timeout_s=float(row.timeout.value()))
        enabled = self.shutdown_enabled.isChecked()
        if enabled and self.shutdown_charge.value() == 0 and self.shutdown_time.value() == 0:
            raise ChoiceError("shutdown", "Shutdown: choose a charge or a time left to act on")
        what = next(key for key, radio in self.shutdown_what.items() if radio.isChecked())
        nut = self._chosen_nut()
        return msgspec.structs.replace(
            s,
            polling=msgspec.structs.replace(
                s.polling,
                fast_s=self.fast.value(),
                slow_s=max(self.slow.value(), self.fast.value()),
            ),
            notifications=msgspec.structs.replace(
                s.notifications,
                muted=[k.value for k, box in self.kinds.items() if not box.isChecked()],
                soe_thresholds=thresholds,
            ),
            display=msgspec.structs.replace(
                s.display,
                kilo=self.kilo.isChecked(),
                decimals=self.decimals.value(),
                reduce_motion=self.reduce_motion.isChecked(),
            ),
            history=msgspec.structs.replace(
                s.history, raw_days=self.raw_days.value(), minute_days=self.minute_days.value()
            ),
            actions=msgspec.structs.replace(
                s.actions,
                charge_below_percent=self.action_charge.value(),
                time_left_below_min=self.action_time.value(),
                **actions,
            ),
            shutdown=msgspec.structs.replace(
                s.shutdown,
                enabled=enabled,
                what=what,
                charge_below_percent=self.shutdown_charge.value(),
                time_left_below_min=self.shutdown_time.value(),
                countdown_s=float(self.countdown.value()),
                dry_run=self.dry_run.isChecked(),
            ),
            nut=nut,
        )

    def _chosen_nut(self) -> Nut:
        clients = [c for c in self.nut_clients.text().replace(",", " ").split() if c]
        nut = msgspec.structs.replace(
            self._base.nut,
            enabled=self.nut_enabled.isChecked(),
            listen=self.nut_listen.text().strip() or "127.0.0.1:3493",
            allowed_clients=clients,
            ups_name=self.nut_ups_name.text().strip(),
            username=self.nut_username.text().strip(),
            charge_low_percent=self.nut_charge.value(),
            runtime_low_s=self.nut_runtime.value() * 60,
        )
        if nut.enabled:
            problem = check_ups(nut, self.nut_password.text() or None)
            if problem:
                raise ChoiceError("sharing", f"NUT: {problem.rstrip('.')}")
        return nut

    def apply(self) -> bool:
        try:
            settings = self.chosen()
        except ChoiceError as exc:
            self.error.setText(f"✖ {exc}.")
            self.pages.setCurrentIndex(PAGES.index(exc.page))
            return False
        self.error.setText("")
        self._base = settings
        password = self.nut_password.text() or None
        self.nut_password.clear()
        self._on_apply(Chosen(settings, self.autostart.isChecked(), password))
        return True

    def _ok(self) -> None:
        if self.apply():
            self.accept()
