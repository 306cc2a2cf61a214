"""Actions run real commands on the events of a simulator-driven site (the site's clock is fake):
once per occurrence, with the facts in PWTRAY_* variables, stopped at their timeout with all they
started, a missing program a clear failure told once, output bounded, every run recorded."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import stat
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pwtray.core import (
    ActionRun,
    ActionsConfig,
    ActionService,
    ActionSpec,
    Outcome,
    RunLog,
    Site,
    Supervisor,
    Trigger,
    join_command,
    split_command,
)
from pwtray.core._actions import LINE_MAX, LOG_LINES, TAIL_LINES, Latches, detect
from pwtray.core.words import event_text, run_result
from pwtray.gateway import GridState
from pwtray.monitor import Connectivity, Estimates, Event, EventKind, Snapshot
from pwtray.settings import ACTION_NAMES
from pwtray.simulator import Simulator
from tests.conftest import SimFactory
from tests.core.helpers import site_for
from tests.fakeclock import FakeClock
from tests.waiting import until

# Appends the PWTRAY_* variables it was given to the file named by its argument, as JSON.
RECORD_ENV = (
    "import json, os, sys\n"
    "facts = {k: v for k, v in os.environ.items() if k.startswith('PWTRAY_')}\n"
    "with open(sys.argv[1], 'a') as out: out.write(json.dumps(facts) + '\\n')\n"
)
MISSING = "/nonexistent/pwtray-test/no-such-program"


def recorder(path: Path, timeout_s: float = 60.0) -> ActionSpec:
    return ActionSpec((sys.executable, "-c", RECORD_ENV, str(path)), timeout_s)


def recorded(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@dataclass
class Harness:
    site: Site
    sim: Simulator
    service: ActionService
    events: list[Event] = field(default_factory=list)

    @property
    def clock(self) -> FakeClock:
        assert isinstance(self.site.clock, FakeClock)
        return self.site.clock

    async def read(self) -> Snapshot:
        return await self.site.commands.refresh()

    async def settled(self) -> None:
        """Until no action runs (the commands are real processes)."""
        await until(lambda: not any(self.service.running(t) for t in Trigger), what="actions")

    def failures(self) -> list[Event]:
        return [e for e in self.events if e.kind is EventKind.ACTION_FAILED]

    async def outage_and_back(self) -> None:
        self.sim.grid_down()
        await self.read()
        await self.settled()
        self.sim.grid_up()
        self.sim.advance(31)  # the gateway resynchronises, then reconnects
        self.clock.advance(31)
        await self.read()
        await self.settled()


def harness_for(
    sim: Simulator, tmp_path: Path, commands: dict[Trigger, ActionSpec], **thresholds: float
) -> Harness:
    site = site_for(sim)
    config = ActionsConfig(commands=commands, **thresholds)
    base = dict(os.environ, PWTRAY_PASSWORD="must-not-leak", PWTRAY_EVENT="inherited")
    service = ActionService(
        site, Supervisor(), config, folder=tmp_path / "data", base_environment=base
    )
    harness = Harness(site, sim, service)
    site.subscribe(service.on_update)
    site.subscribe(lambda _s, events: harness.events.extend(events))
    return harness


@pytest.fixture
async def stopping() -> AsyncIterator[list[Harness]]:
    harnesses: list[Harness] = []
    yield harnesses
    for h in harnesses:
        await h.service.stop()
        await h.site.stop()


# ---------------------------------------------------------------------- the facts, once each
async def test_outage_and_restore_run_once_each_with_the_facts(
    sim: Simulator, tmp_path: Path, stopping: list[Harness]
) -> None:
    out = tmp_path / "facts.jsonl"
    h = harness_for(
        sim, tmp_path, {Trigger.GRID_OUTAGE: recorder(out), Trigger.GRID_RESTORED: recorder(out)}
    )
    stopping.append(h)
    await h.read()
    sim.grid_down()
    down = await h.read()
    await h.read()  # the same outage: no second run
    await h.settled()
    sim.grid_up()
    sim.advance(31)
    h.clock.advance(31)
    await h.read()
    await h.settled()
    outage, restored = recorded(out)
    assert outage["PWTRAY_EVENT"] == "grid_outage"  # not the one pwtray inherited
    assert outage["PWTRAY_GRID"] == "down"
    assert outage["PWTRAY_GRID_STATE"] == "SystemIslandedActive"
    assert down.soe_percent is not None
    assert outage["PWTRAY_SOE"] == f"{down.soe_percent:.1f}"
    assert outage["PWTRAY_GATEWAY"] == sim.address
    assert outage["PWTRAY_SITE"] == down.site_name == "Home Energy Gateway"
    at = dt.datetime.fromisoformat(outage["PWTRAY_AT"])  # ISO 8601 with the offset
    assert at.utcoffset() is not None
    assert at.timestamp() == int(down.taken_at)
    assert int(outage["PWTRAY_TIME_LEFT_S"]) > 0  # the house runs on the Powerwall
    assert outage["PWTRAY_STALE"] == "0"
    assert outage["PWTRAY_TEST"] == "0"
    assert "PWTRAY_PASSWORD" not in outage  # pwtray's own environment is not passed on
    assert restored["PWTRAY_EVENT"] == "grid_restored"
    assert restored["PWTRAY_GRID"] == "up"
    assert restored["PWTRAY_OUTAGE_S"] == "31"
    runs = h.service.runs
    assert [(r.trigger, r.outcome, r.exit_code) for r in runs] == [
        (Trigger.GRID_OUTAGE, Outcome.OK, 0),
        (Trigger.GRID_RESTORED, Outcome.OK, 0),
    ]


async def test_charge_below_runs_once_per_dip_with_hysteresis(
    sim_factory: SimFactory, tmp_path: Path, stopping: list[Harness]
) -> None:
    sim = sim_factory(soe_percent=30.0)
    out = tmp_path / "facts.jsonl"
    h = harness_for(sim, tmp_path, {Trigger.CHARGE_BELOW: recorder(out)}, charge_below_percent=20.0)
    stopping.append(h)
    sim.set_state(soe=15.0)
    await h.read()
    assert recorded(out) == []  # below, but on the grid: not this trigger's business
    sim.grid_down()
    await h.read()
    await h.settled()
    for soe in (19.0, 22.0, 18.0):  # within the 3 % margin: the same dip
        sim.set_state(soe=soe)
        await h.read()
    await h.settled()
    assert len(recorded(out)) == 1
    sim.set_state(soe=24.0)  # recovered past the margin ...
    await h.read()
    sim.set_state(soe=19.0)  # ... so this is a new dip
    await h.read()
    await h.settled()
    first, second = recorded(out)
    assert first["PWTRAY_EVENT"] == "charge_below"
    assert first["PWTRAY_THRESHOLD"] == "20.0"
    assert float(first["PWTRAY_SOE"]) == pytest.approx(15.0, abs=0.6)
    assert float(second["PWTRAY_SOE"]) == pytest.approx(19.0, abs=0.6)


async def test_unreachable_and_powerwalls_stopped_run_their_actions(
    sim: Simulator, tmp_path: Path, stopping: list[Harness]
) -> None:
    out = tmp_path / "facts.jsonl"
    h = harness_for(
        sim, tmp_path, {Trigger.UNREACHABLE: recorder(out), Trigger.GATEWAY_STOPPED: recorder(out)}
    )
    stopping.append(h)
    await h.read()
    sim.set_fault("drop", rate=1.0)
    await h.read()
    h.clock.advance(301)  # unreachable for longer than the monitor's 5 minutes
    await h.read()
    await h.settled()
    sim.clear_faults()
    await h.read()
    sim.stop_sitemaster()
    await h.read()
    await h.settled()
    unreachable, stopped = recorded(out)
    assert unreachable["PWTRAY_EVENT"] == "unreachable"
    assert unreachable["PWTRAY_STALE"] == "1"  # the charge it gives is the last one read
    assert unreachable["PWTRAY_SOE"] != ""
    assert stopped["PWTRAY_EVENT"] == "gateway_stopped"


def snapshot(**values: object) -> Snapshot:
    base: dict[str, object] = {
        "taken_at": 0.0,
        "connectivity": Connectivity.ONLINE,
        "grid": GridState.ISLANDED,
        "soe_percent": 50.0,
    }
    base.update(values)
    return Snapshot(**base)  # type: ignore[arg-type]


def test_time_left_fires_off_grid_only_and_latches_until_it_recovers() -> None:
    config = ActionsConfig(time_left_below_s=1800.0)

    def step(latches: Latches, **values: object) -> tuple[list[Trigger], Latches]:
        fired, latches = detect(snapshot(**values), [], latches, config)
        return [o.trigger for o in fired], latches

    low = Estimates(battery_w_smoothed=5000.0, time_to_empty_s=1200.0)
    fired, latches = step(Latches(), estimates=low, grid=GridState.CONNECTED)
    assert fired == []  # on the grid
    fired, latches = step(latches, estimates=low, connectivity=Connectivity.STALE)
    assert fired == []  # not a live reading
    fired, latches = step(latches, estimates=low)
    assert fired == [Trigger.TIME_LEFT_BELOW]
    near = Estimates(battery_w_smoothed=3000.0, time_to_empty_s=2000.0)  # above, within margin
    fired, latches = step(latches, estimates=near)
    fired2, latches = step(latches, estimates=low)
    assert fired == fired2 == []
    idle = Estimates(battery_w_smoothed=0.0)  # solar covers the house for a moment
    fired, latches = step(latches, estimates=idle)
    fired2, latches = step(latches, estimates=low)
    assert fired == fired2 == []  # an idle moment is not a recovery
    plenty = Estimates(battery_w_smoothed=500.0, time_to_empty_s=2400.0)  # 30 min + 10 min
    fired, latches = step(latches, estimates=plenty)
    fired2, latches = step(latches, estimates=low)
    assert fired == []
    assert fired2 == [Trigger.TIME_LEFT_BELOW]
    fired, latches = step(latches, estimates=low, grid=GridState.CONNECTED)  # outage over
    fired2, latches = step(latches, estimates=low)  # the next one
    assert fired2 == [Trigger.TIME_LEFT_BELOW]


# ---------------------------------------------------------------------- failures
async def test_a_missing_program_is_a_clear_failure_told_once_until_it_works(
    sim: Simulator, tmp_path: Path, stopping: list[Harness]
) -> None:
    out = tmp_path / "facts.jsonl"
    missing = ActionSpec((MISSING, "--now"), 30.0)
    h = harness_for(sim, tmp_path, {Trigger.GRID_OUTAGE: missing})
    stopping.append(h)
    await h.read()
    await h.outage_and_back()
    await until(lambda: h.failures(), what="the failure event")
    (told,) = h.failures()
    title, body = event_text(told)
    assert title == "Action failed: Grid outage"
    assert body.startswith(f"“{MISSING}” was not found")
    await h.outage_and_back()  # fails again: the user already knows
    assert [r.outcome for r in h.service.runs] == [Outcome.NOT_FOUND, Outcome.NOT_FOUND]
    assert run_result(h.service.runs[-1]) == f"✖ {MISSING} not found"
    h.service.apply(ActionsConfig(commands={Trigger.GRID_OUTAGE: recorder(out)}))
    await h.outage_and_back()  # works ...
    h.service.apply(ActionsConfig(commands={Trigger.GRID_OUTAGE: missing}))
    await h.outage_and_back()  # ... so the next failure is news again
    await until(lambda: len(h.failures()) == 2, what="the second failure event")
    assert len(recorded(out)) == 1


async def test_an_exit_code_is_a_failure_with_its_last_words(
    sim: Simulator, tmp_path: Path, stopping: list[Harness]
) -> None:
    script = "import sys; print('checking the pump'); print('pump offline', file=sys.stderr); "
    script += "sys.exit(3)"
    h = harness_for(
        sim, tmp_path, {Trigger.GRID_OUTAGE: ActionSpec((sys.executable, "-c", script))}
    )
    stopping.append(h)
    await h.read()
    sim.grid_down()
    await h.read()
    await until(lambda: h.failures(), what="the failure event")
    (run,) = h.service.runs
    assert (run.outcome, run.exit_code) == (Outcome.FAILED, 3)
    assert run.output == ("checking the pump", "pump offline")  # stdout and stderr, in order
    _, body = event_text(h.failures()[0])
    assert "ended with exit code 3. It said: pump offline" in body


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent's wait() is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


# The command ignores SIGTERM; the child it started does not.
STUBBORN = (
    "import signal, subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "open(sys.argv[1], 'w').write(f'{child.pid}')\n"
    "print('started', flush=True)\n"
    "time.sleep(600)\n"
)


async def test_a_command_past_its_timeout_is_stopped_with_everything_it_started(
    sim: Simulator, tmp_path: Path, stopping: list[Harness]
) -> None:
    h = harness_for(sim, tmp_path, {})
    stopping.append(h)
    pid_file = tmp_path / "child.pid"
    command = (sys.executable, "-c", STUBBORN, str(pid_file))
    test = asyncio.ensure_future(h.service.test(Trigger.GRID_OUTAGE, command, timeout_s=20.0))
    await until(lambda: pid_file.exists() and pid_file.read_text(), what="the command to start")
    await until(lambda: h.clock.next_deadline() == 20.0, what="the timeout to be set")
    child = int(pid_file.read_text())
    h.clock.advance(20)  # its timeout: SIGTERM to the group
    await until(lambda: not alive(child), what="the child to end on SIGTERM")
    assert not test.done()  # the command itself ignores SIGTERM ...
    await until(lambda: h.clock.next_deadline() == 5.0, what="the grace period")
    h.clock.advance(5)  # ... so it gets SIGKILL
    run = await asyncio.wait_for(test, 30)
    assert run.outcome is Outcome.TIMED_OUT
    assert run.output == ("started",)
    assert run_result(run) == "✖ still running after 20 s: stopped"


async def test_output_is_bounded_in_the_record_and_the_log(
    sim: Simulator, tmp_path: Path, stopping: list[Harness], app_log: Path
) -> None:
    h = harness_for(sim, tmp_path, {})
    stopping.append(h)
    script = (
        "for i in range(5000): print('line', i)\nprint('x' * 100_000)\nprint('the end', end='')"
    )
    run = await h.service.test(Trigger.GRID_RESTORED, (sys.executable, "-c", script))
    assert run.outcome is Outcome.OK
    assert len(run.output) == TAIL_LINES
    assert run.output[-1] == "the end"
    assert run.output[-2] == "x" * LINE_MAX + "…"
    assert run.output[0] == f"line {5000 - TAIL_LINES + 2}"
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = app_log.read_text()  # noqa: ASYNC240 - a test check
    logged = [line for line in text.splitlines() if "line " in line]
    assert len(logged) == LOG_LINES
    assert f"{5002 - LOG_LINES} more lines of output not logged" in text


async def test_the_listener_never_waits_for_a_command_and_quitting_stops_it(
    sim: Simulator, tmp_path: Path, stopping: list[Harness]
) -> None:
    pid_file = tmp_path / "pid"
    script = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(600)"
    slow = ActionSpec((sys.executable, "-c", script, str(pid_file)), 3600.0)
    h = harness_for(sim, tmp_path, {Trigger.GRID_OUTAGE: slow})
    await h.read()
    sim.grid_down()
    await h.read()  # returns while the command runs
    assert h.service.running(Trigger.GRID_OUTAGE)
    await until(lambda: pid_file.exists() and pid_file.read_text(), what="the command")
    await h.service.stop()  # pwtray quits
    assert not alive(int(pid_file.read_text()))
    assert [r.outcome for r in h.service.runs] == [Outcome.STOPPED]
    await h.site.stop()


async def test_a_second_occurrence_while_the_first_run_goes_on_is_recorded_not_run(
    sim: Simulator, tmp_path: Path, stopping: list[Harness]
) -> None:
    slow = ActionSpec((sys.executable, "-c", "import time; time.sleep(600)"), 3600.0)
    h = harness_for(sim, tmp_path, {Trigger.GRID_OUTAGE: slow})
    stopping.append(h)
    await h.read()
    sim.grid_down()
    await h.read()
    sim.grid_up()
    sim.advance(31)
    h.clock.advance(31)
    await h.read()
    sim.grid_down()
    await h.read()
    (skipped,) = h.service.runs
    assert skipped.outcome is Outcome.SKIPPED
    assert h.failures() == []  # nothing failed


# ---------------------------------------------------------------------- the record
async def test_every_run_is_kept_privately_and_read_back_next_time(
    sim: Simulator, tmp_path: Path, stopping: list[Harness]
) -> None:
    h = harness_for(sim, tmp_path, {})
    stopping.append(h)
    await h.service.test(Trigger.GRID_OUTAGE, (sys.executable, "-c", "print('hello')"))
    await h.service.test(Trigger.CHARGE_BELOW, (MISSING,))
    await h.service.stop()  # the writes finish
    path = tmp_path / "data" / "actions.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    later = ActionService(h.site, Supervisor(), ActionsConfig(), folder=tmp_path / "data")
    await later.load()
    assert [(r.trigger, r.outcome, r.output, r.test) for r in later.runs] == [
        (Trigger.GRID_OUTAGE, Outcome.OK, ("hello",), True),
        (Trigger.CHARGE_BELOW, Outcome.NOT_FOUND, (), True),
    ]


def test_the_record_file_stays_small_and_skips_what_it_cannot_read(tmp_path: Path) -> None:
    log_file = RunLog(tmp_path / "actions.jsonl", max_bytes=8192)
    for index in range(200):
        log_file.append(
            ActionRun(
                trigger=Trigger.GRID_OUTAGE,
                command=("x", str(index)),
                started_at=float(index),
                duration_s=0.1,
                outcome=Outcome.OK,
            )
        )
        assert log_file.path.stat().st_size <= 8192
    with log_file.path.open("a") as out:
        out.write("{not json\n")
    log_file.append(
        ActionRun(
            trigger=Trigger.GRID_OUTAGE,
            command=("x", "last"),
            started_at=1e9,
            duration_s=0.1,
            outcome=Outcome.OK,
        )
    )
    runs = log_file.load()
    assert runs[-1].command == ("x", "last")
    assert runs[-2].command == ("x", "199")
    assert len(runs) > 20  # compaction keeps the newest half, not just a line or two


# ---------------------------------------------------------------------- command lines
@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=12),
        min_size=1,
        max_size=5,
    )
)
def test_a_command_line_and_its_argument_list_round_trip(args: list[str]) -> None:
    assert split_command(join_command(args, windows=False), windows=False) == args


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_characters='\x00"'), max_size=12),
        min_size=1,
        max_size=5,
    )
)
def test_windows_command_lines_keep_backslashes(args: list[str]) -> None:
    assert split_command(join_command(args, windows=True), windows=True) == args
    assert split_command(r'"C:\Program Files\UPS\notify.exe" /q', windows=True) == [
        r"C:\Program Files\UPS\notify.exe",
        "/q",
    ]


def test_an_unclosed_quote_is_explained() -> None:
    with pytest.raises(ValueError, match="a quote is not closed"):
        split_command("notify-send 'grid down")


def test_the_triggers_are_the_settings_tables() -> None:
    assert tuple(t.value for t in Trigger) == ACTION_NAMES
