"""pwtray as a NUT (Network UPS Tools) server: the Powerwall as a UPS for the home network.

asyncio and the standard library only; no Qt. It reads pwtray's snapshots through a callable
and imports nothing from the app but ``pwtray.monitor`` (the Snapshot) and ``pwtray.gateway``
(the grid states).
"""

from pwtray.nut._address import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    Listen,
    check_exposure,
    parse_allowed,
    parse_listen,
)
from pwtray.nut._errors import NutBindError, NutConfigError, NutError
from pwtray.nut._protocol import NutUser, check_credential
from pwtray.nut._server import UPS_NAME, ClientInfo, Limits, NutServer, check_ups_name
from pwtray.nut._variables import Availability, LowMarks, availability, ups_status, ups_variables

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "UPS_NAME",
    "Availability",
    "ClientInfo",
    "Limits",
    "Listen",
    "LowMarks",
    "NutBindError",
    "NutConfigError",
    "NutError",
    "NutServer",
    "NutUser",
    "availability",
    "check_credential",
    "check_exposure",
    "check_ups_name",
    "parse_allowed",
    "parse_listen",
    "ups_status",
    "ups_variables",
]
