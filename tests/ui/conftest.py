"""A private desktop for UI tests: Xvfb, a D-Bus session bus and the fake tray host and
notification server. Qt runs on the xcb platform against it; every GUI test ends with gc."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from tests.ui.fakedesktop import FakeDesktop


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        message = f"{tool} is not installed (apt-get install xvfb dbus)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def desktop() -> Iterator[FakeDesktop]:
    _need("Xvfb")
    _need("dbus-daemon")
    runtime = tempfile.mkdtemp(prefix="pwtray-xdg-")
    os.chmod(runtime, 0o700)
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=[write_end],
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        display = ":" + pipe.readline().strip()
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    bus.stdout.close()
    saved = {
        k: os.environ.get(k)
        for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "QT_QPA_PLATFORM", "XDG_RUNTIME_DIR")
    }
    os.environ.update(DISPLAY=display, DBUS_SESSION_BUS_ADDRESS=address, QT_QPA_PLATFORM="xcb",
                      XDG_RUNTIME_DIR=runtime)  # fmt: skip
    fake = FakeDesktop(Path(runtime) / "desktop-record.jsonl").start()
    try:
        yield fake
    finally:
        fake.stop()
        bus.terminate()
        xvfb.terminate()
        bus.wait(5)
        xvfb.wait(5)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture(scope="session")
def qapp(desktop: FakeDesktop) -> Iterator[QApplication]:
    """pytest-qt's application, created only once the private desktop is up."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(["pwtray-tests"])
    app.setQuitOnLastWindowClosed(False)
    yield app
    # Tear Qt down while Python is still whole: left to interpreter finalization, PySide6
    # deallocates objects in an order that aborts the process (exit 134).
    app.processEvents()
    gc.collect()
    app.shutdown()


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    yield
    gc.collect()  # dangling Qt timers segfault later tests otherwise
