"""Application bootstrap: QApplication + qasync, the single instance, the tray's start-up and a
clean shutdown. Everything else — settings, sites, commands, the demo — is the core's.

On desktops where Qt would load its GTK3 platform theme, pwtray asks for Qt's own GNOME theme
instead (unless the user set ``QT_QPA_PLATFORMTHEME``): see :func:`qt_arguments`.

Quit goes through an ``asyncio.Event`` (menu or SIGTERM/SIGINT): the main coroutine then closes
the core (polling, clients, history) and returns — no "event loop stopped before Future
completed".
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import signal
import stat
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
import qasync
from PySide6.QtCore import QLockFile, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from pwtray.core import CliOptions, Core
from pwtray.core.notify import Notifier
from pwtray.settings import KeyringSecrets
from pwtray.ui.bridge import Bridge
from pwtray.ui.controller import Controller
from pwtray.ui.tray import TrayController

if TYPE_CHECKING:
    from pwtray.ui.freedesktop import DesktopNotifications

log = logging.getLogger(__name__)
EXIT_NO_DESKTOP = 12  # the CLI's table: no desktop to show the tray app on
DESKTOP_ENTRY = "io.github.pwtray"  # packaging/linux/io.github.pwtray.desktop
NO_TRAY = (
    "This desktop has no system tray (no StatusNotifierItem host and no XEmbed tray), so "
    "pwtray shows its window instead of an icon; closing the window quits pwtray. "
    "Notifications still arrive. On GNOME, the AppIndicator extension adds a tray."
)

# The desktops on which Qt loads its GTK3 platform theme (qgenericunixthemes.cpp, Qt 6): that
# theme loads GTK 3 itself (+19 MB resident and +50 ms before the tray icon, on Xfce), for
# dialogs a tray app seldom shows; Qt's own GNOME theme is what Qt falls back to there.
GTK_DESKTOPS = frozenset({"GNOME", "X-CINNAMON", "PANTHEON", "UNITY", "MATE", "XFCE", "LXDE"})


def qt_arguments(
    argv: Sequence[str], environ: Mapping[str, str], platform: str = sys.platform
) -> list[str]:
    """QApplication's command line: on a GTK-based desktop, Qt's built-in GNOME platform theme
    (the portal's light or dark preference, Fusion, no GTK) unless the user chose a theme with
    ``QT_QPA_PLATFORMTHEME`` (``gtk3`` brings back GTK's fonts, colours and file chooser).

    An argument rather than the variable, so that programs pwtray starts (the user's actions)
    do not inherit it.
    """
    program = list(argv[:1]) or ["pwtray"]
    if platform in ("win32", "darwin") or environ.get("QT_QPA_PLATFORMTHEME"):
        return program
    desktops = environ.get("XDG_CURRENT_DESKTOP", "").upper().split(":")
    if GTK_DESKTOPS.intersection(desktops):
        return [*program, "-platformtheme", "gnome"]
    return program


class InstanceError(RuntimeError):
    """The single-instance folder is not safely ours (another user's, or too open)."""


def display_problem() -> str | None:
    """Why Qt could not open a window here, in one sentence — or None when it can.

    Checked before Qt starts: without a display, Qt's xcb plugin aborts the process.
    """
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return None
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return (
            "this session has no graphical desktop (neither DISPLAY nor WAYLAND_DISPLAY is "
            "set), and the tray app needs one: start pwtray from your desktop session, or use "
            "`pwtray status` for a reading in this terminal."
        )
    return None


def instance_folder() -> Path:
    """A folder only this user can use (0700, owned by them) for the lock and the socket."""
    base = Path(platformdirs.user_runtime_dir("pwtray", appauthor=False))
    if not base.parent.is_dir():  # no per-user runtime folder on this system
        base = Path(platformdirs.user_cache_dir("pwtray", appauthor=False)) / "run"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = base.stat()
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise InstanceError(
            f"{base} is not private to you (owner {info.st_uid}, mode "
            f"{stat.S_IMODE(info.st_mode):o}); pwtray will not use it. Remove it and start again."
        )
    return base


def instance_key(cli: CliOptions) -> str:
    if cli.instance_key:
        return cli.instance_key
    return f"pwtray-{'demo-' if cli.demo else ''}{getpass.getuser()}"


class SingleInstance:
    """One pwtray per user: a lock file decides (race-free), a local socket carries "show"."""

    def __init__(self, folder: Path, key: str) -> None:
        self.socket_path = str(folder / f"{key}.sock")
        self.lock = QLockFile(str(folder / f"{key}.lock"))
        self.lock.setStaleLockTime(0)  # a crashed run's lock is taken over (its PID is gone)
        self.server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True: this is the first instance. False: another one runs (and was asked to show)."""
        if self.lock.tryLock(0):
            QLocalServer.removeServer(self.socket_path)  # a crashed run's socket
            self.server = QLocalServer()
            self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
            if not self.server.listen(self.socket_path):
                log.warning("single instance: %s", self.server.errorString())
            return True
        for _ in range(20):  # the first instance may still be starting its server
            if _ask_to_show(self.socket_path):
                return False
            time.sleep(0.1)
        return False

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
        self.lock.unlock()


def _ask_to_show(path: str) -> bool:
    socket = QLocalSocket()
    socket.connectToServer(path)
    if not socket.waitForConnected(300):
        return False
    socket.write(b"show\n")
    socket.waitForBytesWritten(1000)
    socket.disconnectFromServer()
    return True


def run_app(cli: CliOptions, *, settings_path: Path | None = None) -> int:
    problem = display_problem()
    if problem:
        print(f"pwtray: {problem}", file=sys.stderr)
        return EXIT_NO_DESKTOP
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        app = QApplication(qt_arguments(sys.argv, os.environ))
    app.setApplicationName("pwtray")
    app.setDesktopFileName(DESKTOP_ENTRY)
    app.setWindowIcon(_app_icon())
    sys.excepthook = _log_unhandled  # an error in a Qt slot goes to the log, not only stderr
    app.setQuitOnLastWindowClosed(False)
    try:
        instance = SingleInstance(instance_folder(), instance_key(cli))
    except InstanceError as exc:
        print(f"pwtray: {exc}", file=sys.stderr)
        return EXIT_NO_DESKTOP
    if not instance.acquire():
        print("pwtray is already running: its window was asked to open.", file=sys.stderr)
        return 0
    try:
        return int(qasync.run(_main(app, cli, instance, settings_path)))
    except asyncio.CancelledError:
        return 0
    finally:
        instance.release()


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


async def _main(
    app: QApplication, cli: CliOptions, instance: SingleInstance, settings_path: Path | None
) -> int:
    quit_event = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Worker threads (keyring, history, name lookups) as work needs them: qasync's own default
    # executor starts ten QThreads at the first call and keeps them all.
    loop.set_default_executor(ThreadPoolExecutor(thread_name_prefix="pwtray-worker"))

    def request_quit(*_: object) -> None:
        loop.call_soon_threadsafe(quit_event.set)

    signal.signal(signal.SIGTERM, request_quit)
    signal.signal(signal.SIGINT, request_quit)
    wake = QTimer()  # lets Python see signals while Qt's loop runs
    wake.start(250)
    wake.timeout.connect(lambda: None)

    # On Linux the keyring's back-end (secretstorage, cryptography: 10 MB) would stay loaded for
    # the one password read at start: a child process reads it instead.
    secrets = None if sys.platform in ("win32", "darwin") else KeyringSecrets(separate_process=True)
    core = await Core.start(cli, settings_path=settings_path, unlock=False, secrets=secrets)
    bridge = Bridge(core.site, core)
    tray: TrayController | None = None
    notifier = Notifier(lambda intent: tray.deliver(intent) if tray else None)
    controller = Controller(core, bridge, notifier)
    desktop_notifications = _desktop_notifications()
    tray = TrayController(
        bridge,
        notifier,
        on_quit=quit_event.set,
        on_refresh=bridge.refresh,
        clock=time.time,
        history=core.site.history,
        actions=controller.actions(),
        desktop_notifications=desktop_notifications,
    )
    starting = None
    if desktop_notifications is not None:  # connects while the tray item registers
        starting = asyncio.ensure_future(desktop_notifications.start())
    controller.tray = tray
    controller.apply_live()
    if instance.server is not None:
        server = instance.server
        server.newConnection.connect(lambda: _on_second_instance(server, tray))

    async def go_on() -> None:
        # The icon is up: a keyring prompt may now wait for the user while pwtray answers.
        try:
            await core.unlock()
        except Exception:  # monitoring starts whatever the keyring did (logged, not swallowed)
            log.exception("reading the keyring failed; monitoring without a stored password")
        core.begin()
        for note in core.notes:
            tray.show_message(note.title, note.body)
        if not core.site.configured:
            tray.status_action.setText("Not set up yet — set up…")
            tray.status_action.setEnabled(True)
            log.info("not set up: opening the setup wizard")
            controller.open_wizard()

    bridge.run(go_on(), "starting")
    has_tray = QSystemTrayIcon.isSystemTrayAvailable()
    log.info("running; tray available: %s", has_tray)
    if not has_tray:
        log.warning("no system tray on this desktop: showing the window instead")
        tray.open_window(notice=NO_TRAY, quit_on_close=quit_event.set)
    try:
        await quit_event.wait()
    finally:
        controller.close_dialogs()
        if desktop_notifications is not None and starting is not None:
            await starting
            await desktop_notifications.aclose()  # takes pwtray's notifications off the screen
        tray.hide()
        bridge.close()
        wake.stop()
        await core.close()
    return 0


def _on_second_instance(server: QLocalServer, tray: TrayController) -> None:
    connection = server.nextPendingConnection()
    connection.waitForReadyRead(500)
    if bytes(connection.readAll().data()).strip() == b"show":
        log.info("another pwtray asked this one to show its window")
        tray.open_window()
    connection.disconnectFromServer()
