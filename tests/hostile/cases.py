"""The hostile cases `pwtray status` is tried against, with the outcome a user must see.

Shared by tests/hostile/test_status.py (which asserts the outcomes) and benchmarks/hostile.py
(which prints wall time and peak memory per case).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pwtray.cli import EXIT_AUTH, EXIT_OK, EXIT_PROTOCOL, EXIT_TLS, EXIT_UNREACHABLE
from tests.hostile import server as h

SOE = "/api/system_status/soe"
GRID = "/api/system_status/grid_status"
AGGREGATES = "/api/meters/aggregates"
ESSENTIAL = (SOE, GRID)  # what the icon shows: when both fail, the whole reading fails


@dataclass(frozen=True)
class Case:
    name: str
    exit_code: int
    words: str  # what stderr (or, for success, stdout) must say
    paths: str | tuple[str, ...] = ()  # where the behaviour answers
    behaviour: Callable[[], h.Behaviour] | None = None
    tls_version: ssl.TLSVersion | None = None

    def start(self, factory: Callable[..., h.HostileGateway]) -> h.HostileGateway:
        gateway = factory(tls_version=self.tls_version)
        paths = (self.paths,) if isinstance(self.paths, str) else self.paths
        if self.behaviour is not None:
            for path in paths:
                gateway.on(path, self.behaviour())
        return gateway


def _set(section: str | None, key: str, value: Any) -> Callable[[Any], None]:
    def change(payload: Any) -> None:
        (payload[section] if section else payload)[key] = value

    return change


CASES = [
    Case("deep JSON (100 000 levels)", EXIT_PROTOCOL, "nested deeper than 32 levels", ESSENTIAL,
         h.deep_json),
    Case("deep JSON in the login reply", EXIT_PROTOCOL, "nested deeper than 32 levels",
         h.LOGIN, h.deep_json),
    Case("drip, 1 byte/s", EXIT_UNREACHABLE, "but did not finish within", ESSENTIAL, h.drip),
    Case("1 GiB body, Content-Length", EXIT_PROTOCOL, "its body passed 2 MiB", ESSENTIAL,
         h.huge_declared),
    Case("1 GiB body, to the connection's end", EXIT_PROTOCOL, "its body passed 2 MiB",
         ESSENTIAL, h.until_close),
    Case("endless chunked body", EXIT_PROTOCOL, "its body passed 2 MiB", ESSENTIAL,
         h.endless_chunked),
    Case("gzip bomb, 1 GiB unpacked", EXIT_PROTOCOL, "decompressed body passed 2 MiB",
         ESSENTIAL, h.gzip_bomb),
    Case("two UserRecord cookies, different Path", EXIT_OK, "Battery", h.LOGIN,
         h.cookie_conflict),
    Case("429, Retry-After: HTTP date -0000", EXIT_AUTH, "will not try again before", h.LOGIN,
         lambda: h.refuse(429, [("Retry-After", "Mon, 15 Jun 2026 10:00:00 -0000")])),
    Case("429, Retry-After: 99999999999999999999", EXIT_AUTH, "about 60 min", h.LOGIN,
         lambda: h.refuse(429, [("Retry-After", "99999999999999999999")])),
    Case("403 on /api/operation only", EXIT_OK, "operation: refused to this login",
         "/api/operation", h.forbidden_for_everyone),
    Case("oversized headers, 100 KiB", EXIT_PROTOCOL, "its headers passed 32 KiB", ESSENTIAL,
         h.oversized_headers),
    Case("TLS 1.0 only", EXIT_TLS, "offers only an outdated TLS version",
         tls_version=ssl.TLSVersion.TLSv1),
    Case("site power 1e20 W", EXIT_OK, "aggregates: a reply pwtray cannot read", AGGREGATES,
         lambda: h.absurd("meters_aggregates.json", _set("site", "instant_power", 1e20))),
    Case("negative energy", EXIT_OK, "aggregates: a reply pwtray cannot read", AGGREGATES,
         lambda: h.absurd("meters_aggregates.json", _set("load", "energy_imported", -1.0))),
    Case("SOE 1e9 %", EXIT_OK, "soe: a reply pwtray cannot read", SOE,
         lambda: h.absurd("system_status_soe.json", _set(None, "percentage", 1e9))),
    Case("login connection cut mid-reply", EXIT_UNREACHABLE, "the connection was cut mid-reply",
         h.LOGIN, h.cut_mid_reply),
    Case("redirect", EXIT_PROTOCOL, "which pwtray does not follow", ESSENTIAL,
         lambda: h.redirect("https://127.0.0.1:1/api/system_status/soe")),
]  # fmt: skip  # a case a row (the formatter would give each five lines)
