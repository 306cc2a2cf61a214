"""The whole app, as a user starts it: `pwtray --demo` on the (fake) desktop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pwtray.settings import Connection, Polling, Settings, save
from tests.conftest import PASSWORD, SimFactory
from tests.ui.fakedesktop import FakeDesktop
from tests.waiting import wait_until


class App:
    def __init__(
        self,
        args: list[str],
        log: Path,
        key: str,
        *,
        demo: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        self.log = log
        self.key = key
        with log.open("w") as stderr:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-X",
                    "dev",
                    "-m",
                    "pwtray.cli",
                    *(["--demo"] if demo else []),
                    "--verbose",
                    "--instance-key",
                    key,
                    *args,
                ],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
            )

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)

    def text(self) -> str:
        return self.log.read_text()


@pytest.fixture
def start(desktop: FakeDesktop, tmp_path: Path) -> Iterator[Callable[..., App]]:
    apps: list[App] = []
    key = f"pwtray-test-{uuid.uuid4().hex[:8]}"

    def launch(*args: str, demo: bool = True, env: dict[str, str] | None = None) -> App:
        app = App(list(args), tmp_path / f"app{len(apps)}.log", key, demo=demo, env=env)
        apps.append(app)
        return app

    yield launch
    for app in apps:
        if app.process.poll() is None:
            app.process.kill()
            app.process.wait()


def test_demo_outage_story_and_clean_shutdown(
    start: Callable[..., App], desktop: FakeDesktop
) -> None:
    seen = len(desktop.notifications)
    app = start("--scenario", "outage:at=30,duration=40", "--speed", "10", "--poll-seconds", "0.5")
    wait_until(
        lambda: any(n.summary == "Grid restored" for n in desktop.notifications[seen:]),
        40,
        "the restore",
    )
    time.sleep(1.5)  # nothing more should follow
    notes = desktop.notifications[seen:]
    summaries = [n.summary for n in notes]
    assert summaries.count("Grid outage") == 1
    assert summaries.count("Grid restored") == 1
    outage = next(n for n in notes if n.summary == "Grid outage")
    restored = next(n for n in notes if n.summary == "Grid restored")
    assert outage.urgency == 2  # critical
    assert restored.id == outage.id  # in its place, not stacked under it
    assert "The house is running on the Powerwall" in outage.body
    assert "The grid is back after" in restored.body
    assert "The Powerwall supplied" in restored.body
    assert restored.at - outage.at < 15
    assert app.stop() == 0
    assert not {n.id for n in notes} & desktop.open_ids()  # pwtray took its notices away
    log = app.text()
    assert "balloon:" not in log  # Qt's showMessage was never used
    assert "stopped cleanly" in log
    for bad in ("Traceback", "Warning", "Error", "never awaited", "Event loop stopped"):
        assert bad not in log, bad
    assert "demo1" not in log  # the demo password never reaches the log


def test_the_tray_item_follows_the_simulator(
    start: Callable[..., App], desktop: FakeDesktop
) -> None:
    items = len(desktop.items)
    app = start("--scenario", "normal", "--poll-seconds", "0.5")
    wait_until(lambda: len(desktop.items) > items, 20, "the tray item")
    live = re.compile(r"Powerwall \d+ %")  # the demo's site goes on where its past week ended
    wait_until(lambda: live.match(desktop.tooltip()[0]), 20, "a live tooltip")
    assert "Grid connected" in desktop.tooltip()[0]
    sizes = {w for w, _, _ in desktop.icon_pixmaps()}
    # The panel sizes, and as the largest (what Xfce scales to its 22 px) the 22 px icon at 2x.
    assert sizes == {16, 22, 24, 32, 44}
    assert app.stop() == 0


def test_a_second_launch_asks_the_first_to_show_its_window(
    start: Callable[..., App], desktop: FakeDesktop
) -> None:
    first = start("--scenario", "normal")
    wait_until(lambda: "running; tray available: True" in first.text(), 20, "the first instance")
    second = start("--scenario", "normal")
    assert second.process.wait(timeout=20) == 0
    assert "already running" in second.text()
    wait_until(lambda: "asked this one to show its window" in first.text(), 10, "the hand-over")
    assert first.stop() == 0


def test_muted_kinds_are_not_notified(start: Callable[..., App], desktop: FakeDesktop) -> None:
    seen = len(desktop.notifications)
    app = start(
        "--scenario",
        "outage:at=10,duration=20",
        "--speed",
        "10",
        "--poll-seconds",
        "0.5",
        "--mute",
        "grid_outage",
        "--mute",
        "grid_restored",
        "--mute",
        "new_alert",
    )
    wait_until(lambda: "event grid_restored" in app.text(), 40, "the restore")
    muted = {"Grid outage", "Grid restored", "Gateway alert"}
    assert [n.summary for n in desktop.notifications[seen:] if n.summary in muted] == []
    assert app.stop() == 0


def test_selftest_on_a_desktop_with_a_tray(desktop: FakeDesktop) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pwtray.cli", "--selftest"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[  ok] system tray: available" in result.stdout
    assert "[  ok] notification service: fake-desktop 1 (pwtray tests, spec 1.2), with actions" in (
        result.stdout
    )
    assert "self-test passed" in result.stdout


def test_the_settings_file_and_the_password_set_up_a_real_run(
    start: Callable[..., App], desktop: FakeDesktop, sim_factory: SimFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    sim = sim_factory()
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "pwtray" / "settings.toml"
    save(Settings(connection=Connection(host=sim.address, fingerprint=sim.fingerprint),
                  polling=Polling(fast_s=1.0)), config)  # fmt: skip
    monkeypatch.setenv("PWTRAY_PASSWORD", PASSWORD)
    items = len(desktop.items)
    app = start(demo=False)
    wait_until(lambda: len(desktop.items) > items, 20, "the tray item")
    wait_until(lambda: desktop.tooltip()[0].startswith("Powerwall 60 %"), 20, "a live tooltip")
    assert app.stop() == 0
    assert PASSWORD not in app.text()
    assert PASSWORD not in config.read_text()
    history = Path(os.environ["XDG_DATA_HOME"]) / "pwtray" / "history.sqlite"
    assert history.exists()  # readings were kept in the user's data folder


def test_an_unreadable_settings_file_is_kept_and_the_user_told(
    start: Callable[..., App], desktop: FakeDesktop
) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "pwtray" / "settings.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[connection\nhost = oops\n")
    seen = len(desktop.notifications)
    app = start(demo=False)
    wait_until(lambda: any(n.summary == "pwtray settings were reset"
                     for n in desktop.notifications[seen:]), 20, "the notice")  # fmt: skip
    note = next(
        n for n in desktop.notifications[seen:] if n.summary == "pwtray settings were reset"
    )
    assert "not valid TOML" in note.body
    (kept,) = config.parent.glob("settings.toml.unreadable-*")
    assert kept.read_text() == "[connection\nhost = oops\n"
    wait_until(lambda: "opening the setup wizard" in app.text(), 10, "the wizard")
    assert app.stop() == 0


def test_without_a_tray_the_window_opens_and_says_why(
    start: Callable[..., App], desktop: FakeDesktop
) -> None:
    # A session bus with no StatusNotifierWatcher, on a display with no XEmbed tray.
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    bus.stdout.close()
    try:
        app = start("--scenario", "normal", env={"DBUS_SESSION_BUS_ADDRESS": address})
        wait_until(lambda: "running; tray available: False" in app.text(), 30, "the start")
        assert "showing the window instead" in app.text()
        window = wait_until(lambda: _window_named("pwtray"), 20, "the window")
        # The user closes it (Ctrl+W, typed into the focused window)
        subprocess.run(["xdotool", "windowfocus", "--sync", window], check=True)
        subprocess.run(["xdotool", "key", "ctrl+w"], check=True)
        assert app.process.wait(timeout=20) == 0  # … and with no tray, that quits pwtray
        assert "stopped cleanly" in app.text()
    finally:
        bus.terminate()
        bus.wait(5)


def _window_named(title: str) -> str:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.split()[0] if found.stdout.split() else ""
