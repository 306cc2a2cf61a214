"""First run: find the gateway, trust its certificate, log in, start monitoring.

Nothing is probed until the user presses Search, and only the addresses shown in the range field
(proposed from this computer's own network, editable). Every failure is said in words: nothing
answered, not a gateway, wrong password, locked out until HH:MM.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtNetwork import QAbstractSocket, QNetworkInterface
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from pwtray.core import Diagnosis, Passwords, diagnose, spaced_fingerprint
from pwtray.core.words import keyring_text
from pwtray.gateway import DiscoveredGateway, discover, expand_range
from pwtray.settings import Connection, KeyringProblem
from pwtray.ui.connection_dialog import Saved, doctor_html
from pwtray.ui.tasks import Tasks


def proposed_range() -> str:
    """This computer's own IPv4 network as ``a.b.c.1-254`` (the user confirms it)."""
    for interface in QNetworkInterface.allInterfaces():
        flags = interface.flags()
        if flags & QNetworkInterface.InterfaceFlag.IsLoopBack or not (
            flags & QNetworkInterface.InterfaceFlag.IsUp
        ):
            continue
        for entry in interface.addressEntries():
            ip = entry.ip()
            if ip.protocol() != QAbstractSocket.NetworkLayerProtocol.IPv4Protocol:
                continue
            network = ipaddress.IPv4Network(f"{ip.toString()}/{max(24, entry.prefixLength())}",
                                            strict=False)  # fmt: skip
            if network.is_private:
                base = str(network.network_address).rsplit(".", 1)[0]
                return f"{base}.1-254"
    return "192.168.1.1-254"


def _label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class FindPage(QWizardPage):
    def __init__(self, tasks: Tasks, search_range: str) -> None:
        super().__init__()
        self.tasks = tasks
        self.setTitle("Find your gateway")
        self.setSubTitle("pwtray reads your Powerwall from its Backup Gateway on your home "
                         "network — no cloud, no Tesla account.")  # fmt: skip
        self.search_mode = QRadioButton("&Search my network for gateways")
        self.search_mode.setChecked(True)
        self.range = QLineEdit(search_range)
        self.range.setAccessibleName("Addresses to search")
        self.range.textEdited.connect(self._use_search)
        self.search_button = QPushButton("Searc&h")
        self.search_button.clicked.connect(self.search)
        self.found = QListWidget()
        self.found.setAccessibleName("Gateways found")
        self.found.itemSelectionChanged.connect(self.completeChanged)
        self.found.itemSelectionChanged.connect(self._found_chosen)
        self.search_status = _label("Only the addresses above are asked, once each.")
        self.address_mode = QRadioButton("&Enter the gateway's address")
        self.address = QLineEdit()
        self.address.setPlaceholderText("192.168.1.50 or powerwall.local")
        self.address.setAccessibleName("Gateway address")
        self.address.textEdited.connect(lambda: self.address_mode.setChecked(True))
        self.address.textChanged.connect(self.completeChanged)
        self.search_mode.toggled.connect(self.completeChanged)
        row = QHBoxLayout()
        row.addWidget(self.range, stretch=1)
        row.addWidget(self.search_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search_mode)
        layout.addLayout(row)
        layout.addWidget(self.search_status)
        layout.addWidget(self.found, stretch=1)
        layout.addWidget(self.address_mode)
        layout.addWidget(self.address)

    def _use_search(self) -> None:
        self.search_mode.setChecked(True)

    def _found_chosen(self) -> None:
        """A gateway found is chosen (click or arrow keys): Next uses it, not the typed one."""
        if self.found.selectedItems():
            self._use_search()

    def search(self) -> None:
        try:
            addresses = expand_range(self.range.text())
        except ValueError as exc:
            self.search_status.setText(f"✖ {exc}. Write a range like 192.168.1.1-254.")
            return
        self._use_search()  # what Next uses from now on: a gateway found, not the typed address
        self.found.clear()
        self.search_button.setEnabled(False)
        self.search_status.setText(f"Searching {len(addresses)} addresses…")
        self.tasks.start(discover(addresses), self.show_found, self._failed)

    def show_found(self, gateways: list[DiscoveredGateway]) -> None:
        self.search_button.setEnabled(True)
        for gateway in gateways:
            what = f"gateway {gateway.din}" if gateway.din else "gateway"
            item = QListWidgetItem(f"{gateway.address} — {what}, firmware {gateway.firmware}")
            item.setData(Qt.ItemDataRole.UserRole, str(gateway.address))
            self.found.addItem(item)
        if gateways:
            self.search_status.setText(f"Found {len(gateways)}. Choose yours.")
            self.found.setCurrentRow(0)
        else:
            self.search_status.setText(
                "No gateway answered at these addresses. Check the range, or enter the address "
                "(your router's list of devices shows it, often as “teg-…” or “Tesla”)."
            )

    def _failed(self, error: Exception) -> None:
        self.search_button.setEnabled(True)
        self.search_status.setText(f"✖ The search failed: {error}")

    def chosen(self) -> str:
        if self.search_mode.isChecked():
            item = self.found.currentItem()
            return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""
        return self.address.text().strip()

    def isComplete(self) -> bool:
        return bool(self.chosen())


