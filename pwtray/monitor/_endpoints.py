"""What the monitor reads: a typed table of endpoints in three groups, and the readings.

Each :class:`Endpoint` names a field of :class:`Readings` (a test checks that the read's return
type is the field's type). The **essential** reads are the ones the tray icon shows — the grid
state and the charge: whether the monitor is "online" is decided by them alone. Every other read
is optional: when it is missing on this firmware, refused to this login, unreadable or needs a
password nobody gave, only its own fields become unknown and everything else stays live.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pwtray.gateway import (
    GatewayClient,
    GridStatus,
    MetersAggregates,
    Network,
    Operation,
    Powerwalls,
    SiteInfo,
    SiteMaster,
    Soe,
    Status,
    SystemStatus,
    UpdateStatus,
)


class Group(enum.Enum):
    FAST = "fast"  # every few seconds: what the icon and the diagram show
    SLOW = "slow"  # about a minute: mode, reserve, alerts, capacity, site master
    RARE = "rare"  # about an hour: firmware, site, networks, updates


class Health(enum.Enum):
    """How an endpoint answered the last time it was read."""

    OK = "ok"
    MISSING = "missing"  # 404: this firmware has no such endpoint (not asked again)
    REFUSED = "refused"  # 403 or another refusal for this login
    NEEDS_LOGIN = "needs_login"  # a read that needs the password, which is missing or rejected
    UNREADABLE = "unreadable"  # a reply pwtray cannot read
    FAILING = "failing"  # no answer this time (the last value is kept, with its time)

    @property
    def forgets_value(self) -> bool:
        """Whether the last value must not be shown any more (it would mislead)."""
        return self is not Health.OK and self is not Health.FAILING


@dataclass(frozen=True)
class Endpoint:
    name: str  # the field of Readings it fills
    path: str  # for details and logs
    group: Group
    method: str  # the GatewayClient method that reads it
    essential: bool = False

    def read(self, client: GatewayClient) -> Awaitable[Any]:
        read: Callable[[], Awaitable[Any]] = getattr(client, self.method)
        return read()


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "grid_status",
        "/api/system_status/grid_status",
        Group.FAST,
        "grid_status",
        essential=True,
    ),
    Endpoint("soe", "/api/system_status/soe", Group.FAST, "soe", essential=True),
    Endpoint("aggregates", "/api/meters/aggregates", Group.FAST, "meters_aggregates"),
    Endpoint("operation", "/api/operation", Group.SLOW, "operation"),
    Endpoint("system_status", "/api/system_status", Group.SLOW, "system_status"),
    Endpoint("sitemaster", "/api/sitemaster", Group.SLOW, "sitemaster"),
    Endpoint("powerwalls", "/api/powerwalls", Group.SLOW, "powerwalls"),
    Endpoint("status", "/api/status", Group.RARE, "status"),
    Endpoint("site_info", "/api/site_info", Group.RARE, "site_info"),
    Endpoint("networks", "/api/networks", Group.RARE, "networks"),
    Endpoint("update_status", "/api/system/update/status", Group.RARE, "update_status"),
)
BY_NAME: Mapping[str, Endpoint] = {endpoint.name: endpoint for endpoint in ENDPOINTS}
ESSENTIAL = frozenset(e.name for e in ENDPOINTS if e.essential)


@dataclass(frozen=True)
class Readings:
    """The last value of every endpoint, when it was read, and how each last answered."""

    grid_status: GridStatus | None = None
    soe: Soe | None = None
    aggregates: MetersAggregates | None = None
    operation: Operation | None = None
    system_status: SystemStatus | None = None
    sitemaster: SiteMaster | None = None
    powerwalls: Powerwalls | None = None
    status: Status | None = None
    site_info: SiteInfo | None = None
    networks: list[Network] | None = None
    update_status: UpdateStatus | None = None
    read_at: Mapping[str, float] = field(default_factory=dict)  # name -> wall time
    health: Mapping[str, Health] = field(default_factory=dict)  # name -> last answer

    def updated(self, name: str, value: Any, wall: float) -> Readings:
        return replace(
            self,
            **{name: value},
            read_at={**self.read_at, name: wall},
            health={**self.health, name: Health.OK},
        )

    def failed(self, name: str, health: Health) -> Readings:
        values: dict[str, Any] = {name: None} if health.forgets_value else {}
        return replace(self, **values, health={**self.health, name: health})

    def unknown(self) -> tuple[str, ...]:
        """Endpoints whose fields are unknown now, for "could not read …" messages."""
        return tuple(n for n, h in self.health.items() if h.forgets_value)
