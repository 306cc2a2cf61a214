"""``pwtray --selftest``: can this installation run? Used by packaging and support.

Checks the imports, paints every icon state, looks for a system tray and the desktop's
notification service, makes an HTTPS request to an embedded simulator through the real client,
and asks the keyring which backend it has.
Prints one line per check; exits 0 when every required check passed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from pwtray import __version__


def run_selftest() -> int:
    from pwtray.ui.app import EXIT_NO_DESKTOP, display_problem

    problem = display_problem()
    if problem:
        print(
            f"pwtray: {problem} (The self-test also runs without one: "
            "QT_QPA_PLATFORM=offscreen pwtray --selftest.)",
            file=sys.stderr,
        )
        return EXIT_NO_DESKTOP
    app = QApplication.instance() or QApplication(sys.argv[:1])
    failures = 0

    def check(name: str, required: bool, action: Callable[[], str]) -> None:
        nonlocal failures
        started = time.perf_counter()
        try:
            detail = action()
        except Exception as exc:  # noqa: BLE001 - a self-test reports every failure
            mark = "FAIL" if required else "warn"
            failures += required
            detail = f"{type(exc).__name__}: {exc}"
        else:
            mark = "ok"
        print(f"[{mark:>4}] {name}: {detail} ({(time.perf_counter() - started) * 1000:.0f} ms)")

    print(
        f"pwtray {__version__} self-test on {sys.platform}, Python {sys.version.split()[0]}, "
        f"Qt platform {QApplication.platformName()}"
    )
    check("modules", True, _imports)
    check("Qt binding keeps references", True, qt_binding_keeps_references)
    check("main window and charts", True, _window)
    check("dialogs", True, _dialogs)
    check("icon painting", True, _icons)
    check("system tray", False, _tray)
    check("notification service", False, _notifications)
    check("HTTPS to the built-in simulator", True, _https)
    check("keyring", False, _keyring)
    del app
    print("self-test passed" if not failures else f"self-test failed: {failures} check(s)")
    return 0 if not failures else 1


def _imports() -> str:
    import cryptography
    import httpx
    import msgspec
    import platformdirs
    import qasync

    import pwtray.core
    import pwtray.monitor
    import pwtray.settings
    import pwtray.ui.app

    del platformdirs, qasync, pwtray
    versions = (("httpx", httpx), ("msgspec", msgspec), ("cryptography", cryptography))
    return ", ".join(f"{name} {module.__version__}" for name, module in versions)


def qt_binding_keeps_references(calls: int = 2000) -> str:
    """Some PySide6 builds (6.12.0) drop a reference to None on every void method call. On
    CPython before 3.12 that aborts a long-running app ("none_dealloc") after some hours."""
    from PySide6 import __version__ as pyside_version
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    label.setText("warm-up")
    before = sys.getrefcount(None)
    for _ in range(calls):
        label.setText("x")
        label.setWordWrap(True)
    lost = before - sys.getrefcount(None)
    if lost >= calls:
        raise RuntimeError(
            f"PySide6 {pyside_version} loses a reference to None per call ({lost} in "
            f"{2 * calls} calls): pwtray would crash after hours; use another PySide6 version"
        )
    return f"PySide6 {pyside_version}"


def _window() -> str:
    import tempfile
    from pathlib import Path

    from pwtray.monitor import HistoryStore
    from pwtray.ui.window import MainWindow

    with tempfile.TemporaryDirectory(prefix="pwtray-selftest-") as folder:
        store = HistoryStore(Path(folder, "history.sqlite"))
        window = MainWindow(store, state_file=Path(folder, "window.ini"))
        charts = window.history_view  # raises if pyqtgraph or numpy cannot load
        charts.reload()  # query the store and draw every chart, shown or not
        window.tabs.setCurrentIndex(1)
        image = window.grab()
        points = charts.shown.points if charts.shown else 0
        window.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        store.close()
    if image.isNull():
        raise RuntimeError("the window could not be drawn")
    return f"drawn at {image.width()}x{image.height()} with the history charts ({points} points)"


def _dialogs() -> str:
    """Every dialog module loads (they are imported on first use) and the two that need no
    gateway draw: the setup wizard (it reads this computer's networks) and Preferences."""
    import importlib

    from pwtray.core import Passwords
    from pwtray.settings import SessionSecrets, Settings
    from pwtray.ui.preferences_dialog import PreferencesDialog
    from pwtray.ui.wizard import SetupWizard

    for name in ("connection_dialog", "mode_dialog", "network_dialog"):
        importlib.import_module(f"pwtray.ui.{name}")
    wizard = SetupWizard(Passwords(SessionSecrets()), on_done=lambda saved: None)
    preferences = PreferencesDialog(Settings(), autostart=False, on_apply=lambda chosen: None)
    drawn = [not w.grab().isNull() for w in (wizard, preferences)]
    proposal = wizard.find_page.range.text()
    for widget in (wizard, preferences):
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if not all(drawn):
        raise RuntimeError("a dialog could not be drawn")
    return f"5 dialogs load; the wizard would offer to search {proposal}"


def _icons() -> str:
    from pwtray.ui.icon import SIZES, Condition, Flow, Grid, IconState, paint

    count = 0
    for condition in Condition:
        for grid in Grid:
            for flow in Flow:
                for size in SIZES:
                    image = paint(IconState(57, flow, grid, 20, condition), size)
                    if image.isNull() or image.width() != size:
                        raise RuntimeError(f"empty icon at {size} px")
                    count += 1
    return f"{count} icons painted"


def _tray() -> str:
    if not QSystemTrayIcon.isSystemTrayAvailable():
        raise RuntimeError("no system tray on this desktop (expected when offscreen)")
    return "available"


def _notifications() -> str:
    if sys.platform in ("win32", "darwin"):
        return "the tray's native notifications"
    from pwtray.ui.freedesktop import DesktopNotifications

    async def ask() -> str:
        notes = DesktopNotifications()
        try:
            if not await notes.start():
                raise RuntimeError("none on the session bus: notices would be the tray's balloons")
            offers = "with" if "actions" in notes.capabilities else "without"
            return f"{notes.server}, {offers} actions"
        finally:
            await notes.aclose()

    return asyncio.run(ask())


def _https() -> str:
    from pwtray.core import selftest_gateway

    return asyncio.run(selftest_gateway())


def _keyring() -> str:
    if sys.platform in ("win32", "darwin"):
        return _keyring_here()
    # On Linux the tray app asks a child process (pwtray.settings._keyring_child): so does this.
    from pwtray.settings._keyring_child import ChildKeyring
    from pwtray.settings._secrets import KeyringChildError

    try:
        return f"{ChildKeyring().backend()} (in a child process)"
    except KeyringChildError as exc:
        raise RuntimeError(
            f"no usable keyring ({exc}): passwords would be kept for the session only"
        ) from None


def _keyring_here() -> str:
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise RuntimeError("no usable keyring: passwords would be kept for the session only")
    return type(backend).__module__ + "." + type(backend).__name__