class CertificatePage(QWizardPage):
    def __init__(self, tasks: Tasks, find: FindPage) -> None:
        super().__init__()
        self.tasks = tasks
        self.find_page = find
        self.diagnosis: Diagnosis | None = None
        self.setTitle("Trust the gateway's certificate")
        self.setSubTitle("The gateway proves who it is with its own certificate. pwtray "
                         "remembers it and stops if it ever changes.")  # fmt: skip
        self.details = _label("Reading the gateway…")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.fingerprint = _label("")
        self.fingerprint.setAccessibleName("Certificate fingerprint")
        self.fingerprint.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.trust = QCheckBox("This is my gateway: &trust this certificate")
        self.trust.setEnabled(False)
        self.trust.toggled.connect(self.completeChanged)
        layout = QVBoxLayout(self)
        layout.addWidget(self.details)
        layout.addWidget(self.fingerprint)
        layout.addWidget(self.trust)
        layout.addStretch(1)

    def initializePage(self) -> None:
        self.diagnosis = None
        self.trust.setChecked(False)
        self.trust.setEnabled(False)
        self.fingerprint.setText("")
        self.details.setText(f"Reading the gateway at {self.find_page.chosen()}…")
        self.tasks.start(diagnose(self.find_page.chosen(), fingerprint=None, password=None),
                         self.show_diagnosis, self._failed)  # fmt: skip

    def show_diagnosis(self, diagnosis: Diagnosis) -> None:
        self.diagnosis = diagnosis
        gateway_ok = diagnosis.check("Gateway").ok is True
        if gateway_ok and diagnosis.fingerprint:
            self.details.setText(
                f"Found a Tesla Backup Gateway{' ' + diagnosis.din if diagnosis.din else ''}, "
                f"firmware {diagnosis.firmware}. Its certificate's SHA-256 fingerprint:"
            )
            spaced = spaced_fingerprint(diagnosis.fingerprint)
            self.fingerprint.setText(f"{spaced[:47]}\n{spaced[48:]}")  # 16 pairs a line
            self.trust.setEnabled(True)
        else:
            self.details.setText(
                "This address does not work as a gateway:<br>" + doctor_html(diagnosis)
                + "<br>Go back to choose or type another address."
            )  # fmt: skip
        self.completeChanged.emit()

    def _failed(self, error: Exception) -> None:
        self.details.setText(f"✖ {error}")

    def isComplete(self) -> bool:
        return self.diagnosis is not None and self.trust.isChecked()


