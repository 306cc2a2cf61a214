"""Grid outage -> critical notification accepted by dunst, on the real desktop stack.

    PWTRAY_SHARED=../shared .venv/bin/python -m benchmarks.notify_latency [--outages 5]
                                                                          [--poll-seconds S]

The real desktop (xfce4-panel + dunst, ``real-desktop.sh``), a ``pwtray-sim`` gateway in its own
process and pwtray started as a user would (``--host``/``--fingerprint``, default polling unless
``--poll-seconds``). For each outage the grid is switched off through the simulator's control
endpoint at a random moment (so the poll phase is sampled fairly), and a ``dbus-monitor`` on the
desktop's session bus stamps pwtray's ``Notify`` call and dunst's reply to it. All stamps are the
same host's wall clock (``time.time()`` here, dbus-monitor's ``time=`` there):

* change -> Notify: the grid change (taken just before the control request) to pwtray's call —
  the wait for the next poll, the poll itself, events and the policy;
* Notify -> dunst: the call to dunst's method return (dunst has queued the notification);
* total, median and max over the outages, and the urgency dunst was sent (must be byte 2).

For scale, the same monitor times ``notify-send -u critical`` (a process that does nothing but
send one notification) from its start to dunst's reply, in the same run.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks._sim import PASSWORD, simulator
from pwtray.settings import Polling
from tests.desktop.realdesktop import RealDesktop, real_desktop
from tests.waiting import wait_until

_HEADER = re.compile(
    r"^(method call|method return|error|signal) time=([\d.]+) sender=(\S+) -> "
    r"destination=(\S+) serial=(\d+)(?: reply_serial=(\d+))?(?:.*member=(\w+))?"
)


@dataclass
class BusMessage:
    kind: str
    at: float
    sender: str
    destination: str
    serial: int
    reply_serial: int | None
    member: str | None
    body: str


def read_monitor(path: Path) -> list[BusMessage]:
    messages: list[BusMessage] = []
    for line in path.read_text(errors="replace").splitlines():
        match = _HEADER.match(line)
        if match:
            kind, at, sender, destination, serial, reply, member = match.groups()
            messages.append(BusMessage(kind, float(at), sender, destination, int(serial),
                                       int(reply) if reply else None, member, ""))  # fmt: skip
        elif messages:
            messages[-1].body += line.strip() + "\n"
    return messages


@dataclass(frozen=True)
class Delivery:
    sent_at: float
    accepted_at: float
    urgency: int | None


def delivery_of(messages: list[BusMessage], summary: str, after: float) -> Delivery | None:
    """The first Notify with ``summary`` sent after ``after``, and dunst's reply to it."""
    for call in messages:
        if call.member != "Notify" or call.at < after or f'string "{summary}"' not in call.body:
            continue
        for reply in messages:
            if (reply.kind == "method return" and reply.reply_serial == call.serial
                    and reply.destination == call.sender):  # fmt: skip
                urgency = re.search(r'string "urgency"\s*variant\s*byte (\d+)', call.body)
                return Delivery(call.at, reply.at, int(urgency[1]) if urgency else None)
    return None


def wait_for_delivery(log: Path, summary: str, after: float, timeout_s: float = 60) -> Delivery:
    def found() -> Delivery | None:
        return delivery_of(read_monitor(log), summary, after)

    delivery = wait_until(found, timeout_s, f"dunst to accept {summary!r}")
    assert delivery is not None
    return delivery


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outages", type=int, default=5)
    parser.add_argument("--poll-seconds", type=float, default=None,
                        help="pwtray's fast polling (default: its settings')")  # fmt: skip
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="pwtray-latency-") as folder,
        real_desktop(Path(folder) / "desktop", knobs={"NO_KEYRING": "1"}) as desktop,
    ):
        run(desktop, Path(folder), args)


