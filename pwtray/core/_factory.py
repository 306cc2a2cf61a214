"""The one place a gateway client is built: every part of the app asks here."""

from __future__ import annotations

from pwtray.gateway import GatewayAddress, GatewayClient, Timeouts

DEFAULT_TIMEOUTS = Timeouts()


def make_client(
    address: str | GatewayAddress,
    *,
    password: str | None = None,
    email: str = "",
    fingerprint: str | None = None,
    keep_session: bool = False,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
) -> GatewayClient:
    """A pinned client for one gateway. ``keep_session``: leave the login valid at close (the
    tray app, so a restart needs no new login); one-shot uses log out."""
    return GatewayClient(
        address,
        password=password,
        email=email,
        fingerprint=fingerprint or None,
        keep_session=keep_session,
        timeouts=timeouts,
    )
