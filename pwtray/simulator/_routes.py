"""The endpoint table: which requests a simulated gateway answers, who may ask, and with what.

Answers are built from the site model and the gateway's identity in the shapes of
``_responses``; the stateful endpoints (operation, site master, site name, islanding,
connectivity tests) change the model here. Sessions are checked here because which endpoints
need one depends on the firmware (seed document; PROTOCOL §3). Imports nothing else from pwtray.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from . import _meters
from . import _responses as r
from ._config import Json, Reply, SimulatorConfig
from ._model import SiteModel
from ._responses import Identity
from ._sessions import Sessions, login_cookies, parse_body

LOGIN = "/api/login/Basic"
LOGOUT = "/api/logout"
Handler = Callable[[dict[str, Any]], Reply]
FaultCheck = Callable[[str, str], dict[str, Any] | None]  # (kind, path) -> params if it hits

# Endpoints that answer 502 with an empty body while the site master is stopped [PROTOCOL §4].
STOPPED_502 = frozenset(
    {
        "/api/meters/aggregates",
        "/api/system_status/soe",
        "/api/system_status/grid_status",
        "/api/system_status",
        "/api/system_status/grid_faults",
    }
)
# Firmware 1.x reads that need no token: those the seed document lists before "The below API
# calls require authentication". Every other request needs one, writes included (the seed lists
# sitemaster/stop and /run before the note too, but says to run the Powerwalls "after getting
# an authentication token"; a gateway that let anyone stop them without one is not simulated).
LEGACY_OPEN_READS = frozenset(
    {
        "/api/meters/aggregates",
        "/api/system_status/soe",
        "/api/sitemaster",
        "/api/powerwalls",
        "/api/customer/registration",
        "/api/system_status/grid_status",
        "/api/system/update/status",
        "/api/site_info",
        "/api/site_info/site_name",
        "/api/status",
        "/api/system_status/grid_faults",
        "/api/config/completed",
    }
)
MODES = ("self_consumption", "backup", "autonomous", "scheduler", "site_control")
NOT_FOUND = r.error(404, "Not Found", "Not Found")
NOT_ALLOWED = r.error(405, "Method Not Allowed", "Method Not Allowed")
# Seed document, GET /api/sitemaster/stop on 1.15: "returns HTTP Status 500 if powerwall cannot
# be stopped at this moment with the following JSON".
UNABLE_TO_STOP = {
    "code": 500,
    "error": "Cannot Start Wizard",
    "message": "Unable to stop sitemaster",
}


def needs_session(method: str, path: str, *, legacy: bool, status_requires_auth: bool) -> bool:
    """Whether a request must carry a session on this firmware."""
    if path.startswith("/tedapi"):
        return False  # refused for every customer, logged in or not
    if path == "/api/status" and method == "GET":
        return status_requires_auth
    if legacy:
        return not (method == "GET" and path in LEGACY_OPEN_READS)
    return True


class Answers(Protocol):
    """What answers the API: the site model's routes, or a replayed capture set."""

    identity: Identity

    def answer(
        self, method: str, path: str, body: bytes, content_type: str, token: str | None
    ) -> Reply: ...