class LoginPage(QWizardPage):
    def __init__(self, tasks: Tasks, find: FindPage, certificate: CertificatePage) -> None:
        super().__init__()
        self.tasks = tasks
        self.find_page = find
        self.certificate = certificate
        self.logged_in = False
        self.setTitle("Log in to the gateway")
        self.help = _label("")
        self.email = QLineEdit()
        self.email.setPlaceholderText("your email (any address works)")
        self.email.setAccessibleName("Email")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.textChanged.connect(self._edited)
        self.email.textChanged.connect(self._edited)
        self.login_button = QPushButton("&Log in")
        self.login_button.clicked.connect(self.login)
        self.outcome = _label("")
        self.outcome.setAccessibleName("Login result")
        self.form = QFormLayout()
        self.form.addRow("&Email", self.email)
        self.form.addRow("&Password", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(self.help)
        layout.addLayout(self.form)
        layout.addWidget(self.login_button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.outcome)
        layout.addStretch(1)

    @property
    def legacy(self) -> bool:
        d = self.certificate.diagnosis
        return bool(d and d.legacy)

    def initializePage(self) -> None:
        self.logged_in = False
        self.outcome.setText("")
        if self.legacy:
            self.help.setText("This gateway runs firmware 1.x. Its password is S followed by "
                              "the serial number on its label, e.g. ST17I0012345.")  # fmt: skip
        else:
            self.help.setText(
                "Use the gateway's customer password: by default the last 5 characters of the "
                "password printed on the label inside the gateway's door (or the password you "
                "changed it to). It is stored in the system keyring, never in a file."
            )
        self.form.setRowVisible(self.email, not self.legacy)

    def _edited(self) -> None:
        if self.logged_in:
            self.logged_in = False
            self.completeChanged.emit()

    def login(self) -> None:
        d = self.certificate.diagnosis
        if d is None or not d.fingerprint:
            return
        self.login_button.setEnabled(False)
        self.outcome.setText("Logging in…")
        work = diagnose(self.find_page.chosen(), fingerprint=d.fingerprint,
                        password=self.password.text(), email=self.email.text().strip())  # fmt: skip
        self.tasks.start(work, self.show_login, self._failed)

    def show_login(self, diagnosis: Diagnosis) -> None:
        self.login_button.setEnabled(True)
        check = diagnosis.check("Login")
        self.logged_in = check.ok is True
        self.outcome.setText(f"✔ {check.detail}" if self.logged_in else f"✖ {check.detail}")
        self.completeChanged.emit()

    def _failed(self, error: Exception) -> None:
        self.login_button.setEnabled(True)
        self.outcome.setText(f"✖ {error}")

    def isComplete(self) -> bool:
        return self.logged_in


class DonePage(QWizardPage):
    """The summary, and where the password will be kept.

    Asking the keyring may show a prompt (create or unlock a keyring) that waits for the user:
    the question runs in a worker thread, so the wizard and the tray stay responsive meanwhile,
    and the answer (or the sentence saying why the password lasts this session only) is shown
    when it comes.
    """

    def __init__(self, tasks: Tasks, passwords: Passwords, find: FindPage) -> None:
        super().__init__()
        self.tasks = tasks
        self.passwords = passwords
        self.find_page = find
        self.keyring_checked = False
        self.setTitle("Ready")
        self.summary = _label("")
        self.keyring = _label("")
        self.keyring.setAccessibleName("Where the password is kept")
        self.later = _label("To change any of this later, choose Connection… in the tray menu.")
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(self.summary)
        layout.addWidget(self.keyring)
        layout.addWidget(self.later)
        layout.addStretch(1)

    def initializePage(self) -> None:
        host = self.find_page.chosen()
        self.summary.setText(
            f"pwtray will watch the gateway at {host}: the tray icon shows the charge and the "
            "grid, and you are told when the grid goes down and comes back."
        )
        self.keyring_checked = False
        self.keyring.setText(
            "Asking the system keyring where the password can be kept… (it may ask you to "
            "unlock it, or to create one)"
        )
        self.tasks.start(self.passwords.get(host), self._keyring_answered, self._keyring_failed)

    def _keyring_answered(self, _stored: str | None) -> None:
        problem = self.passwords.problem
        self.keyring.setText(
            keyring_text(problem) if problem is None else f"⚠ {keyring_text(problem)}"
        )
        self.keyring_checked = True

    def _keyring_failed(self, error: Exception) -> None:
        self.keyring.setText(f"⚠ {keyring_text(KeyringProblem.FAILED)}")
        self.keyring_checked = True


class SetupWizard(QWizard):
    def __init__(
        self,
        passwords: Passwords,
        *,
        on_done: Callable[[Saved], None],
        search_range: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("pwtray — Set up")
        self.setMinimumSize(620, 480)
        self.tasks = Tasks()
        self.passwords = passwords
        self._on_done = on_done
        self.find_page = FindPage(self.tasks, search_range or proposed_range())
        self.cert_page = CertificatePage(self.tasks, self.find_page)
        self.login_page = LoginPage(self.tasks, self.find_page, self.cert_page)
        self.done_page = DonePage(self.tasks, passwords, self.find_page)
        for page in (self.find_page, self.cert_page, self.login_page, self.done_page):
            self.addPage(page)

    def accept(self) -> None:
        d = self.cert_page.diagnosis
        host = self.find_page.chosen()
        if d is None or not d.fingerprint or not self.login_page.logged_in:
            return
        password = self.login_page.password.text()  # the core stores it, off the GUI thread
        connection = Connection(host=host, email=self.login_page.email.text().strip(),
                                fingerprint=d.fingerprint)  # fmt: skip
        self.tasks.cancel()
        self._on_done(Saved(connection, password))
        super().accept()

    def reject(self) -> None:
        self.tasks.cancel()
        super().reject()
