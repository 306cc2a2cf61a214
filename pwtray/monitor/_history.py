"""History in SQLite: samples, rollups, energy per day, outages — bounded queries, CSV export.

* ``samples``: every fast reading, kept 7 days; ``minute``: 1-minute averages, kept 90 days;
  ``quarter`` (15-minute) and ``hour`` averages, kept for good. Rollups are made as time passes.
* Energy per day comes from the meters' lifetime counters (last reading of the day minus last
  reading of the day before), never from integrating samples.
* ``series()`` picks the coarsest table that still resolves the requested span and groups it
  into at most ``max_points`` buckets, so a year costs what a day costs.
* A damaged file (not a database, corrupt, or from a newer pwtray) is moved aside, the reason
  kept in ``recovered``, and a fresh database is started. A history that cannot be used *now* —
  the disk is full, the folder is read-only, another program holds it — is not damaged: the
  file is left alone and ``HistoryUnavailableError`` says why (the app monitors without history
  and tries again later).
* A write that fails (a full disk later on) is told once through ``on_problem`` and the sample is
  dropped; monitoring never stops for it. The next write that works says so.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import logging
import math
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from pwtray.kinds import EventKind
from pwtray.monitor._events import Event
from pwtray.monitor._snapshot import Connectivity, Snapshot

log = logging.getLogger(__name__)

DAY_S = 86_400
MIGRATIONS: list[list[str]] = [
    [  # 1: the first schema
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE samples (
            ts REAL PRIMARY KEY, soe REAL, site_w REAL, battery_w REAL, load_w REAL,
            solar_w REAL, off_grid INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID""",
        """CREATE TABLE minute (
            ts INTEGER PRIMARY KEY, n INTEGER NOT NULL, soe REAL, soe_min REAL, site_w REAL,
            battery_w REAL, load_w REAL, solar_w REAL, off_grid REAL) WITHOUT ROWID""",
        """CREATE TABLE quarter (
            ts INTEGER PRIMARY KEY, n INTEGER NOT NULL, soe REAL, soe_min REAL, site_w REAL,
            battery_w REAL, load_w REAL, solar_w REAL, off_grid REAL) WITHOUT ROWID""",
        """CREATE TABLE counters (
            day TEXT PRIMARY KEY, first_ts REAL, last_ts REAL,
            first_site_imp REAL, first_site_exp REAL, first_bat_imp REAL, first_bat_exp REAL,
            first_load_imp REAL, first_solar_exp REAL,
            last_site_imp REAL, last_site_exp REAL, last_bat_imp REAL, last_bat_exp REAL,
            last_load_imp REAL, last_solar_exp REAL)""",
        """CREATE TABLE outages (
            id INTEGER PRIMARY KEY, start REAL NOT NULL, "end" REAL, lowest_soe REAL,
            start_load_wh REAL, end_load_wh REAL, start_discharged_wh REAL,
            end_discharged_wh REAL)""",
    ],
    [  # 2: hourly rollups, so a year-long chart groups 8 760 rows instead of 35 040
        """CREATE TABLE hour (
            ts INTEGER PRIMARY KEY, n INTEGER NOT NULL, soe REAL, soe_min REAL, site_w REAL,
            battery_w REAL, load_w REAL, solar_w REAL, off_grid REAL) WITHOUT ROWID""",
    ],
    [  # 3: outages pwtray did not watch itself (told by Tesla's cloud while it was not running)
        "ALTER TABLE outages ADD COLUMN source TEXT NOT NULL DEFAULT 'watched'",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)
ROLL_GRACE_S = 120.0
COUNTER_FIELDS = ("site_imp", "site_exp", "bat_imp", "bat_exp", "load_imp", "solar_exp")
SERIES_COLUMNS = "soe, site_w, battery_w, load_w, solar_w, off_grid"
TABLES = (("hour", 3600), ("quarter", 900), ("minute", 60), ("samples", 0))  # coarse to fine


