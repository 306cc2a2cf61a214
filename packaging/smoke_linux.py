"""Smoke test of the built Linux bundle, run by .ci/run after packaging/build_linux.py.

    .venv/bin/python packaging/smoke_linux.py [--starts 5]

Fails (exit 1) if the bundle misses a module or a Qt plugin it needs:
1. ``dist/pwtray/pwtray --selftest`` offscreen;
2. the same on Xvfb with a private D-Bus session and the tests' fake tray host and notification
   server: the tray must be available;
3. ``--demo`` there: the tray item appears, a grid outage is notified, SIGTERM exits 0;
4. the archive's ``install.sh`` into a scratch HOME (no root), the installed command's self-test,
   then ``uninstall.sh`` removes every file it put there (and the start-at-login entry);
5. figures: bundle start -> self-test done vs the same from the venv (median of ``--starts``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "dist" / "pwtray" / "pwtray"
VENV = [sys.executable, "-m", "pwtray.cli"]


def fail(message: str) -> None:
    print(f"SMOKE FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def selftest(command: list[str], env: dict[str, str], *, need_tray: bool) -> float:
    started = time.perf_counter()
    result = subprocess.run([*command, "--selftest"], capture_output=True, text=True,
                            timeout=120, env=env)  # fmt: skip
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        fail(f"{command[0]} --selftest exited {result.returncode}:\n{result.stdout}{result.stderr}")
    if need_tray and "[  ok] system tray: available" not in result.stdout:
        fail(f"no tray on the private desktop:\n{result.stdout}")
    return elapsed


def demo_on_desktop(env: dict[str, str], desktop: object, folder: Path) -> None:
    items = len(desktop.items)  # type: ignore[attr-defined]
    seen = len(desktop.notifications)  # type: ignore[attr-defined]
    log = folder / "demo.log"
    with log.open("w") as stderr:
        app = subprocess.Popen(
            [str(BUNDLE), "--demo", "--verbose", "--speed", "10", "--poll-seconds", "0.5",
             "--scenario", "outage:at=5,duration=30", "--instance-key", "pwtray-smoke"],
            stdout=subprocess.DEVNULL, stderr=stderr, env=env,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            notes = desktop.notifications[seen:]  # type: ignore[attr-defined]
            if len(desktop.items) > items and any(n.summary == "Grid outage" for n in notes):  # type: ignore[attr-defined]
                break
            if app.poll() is not None:
                fail(f"the demo exited early ({app.returncode}):\n{log.read_text()}")
            time.sleep(0.1)
        else:
            fail(
                f"no tray item or no outage notification from the bundle's demo:\n{log.read_text()}"
            )
        app.send_signal(signal.SIGTERM)
        if app.wait(timeout=20) != 0:
            fail(f"the demo exited {app.returncode} on SIGTERM:\n{log.read_text()}")
        if "stopped cleanly" not in log.read_text():
            fail(f"no clean stop:\n{log.read_text()}")
    finally:
        if app.poll() is None:
            app.kill()


def install_and_uninstall(folder: Path) -> None:
    archive = next((ROOT / "dist").glob(f"pwtray-{version('pwtray')}-linux-*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "unpacked", filter="tar")
    home = folder / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    for key in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        env.pop(key, None)
    unpacked = next((folder / "unpacked").iterdir())
    subprocess.run(["sh", str(unpacked / "install.sh")], check=True, env=env,
                   capture_output=True)  # fmt: skip
    installed = home / ".local" / "opt" / "pwtray" / "pwtray"
    expected = [installed, home / ".local/bin/pwtray",
                home / ".local/share/applications/io.github.pwtray.desktop",
                home / ".local/share/icons/hicolor/48x48/apps/pwtray.png",
                home / ".local/share/metainfo/io.github.pwtray.metainfo.xml"]  # fmt: skip
    missing = [str(p) for p in expected if not p.exists()]
    if missing:
        fail(f"install.sh did not install {missing}")
    if f"Exec={installed}" not in expected[2].read_text():
        fail("the installed menu entry does not start the installed program")
    selftest([str(home / ".local/bin/pwtray")], env, need_tray=False)
    subprocess.run([str(installed), "--autostart", "on"], check=True, env=env, capture_output=True)
    autostart = home / ".config/autostart/pwtray.desktop"
    if str(installed) not in autostart.read_text():
        fail("start at login does not start the installed program")
    subprocess.run(["sh", str(home / ".local/opt/pwtray/uninstall.sh")], check=True, env=env,
                   capture_output=True)  # fmt: skip
    left = [str(p) for p in [*expected, autostart] if p.exists() or p.is_symlink()]
    if left:
        fail(f"uninstall.sh left {left}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    if not BUNDLE.exists():
        fail(f"{BUNDLE} is missing: run packaging/build_linux.py first")
    offscreen = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    selftest([str(BUNDLE)], offscreen, need_tray=False)
    print("ok: bundle self-test offscreen")

    sys.path.insert(0, str(ROOT))
    from tests.ui.fakedesktop import private_desktop

    with tempfile.TemporaryDirectory(prefix="pwtray-smoke-") as scratch:
        folder = Path(scratch)
        with private_desktop(folder) as desktop:
            env = {**os.environ}
            for variable in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
                env[variable] = str(folder / variable.lower())
            selftest([str(BUNDLE)], env, need_tray=True)
            print("ok: bundle self-test on Xvfb with a tray and D-Bus")
            demo_on_desktop(env, desktop, folder)
            print("ok: bundle demo: tray item, outage notification, clean stop on SIGTERM")
        install_and_uninstall(folder)
        print("ok: install.sh / uninstall.sh for one user, without root")

    bundle_s = [selftest([str(BUNDLE)], offscreen, need_tray=False) for _ in range(args.starts)]
    venv_s = [selftest(VENV, offscreen, need_tray=False) for _ in range(args.starts)]
    b, v = statistics.median(bundle_s), statistics.median(venv_s)
    print(f"start -> self-test done (offscreen, median of {args.starts}): bundle {b:.2f} s, "
          f"venv {v:.2f} s, ratio {b / v:.2f} (goal <= 1.3)")  # fmt: skip
    shutil.rmtree(ROOT / "build" / "smoke", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
