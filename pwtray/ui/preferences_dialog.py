"""Preferences: polling, notifications and thresholds, start at login, units, motion, history.
Apply (or OK) hands a new ``Settings`` to the app, which applies it at once."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pwtray.monitor import EventKind
from pwtray.settings import Settings

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
}


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


class PreferencesDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        *,
        autostart: bool,
        on_apply: Callable[[Settings, bool], None],
        pause: Callable[[str], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("pwtray — Preferences")
        self._base = settings
        self._on_apply = on_apply

        polling = QGroupBox("Reading the gateway")
        form = QFormLayout(polling)
        self.fast = self._seconds(settings.polling.fast_s, 1, 60, "Power, charge, grid state")
        self.slow = self._seconds(settings.polling.slow_s, 10, 3600, "Mode, reserve, counters")
        form.addRow("Power, charge and grid every", self.fast)
        form.addRow("Mode, reserve and alerts every", self.slow)

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
        row = len(KIND_LABELS) // 2 + 1
        grid.addWidget(QLabel("Charge thresholds (%)"), row, 0)
        grid.addWidget(self.thresholds, row, 1)
        # Pausing is for now, not a setting: it acts at once and is not saved.
        self._pause = pause
        self.pause_state = QLabel(pause("state") if pause else "")
        self.pause_state.setAccessibleName("Notification pause")
        pause_row = QHBoxLayout()
        self.pause_buttons: dict[str, QPushButton] = {}
        for key, title in (("hour", "Pause 1 hour"), ("tomorrow", "Until tomorrow"),
                           ("resume", "Resume")):  # fmt: skip
            button = QPushButton(title)
            button.clicked.connect(lambda _=False, k=key: self._pause_clicked(k))
            button.setEnabled(pause is not None)
            self.pause_buttons[key] = button
            pause_row.addWidget(button)
        pause_row.addStretch(1)
        grid.addWidget(self.pause_state, row + 1, 0, 1, 2)
        grid.addLayout(pause_row, row + 2, 0, 1, 2)

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

        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problem")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.clicked.connect(self.apply)
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for group in (polling, notes, display, history):
            layout.addWidget(group)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _pause_clicked(self, key: str) -> None:
        if self._pause is not None:
            self.pause_state.setText(self._pause(key))

    @staticmethod
    def _seconds(value: float, low: int, high: int, name: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setDecimals(0)
        spin.setSuffix(" s")
        spin.setValue(value)
        spin.setAccessibleName(name)
        return spin

    def chosen(self) -> Settings:
        """The settings as chosen; ``ValueError`` (in words) for a value that cannot be used."""
        thresholds = parse_thresholds(self.thresholds.text())
        s = self._base
        return msgspec.structs.replace(
            s,
            polling=msgspec.structs.replace(s.polling, fast_s=self.fast.value(),
                                            slow_s=max(self.slow.value(), self.fast.value())),
            notifications=msgspec.structs.replace(
                s.notifications,
                muted=[k.value for k, box in self.kinds.items() if not box.isChecked()],
                soe_thresholds=thresholds,
            ),
            display=msgspec.structs.replace(s.display, kilo=self.kilo.isChecked(),
                                            decimals=self.decimals.value(),
                                            reduce_motion=self.reduce_motion.isChecked()),
            history=msgspec.structs.replace(s.history, raw_days=self.raw_days.value(),
                                            minute_days=self.minute_days.value()),
        )  # fmt: skip

    def apply(self) -> bool:
        try:
            settings = self.chosen()
        except ValueError as exc:
            self.error.setText(f"✖ Charge thresholds: {exc}.")
            return False
        self.error.setText("")
        self._base = settings
        self._on_apply(settings, self.autostart.isChecked())
        return True

    def _ok(self) -> None:
        if self.apply():
            self.accept()
