"""Run ``pwtray status`` as a child process against a hostile gateway; measure what a user sees.

Returns the exit code, the output, the wall time and the child's own peak RSS (from ``wait4``,
so earlier children do not count). Shared by tests/hostile and benchmarks/hostile.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from tests.conftest import PASSWORD


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
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        deadline = started + limit_s
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.01)
        wall_s = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return StatusRun(
            exit_code=child.returncode,
            stdout=out.read().decode(),
            stderr=err.read().decode(),
            wall_s=wall_s,
            peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        )
