"""Application bootstrap: QApplication + qasync, single instance, clean shutdown, demo, selftest.

Quit goes through an ``asyncio.Event`` (menu or SIGTERM/SIGINT): the main coroutine then stops
polling, closes the gateway client and the history, and returns — no "event loop stopped
before Future completed".
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication

from pwtray.gateway import GatewayClient, RedactingFilter
from pwtray.monitor import EventKind, HistoryStore, Poller
from pwtray.settings import (
    Connection,
    KeyringSecrets,
    Loaded,
    SecretStore,
    SessionSecrets,
    Settings,
    load,
    setup_logging,
)
from pwtray.settings import default_path as default_settings_path
from pwtray.ui.bridge import MonitorBridge
from pwtray.ui.controller import Controller
from pwtray.ui.notifications import Notifier
from pwtray.ui.tray import TrayController

if TYPE_CHECKING:
    from pwtray.ui.freedesktop import DesktopNotifications

log = logging.getLogger(__name__)
DEMO_PASSWORD = "demo1"  # noqa: S105 - the embedded simulator's password
DEMO_SCENARIO = "outage:at=30,duration=60"
DESKTOP_ENTRY = "io.github.pwtray"  # packaging/linux/io.github.pwtray.desktop


@dataclass
class AppOptions:
    demo: bool = False
    scenarios: list[str] = field(default_factory=list)
    speed: float = 3.0
    host: str | None = None
    fingerprint: str | None = None
    email: str = ""
    password: str | None = None
    poll_s: float | None = None  # None: from the settings
    muted: frozenset[EventKind] = frozenset()
    settings_path: Path | None = None
    verbose: bool = False
    instance_key: str | None = None


def instance_key(options: AppOptions) -> str:
    if options.instance_key:
        return options.instance_key
    return f"pwtray-{'demo-' if options.demo else ''}{getpass.getuser()}"


def run_app(options: AppOptions) -> int:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("pwtray")
    app.setDesktopFileName(DESKTOP_ENTRY)
    app.setWindowIcon(_app_icon())
    sys.excepthook = _log_unhandled  # an error in a Qt slot goes to the log, not only stderr
    app.setQuitOnLastWindowClosed(False)
    key = instance_key(options)
    if _ask_running_instance(key):
        print("pwtray is already running: its window was asked to open.", file=sys.stderr)
        return 0
    with contextlib.ExitStack() as stack:
        if options.demo:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pwtray-demo-")))
        else:
            folder = Path(platformdirs.user_data_dir("pwtray", appauthor=False))
        log_path = setup_logging(
            verbose=options.verbose,
            directory=folder if options.demo else None,
            filters=[RedactingFilter()],
        )
        log.info("pwtray %s starting; log at %s", app.applicationVersion(), log_path)
        try:
            return int(qasync.run(_main(app, options, key, folder)))
        except asyncio.CancelledError:
            return 0


def _icon_png(size: int) -> Path:
    """The app icon's PNG beside the bundle or in the source tree (it may not exist)."""
    root = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2]))
    return root / "resources" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "pwtray.png"


def _app_icon() -> QIcon:
    """The installed theme icon, else the PNGs beside the bundle or in the source tree."""
    bundled = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        if _icon_png(size).exists():
            bundled.addFile(str(_icon_png(size)))
    return QIcon.fromTheme("pwtray", bundled)


def _desktop_notifications() -> DesktopNotifications | None:
    """The freedesktop notification client, where desktops have one (not Windows or macOS,
    whose trays show native notifications through Qt)."""
    if sys.platform in ("win32", "darwin"):
        return None
    from pwtray.ui.freedesktop import DesktopNotifications

    # The notification shows pwtray's icon, never a stock one: by theme name once installed,
    # else the PNG beside the bundle or in the source tree.
    png = _icon_png(48)
    app_icon = "pwtray" if QIcon.hasThemeIcon("pwtray") else png.as_uri() if png.exists() else ""
    return DesktopNotifications(app_icon=app_icon, desktop_entry=DESKTOP_ENTRY)


def _log_unhandled(kind: type[BaseException], value: BaseException, tb: object) -> None:
    log.error("unexpected error", exc_info=(kind, value, tb))  # type: ignore[arg-type]


def _ask_running_instance(key: str) -> bool:
    socket = QLocalSocket()
    socket.connectToServer(key)
    if not socket.waitForConnected(300):
        return False
    socket.write(b"show\n")
    socket.waitForBytesWritten(1000)
    socket.disconnectFromServer()
    return True


