"""The simulated Tesla cloud on its own terms, spoken to with plain httpx (not pwtray's cloud
client): TLS by CA, OAuth with PKCE and rotating refresh tokens, the Fleet API's shapes,
faults, and delayed commands that reach the gateway only through ``set_state``."""

from __future__ import annotations

import base64
import hashlib
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pwtray.simulator.cloud import CloudConfig, CloudSimulator

CLIENT = "sim-test-client"
PASTED = "NA_pasted-token"


class FakeGateway:
    """Only what the cloud may use of the gateway simulator: state() and set_state()."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {
            "mode": "self_consumption",
            "reserve_percent": 20.000000000000004,  # as the simulator's own scale gives it
            "soe_percent": 61.5,
            "battery_w": -1200.0,
            "solar_w": 3000.0,
            "load_w": 900.0,
            "site_w": -900.0,
            "grid_status": "SystemGridConnected",
            "sim_time": "2026-06-15T03:00:00-07:00",
            "remaining_wh": 8300.0,
            "full_wh": 13500.0,
        }
        self.changes: list[dict[str, Any]] = []

    def state(self) -> dict[str, Any]:
        return dict(self.values)

    def set_state(self, **values: Any) -> None:
        self.changes.append(values)
        if "mode" in values:
            self.values["mode"] = values["mode"]
        if "reserve" in values:
            self.values["reserve_percent"] = float(values["reserve"])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def cloud(gateway: FakeGateway) -> Iterator[CloudSimulator]:
    config = CloudConfig(
        client_id=CLIENT,
        refresh_token=PASTED,
        delay_s=30.0,
        access_ttl_s=3600.0,
        backup_events=(("2026-06-01T10:00:00-07:00", 120.0),),
    )
    sim = CloudSimulator(gateway, config, clock=Clock()).start()
    yield sim
    sim.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("pwtray-cloud-sim")]


def web(cloud: CloudSimulator, host: str = "127.0.0.1") -> httpx.Client:
    context = ssl.create_default_context(cafile=str(cloud.ca_path))
    return httpx.Client(base_url=f"https://{host}:{cloud.port}", verify=context, trust_env=False)


def refresh(http: httpx.Client, token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "client_id": CLIENT, "refresh_token": token}
    return http.post("/oauth2/v3/token", data=form)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def site_path(cloud: CloudSimulator, endpoint: str) -> str:
    return f"/api/1/energy_sites/{cloud.config.energy_site_id}/{endpoint}"


def test_its_certificate_verifies_against_its_ca_file_by_name_and_address(
    cloud: CloudSimulator,
) -> None:
    for host in ("127.0.0.1", "localhost"):
        with web(cloud, host) as http:
            assert http.get("/api/1/products").status_code == 401  # TLS fine, no token
    with (
        httpx.Client(trust_env=False) as system_store,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        system_store.get(f"https://127.0.0.1:{cloud.port}/api/1/products")


def test_refresh_tokens_rotate_and_work_once(cloud: CloudSimulator) -> None:
    with web(cloud) as http:
        first = refresh(http, PASTED)
        assert first.status_code == 200
        grant = first.json()
        assert set(grant) == {
            "access_token",
            "refresh_token",
            "id_token",
            "expires_in",
            "token_type",
        }
        assert (grant["expires_in"], grant["token_type"]) == (3600, "Bearer")
        assert grant["refresh_token"] != PASTED
        reused = refresh(http, PASTED)
        assert reused.status_code == 401
        assert reused.json()["error"] == "login_required"
        assert refresh(http, "NA_unknown").json()["error"] == "invalid_grant"
        assert refresh(http, grant["refresh_token"]).status_code == 200
        wrong_client = http.post(
            "/oauth2/v3/token",
            data={"grant_type": "refresh_token", "client_id": "x", "refresh_token": "y"},
        )
        assert wrong_client.json()["error"] == "invalid_client"
        as_json = http.post("/oauth2/v3/token", json={"grant_type": "refresh_token"})
        assert as_json.status_code == 400  # OAuth token requests are form-encoded


def test_authorize_approves_at_once_and_the_code_needs_the_right_verifier(
    cloud: CloudSimulator,
) -> None:
    verifier = "v" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    redirect = "http://localhost:8765/callback"
    query = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": redirect,
        "scope": "openid offline_access energy_device_data energy_cmds",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with web(cloud) as http:
        page = http.get("/oauth2/v3/authorize", params=query)
        assert page.status_code == 302
        location = urllib.parse.urlsplit(page.headers["location"])
        answer = dict(urllib.parse.parse_qsl(location.query))
        assert f"{location.scheme}://{location.netloc}{location.path}" == redirect
        assert answer["state"] == "xyz"
        form = {
            "grant_type": "authorization_code",
            "client_id": CLIENT,
            "code": answer["code"],
            "redirect_uri": redirect,
            "code_verifier": "w" * 64,
        }
        wrong = http.post("/oauth2/v3/token", data=form)
        assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
        # A code is single use: even the right verifier is now too late.
        late = http.post("/oauth2/v3/token", data={**form, "code_verifier": verifier})
        assert late.status_code == 400
        page = http.get("/oauth2/v3/authorize", params=query)
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.headers["location"]).query))
        good = {**form, "code": code["code"], "code_verifier": verifier}
        assert http.post("/oauth2/v3/token", data=good).status_code == 200


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"redirect_uri": "https://attacker.example/callback"}, "Invalid redirect_uri"),
        ({"client_id": "someone-else"}, "Unknown application"),
        ({"code_challenge": ""}, "PKCE with S256 is required"),
        ({"code_challenge_method": "plain"}, "PKCE with S256 is required"),
        ({"state": ""}, "state is required"),
        ({"scope": "energy_cmds"}, "scope must include openid"),
    ],
)
def test_authorize_refuses_what_tesla_would(
    cloud: CloudSimulator, change: dict[str, str], why: str
) -> None:
    query = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": "http://127.0.0.1:9/callback",
        "scope": "openid offline_access",
        "state": "s",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }
    with web(cloud) as http:
        page = http.get("/oauth2/v3/authorize", params={**query, **change})
    assert page.status_code == 400
    assert why in page.text
    assert "location" not in page.headers


def test_fleet_api_shapes_and_scopes(cloud: CloudSimulator) -> None:
    with web(cloud) as http:
        token = refresh(http, PASTED).json()["access_token"]
        region = http.get("/api/1/users/region", headers=bearer(token)).json()
        assert region == {
            "response": {"region": "na", "fleet_api_base_url": f"https://127.0.0.1:{cloud.port}"}
        }
        products = http.get("/api/1/products", headers=bearer(token)).json()
        assert products["count"] == 2
        vehicle, site = products["response"]
        assert "vin" in vehicle
        assert "energy_site_id" not in vehicle
        assert site["energy_site_id"] == cloud.config.energy_site_id
        assert site["gateway_id"] == cloud.config.gateway_din
        info = http.get(site_path(cloud, "site_info"), headers=bearer(token)).json()["response"]
        assert (info["default_real_mode"], info["backup_reserve_percent"]) == (
            "self_consumption",
            20,
        )
        assert info["components"]["gateways"][0]["din"] == cloud.config.gateway_din
        live = http.get(site_path(cloud, "live_status"), headers=bearer(token)).json()
        assert live["response"]["percentage_charged"] == 61.5
        assert live["response"]["grid_status"] == "Active"
        history = http.get(
            site_path(cloud, "calendar_history"),
            params={"kind": "backup", "start_date": "2026-06-01T00:00:00-07:00"},
            headers=bearer(token),
        ).json()
        assert history == {
            "response": {
                "events": [{"timestamp": "2026-06-01T10:00:00-07:00", "duration": 120000}],
                "total_events": 1,
            }
        }
        unknown = http.get("/api/1/energy_sites/1/site_info", headers=bearer(token))
        assert unknown.status_code == 404
        assert unknown.json() == {"response": None, "error": "Not Found", "error_description": ""}
        expired = http.get("/api/1/products", headers=bearer("nonsense"))
        assert (expired.status_code, expired.json()["error"]) == (401, "invalid bearer token")


def test_a_token_expires_on_the_clouds_clock(cloud: CloudSimulator) -> None:
    with web(cloud) as http:
        token = refresh(http, PASTED).json()["access_token"]
        assert http.get("/api/1/products", headers=bearer(token)).status_code == 200
        cloud.advance(3600)
        late = http.get("/api/1/products", headers=bearer(token))
    assert (late.status_code, late.json()["error"]) == (401, "token expired (401)")


def test_commands_reach_the_gateway_after_the_delay_through_set_state_only(
    cloud: CloudSimulator, gateway: FakeGateway
) -> None:
    with web(cloud) as http:
        token = refresh(http, PASTED).json()["access_token"]
        answer = http.post(
            site_path(cloud, "backup"), json={"backup_reserve_percent": 70}, headers=bearer(token)
        )
        assert answer.json() == {"response": {"code": 201, "message": "Updated"}}
        http.post(
            site_path(cloud, "operation"),
            json={"default_real_mode": "backup"},
            headers=bearer(token),
        )
        http.post(site_path(cloud, "storm_mode"), json={"enabled": True}, headers=bearer(token))
        info = http.get(site_path(cloud, "site_info"), headers=bearer(token)).json()["response"]
        assert (info["backup_reserve_percent"], info["default_real_mode"]) == (70, "backup")
        assert info["user_settings"]["storm_mode_enabled"] is True
        assert gateway.changes == []  # on its way
        cloud.advance(29)
        assert gateway.changes == []
        cloud.advance(1)
        assert gateway.changes == [{"reserve": 70}, {"mode": "backup"}]
        bad = http.post(
            site_path(cloud, "backup"), json={"backup_reserve_percent": 101}, headers=bearer(token)
        )
        assert bad.status_code == 400
        assert "0 to 100" in bad.json()["error"]


@pytest.mark.parametrize(
    ("fault", "params", "status", "error"),
    [
        ("offline", {}, 408, "site unavailable: the gateway is not connected"),
        ("rate_limit", {"retry_after_s": 45}, 429, "Retry in 45 seconds"),
        ("server_error", {"status": 503}, 503, "internal error"),
        ("missing_scope", {}, 403, "Unauthorized missing scopes"),
    ],
)
def test_faults(
    cloud: CloudSimulator, fault: str, params: dict[str, int], status: int, error: str
) -> None:
    with web(cloud) as http:
        token = refresh(http, PASTED).json()["access_token"]
        cloud.set_fault(fault, path="/site_info", count=1, **params)
        assert http.get("/api/1/products", headers=bearer(token)).status_code == 200
        answer = http.get(site_path(cloud, "site_info"), headers=bearer(token))
        assert (answer.status_code, answer.json()["error"]) == (status, error)
        if fault == "rate_limit":
            assert answer.headers["retry-after"] == "45"
        again = http.get(site_path(cloud, "site_info"), headers=bearer(token))
        assert again.status_code == 200  # count=1


def test_revoking_stops_every_token(cloud: CloudSimulator) -> None:
    with web(cloud) as http:
        grant = refresh(http, PASTED).json()
        cloud.revoke_tokens()
        assert http.get("/api/1/products", headers=bearer(grant["access_token"])).status_code == 401
        assert refresh(http, grant["refresh_token"]).json()["error"] == "login_required"


def test_the_request_log_names_tokens_by_serial_only(cloud: CloudSimulator) -> None:
    with web(cloud) as http:
        grant = refresh(http, PASTED).json()
        http.get("/api/1/products", headers=bearer(grant["access_token"]))
    token_request, products = cloud.requests()
    assert (token_request.grant_type, token_request.token_serial) == ("refresh_token", None)
    assert products.token_serial == 1
    assert grant["access_token"] not in repr(cloud.requests())
