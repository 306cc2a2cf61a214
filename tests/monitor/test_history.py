"""History in a real SQLite file: retention, rollups, energy per day, outages, recovery, CSV."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import subprocess
from pathlib import Path

import pytest

from pwtray.gateway import GridState
from pwtray.monitor import (
    Connectivity,
    Counters,
    Event,
    EventKind,
    HistoryStore,
    HistoryUnavailableError,
    ReadTimes,
    Severity,
    Snapshot,
)
from pwtray.monitor._history import SCHEMA_VERSION
from tests.disks import fill_up

UTC = dt.UTC
DAY = 86_400
START = dt.datetime(2026, 3, 1, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def store(tmp_path: Path, clock: Clock) -> HistoryStore:
    return HistoryStore(tmp_path / "history.sqlite", clock=clock, tz=UTC)


def fill(history: HistoryStore, start: float, end: float, step: float) -> int:
    rows = []
    t = start
    while t < end:
        rows.append((t, 50.0 + (t % 3600) / 360, 100.0, -200.0, 900.0, 1000.0, 0))
        t += step
    history.add_samples(rows)
    return len(rows)


def test_retention_and_rollups(tmp_path: Path) -> None:
    clock = Clock(START + 100 * DAY)
    history = store(tmp_path, clock)
    fill(history, START, clock.now, 60)  # 100 days of one-minute readings
    history.maintain()
    counts = history.counts()
    assert counts["samples"] == 7 * 24 * 60  # raw: the last 7 days only
    # The last two minutes are not rolled up yet: a late reading may still join them.
    assert counts["minute"] == 90 * 24 * 60 - 2  # 1-minute rollups: 90 days
    assert counts["quarter"] == 100 * 24 * 4 - 1  # 15-minute rollups: everything
    assert counts["hour"] == 100 * 24 - 1
    clock.now += 3600
    history.maintain()
    assert history.counts()["quarter"] == 100 * 24 * 4
    assert history.counts()["hour"] == 100 * 24
    # The rollups hold the averages of what they replaced.
    old = history.series(START, START + 900, max_points=None)
    assert len(old) == 1
    assert old[0].soe == pytest.approx(50 + (450 - 30 + 30) / 360, abs=0.2)
    history.close()


def test_a_reading_stored_late_still_counts_in_its_minute(tmp_path: Path) -> None:
    clock = Clock(START + 600)
    history = store(tmp_path, clock)
    history.add_sample(START + 540, soe=50, site_w=0, battery_w=0, load_w=0, solar_w=0)
    history.maintain()
    # Stamped when the meters were read, stored after the maintenance run.
    history.add_sample(START + 570, soe=60, site_w=0, battery_w=0, load_w=0, solar_w=0)
    clock.now += 600
    history.maintain()
    (minute,) = history.series(START + 540, START + 600, max_points=2)  # from the rollup
    assert minute.soe == 55
    history.close()


def test_queries_are_bounded_for_any_span(tmp_path: Path) -> None:
    clock = Clock(START + 30 * DAY)
    history = store(tmp_path, clock)
    fill(history, START, clock.now, 5)
    history.maintain()
    for span in (3600, DAY, 7 * DAY, 30 * DAY):
        points = history.series(clock.now - span, clock.now)
        assert 0 < len(points) <= 2000, span
        assert points == sorted(points, key=lambda p: p.ts)
    hour = history.series(clock.now - 3600, clock.now)
    assert len(hour) == 720  # an hour of 5-second readings fits: nothing averaged away
    history.close()


def test_the_readings_not_yet_rolled_up_are_in_every_range(tmp_path: Path) -> None:
    """A history four minutes old (its minutes not rolled up yet) shows at the 24-hour and the
    12-month range alike, and an older one shows up to the last reading, not minutes short."""
    clock = Clock(START + 240)
    history = store(tmp_path, clock)
    fill(history, START, clock.now, 5)
    history.maintain()
    assert history.first_reading() == START
    for span in (DAY, 365 * DAY):
        points = history.series(clock.now - span, clock.now, max_points=200)
        assert points, span
        assert points[0].ts >= START
        assert points[-1].ts > clock.now - span / 200 - 5  # the last bucket holds the last reading
    clock.now = START + 3 * DAY
    fill(history, START + 240, clock.now, 5)
    history.maintain()
    day = history.series(clock.now - DAY, clock.now, max_points=1441)  # buckets of 60 s
    assert day[-1].ts >= clock.now - 60  # the minutes after the last rollup are there too
    assert len(day) == 1440  # one point a minute: nothing counted twice at the seam
    export = history.series(clock.now - 600, clock.now, max_points=None)
    assert [p.ts for p in export] == sorted({p.ts for p in export})
    assert export[-1].ts == clock.now - 5
    history.close()


def test_energy_per_day_is_the_difference_of_the_counters(tmp_path: Path) -> None:
    clock = Clock(START + 3 * DAY)
    history = store(tmp_path, clock)
    readings = [
        (START + 10, (100.0, 10.0, 50.0, 40.0, 500.0, 300.0)),
        (START + DAY - 10, (110.0, 15.0, 58.0, 49.0, 530.0, 320.0)),  # last of day 1
        (START + DAY + 10, (111.0, 15.0, 58.0, 49.5, 531.0, 320.0)),
        (START + 2 * DAY - 10, (130.0, 19.0, 70.0, 60.0, 580.0, 360.0)),  # last of day 2
    ]
    for ts, counters in readings:
        history.add_sample(
            ts, soe=50, site_w=0, battery_w=0, load_w=0, solar_w=0, counters=counters
        )
    days = history.daily_energy(dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert [d.day for d in days] == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    first, second = days
    assert (first.grid_import_wh, first.grid_export_wh) == (10, 5)  # within the first day
    assert (first.battery_charge_wh, first.battery_discharge_wh) == (8, 9)
    assert (first.home_wh, first.solar_wh) == (30, 20)
    # The second day starts where the first ended, so no energy falls between the days.
    assert (second.grid_import_wh, second.home_wh, second.solar_wh) == (20, 50, 40)
    assert second.self_powered_share == pytest.approx(1 - 20 / 50)
    out = io.StringIO()
    assert history.export_daily_csv(out, dt.date(2026, 3, 1), dt.date(2026, 3, 2)) == 2
    assert out.getvalue().splitlines()[2] == "2026-03-02,0.040,0.050,0.020,0.004,0.012,0.011"
    history.close()


def test_a_counter_reset_never_gives_negative_energy(tmp_path: Path) -> None:
    history = store(tmp_path, Clock(START + DAY))
    history.add_sample(
        START + 10, soe=1, site_w=0, battery_w=0, load_w=0, solar_w=0, counters=(1000.0,) * 6
    )
    history.add_sample(
        START + 20, soe=1, site_w=0, battery_w=0, load_w=0, solar_w=0, counters=(5.0,) * 6
    )
    (day,) = history.daily_energy(dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert day.home_wh == 0
    history.close()


def live(t: float) -> Snapshot:
    """An ordinary live reading at ``t``, grid up."""
    return snapshot(t, 60, GridState.CONNECTED, 1000 + t % 1000, 5000 + t % 1000)


def snapshot(t: float, soe: float, grid: GridState, discharged: float, load: float) -> Snapshot:
    return Snapshot(
        taken_at=t,
        connectivity=Connectivity.ONLINE,
        soe_percent=soe,
        grid=grid,
        site_w=0,
        battery_w=800,
        load_w=800,
        solar_w=0,
        counters=Counters(0, 0, 0, discharged, load, 0),
        read_at=ReadTimes(meters=t),
    )


def test_the_outage_log(tmp_path: Path) -> None:
    clock = Clock(START)
    history = store(tmp_path, clock)
    down = snapshot(START, 80, GridState.ISLANDED, 1000, 5000)
    history.record(
        down,
        [Event(EventKind.GRID_OUTAGE, Severity.CRITICAL, START, {"started_at": START})],
    )
    history.record(snapshot(START + 1800, 71, GridState.ISLANDED, 1900, 5950), [])
    history.close()
    history = store(tmp_path, clock)  # pwtray restarted during the outage
    history.record(down, [Event(EventKind.GRID_OUTAGE, Severity.CRITICAL, START + 1900)])
    up = snapshot(START + 3600, 64, GridState.CONNECTED, 2600, 6700)
    history.record(up, [Event(EventKind.GRID_RESTORED, Severity.INFO, START + 3600)])
    (outage,) = history.outages()
    assert outage.start == START
    assert outage.duration_s == 3600
    assert outage.lowest_soe == 64
    assert outage.energy_used_wh == 1700
    assert outage.battery_supplied_wh == 1600
    out = io.StringIO()
    assert history.export_outages_csv(out) == 1
    assert out.getvalue().splitlines() == [
        "start,end,duration_min,lowest_soe_percent,home_kwh,battery_kwh,source",
        "2026-03-01T00:00:00+00:00,2026-03-01T01:00:00+00:00,60.0,64,1.700,1.600,watched",
    ]
    history.close()


def test_a_corrupt_file_is_moved_aside_and_a_fresh_history_starts(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    history = HistoryStore(path, clock=Clock(START), tz=UTC)
    assert history.recovered is not None
    assert "damaged" in history.recovered
    assert "new history was started" in history.recovered
    aside = [p for p in tmp_path.iterdir() if ".broken-" in p.name]
    assert len(aside) == 1
    assert aside[0].read_bytes().startswith(b"this is not a database")  # nothing lost
    history.add_sample(START, soe=1, site_w=0, battery_w=0, load_w=0, solar_w=0)
    assert history.counts()["samples"] == 1
    history.close()


def test_a_file_another_program_holds_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE x (y)").connection.commit()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryUnavailableError, match="another program is using it"):
            HistoryStore(path, clock=Clock(START), tz=UTC)
        assert not [p for p in tmp_path.iterdir() if ".broken-" in p.name]  # not "damaged"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_full_disk_at_start_keeps_the_history_and_says_why(small_disk: Path) -> None:
    path = small_disk / "history.sqlite"
    clock = Clock(START)
    history = HistoryStore(path, clock=clock, tz=UTC)
    fill(history, START, START + 600, 5)
    history.close()
    for extra in small_disk.glob("history.sqlite-*"):
        extra.unlink()  # a clean shutdown: the next start must create them again
    fill_up(small_disk)
    with pytest.raises(HistoryUnavailableError, match="disk is full"):
        HistoryStore(path, clock=clock, tz=UTC)
    assert not [p for p in small_disk.iterdir() if ".broken-" in p.name]  # never "damaged"
    (small_disk / "filler").unlink()  # space freed: the same history opens, all there
    again = HistoryStore(path, clock=clock, tz=UTC)
    assert again.counts()["samples"] == 120
    again.close()


def test_a_disk_that_fills_up_later_is_told_once_and_recording_resumes(small_disk: Path) -> None:
    clock = Clock(START)
    history = HistoryStore(small_disk / "history.sqlite", clock=clock, tz=UTC)
    told: list[str | None] = []
    history.on_problem = told.append
    fill_up(small_disk)
    for i in range(200):  # a few minutes of polling on a full disk
        clock.now = START + 5 * i
        history.record(live(START + 5 * i), [])
    assert len(told) == 1
    assert told[0] is not None
    assert "disk is full" in told[0]
    (small_disk / "filler").unlink()
    history.record(live(START + 2000), [])
    assert told == [told[0], None]  # and "recorded again" once
    history.close()


def test_a_read_only_folder_keeps_the_history_and_says_why(small_disk: Path) -> None:
    path = small_disk / "history.sqlite"
    history = HistoryStore(path, clock=Clock(START), tz=UTC)
    history.close()
    for extra in small_disk.glob("history.sqlite-*"):
        extra.unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(HistoryUnavailableError, match=r"cannot be written|cannot be opened"):
        HistoryStore(path, clock=Clock(START), tz=UTC)
    assert path.exists()


def test_reopening_keeps_everything_and_the_schema_version(tmp_path: Path) -> None:
    clock = Clock(START + DAY)
    history = store(tmp_path, clock)
    fill(history, START, START + 3600, 5)
    history.close()
    again = store(tmp_path, clock)
    assert again.counts()["samples"] == 720
    version = again._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),)
    assert again.recovered is None
    again.close()


def test_a_version_1_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    db = sqlite3.connect(path)
    from pwtray.monitor._history import MIGRATIONS

    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute("INSERT INTO quarter VALUES (?, 180, 55, 50, 1, 2, 3, 4, 0)", (START,))
    db.commit()
    db.close()
    history = HistoryStore(path, clock=Clock(START + 7200), tz=UTC)
    assert history.recovered is None
    history.maintain()
    assert history.counts()["hour"] == 1  # the new table was created and filled from the old
    history.close()


def test_a_newer_schema_is_not_overwritten_in_place(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    db.commit()
    db.close()
    history = HistoryStore(path, clock=Clock(START), tz=UTC)
    assert history.recovered is not None
    assert any(".broken-" in p.name for p in tmp_path.iterdir())
    history.close()


def test_samples_csv_holds_what_the_store_holds(tmp_path: Path) -> None:
    clock = Clock(START + 3600)
    history = store(tmp_path, clock)
    fill(history, START, START + 600, 5)
    out = io.StringIO()
    assert history.export_samples_csv(out, START, START + 600) == 120
    lines = out.getvalue().splitlines()
    assert lines[0] == "time,soe_percent,grid_w,battery_w,home_w,solar_w,off_grid"
    assert lines[1] == "2026-03-01T00:00:00+00:00,50,100,-200,900,1000,0"
    history.close()
