"""A small org.freedesktop.login1 on a private D-Bus bus, held to logind's method signatures.

The service runs in its own process (``python -m tests.core.fakelogind RECORD ANSWERS``) on the
bus in ``DBUS_SESSION_BUS_ADDRESS``, owns ``org.freedesktop.login1`` and answers the Manager's
``CanPowerOff``/``CanHibernate``/``CanSuspend`` (signature "" → "s", the answer from ANSWERS, a
JSON object, default "yes") and ``PowerOff``/``Hibernate``/``Suspend`` (signature "b" → "").
A call with any other signature gets ``org.freedesktop.DBus.Error.InvalidArgs``, as from logind;
an unknown method or object gets ``UnknownMethod``/``UnknownObject``. Every call is appended to
RECORD as a JSON line: {"member", "signature", "body"}.

The test side (:func:`private_logind`) starts a private bus daemon and the service, and yields
the bus address and the record's reader.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jeepney import HeaderFields, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.login1"
PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
ASKS = {"CanPowerOff", "CanHibernate", "CanSuspend"}
DOES = {"PowerOff", "Hibernate", "Suspend"}


@dataclass
class Logind:
    address: str
    record: Path

    def calls(self) -> list[tuple[str, str, list[Any]]]:
        lines = self.record.read_text().splitlines()
        entries = [json.loads(line) for line in lines if line.strip()]
        return [(e["member"], e["signature"], e["body"]) for e in entries]


@contextlib.contextmanager
def private_bus() -> Iterator[str]:
    if shutil.which("dbus-daemon") is None:
        pytest.fail("dbus-daemon is not installed: run 'sudo scripts/install-system-packages'")
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    bus.stdout.close()
    try:
        yield address
    finally:
        bus.terminate()
        bus.wait(10)


@contextlib.contextmanager
def private_logind(folder: Path, answers: dict[str, str] | None = None) -> Iterator[Logind]:
    """A private bus with the fake logind on it."""
    record = folder / "logind-calls.jsonl"
    record.write_text("")
    with private_bus() as address:
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
        service = subprocess.Popen(
            [sys.executable, "-m", "tests.core.fakelogind", str(record), json.dumps(answers or {})],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert service.stdout is not None
        try:
            if service.stdout.readline().strip() != "ready":
                raise RuntimeError("the fake logind did not start")
            yield Logind(address, record)
        finally:
            service.stdout.close()
            service.terminate()
            service.wait(10)


def serve(record: Path, answers: dict[str, str]) -> None:
    conn = open_dbus_connection(bus="SESSION")
    reply = conn.send_and_get_reply(message_bus.RequestName(NAME, 4))
    if reply.body[0] != 1:
        raise RuntimeError(f"could not own {NAME}")
    print("ready", flush=True)
    while True:
        msg = conn.receive()
        if msg.header.message_type is not MessageType.method_call:
            continue
        fields = msg.header.fields
        member = fields.get(HeaderFields.member)
        signature = fields.get(HeaderFields.signature, "")
        with record.open("a") as out:
            out.write(
                json.dumps({"member": member, "signature": signature, "body": list(msg.body)})
                + "\n"
            )
        conn.send(answer(msg, fields, member, signature, answers))


def answer(msg: Any, fields: Any, member: str, signature: str, answers: dict[str, str]) -> Any:
    if fields.get(HeaderFields.path) != PATH:
        return new_error(msg, "org.freedesktop.DBus.Error.UnknownObject", "s", ("no object",))
    if fields.get(HeaderFields.interface) not in (MANAGER, None) or member not in ASKS | DOES:
        return new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,))
    expected = "" if member in ASKS else "b"
    if signature != expected:
        return new_error(
            msg,
            "org.freedesktop.DBus.Error.InvalidArgs",
            "s",
            (f"{member} takes ({expected}), not ({signature})",),
        )
    if member in ASKS:
        return new_method_return(msg, "s", (answers.get(member, "yes"),))
    return new_method_return(msg)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), json.loads(sys.argv[2]))
