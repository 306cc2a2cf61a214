"""Plain-httpx access to the simulator, independent of pwtray.gateway."""

from __future__ import annotations

import hashlib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from pwtray.simulator import Simulator
from tests.conftest import PASSWORD


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
