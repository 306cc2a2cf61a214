"""The composition root on a real disk, a real simulator and real NUT clients: what it builds
from the settings and the command line, and what it tells the user when a part cannot start."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import subprocess
from pathlib import Path

import pytest

from pwtray.core import CliOptions, Core
from pwtray.monitor import Connectivity
from pwtray.settings import Connection, SessionSecrets, Settings, save
from pwtray.simulator import Simulator
from tests.conftest import PASSWORD
from tests.waiting import until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_core(tmp_path: Path, sim: Simulator, **cli: object) -> Core:
    settings_path = tmp_path / "settings.toml"
    save(
        Settings(connection=Connection(host=sim.address, fingerprint=sim.fingerprint)),
        settings_path,
    )
    secrets = SessionSecrets()
    secrets.set(sim.address, PASSWORD)
    return await Core.start(
        CliOptions(**cli),  # type: ignore[arg-type]
        settings_path=settings_path,
        data_folder=tmp_path / "data",
        log_folder=tmp_path / "log",
        secrets=secrets,
    )


def upsc(port: int, variable: str) -> str:
    result = subprocess.run(
        ["upsc", f"powerwall@127.0.0.1:{port}", variable],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return (result.stdout or result.stderr).strip()


async def test_the_nut_server_serves_the_site_when_asked_on_the_command_line(
    tmp_path: Path, sim: Simulator
) -> None:
    port = free_port()
    core = await start_core(tmp_path, sim, nut=f"127.0.0.1:{port}")
    try:
        assert core.notes == []
        core.site.start()
        await until(lambda: core.site.snapshot.connectivity is Connectivity.ONLINE)
        assert await asyncio.to_thread(upsc, port, "ups.status") == "OL"
        sim.grid_down()
        await core.site.commands.refresh()
        assert await asyncio.to_thread(upsc, port, "ups.status") == "OB"
    finally:
        await core.close()


async def test_a_nut_server_that_cannot_start_is_told_and_monitoring_goes_on(
    tmp_path: Path, sim: Simulator
) -> None:
    core = await start_core(tmp_path, sim, nut="0.0.0.0:3493")  # every interface, nobody allowed
    try:
        (note,) = core.notes
        assert note.title == "NUT server not started"
        assert "allowed" in note.body
        await core.site.commands.refresh()
        assert core.site.snapshot.connectivity is Connectivity.ONLINE
    finally:
        await core.close()


@pytest.mark.parametrize("bad", ["not valid toml [", '[connection]\nfingerprint = "xyz"\n'])
async def test_an_unusable_settings_file_is_kept_and_told(
    tmp_path: Path, sim: Simulator, bad: str
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(bad)
    core = await Core.start(
        CliOptions(),
        settings_path=path,
        data_folder=tmp_path / "d",
        log_folder=tmp_path / "l",
        secrets=SessionSecrets(),
    )
    try:
        (note,) = core.notes
        assert note.title == "pwtray settings were reset"
        assert not core.site.configured  # the defaults: the wizard will ask
        assert list(tmp_path.glob("settings.toml.unreadable-*"))  # noqa: ASYNC240 - a test check
    finally:
        await core.close()


async def test_history_on_a_full_disk_is_told_then_attached_once_there_is_room(
    small_disk: Path, tmp_path: Path, sim: Simulator
) -> None:
    from tests.disks import fill_up
    from tests.fakeclock import FakeClock

    clock = FakeClock()
    fill_up(small_disk)
    settings_path = tmp_path / "settings.toml"
    save(
        Settings(connection=Connection(host=sim.address, fingerprint=sim.fingerprint)),
        settings_path,
    )
    secrets = SessionSecrets()
    secrets.set(sim.address, PASSWORD)
    core = await Core.start(
        CliOptions(),
        settings_path=settings_path,
        data_folder=small_disk,
        log_folder=tmp_path / "log",
        secrets=secrets,
        clock=clock,
    )
    try:
        (note,) = core.notes
        assert note.title == "History is not being recorded"
        assert "disk is full" in note.body
        await core.site.commands.refresh()
        assert core.site.snapshot.connectivity is Connectivity.ONLINE  # monitoring goes on
        (small_disk / "filler").unlink()
        await until(lambda: clock.next_deadline() is not None)  # the retry waits its turn
        clock.advance(600)
        await until(lambda: core.site.history is not None, what="the history to open")
        await core.site.commands.refresh()
        assert core.site.history is not None
        assert core.site.history.counts()["samples"] == 1  # recording from now on
    finally:
        await core.close()


async def test_the_demo_starts_with_a_week_of_history() -> None:
    core = await Core.start(CliOptions(demo=True, scenarios=("normal",)))
    try:
        history = core.site.history
        assert history is not None
        counts = history.counts()
        assert counts["samples"] >= 7 * 24 * 60 - 5  # a reading a minute for the past week
        assert counts["hour"] >= 7 * 24 - 2  # rolled up: every range has its resolution
        energy = history.daily_energy(dt.date(2000, 1, 1), dt.date(2100, 1, 1))
        assert len({d.day for d in energy}) >= 7  # energy per day for each day
        assert len(history.outages()) >= 1  # and at least one outage to look at
        assert all(d.home_wh < 100_000 for d in energy)  # no jump where the week meets now
        live = await core.site.commands.refresh()
        assert live.connectivity is Connectivity.ONLINE
        last = history.series(0, live.taken_at, max_points=None)[-1]
        assert last.soe is not None
        assert live.soe_percent == pytest.approx(last.soe, abs=1.0)  # the live site goes on
    finally:
        await core.close()
