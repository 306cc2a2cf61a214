"""A real HTTPS Powerwall 2 / Backup Gateway simulator.

It answers every endpoint of the gateway's local API the way real gateways do (shapes taken from
``shared/gateway-samples``), moves its numbers with a small physical model, and can be told to
misbehave (outages, 502s, lock-outs, slow or dropped connections, malformed JSON, a rotated
certificate). Tests, benchmarks and ``pwtray --demo`` run against it.

It must not import anything from the rest of ``pwtray``: it is the independent check of the
client, so a mistake shared by both cannot pass the tests.
"""

from ._server import Simulator, SimulatorConfig
from ._timeline import SCENARIOS, ScenarioError, load_scenario

__all__ = ["SCENARIOS", "ScenarioError", "Simulator", "SimulatorConfig", "load_scenario"]
