"""What a simulated gateway is started with, and the small types its layers pass each other.

Imports nothing else from pwtray (the simulator is the independent check of the client).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PASSWORD = "ABCDE"  # noqa: S105 - the simulated gateway's customer password, not a secret
DEFAULT_SERIAL = "TG1234567890G1"
DEFAULT_FIRMWARE = "24.36.2 46990655"

Json = Any
Headers = list[tuple[str, str]]


@dataclass
class SimulatorConfig:
    """Everything a simulated gateway can be started with."""

    host: str = "127.0.0.1"
    port: int = 0
    firmware: str = DEFAULT_FIRMWARE
    password: str = DEFAULT_PASSWORD
    serial: str = DEFAULT_SERIAL
    email: str = ""
    powerwalls: int = 1
    scenarios: tuple[str, ...] = ()
    speed: float = 1.0  # simulated seconds per second; 0 freezes the clock (advance() moves it)
    cert_dir: Path | None = None
    token_ttl_s: float | None = None
    lockout_after: int = 5
    lockout_s: float = 300.0
    allow_writes: bool = False
    status_requires_auth: bool = False
    check_sni: bool = True
    seed: int = 1
    start: dt.datetime | None = None  # with a time zone; None: the wall clock at start-up
    soe_percent: float = 60.0  # the app's scale
    site_name: str = "Home Energy Gateway"
    solar_peak_w: float = 6000.0
    solar_meter: bool = True  # False: /api/meters/solar answers null (no solar meter on site)
    plain_http: bool = False  # also listen for plain HTTP (firmware before 1.20 served it)
    http_port: int = 0  # its port; 0 picks a free one
    replay: Path | None = None  # a capture set directory to answer from instead of the model


@dataclass(frozen=True)
class RequestRecord:
    """One request as the gateway saw it. Never holds a password, token or cookie value.

    ``time`` is the real (wall-clock) arrival time, for tests that measure a client's timing;
    ``sim_time`` is the gateway's simulated time. Neither changes any answer.
    """

    time: float
    sim_time: str
    method: str
    path: str
    status: int | None
    outcome: str  # "answered", "dropped", "blackholed"
    auth: str | None  # "bearer", "cookie" or None: whether a session was presented
    connection: int


@dataclass(frozen=True)
class Reply:
    """An answer to one request: a JSON value (or raw bytes) with its status and extra headers."""

    status: int
    body: Json | bytes | None = None
    headers: Headers = field(default_factory=list)
    content_type: str = "application/json"
    exact: bool = False  # headers as a capture recorded them, sent alone


class ScenarioError(ValueError):
    """A scenario, fault or setting that cannot be used; the message says why."""


class Respond(Exception):
    """Raised deep in a layer to answer at once (a refused login, a missing session)."""

    def __init__(self, status: int, body: Json | bytes | None = None) -> None:
        super().__init__(status)
        self.reply = Reply(status, body)
