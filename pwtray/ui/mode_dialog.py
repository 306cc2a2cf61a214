"""Operation mode and backup reserve, going off grid, and the settings only Tesla's cloud
changes — each change written, read back and reported plainly, with the path that made it.

The dialog shows what the gateway says, never what it hoped it said. Mode and reserve go to the
gateway first and through the Tesla account only where the gateway refuses them; the other
controls exist only in Tesla's cloud, are read once when the dialog opens (Tesla meters every
call: nothing here polls it) and appear only where the site reports them configurable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pwtray.cloud import CloudError, CloudSettings, CommandResult, ExportRule
from pwtray.core import (
    Applied,
    ChangeRefusedError,
    Commands,
    NoCloudAccountError,
    OperationView,
    ReserveNotChangedError,
    Via,
)
from pwtray.core.words import (
    CHANGED_LOCALLY,
    CLOUD_CONTROLS,
    CONFIRMED_FROM_CLOUD,
    CONNECT_ACCOUNT_HINT,
    EXPORT_LABELS,
    MODE_REFUSED,
    SENT_NOT_SHOWN,
    SENT_THROUGH_CLOUD,
    explain,
    export_label,
    grid_label,
    mode_label,
    percent_tenths,
    reserve_not_changed,
)
from pwtray.gateway import GatewayError, GridState, Operation, OperationMode, app_to_api
from pwtray.ui.tasks import TaskDialog

MODE_HELP = {
    OperationMode.SELF_CONSUMPTION: "Use solar and the Powerwall first; the grid covers the rest.",
    OperationMode.AUTONOMOUS: "Charge and discharge by your utility's rates, set in the Tesla app.",
    OperationMode.BACKUP: "Keep the Powerwall full for outages; the reserve is 100 %.",
}
CONFIRM_WORDS = "10 minutes"  # Commands.CONFIRM_TIMEOUT_S, as people say it


class ModeReserveDialog(TaskDialog):
    def __init__(
        self,
        commands: Commands,
        *,
        charge_percent: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("pwtray — Operation mode and reserve")
        self.commands = commands
        self.charge_percent = charge_percent
        self.view: OperationView | None = None
        self.grid: GridState | None = None
        self.by_choice = False
        self.cloud_settings: CloudSettings | None = None
        self.cloud_read = False  # the one read of the cloud at opening has answered
        self.writing = 0  # changes in flight: Apply waits for them
        self.confirming: asyncio.Task[bool] | None = None
        self._reserve_before_backup: float | None = None
        self.shown_mode: OperationMode | None = None  # as last read from the gateway
        self.shown_reserve: float | None = None

        self.current = QLabel("Reading the current settings from the gateway…")
        self.current.setWordWrap(True)
        self.current.setAccessibleName("Current settings")
        self.account_hint = QLabel(CONNECT_ACCOUNT_HINT)
        self.account_hint.setToolTip(MODE_REFUSED)
        self.account_hint.setAccessibleName("Tesla account")
        self.account_hint.hide()

        mode_box = QGroupBox("Operation mode")
        modes = QVBoxLayout(mode_box)
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[OperationMode, QRadioButton] = {}
        self.mode_help: dict[OperationMode, QLabel] = {}
        for mode in MODE_HELP:  # the modes a customer chooses between
            button = QRadioButton(mode_label(mode))
            button.setToolTip(MODE_HELP[mode])
            help_text = QLabel(MODE_HELP[mode])
            help_text.setWordWrap(True)
            help_text.setIndent(24)
            smaller = help_text.font()  # under its button, smaller; greyed out it was unreadable
            smaller.setPointSizeF(smaller.pointSizeF() * 0.9)
            help_text.setFont(smaller)
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            self.mode_help[mode] = help_text
            modes.addWidget(button)
            modes.addWidget(help_text)
            button.toggled.connect(self._mode_changed)

        reserve_box = QGroupBox("Backup reserve")
        reserve = QVBoxLayout(reserve_box)
        row = QHBoxLayout()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setAccessibleName("Backup reserve, percent")
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(1)  # the gateway stores a float: 66.6 % is a reserve it keeps
        self.spin.setRange(0.0, 100.0)
        self.spin.setSingleStep(1.0)
        self.spin.setSuffix(" %")
        self.spin.setAccessibleName("Backup reserve, percent")
        # The slider moves in whole percents, the box in tenths: the slider follows the box
        # (rounded) and sets it only when it is moved itself, so 66.6 never becomes 67.
        self.slider.valueChanged.connect(self._slider_moved)
        self.spin.valueChanged.connect(self._reserve_changed)
        row.addWidget(self.slider, stretch=1)
        row.addWidget(self.spin)
        reserve.addLayout(row)
        self.api_value = QLabel("")
        self.api_value.setWordWrap(True)
        self.api_value.setAccessibleName("Value the gateway stores")
        reserve.addWidget(self.api_value)

        grid_box = QGroupBox("Grid connection")
        grid = QVBoxLayout(grid_box)
        self.grid_label = QLabel("—")
        self.grid_label.setWordWrap(True)
        self.grid_label.setAccessibleName("Grid connection state")
        self.grid_button = QPushButton("Go off grid…")
        self.grid_button.setEnabled(False)
        self.grid_button.clicked.connect(self.ask_switch_grid)
        grid.addWidget(self.grid_label)
        grid.addWidget(self.grid_button, alignment=Qt.AlignmentFlag.AlignLeft)

        self.cloud_box = QGroupBox("Through your Tesla account")
        self._build_cloud_controls(self.cloud_box)
        self.cloud_box.hide()

        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        self.outcome.setAccessibleName("Result")
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Close
        )
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setText("&Apply")
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)

        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(mode_box)
        left.addWidget(reserve_box)
        left.addStretch(1)
        right.addWidget(grid_box)
        right.addWidget(self.cloud_box)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, stretch=1)
        columns.addLayout(right, stretch=1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.current)
        layout.addWidget(self.account_hint)
        layout.addLayout(columns)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(760)
        self.resize(880, self.sizeHint().height())  # two columns with room for their lines
        self._set_editable(False)
        self.reload()
        self.tasks.start(self.commands.read_cloud_settings(), self._show_cloud, self._cloud_failed)

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            self._grow()
        return handled

    def _grow(self, *, shrink: bool = False) -> None:
        """Taller when a wrapped text grew (a result, an error): a top-level dialog keeps the
        height it opened with otherwise, and cuts its lines off. ``shrink``: as tall as the
        content, once what the gateway and Tesla offer is known (rows hidden leave no gap)."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        if needed > self.height() or (shrink and needed < self.height()):
            self.resize(self.width(), needed)

    def _build_cloud_controls(self, box: QGroupBox) -> None:
        self.cloud_status = QLabel("Reading the settings Tesla reports for your site…")
        self.cloud_status.setWordWrap(True)
        self.cloud_status.setAccessibleName("Tesla account settings")
        self.storm_watch = QCheckBox(CLOUD_CONTROLS["storm_watch"][0])
        self.grid_charging = QCheckBox(CLOUD_CONTROLS["grid_charging"][0])
        self.export_rule = QComboBox()
        for rule, words in EXPORT_LABELS.items():
            self.export_rule.addItem(words, rule.value)
        self.vehicle_reserve = QSpinBox()
        self.vehicle_reserve.setRange(0, 100)
        self.vehicle_reserve.setSuffix(" %")
        # control → (its widgets, its result line)
        self.cloud_rows: dict[str, tuple[list[QWidget], QLabel]] = {}
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        rows: list[tuple[str, QWidget, QLabel | None]] = [
            ("storm_watch", self.storm_watch, None),
            ("grid_charging", self.grid_charging, None),
            ("export_rule", self.export_rule, QLabel(CLOUD_CONTROLS["export_rule"][0] + ":")),
            (
                "vehicle_reserve_percent",
                self.vehicle_reserve,
                QLabel(CLOUD_CONTROLS["vehicle_reserve_percent"][0] + ":"),
            ),
        ]
        for n, (control, widget, caption) in enumerate(rows):
            name, help_text = CLOUD_CONTROLS[control]
            widget.setToolTip(help_text)
            widget.setAccessibleName(name)
            result = QLabel("")
            result.setWordWrap(True)
            result.setIndent(24)
            result.setAccessibleName(f"{name}: result")
            result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if caption is None:
                grid.addWidget(widget, 2 * n, 0, 1, 2)
                widgets = [widget]
            else:
                caption.setToolTip(help_text)
                caption.setBuddy(widget)
                grid.addWidget(caption, 2 * n, 0)
                grid.addWidget(widget, 2 * n, 1, alignment=Qt.AlignmentFlag.AlignLeft)
                widgets = [caption, widget]
            grid.addWidget(result, 2 * n + 1, 0, 1, 2)
            for part in [*widgets, result]:
                part.hide()
            self.cloud_rows[control] = (widgets, result)
        column = QVBoxLayout(box)
        column.addWidget(self.cloud_status)
        column.addLayout(grid)

    # ------------------------------------------------------------------ reading
    def reload(self) -> None:
        """Read mode, reserve and grid from the gateway (a local read: free, and quick)."""
        self.tasks.start(self.commands.read_operation(), self.show_view, self._read_failed)

    def show_view(self, view: OperationView) -> None:
        """What the gateway says now, as read by ``Commands.read_operation``."""
        first = self.view is None
        self.view = view
        for mode, button in self.mode_buttons.items():
            offered = mode in view.modes
            button.setVisible(offered)
            self.mode_help[mode].setVisible(offered)
        self._show_operation(view.operation)
        self.by_choice = view.off_grid_by_choice
        self._show_grid(view.grid)
        self._show_hint()
        self._set_editable(True)
        if first:
            self._grow(shrink=True)

    def _show_operation(self, operation: Operation) -> None:
        view = self.view
        mode = OperationMode.parse(operation.mode)
        reserve = operation.reserve_app_percent
        if mode is None or view is None or mode not in view.modes:
            self.current.setText(
                f"The gateway reports the mode “{mode_label(operation.mode)}”, which it does not "
                f"take from pwtray; backup reserve {percent_tenths(reserve)}. Choose a mode to "
                "change it."
            )
            self.mode_group.setExclusive(False)
            for button in self.mode_buttons.values():
                button.setChecked(False)
            self.mode_group.setExclusive(True)
        else:
            self.mode_buttons[mode].setChecked(True)
            self.current.setText(f"Now: {self._settings_text(operation)}.")
        self.spin.setValue(reserve)  # rounded to the nearest tenth, as shown
        self.shown_mode = mode
        self.shown_reserve = self.spin.value()

    @staticmethod
    def _settings_text(operation: Operation) -> str:
        return (
            f"{mode_label(operation.mode)}, backup reserve "
            f"{percent_tenths(operation.reserve_app_percent)} "
            f"(gateway value {operation.backup_reserve_percent:.1f} %)"
        )

    def _read_failed(self, error: Exception) -> None:
        self.current.setText(f"Could not read the current settings: {explain(error)}")

    def _show_hint(self) -> None:
        """Without a Tesla account, where the gateway refuses local changes: say how to get them."""
        refused = self.view is not None and self.view.local_writes_refused
        self.account_hint.setVisible(
            refused
            and self.cloud_read
            and self.cloud_settings is None
            and self.cloud_box.isHidden()
        )

    def _set_editable(self, editable: bool) -> None:
        editable = editable and self.view is not None and not self.writing
        for button in self.mode_buttons.values():
            button.setEnabled(editable)
        backup = self.chosen_mode() is OperationMode.BACKUP
        self.slider.setEnabled(editable and not backup)
        self.spin.setEnabled(editable and not backup)
        for widgets, _result in self.cloud_rows.values():
            for widget in widgets:
                widget.setEnabled(not self.writing)
        self.apply_button.setEnabled(editable)

    # ------------------------------------------------------------------ the cloud's settings
    def _show_cloud(self, settings: CloudSettings | None) -> None:
        self.cloud_read = True
        self.cloud_settings = settings
        if settings is None:  # no Tesla account connected
            self._show_hint()
            self._grow(shrink=True)
            return
        self.cloud_box.show()
        offered = [c for c in self.cloud_rows if getattr(settings, c) is not None]
        for control, (widgets, result) in self.cloud_rows.items():
            for widget in widgets:
                widget.setVisible(control in offered)
            result.setVisible(control in offered and bool(result.text()))
            if control in offered:
                self._show_cloud_value(control, getattr(settings, control))
        self.cloud_status.setText(
            "Tesla reports these settings for your site; each is changed through your account."
            if offered
            else "Tesla reports no other settings your site lets you change."
        )
        self._show_hint()
        self._grow(shrink=True)

    def _show_cloud_value(self, control: str, value: Any) -> None:
        if control == "storm_watch":
            self.storm_watch.setChecked(bool(value))
        elif control == "grid_charging":
            self.grid_charging.setChecked(bool(value))
        elif control == "export_rule":
            index = self.export_rule.findData(value)
            if index < 0:  # a rule Tesla added since: shown as it names it
                self.export_rule.addItem(export_label(str(value)), value)
                index = self.export_rule.count() - 1
            self.export_rule.setCurrentIndex(index)
        else:
            self.vehicle_reserve.setValue(round(float(value)))

    def _cloud_failed(self, error: Exception) -> None:
        self.cloud_read = True
        self.cloud_box.show()
        self.cloud_status.setText(f"Could not read the settings from Tesla: {explain(error)}")

    def _cloud_wanted(self) -> dict[str, Any]:
        """Each cloud control shown, with the value set in the dialog."""
        values: dict[str, Any] = {
            "storm_watch": self.storm_watch.isChecked(),
            "grid_charging": self.grid_charging.isChecked(),
            "export_rule": self.export_rule.currentData(),
            "vehicle_reserve_percent": self.vehicle_reserve.value(),
        }
        settings = self.cloud_settings
        if settings is None:
            return {}
        return {c: v for c, v in values.items() if getattr(settings, c) is not None}

    def _cloud_changes(self) -> list[tuple[str, Any]]:
        settings = self.cloud_settings
        if settings is None:
            return []
        return [(c, v) for c, v in self._cloud_wanted().items() if v != getattr(settings, c)]

    # ------------------------------------------------------------------ choosing
    def chosen_mode(self) -> OperationMode | None:
        return next((m for m, b in self.mode_buttons.items() if b.isChecked()), None)

    def _mode_changed(self) -> None:
        if self.chosen_mode() is OperationMode.BACKUP:
            if self.spin.value() < 100:
                self._reserve_before_backup = self.spin.value()
            self.spin.setValue(100)
        elif self._reserve_before_backup is not None:
            self.spin.setValue(self._reserve_before_backup)
            self._reserve_before_backup = None
        self._set_editable(True)

    def _slider_moved(self, value: int) -> None:
        if round(self.spin.value()) != value:
            self.spin.setValue(value)

    def _reserve_changed(self, value: float) -> None:
        self.slider.setValue(round(value))
        self.api_value.setText(
            f"The gateway stores this as {app_to_api(value):.1f} % "
            "(its own scale: 5 % plus 95 % of the app's percent)."
        )

    # ------------------------------------------------------------------ writing
    def apply(self) -> None:
        """Send what was changed: mode and reserve (the gateway first), then the cloud's."""
        self.outcome.setToolTip("")
        mode = self.chosen_mode()
        reserve = self.spin.value()
        operation_changed = mode is not None and (
            mode is not self.shown_mode or reserve != self.shown_reserve
        )
        cloud_changes = self._cloud_changes()
        if not operation_changed and not cloud_changes:
            self.outcome.setText("Nothing to change: these are the settings it has now.")
            return
        if operation_changed and mode is not None:
            self._apply_operation(mode, reserve)
        if cloud_changes:
            self._apply_cloud(cloud_changes)

    def _apply_operation(self, mode: OperationMode, reserve: float) -> None:
        if self.confirming is not None:  # a newer change: stop waiting for the older one
            self.confirming.cancel()
            self.confirming = None
        self.outcome.setText(f"Saving {self._wanted_text(mode, reserve)}…")
        work = self.commands.change_operation(mode, reserve)
        self._write(work, lambda applied: self._applied(applied, mode, reserve), self._refused)

    @staticmethod
    def _wanted_text(mode: OperationMode, reserve: float) -> str:
        if mode is OperationMode.BACKUP:
            return mode_label(mode)
        return f"{mode_label(mode)} with a {percent_tenths(reserve)} reserve"

    def _write(
        self, work: Any, on_result: Callable[[Any], None], on_error: Callable[[Exception], None]
    ) -> None:
        """A change in flight: Apply waits for it, whatever way it ends."""
        self.writing += 1
        self._set_editable(False)

        def done(handler: Callable[[Any], None], value: Any) -> None:
            self.writing -= 1
            handler(value)
            self._set_editable(True)

        self.tasks.start(work, lambda r: done(on_result, r), lambda e: done(on_error, e))

    def _applied(self, applied: Applied, mode: OperationMode, reserve: float) -> None:
        if applied.via is Via.LOCAL:
            self.reload()
            self.outcome.setText(
                f"✔ {CHANGED_LOCALLY}, which confirms: "
                f"{mode_label(applied.mode)}, backup reserve "
                f"{percent_tenths(applied.reserve_percent)}."
            )
            return
        rounded = ""
        if mode is not OperationMode.BACKUP and abs(applied.reserve_percent - reserve) >= 0.05:
            rounded = (
                f" Tesla's cloud takes whole percents, so the reserve went as "
                f"{percent_tenths(applied.reserve_percent)}."
            )
        self.outcome.setText(f"➜ {SENT_THROUGH_CLOUD}.{rounded}")
        target = applied.reserve_percent
        self.confirming = self.tasks.start(
            self.commands.confirm_operation(mode, target),
            lambda shown: self._confirmed(shown, mode, target, rounded),
            self._confirm_failed,
        )

    def _confirmed(self, shown: bool, mode: OperationMode, reserve: float, rounded: str) -> None:
        self.confirming = None
        wanted = self._wanted_text(mode, reserve)
        if shown:
            self.outcome.setText(f"✔ {CONFIRMED_FROM_CLOUD}: {wanted}.{rounded}")
        else:
            self.outcome.setText(
                f"✖ {SENT_NOT_SHOWN} {wanted} within {CONFIRM_WORDS}; Tesla may still apply it. "
                "The settings above are what the gateway has."
            )
        self.reload()

    def _confirm_failed(self, error: Exception) -> None:
        self.confirming = None
        self.outcome.setText(
            f"✖ Sent through your Tesla account, but pwtray could not read the gateway to see it "
            f"arrive: {explain(error)}"
        )
        self.reload()

    def _refused(self, error: Exception) -> None:
        if isinstance(error, ChangeRefusedError):
            self.outcome.setToolTip(explain(error.refusal))  # the gateway's own words
            also = (
                ""
                if error.cloud_connected
                else " Or connect a Tesla account in Connection… and pwtray makes the change "
                "through it."
            )
            text = f"✖ Not changed. {MODE_REFUSED}{also} The settings above are what it still has."
        elif isinstance(error, GatewayError):
            self.outcome.setToolTip(explain(error))
            text = f"✖ {explain(error)} The settings above are read again from the gateway."
        elif isinstance(error, ReserveNotChangedError):
            # The choices stay as the user made them (not read back: the gateway gets the new
            # mode only later), so Apply sends the reserve again.
            self.outcome.setText(
                f"✖ {reserve_not_changed(error)} The gateway shows the new mode in a minute or "
                "so. Apply sends the reserve again."
            )
            return
        elif isinstance(error, CloudError):
            text = (
                f"✖ Not changed through your Tesla account: {explain(error)} The settings above "
                "are read again from the gateway."
            )
        else:
            text = f"✖ The change failed ({type(error).__name__}). Nothing is assumed to be saved."
        self.outcome.setText(text)
        self.reload()

    # ------------------------------------------------------------------ the cloud's controls
    def _apply_cloud(self, changes: list[tuple[str, Any]]) -> None:
        for control, _value in changes:
            result = self.cloud_rows[control][1]
            result.setText("Sending to Tesla…")
            result.show()
        self._write(self._send_cloud(changes), lambda _none: None, self._cloud_send_failed)

    async def _send_cloud(self, changes: list[tuple[str, Any]]) -> None:
        """One command at a time (each is two metered calls); each control hears its own
        outcome as soon as it is known."""
        for control, value in changes:
            try:
                result = await self._cloud_command(control, value)
            except (CloudError, NoCloudAccountError, ValueError) as error:
                self._cloud_result(control, None, error)
            else:
                self._cloud_result(control, result, None)

    async def _cloud_command(self, control: str, value: Any) -> CommandResult:
        cloud = self.commands.cloud
        if cloud is None:
            raise NoCloudAccountError
        if control == "storm_watch":
            return await cloud.set_storm_watch(bool(value))
        if control == "grid_charging":
            return await cloud.set_grid_charging(bool(value))
        if control == "export_rule":
            return await cloud.set_export_rule(ExportRule(value))
        return await cloud.set_vehicle_reserve(int(value))

    def _cloud_result(
        self, control: str, result: CommandResult | None, error: Exception | None
    ) -> None:
        line = self.cloud_rows[control][1]
        settings = self.cloud_settings
        if result is not None:
            # What Tesla reports now, for this control; the others keep what the user set.
            self.cloud_settings = result.settings
            self._show_cloud_value(control, result.reported)
            now = self._cloud_value_text(control, result.reported)
            line.setText(f"✔ Changed. Tesla now reports: {now}.")
        else:
            if settings is not None:  # back to what Tesla last reported
                self._show_cloud_value(control, getattr(settings, control))
            line.setText(f"✖ Not changed: {explain(error)}")
        line.show()

    @staticmethod
    def _cloud_value_text(control: str, value: Any) -> str:
        if control in ("storm_watch", "grid_charging"):
            return "on" if value else "off"
        if control == "export_rule":
            return export_label(str(value))
        return percent_tenths(float(value))

    def _cloud_send_failed(self, error: Exception) -> None:
        self.cloud_status.setText(f"✖ The changes could not be sent: {explain(error)}")

    # ------------------------------------------------------------------ grid
    def _show_grid(self, grid: GridState) -> None:
        self.grid = grid
        view = self.view
        offers = view is None or view.offers_off_grid
        if grid.off_grid:
            self.grid_label.setText(
                f"{grid_label(grid, by_choice=self.by_choice)}. "
                "The house runs on the Powerwall and solar."
            )
            self.grid_button.setText("Reconnect to the grid…")
        elif grid is GridState.CONNECTED:
            self.grid_label.setText("Connected to the grid.")
            self.grid_button.setText("Go off grid…")
        else:
            self.grid_label.setText(f"{grid_label(grid)}…")
        if not offers and view is not None:
            # Firmware 1.x has no islanding endpoint: no button that could only fail.
            firmware = f" {view.firmware}" if view.firmware else ""
            self.grid_label.setText(
                f"{self.grid_label.text()} This gateway's firmware{firmware} cannot be switched "
                "off grid from pwtray."
            )
        self.grid_button.setVisible(offers)
        self.grid_button.setEnabled(offers and (grid is GridState.CONNECTED or grid.off_grid))

    def ask_switch_grid(self) -> None:
        going_off = self.grid is GridState.CONNECTED
        charge = "" if self.charge_percent is None else f" (now {self.charge_percent:.0f} %)"
        if going_off:
            text = (
                "The house will disconnect from the grid and run on the Powerwall"
                f"{charge} and solar alone. Power may blink for a moment while it switches. "
                "Large loads can exceed what the Powerwall supplies, and when it runs down to "
                "its limit the house goes dark. Stay off grid only as long as you need; "
                "reconnect here."
            )
            action = "Go off grid"
        else:
            text = (
                "The gateway will synchronise with the grid and reconnect the house. This "
                "takes a few seconds to a few minutes."
            )
            action = "Reconnect"
        box = QMessageBox(QMessageBox.Icon.Warning, f"pwtray — {action}?", text, parent=self)
        confirm = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda button: self.switch_grid(off_grid=going_off) if button is confirm else None
        )
        self.confirmation = box
        box.open()

    def switch_grid(self, *, off_grid: bool) -> None:
        self.grid_button.setEnabled(False)
        self.by_choice = off_grid  # pwtray sends it: off grid by the owner's choice
        self.outcome.setText("Disconnecting from the grid…" if off_grid else "Reconnecting…")
        work = self.commands.switch_grid(off_grid=off_grid, on_state=self._show_grid)
        self.tasks.start(work, self._grid_settled, self._grid_failed)

    def _grid_settled(self, grid: GridState) -> None:
        self._show_grid(grid)
        self.outcome.setText(
            f"✔ {grid_label(grid, by_choice=True)}."
            if grid.off_grid
            else "✔ Connected to the grid again."
        )

    def _grid_failed(self, error: Exception) -> None:
        words = explain(error) if isinstance(error, GatewayError) else str(error)
        self.outcome.setText(f"✖ {words}")
        self.reload()