class HistoryUnavailableError(Exception):
    """The history cannot be used now; nothing was changed on disk. ``reason`` is for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _DamagedError(sqlite3.DatabaseError):
    """A database that opens but is not one pwtray can use (quick_check, newer schema)."""


DAMAGED_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


FULL_BELOW_BYTES = 256 * 1024  # SQLite says only "disk I/O error" when it cannot grow a file


def _reason(exc: BaseException, folder: Path | None = None) -> str:
    """Why SQLite (or the file system) refused, in words."""
    code = getattr(exc, "sqlite_errorcode", None)
    errno_ = getattr(exc, "errno", None)
    if code == sqlite3.SQLITE_FULL or errno_ == errno.ENOSPC:
        return "the disk is full"
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM) or errno_ in (
        errno.EACCES,
        errno.EROFS,
    ):
        return "its folder cannot be written to"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return "another program is using it"
    if _read_only(folder):
        return "its folder cannot be written to"
    if _nearly_full(folder):
        return "the disk is full"
    if code == sqlite3.SQLITE_CANTOPEN:
        return "the file cannot be opened"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _read_only(folder: Path | None) -> bool:
    try:
        return folder is not None and bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _nearly_full(folder: Path | None) -> bool:
    try:
        return folder is not None and shutil.disk_usage(folder).free < FULL_BELOW_BYTES
    except OSError:
        return False


@dataclass(frozen=True)
class Retention:
    raw_s: float = 7 * DAY_S
    minute_s: float = 90 * DAY_S


class PastReading(Protocol):
    """One reading from elsewhere (``import_history``): powers in W, charge on the app's
    scale, the six lifetime counters in Wh. Read-only, so frozen dataclasses fit."""

    @property
    def timestamp(self) -> float: ...

    @property
    def soe_percent(self) -> float: ...

    @property
    def site_w(self) -> float: ...

    @property
    def battery_w(self) -> float: ...

    @property
    def load_w(self) -> float: ...

    @property
    def solar_w(self) -> float: ...

    @property
    def off_grid(self) -> bool: ...

    @property
    def site_imported_wh(self) -> float: ...

    @property
    def site_exported_wh(self) -> float: ...

    @property
    def battery_imported_wh(self) -> float: ...

    @property
    def battery_exported_wh(self) -> float: ...

    @property
    def load_imported_wh(self) -> float: ...

    @property
    def solar_exported_wh(self) -> float: ...


@dataclass(frozen=True)
class Point:
    ts: float
    soe: float | None
    site_w: float | None
    battery_w: float | None
    load_w: float | None
    solar_w: float | None
    off_grid: float  # share of the bucket spent off grid, 0..1


@dataclass(frozen=True)
class DailyEnergy:
    day: dt.date
    solar_wh: float
    home_wh: float
    grid_import_wh: float
    grid_export_wh: float
    battery_charge_wh: float
    battery_discharge_wh: float

    @property
    def self_powered_share(self) -> float | None:
        """Share of the home's energy not taken from the grid."""
        if self.home_wh <= 0:
            return None
        return max(0.0, min(1.0, 1.0 - self.grid_import_wh / self.home_wh))


@dataclass(frozen=True)
class Outage:
    start: float
    end: float | None
    lowest_soe: float | None
    energy_used_wh: float | None  # what the home used during the outage
    battery_supplied_wh: float | None
    source: str = "watched"  # "watched" by pwtray, or "cloud": told by Tesla afterwards

    @property
    def watched(self) -> bool:
        return self.source == "watched"

    @property
    def duration_s(self) -> float | None:
        return None if self.end is None else self.end - self.start


