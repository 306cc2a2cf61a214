"""`pwtray status` against each hostile gateway case: exit code, wall time and peak RSS.

Goals (issue 14): every case ends in its documented exit code in less than twice ``--timeout``,
with a peak RSS under 150 MB. Each run is a fresh child process (Python start-up included in the
wall time); the hostile gateway runs in this process on loopback.

    .venv/bin/python -m benchmarks.hostile [--timeout 5] [--repeat 1]
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from tests.hostile.cases import CASES, Case
from tests.hostile.run import StatusRun, run_status
from tests.hostile.server import HostileGateway


def _run(case: Case, timeout_s: float) -> StatusRun:
    started: list[HostileGateway] = []

    def factory(**options: Any) -> HostileGateway:
        gateway = HostileGateway(**options).start()
        started.append(gateway)
        return gateway

    gateway = case.start(factory)
    try:
        return run_status(gateway.address, gateway.fingerprint, timeout_s=timeout_s)
    finally:
        for server in started:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, default=5.0, help="pwtray status --timeout")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (median shown)")
    args = parser.parse_args()
    print(f"pwtray status --timeout {args.timeout:g} against each hostile case")
    print(f"{'case':<42}{'exit':>5}{'wall s':>8}{'x timeout':>10}{'peak RSS MB':>13}  ok")
    worst_ratio, worst_rss = 0.0, 0.0
    for case in CASES:
        walls, rss, codes = [], [], set()
        for _ in range(args.repeat):
            run = _run(case, args.timeout)
            walls.append(run.wall_s)
            rss.append(run.peak_rss_mb)
            codes.add(run.exit_code)
        wall, peak = statistics.median(walls), max(rss)
        ratio = wall / args.timeout
        worst_ratio, worst_rss = max(worst_ratio, ratio), max(worst_rss, peak)
        ok = codes == {case.exit_code} and ratio < 2 and peak < 150
        code = "/".join(str(c) for c in sorted(codes))
        print(
            f"{case.name:<42}{code:>5}{wall:>8.2f}{ratio:>10.2f}{peak:>13.1f}  "
            f"{'yes' if ok else 'NO (expected exit ' + str(case.exit_code) + ')'}"
        )
    print(f"worst: {worst_ratio:.2f} x timeout, {worst_rss:.1f} MB peak RSS")


if __name__ == "__main__":
    main()
