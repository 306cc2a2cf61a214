"""The NUT server's errors, for the caller that starts it (the app, the command line).

    NutError                      everything below; ``str()`` is a sentence for the user
    ├── NutConfigError            a listen address, allowed client or name that cannot work
    └── NutBindError(host, port)  the address could not be bound (in use, not on this machine)

What a NUT *client* does wrong is not an exception: it gets upsd's ``ERR …`` reply, or its
connection is closed, and the server goes on serving the others.
"""

from __future__ import annotations


class NutError(Exception):
    """Root of the NUT server's errors."""


class NutConfigError(NutError, ValueError):
    """A setting the server cannot work with; the message names it and says what is expected."""


class NutBindError(NutError):
    """The listening socket could not be opened."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"The NUT server cannot listen on {_join(host, port)}: {reason}")
        self.host = host
        self.port = port
        self.reason = reason


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
