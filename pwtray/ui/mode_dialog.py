"""Operation mode and backup reserve, and going off grid — each change written, read back and
reported plainly. The dialog shows what the gateway says, never what it hoped it said."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialogButtonBox,
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

from pwtray.core import Commands, OperationView
from pwtray.core.words import MODE_REFUSED, explain, grid_label, mode_label
from pwtray.gateway import (
    GatewayError,
    GridState,
    Operation,
    OperationMode,
    PermissionDeniedError,
    app_to_api,
)
from pwtray.ui.tasks import TaskDialog

MODE_HELP = {
    OperationMode.SELF_CONSUMPTION: "Use solar and the Powerwall first; the grid covers the rest.",
    OperationMode.AUTONOMOUS: "Charge and discharge by your utility's rates, set in the Tesla app.",
    OperationMode.BACKUP: "Keep the Powerwall full for outages; the reserve is 100 %.",
}


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
        self.operation: Operation | None = None
        self.grid: GridState | None = None

        self.current = QLabel("Reading the current settings from the gateway…")
        self.current.setWordWrap(True)
        self.current.setAccessibleName("Current settings")
        mode_box = QGroupBox("Operation mode")
        modes = QVBoxLayout(mode_box)
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[OperationMode, QRadioButton] = {}
        for mode in MODE_HELP:  # the modes a customer chooses between
            button = QRadioButton(mode_label(mode))
            button.setToolTip(MODE_HELP[mode])
            help_text = QLabel(MODE_HELP[mode])
            help_text.setWordWrap(True)
            help_text.setIndent(24)
            help_text.setEnabled(False)
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            modes.addWidget(button)
            modes.addWidget(help_text)
            button.toggled.connect(self._mode_changed)
        reserve_box = QGroupBox("Backup reserve")
        reserve = QVBoxLayout(reserve_box)
        row = QHBoxLayout()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setAccessibleName("Backup reserve, percent")
        self.spin = QSpinBox()
        self.spin.setRange(0, 100)
        self.spin.setSuffix(" %")
        self.spin.setAccessibleName("Backup reserve, percent")
        self.slider.valueChanged.connect(self.spin.setValue)
        self.spin.valueChanged.connect(self.slider.setValue)
        self.spin.valueChanged.connect(self._reserve_changed)
        row.addWidget(self.slider, stretch=1)
        row.addWidget(self.spin)
        reserve.addLayout(row)
        self.api_value = QLabel("")
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.current)
        layout.addWidget(mode_box)
        layout.addWidget(reserve_box)
        layout.addWidget(grid_box)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self._set_editable(False)
        self.reload()

    # ------------------------------------------------------------------ reading
    def reload(self) -> None:
        self.tasks.start(self.commands.read_operation(), self._show_read, self._read_failed)

    def _show_read(self, view: OperationView) -> None:
        self._show_operation(view.operation)
        self._show_grid(view.grid)
        self._set_editable(True)

    def _show_operation(self, operation: Operation) -> None:
        self.operation = operation
        mode = OperationMode.parse(operation.mode)
        if mode is None or mode not in self.mode_buttons:
            self.current.setText(
                f"The gateway reports mode “{operation.mode}”, which pwtray "
                "does not offer; choose one to change it."
            )
        else:
            self.mode_buttons[mode].setChecked(True)
            self.current.setText(
                f"Now: {mode_label(mode)}, backup reserve {operation.reserve_app_percent:.0f} % "
                f"(gateway value {operation.backup_reserve_percent:.1f} %)."
            )
        self.spin.setValue(round(operation.reserve_app_percent))

    def _read_failed(self, error: Exception) -> None:
        self.current.setText(f"Could not read the current settings: {error}")

    def _set_editable(self, editable: bool) -> None:
        for button in self.mode_buttons.values():
            button.setEnabled(editable)
        backup = self.chosen_mode() is OperationMode.BACKUP
        self.slider.setEnabled(editable and not backup)
        self.spin.setEnabled(editable and not backup)
        self.apply_button.setEnabled(editable)

    # ------------------------------------------------------------------ choosing
    def chosen_mode(self) -> OperationMode | None:
        return next((m for m, b in self.mode_buttons.items() if b.isChecked()), None)

    def _mode_changed(self) -> None:
        if self.chosen_mode() is OperationMode.BACKUP:
            self.spin.setValue(100)
        self._set_editable(self.operation is not None and not self.tasks.busy)

    def _reserve_changed(self, value: int) -> None:
        self.api_value.setText(
            f"The gateway stores this as {app_to_api(value):.1f} % "
            "(its own scale: 5 % plus 95 % of the app's percent)."
        )

    # ------------------------------------------------------------------ writing
    def apply(self) -> None:
        mode = self.chosen_mode()
        if mode is None:
            return
        self.outcome.setToolTip("")
        reserve = float(self.spin.value())
        self.outcome.setText(f"Saving {mode_label(mode)} with a {reserve:.0f} % reserve…")
        self._set_editable(False)
        work = self.commands.set_operation(mode, reserve)
        self.tasks.start(work, self._applied, self._refused)

    def _applied(self, operation: Operation) -> None:
        self._show_operation(operation)
        self._set_editable(True)
        self.outcome.setText(
            f"✔ Saved. The gateway confirms: {self.current.text().removeprefix('Now: ')}"
        )

    def _refused(self, error: Exception) -> None:
        self.outcome.setToolTip(explain(error))  # the gateway's own words, for details
        if isinstance(error, PermissionDeniedError):
            text = f"✖ Not changed. {MODE_REFUSED} The settings above are what it still has."
        elif isinstance(error, GatewayError):
            text = f"✖ {error} The settings above are read again from the gateway."
        else:
            text = f"✖ The change failed ({type(error).__name__}). Nothing is assumed to be saved."
        self.outcome.setText(text)
        self.reload()

    # ------------------------------------------------------------------ grid
    def _show_grid(self, grid: GridState) -> None:
        self.grid = grid
        if grid.off_grid:
            self.grid_label.setText(
                f"{grid_label(grid)}. The house runs on the Powerwall and solar."
            )
            self.grid_button.setText("Reconnect to the grid…")
        elif grid is GridState.CONNECTED:
            self.grid_label.setText("Connected to the grid.")
            self.grid_button.setText("Go off grid…")
        else:
            self.grid_label.setText(f"{grid_label(grid)}…")
        self.grid_button.setEnabled(grid is GridState.CONNECTED or grid.off_grid)

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
        self.outcome.setText("Disconnecting from the grid…" if off_grid else "Reconnecting…")
        work = self.commands.switch_grid(off_grid=off_grid, on_state=self._show_grid)
        self.tasks.start(work, self._grid_settled, self._grid_failed)

    def _grid_settled(self, grid: GridState) -> None:
        self._show_grid(grid)
        self.outcome.setText("✔ Off grid." if grid.off_grid else "✔ Connected to the grid again.")

    def _grid_failed(self, error: Exception) -> None:
        self.outcome.setText(f"✖ {error}")
        self.reload()
