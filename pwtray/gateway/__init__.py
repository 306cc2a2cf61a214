"""Async client for a Powerwall 2 / Backup Gateway's local HTTPS API. No Qt here.

Everything public is re-exported here; the modules behind it are private.
"""

from pwtray.gateway._actions import switch_grid
from pwtray.gateway._address import GatewayAddress
from pwtray.gateway._client import (
    GatewayClient,
    Generation,
    Session,
    Timeouts,
    decode,
    make_http_client,
)
from pwtray.gateway._concurrency import concurrently
from pwtray.gateway._discovery import DiscoveredGateway, discover, expand_range, fetch_fingerprint
from pwtray.gateway._doctor import Check, Diagnosis, diagnose, spaced_fingerprint
from pwtray.gateway._exceptions import (
    AuthenticationError,
    CertificateChangedError,
    EndpointNotSupportedError,
    GatewayError,
    GatewayProtocolError,
    GatewayUnavailableError,
    GatewayUnreachableError,
    LockedOutError,
    PermissionDeniedError,
    RequestRefusedError,
    WriteNotAppliedError,
)
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
from pwtray.gateway._netinfo import SECTIONS, Section, network_info, read_section
from pwtray.gateway._redact import RedactingFilter, redact
from pwtray.gateway._scale import api_to_app, app_to_api
from pwtray.gateway._tls import normalize_fingerprint, pinned_context

__all__ = [
    "SECTIONS",
    "AuthenticationError",
    "CertificateChangedError",
    "Check",
    "Diagnosis",
    "DiscoveredGateway",
    "EndpointNotSupportedError",
    "GatewayAddress",
    "GatewayClient",
    "GatewayError",
    "GatewayProtocolError",
    "GatewayUnavailableError",
    "GatewayUnreachableError",
    "Generation",
    "GridState",
    "GridStatus",
    "LockedOutError",
    "Meter",
    "MetersAggregates",
    "Network",
    "Operation",
    "OperationMode",
    "PermissionDeniedError",
    "Powerwalls",
    "RedactingFilter",
    "RequestRefusedError",
    "Section",
    "Session",
    "SiteInfo",
    "SiteMaster",
    "Soe",
    "Status",
    "SystemStatus",
    "Timeouts",
    "UpdateStatus",
    "WriteNotAppliedError",
    "api_to_app",
    "app_to_api",
    "concurrently",
    "decode",
    "diagnose",
    "discover",
    "expand_range",
    "fetch_fingerprint",
    "make_http_client",
    "network_info",
    "normalize_fingerprint",
    "pinned_context",
    "read_section",
    "redact",
    "spaced_fingerprint",
    "switch_grid",
]
