"""A private desktop for UI tests: Xvfb, a D-Bus session bus and the fake tray host and
notification server. Qt runs on the xcb platform against it; every GUI test ends with gc."""

from __future__ import annotations

import asyncio
import gc
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from tests.ui.fakedesktop import FakeDesktop, private_desktop


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: run 'sudo scripts/install-system-packages'")


@pytest.fixture(scope="session")
def desktop() -> Iterator[FakeDesktop]:
    _need("Xvfb")
    _need("dbus-daemon")
    runtime = Path(tempfile.mkdtemp(prefix="pwtray-xdg-"))
    try:
        with private_desktop(runtime) as fake:
            yield fake
    finally:
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
def _private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings, history, logs and window state of any pwtray run stay in the test's folder."""
    for variable, folder in (("XDG_STATE_HOME", "state"), ("XDG_CONFIG_HOME", "config"),
                             ("XDG_DATA_HOME", "data")):  # fmt: skip
        monkeypatch.setenv(variable, str(tmp_path / folder))


@pytest.fixture(autouse=True)
def _desktop_specs_kept(desktop: FakeDesktop) -> Iterator[None]:
    """A call the fake desktop refused (a wrong D-Bus type, a hint the spec types otherwise) fails
    the test during which it was made, even when the test looks elsewhere: a real desktop would
    have taken it and shown something else (an int32 urgency made the outage a normal notice)."""
    desktop.take_violations()
    yield
    broken = desktop.take_violations()
    if broken:
        pytest.fail(f"the fake desktop refused calls the specifications forbid: {broken}")


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    yield
    gc.collect()  # dangling Qt timers segfault later tests otherwise


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop on the test's Qt application, as the app runs: widgets and coroutines on
    one thread. Drive it with ``qloop.run_until_complete(...)``; never qtbot.waitUntil inside."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()
        asyncio.set_event_loop(None)


async def until(condition: Callable[[], object], timeout_s: float = 10.0, what: str = "") -> None:
    """Wait inside a coroutine, letting the loop (and Qt) run, until ``condition()`` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.02)
