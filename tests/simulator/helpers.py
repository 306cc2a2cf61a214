"""Plain-httpx access to the simulator, independent of pwtray.gateway."""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from pwtray.simulator import Simulator
from tests.conftest import PASSWORD, samples_dir


def client(sim: Simulator) -> httpx.Client:
    return httpx.Client(base_url=sim.base_url, verify=False, timeout=10)


def login(http: httpx.Client, password: str = PASSWORD, **extra: Any) -> httpx.Response:
    body = {
        "username": "customer",
        "password": password,
        "email": "me@example.com",
        "force_sm_off": False,
        **extra,
    }
    return http.post("/api/login/Basic", json=body)


@contextmanager
def logged_in(sim: Simulator) -> Iterator[httpx.Client]:
    """A client with a session: a token on 1.15 (then sitemaster/run, as the seed says), cookies
    on current firmware."""
    with client(sim) as http:
        if sim.identity.legacy:
            response = http.post(
                "/api/login/Basic", json={"username": "", "password": "S" + sim.config.serial}
            )
            response.raise_for_status()
            http.headers["Authorization"] = "Bearer " + response.json()["token"]
            http.get("/api/sitemaster/run").raise_for_status()
        else:
            login(http).raise_for_status()
        yield http


def peer_fingerprint(sim: Simulator, server_hostname: str | None = None) -> str:
    """SHA-256 of the certificate the simulator presents, read with the stdlib alone."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((sim.host, sim.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return hashlib.sha256(der).hexdigest()


def shape(value: Any) -> Any:
    """The JSON shape of a value: key names and JSON types, numbers as one type."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def shape_differences(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where ``actual`` does not have the shape of ``expected`` (extra keys are reported too)."""
    exp, act = shape(expected), shape(actual)
    return _diff(exp, act, path)


def _diff(exp: Any, act: Any, path: str) -> list[str]:
    if isinstance(exp, dict):
        if not isinstance(act, dict):
            return [f"{path}: expected an object, got {act}"]
        problems = [f"{path}.{k}: missing" for k in exp if k not in act]
        problems += [f"{path}.{k}: not in the sample" for k in act if k not in exp]
        for key in exp.keys() & act.keys():
            problems += _diff(exp[key], act[key], f"{path}.{key}")
        return problems
    if isinstance(exp, list):
        if not isinstance(act, list):
            return [f"{path}: expected a list, got {act}"]
        if exp and act:
            return _diff(exp[0], act[0], f"{path}[0]")
        return []
    if exp != act:
        return [f"{path}: expected {exp}, got {act}"]
    return []


def seed_text() -> str:
    """The seed document (firmware 1.15), from the shared folder beside the project."""
    path = samples_dir().parent / "seed" / "000_0000220b936493e8.txt"
    if not path.is_file():
        pytest.fail(
            f"the seed document is not at {path}: check out the shared folder beside "
            "this project or set PWTRAY_SHARED to its location"
        )
    return path.read_text(encoding="utf-8")


def seed_json_after(marker: str) -> Any:
    """The first JSON value the seed document quotes after ``marker``."""
    text = seed_text()
    start = text.index("{", text.index(marker))
    value, _ = json.JSONDecoder().raw_decode(text[start:])
    return value


def capture(set_name: str, file_name: str) -> bytes:
    """A file of a capture set (../shared/gateway-samples/sets/<set>/<file>), as recorded."""
    return (samples_dir() / "sets" / set_name / file_name).read_bytes()


def recorded_error(set_name: str, file_name: str) -> tuple[int, dict[str, str], bytes]:
    """A recorded ``.err`` reply: its status, headers (names in lower case) and body."""
    head, _, body = capture(set_name, file_name).replace(b"\r\n", b"\n").partition(b"\n\n")
    status_line, *header_lines = head.decode().split("\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body
