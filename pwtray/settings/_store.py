"""The settings file: TOML in the user config folder, decoded into typed structs.

Writes are atomic (a temporary file beside it, flushed to disk, then renamed over it), so a crash
or a full disk mid-write leaves the previous file whole. A file that cannot be read is kept aside
under a dated name and reported in words; pwtray then runs on the defaults. A file written by a
newer pwtray (a higher ``schema``) is never overwritten.

Passwords are never here: they live in the OS keyring (see ``_secrets``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import platformdirs

from pwtray.kinds import EventKind
from pwtray.settings._private import FILE_MODE, private_folder

SCHEMA = 1
NOTIFICATION_KINDS = tuple(kind.value for kind in EventKind)

Seconds = Annotated[float, msgspec.Meta(ge=1.0, le=3600.0)]
Percent = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]


class Connection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    host: str = ""  # address or host name of the gateway; empty: not set up yet
    email: str = ""  # the customer login's email (any address works on current firmware)
    fingerprint: str = ""  # pinned SHA-256 of the gateway's certificate


class Polling(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    fast_s: Seconds = 5.0  # powers, charge, grid state
    slow_s: Seconds = 60.0  # mode, reserve, alerts, counters


class Notifications(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    muted: list[str] = msgspec.field(default_factory=list)  # EventKind values
    soe_thresholds: list[Percent] = msgspec.field(default_factory=lambda: [50.0, 25.0, 10.0])


class Display(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kilo: bool = True  # kW/kWh, else W/Wh
    decimals: Annotated[int, msgspec.Meta(ge=0, le=3)] = 1
    reduce_motion: bool = False


class History(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    raw_days: Annotated[int, msgspec.Meta(ge=1, le=60)] = 7
    minute_days: Annotated[int, msgspec.Meta(ge=7, le=730)] = 90


class Nut(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """pwtray as a NUT server; the NUT user's password is in the keyring (``nut_account``).

    Only types and ranges are checked here (the settings import nothing of the app): the
    addresses, the names and the rule "beyond this computer only with allowed clients" are
    checked in words by ``pwtray.nut`` when the server is built, so a mistake there stops the
    NUT server alone, never the rest of the settings.
    """

    enabled: bool = False
    listen: str = "127.0.0.1:3493"  # [HOST:]PORT; beyond this computer only with allowed_clients
    allowed_clients: list[str] = msgspec.field(default_factory=list)  # addresses or networks
    ups_name: str = "powerwall"  # clients monitor <ups_name>@<this computer> (Synology: ups)
    username: str = "monuser"  # what upsmon logs in as (Synology's is fixed: monuser)
    charge_low_percent: Percent = 10.0  # LB below this charge ...
    runtime_low_s: Annotated[float, msgspec.Meta(ge=0.0, le=86400.0)] = 600.0  # ... or time left


class Cloud(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The Tesla account for changes the gateway refuses (Fleet API); its tokens are in the
    keyring only. Empty client_id: no account connected."""

    client_id: str = ""  # the user's own Tesla developer application
    cloud_url: str = ""  # the regional Fleet API base found at sign-in ("" = find it)
    site_id: Annotated[int, msgspec.Meta(ge=0)] = 0  # the energy site (0 = not chosen yet)
    site_name: str = ""  # its name in the Tesla app, to show which site pwtray controls


