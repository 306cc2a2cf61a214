"""`pwtray status` against each hostile case, as a script would run it: a child process.

Each run must end in its documented exit code with true words (on stderr, or for a partial
reading the parts it lists as not read), no traceback, and a peak RSS far below what the hostile
reply would take if it were read (1 GiB bodies, a gzip bomb).
How long each takes is measured in benchmarks/hostile.py (not asserted here: machine speed must
not decide a test); that the deadline cut the reply short is checked on the gateway's side.
"""

from __future__ import annotations

import pytest

from tests.hostile.cases import CASES, Case
from tests.hostile.conftest import HostileFactory
from tests.hostile.run import run_status
from tests.waiting import wait_until

PEAK_RSS_BOUND_MB = 150  # a whole 1 GiB reply, or the bomb unpacked, would be ~7 times this


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pwtray_status_ends_with_its_exit_code(hostile_factory: HostileFactory, case: Case) -> None:
    gateway = case.start(hostile_factory)
    run = run_status(gateway.address, gateway.fingerprint, timeout_s=2)
    said = run.stdout if case.exit_code == 0 else run.stderr
    assert run.exit_code == case.exit_code, run.stderr
    assert case.words in said
    assert "Traceback" not in run.stderr
    assert run.peak_rss_mb < PEAK_RSS_BOUND_MB
    if case.name.startswith("drip"):
        ending = wait_until(lambda: gateway.endings, what="the drip to end")
        assert ending[0].client_hung_up  # cut at the deadline, long before the reply was done
    if case.name.startswith("TLS"):
        assert gateway.requests == []
