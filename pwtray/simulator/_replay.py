"""Replay of a capture set: every endpoint answered from the files one real gateway gave.

A set is a directory as ``shared/gateway-samples/sets/SOURCES.md`` describes: ``/api/a/b`` is
``a.b.json`` (or ``a.b.synthetic.json``, a stand-in that counts as the file), or ``a.b.err``, a
recorded error reply (status line, headers, blank line, body) served exactly as recorded. A
path without a file is a 404, as on a gateway without that endpoint. The firmware comes from the
set's ``status.json``; logins and sessions follow it: current firmware wants a session for every
read but ``/api/status``, firmware 1.x only for the reads the seed document lists after its
"require authentication" note. Imports nothing else from pwtray.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import _responses as r
from ._config import Headers, Reply, ScenarioError, SimulatorConfig
from ._model import SimClock
from ._routes import LOGIN, LOGOUT, NOT_ALLOWED, NOT_FOUND, needs_session
from ._sessions import Sessions, login_cookies, parse_body

MAX_FILE_BYTES = 4 << 20
SUFFIXES = (".json", ".synthetic.json", ".err")


def file_stem(path: str) -> str:
    """The file name a set gives ``path`` without its suffix: ``/api/a/b`` → ``a.b``."""
    return path.removeprefix("/api/").replace("/", ".")


def parse_recorded(data: bytes, name: str) -> Reply:
    """An ``.err`` file as a reply: its status, its headers as recorded, its body (cut to the
    recorded length: the capture tool added a newline after it)."""
    newline = b"\r\n" if b"\r\n" in data.split(b"\n", 1)[0] + b"\n" else b"\n"
    head, _, body = data.partition(newline * 2)
    status_line, *lines = head.decode("utf-8", "replace").split(newline.decode())
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError):
        example = "HTTP/1.1 409 Conflict"
        raise ScenarioError(
            f"{name}: the first line should be a status line such as {example!r}, "
            f"not {status_line!r}"
        ) from None
    headers: Headers = []
    for line in lines:
        header, sep, value = line.partition(":")
        if not sep:
            raise ScenarioError(f"{name}: {line!r} is not a header line")
        headers.append((header.strip(), value.strip()))
        if header.strip().lower() == "content-length":
            body = body[: int(value)]
    return Reply(status, body, headers, exact=True)


class CaptureSet:
    """The files of one capture set, read once at start."""

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise ScenarioError(f"the capture set {directory} is not a directory")
        self.name = directory.name
        self.files: dict[str, bytes] = {}
        self.recorded: dict[str, Reply] = {}  # the .err files, read and checked at start
        for file in sorted(directory.iterdir()):
            if file.is_file() and file.name.endswith(SUFFIXES):
                if file.stat().st_size > MAX_FILE_BYTES:
                    raise ScenarioError(f"{file} is larger than {MAX_FILE_BYTES >> 20} MB")
                self.files[file.name] = file.read_bytes()
                if file.name.endswith(".err"):
                    self.recorded[file.name] = parse_recorded(self.files[file.name], str(file))
        status = self.find("/api/status")
        if status is None:
            raise ScenarioError(f"the capture set {directory} has no status.json (its firmware)")
        try:
            self.firmware = str(json.loads(self.files[status])["version"]).strip()
        except (ValueError, KeyError, TypeError) as exc:
            raise ScenarioError(f"{directory}/{status} has no readable version") from exc

    def find(self, path: str) -> str | None:
        """The name of the file that answers ``path``, if the set has one."""
        stem = file_stem(path)
        for suffix in SUFFIXES:
            if stem + suffix in self.files:
                return stem + suffix
        return None


class Replay:
    """The API of a simulated gateway answered from a capture set."""

    def __init__(
        self, config: SimulatorConfig, directory: Path, sessions: Sessions, clock: SimClock
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.captures = CaptureSet(directory)
        self.identity = r.Identity(
            firmware=self.captures.firmware,
            serial=config.serial,
            site_name=config.site_name,
            timezone="America/Los_Angeles",
            git_hash="",
            started=clock.start,
        )

    @property
    def legacy(self) -> bool:
        return self.identity.legacy

    def answer(
        self, method: str, path: str, body: bytes, content_type: str, token: str | None
    ) -> Reply:
        now_s = self.clock.elapsed_s()
        if path == LOGIN:
            if method != "POST":
                return Reply(405, NOT_ALLOWED)
            return self.login(parse_body(body, content_type), now_s)
        if path == LOGOUT:
            self.sessions.close(token)
            return Reply(204)
        name = self.captures.find(path)
        if name is None and self.legacy:
            return Reply(404, NOT_FOUND)  # 1.x: an unknown path is not worth a login
        status_auth = self.config.status_requires_auth
        needed = needs_session(method, path, legacy=self.legacy, status_requires_auth=status_auth)
        if needed and not self.sessions.valid(token, now_s):
            return Reply(401, r.error(401, "Authentication required", "Login Error"))
        if name is None:
            return Reply(404, NOT_FOUND)
        if method != "GET":
            return Reply(405, r.error(405, "Method Not Allowed", "a replayed set takes no writes"))
        if name in self.captures.recorded:
            return self.captures.recorded[name]
        return Reply(200, self.captures.files[name])

    def login(self, fields: dict[str, Any], now_s: float) -> Reply:
        """The set's recorded login when it has one, else a login as its firmware answers."""
        self.sessions.check_login(fields, legacy=self.legacy, now_s=now_s)
        recorded = self.captures.files.get("login.Basic.json")
        if recorded is not None:
            token = str(json.loads(recorded)["token"])
            self.sessions.open(now_s, token)
            return Reply(200, recorded, [] if self.legacy else login_cookies(token))
        token = self.sessions.open(now_s)
        email = str(fields.get("email", "")) or self.config.email
        payload = r.login_ok(token, email, self.clock.now(), self.identity)
        return Reply(200, payload, [] if self.legacy else login_cookies(token))