class Action(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A command pwtray runs on one event: a program and its arguments, never a shell line."""

    command: list[str] = msgspec.field(default_factory=list)  # empty: nothing runs
    timeout_s: Annotated[float, msgspec.Meta(ge=1.0, le=86400.0)] = 60.0  # then it is stopped


class Actions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Commands per event (see ``pwtray.core.Trigger``) and the two thresholds they use."""

    charge_below_percent: Annotated[float, msgspec.Meta(gt=0.0, lt=100.0)] = 20.0  # off grid
    time_left_below_min: Annotated[float, msgspec.Meta(gt=0.0, le=1440.0)] = 30.0  # off grid
    grid_outage: Action = msgspec.field(default_factory=Action)
    grid_restored: Action = msgspec.field(default_factory=Action)
    charge_below: Action = msgspec.field(default_factory=Action)
    time_left_below: Action = msgspec.field(default_factory=Action)
    unreachable: Action = msgspec.field(default_factory=Action)
    gateway_stopped: Action = msgspec.field(default_factory=Action)


ACTION_NAMES = (
    "grid_outage",
    "grid_restored",
    "charge_below",
    "time_left_below",
    "unreachable",
    "gateway_stopped",
)


class Shutdown(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Shut down, hibernate or suspend this computer when the Powerwall runs low off grid."""

    enabled: bool = False
    what: Literal["poweroff", "hibernate", "suspend"] = "poweroff"
    charge_below_percent: Annotated[float, msgspec.Meta(ge=0.0, lt=100.0)] = 10.0  # 0: not used
    time_left_below_min: Annotated[float, msgspec.Meta(ge=0.0, le=1440.0)] = 10.0  # 0: not used
    countdown_s: Annotated[float, msgspec.Meta(ge=10.0, le=3600.0)] = 60.0  # time to cancel
    dry_run: bool = False  # record what would have happened instead of doing it


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleEntry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A scheduled change (``[[schedules]]``): recurring with ``at`` ("22:05") on ``days``
    (all when empty), or one-shot from ``start`` (now when empty) ``until`` a time (ISO 8601),
    after which the Powerwall goes back to what it had."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    mode: Literal["", "self_consumption", "autonomous", "backup"] = ""
    reserve_percent: Percent | None = None
    at: str = ""  # recurring: HH:MM, local time
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = msgspec.field(
        default_factory=list
    )
    start: str = ""  # one-shot: ISO 8601 (empty: when pwtray reads it)
    until: str = ""  # one-shot: ISO 8601
    window_min: Annotated[float, msgspec.Meta(ge=1.0, le=1440.0)] = 60.0

    def __post_init__(self) -> None:
        where = f"in the schedule “{self.name}”"
        if not self.mode and self.reserve_percent is None:
            raise msgspec.ValidationError(f"a mode or a reserve is needed {where}")
        if bool(self.at) == bool(self.until):
            raise msgspec.ValidationError(
                f"give either `at` (a daily time) or `until` (a one-off end) {where}"
            )
        if self.at:
            hour, _, minute = self.at.partition(":")
            if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
                raise msgspec.ValidationError(f"`at` is a time like 22:05, not {self.at!r} {where}")
        for label, text in (("start", self.start), ("until", self.until)):
            if text:
                try:
                    dt.datetime.fromisoformat(text)
                except ValueError:
                    raise msgspec.ValidationError(
                        f"`{label}` is a date and time like 2026-12-24T07:00, not {text!r} {where}"
                    ) from None


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    schema: int = SCHEMA
    connection: Connection = msgspec.field(default_factory=Connection)
    polling: Polling = msgspec.field(default_factory=Polling)
    notifications: Notifications = msgspec.field(default_factory=Notifications)
    display: Display = msgspec.field(default_factory=Display)
    history: History = msgspec.field(default_factory=History)
    nut: Nut = msgspec.field(default_factory=Nut)
    cloud: Cloud = msgspec.field(default_factory=Cloud)
    actions: Actions = msgspec.field(default_factory=Actions)
    shutdown: Shutdown = msgspec.field(default_factory=Shutdown)
    schedules: list[ScheduleEntry] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.notifications.muted) - set(NOTIFICATION_KINDS))
        if unknown:
            raise msgspec.ValidationError(
                f"unknown notification kind {', '.join(unknown)} in `notifications.muted`"
            )
        for name in ACTION_NAMES:
            command = getattr(self.actions, name).command
            if command and not command[0].strip():
                raise msgspec.ValidationError(
                    f"the program (the first item) of `actions.{name}.command` is empty"
                )


def default_path() -> Path:
    return Path(platformdirs.user_config_dir("pwtray", appauthor=False)) / "settings.toml"


@dataclass
class Loaded:
    settings: Settings
    problem: str | None = None  # said to the user once: what was wrong and what was done
    read_only: bool = False  # written by a newer pwtray: never overwritten


class SettingsInvalidError(ValueError):
    """A value that decodes but cannot be used (a fingerprint that is not one, …)."""


Validate = Callable[[Settings], str | None]


def load(path: Path | None = None, validate: Validate | None = None) -> Loaded:
    """The settings in ``path``. ``validate`` (from the app, which knows what an address or a
    fingerprint is) returns why decoded settings are unusable; such a file is kept aside too."""
    path = path or default_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Loaded(Settings())
    except OSError as exc:
        problem = f"The settings file {path} could not be read ({exc.strerror}); defaults used."
        return Loaded(Settings(), problem, read_only=True)
    try:
        raw = tomllib.loads(data.decode("utf-8"))
        schema = raw.get("schema", SCHEMA)
        if isinstance(schema, int) and schema > SCHEMA:
            return Loaded(
                Settings(),
                f"The settings file {path} was written by a newer pwtray (schema {schema}); "
                "this version uses its defaults and leaves the file as it is.",
                read_only=True,
            )
        settings = msgspec.convert(raw, Settings, strict=True)
        why = validate(settings) if validate is not None else None
        if why:
            raise SettingsInvalidError(why)
        return Loaded(settings)
    except (
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
        msgspec.ValidationError,
        SettingsInvalidError,
        RecursionError,  # arrays nested a thousand deep: valid TOML, no settings of ours
    ) as exc:
        kept = _keep_aside(path)
        return Loaded(
            Settings(),
            f"The settings file could not be read ({_reason(exc)}). It was kept as {kept.name} "
            "beside it, and pwtray started with the default settings.",
        )


def save(settings: Settings, path: Path | None = None) -> None:
    """Replace the file atomically; on any failure the previous file stays as it was."""
    path = path or default_path()
    private_folder(path.parent)
    text = dumps(settings)
    partial = path.with_name(f".{path.name}.partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with open(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def dumps(settings: Settings) -> str:
    """TOML for our settings: top-level scalars, then one table per section (a section's own
    sections, such as ``[actions.grid_outage]``, follow it)."""
    lines = ["# pwtray settings. Passwords are not here: they are in the system keyring."]
    _table(lines, "", msgspec.to_builtins(settings))
    return "\n".join(lines) + "\n"


def _table(lines: list[str], name: str, table: dict[str, Any], *, array: bool = False) -> None:
    if name:
        lines.extend(("", f"[[{name}]]" if array else f"[{name}]"))
    inner: list[tuple[str, dict[str, Any], bool]] = []
    for key, value in table.items():
        full = f"{name}.{key}" if name else key
        if value is None:
            continue  # TOML has no null: an absent key is the default (None)
        if isinstance(value, dict):
            inner.append((full, value, False))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            inner.extend((full, item, True) for item in value)
        else:
            lines.append(f"{key} = {_value(value)}")
    for inner_name, inner_table, is_array in inner:
        _table(lines, inner_name, inner_table, array=is_array)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _keep_aside(path: Path) -> Path:
    stamp = dt.datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.name}.unreadable-{stamp}")
    os.replace(path, kept)
    return kept


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(exc, RecursionError):
        return "it nests values far deeper than any setting does"
    if isinstance(exc, tomllib.TOMLDecodeError):
        return f"not valid TOML: {exc}"
    return str(exc).replace("$.", "").replace("Object contains unknown field", "unknown setting")
