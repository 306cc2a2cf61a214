"""A compact live status window: the power-flow diagram and what the tray says, larger. (History
charts, the outage log and the status panel come with the main window's issue.)"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from pwtray.monitor import Snapshot
from pwtray.ui.flow import FlowDiagram
from pwtray.ui.texts import status_line, tooltip


class StatusWindow(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("pwtray")
        self.setMinimumSize(420, 560)
        layout = QVBoxLayout(self)
        self.headline = QLabel("Connecting…")
        font = QFont()
        font.setPointSize(22)
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setAccessibleName("Battery and grid")
        self.details = QLabel("")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAccessibleName("Details")
        self.flow = FlowDiagram()
        layout.addWidget(self.headline)
        layout.addWidget(self.flow, stretch=1)
        layout.addWidget(self.details)

    def show_snapshot(self, snapshot: Snapshot, now: float) -> None:
        self.headline.setText(status_line(snapshot))
        self.flow.show_snapshot(snapshot)
        self.details.setText(tooltip(snapshot, now))
