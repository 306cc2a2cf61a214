"""Tray app figures on Xvfb with a private D-Bus and the fake desktop of the tests.

    .venv/bin/python -m benchmarks.tray [--idle-seconds 60] [--rss-minutes 10] [--outages 3]

* start: process start -> tray item registered with the desktop's tray host;
* idle: CPU of the pwtray process over ``--idle-seconds`` with 5 s polling, window closed;
* RSS of the pwtray process after ``--rss-minutes``;
* outage in the simulator -> critical notification at the desktop (goal: fast interval + 0.5 s).

The gateway is a separate ``pwtray-sim`` process, so its CPU is not counted.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks._sim import PASSWORD, simulator
from tests.ui.fakedesktop import FakeDesktop, private_desktop

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_for(condition: Callable[[], object], within_s: float) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > within_s:
            raise TimeoutError
        time.sleep(0.01)
    return time.perf_counter() - started


def said_after(desktop: FakeDesktop, seen: int, summary: str) -> bool:
    return any(n.summary == summary for n in desktop.notifications[seen:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--rss-minutes", type=float, default=10)
    parser.add_argument("--outages", type=int, default=3)
    parser.add_argument("--starts", type=int, default=5, help="start-up measurements")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, private_desktop(Path(folder)) as desktop:
        run(desktop, Path(folder), args)


def run(desktop: FakeDesktop, folder: Path, args: argparse.Namespace) -> None:
    with simulator() as sim:
        env = {
            **os.environ,
            "PWTRAY_PASSWORD": PASSWORD,
            "XDG_DATA_HOME": str(folder / "data"),
            "XDG_STATE_HOME": str(folder / "state"),
            "XDG_CACHE_HOME": str(folder / "cache"),
            "XDG_CONFIG_HOME": str(folder / "config"),
        }
        command = [sys.executable, "-m", "pwtray.cli", "--host", sim.address, "--fingerprint",
                   sim.fingerprint, "--instance-key", "pwtray-bench"]  # fmt: skip
        starts = []
        for _ in range(args.starts - 1):  # the last start is the one measured on below
            before = len(desktop.items)
            began = time.perf_counter()
            probe = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)  # fmt: skip
            wait_for(lambda before=before: len(desktop.items) > before, 30)  # type: ignore[misc]
            starts.append(time.perf_counter() - began)
            probe.terminate()
            probe.wait(20)
        started = time.perf_counter()
        log_path = folder / "state" / "pwtray" / "log" / "pwtray.log"  # the app's own log
        before = len(desktop.items)
        app = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for(lambda: len(desktop.items) > before, 30)
            starts.append(time.perf_counter() - started)
            time.sleep(10)  # settle: first polls, history opened
            cpu0, t0 = cpu_seconds(app.pid), time.perf_counter()
            time.sleep(args.idle_seconds)
            idle = (cpu_seconds(app.pid) - cpu0) / (time.perf_counter() - t0) * 100
            control = httpx.Client(base_url=f"https://{sim.address}", verify=False)  # noqa: S501 - loopback simulator
            delays = []
            rng = random.Random(5)
            for _ in range(args.outages):
                time.sleep(rng.uniform(0, 5))
                seen = len(desktop.notifications)
                down = time.time()
                control.post("/_sim/grid/down")
                wait_for(functools.partial(said_after, desktop, seen, "Grid outage"), 30)
                note = next(n for n in desktop.notifications[seen:] if n.summary == "Grid outage")
                delays.append(note.at - down)
                control.post("/_sim/grid/up")
                control.post("/_sim/advance", json={"seconds": 60})
                wait_for(functools.partial(said_after, desktop, seen, "Grid restored"), 30)
            control.close()
            remaining = args.rss_minutes * 60 - (time.perf_counter() - started)
            if remaining > 0:
                time.sleep(remaining)
            rss = rss_mb(app.pid)
            minutes = (time.perf_counter() - started) / 60
        except TimeoutError:
            lines = [line for line in log_path.read_text().splitlines() if "pwtray" in line]
            print("timed out; the app's log ends with:\n" + "\n".join(lines[-25:]))
            print("the desktop got:", [(n.summary, round(n.at, 1)) for n in desktop.notifications])
            raise
        finally:
            app.terminate()
            app.wait(20)
    print("\nTray app on Xvfb + private D-Bus, gateway simulator in its own process, 5 s polling")
    print(f"{'figure':<44}{'measured':>12}{'goal':>12}")
    label = f"start -> tray item (median of {len(starts)}; min-max)"
    spread = f"{statistics.median(starts):.2f} ({min(starts):.2f}-{max(starts):.2f}) s"
    print(f"{label:<44}{spread:>22}{'< 1 s':>8}")
    idle_label = f"idle CPU over {args.idle_seconds:.0f} s (window closed)"
    print(f"{idle_label:<44}{idle:>10.2f} %{'< 0.5 %':>12}")
    print(f"{f'RSS after {minutes:.1f} min':<44}{rss:>9.1f} MB{'< 100 MB':>12}")
    print(f"{'outage -> notification (median / max)':<44}"
          f"{statistics.median(delays):>5.2f}/{max(delays):.2f} s{'< 5.5 s':>12}")  # fmt: skip


if __name__ == "__main__":
    main()
