"""Async client for a Powerwall 2 / Backup Gateway's local HTTPS API. No Qt here.

The protocol and nothing else: the client, its typed replies and errors, addresses, TLS pinning,
discovery, and the reserve/SOE scale. Everything public is re-exported here (the modules behind
it are private); importing it configures nothing.
"""

from pwtray.gateway._address import GatewayAddress, system_resolver
from pwtray.gateway._client import (
    GatewayClient,
    Generation,
    Session,
    Timeouts,
    decode,
    make_http_client,
)
from pwtray.gateway._discovery import DiscoveredGateway, discover, expand_range, fetch_fingerprint
from pwtray.gateway._exceptions import (
    AuthenticationError,
    CertificateChangedError,
    EndpointNotSupportedError,
    GatewayError,
    GatewayProtocolError,
    GatewayTimeoutError,
    GatewayUnavailableError,
    GatewayUnreachableError,
    LockedOutError,
    PermissionDeniedError,
    ReplyTooLargeError,
    RequestRefusedError,
    SecureConnectionError,
    WriteNotAppliedError,
)
from pwtray.gateway._http import Limits, Reply, Target, Transport
from pwtray.gateway._models import (
    GridState,
    GridStatus,
    Meter,
    MetersAggregates,
    Network,
    Operation,
    OperationMode,
    Powerwalls,
    SiteInfo,
    SiteMaster,
    Soe,
    Status,
    SystemStatus,
    UpdateStatus,
)
from pwtray.gateway._scale import api_to_app, app_to_api
from pwtray.gateway._tls import normalize_fingerprint, pinned_context

__all__ = [
    "AuthenticationError",
    "CertificateChangedError",
    "DiscoveredGateway",
    "EndpointNotSupportedError",
    "GatewayAddress",
    "GatewayClient",
    "GatewayError",
    "GatewayProtocolError",
    "GatewayTimeoutError",
    "GatewayUnavailableError",
    "GatewayUnreachableError",
    "Generation",
    "GridState",
    "GridStatus",
    "Limits",
    "LockedOutError",
    "Meter",
    "MetersAggregates",
    "Network",
    "Operation",
    "OperationMode",
    "PermissionDeniedError",
    "Powerwalls",
    "Reply",
    "ReplyTooLargeError",
    "RequestRefusedError",
    "SecureConnectionError",
    "Session",
    "SiteInfo",
    "SiteMaster",
    "Soe",
    "Status",
    "SystemStatus",
    "Target",
    "Timeouts",
    "Transport",
    "UpdateStatus",
    "WriteNotAppliedError",
    "api_to_app",
    "app_to_api",
    "decode",
    "discover",
    "expand_range",
    "fetch_fingerprint",
    "make_http_client",
    "normalize_fingerprint",
    "pinned_context",
    "system_resolver",
]
