"""Connection: the gateway's address, the login, the trusted certificate, and the connection
doctor that checks all of it and says what each result means — and, on its second tab, the
Tesla account pwtray uses for the changes the gateway refuses locally.

A changed certificate is never trusted silently: the dialog shows the trusted and the new
fingerprints side by side and the user trusts the new one with its own button.

The Tesla account tab signs in with the system browser (Tesla's page, its answer received on
``http://localhost:<port>/callback``) or with a pasted refresh token, and signs out. Each acts at
once through the core (which keeps the tokens in the keyring, the account in the settings, and
hands it to the running app); the dialog's Save and Cancel are the gateway tab's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pwtray.cloud import CloudError
from pwtray.core import (
    REDIRECT_PORT,
    SIGN_IN_TIMEOUT_S,
    AccountState,
    AccountStatus,
    Diagnosis,
    Passwords,
    SiteChoiceNeeded,
    TeslaAccount,
    diagnose,
    spaced_fingerprint,
)
from pwtray.core.words import account_line, cloud_problem, keyring_text, sign_in_keyring_text
from pwtray.gateway import GatewayAddress
from pwtray.settings import Connection
from pwtray.ui.tasks import TaskDialog, Tasks

log = logging.getLogger(__name__)

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


def grow_to_fit(page: QWidget) -> None:
    """Make the window tall enough for ``page`` at its present width. A tab does not pass its
    wrapped labels' height for a width on to the window, so the window's size hint falls short
    and the last lines of a long report would be cut off."""
    layout = page.layout()
    if layout is None or not page.isVisible():
        return
    layout.activate()
    width = page.width()
    needed = (
        layout.totalHeightForWidth(width)
        if layout.hasHeightForWidth()
        else layout.totalMinimumSize().height()
    )
    short = needed - page.height()
    if short > 0:
        window = page.window()
        window.resize(window.width(), window.height() + short)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ConnectionDialog(TaskDialog):
    def __init__(
        self,
        connection: Connection,
        passwords: Passwords,
        *,
        on_saved: Callable[[Saved], None],
        account: TeslaAccount | None = None,
        open_browser: Callable[[str], object] | None = None,
        redirect_port: int = REDIRECT_PORT,
        sign_in_timeout_s: float = SIGN_IN_TIMEOUT_S,
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
        self.gateway_tab = QWidget()
        gateway = QVBoxLayout(self.gateway_tab)
        gateway.addLayout(form)
        gateway.addWidget(help_text)
        gateway.addWidget(self.problem)
        gateway.addWidget(self.change_box)
        gateway.addWidget(self.check_button, alignment=Qt.AlignmentFlag.AlignLeft)
        gateway.addWidget(self.report)
        gateway.addStretch(1)
        self.account_panel: TeslaAccountPanel | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self.gateway_tab, "&Gateway")
        if account is not None:
            self.account_panel = TeslaAccountPanel(
                account,
                self.tasks,
                open_browser=open_browser,
                redirect_port=redirect_port,
                sign_in_timeout_s=sign_in_timeout_s,
            )
            self.tabs.addTab(self.account_panel, "&Tesla account")
        self.tabs.currentChanged.connect(self._tab_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.buttons)
        self._show_trusted()
        if connection.host:  # the keyring may prompt: asked off the GUI thread
            self.password.setPlaceholderText("reading the system keyring…")
            self._stored_read = self.tasks.start(
                passwords.get(connection.host), self._show_stored, self._stored_failed
            )

    def show_account(self) -> None:
        """Open on the Tesla account tab (e.g. from "Connect a Tesla account…")."""
        if self.account_panel is not None:
            self.tabs.setCurrentWidget(self.account_panel)

    def _tab_changed(self, _index: int) -> None:
        """The account tab acts at once: Save is the gateway tab's, Cancel becomes Close."""
        on_gateway = self.tabs.currentWidget() is self.gateway_tab
        self.save_button.setVisible(on_gateway)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Cancel" if on_gateway else "Close")

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
        self.adjustSize()  # the report and the certificate box grow the dialog …
        QTimer.singleShot(0, self, lambda: grow_to_fit(self.gateway_tab))  # … to their full height

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


