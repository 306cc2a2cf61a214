"""Real NUT clients (Debian's nut-client: upsc, upsmon) and a raw protocol client, for tests.

A missing program fails the test with the command that installs it. upsmon runs in the
foreground as one process (``-p``) with a private configuration folder, a ``wall`` of our own
first on its PATH (so nothing is broadcast to the machine's terminals) and a unique program
name, so its PID file never collides with a real upsmon's; it is stopped after the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import textwrap
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from itertools import count
from pathlib import Path

import pytest

from pwtray.gateway import GridState
from pwtray.monitor import Connectivity, Estimates, Snapshot
from tests.conftest import SIM_START

INSTALL = "scripts/install-system-packages (on Debian: sudo apt-get install nut-client)"
# Debian's /sbin/upsmon is a wrapper that exits unless /etc/nut/nut.conf enables it.
UPSMON_CANDIDATES = ("/lib/nut/upsmon", "/usr/lib/nut/upsmon", "/usr/sbin/upsmon", "/sbin/upsmon")
PID_DIRS = (Path("/run/nut"), Path("/var/run/nut"))  # where a root upsmon writes <name>.pid
_names = count(1)


def upsc_path() -> str:
    path = shutil.which("upsc")
    if path is None:
        pytest.fail(f"upsc (NUT's client) is not installed: run {INSTALL}")
    return path


def upsmon_path() -> str:
    for candidate in UPSMON_CANDIDATES:
        if os.access(candidate, os.X_OK) and not _is_debian_wrapper(candidate):
            return candidate
    pytest.fail(f"upsmon (NUT's monitor) is not installed: run {INSTALL}")


def _is_debian_wrapper(path: str) -> bool:
    with open(path, "rb") as program:
        return program.read(2) == b"#!"


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


async def upsc(*args: str, timeout_s: float = 30.0) -> Run:
    """Run the real ``upsc`` without blocking the event loop the server runs on."""
    process = await asyncio.create_subprocess_exec(
        upsc_path(), *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"upsc {' '.join(args)} did not finish in {timeout_s:.0f} s") from None
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def upsc_value(target: str, name: str) -> str:
    run = await upsc(target, name)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def parse_upsc(stdout: str) -> dict[str, str]:
    pairs = (line.split(": ", 1) for line in stdout.splitlines() if ": " in line)
    return dict(pairs)


# ---------------------------------------------------------------------- a raw client
class RawClient:
    """Speaks the protocol by hand: one request line, its reply lines."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def line(self, timeout_s: float = 10.0) -> str:
        raw = await asyncio.wait_for(self.reader.readline(), timeout_s)
        if not raw:
            raise AssertionError("the server closed the connection")
        assert raw.endswith(b"\n"), raw
        return raw[:-1].decode("ascii")

    async def ask(self, request: str) -> str:
        await self.send(request.encode() + b"\n")
        return await self.line()

    async def ask_list(self, request: str) -> list[str]:
        """A ``BEGIN LIST`` block (or an ``ERR`` line), all its lines."""
        await self.send(request.encode() + b"\n")
        lines = [await self.line()]
        if lines[0].startswith("BEGIN LIST"):
            while not lines[-1].startswith("END LIST"):
                lines.append(await self.line())
        return lines

    async def closed_by_server(self, timeout_s: float = 10.0) -> bool:
        """True once the server closed it (EOF, or a reset on a closed socket)."""
        try:
            rest = await asyncio.wait_for(self.reader.read(65536), timeout_s)
        except ConnectionResetError:
            return True
        return rest == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):  # the server may have closed first
            await self.writer.wait_closed()


@asynccontextmanager
async def raw_client(
    port: int, host: str = "127.0.0.1", source: str | None = None
) -> AsyncIterator[RawClient]:
    local = (source, 0) if source else None
    reader, writer = await asyncio.open_connection(host, port, local_addr=local)
    client = RawClient(reader, writer)
    try:
        yield client
    finally:
        await client.close()


