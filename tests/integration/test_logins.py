"""Staff sign-in that resists guessing, tokens that can be revoked and refreshed, and the audit of it all.

Thresholds are the defaults (5 failures per account, 20 per address, in 15 minutes, lock 15 minutes);
time moves only on the fake clock. Client addresses are the connection's own unless the connection comes
from a configured proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.identity import create_user
from pingan.core.models import Role
from pingan.core.settings import Settings
from pingan.desk.otp import FakeSmsGateway

SECRET = "logins-tests-secret-0123456789abcdefghij"
PASSWORD = "right-password-1"
A = "/api/v1"


@dataclass
class World:
    services: Services
    clock: FakeClock
    sms: FakeSmsGateway
    ids: dict[str, int]

    def client(self, address: str = "198.51.100.7") -> TestClient:
        return TestClient(create_app(self.services), client=(address, 40000))

    def login(
        self, username: str, password: str = PASSWORD, *, address: str = "198.51.100.7", **kw: Any
    ) -> httpx.Response:
        form = {"username": username, "password": password}
        response: httpx.Response = self.client(address).post(f"{A}/auth/token", data=form, **kw)
        return response

    def token(self, username: str) -> dict[str, str]:
        response = self.login(username)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def make_world(db: Database, **settings: Any) -> World:
    clock = FakeClock()
    sms = FakeSmsGateway()
    services = bootstrap(
        Settings(database_url=db.url, secret_key=SECRET, desk_dingtalk_enabled=False, **settings),
        clock=clock,
        db=db,
        sms=sms,
    )
    ids = {}
    with db.session() as s:
        for name, role in (("admin", Role.ADMIN), ("fzzx", Role.ANALYST), ("mj1", Role.OFFICER), ("mj2", Role.OFFICER)):
            ids[name] = create_user(s, name, PASSWORD, role=role, display_name=name, unit_id=None, now=clock.now()).id
    return World(services, clock, sms, ids)


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    w = make_world(db)
    yield w
    w.services.close()


def audit(world: World, **params: Any) -> list[dict[str, Any]]:
    response = world.client().get(f"{A}/audit/events", params=params, headers=world.token("admin"))
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["items"]
    return rows


# -- throttling -------------------------------------------------------------------------------------


def test_a_hundred_wrong_passwords_lock_the_account_and_the_lock_ends(world: World) -> None:
    codes = [world.login("mj1", f"guess-{i}").status_code for i in range(100)]
    assert codes[:5] == [401] * 5
    assert set(codes[5:]) == {429}
    locked = world.login("mj1")  # the right password, during the lockout
    assert locked.status_code == 429
    assert locked.json()["error"]["field"] == "username"
    assert "分钟后再试" in locked.json()["error"]["message"]
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    world.clock.advance(minutes=15, seconds=1)
    assert world.login("mj1").status_code == 200
    # Another account was never locked.
    assert world.login("mj2").status_code == 200


def test_a_lockout_is_recorded_once_with_the_failures_and_refused_attempts_are_not_counted(world: World) -> None:
    for i in range(12):
        world.login("mj1", f"guess-{i}")
    events = audit(world, username="mj1")
    kinds = [e["kind"] for e in events]
    assert kinds.count("login_failed") == 5
    assert kinds.count("lockout") == 1
    assert events[0]["address"] == "198.51.100.7"


def test_failures_from_one_address_across_accounts_lock_the_address(world: World) -> None:
    attacker = "203.0.113.9"
    codes = [world.login(f"user{i}", "guess", address=attacker).status_code for i in range(25)]
    assert codes[:20] == [401] * 20
    assert set(codes[20:]) == {429}
    assert world.login("mj1", address=attacker).status_code == 429  # even a real account, rightly typed
    assert world.login("mj1", address="192.0.2.1").status_code == 200  # from elsewhere it signs in


def test_a_right_password_resets_the_account_count(world: World) -> None:
    for _ in range(4):
        assert world.login("mj1", "typo").status_code == 401
    assert world.login("mj1").status_code == 200
    for _ in range(4):
        assert world.login("mj1", "typo").status_code == 401
    assert world.login("mj1").status_code == 200


def test_a_forwarded_address_is_believed_only_from_a_configured_proxy(db: Database) -> None:
    w = make_world(db, trusted_proxies=["10.0.0.1"], login_max_failures_per_address=3)
    try:
        tries = iter(range(100))

        def wrong(peer: str, forwarded: str) -> int:
            # A new name each time, so that only the address limit (3) can lock.
            name = f"ghost{next(tries)}"
            return w.login(name, "x", address=peer, headers={"X-Forwarded-For": forwarded}).status_code

        # From anyone else, X-Forwarded-For is ignored: a new forged address per try does not escape the limit.
        assert [wrong("203.0.113.5", f"192.0.2.{i}") for i in range(4)] == [401, 401, 401, 429]
        # From the proxy, the forwarded address is the client's, and each client is counted on its own.
        assert [wrong("10.0.0.1", "192.0.2.50") for _ in range(4)] == [401, 401, 401, 429]
        assert wrong("10.0.0.1", "192.0.2.51") == 401
        events = audit(w, kind="login_failed", limit=1)
        assert events[0]["address"] == "192.0.2.51"
    finally:
        w.services.close()


def test_the_residents_code_limit_uses_the_same_client_address(db: Database) -> None:
    w = make_world(db, trusted_proxies=["10.0.0.1"], desk_otp_per_client_hour=2, desk_otp_resend_seconds=0)
    try:

        def send(peer: str, forwarded: str, phone: str) -> int:
            client = w.client(peer)
            response: httpx.Response = client.post(
                f"{A}/desk/auth/otp", json={"phone": phone}, headers={"X-Forwarded-For": forwarded}
            )
            return response.status_code

        # Forged forwarded addresses from an untrusted peer: all counted against the peer.
        assert [send("203.0.113.5", f"192.0.2.{i}", f"1390574000{i}") for i in range(3)] == [202, 202, 429]
        # Through the proxy, two residents behind it are two clients.
        assert [send("10.0.0.1", "192.0.2.60", f"1390574010{i}") for i in range(3)] == [202, 202, 429]
        assert send("10.0.0.1", "192.0.2.61", "13905740200") == 202
    finally:
        w.services.close()


# -- tokens -------------------------------------------------------------------------------------------


def test_logout_revokes_the_token(world: World) -> None:
    headers = world.token("mj1")
    client = world.client()
    assert client.get(f"{A}/me", headers=headers).status_code == 200
    assert client.post(f"{A}/auth/logout", headers=headers).status_code == 204
    refused = client.get(f"{A}/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    assert client.get(f"{A}/me", headers=world.token("mj1")).status_code == 200  # a new sign-in works


def test_a_password_change_revokes_old_tokens_and_needs_the_old_password(world: World) -> None:
    old = world.token("mj1")
    client = world.client()
    wrong = client.post(
        f"{A}/auth/password", json={"old_password": "nope", "new_password": "new-password-2"}, headers=old
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["field"] == "old_password"
    short = client.post(f"{A}/auth/password", json={"old_password": PASSWORD, "new_password": "short"}, headers=old)
    assert short.status_code == 422
    assert short.json()["error"]["field"] == "new_password"
    changed = client.post(
        f"{A}/auth/password", json={"old_password": PASSWORD, "new_password": "new-password-2"}, headers=old
    )
    assert changed.status_code == 200, changed.text
    assert client.get(f"{A}/me", headers=old).status_code == 401
    fresh = {"Authorization": f"Bearer {changed.json()['access_token']}"}
    assert client.get(f"{A}/me", headers=fresh).status_code == 200
    assert world.login("mj1").status_code == 401
    assert world.login("mj1", "new-password-2").status_code == 200


def test_deactivation_and_a_new_role_revoke_tokens(world: World) -> None:
    client = world.client()
    admin = world.token("admin")
    officer, analyst = world.token("mj1"), world.token("fzzx")
    done = client.patch(f"{A}/users/{world.ids['mj1']}", json={"active": False}, headers=admin)
    assert done.status_code == 200, done.text
    assert client.get(f"{A}/me", headers=officer).status_code == 401
    assert world.login("mj1").status_code == 401
    client.patch(f"{A}/users/{world.ids['mj1']}", json={"active": True}, headers=admin)
    assert client.get(f"{A}/me", headers=officer).status_code == 401  # reactivation does not revive old tokens
    assert client.patch(f"{A}/users/{world.ids['fzzx']}", json={"role": "officer"}, headers=admin).status_code == 200
    assert client.get(f"{A}/me", headers=analyst).status_code == 401
    assert client.patch(f"{A}/users/{world.ids['mj2']}", json={"active": False}, headers=officer).status_code == 401
    forbidden = client.patch(f"{A}/users/{world.ids['mj2']}", json={"active": False}, headers=world.token("mj2"))
    assert forbidden.status_code == 403
    bad = client.patch(f"{A}/users/{world.ids['mj2']}", json={"role": "king"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "role"


def test_refresh_extends_a_sign_in_up_to_its_maximum(db: Database) -> None:
    w = make_world(db, token_ttl_minutes=30, session_max_minutes=60)
    try:
        client = w.client()
        headers = w.token("mj1")
        w.clock.advance(minutes=25)
        refreshed = client.post(f"{A}/auth/refresh", headers=headers)
        assert refreshed.status_code == 200, refreshed.text
        headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        w.clock.advance(minutes=25)  # past the first token's life, within the refreshed one's
        assert client.get(f"{A}/me", headers=headers).status_code == 200
        again = client.post(f"{A}/auth/refresh", headers=headers)
        assert again.status_code == 200
        # The sign-in is 50 minutes old: the new token lives only to its 60th minute.
        assert again.json()["expires_at"] == (w.clock.now() + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
        headers = {"Authorization": f"Bearer {again.json()['access_token']}"}
        w.clock.advance(minutes=11)
        assert client.post(f"{A}/auth/refresh", headers=headers).status_code == 401
        # A revoked token cannot be refreshed either.
        fresh = w.token("mj1")
        client.post(f"{A}/auth/logout", headers=fresh)
        assert client.post(f"{A}/auth/refresh", headers=fresh).status_code == 401
    finally:
        w.services.close()


def test_a_residents_token_from_the_desk_refreshes_too(world: World) -> None:
    client = world.client()
    sent = client.post(f"{A}/desk/auth/otp", json={"phone": "13905740001"})
    assert sent.status_code == 202, sent.text
    code = world.sms.last_code("13905740001")
    verified = client.post(f"{A}/desk/auth/verify", json={"phone": "13905740001", "code": code})
    assert verified.status_code == 200, verified.text
    headers = {"Authorization": f"Bearer {verified.json()['access_token']}"}
    refreshed = client.post(f"{A}/auth/refresh", headers=headers)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["user"]["role"] == "resident"
    assert client.post(f"{A}/auth/logout", headers=headers).status_code == 204
    assert client.get(f"{A}/desk/me", headers=headers).status_code == 401


# -- the audit ----------------------------------------------------------------------------------------


def test_the_admin_reads_sign_ins_failures_and_account_changes_with_filters(world: World) -> None:
    world.login("mj1", "typo")
    since = world.clock.advance(minutes=1)
    world.login("mj1")
    admin = world.token("admin")
    client = world.client()
    client.patch(f"{A}/users/{world.ids['mj2']}", json={"active": False}, headers=admin)
    kinds = [e["kind"] for e in audit(world, user_id=world.ids["mj1"])]
    assert kinds == ["login", "login_failed"]
    assert [e["kind"] for e in audit(world, kind="deactivated")] == ["deactivated"]
    assert audit(world, kind="deactivated")[0]["actor_id"] == world.ids["admin"]
    recent = audit(world, start=since.isoformat(), username="mj1")
    assert [e["kind"] for e in recent] == ["login"]
    assert client.get(f"{A}/audit/events", headers=world.token("fzzx")).status_code == 403
    bad = client.get(f"{A}/audit/events", params={"kind": "sneeze"}, headers=admin)
    assert bad.status_code == 422
    assert "kind" in bad.json()["error"]["field"]  # query.kind.0: the first value of the `kind` parameter
    naive = client.get(f"{A}/audit/events", params={"start": "2026-11-23T08:00:00"}, headers=admin)
    assert naive.status_code == 422
    assert naive.json()["error"]["field"].removeprefix("query.") == "start"


def test_role_changes_deactivations_and_password_changes_are_recorded_with_who_did_them(world: World) -> None:
    admin = world.token("admin")
    client = world.client()
    assert (
        client.patch(f"{A}/users/{world.ids['mj2']}", json={"role": "station_head"}, headers=admin).status_code == 200
    )
    assert client.patch(f"{A}/users/{world.ids['mj2']}", json={"active": False}, headers=admin).status_code == 200
    assert client.patch(f"{A}/users/{world.ids['mj2']}", json={"active": True}, headers=admin).status_code == 200
    changed = client.post(
        f"{A}/auth/password",
        json={"old_password": PASSWORD, "new_password": "new-password-3"},
        headers=world.token("mj1"),
    )
    assert changed.status_code == 200, changed.text
    events = audit(world, kind=["role_changed", "deactivated", "reactivated", "password_changed"])
    assert [(e["kind"], e["username"]) for e in events] == [
        ("password_changed", "mj1"),
        ("reactivated", "mj2"),
        ("deactivated", "mj2"),
        ("role_changed", "mj2"),
    ]
    role = events[-1]
    assert role["detail"] == {"from": "officer", "to": "station_head"}
    assert (role["actor_id"], role["actor_name"], role["user_name"]) == (world.ids["admin"], "admin", "mj2")
    assert role["address"] == "198.51.100.7"  # the admin's
    assert events[0]["actor_id"] is None  # the user's own change
    assert events[0]["address"] == "198.51.100.7"


def test_a_password_reset_or_a_new_role_given_from_the_command_line_is_recorded(world: World) -> None:
    """`pingan users create` on an existing account resets its password (and may change its role)."""
    with world.services.db.session() as s:
        create_user(
            s,
            "mj1",
            "reset-password-9",
            role=Role.STATION_HEAD,
            display_name="mj1",
            unit_id=None,
            now=world.clock.now(),
        )
    events = audit(world, user_id=world.ids["mj1"])
    assert [e["kind"] for e in events] == ["password_changed", "role_changed"]
    assert events[0]["detail"] == {"reset": True}
    assert events[1]["detail"] == {"from": "officer", "to": "station_head"}
    with world.services.db.session() as s:  # the same password and role again: nothing changed, nothing recorded
        create_user(s, "fzzx", None, role=Role.ANALYST, display_name="fzzx", unit_id=None, now=world.clock.now())
    assert audit(world, user_id=world.ids["fzzx"]) == []


def test_the_login_records_come_page_by_page_and_filter_by_name_kind_and_time(world: World) -> None:
    for _ in range(3):
        world.login("mj1", "typo")
    start = world.clock.advance(minutes=1)
    world.login("mj1")
    world.login("nobody", "guess")
    end = world.clock.advance(minutes=1)
    world.login("mj2")
    admin = world.token("admin")
    client = world.client()

    def page(**params: Any) -> dict[str, Any]:
        response = client.get(f"{A}/audit/events", params=params, headers=admin)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    first = page(limit=2)
    second = page(limit=2, offset=2)
    everything = page(limit=100)
    assert first["total"] == everything["total"] == len(everything["items"])
    assert [e["id"] for e in first["items"] + second["items"]] == [e["id"] for e in everything["items"][:4]]
    window = page(start=start.isoformat(), end=end.isoformat())
    assert [(e["kind"], e["username"]) for e in window["items"]] == [("login_failed", "nobody"), ("login", "mj1")]
    assert window["items"][1]["user_name"] == "mj1"
    assert window["items"][0]["user_id"] is None  # no such account: the login as typed is kept
    assert page(user="nob")["total"] == 1
    assert page(user="mj", kind="login_failed")["total"] == 3
    assert page(user="%")["total"] == 0  # a wildcard is a plain character
    backwards = client.get(
        f"{A}/audit/events", params={"start": end.isoformat(), "end": start.isoformat()}, headers=admin
    )
    assert (backwards.status_code, backwards.json()["error"]["field"]) == (422, "end")
