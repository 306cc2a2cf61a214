"""Gateway info, on two tabs. Network: the gateway's networks, Wi-Fi, connectivity tests, site,
firmware and updates, Tesla registration and Powerwalls. System: installer, solar inverters,
meters and their CTs, grid code, generators, the Tesla connection, alerts and grid faults. Each
section loads on its own and says what it could not read; Copy puts all of it in the clipboard."""

from __future__ import annotations

import functools

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pwtray.core import SECTIONS, SYSTEM_SECTIONS, Commands, Section
from pwtray.ui.tasks import TaskDialog

ALL_SECTIONS = SECTIONS + SYSTEM_SECTIONS


class NetworkInfoDialog(TaskDialog):
    def __init__(self, commands: Commands, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("pwtray — Gateway info")
        self.resize(640, 600)
        self.commands = commands
        self.sections: dict[str, Section] = {}
        self.boxes: dict[str, QGroupBox] = {}
        self.pages = QTabWidget()
        self.pages.setAccessibleName("Gateway info pages")
        for name, sections in (("&Network", SECTIONS), ("S&ystem", SYSTEM_SECTIONS)):
            self.pages.addTab(self._page(sections), name)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.refresh_button = buttons.addButton("&Refresh", QDialogButtonBox.ButtonRole.ActionRole)
        self.refresh_button.clicked.connect(self.load)
        self.copy_button = buttons.addButton("&Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Copy everything shown, as text (for a support request)")
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, stretch=1)
        layout.addWidget(buttons)
        self.load()

    def _page(self, sections: tuple[tuple[str, object], ...]) -> QScrollArea:
        content = QWidget()
        column = QVBoxLayout(content)
        for title, _ in sections:
            box = QGroupBox(title)
            box.setAccessibleName(title)
            QFormLayout(box)
            self.boxes[title] = box
            column.addWidget(box)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        return scroll

    @property
    def all_loaded(self) -> bool:
        return len(self.sections) == len(ALL_SECTIONS)

    def load(self) -> None:
        self.tasks.cancel()
        self.sections.clear()
        for title, _ in ALL_SECTIONS:
            self._fill(title, [("", "Loading…")], None)
            self.tasks.start(
                self.commands.read_section(title),
                self.show_section,
                functools.partial(self._failed, title),
            )

    def _failed(self, title: str, error: Exception) -> None:
        self.show_section(Section(title, error=f"Could not read this: {error}"))

    def show_section(self, section: Section) -> None:
        self.sections[section.title] = section
        self._fill(section.title, section.rows, section.error)

    def _fill(self, title: str, rows: list[tuple[str, str]], error: str | None) -> None:
        form = self.boxes[title].layout()
        assert isinstance(form, QFormLayout)  # noqa: S101 - made in __init__
        while form.rowCount():
            form.removeRow(0)
        if error:
            label = QLabel(f"⚠ {error}")
            label.setWordWrap(True)
            label.setAccessibleName(f"{title}: could not be read")
            form.addRow(label)
            return
        for name, value in rows:
            label = QLabel(value)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(f"{title}, {name}" if name else title)
            form.addRow(name, label)

    def text(self) -> str:
        lines = []
        for title, _ in ALL_SECTIONS:
            section = self.sections.get(title)
            lines.append(f"[{title}]")
            if section is None:
                lines.append("not read yet")
            elif section.error:
                lines.append(f"could not be read: {section.error}")
            else:
                lines.extend(f"{name}: {value}" for name, value in section.rows)
            lines.append("")
        return "\n".join(lines)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
