"""The composition root on a real disk, a real simulator and real NUT clients: what it builds
from the settings and the command line, and what it tells the user when a part cannot start."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from pwtray.core import CliOptions, Core, Phase, Trigger
from pwtray.monitor import Connectivity
from pwtray.settings import (
    Action,
    Actions,
    Connection,
    KeyringProblem,
    KeyringSecrets,
    SessionSecrets,
    Settings,
    Shutdown,
    save,
)
from pwtray.simulator import Simulator
from tests.conftest import PASSWORD
from tests.keyrings import PromptingKeyring, using
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


async def test_actions_and_the_shutdown_policy_come_from_the_settings_and_follow_changes(
    tmp_path: Path, sim: Simulator
) -> None:
    out = tmp_path / "ran.txt"
    note = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\n')"
    core = await start_core(tmp_path, sim)
    try:
        assert core.actions.config.commands == {}
        assert not core.shutdown.config.enabled
        settings = msgspec.structs.replace(
            core.settings,
            actions=Actions(
                grid_outage=Action(command=[sys.executable, "-c", note, str(out), "outage"])
            ),
            shutdown=Shutdown(enabled=True, charge_below_percent=99.0, dry_run=True),
        )
        assert await core.apply_settings(settings) is None
        saved = (tmp_path / "settings.toml").read_text()
        assert json.dumps(str(out)) in saved  # kept for the next start
        sim.grid_down()
        await core.site.commands.refresh()
        await until(lambda: core.actions.runs, what="the action to run")
        assert out.read_text() == "outage\n"
        assert core.shutdown.state.phase is Phase.COUNTDOWN  # 60 % < 99 %, off grid
        assert [r.trigger for r in core.actions.runs] == [Trigger.GRID_OUTAGE]
    finally:
        await core.close()
    assert core.shutdown.state.phase is Phase.COUNTDOWN  # quitting never shuts down


async def test_the_demo_never_shuts_the_computer_down(tmp_path: Path) -> None:
    core = await Core.start(CliOptions(demo=True))
    try:
        settings = msgspec.structs.replace(core.settings, shutdown=Shutdown(enabled=True))
        await core.apply_settings(settings)
        assert core.shutdown.config.enabled
        assert core.shutdown.config.dry_run
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


async def test_the_keyring_is_asked_only_when_unlocking_and_never_blocks_the_loop(
    tmp_path: Path, sim: Simulator
) -> None:
    """The tray app starts the core without the keyring, puts its icon up, then unlocks: a
    keyring prompt waiting for the user leaves the event loop (and the tray) running."""
    settings_path = tmp_path / "settings.toml"
    save(Settings(connection=Connection(host=sim.address, fingerprint=sim.fingerprint)),
         settings_path)  # fmt: skip
    backend = PromptingKeyring()
    with using(backend):
        core = await Core.start(CliOptions(), settings_path=settings_path,
                                data_folder=tmp_path / "data", log_folder=tmp_path / "log",
                                secrets=KeyringSecrets(), unlock=False)  # fmt: skip
        try:
            assert backend.calls == 0
            unlocking = asyncio.ensure_future(core.unlock())
            # This coroutine runs while the prompt is open: the loop is not blocked by it.
            await until(backend.waiting.is_set, 10, "the keyring's prompt")
            await asyncio.sleep(0.2)
            assert not unlocking.done()  # still waiting for the user
            backend.cancel()
            await unlocking
            assert core.passwords.problem is KeyringProblem.NO_DEFAULT
            core.site.start()
            await until(lambda: core.site.snapshot.connectivity is Connectivity.AUTH_REQUIRED,
                        15, "login needed")  # fmt: skip
            assert backend.calls == 1
        finally:
            await core.close()
