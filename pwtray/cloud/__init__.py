"""Tesla Fleet API client for one energy site: signing in (OAuth 2.0 with PKCE, or a pasted
refresh token), tokens kept fresh and stored through a :class:`TokenStore`, reads on request
and commands for mode, reserve, Storm Watch, grid charging, exports and the vehicle reserve.

No Qt here, and no polling: Tesla meters every call, so the cloud is asked only when a person
opens a dialog or gives a command. Everything public is re-exported here.
"""

from pwtray.cloud._auth import (
    CALLBACK_PATH,
    DEFAULT_AUTH_URL,
    DEFAULT_CLOUD_URL,
    SCOPES,
    LoopbackReceiver,
    Pkce,
    SignIn,
    authorize_url,
    sign_in_with_browser,
    sign_in_with_refresh_token,
)
from pwtray.cloud._client import FleetClient, choose_site
from pwtray.cloud._exceptions import (
    CloudCertificateError,
    CloudError,
    CloudProtocolError,
    CloudUnavailableError,
    CloudUnreachableError,
    CommandNotConfirmedError,
    CommandRefusedError,
    MissingScopeError,
    RateLimitedError,
    SignInFailedError,
    SignInRequiredError,
    SiteChoiceRequiredError,
    SiteNotFoundError,
    SiteOfflineError,
)
from pwtray.cloud._http import CloudTimeouts, make_http_client, tls_context
from pwtray.cloud._models import (
    BackupEvent,
    CloudSettings,
    CommandResult,
    EnergySite,
    ExportRule,
    LiveStatus,
    Mode,
    Region,
    SiteChoice,
    SiteInfo,
)
from pwtray.cloud._tokens import MemoryTokenStore, TokenManager, TokenStore

__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_AUTH_URL",
    "DEFAULT_CLOUD_URL",
    "SCOPES",
    "BackupEvent",
    "CloudCertificateError",
    "CloudError",
    "CloudProtocolError",
    "CloudSettings",
    "CloudTimeouts",
    "CloudUnavailableError",
    "CloudUnreachableError",
    "CommandNotConfirmedError",
    "CommandRefusedError",
    "CommandResult",
    "EnergySite",
    "ExportRule",
    "FleetClient",
    "LiveStatus",
    "LoopbackReceiver",
    "MemoryTokenStore",
    "MissingScopeError",
    "Mode",
    "Pkce",
    "RateLimitedError",
    "Region",
    "SignIn",
    "SignInFailedError",
    "SignInRequiredError",
    "SiteChoice",
    "SiteChoiceRequiredError",
    "SiteInfo",
    "SiteNotFoundError",
    "SiteOfflineError",
    "TokenManager",
    "TokenStore",
    "authorize_url",
    "choose_site",
    "make_http_client",
    "sign_in_with_browser",
    "sign_in_with_refresh_token",
    "tls_context",
]