def run(desktop: RealDesktop, folder: Path, args: argparse.Namespace) -> None:
    monitor_log = folder / "monitor.log"
    monitor = desktop.popen(["dbus-monitor", "--session",
                             "interface='org.freedesktop.Notifications'", "type='method_return'"],
                            log=monitor_log)  # fmt: skip
    app: subprocess.Popen[bytes] | None = None
    try:
        wait_until(lambda: monitor_log.stat().st_size > 0, 10, "dbus-monitor")
        reference = []
        for _ in range(3):
            began = time.time()
            desktop.run(["notify-send", "-u", "critical", "Reference", "notify-send"])
            found = wait_for_delivery(monitor_log, "Reference", began, 10)
            reference.append(found.accepted_at - began)
        desktop.dunstctl("close-all")
        with simulator() as sim:
            command = [sys.executable, "-m", "pwtray.cli", "--verbose", "--host", sim.address,
                       "--fingerprint", sim.fingerprint,
                       "--instance-key", "pwtray-latency"]  # fmt: skip
            if args.poll_seconds:
                command += ["--poll-seconds", str(args.poll_seconds)]
            app_log = folder / "app.log"
            app = desktop.popen(command, env={"PWTRAY_PASSWORD": PASSWORD,
                                              "TMPDIR": str(folder)}, log=app_log)  # fmt: skip
            wait_until(lambda: "notifications through" in app_log.read_text(), 30, "pwtray")
            time.sleep(8)  # first polls done
            # the loopback simulator; its certificate is the one pwtray pins
            control = httpx.Client(base_url=f"https://{sim.address}", verify=False)  # noqa: S501
            rng = random.Random(15)
            rows = []
            for _ in range(args.outages):
                time.sleep(rng.uniform(0, 6))
                changed = time.time()
                control.post("/_sim/grid/down").raise_for_status()
                found = wait_for_delivery(monitor_log, "Grid outage", changed)
                rows.append((changed, found))
                control.post("/_sim/grid/up").raise_for_status()
                control.post("/_sim/advance", json={"seconds": 60}).raise_for_status()
                wait_for_delivery(monitor_log, "Grid restored", changed)
            control.close()
    finally:
        if app is not None:
            app.terminate()
            app.wait(20)
        monitor.terminate()
        monitor.wait(10)
    report(rows, reference, args)


def report(rows: list[tuple[float, Delivery]], reference: list[float],
           args: argparse.Namespace) -> None:  # fmt: skip
    detect = [d.sent_at - changed for changed, d in rows]
    bus = [d.accepted_at - d.sent_at for _, d in rows]
    total = [d.accepted_at - changed for changed, d in rows]
    urgencies = {d.urgency for _, d in rows}
    interval = f"{args.poll_seconds or Polling().fast_s:g} s"
    print(f"\nReal desktop (xfce4-panel + dunst), pwtray-sim process, polling {interval}, "
          f"{len(rows)} outages at random moments")  # fmt: skip
    print(f"{'':<42}{'median':>9}{'max':>9}{'min':>9}")
    for label, values in (("change -> pwtray's Notify", detect), ("Notify -> dunst accepted", bus),
                          ("change -> dunst accepted (total)", total)):  # fmt: skip
        print(f"{label:<42}{statistics.median(values):>8.3f}s{max(values):>8.3f}s"
              f"{min(values):>8.3f}s")  # fmt: skip
    label = "notify-send -u critical (start -> dunst)"
    print(f"{label:<42}{statistics.median(reference):>8.3f}s"
          f"{max(reference):>8.3f}s{min(reference):>8.3f}s")  # fmt: skip
    print(f"urgency sent: {sorted(u for u in urgencies if u is not None)} (byte; 2 = critical)")
    print("each outage (s):", ", ".join(f"{t:.2f}" for t in total))
    if urgencies != {2}:
        sys.exit(f"the outage was not sent as critical: {urgencies}")


if __name__ == "__main__":
    main()
