"""The public surface of pwtray.gateway is exactly what __all__ says, and errors form one tree."""

from __future__ import annotations

import pwtray.gateway as gateway
from pwtray.gateway import GatewayError
from pwtray.settings import redact


def test_public_names() -> None:
    public = {name for name in dir(gateway) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(gateway, name)).__name__ == "module"}
    assert public - modules == set(gateway.__all__)


def test_every_error_derives_from_gateway_error() -> None:
    errors = [getattr(gateway, n) for n in gateway.__all__ if n.endswith("Error")]
    assert len(errors) == 14
    assert all(issubclass(e, GatewayError) for e in errors)


def test_redaction_of_tokens_cookies_and_passwords() -> None:
    line = (
        "headers [(b'Set-Cookie', b'AuthCookie=abc+/def==; Path=/'), (b'Set-Cookie', "
        "b'UserRecord=xyz; Path=/')] Authorization: Bearer tok.en/== "
        '{"username":"customer","password":"hunter2","token":"T0k"}'
    )
    cleaned = redact(line)
    for secret in ("abc+/def==", "xyz", "tok.en/==", "hunter2", "T0k"):
        assert secret not in cleaned
    assert "AuthCookie=<redacted>" in cleaned
