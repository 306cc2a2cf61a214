"""Logins of both firmware generations, sessions, lock-outs and the TLS SNI rule."""

from __future__ import annotations

import ssl

import httpx
import pytest

from tests.conftest import PASSWORD, SimFactory
from tests.simulator.helpers import client, login, peer_fingerprint


def test_current_login_sets_both_cookies_and_a_token(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as http:
        response = login(http)
        assert response.status_code == 200
        token = response.json()["token"]
        assert http.cookies["AuthCookie"] == token
        assert http.cookies["UserRecord"]
        assert http.get("/api/meters/aggregates").status_code == 200  # cookie session


def test_bearer_token_and_cookie_alone_both_work(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as http:
        token = login(http).json()["token"]
    with client(sim) as bearer:
        bearer.headers["Authorization"] = f"Bearer {token}"
        assert bearer.get("/api/system_status/soe").status_code == 200
    with client(sim) as cookie:
        cookie.headers["Cookie"] = f"AuthCookie={token}"
        assert cookie.get("/api/system_status/soe").status_code == 200
    auth_kinds = [r.auth for r in sim.requests() if r.path == "/api/system_status/soe"]
    assert auth_kinds == ["bearer", "cookie"]


def test_form_encoded_login_is_accepted(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as http:
        response = http.post(
            "/api/login/Basic", data={"username": "customer", "password": PASSWORD, "email": "x"}
        )
    assert response.status_code == 200


def test_a_json_body_sent_as_form_is_read_as_json(sim_factory: SimFactory) -> None:
    sim = sim_factory()  # what `curl -d '{...}'` without a Content-Type header sends
    body = f'{{"username":"customer","password":"{PASSWORD}","email":"x"}}'
    with client(sim) as http:
        response = http.post(
            "/api/login/Basic",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 200


def test_without_a_session_reads_get_401_but_status_answers(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as http:
        response = http.get("/api/meters/aggregates")
        assert response.status_code == 401
        assert response.json()["code"] == 401
        assert http.get("/api/status").status_code == 200


def test_status_can_require_a_session(sim_factory: SimFactory) -> None:
    sim = sim_factory(status_requires_auth=True)
    with client(sim) as http:
        assert http.get("/api/status").status_code == 401


def test_wrong_password_gets_the_real_401_body(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as http:
        response = login(http, password="wrong")
    assert response.status_code == 401
    assert response.json() == {"code": 401, "error": "bad credentials", "message": "Login Error"}


def test_installer_login_needs_physical_access(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as http:
        response = http.post(
            "/api/login/Basic", json={"username": "installer", "password": PASSWORD}
        )
    assert response.status_code == 401
    assert "physical access" in response.json()["error"]


def test_repeated_bad_passwords_lock_out_even_the_right_one(sim_factory: SimFactory) -> None:
    sim = sim_factory(lockout_after=3, lockout_s=120)
    with client(sim) as http:
        statuses = [login(http, password=f"bad{i}").status_code for i in range(3)]
        assert statuses == [401, 401, 401]
        locked = login(http)
        assert locked.status_code == 429
        assert locked.json() == {
            "code": 429,
            "error": "Api Limit reached for this endpoint",
            "message": "API Limit Reached",
        }
        sim.advance(121)
        assert login(http).status_code == 200


def test_tokens_expire_after_the_configured_time(sim_factory: SimFactory) -> None:
    sim = sim_factory(token_ttl_s=3600)
    with client(sim) as http:
        login(http)
        assert http.get("/api/operation").status_code == 200
        sim.advance(3601)
        assert http.get("/api/operation").status_code == 401


def test_logout_ends_the_session(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as http:
        login(http)
        assert http.get("/api/logout").status_code == 204
        assert http.get("/api/operation").status_code == 401


def test_several_sessions_are_valid_at_once(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as first, client(sim) as second:
        login(first)
        login(second)
        assert first.get("/api/operation").status_code == 200
        assert second.get("/api/operation").status_code == 200


def test_revoke_tokens_from_the_control_endpoint(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as http:
        login(http)
        assert http.post("/_sim/revoke-tokens").json() == {"ok": True}
        assert http.get("/api/operation").status_code == 401


def test_request_log_never_holds_the_password_or_token(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as http:
        token = login(http).json()["token"]
        http.get("/api/operation")
        log_text = http.get("/_sim/requests").text
    assert PASSWORD not in log_text
    assert token not in log_text
    assert '"path":"/api/login/Basic"' in log_text


# ---------------------------------------------------------------------- firmware 1.15
def test_legacy_login_with_s_serial_and_bearer(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0", serial="T123456789")
    with client(sim) as http:
        assert (
            http.post("/api/login/Basic", json={"username": "", "password": "wrong"}).status_code
            == 401
        )
        response = http.post(
            "/api/login/Basic",
            json={"username": "", "password": "ST123456789", "force_sm_off": False},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["roles"] == ["Provider_Engineer"]
        assert body["email"] is None
        assert "loginTime" not in body
        assert "AuthCookie" not in http.cookies
        http.headers["Authorization"] = f"Bearer {body['token']}"
        assert http.get("/api/operation").json() == {
            "mode": "self_consumption",
            "backup_reserve_percent": 24,
        }


def test_legacy_login_stops_the_powerwalls_until_run(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    with client(sim) as http:
        token = http.post(
            "/api/login/Basic", json={"username": "", "password": "S" + sim.config.serial}
        ).json()["token"]
        assert http.get("/api/sitemaster").json()["running"] is False
        assert http.get("/api/system_status/soe").status_code == 502
        assert http.get("/api/sitemaster/run").status_code == 401  # needs the token
        http.headers["Authorization"] = f"Bearer {token}"
        assert http.get("/api/sitemaster/run").status_code == 202
        assert http.get("/api/sitemaster").json()["running"] is True


# ---------------------------------------------------------------------- TLS
@pytest.mark.parametrize("name", ["teg", "powerwall", "powerpack", None])
def test_allowed_sni_names_complete_the_handshake(
    sim_factory: SimFactory, name: str | None
) -> None:
    sim = sim_factory()
    assert peer_fingerprint(sim, server_hostname=name) == sim.fingerprint


@pytest.mark.parametrize("name", ["powerwall.home.lan", "gateway", "example.com"])
def test_other_sni_names_abort_the_handshake(sim_factory: SimFactory, name: str) -> None:
    sim = sim_factory()
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        peer_fingerprint(sim, server_hostname=name)
    assert sim.requests() == []


def test_sni_check_can_be_switched_off(sim_factory: SimFactory) -> None:
    sim = sim_factory(check_sni=False)
    assert peer_fingerprint(sim, server_hostname="powerwall.home.lan") == sim.fingerprint


def test_plain_http_gets_no_answer(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://{sim.address}/api/status", timeout=3)


def test_ipv6_loopback(sim_factory: SimFactory) -> None:
    try:
        sim = sim_factory(host="::1")
    except OSError as exc:
        pytest.fail(
            f"cannot listen on the IPv6 loopback ::1 ({exc.strerror}): enable IPv6 on the "
            "loopback interface (sysctl net.ipv6.conf.lo.disable_ipv6=0) to run this test"
        )
    assert sim.base_url.startswith("https://[::1]:")
    with client(sim) as http:
        assert http.get("/api/status").status_code == 200
