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

import platformdirs
import qasync
from PySide6.QtCore import QTimer
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication

from pwtray.gateway import GatewayClient
from pwtray.monitor import EventKind, HistoryStore, Poller, Schedule
from pwtray.settings import setup_logging
from pwtray.ui.bridge import MonitorBridge
from pwtray.ui.notifications import DEFAULT_KINDS, Notifier
from pwtray.ui.tray import TrayController

log = logging.getLogger(__name__)
DEMO_PASSWORD = "demo1"  # noqa: S105 - the embedded simulator's password
DEMO_SCENARIO = "outage:at=30,duration=60"


@dataclass
class AppOptions:
    demo: bool = False
    scenarios: list[str] = field(default_factory=list)
    speed: float = 3.0
    host: str | None = None
    fingerprint: str | None = None
    email: str = ""
    password: str | None = None
    poll_s: float = 5.0
    muted: frozenset[EventKind] = frozenset()
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
    app.setDesktopFileName("pwtray")
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
            verbose=options.verbose, directory=folder if options.demo else None
        )
        log.info("pwtray %s starting; log at %s", app.applicationVersion(), log_path)
        try:
            return int(qasync.run(_main(app, options, key, folder)))
        except asyncio.CancelledError:
            return 0


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
    host: str | None
    fingerprint: str | None
    password: str | None
    if options.demo:
        from pwtray.simulator import Simulator, SimulatorConfig

        scenarios = tuple(options.scenarios or [DEMO_SCENARIO])
        config = SimulatorConfig(
            password=DEMO_PASSWORD, speed=options.speed, scenarios=scenarios, soe_percent=72
        )
        simulator = await asyncio.to_thread(Simulator(config).start)  # key generation blocks
        log.info("demo gateway at %s (scenarios: %s)", simulator.base_url, ", ".join(scenarios))
        host, fingerprint, password = simulator.address, simulator.fingerprint, DEMO_PASSWORD
    else:
        host, fingerprint, password = options.host, options.fingerprint, options.password
    history = await asyncio.to_thread(HistoryStore, folder / "history.sqlite")
    if history.recovered:
        log.warning(history.recovered)
    client = GatewayClient(host or "127.0.0.1:9", password=password, email=options.email,
                           fingerprint=fingerprint, keep_session=not options.demo)  # fmt: skip
    # The demo's clock runs ``speed`` times faster: its "once a minute" reads come sooner.
    slow_s = 60.0 / options.speed if options.demo else 60.0
    schedule = Schedule(fast_s=options.poll_s, slow_s=max(options.poll_s, slow_s))
    poller = Poller(client, schedule=schedule, history=history)
    bridge = MonitorBridge(poller)
    tray: TrayController | None = None
    notifier = Notifier(lambda notice: tray.show_notice(notice) if tray else None,
                        enabled=DEFAULT_KINDS - options.muted)  # fmt: skip

    def refresh() -> None:
        asyncio.ensure_future(poller.refresh())  # noqa: RUF006 - joins the poller's own cycle

    tray = TrayController(bridge, notifier, on_quit=quit_event.set, on_refresh=refresh,
                          clock=time.time, history=history)  # fmt: skip
    server = QLocalServer()
    QLocalServer.removeServer(key)  # a stale name from a crashed run
    server.listen(key)
    server.newConnection.connect(lambda: _on_second_instance(server, tray))
    polling = asyncio.create_task(poller.run(), name="pwtray-poller") if host else None
    if not host:
        tray.status_action.setText("Not set up: start with --host ADDRESS --fingerprint SHA256")
    log.info("running; tray available: %s", tray.tray.isSystemTrayAvailable())
    try:
        await quit_event.wait()
    finally:
        log.info("shutting down")
        if polling is not None:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
        await poller.stop()
        server.close()
        tray.hide()
        bridge.close()
        wake.stop()
        await client.aclose()
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
