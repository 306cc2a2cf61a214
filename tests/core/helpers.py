"""A site aimed at a simulator, built the way the app builds it (core's factory and config)."""

from __future__ import annotations

from pwtray.cloud import MemoryTokenStore
from pwtray.core import CloudAccount, CloudService, Site, Supervisor, effective
from pwtray.monitor import Clock, HistoryStore
from pwtray.settings import Connection, Polling, Settings
from pwtray.simulator import Simulator
from tests.cloud.conftest import CLIENT_ID, Cloud
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


def cloud_site(cloud: Cloud) -> Site:
    """A site whose Tesla account is connected (a pasted refresh token, the site remembered),
    built as the app builds it."""
    gateway = cloud.gateway
    account = CloudAccount(
        client_id=CLIENT_ID,
        cloud_url=cloud.url,
        auth_url=cloud.url,
        ca_path=str(cloud.sim.ca_path),
        site_id=cloud.sim.config.energy_site_id,
    )
    tokens = MemoryTokenStore(cloud.sim.config.refresh_token)
    connection = Connection(host=gateway.address, fingerprint=gateway.fingerprint)
    return Site(
        effective(Settings(connection=connection)),
        password=password_for(gateway),
        history=None,
        supervisor=Supervisor(),
        clock=FakeClock(),
        keep_session=False,
        cloud=CloudService(account, tokens, din=lambda: cloud.din),
    )
