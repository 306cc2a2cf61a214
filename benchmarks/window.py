"""Main-window figures, offscreen, against a real history file.

    .venv/bin/python -m benchmarks.window [--animate-seconds 20] [--repeats 5]

* first paint: ``MainWindow(...)`` -> the flow diagram's first paint event, cold (the first open
  in the process) and warm (later opens); goal < 300 ms. The History tab (pyqtgraph, numpy) is
  built when first shown; that first open is timed on its own;
* CPU of this process while the window is shown and the diagram animates; goal < 5 % of a core;
* redraw of the 1-year range (store query + curves + bars + outage shading); goal < 100 ms,
  printed against loading the same year unbounded (every stored row) in the same run.

History: one year of one-minute readings, rolled up exactly as the app's store does it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer  # after the platform is chosen
from PySide6.QtWidgets import QApplication

from pwtray.monitor import HistoryStore

DAY = 86_400


def year_of_history(path: Path, now: float) -> HistoryStore:
    clock_now = [now - 365 * DAY]
    store = HistoryStore(path, clock=lambda: clock_now[0])
    start = now - 365 * DAY
    for day in range(365):
        rows = []
        base = start + day * DAY
        for minute in range(0, DAY, 60):
            t = base + minute
            hour = (t % DAY) / 3600
            solar = max(0.0, 5000 * (1 - abs(hour - 12.5) / 6.5))
            rows.append((t, 50 + 40 * ((hour - 6) % 24) / 24, 300.0 - solar * 0.4,
                         -solar * 0.3, 900.0, solar, 0))  # fmt: skip
        store.add_samples(rows)
        total = (day + 1) * 1000.0  # counters, for the daily energy bars
        counters = (total, total * 2, total, total, total * 20, total * 25)
        store.add_sample(base + DAY - 1, soe=50, site_w=0, battery_w=0, load_w=900, solar_w=0,
                         counters=counters)  # fmt: skip
        clock_now[0] = base + DAY
        store.maintain()
    return HistoryStore(path, clock=lambda: now)


class FirstPaint(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.at is None:
            self.at = time.perf_counter()
        return False


def first_paint(app: QApplication, store: HistoryStore, state: Path) -> float:
    began = time.perf_counter()
    from pwtray.ui.window import MainWindow  # the first open imports the charts

    window = MainWindow(store, state_file=state)
    probe = FirstPaint()
    window.flow.installEventFilter(probe)
    window.show()
    while probe.at is None:
        app.processEvents()
    elapsed = probe.at - began
    window.close()
    window.deleteLater()
    app.processEvents()
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--animate-seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp(prefix="pwtray-bench-"))
    now = time.time()
    t = time.perf_counter()
    store = year_of_history(folder / "history.sqlite", now)
    print(f"history: one year of one-minute readings built in {time.perf_counter() - t:.0f} s; "
          f"rows {store.counts()}")  # fmt: skip

    cold = first_paint(app, store, folder / "w.ini")
    warm = [first_paint(app, store, folder / "w.ini") for _ in range(args.repeats)]
    print(f"first paint: cold {cold:.0f} ms (first open in the process), warm median "
          f"{statistics.median(warm):.0f} ms (min {min(warm):.0f}, max {max(warm):.0f}); "
          "goal < 300 ms")  # fmt: skip

    from pwtray.monitor import Connectivity, Snapshot
    from pwtray.ui.spans import Span
    from pwtray.ui.window import MainWindow

    window = MainWindow(store, state_file=folder / "w.ini")
    window.resize(1000, 660)
    window.tabs.setCurrentIndex(0)
    sunny = Snapshot(taken_at=now, connectivity=Connectivity.ONLINE, solar_w=4200.0, load_w=900.0,
                     site_w=-1800.0, battery_w=-1500.0, soe_percent=64.0, reserve_percent=20.0,
                     last_success_at=now)  # fmt: skip
    window.show_snapshot(sunny)
    window.show()
    app.processEvents()
    assert window.flow.is_animating()
    loop = QEventLoop()
    QTimer.singleShot(round(args.animate_seconds * 1000), loop.quit)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    loop.exec()  # Qt's own loop, as in the app
    share = (time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100
    print(f"animating: {share:.1f} % of one core over {args.animate_seconds:.0f} s "
          f"(diagram at {1000 / 40:.0f} frames/s, 1000x660 window); goal < 5 %")  # fmt: skip

    t = time.perf_counter()
    window.tabs.setCurrentIndex(1)  # the first History tab in the process loads pyqtgraph
    app.processEvents()
    print(f"History tab, first open: {(time.perf_counter() - t) * 1000:.0f} ms "
          "(imports pyqtgraph and numpy, builds the charts, loads the last 24 hours)")  # fmt: skip
    view = window.history_view
    times = []
    for _ in range(args.repeats):
        view.set_span(Span.DAY)
        app.processEvents()
        view.set_span(Span.YEAR)
        app.processEvents()
        assert view.shown is not None
        times.append(view.shown.redraw_ms)
    assert view.shown is not None
    start, end = view.bounds()
    t = time.perf_counter()
    unbounded = store.series(start, end, max_points=None)
    raw_ms = (time.perf_counter() - t) * 1000
    median = statistics.median(times)
    print(f"1-year range redraw: median {median:.1f} ms (max {max(times):.1f}) for "
          f"{view.shown.points} points, {view.shown.days} daily bars; goal < 100 ms. Loading the "
          f"same year unbounded: {len(unbounded)} rows in {raw_ms:.0f} ms "
          f"({raw_ms / median:.1f}x the bounded redraw)")  # fmt: skip
    window.close()
    store.close()
    sys.stdout.flush()
    os._exit(0)  # PySide6's interpreter-exit teardown is not what is measured here


if __name__ == "__main__":
    main()
