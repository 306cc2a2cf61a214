"""A compact live status window: what the tray says, larger. (The full window with the
power-flow diagram and history comes with its own issue.)"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from pwtray.monitor import Snapshot
from pwtray.ui.texts import status_line, tooltip


class StatusWindow(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("pwtray")
        self.setMinimumWidth(360)
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
        layout.addWidget(self.headline)
        layout.addWidget(self.details)

    def show_snapshot(self, snapshot: Snapshot, now: float) -> None:
        self.headline.setText(status_line(snapshot))
        self.details.setText(tooltip(snapshot, now))