class Routes:
    """A simulated gateway's API, answering from its site model."""

    def __init__(
        self,
        config: SimulatorConfig,
        model: SiteModel,
        identity: Identity,
        sessions: Sessions,
        fault: FaultCheck,
    ) -> None:
        self.config = config
        self.model = model
        self.identity = identity
        self.sessions = sessions
        self.fault = fault
        self.commission_count = 11
        # A mode/reserve write waits here until GET /api/config/completed commits it (seed:
        # "Setting a value is not sufficient to make the change").
        self.staged_operation: tuple[str, float] | None = None
        # The seed's max_pv_export_power_kW (1.x era): None is the seed's null, "no limit".
        self.max_pv_export_kw: float | None = None
        self.staged_export: tuple[float | None] | None = None
        self._conn_test_started: dt.datetime | None = None
        self._table = self._build_table()

    @property
    def legacy(self) -> bool:
        return self.identity.legacy

    def needs_session(self, method: str, path: str) -> bool:
        status_auth = self.config.status_requires_auth
        return needs_session(method, path, legacy=self.legacy, status_requires_auth=status_auth)

    def answer(
        self, method: str, path: str, body: bytes, content_type: str, token: str | None
    ) -> Reply:
        """The reply to one request (or ``Respond`` raised with it)."""
        now_s = self.model.clock.elapsed_s()
        if path == LOGIN:
            if method != "POST":
                return Reply(405, NOT_ALLOWED)
            return self.login(parse_body(body, content_type), now_s)
        if path == LOGOUT:
            self.sessions.close(token)
            return Reply(204)
        handler = self._table.get((method, path)) or self._dynamic(method, path)
        if handler is None and self.legacy and not path.startswith("/tedapi"):
            return self._unknown(path)  # 1.x: an unknown path is not worth a login
        if self.needs_session(method, path) and not self.sessions.valid(token, now_s):
            return Reply(401, r.error(401, "Authentication required", "Login Error"))
        if path.startswith("/tedapi"):
            return Reply(403, r.error(403, "Forbidden", "Forbidden"))
        if path in STOPPED_502 and not self.model.running:
            return Reply(502)
        if handler is None:
            return self._unknown(path)
        return handler(parse_body(body))

    def login(self, fields: dict[str, Any], now_s: float) -> Reply:
        self.sessions.check_login(fields, legacy=self.legacy, now_s=now_s)
        token = self.sessions.open(now_s)
        email = str(fields.get("email", "")) or self.config.email
        payload = r.login_ok(token, email, self.model.now(), self.identity)
        if self.legacy:
            # Seed document: on 1.15 getting a token stops the Powerwalls until sitemaster/run.
            self.model.running = False
            return Reply(200, payload)
        return Reply(200, payload, login_cookies(token))

    def _unknown(self, path: str) -> Reply:
        if any(known == path for (_, known) in self._table):
            return Reply(405, NOT_ALLOWED)
        return Reply(404, NOT_FOUND)

    # ------------------------------------------------------------------ the table
    def _build_table(self) -> dict[tuple[str, str], Handler]:
        m = self.model
        table: dict[tuple[str, str], Handler] = {
            ("GET", "/api/meters/aggregates"): self._from(_meters.aggregates),
            ("GET", "/api/system_status/soe"): lambda _: Reply(200, r.soe(m)),
            ("GET", "/api/system_status/grid_status"): self._from(r.grid_status),
            ("GET", "/api/system_status/grid_faults"): self._from(r.grid_faults),
            ("GET", "/api/sitemaster"): self._from(r.sitemaster),
            ("GET", "/api/sitemaster/run"): self._sitemaster_run,
            ("GET", "/api/powerwalls"): self._from(r.powerwalls),
            ("GET", "/api/powerwalls/status"): self._powerwalls_status,
            ("GET", "/api/customer/registration"): lambda _: Reply(
                200, r.registration(self.identity)
            ),
            ("GET", "/api/system/update/status"): self._from(r.update_status),
            ("GET", "/api/site_info"): self._from(r.site_info),
            ("GET", "/api/site_info/site_name"): lambda _: Reply(200, r.site_name(self.identity)),
            ("POST", "/api/site_info/site_name"): self._set_site_name,
            ("GET", "/api/status"): lambda _: Reply(
                200, r.status(m, self.identity, self.commission_count)
            ),
            ("GET", "/api/config/completed"): self._config_completed,
            ("GET", "/api/operation"): lambda _: Reply(
                200, r.operation(m.mode, m.reserve_raw, self.identity, self.max_pv_export_kw)
            ),
            ("POST", "/api/operation"): self._set_operation,
            ("GET", "/api/site_info/grid_codes"): _static(r.GRID_CODES),
            ("GET", "/api/solars"): _static(r.SOLARS),
            ("GET", "/api/solars/brands"): _static(sorted(r.SOLAR_BRANDS)),
            ("GET", "/api/generators"): _static({"disconnect_type": "None", "generators": []}),
            ("GET", "/api/generators/disconnect_types"): _static(["DownstreamATS"]),
            ("GET", "/api/customer"): _static(r.CUSTOMER),
            ("GET", "/api/config"): lambda _: Reply(200, {"vin": self.identity.din}),
            ("GET", "/api/meters"): lambda _: Reply(200, _meters.meters_list(self.identity)),
            ("GET", "/api/meters/readings"): self._from(_meters.meter_readings),
            ("GET", "/api/installer"): _static(r.INSTALLER),
            ("GET", "/api/installer/companies"): _static(r.INSTALLER_COMPANIES),
            ("GET", "/api/networks"): lambda _: Reply(200, r.networks(self.identity)),
            ("POST", "/api/networks"): lambda fields: Reply(200, fields),
            ("POST", "/api/networks/wifi_scan"): _static(r.WIFI_SCAN),
            ("GET", "/api/networks/wifi_security_types"): _static(r.WIFI_SECURITY_TYPES),
            ("GET", "/api/system/networks"): _static(r.SYSTEM_NETWORKS),
            ("POST", "/api/system/networks/conn_tests"): self._conn_tests,
            ("GET", "/api/system/networks/conn_tests"): self._conn_tests,
            ("GET", "/api/system/testing"): _static(r.SYSTEM_TESTING),
            ("POST", "/api/logging"): lambda _: Reply(204),
            ("POST", "/api/customer/registration/skip"): lambda _: Reply(
                200, r.registration(self.identity)
            ),
            ("POST", "/api/customer/registration/emailed"): lambda _: Reply(
                200, r.registration(self.identity)
            ),
            ("POST", "/api/customer/registration/legal"): lambda fields: Reply(200, fields),
            ("POST", "/api/sitemaster/run_for_commissioning"): lambda _: Reply(202),
        }
        if self.legacy:
            table[("GET", "/api/sitemaster/stop")] = self._sitemaster_stop
            return table
        return table | {
            ("POST", "/api/sitemaster/stop"): self._sitemaster_stop,
            ("GET", "/api/sitemaster/stop"): _static(NOT_ALLOWED, status=405),
            ("GET", "/api/system_status"): self._from(r.system_status),
            ("GET", "/api/meters/site"): self._from(_meters.meters_site),
            ("GET", "/api/meters/solar"): self._meters_solar,
            ("GET", "/api/troubleshooting/problems"): _static({"problems": []}),
            ("GET", "/api/auth/toggle/supported"): _static({"toggle_auth_supported": True}),
            ("POST", "/api/v2/islanding/mode"): self._islanding,
        }

    def _from(self, build: Callable[[SiteModel, Identity], Json]) -> Handler:
        """A read built from the model and the identity as they are at the time of the request."""
        return lambda _: Reply(200, build(self.model, self.identity))

    def _dynamic(self, method: str, path: str) -> Handler | None:
        """Endpoints with a name or serial in their path."""
        parts = path.split("/")
        if method == "GET" and path.startswith("/api/solars/brands/"):
            brand = urllib.parse.unquote(path.removeprefix("/api/solars/brands/"))
            if brand in r.SOLAR_BRANDS:
                return _static(r.SOLAR_BRANDS[brand])
            return _static(r.error(404, "Not Found", f"unknown brand {brand}"), status=404)
        if method == "POST" and path.startswith("/api/networks/") and len(parts) > 4:
            return _static({"network_name": parts[3], "result": parts[-1]})
        if method == "POST" and path.startswith("/api/meters/") and path.endswith("/verify"):
            return _static({"serial": parts[3], "verified": True})
        return None

    # ------------------------------------------------------------------ reads with a state
    def _powerwalls_status(self, _fields: dict[str, Any]) -> Reply:
        if self.legacy and self.model.running:
            return Reply(409, r.SITEMASTER_RUNNING_409)  # seed document, 1.15
        return Reply(200, r.powerwalls_flags(self.model))

    def _meters_solar(self, _fields: dict[str, Any]) -> Reply:
        if not self.config.solar_meter:
            return Reply(200, b"null")  # 23.28.2 capture: a site without solar meters
        return Reply(200, _meters.meters_solar(self.model, self.identity))

    def _conn_tests(self, _fields: dict[str, Any]) -> Reply:
        """Connectivity tests: started by the first call, finished two seconds later."""
        now = self.model.now()
        started = self._conn_test_started
        if started is None or (now - started).total_seconds() > 60:
            self._conn_test_started = now
            return Reply(200, r.conn_test_results(None))
        if (now - started).total_seconds() < 2:
            return Reply(200, r.conn_test_results(None))
        return Reply(200, r.conn_test_results(started + dt.timedelta(seconds=2)))

    # ------------------------------------------------------------------ writes
    def _ignored(self, path: str) -> bool:
        """The ``ignore-writes`` fault: a write answered as accepted but never applied."""
        return self.fault("ignore-writes", path) is not None

    def _sitemaster_run(self, _fields: dict[str, Any]) -> Reply:
        if not self._ignored("/api/sitemaster/run"):
            self.model.running = True
        return Reply(202)

    def _sitemaster_stop(self, fields: dict[str, Any]) -> Reply:
        if self.fault("unable-to-stop", "/api/sitemaster/stop") is not None:
            return Reply(500, UNABLE_TO_STOP)
        reason = r.can_reboot(self.model)
        if not self.legacy and reason != "Yes" and not fields.get("force"):
            return Reply(412, r.error(412, "Cannot stop sitemaster", reason or "stopped"))
        if not self._ignored("/api/sitemaster/stop"):
            self.model.running = False
        return Reply(202)

    def _set_operation(self, fields: dict[str, Any]) -> Reply:
        if not self.legacy and not self.config.allow_writes:
            return Reply(
                403,
                r.error(
                    403, "Unable to POST to resource", "User does not have adequate access rights"
                ),
            )
        mode = fields.get("real_mode", fields.get("mode"))
        reserve = fields.get("backup_reserve_percent")
        if "max_pv_export_power_kW" in fields:
            limit = fields["max_pv_export_power_kW"]
            valid = limit is None or (isinstance(limit, int | float) and 0 <= limit <= 1000)
            if not self.legacy or not valid:  # only the seed's firmware has it
                return Reply(400, r.error(400, "Invalid field", "max_pv_export_power_kW"))
            if not self._ignored("/api/operation"):
                self.staged_export = (None if limit is None else float(limit),)
        if mode is not None and mode not in MODES:
            return Reply(400, r.error(400, "Invalid mode", f"unknown mode {mode}"))
        if mode == "autonomous" and self.identity.seed_era:
            # Seed document (1.15): "the api to configure autonomous via POST produces 50x".
            # It quotes no body, so none is invented here.
            return Reply(500)
        staged_mode, staged_reserve = self.staged_operation or (
            self.model.mode,
            self.model.reserve_raw,
        )
        if reserve is not None and reserve is not False:
            if not isinstance(reserve, int | float) or not 0 <= reserve <= 100:
                return Reply(400, r.error(400, "Invalid reserve", "reserve must be 0-100"))
            staged_reserve = float(reserve)
        if mode is not None:
            staged_mode = str(mode)
        if not self._ignored("/api/operation"):
            self.staged_operation = (staged_mode, staged_reserve)
        return Reply(200, r.operation(staged_mode, staged_reserve, self.identity))

    def _config_completed(self, _fields: dict[str, Any]) -> Reply:
        """Commit what was written: the staged mode and reserve take effect now."""
        if self.staged_operation is not None:
            self.model.mode, self.model.reserve_raw = self.staged_operation
            self.staged_operation = None
        if self.staged_export is not None:
            (self.max_pv_export_kw,) = self.staged_export
            self.staged_export = None
        if self.legacy:
            return Reply(202)
        self.commission_count += 1
        return Reply(200, r.status(self.model, self.identity, self.commission_count))

    def _set_site_name(self, fields: dict[str, Any]) -> Reply:
        name = fields.get("site_name")
        if not isinstance(name, str) or not name.strip():
            return Reply(400, r.error(400, "Invalid site name", "site_name is required"))
        renamed = replace(self.identity, site_name=name.strip())
        if not self._ignored("/api/site_info/site_name"):
            self.identity = renamed
        return Reply(200, r.site_name(renamed))

    def _islanding(self, fields: dict[str, Any]) -> Reply:
        mode = fields.get("island_mode")
        if mode not in ("intentional_reconnect_failsafe", "backup"):
            return Reply(400, r.error(400, "Invalid island mode", f"unknown mode {mode}"))
        if not self._ignored("/api/v2/islanding/mode"):
            if mode == "backup":
                self.model.reconnect()
            else:
                self.model.go_off_grid()
        return Reply(200, {"island_mode": mode})


def _static(payload: Json, status: int = 200) -> Handler:
    return lambda _: Reply(status, payload)