async def _main(app: QApplication, options: AppOptions, key: str, folder: Path) -> int:
    quit_event = asyncio.Event()
    loop = asyncio.get_running_loop()

    def request_quit(*_: object) -> None:
        loop.call_soon_threadsafe(quit_event.set)

    signal.signal(signal.SIGTERM, request_quit)
    signal.signal(signal.SIGINT, request_quit)
    wake = QTimer()  # lets Python see signals while Qt's loop runs
    wake.start(250)
    wake.timeout.connect(lambda: None)

    simulator = None
    if options.demo:
        from pwtray.simulator import Simulator, SimulatorConfig

        scenarios = tuple(options.scenarios or [DEMO_SCENARIO])
        config = SimulatorConfig(
            password=DEMO_PASSWORD, speed=options.speed, scenarios=scenarios, soe_percent=72
        )
        simulator = await asyncio.to_thread(Simulator(config).start)  # key generation blocks
        log.info("demo gateway at %s (scenarios: %s)", simulator.base_url, ", ".join(scenarios))
        settings_path: Path | None = folder / "settings.toml"
        loaded = Loaded(Settings(connection=Connection(
            host=simulator.address, fingerprint=simulator.fingerprint)))  # fmt: skip
        secrets: SecretStore = SessionSecrets()
        secrets.set(simulator.address, DEMO_PASSWORD)
    else:
        settings_path = options.settings_path or default_settings_path()
        loaded = load(settings_path)
        secrets = KeyringSecrets()
    if loaded.problem:
        log.warning("settings: %s", loaded.problem)
    settings = loaded.settings
    connection = settings.connection
    host = options.host or connection.host or None
    fingerprint = options.fingerprint or connection.fingerprint or None
    email = options.email or connection.email
    password = options.password or (secrets.get(host) if host else None)
    # Retention, like every preference, comes from Controller.apply_live before polling starts.
    history = await asyncio.to_thread(HistoryStore, folder / "history.sqlite")
    if history.recovered:
        log.warning(history.recovered)
    client = GatewayClient(host or "127.0.0.1:9", password=password, email=email,
                           fingerprint=fingerprint, keep_session=not options.demo)  # fmt: skip
    poller = Poller(client, history=history)
    bridge = MonitorBridge(poller)
    tray: TrayController | None = None
    notifier = Notifier(lambda intent: tray.deliver(intent) if tray else None)
    controller = Controller(
        settings=settings,
        settings_path=None if loaded.read_only else settings_path,
        secrets=secrets,
        poller=poller,
        notifier=notifier,
        history=history,
        demo=options.demo,
        speed=options.speed if options.demo else 1.0,
        muted_by_cli=options.muted,
        fast_s_by_cli=options.poll_s,
        configured=bool(host and fingerprint),
    )

    def refresh() -> None:
        asyncio.ensure_future(poller.refresh())  # noqa: RUF006 - joins the poller's own cycle

    desktop_notifications = _desktop_notifications()
    tray = TrayController(bridge, notifier, on_quit=quit_event.set, on_refresh=refresh,
                          clock=time.time, history=history, actions=controller.actions(),
                          desktop_notifications=desktop_notifications)  # fmt: skip
    starting = None
    if desktop_notifications is not None:  # connects while the tray item registers
        starting = asyncio.ensure_future(desktop_notifications.start())
    controller.tray = tray
    controller.apply_live()
    server = QLocalServer()
    QLocalServer.removeServer(key)  # a stale name from a crashed run
    server.listen(key)
    server.newConnection.connect(lambda: _on_second_instance(server, tray))
    controller.start_polling()
    if loaded.problem:
        tray.show_message("pwtray settings were reset", loaded.problem)
    if not controller.configured:
        tray.status_action.setText("Not set up yet — set up…")
        tray.status_action.setEnabled(True)
        log.info("not set up: opening the setup wizard")
        controller.open_wizard()
    log.info("running; tray available: %s", tray.tray.isSystemTrayAvailable())
    try:
        await quit_event.wait()
    finally:
        log.info("shutting down")
        await controller.stop()
        server.close()
        if desktop_notifications is not None and starting is not None:
            await starting
            await desktop_notifications.aclose()  # takes pwtray's notifications off the screen
        tray.hide()
        bridge.close()
        wake.stop()
        await poller.client.aclose()
        history.close()
        if simulator is not None:
            simulator.stop()
        log.info("stopped cleanly")
    return 0


def _on_second_instance(server: QLocalServer, tray: TrayController) -> None:
    connection = server.nextPendingConnection()
    connection.waitForReadyRead(500)
    if bytes(connection.readAll().data()).strip() == b"show":
        log.info("another pwtray asked this one to show its window")
        tray.open_window()
    connection.disconnectFromServer()
