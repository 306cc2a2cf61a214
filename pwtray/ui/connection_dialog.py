"""Connection: the gateway's address, the login, the trusted certificate, and the connection
doctor that checks all of it and says what each result means.

A changed certificate is never trusted silently: the dialog shows the trusted and the new
fingerprints side by side and the user trusts the new one with its own button.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pwtray.core import Diagnosis, Passwords, diagnose, spaced_fingerprint
from pwtray.core.words import keyring_text
from pwtray.gateway import GatewayAddress
from pwtray.settings import Connection
from pwtray.ui.tasks import TaskDialog

MARKS = {True: "✔", False: "✖", None: "•"}


@dataclass(frozen=True)
class Saved:
    connection: Connection
    password: str | None  # None: unchanged


def doctor_html(diagnosis: Diagnosis) -> str:
    rows = "".join(
        f"<tr><td valign='top'><b>{MARKS[c.ok]}</b></td><td valign='top'><b>{c.name}</b></td>"
        f"<td>{_escape(c.detail)}</td></tr>"
        for c in diagnosis.checks
    )
    return f"<table cellspacing='4'>{rows}</table>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ConnectionDialog(TaskDialog):
    def __init__(
        self,
        connection: Connection,
        passwords: Passwords,
        *,
        on_saved: Callable[[Saved], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("pwtray — Connection")
        self.setMinimumWidth(560)
        self.passwords = passwords
        self._on_saved = on_saved
        self.trusted = connection.fingerprint
        self.presented: str | None = None  # what the gateway showed in the last check
        self.diagnosis: Diagnosis | None = None

        self.host = QLineEdit(connection.host)
        self.host.setPlaceholderText("192.168.1.50 or powerwall.local")
        self.host.setAccessibleName("Gateway address")
        self.email = QLineEdit(connection.email)
        self.email.setPlaceholderText("any email address (current firmware)")
        self.email.setAccessibleName("Email")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.setPlaceholderText("customer password")
        self._stored: str | None = None  # the keyring's password for the address shown at first
        self._stored_for = connection.host
        self._stored_read: asyncio.Task[str | None] | None = None
        self.fingerprint = QLabel("")
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint.setAccessibleName("Trusted certificate")
        form = QFormLayout()
        form.addRow("&Address", self.host)
        form.addRow("&Email", self.email)
        form.addRow("&Password", self.password)
        form.addRow("Trusted certificate", self.fingerprint)
        help_text = QLabel(
            "The password is the gateway's customer password — by default the last 5 "
            "characters of the password on the label inside the gateway's door. On firmware 1.x "
            "it is S followed by the gateway's serial number."
        )
        help_text.setWordWrap(True)
        help_text.setEnabled(False)

        self.change_box = QGroupBox("The certificate changed")
        change = QVBoxLayout(self.change_box)
        self.change_text = QLabel("")
        self.change_text.setWordWrap(True)
        self.change_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.trust_button = QPushButton("&Trust the new certificate")
        self.trust_button.clicked.connect(self.trust_presented)
        change.addWidget(self.change_text)
        change.addWidget(self.trust_button, alignment=Qt.AlignmentFlag.AlignLeft)
        self.change_box.hide()

        self.check_button = QPushButton("&Check connection")
        self.check_button.setToolTip(
            "Reachability, certificate, gateway, login and response times, each explained"
        )
        self.check_button.clicked.connect(self.check)
        self.report = QLabel("")
        self.report.setWordWrap(True)
        self.report.setTextFormat(Qt.TextFormat.RichText)
        self.report.setAccessibleName("Connection check results")
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Where the password is kept")
        self._show_keyring_problem()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(help_text)
        layout.addWidget(self.problem)
        layout.addWidget(self.change_box)
        layout.addWidget(self.check_button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.report)
        layout.addWidget(self.buttons)
        self._show_trusted()
        if connection.host:  # the keyring may prompt: asked off the GUI thread
            self.password.setPlaceholderText("reading the system keyring…")
            self._stored_read = self.tasks.start(
                passwords.get(connection.host), self._show_stored, self._stored_failed
            )

    def _show_stored(self, stored: str | None) -> None:
        self._stored = stored
        self.password.setPlaceholderText(
            "stored in the system keyring — type to change" if stored else "customer password"
        )
        self._show_keyring_problem()

    def _stored_failed(self, error: Exception) -> None:
        self.password.setPlaceholderText("customer password")
        self._show_keyring_problem()

    def _show_keyring_problem(self) -> None:
        """Where the password is kept: the system keyring, or this session only and why."""
        problem = self.passwords.problem
        self.problem.setText(
            keyring_text(problem) if problem is None else f"⚠ {keyring_text(problem)}"
        )

    def _show_trusted(self) -> None:
        self.fingerprint.setText(
            spaced_fingerprint(self.trusted) if self.trusted
            else "none yet — check the connection to see the gateway's certificate"
        )  # fmt: skip

    async def _password(self) -> str | None:
        """The typed password, else the keyring's (once the keyring has answered)."""
        typed = self.password.text()
        if typed:
            return typed
        if self._stored_read is not None:
            await asyncio.wait([self._stored_read])  # its own failure is shown by its callback
        return self._stored

    # ------------------------------------------------------------------ doctor
    def check(self) -> None:
        host = self.host.text().strip()
        self.report.setText("Checking…")
        self.check_button.setEnabled(False)
        self.tasks.start(self._check(host), self.show_diagnosis, self._check_failed)

    async def _check(self, host: str) -> Diagnosis:
        password = await self._password()
        return await diagnose(host, fingerprint=self.trusted or None, password=password,
                              email=self.email.text().strip())  # fmt: skip

    def show_diagnosis(self, diagnosis: Diagnosis) -> None:
        self.diagnosis = diagnosis
        self.presented = diagnosis.fingerprint
        self.check_button.setEnabled(True)
        self.report.setText(doctor_html(diagnosis))
        changed = bool(self.trusted and self.presented and self.presented != self.trusted)
        untrusted = bool(not self.trusted and self.presented)
        self.change_box.setVisible(changed or untrusted)
        if changed and self.presented:
            self.change_box.setTitle("The certificate changed")
            self.change_text.setText(
                f"Trusted: {spaced_fingerprint(self.trusted)}\n"
                f"Now:     {spaced_fingerprint(self.presented)}\n\n"
                "A gateway gets a new certificate when it is replaced or reset. If that did not "
                "happen, another device may be answering at this address: do not trust it."
            )
            self.trust_button.setText("&Trust the new certificate")
        elif untrusted and self.presented:
            self.change_box.setTitle("Not trusted yet")
            self.change_text.setText(
                f"The gateway presents {spaced_fingerprint(self.presented)}.\n"
                "Trust it if this is your gateway (the Tesla app shows nothing to compare; the "
                "first connection on your own network is the usual moment to trust it)."
            )
            self.trust_button.setText("&Trust this certificate")
        self.adjustSize()  # the report and the certificate box grow the dialog

    def _check_failed(self, error: Exception) -> None:
        self.check_button.setEnabled(True)
        self.report.setText(f"The check could not run: {_escape(str(error))}")

    def trust_presented(self) -> None:
        if self.presented:
            self.trusted = self.presented
            self._show_trusted()
            self.change_box.hide()
            self.report.setText("Trusted. Check the connection again to try the login with it.")

    # ------------------------------------------------------------------ saving
    def validation_error(self, password: str | None) -> str | None:
        host = self.host.text().strip()
        if not host:
            return "Enter the gateway's address."
        try:
            GatewayAddress.parse(host)
        except ValueError as exc:
            return f"“{host}” is not an address: {exc}"
        if not self.trusted:
            return "Check the connection and trust the gateway's certificate first."
        if not password:
            return "Enter the gateway's password."
        return None

    def save(self) -> None:
        self.save_button.setEnabled(False)
        self.tasks.start(self._saving(), self._saved, self._save_failed)

    async def _saving(self) -> Saved | None:
        """What to hand to the core (which stores the password off the GUI thread), or None."""
        password = await self._password()
        problem = self.validation_error(password)
        if problem:
            self.report.setText(f"<b>✖</b> {_escape(problem)}")
            return None
        host = self.host.text().strip()
        typed = self.password.text() or None
        if typed is None and host != self._stored_for:
            typed = self._stored  # the address changed: keep the password under the new one
        connection = Connection(host=host, email=self.email.text().strip(),
                                fingerprint=self.trusted)  # fmt: skip
        return Saved(connection, typed)

    def _saved(self, saved: Saved | None) -> None:
        self.save_button.setEnabled(True)
        if saved is not None:
            self._on_saved(saved)
            self.accept()

    def _save_failed(self, error: Exception) -> None:
        self.save_button.setEnabled(True)
        self.report.setText(f"<b>✖</b> Not saved: {_escape(str(error))}")
