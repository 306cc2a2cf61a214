"""pwtray's footprint on the real desktop, beside PowerwallMonitor in the same session.

    PWTRAY_SHARED=../shared .venv/bin/python -m benchmarks.footprint [--minutes 1] [--starts 3]
        [--rounds 1] [--bundle dist/pwtray/pwtray] [--peer DIR] [--password-env] [--breakdown]

The documented run (issue 15's goals; about 40 minutes):

    nice -n -5 .venv/bin/python -m benchmarks.footprint --minutes 10 --starts 5 --rounds 3 \\
        --bundle dist/pwtray/pwtray --peer /tmp/footprint/peer

The real desktop (Xvfb, xfce4-panel's Status Tray, dunst: ``real-desktop.sh``), a ``pwtray-sim``
gateway in its own process on loopback, and each app started as a user would, its window never
opened:

* pwtray from this venv (``python -m pwtray.cli``) with the desktop's environment as it is (no
  ``QT_QPA_PLATFORMTHEME``: the platform theme is pwtray's own choice), its gateway given with
  ``--host``/``--fingerprint`` and its password in GNOME Keyring, which the session runs with its
  login keyring unlocked, as PAM starts it at login (``--password-env``: in ``PWTRAY_PASSWORD``
  instead, and no keyring);
* the PyInstaller bundle, with ``--bundle PATH`` (``packaging/pwtray.spec``), the same way;
* the peer, with ``--peer DIR``: a checkout of github.com/pallaire/PowerwallMonitor (another
  PySide6 Powerwall tray app) with a venv in ``DIR/.venv`` (``pip install requests
  PySide6-Essentials``), given the simulator's address and password in its own settings file
  (where it keeps them, password included). It polls every 60 s, fixed; pwtray every 5 s.

Figures:

* start -> tray item: from the process's start to its StatusNotifierItem being in the watcher's
  ``RegisteredStatusNotifierItems`` on the session bus and answering for its icon (what the
  panel asks before it draws it). Starts interleave (pwtray, bundle, peer, pwtray, …), each app
  alone on the desktop, after one unmeasured warm-up start each (page cache, bytecode, history);
* then the apps run together: RSS (``VmRSS``) and PSS (``smaps_rollup``) ``--minutes`` after
  each one's start, and idle CPU (user + system, all threads) from 30 s after its start to then,
  also per poll interval (pwtray's 5 s, the peer's 60 s).

The apps run without ``PYTHONDONTWRITEBYTECODE`` (a user's session caches bytecode). With
``--rounds N`` each round is a fresh desktop and simulator and the table gives medians. The
machine's load average is printed with the table: on a shared machine, read the ratios.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._sim import PASSWORD, SimProcess, simulator
from tests.desktop.realdesktop import RealDesktop, SessionBus, real_desktop

TICKS = os.sysconf("SC_CLK_TCK")
SETTLE_S = 30.0  # after start: first polls, history opened, caches filled
PWTRAY_POLL_S = 5.0  # pwtray's default fast interval (settings Polling.fast_s)
PEER_POLL_S = 60.0  # PowerwallMonitor's fixed interval (main.py: self.timer.start(60000))


@dataclass(frozen=True)
class AppSpec:
    name: str
    command: tuple[str, ...]
    env: Mapping[str, str]
    cwd: Path | None = None
    poll_s: float = PWTRAY_POLL_S


@dataclass
class Figures:
    poll_s: float
    starts: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    pss_mb: list[float] = field(default_factory=list)
    cpu_percent: list[float] = field(default_factory=list)


# ---------------------------------------------------------------------- /proc
def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def status_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"{key} not in /proc/{pid}/status")


def pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no Pss in /proc/{pid}/smaps_rollup")


def breakdown(pid: int, top: int = 12) -> list[tuple[float, str]]:
    """Resident MB by mapped file (anonymous memory together), largest first."""
    totals: dict[str, float] = {}
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and not parts[0].endswith(":"):
            name = parts[5] if len(parts) > 5 and parts[5].startswith("/") else "[anon]"
        elif parts and parts[0] == "Rss:":
            totals[name] = totals.get(name, 0.0) + int(parts[1]) / 1024
    return sorted(((mb, path) for path, mb in totals.items()), reverse=True)[:top]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---------------------------------------------------------------------- the apps
def pwtray_specs(
    base: Path, sim: SimProcess, bundle: Path | None, *, keyring: bool
) -> list[AppSpec]:
    args = ("--host", sim.address, "--fingerprint", sim.fingerprint)
    specs: list[tuple[str, tuple[str, ...]]] = [
        ("pwtray (venv)", (sys.executable, "-m", "pwtray.cli", *args))
    ]
    if bundle is not None:
        specs.append(("pwtray (bundle)", (str(bundle.resolve()), *args)))
    result = []
    for number, (name, command) in enumerate(specs):
        home = base / f"app-{number}"  # each its own history, log and single-instance key
        env = {
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "TMPDIR": str(home / "tmp"),
        }
        if not keyring:
            env["PWTRAY_PASSWORD"] = PASSWORD
        (home / "tmp").mkdir(parents=True, exist_ok=True)
        result.append(AppSpec(name, (*command, "--instance-key", f"bench-{number}"), env))
    return result


def peer_spec(folder: Path, base: Path, sim: SimProcess) -> AppSpec:
    """PowerwallMonitor, configured through its QSettings file (INI on Linux) for the
    simulator: its address (``host:port``, which it puts in its URLs as given) and password."""
    python = folder / ".venv" / "bin" / "python"
    if not (folder / "main.py").is_file() or not python.is_file():
        raise SystemExit(
            f"--peer {folder}: expected PowerwallMonitor's main.py and a venv in .venv "
            "(python3 -m venv .venv && .venv/bin/pip install requests PySide6-Essentials)"
        )
    config = base / "peer-config"
    settings = config / "pallaire" / "powerwallmonitor.conf"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(
        f"[General]\naddress={sim.address}\nemail=bench@example.com\npassword={PASSWORD}\n"
    )
    # main.py finds its icons in ./res: it runs in its own folder
    env = {"XDG_CONFIG_HOME": str(config)}
    return AppSpec("PowerwallMonitor", (str(python), "main.py"), env, folder, PEER_POLL_S)


class Running:
    def __init__(self, spec: AppSpec, process: subprocess.Popen[bytes], began: float) -> None:
        self.spec = spec
        self.process = process
        self.began = began

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def launch(desktop: RealDesktop, spec: AppSpec, log: Path) -> Running:
    env = {**desktop.env, **spec.env}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's session caches bytecode
    with log.open("ab") as out:
        began = time.perf_counter()
        process = subprocess.Popen(
            list(spec.command),
            env=env,
            cwd=spec.cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return Running(spec, process, began)


def wait_for(condition: Callable[[], object], within_s: float, what: str) -> None:
    deadline = time.perf_counter() + within_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no {what} within {within_s:.0f} s")
        time.sleep(0.005)


def start_and_register(
    desktop: RealDesktop, bus: SessionBus, spec: AppSpec, log: Path
) -> tuple[Running, float]:
    """Start the app; the seconds from its start to its tray item on the session bus."""
    app = launch(desktop, spec, log)
    item: tuple[str, str] | None = None

    def registered() -> object:
        nonlocal item
        item = bus.tray_item_of(app.pid)
        return app.process.poll() is not None or item

    try:
        wait_for(registered, 60, f"tray item from {spec.name}")
        if item is not None:  # the panel draws it once the app answers; so must it answer us
            bus.item_property(item, "IconPixmap")
    except (TimeoutError, LookupError):
        app.stop()
        raise
    if app.process.poll() is not None:
        raise RuntimeError(f"{spec.name} exited ({app.process.returncode}); its log: {log}")
    return app, time.perf_counter() - app.began


# ---------------------------------------------------------------------- one round
def one_round(
    args: argparse.Namespace, base: Path, figures: dict[str, Figures], report: Callable[[str], None]
) -> None:
    with ExitStack() as stack:
        desktop = stack.enter_context(real_desktop(base / "desktop"))
        sim = stack.enter_context(simulator())
        if not args.password_env:  # as an installed pwtray keeps it
            stack.enter_context(desktop.unlocked_keyring())
            desktop.store_password("pwtray", sim.address, PASSWORD)
        specs = pwtray_specs(base, sim, args.bundle, keyring=not args.password_env)
        if args.peer is not None:
            specs.append(peer_spec(args.peer, base, sim))
        bus = desktop.bus()
        stack.callback(bus.close)
        logs = {spec.name: base / f"{spec.name.replace(' ', '_')}.log" for spec in specs}
        for spec in specs:
            figures.setdefault(spec.name, Figures(spec.poll_s))
        for attempt in range(args.starts + 1):  # the first is a warm-up
            for spec in specs:
                app, seconds = start_and_register(desktop, bus, spec, logs[spec.name])
                app.stop()
                if attempt:
                    figures[spec.name].starts.append(seconds)
                time.sleep(1)
        running = []
        for spec in specs:  # then together, as in one session
            app, _ = start_and_register(desktop, bus, spec, logs[spec.name])
            stack.callback(app.stop)
            running.append(app)
        settle = min(SETTLE_S, args.minutes * 60 / 4)
        time.sleep(max(0.0, running[-1].began + settle - time.perf_counter()))
        for app in running:  # each one is monitoring: its tooltip gives the charge
            item = bus.tray_item_of(app.pid)
            title = "" if item is None else str(bus.item_property(item, "ToolTip")[2])
            if "%" not in title:
                log = logs[app.spec.name]
                raise RuntimeError(f"{app.spec.name} shows no charge ({title!r}); its log: {log}")
        cpu0 = {app.spec.name: (cpu_seconds(app.pid), time.perf_counter()) for app in running}
        for app in running:
            time.sleep(max(0.0, app.began + args.minutes * 60 - time.perf_counter()))
            if app.process.poll() is not None:
                raise RuntimeError(f"{app.spec.name} exited; its log: {logs[app.spec.name]}")
            used, since = cpu0[app.spec.name]
            seconds = time.perf_counter() - since
            entry = figures[app.spec.name]
            entry.cpu_percent.append((cpu_seconds(app.pid) - used) / seconds * 100)
            entry.rss_mb.append(status_mb(app.pid))
            entry.pss_mb.append(pss_mb(app.pid))
            if args.breakdown:
                report(f"\n{app.spec.name}: resident MB by mapping after {args.minutes:g} min")
                for mb, path in breakdown(app.pid):
                    report(f"  {mb:7.1f}  {path}")


# ---------------------------------------------------------------------- the table
def per_poll(figures: Figures) -> float:
    """CPU milliseconds per poll interval: the app's whole idle work, whatever its interval."""
    return statistics.median(figures.cpu_percent) / 100 * figures.poll_s * 1000


