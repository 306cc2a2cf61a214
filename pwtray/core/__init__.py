"""The application, without its windows: composition, sites, commands and words. No Qt here.

``Core.start`` builds everything a run needs (the only place that builds gateway clients and
pollers, and, for the demo, the simulator); the tray app and ``pwtray status`` both start here.
The UI gets data and commands only through its bridge to this package.
"""

from pwtray.core._account import (
    REDIRECT_PORT,
    SIGN_IN_TIMEOUT_S,
    AccountState,
    AccountStatus,
    SiteChoiceNeeded,
    TeslaAccount,
)
from pwtray.core._actions import (
    ActionRun,
    ActionsConfig,
    ActionService,
    ActionSpec,
    Outcome,
    RunLog,
    Trigger,
    actions_config,
    join_command,
    split_command,
)
from pwtray.core._cloud import (
    CloudAccount,
    CloudService,
    NoCloudAccountError,
    ReserveNotChangedError,
)
from pwtray.core._cloud_tokens import ENV_SIGN_IN_REPLACED, CloudTokens
from pwtray.core._commands import Applied, ChangeRefusedError, Commands, OperationView, Via
from pwtray.core._config import CliOptions, Config, Gateway, effective
from pwtray.core._core import Core, Note, selftest_gateway
from pwtray.core._doctor import Check, Diagnosis, diagnose, spaced_fingerprint
from pwtray.core._oneshot import NotSetUpError, one_shot_site
from pwtray.core._passwords import Passwords
from pwtray.core._shutdown import (
    DryRun,
    LogindBackend,
    Phase,
    PowerAction,
    PowerBackend,
    PowerError,
    Reason,
    ShutdownConfig,
    ShutdownPolicy,
    ShutdownState,
    default_backend,
    shutdown_config,
)
from pwtray.core._site import Site
from pwtray.core._status import StatusReading, read_status
from pwtray.core._system import SYSTEM_SECTIONS, explain_alert, network_info
from pwtray.core._system_info import SECTIONS, Section
from pwtray.core._tasks import Supervisor
from pwtray.core._ups import UpsClient, UpsState, check_ups

__all__ = [
    "ENV_SIGN_IN_REPLACED",
    "REDIRECT_PORT",
    "SECTIONS",
    "SIGN_IN_TIMEOUT_S",
    "SYSTEM_SECTIONS",
    "AccountState",
    "AccountStatus",
    "ActionRun",
    "ActionService",
    "ActionSpec",
    "ActionsConfig",
    "Applied",
    "ChangeRefusedError",
    "Check",
    "CliOptions",
    "CloudAccount",
    "CloudService",
    "CloudTokens",
    "Commands",
    "Config",
    "Core",
    "Diagnosis",
    "DryRun",
    "Gateway",
    "LogindBackend",
    "NoCloudAccountError",
    "NotSetUpError",
    "Note",
    "OperationView",
    "Outcome",
    "Passwords",
    "Phase",
    "PowerAction",
    "PowerBackend",
    "PowerError",
    "Reason",
    "ReserveNotChangedError",
    "RunLog",
    "Section",
    "ShutdownConfig",
    "ShutdownPolicy",
    "ShutdownState",
    "Site",
    "SiteChoiceNeeded",
    "StatusReading",
    "Supervisor",
    "TeslaAccount",
    "Trigger",
    "UpsClient",
    "UpsState",
    "Via",
    "actions_config",
    "check_ups",
    "default_backend",
    "diagnose",
    "effective",
    "explain_alert",
    "join_command",
    "network_info",
    "one_shot_site",
    "read_status",
    "selftest_gateway",
    "shutdown_config",
    "spaced_fingerprint",
    "split_command",
]
