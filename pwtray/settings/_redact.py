"""Keep passwords, tokens and cookies out of every log line.

httpcore logs response headers at DEBUG level — including ``Set-Cookie: AuthCookie=<token>``.
:class:`RedactingFilter` rewrites such records; the app puts it on every log handler it sets up
(importing :mod:`pwtray.gateway` configures nothing).
"""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    re.compile(r"(AuthCookie=|UserRecord=)[^;,'\"\s)\]]+", re.IGNORECASE),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
    re.compile(
        r"((?:\"|')?(?:password|token|cookie|authorization)(?:\"|')?\s*[:=]\s*[\"']?)"
        r"[^\"',;\s)\]}]+",
        re.IGNORECASE,
    ),
]
REDACTED = "<redacted>"


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secrets replaced; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