# ---------------------------------------------------------------------- snapshots
class FakeWall:
    """The wall clock the server judges data age by; moves only when told."""

    def __init__(self) -> None:
        self.now = SIM_START.timestamp()

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    """What the provider hands the server; tests change it between requests."""

    wall: FakeWall = field(default_factory=FakeWall)
    snapshot: Snapshot | None = None

    def __post_init__(self) -> None:
        if self.snapshot is None:
            self.snapshot = live(self.wall.now)

    def __call__(self) -> Snapshot | None:
        return self.snapshot

    def update(self, **changes: object) -> None:
        assert self.snapshot is not None
        self.snapshot = replace(self.snapshot, **changes)  # type: ignore[arg-type]


def live(now: float, **values: object) -> Snapshot:
    """A fresh, online snapshot of a two-Powerwall site on the grid."""
    defaults: dict[str, object] = {
        "taken_at": now,
        "last_success_at": now,
        "connectivity": Connectivity.ONLINE,
        "soe_percent": 62.4,
        "battery_w": -1500.0,
        "load_w": 1234.0,
        "solar_w": 0.0,
        "site_w": 2734.0,
        "grid": GridState.CONNECTED,
        "powerwall_count": 2,
        "continuous_power_w": 10_000.0,
        "din": "1232100-00-E--TG121048001E4G",
        "firmware": "24.36.2",
        "grid_voltage_v": 241.3,
        "estimates": Estimates(battery_w_smoothed=-1500.0),
    }
    defaults.update(values)
    return Snapshot(**defaults)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- upsmon
@dataclass
class Upsmon:
    process: subprocess.Popen[bytes]
    log: Path
    shutdown_marker: Path
    wall_log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def statuses(self) -> list[str]:
        """Every ``ups.status`` upsmon has read, in order (its debug output)."""
        found = []
        for line in self.output().splitlines():
            if "parse_status: [" in line:
                found.append(line.split("parse_status: [", 1)[1].rstrip("]"))
        return found

    @property
    def shut_down(self) -> bool:
        return self.shutdown_marker.exists()


@contextmanager
def running_upsmon(
    tmp_path: Path, port: int, username: str, password: str, *, extra: str = ""
) -> Iterator[Upsmon]:
    """A real upsmon as a *secondary* of our server; its SHUTDOWNCMD writes a file."""
    program = upsmon_path()
    home = tmp_path / "upsmon"
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True)
    marker = home / "shutdown-ran"
    wall_log = home / "wall.log"
    shutdown = _script(bin_dir / "shutdown-command", f'echo "shutdown ran" > "{marker}"\n')
    _script(bin_dir / "wall", f'cat >> "{wall_log}"\n')  # upsmon's wall stays in the test
    config = home / "upsmon.conf"
    config.write_text(
        textwrap.dedent(
            f"""\
            MONITOR powerwall@127.0.0.1:{port} 1 {username} {password} secondary
            MINSUPPLIES 1
            SHUTDOWNCMD "{shutdown}"
            POLLFREQ 1
            POLLFREQALERT 1
            HOSTSYNC 1
            DEADTIME 30
            FINALDELAY 0
            """
        )
        + extra
    )
    config.chmod(0o600)
    name = f"upsmon-pwtray-test-{os.getpid()}-{next(_names)}"  # its PID file: <name>.pid
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin:/usr/sbin:/sbin",
        "NUT_CONFPATH": str(home),
        "NUT_STATEPATH": str(home),
        "NUT_ALTPIDPATH": str(home),
        "LANG": "C",
    }
    log = home / "upsmon.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [name, "-F", "-p", "-DD"],
            executable=program,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=home,
        )
    try:
        yield Upsmon(process, log, marker, wall_log)
    finally:
        _stop(process)
        for directory in PID_DIRS:
            (directory / f"{name}.pid").unlink(missing_ok=True)


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