def table(figures: dict[str, Figures], args: argparse.Namespace) -> list[str]:
    names = list(figures)
    peer = "PowerwallMonitor" if "PowerwallMonitor" in figures else None
    ours = [name for name in names if name != peer]
    rows: list[tuple[str, Callable[[Figures], float], str, str]] = [
        ("start -> tray item", lambda f: statistics.median(f.starts), "s", "< 0.5 s"),
        (
            f"RSS after {args.minutes:g} min",
            lambda f: statistics.median(f.rss_mb),
            "MB",
            "< 100 / 80 MB",
        ),
        (f"PSS after {args.minutes:g} min", lambda f: statistics.median(f.pss_mb), "MB", ""),
        ("idle CPU (% of a core)", lambda f: statistics.median(f.cpu_percent), "%", "< 0.15 %"),
        ("idle CPU per poll interval", per_poll, "ms", ""),
    ]
    heads = [*names, *(f"{name.split()[-1].strip('()')}/peer" for name in ours if peer)]
    lines = [f"{'figure':<26}" + "".join(f"{head:>18}" for head in heads) + f"{'goal':>16}"]
    for label, pick, unit, goal in rows:
        values = {name: pick(figures[name]) for name in names}
        digits = 2 if unit in ("s", "%") else 1
        cells = [f"{values[name]:.{digits}f} {unit}" for name in names]
        if peer:
            cells += [
                f"{values[name] / values[peer]:.2f}" if values[peer] else "-" for name in ours
            ]
        lines.append(f"{label:<26}" + "".join(f"{cell:>18}" for cell in cells) + f"{goal:>16}")
    spread = ", ".join(
        f"{name} {min(f.starts):.2f}-{max(f.starts):.2f} s" for name, f in figures.items()
    )
    lines.append(
        f"start spread (min-max over {len(next(iter(figures.values())).starts)}): {spread}"
    )
    if peer:
        lines.append(
            f"polling: pwtray every {PWTRAY_POLL_S:g} s (its default), PowerwallMonitor every "
            f"{PEER_POLL_S:g} s (fixed)"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--minutes",
        type=float,
        default=1.0,
        help="RSS is read this long after each app's start (the documented run: 10)",
    )
    parser.add_argument("--starts", type=int, default=3, help="measured starts per app and round")
    parser.add_argument("--rounds", type=int, default=1, help="fresh desktops; medians reported")
    parser.add_argument("--bundle", type=Path, help="the PyInstaller bundle's pwtray executable")
    parser.add_argument("--peer", type=Path, help="a PowerwallMonitor checkout with .venv")
    parser.add_argument(
        "--password-env",
        action="store_true",
        help="pwtray's password in PWTRAY_PASSWORD (default: in GNOME Keyring)",
    )
    parser.add_argument("--breakdown", action="store_true", help="print RSS by mapping")
    args = parser.parse_args(argv)
    if args.bundle is not None and not args.bundle.is_file():
        raise SystemExit(f"--bundle {args.bundle}: no such file (build packaging/pwtray.spec)")
    figures: dict[str, Figures] = {}
    load_before = loadavg()
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="pwtray-footprint-") as folder:
        for number in range(args.rounds):
            one_round(args, Path(folder) / f"round-{number}", figures, print)
    print(
        f"\nReal desktop (Xvfb + xfce4-panel Status Tray + dunst), gateway simulator in its "
        f"own process; {args.rounds} round(s), {args.starts} start(s) each; "
        f"{(time.time() - started) / 60:.0f} min"
    )
    print(
        f"load average before: {load_before}, after: {loadavg()} ({os.cpu_count()} CPUs); "
        f"nice {os.nice(0)}; pwtray's password in "
        f"{'PWTRAY_PASSWORD' if args.password_env else 'GNOME Keyring'}"
    )
    print("\n".join(table(figures, args)))


if __name__ == "__main__":
    main()
