"""A simulated Tesla cloud (OAuth + Fleet API energy endpoints) in front of a simulated gateway.

Like the gateway simulator it imports nothing from the rest of ``pwtray``, and nothing from the
cloud client either: it is built from public descriptions of Tesla's API, so a mistake shared
with the client cannot pass the tests. It touches the gateway simulator only through its public
``state()`` and ``set_state(mode=…, reserve=…)``.
"""

from ._cli import add_arguments, banner, din_for_serial, start_from_arguments
from ._server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_REFRESH_TOKEN,
    FAULT_KINDS,
    CloudConfig,
    CloudRequest,
    CloudSimulator,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_REFRESH_TOKEN",
    "FAULT_KINDS",
    "CloudConfig",
    "CloudRequest",
    "CloudSimulator",
    "add_arguments",
    "banner",
    "din_for_serial",
    "start_from_arguments",
]
