"""A site aimed at a simulator, built the way the app builds it (core's factory and config)."""

from __future__ import annotations

from pwtray.core import Site, Supervisor, effective
from pwtray.monitor import Clock, HistoryStore
from pwtray.settings import Connection, Polling, Settings
from pwtray.simulator import Simulator
from tests.fakeclock import FakeClock
from tests.gateway.helpers import password_for


def site_for(
    sim: Simulator,
    *,
    clock: Clock | None = None,
    history: HistoryStore | None = None,
    password: str | None = "",
    fast_s: float = 5.0,
) -> Site:
    connection = Connection(host=sim.address, fingerprint=sim.fingerprint)
    config = effective(Settings(connection=connection, polling=Polling(fast_s=fast_s)))
    return Site(
        config,
        password=password_for(sim) if password == "" else password,
        history=history,
        supervisor=Supervisor(),
        clock=clock or FakeClock(),
        keep_session=False,
    )
