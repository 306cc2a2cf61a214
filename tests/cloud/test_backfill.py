"""Outages while pwtray was not running: Tesla's calendar history fills the gap in the outage
log, marked as told by the cloud, with one request — and none when there is no gap."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pwtray.cloud import MemoryTokenStore
from pwtray.core import CloudAccount, CloudService
from pwtray.core._cloud import backfill_outages
from pwtray.monitor import HistoryStore
from tests.cloud.conftest import CLIENT_ID, Cloud

DAY = 86_400.0


def cloud_service(cloud: Cloud) -> CloudService:
    account = CloudAccount(
        CLIENT_ID, cloud_url=cloud.url, auth_url=cloud.url, ca_path=str(cloud.sim.ca_path)
    )
    tokens = MemoryTokenStore(cloud.sim.config.refresh_token)
    return CloudService(account, tokens, din=lambda: cloud.din)


async def test_outages_in_the_gap_are_added_once_and_marked(cloud: Cloud, tmp_path: Path) -> None:
    now = dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC).timestamp()
    last = now - 3 * DAY  # pwtray last ran three days ago
    history = HistoryStore(tmp_path / "history.sqlite", clock=lambda: last)
    history.add_sample(last, soe=60, site_w=0, battery_w=0, load_w=500, solar_w=0)
    before_gap = dt.datetime.fromtimestamp(last - DAY, dt.UTC)
    in_gap = dt.datetime.fromtimestamp(last + DAY, dt.UTC)
    cloud.sim.add_backup_event(before_gap, 3600)  # already long known: not in the gap
    cloud.sim.add_backup_event(in_gap, 5400)
    service = cloud_service(cloud)
    try:
        assert await backfill_outages(service, history, now) == 1
        (outage,) = history.outages()
        assert outage.start == in_gap.timestamp()
        assert outage.duration_s == 5400
        assert outage.source == "cloud"
        assert not outage.watched
        calls = list((await service.client()).calls)
        assert calls.count("GET calendar_history") == 1
        assert await backfill_outages(service, history, now) == 0  # the same one: not twice
    finally:
        await service.close()
        history.close()


async def test_no_gap_no_request(cloud: Cloud, tmp_path: Path) -> None:
    now = dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC).timestamp()
    history = HistoryStore(tmp_path / "history.sqlite", clock=lambda: now)
    history.add_sample(now - 60, soe=60, site_w=0, battery_w=0, load_w=500, solar_w=0)
    service = cloud_service(cloud)
    try:
        assert await backfill_outages(service, history, now) == 0
        assert cloud.sim.requests() == []  # nothing metered was spent
    finally:
        await service.close()
        history.close()