class HistoryStore:
    """The history database. Not thread-safe: use it from the event loop's thread."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float] = time.time,
        retention: Retention = Retention(),
        tz: dt.tzinfo | None = None,
    ) -> None:
        self.path = path
        self.retention = retention
        self.recovered: str | None = None
        self.problem: str | None = None  # why writes fail now (None: they work)
        self.on_problem: Callable[[str | None], None] | None = None  # told on each change
        self._clock = clock
        self._tz = tz
        self._last_maintain = 0.0
        self._open_outage: int | None = None
        self._db = self._open()

    # ------------------------------------------------------------------ opening
    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            return self._connect()
        except sqlite3.DatabaseError as exc:
            damaged = isinstance(exc, _DamagedError) or exc.sqlite_errorcode in DAMAGED_CODES
            if not damaged:
                raise HistoryUnavailableError(_reason(exc, self.path.parent)) from exc
        except OSError as exc:
            raise HistoryUnavailableError(_reason(exc, self.path.parent)) from exc
        try:
            aside = self._move_aside()
            self.recovered = (
                f"The history database could not be used (it is damaged or from a newer "
                f"pwtray). It was moved to {aside.name} and a new history was started."
            )
            log.warning("%s", self.recovered)
            return self._connect()
        except (sqlite3.Error, OSError) as exc:
            raise HistoryUnavailableError(_reason(exc, self.path.parent)) from exc

    def _connect(self) -> sqlite3.Connection:
        # Opened in a worker thread at start-up, then used from the event loop only.
        db = sqlite3.connect(self.path, timeout=1.0, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise _DamagedError(f"quick_check: {check}")
            self._migrate(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        row = db.execute(
            'SELECT id FROM outages WHERE "end" IS NULL ORDER BY start DESC'
        ).fetchone()
        self._open_outage = row[0] if row else None
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise _DamagedError(f"schema {version} is newer than this pwtray knows")
        for number in range(version, SCHEMA_VERSION):
            with _transaction(db):
                for statement in MIGRATIONS[number]:
                    db.execute(statement)
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(number + 1),)
                )

    def _move_aside(self) -> Path:
        stamp = dt.datetime.fromtimestamp(self._clock()).astimezone().strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(self.path) + suffix)
            if source.exists():
                source.replace(Path(str(aside) + suffix))
        return aside

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.maintain()
            self._db.execute("PRAGMA optimize")
        self._db.close()

    # ------------------------------------------------------------------ writing
    def record(self, snapshot: Snapshot, events: list[Event]) -> None:
        """Store a live snapshot and any outage events (the poller's HistorySink). A write that
        fails is told once (``on_problem``) and dropped; it never raises."""
        try:
            self._record(snapshot, events)
        except (sqlite3.Error, OSError) as exc:
            reason = _reason(exc, self.path.parent)
            self._set_problem(f"pwtray cannot write its history: {reason}.", exc)
        else:
            self._set_problem(None)

    def _set_problem(self, problem: str | None, exc: BaseException | None = None) -> None:
        if problem == self.problem:
            return
        self.problem = problem
        if problem is None:
            log.info("history is recorded again")
        else:
            log.warning("%s (%s)", problem, exc)
        if self.on_problem is not None:
            self.on_problem(problem)

    def _record(self, snapshot: Snapshot, events: list[Event]) -> None:
        for event in events:
            if event.kind is EventKind.GRID_OUTAGE:
                self._outage_started(float(event.data.get("started_at", event.at)), snapshot)
            elif event.kind is EventKind.GRID_RESTORED:
                self._outage_ended(event.at, snapshot)
        if snapshot.connectivity is not Connectivity.ONLINE or snapshot.soe_percent is None:
            return
        read_at = snapshot.read_at.meters or snapshot.taken_at
        self.add_sample(
            read_at,
            soe=snapshot.soe_percent,
            site_w=snapshot.site_w,
            battery_w=snapshot.battery_w,
            load_w=snapshot.load_w,
            solar_w=snapshot.solar_w,
            off_grid=snapshot.off_grid,
            counters=None
            if snapshot.counters is None
            else (
                snapshot.counters.site_imported_wh,
                snapshot.counters.site_exported_wh,
                snapshot.counters.battery_imported_wh,
                snapshot.counters.battery_exported_wh,
                snapshot.counters.load_imported_wh,
                snapshot.counters.solar_exported_wh,
            ),
        )
        if self._open_outage is not None:
            self._db.execute(
                "UPDATE outages SET lowest_soe = min(coalesce(lowest_soe, ?), ?) WHERE id = ?",
                (snapshot.soe_percent, snapshot.soe_percent, self._open_outage),
            )
        if self._clock() - self._last_maintain >= 60:
            self.maintain()

    def add_sample(
        self,
        ts: float,
        *,
        soe: float | None,
        site_w: float | None,
        battery_w: float | None,
        load_w: float | None,
        solar_w: float | None,
        off_grid: bool = False,
        counters: tuple[float, float, float, float, float, float] | None = None,
    ) -> None:
        with _transaction(self._db):
            self._db.execute(
                "INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ts, soe, site_w, battery_w, load_w, solar_w, int(off_grid)),
            )
            if counters is not None:
                day = self._day(ts).isoformat()
                self._db.execute(
                    f"""INSERT INTO counters VALUES (?, ?, ?, {", ".join("?" * 12)})
                        ON CONFLICT(day) DO UPDATE SET last_ts = excluded.last_ts,
                        {", ".join(f"last_{f} = excluded.last_{f}" for f in COUNTER_FIELDS)}""",  # noqa: S608 - fixed names
                    (day, ts, ts, *counters, *counters),
                )

    def import_history(self, rows: Iterable[PastReading]) -> int:
        """Fill the store with readings from elsewhere (the demo's simulated week): samples,
        the counters of each day, and an outage for every stretch off grid. Returns the count."""
        count, outage_start = 0, None
        with _transaction(self._db):
            for row in rows:
                count += 1
                counters = (
                    row.site_imported_wh,
                    row.site_exported_wh,
                    row.battery_imported_wh,
                    row.battery_exported_wh,
                    row.load_imported_wh,
                    row.solar_exported_wh,
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        row.timestamp,
                        row.soe_percent,
                        row.site_w,
                        row.battery_w,
                        row.load_w,
                        row.solar_w,
                        int(row.off_grid),
                    ),
                )
                self._db.execute(
                    f"""INSERT INTO counters VALUES (?, ?, ?, {", ".join("?" * 12)})
                        ON CONFLICT(day) DO UPDATE SET last_ts = excluded.last_ts,
                        {", ".join(f"last_{f} = excluded.last_{f}" for f in COUNTER_FIELDS)}""",  # noqa: S608 - fixed names
                    (
                        self._day(row.timestamp).isoformat(),
                        row.timestamp,
                        row.timestamp,
                        *counters,
                        *counters,
                    ),
                )
                if row.off_grid and outage_start is None:
                    outage_start = row
                    lowest = row.soe_percent
                elif row.off_grid:
                    lowest = min(lowest, row.soe_percent)
                elif outage_start is not None:
                    self._db.execute(
                        'INSERT INTO outages (start, "end", lowest_soe, start_load_wh, '
                        "end_load_wh, start_discharged_wh, end_discharged_wh) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            outage_start.timestamp,
                            row.timestamp,
                            lowest,
                            outage_start.load_imported_wh,
                            row.load_imported_wh,
                            outage_start.battery_exported_wh,
                            row.battery_exported_wh,
                        ),
                    )
                    outage_start = None
        self.maintain()
        return count

    def add_samples(
        self, rows: Iterable[tuple[float, float, float, float, float, float, int]]
    ) -> None:
        """Bulk insert (ts, soe, site_w, battery_w, load_w, solar_w, off_grid) — imports, tests."""
        with _transaction(self._db):
            self._db.executemany(
                "INSERT OR REPLACE INTO samples VALUES (?, ?, ?, ?, ?, ?, ?)", rows
            )

    def _outage_started(self, start: float, snapshot: Snapshot) -> None:
        if self._open_outage is not None:
            return  # pwtray restarted during an outage: the same outage goes on
        counters = snapshot.counters
        cursor = self._db.execute(
            "INSERT INTO outages (start, lowest_soe, start_load_wh, start_discharged_wh) "
            "VALUES (?, ?, ?, ?)",
            (
                start,
                snapshot.soe_percent,
                counters.load_imported_wh if counters else None,
                counters.battery_exported_wh if counters else None,
            ),
        )
        self._open_outage = cursor.lastrowid

    def _outage_ended(self, end: float, snapshot: Snapshot) -> None:
        if self._open_outage is None:
            return
        counters = snapshot.counters
        # The reading at the restore is the last one the battery carried: it counts for the low.
        self._db.execute(
            'UPDATE outages SET "end" = ?, end_load_wh = ?, end_discharged_wh = ?, '
            "lowest_soe = min(coalesce(lowest_soe, ?), coalesce(?, lowest_soe)) WHERE id = ?",
            (
                end,
                counters.load_imported_wh if counters else None,
                counters.battery_exported_wh if counters else None,
                snapshot.soe_percent,
                snapshot.soe_percent,
                self._open_outage,
            ),
        )
        self._open_outage = None

    # ------------------------------------------------------------------ rollups and retention
    def maintain(self, now: float | None = None) -> None:
        """Roll finished minutes and quarter hours up, and drop what retention no longer keeps."""
        now = self._clock() if now is None else now
        self._last_maintain = now
        # A reading is stamped when the meters were read and stored a moment later: rolling up
        # only what is ROLL_GRACE_S old keeps a late reading from missing its minute for good.
        settled = now - ROLL_GRACE_S
        with _transaction(self._db):
            self._roll("samples", "minute", 60, settled)
            self._roll("minute", "quarter", 900, settled)
            self._roll("quarter", "hour", 3600, settled)
            self._db.execute("DELETE FROM samples WHERE ts < ?", (now - self.retention.raw_s,))
            self._db.execute("DELETE FROM minute WHERE ts < ?", (now - self.retention.minute_s,))

    def _roll(self, source: str, target: str, size: int, now: float) -> None:
        key = f"rolled_{target}"
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        start = float(row[0]) if row else 0.0
        end = math.floor(now / size) * size
        if end <= start:
            return
        if source == "samples":
            select = f"""SELECT CAST(ts / {size} AS INTEGER) * {size}, count(*), avg(soe), min(soe),
                avg(site_w), avg(battery_w), avg(load_w), avg(solar_w), avg(off_grid)
                FROM samples WHERE ts >= ? AND ts < ? GROUP BY 1"""  # noqa: S608 - fixed names
        else:
            select = f"""SELECT CAST(ts / {size} AS INTEGER) * {size}, sum(n),
                sum(soe * n) / sum(n), min(soe_min), sum(site_w * n) / sum(n),
                sum(battery_w * n) / sum(n), sum(load_w * n) / sum(n), sum(solar_w * n) / sum(n),
                sum(off_grid * n) / sum(n)
                FROM {source} WHERE ts >= ? AND ts < ? GROUP BY 1"""  # noqa: S608 - fixed names
        self._db.execute(f"INSERT OR REPLACE INTO {target} {select}", (start, end))
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(end)))

    # ------------------------------------------------------------------ reading
    def series(self, start: float, end: float, max_points: int | None = 2000) -> list[Point]:
        """Readings from ``start`` to ``end``: at most ``max_points`` averaged buckets.

        A rollup holds only the periods already rolled up (a minute is rolled up a couple of
        minutes after it ends): the readings after that come from the finer tables, so the
        last minutes — and all of a history only minutes old — are there at every range.
        """
        if end <= start:
            return []
        now = self._clock()
        kept_from = {"minute": now - self.retention.minute_s, "samples": now - self.retention.raw_s}
        bucket = (end - start) / max(1, max_points - 1) if max_points else 0.0
        covering = [t for t in TABLES if kept_from.get(t[0], -math.inf) <= start] or [TABLES[0]]
        usable = [t for t in covering if t[1] <= bucket]
        name, resolution = usable[0] if usable else covering[-1]
        parts = self._parts(name, start, end)
        union = " UNION ALL ".join(
            f"SELECT ts, {SERIES_COLUMNS} FROM {table} WHERE ts >= ? AND ts < ?"  # noqa: S608
            for table, _, _ in parts
        )
        params = [bound for _, lo, hi in parts for bound in (lo, hi)]
        if max_points is None:
            rows = self._db.execute(f"SELECT * FROM ({union}) ORDER BY ts", params).fetchall()  # noqa: S608
        else:
            size = max(bucket, resolution, 1.0)
            rows = self._db.execute(
                f"""SELECT CAST((ts - ?) / ? AS INTEGER) AS b, min(ts), avg(soe), avg(site_w),
                    avg(battery_w), avg(load_w), avg(solar_w), avg(off_grid)
                    FROM ({union}) GROUP BY b ORDER BY b""",  # noqa: S608
                (start, size, *params),
            ).fetchall()
            rows = [row[1:] for row in rows]
        return [Point(r[0], r[1], r[2], r[3], r[4], r[5], float(r[6] or 0.0)) for r in rows]

    def _parts(self, table: str, start: float, end: float) -> list[tuple[str, float, float]]:
        """``table`` up to where it has been rolled up, then each finer table for what follows."""
        parts = []
        low = start
        for name, _ in TABLES[[t[0] for t in TABLES].index(table) :]:
            edge = math.inf if name == "samples" else self._rolled_until(name)
            if min(end, edge) > low:
                parts.append((name, low, min(end, edge)))
            low = max(low, edge)
            if low >= end:
                break
        return parts or [(table, start, end)]

    def _rolled_until(self, table: str) -> float:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (f"rolled_{table}",))
        found = row.fetchone()
        return float(found[0]) if found else 0.0

    def first_reading(self) -> float | None:
        """When the history begins: the oldest reading kept, as closely as its tables tell.

        A rollup row is stamped with the start of its period, so each finer table that still
        holds the beginning (its oldest row falls in the coarser one's first period) narrows it.
        """
        first: float | None = None
        width = 0.0
        for table, size in TABLES:
            row = self._db.execute(f"SELECT min(ts) FROM {table}").fetchone()  # noqa: S608
            if row is None or row[0] is None:
                continue
            oldest = float(row[0])
            if first is None or oldest < first + width:
                first, width = oldest, float(size)
        return first

    def daily_energy(self, first: dt.date, last: dt.date) -> list[DailyEnergy]:
        """Energy per local day from the counters: last of the day minus last of the day before."""
        rows = self._db.execute(
            "SELECT * FROM counters WHERE day >= ? AND day <= ? ORDER BY day",
            ((first - dt.timedelta(days=1)).isoformat(), last.isoformat()),
        ).fetchall()
        days = {dt.date.fromisoformat(row[0]): row for row in rows}
        result = []
        for day, row in sorted(days.items()):
            if day < first:
                continue
            before = days.get(day - dt.timedelta(days=1))
            start = before[9:15] if before else row[3:9]
            end = row[9:15]
            diff = [max(0.0, e - s) for s, e in zip(start, end, strict=True)]
            result.append(
                DailyEnergy(
                    day=day,
                    solar_wh=diff[5],
                    home_wh=diff[4],
                    grid_import_wh=diff[0],
                    grid_export_wh=diff[1],
                    battery_charge_wh=diff[2],
                    battery_discharge_wh=diff[3],
                )
            )
        return result

    def outages(self, start: float = 0.0, end: float = math.inf) -> list[Outage]:
        rows = self._db.execute(
            'SELECT start, "end", lowest_soe, start_load_wh, end_load_wh, start_discharged_wh, '
            'end_discharged_wh, source FROM outages WHERE coalesce("end", ?) >= ? AND start < ? '
            "ORDER BY start",
            (math.inf if end == math.inf else end, start, end),
        ).fetchall()
        return [
            Outage(
                start=row[0],
                end=row[1],
                lowest_soe=row[2],
                energy_used_wh=None if row[3] is None or row[4] is None else row[4] - row[3],
                battery_supplied_wh=None if row[5] is None or row[6] is None else row[6] - row[5],
                source=row[7],
            )
            for row in rows
        ]

    def add_unwatched_outage(self, start: float, end: float) -> bool:
        """An outage pwtray did not see (it was not running), as Tesla's cloud tells it; kept
        unless it overlaps one already in the log. True if it was added."""
        overlap = self._db.execute(
            'SELECT 1 FROM outages WHERE start < ? AND coalesce("end", ?) > ?', (end, end, start)
        ).fetchone()
        if overlap is not None:
            return False
        self._db.execute(
            "INSERT INTO outages (start, \"end\", source) VALUES (?, ?, 'cloud')", (start, end)
        )
        return True

    def last_reading_at(self) -> float | None:
        """When the newest reading was stored (None: the history is empty)."""
        row = self._db.execute("SELECT max(ts) FROM samples").fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def grid_since(self) -> tuple[float | None, float | None]:
        """(start of the outage still open in the log, end of the last finished one)."""
        row = self._db.execute('SELECT start, "end" FROM outages ORDER BY start DESC').fetchone()
        if row is None:
            return None, None
        return (float(row[0]), None) if row[1] is None else (None, float(row[1]))

    def counts(self) -> dict[str, int]:
        return {
            table: int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
            for table in ("samples", "minute", "quarter", "hour", "counters", "outages")
        }

    # ------------------------------------------------------------------ export
    def export_samples_csv(self, out: IO[str], start: float, end: float) -> int:
        """Every stored reading in the range at the finest resolution kept; returns rows."""
        writer = csv.writer(out)
        writer.writerow(
            ["time", "soe_percent", "grid_w", "battery_w", "home_w", "solar_w", "off_grid"]
        )
        points = self.series(start, end, max_points=None)
        for p in points:
            writer.writerow(
                [
                    self._iso(p.ts),
                    _fmt(p.soe),
                    _fmt(p.site_w),
                    _fmt(p.battery_w),
                    _fmt(p.load_w),
                    _fmt(p.solar_w),
                    _fmt(p.off_grid),
                ]
            )
        return len(points)

    def export_daily_csv(self, out: IO[str], first: dt.date, last: dt.date) -> int:
        writer = csv.writer(out)
        writer.writerow(
            [
                "day",
                "solar_kwh",
                "home_kwh",
                "grid_import_kwh",
                "grid_export_kwh",
                "battery_charge_kwh",
                "battery_discharge_kwh",
            ]
        )
        days = self.daily_energy(first, last)
        for d in days:
            writer.writerow(
                [d.day.isoformat()]
                + [
                    f"{v / 1000:.3f}"
                    for v in (
                        d.solar_wh,
                        d.home_wh,
                        d.grid_import_wh,
                        d.grid_export_wh,
                        d.battery_charge_wh,
                        d.battery_discharge_wh,
                    )
                ]
            )
        return len(days)

    def export_outages_csv(self, out: IO[str], start: float = 0.0, end: float = math.inf) -> int:
        """The outage log; an outage still going on has an empty end and duration. ``source``:
        ``watched`` (pwtray saw it) or ``cloud`` (Tesla told it afterwards; no readings)."""
        writer = csv.writer(out)
        writer.writerow(
            [
                "start",
                "end",
                "duration_min",
                "lowest_soe_percent",
                "home_kwh",
                "battery_kwh",
                "source",
            ]
        )
        outages = self.outages(start, end)
        for o in outages:
            writer.writerow(
                [
                    self._iso(o.start),
                    "" if o.end is None else self._iso(o.end),
                    "" if o.duration_s is None else f"{o.duration_s / 60:.1f}",
                    _fmt(o.lowest_soe),
                    "" if o.energy_used_wh is None else f"{o.energy_used_wh / 1000:.3f}",
                    "" if o.battery_supplied_wh is None else f"{o.battery_supplied_wh / 1000:.3f}",
                    o.source,
                ]
            )
        return len(outages)

    def _day(self, ts: float) -> dt.date:
        return dt.datetime.fromtimestamp(ts, self._tz).astimezone(self._tz).date()

    def _iso(self, ts: float) -> str:
        return (
            dt.datetime.fromtimestamp(ts, self._tz)
            .astimezone(self._tz)
            .isoformat(timespec="seconds")
        )


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