# ---------------------------------------------------------------------- the Tesla account tab
ABOUT = (
    "Gateways on current firmware refuse some changes from their own login: the operation mode, "
    "the backup reserve, Storm Watch, grid charging and exports. pwtray makes those through "
    "Tesla's cloud once you sign in to your Tesla account here. Tesla meters every call, so "
    "pwtray asks the cloud only when a dialog opens or a command runs; monitoring stays on your "
    "own network."
)
SET_UP = (
    "Once: at <a href='https://developer.tesla.com'>developer.tesla.com</a> create an "
    "application of your own, give it the redirect URI <b>http://localhost:{port}/callback</b> "
    "and the scopes <i>Energy Product Information</i> and <i>Energy Product Settings</i>, and "
    "copy its client ID here."
)
WAITING = (
    "Tesla's sign-in page is open in your browser: sign in there and allow access. If the page "
    "says the application or its redirect URI is unknown, check the client ID and that the "
    "application's redirect URI is exactly http://localhost:{port}/callback, then cancel."
)
NO_BROWSER = "No browser opened: open the address below in one."
CANCELLED = "Sign-in cancelled."


def system_browser(url: str) -> bool:
    """Tesla's sign-in page in the user's own browser (never inside pwtray)."""
    return QDesktopServices.openUrl(QUrl.fromEncoded(url.encode("ascii")))


