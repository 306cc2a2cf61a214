"""Start ``pwtray-sim`` in its own process, so a benchmark's CPU time is the client's alone."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

PASSWORD = "BenchPw1"


@dataclass(frozen=True)
class SimProcess:
    address: str
    fingerprint: str
    process: subprocess.Popen[str]


@contextmanager
def simulator(*args: str) -> Iterator[SimProcess]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pwtray.simulator.cli",
            "--port",
            "0",
            "--password",
            PASSWORD,
            *args,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"https://(\S+) sha256=(\w+)", line)
        if not match:
            raise RuntimeError(f"simulator did not start: {line!r}")
        yield SimProcess(match[1], match[2], process)
    finally:
        process.terminate()
        process.wait(timeout=10)
