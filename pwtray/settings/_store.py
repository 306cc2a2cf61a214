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
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import msgspec
import platformdirs

from pwtray.kinds import EventKind

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


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    schema: int = SCHEMA
    connection: Connection = msgspec.field(default_factory=Connection)
    polling: Polling = msgspec.field(default_factory=Polling)
    notifications: Notifications = msgspec.field(default_factory=Notifications)
    display: Display = msgspec.field(default_factory=Display)
    history: History = msgspec.field(default_factory=History)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.notifications.muted) - set(NOTIFICATION_KINDS))
        if unknown:
            raise msgspec.ValidationError(
                f"unknown notification kind {', '.join(unknown)} in `notifications.muted`"
            )


def default_path() -> Path:
    return Path(platformdirs.user_config_dir("pwtray", appauthor=False)) / "settings.toml"


@dataclass
class Loaded:
    settings: Settings
    problem: str | None = None  # said to the user once: what was wrong and what was done
    read_only: bool = False  # written by a newer pwtray: never overwritten


def load(path: Path | None = None) -> Loaded:
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
        return Loaded(msgspec.convert(raw, Settings, strict=True))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        kept = _keep_aside(path)
        return Loaded(
            Settings(),
            f"The settings file could not be read ({_reason(exc)}). It was kept as {kept.name} "
            "beside it, and pwtray started with the default settings.",
        )


def save(settings: Settings, path: Path | None = None) -> None:
    """Replace the file atomically; on any failure the previous file stays as it was."""
    path = path or default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dumps(settings)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def dumps(settings: Settings) -> str:
    """TOML for our settings: top-level scalars, then one table per section."""
    data = msgspec.to_builtins(settings)
    lines = ["# pwtray settings. Passwords are not here: they are in the system keyring."]
    tables = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_value(value)}")
    for name, table in tables:
        lines.append("")
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_value(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"


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
    if isinstance(exc, tomllib.TOMLDecodeError):
        return f"not valid TOML: {exc}"
    return str(exc).replace("$.", "").replace("Object contains unknown field", "unknown setting")
