"""A real HTTPS Powerwall 2 / Backup Gateway simulator.

It answers every endpoint of the gateway's local API the way real gateways do (shapes taken from
``shared/gateway-samples``), moves its numbers with a small physical model, and can be told to
misbehave (outages, 502s, lock-outs, slow or dropped connections, malformed JSON, a rotated
certificate). Tests, benchmarks and ``pwtray --demo`` run against it.

It must not import anything from the rest of ``pwtray``: it is the independent check of the
client, so a mistake shared by both cannot pass the tests.
"""

from ._config import RequestRecord, ScenarioError, SimulatorConfig
from ._faults import FAULT_KINDS
from ._history import HistoryRow, Outage, default_outages, simulate_history
from ._simulator import Simulator
from ._timeline import SCENARIOS, load_scenario

__all__ = [
    "FAULT_KINDS",
    "SCENARIOS",
    "HistoryRow",
    "Outage",
    "RequestRecord",
    "ScenarioError",
    "Simulator",
    "SimulatorConfig",
    "default_outages",
    "load_scenario",
    "simulate_history",
]
