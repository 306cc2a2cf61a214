"""The real-desktop tier: the real app on Xvfb + xfce4-panel + dunst (``-m desktop``).

A missing program fails the test with the command that installs it; the tier is deselected only
explicitly (``-m 'not desktop'``), never skipped.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.desktop.realdesktop import DesktopUnavailableError, RealDesktop, real_desktop


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/desktop/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.desktop)


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealDesktop]:
    """A real desktop (dark Xfce panel, 26 px, Status Tray), shared by a module's tests."""
    try:
        with real_desktop(tmp_path_factory.mktemp("real-desktop")) as running:
            yield running
    except DesktopUnavailableError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module", params=["dark", "light"])
def panel(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RealDesktop]:
    """A real desktop with Xfce's dark panel (Debian's default) or its light one."""
    knobs = {"PANEL_DARK": "true" if request.param == "dark" else "false"}
    try:
        with real_desktop(tmp_path_factory.mktemp(f"{request.param}-panel"), knobs=knobs) as up:
            yield up
    except DesktopUnavailableError as exc:
        pytest.fail(str(exc))


class RunningApp:
    """pwtray started on the real desktop; stopped with SIGTERM like a session logout."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def start_app(desktop: RealDesktop, tmp_path: Path) -> Iterator[Callable[..., RunningApp]]:
    """Start ``pwtray ARGS`` inside the desktop, with a private TMPDIR (single instance)."""
    with _launcher(tmp_path) as launch:
        yield functools.partial(launch, desktop)


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., RunningApp]]:
    """Start ``pwtray ARGS`` inside any real desktop: ``launch(desktop, *args, env={...})``."""
    with _launcher(tmp_path) as start:
        yield start


@contextlib.contextmanager
def _launcher(tmp_path: Path) -> Iterator[Callable[..., RunningApp]]:
    started: list[RunningApp] = []

    def start(desktop: RealDesktop, *args: str, env: Mapping[str, str] = {}) -> RunningApp:
        log = tmp_path / f"pwtray-{len(started)}.log"
        process = desktop.popen(
            [sys.executable, "-X", "dev", "-m", "pwtray.cli", "--verbose", *args],
            env={"TMPDIR": str(tmp_path), **env},
            log=log,
        )
        app = RunningApp(process, log)
        started.append(app)
        return app

    try:
        yield start
    finally:
        for app in started:
            if app.process.poll() is None:
                app.process.kill()
                app.process.wait()