class TeslaAccountPanel(QWidget):
    """Signed in or not, the one-time set-up, and signing in and out (through the core)."""

    def __init__(
        self,
        account: TeslaAccount,
        tasks: Tasks,
        *,
        open_browser: Callable[[str], object] | None = None,
        redirect_port: int = REDIRECT_PORT,
        sign_in_timeout_s: float = SIGN_IN_TIMEOUT_S,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.account = account
        self.tasks = tasks
        self._open_browser = open_browser or system_browser
        self._timeout_s = sign_in_timeout_s
        self.status: AccountStatus | None = None
        self.busy = False
        self._sign_in: asyncio.Task[AccountStatus] | None = None
        self._choice: SiteChoiceNeeded | None = None

        about = QLabel(ABOUT)
        about.setWordWrap(True)
        self.set_up = QLabel(SET_UP.format(port=redirect_port))
        self.set_up.setWordWrap(True)
        self.set_up.setTextFormat(Qt.TextFormat.RichText)
        self.set_up.setOpenExternalLinks(True)
        self.client_id = QLineEdit(account.client_id)
        self.client_id.setPlaceholderText("your application's client ID (developer.tesla.com)")
        self.client_id.setAccessibleName("Client ID")
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(redirect_port)
        self.port.setPrefix("http://localhost:")
        self.port.setSuffix("/callback")
        self.port.setAccessibleName("Redirect URI port")
        self.port.setToolTip("The port of the redirect URI registered in your Tesla application")
        self.port.valueChanged.connect(lambda port: self.set_up.setText(SET_UP.format(port=port)))
        form = QFormLayout()
        form.addRow("&Client ID", self.client_id)
        form.addRow("&Redirect URI", self.port)

        self.browser_button = QPushButton("Sign in with the &browser…")
        self.browser_button.clicked.connect(self.sign_in_with_browser)
        self.paste_button = QPushButton("&Paste a refresh token…")
        self.paste_button.clicked.connect(self.show_paste)
        self.sign_out_button = QPushButton("Sign &out")
        self.sign_out_button.setToolTip("Forget the Tesla tokens; the client ID stays")
        self.sign_out_button.clicked.connect(self.sign_out)
        actions = QHBoxLayout()
        for button in (self.browser_button, self.paste_button, self.sign_out_button):
            actions.addWidget(button)
        actions.addStretch(1)

        self.paste_box = QWidget()
        paste = QHBoxLayout(self.paste_box)
        paste.setContentsMargins(0, 0, 0, 0)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("a refresh token made elsewhere (evcc, myteslamate…)")
        self.token.setAccessibleName("Refresh token")
        self.token.returnPressed.connect(self.sign_in_with_token)
        self.token_button = QPushButton("Sign &in with this token")
        self.token_button.clicked.connect(self.sign_in_with_token)
        paste.addWidget(self.token, 1)
        paste.addWidget(self.token_button)
        self.paste_box.hide()

        self.waiting_box = QWidget()
        waiting = QVBoxLayout(self.waiting_box)
        waiting.setContentsMargins(0, 0, 0, 0)
        self.waiting = QLabel("")
        self.waiting.setWordWrap(True)
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.url.setAccessibleName("Tesla's sign-in address")
        self.url.setPlaceholderText("opening Tesla's sign-in page…")
        self.cancel_button = QPushButton("&Cancel sign-in")
        self.cancel_button.clicked.connect(self.cancel_sign_in)
        waiting.addWidget(self.waiting)
        waiting.addWidget(self.url)
        waiting.addWidget(self.cancel_button, alignment=Qt.AlignmentFlag.AlignLeft)
        self.waiting_box.hide()

        self.choice_box = QWidget()
        choice = QHBoxLayout(self.choice_box)
        choice.setContentsMargins(0, 0, 0, 0)
        self.sites = QComboBox()
        self.sites.setAccessibleName("Energy site")
        self.use_site_button = QPushButton("&Use this site")
        self.use_site_button.clicked.connect(self.use_site)
        choice.addWidget(self.sites, 1)
        choice.addWidget(self.use_site_button)
        self.choice_box.hide()

        self.state = QLabel("Reading the system keyring…")
        self.state.setAccessibleName("Tesla account")
        font = self.state.font()
        font.setBold(True)
        self.state.setFont(font)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName("What happened")
        self.message.hide()
        self.kept = QLabel("")
        self.kept.setWordWrap(True)
        self.kept.setAccessibleName("Where the sign-in is kept")

        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(self.set_up)
        layout.addLayout(form)
        layout.addLayout(actions)
        layout.addWidget(self.paste_box)
        layout.addWidget(self.waiting_box)
        layout.addWidget(self.choice_box)
        layout.addWidget(self.state)
        layout.addWidget(self.message)
        layout.addWidget(self.kept)
        layout.addStretch(1)
        self._set_busy(True)
        self.tasks.start(account.status(), self.show_status, self._status_failed)

    # ------------------------------------------------------------------ showing
    @property
    def waiting_for_browser(self) -> bool:
        return self._sign_in is not None and not self._sign_in.done()

    def show_status(self, status: AccountStatus) -> None:
        self.status = status
        self._set_busy(False)
        self.state.setText(account_line(status))
        if not self.client_id.text().strip() and status.client_id:
            self.client_id.setText(status.client_id)
        kept = sign_in_keyring_text(status.keyring, in_keyring=status.in_keyring)
        warn = status.keyring is not None or not status.in_keyring
        self.kept.setText(f"⚠ {kept}" if warn else kept)
        if status.state is AccountState.SIGN_IN_NEEDED and not self.message.text():
            self._say(f"{status.refusal}. Sign in again, with the browser or a new refresh token.")
        self._fit()  # a longer line may wrap onto more lines than before

    def _status_failed(self, error: Exception) -> None:
        self._set_busy(False)
        self.state.setText("Not known")
        self._tell(error)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        signed_out = self.status is None or self.status.state is AccountState.SIGNED_OUT
        for button in (self.browser_button, self.paste_button, self.token_button):
            button.setEnabled(not busy)
        self.use_site_button.setEnabled(not busy)
        self.sign_out_button.setEnabled(not busy and not signed_out)
        self.client_id.setReadOnly(busy)
        self.port.setEnabled(not busy)

    def _say(self, text: str) -> None:
        """What just happened, or nothing (then the line takes no room)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _fit(self) -> None:
        """Grow the window to show what just appeared (never shrink what the user chose)."""
        window = self.window()
        for widget in (self, window):
            layout = widget.layout()
            if layout is not None:
                layout.activate()
        window.resize(window.size().expandedTo(window.sizeHint()))
        QTimer.singleShot(0, self, lambda: grow_to_fit(self))  # not after it is gone

    def _tell(self, error: BaseException) -> None:
        if not isinstance(error, CloudError | SiteChoiceNeeded | ValueError):
            log.error("Tesla account: unexpected error", exc_info=error)
        mark = "" if isinstance(error, SiteChoiceNeeded) else "✖ "  # a question, not a failure
        self._say(f"{mark}{cloud_problem(error)}")
        self._fit()

    # ------------------------------------------------------------------ signing in and out
    def sign_in_with_browser(self) -> None:
        port = self.port.value()
        self._start()
        self.waiting.setText(WAITING.format(port=port))
        self.url.clear()
        self.paste_box.hide()
        self.waiting_box.show()
        self._fit()
        work = self.account.sign_in_with_browser(
            self.client_id.text(), open_browser=self._opened, port=port, timeout_s=self._timeout_s
        )
        self._sign_in = self.tasks.start(work, self._signed_in, self._sign_in_failed)

    def _opened(self, url: str) -> None:
        self.url.setText(url)
        self.url.setCursorPosition(0)
        if self._open_browser(url) is False:
            self._say(NO_BROWSER)

    def cancel_sign_in(self) -> None:
        sign_in, self._sign_in = self._sign_in, None
        if sign_in is not None:
            sign_in.cancel()
        self.waiting_box.hide()
        self._say(CANCELLED)
        self.tasks.start(self._after(sign_in), self.show_status, self._status_failed)

    async def _after(self, cancelled: asyncio.Task[AccountStatus] | None) -> AccountStatus:
        """The state once the cancelled sign-in has ended: its listener closed, its port free
        for the next try."""
        if cancelled is not None:
            await asyncio.wait([cancelled])
        return await self.account.status()

    def show_paste(self) -> None:
        self.paste_box.setVisible(not self.paste_box.isVisible())
        if self.paste_box.isVisible():
            self.token.setFocus()
            self._fit()

    def sign_in_with_token(self) -> None:
        token = self.token.text()
        self.token.clear()  # the secret stays in no widget
        self._start()
        work = self.account.sign_in_with_refresh_token(self.client_id.text(), token)
        self.tasks.start(work, self._signed_in, self._sign_in_failed)

    def use_site(self) -> None:
        choice = self._choice
        index = self.sites.currentIndex()
        if choice is None or not 0 <= index < len(choice.sites):
            return
        self._start()
        work = self.account.use_site(choice.account, choice.sites[index])
        self.tasks.start(work, self._signed_in, self._sign_in_failed)

    def sign_out(self) -> None:
        self._start()
        self.tasks.start(self.account.sign_out(), self._signed_out, self._sign_in_failed)

    def _start(self) -> None:
        self._set_busy(True)
        self._say("")
        self.choice_box.hide()
        self._choice = None

    def _signed_in(self, status: AccountStatus) -> None:
        self._sign_in = None
        self.waiting_box.hide()
        self.paste_box.hide()
        self.show_status(status)
        done = "Signed in. Changes the gateway refuses now go through Tesla's cloud."
        self._say(f"{done} {status.settings_problem or ''}".strip())
        self._fit()

    def _signed_out(self, status: AccountStatus) -> None:
        self.show_status(status)
        self._say(
            "Signed out: the Tesla tokens are forgotten; the client ID stays for the next sign-in."
        )
        self._fit()

    def _sign_in_failed(self, error: Exception) -> None:
        self._sign_in = None
        self.waiting_box.hide()
        self._tell(error)
        if isinstance(error, SiteChoiceNeeded):
            self._choice = error
            self.sites.clear()
            for site in error.sites:
                self.sites.addItem(f"{site.name or 'Energy site'} ({site.site_id})")
            self.choice_box.show()
        self._fit()
        self._set_busy(True)  # what the sign-in changed, as the core now sees it
        self.tasks.start(self.account.status(), self.show_status, self._status_failed)
