"""The application, without its windows: composition, sites, commands and words. No Qt here.

``Core.start`` builds everything a run needs (the only place that builds gateway clients and
pollers, and, for the demo, the simulator); the tray app and ``pwtray status`` both start here.
The UI gets data and commands only through its bridge to this package.
"""

from pwtray.core._commands import Commands, OperationView
from pwtray.core._config import CliOptions, Config, Gateway, effective
from pwtray.core._core import Core, Note, selftest_gateway
from pwtray.core._doctor import Check, Diagnosis, diagnose, spaced_fingerprint
from pwtray.core._site import Site
from pwtray.core._status import StatusReading, read_status
from pwtray.core._system_info import SECTIONS, Section, network_info
from pwtray.core._tasks import Supervisor

__all__ = [
    "SECTIONS",
    "Check",
    "CliOptions",
    "Commands",
    "Config",
    "Core",
    "Diagnosis",
    "Gateway",
    "Note",
    "OperationView",
    "Section",
    "Site",
    "StatusReading",
    "Supervisor",
    "diagnose",
    "effective",
    "network_info",
    "read_status",
    "selftest_gateway",
    "spaced_fingerprint",
]
