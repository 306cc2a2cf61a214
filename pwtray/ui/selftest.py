"""``pwtray --selftest``: can this installation run? Used by packaging and support.

Checks the imports, paints every icon state, looks for a system tray, makes an HTTPS request to
an embedded simulator through the real client, and asks the keyring which backend it has.
Prints one line per check; exits 0 when every required check passed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from pwtray import __version__


def run_selftest() -> int:
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

    print(f"pwtray {__version__} self-test on {sys.platform}, Python {sys.version.split()[0]}, "
          f"Qt platform {QApplication.platformName()}")  # fmt: skip
    check("modules", True, _imports)
    check("icon painting", True, _icons)
    check("system tray", False, _tray)
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

    import pwtray.monitor
    import pwtray.settings
    import pwtray.simulator
    import pwtray.ui.app

    del platformdirs, qasync, pwtray
    versions = (("httpx", httpx), ("msgspec", msgspec), ("cryptography", cryptography))
    return ", ".join(f"{name} {module.__version__}" for name, module in versions)


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


def _https() -> str:
    from pwtray.gateway import GatewayClient
    from pwtray.simulator import Simulator, SimulatorConfig

    secret = "selftest"  # noqa: S105 - the throw-away simulator's password

    async def read() -> str:
        with Simulator(SimulatorConfig(password=secret)) as sim:
            async with GatewayClient(
                sim.address, password=secret, fingerprint=sim.fingerprint
            ) as gw:
                soe = await gw.soe()
                status = await gw.status()
        return f"firmware {status.firmware}, charge {soe.app_percent:.0f} % over pinned TLS"

    return asyncio.run(read())


def _keyring() -> str:
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise RuntimeError("no usable keyring: passwords would be kept for the session only")
    return type(backend).__module__ + "." + type(backend).__name__
