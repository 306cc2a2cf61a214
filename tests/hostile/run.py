"""Run ``pwtray status`` as a child process against a hostile gateway; measure what a user sees.

Returns the exit code, the output, the wall time and the child's own peak RSS. On Linux a child
starts with its parent's high-water mark (fork copies the parent's memory map, and exec keeps the
larger of the two), so ``pwtray status`` is started by a small launcher (``python -S``, ~10 MB)
rather than by this process (the test runner, ~50 MB and more): the figure is the child's own.
Shared by tests/hostile and benchmarks/hostile.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import PASSWORD

# Forks the command, waits for it and writes "exit-code peak-rss-KiB seconds" to argv[1].
LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as report:
    report.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss} {seconds}")
"""


@dataclass(frozen=True)
class StatusRun:
    exit_code: int
    stdout: str
    stderr: str
    wall_s: float
    peak_rss_mb: float


def run_status(
    address: str,
    fingerprint: str,
    *extra: str,
    timeout_s: float = 3.0,
    password: str = PASSWORD,
    limit_s: float = 120.0,
) -> StatusRun:
    """``pwtray status --host address --fingerprint fp --timeout timeout_s`` in a child."""
    argv = [
        sys.executable,
        "-m",
        "pwtray.cli",
        "status",
        "--host",
        address,
        "--fingerprint",
        fingerprint,
        "--timeout",
        str(timeout_s),
        *extra,
    ]
    env = {**os.environ, "PWTRAY_PASSWORD": password}
    with tempfile.TemporaryDirectory(prefix="pwtray-status-") as folder:
        report = Path(folder) / "report"
        out, err = Path(folder) / "out", Path(folder) / "err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            launcher = subprocess.Popen(
                [sys.executable, "-S", "-c", LAUNCHER, str(report), *argv],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                env=env,
                start_new_session=True,
            )
            try:
                launcher.wait(limit_s)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)
                launcher.wait()
                raise AssertionError(f"pwtray status still running after {limit_s:.0f} s") from None
        code, peak_kib, seconds = report.read_text().split()
        return StatusRun(
            exit_code=int(code),
            stdout=out.read_text(),
            stderr=err.read_text(),
            wall_s=float(seconds),
            peak_rss_mb=int(peak_kib) / 1024,  # Linux reports KiB
        )
