"""Stop-payment, freeze and return through the HTTP API (A6), on SQLite and PostgreSQL, with a fake clock:
the 48 h hold at its border, the two-stop rule, freeze renewal and its reminders through the outbox, the return
deadline across National Day, the banks' scoping (another bank gets 404), bad input, and the figures (A11).

The world: two stations A and B, the centres, two banks X and Y with a liaison each, an analyst, an officer of
A and one of B. The clock starts on Monday 29 September 2025, 10:00 in Shanghai, two days before National Day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import select

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.geo import GeoArea
from pingan.core.identity import create_user, issue_token
from pingan.core.models import AccessLog, Area, Notification, Role, Task, TaskEvent, Unit, UnitKind
from pingan.core.settings import Settings
from pingan.core.setup import ensure_centre_units
from pingan.money.payments.models import BankApiKey, OrderStatus, PaymentOrder

T0 = datetime(2025, 9, 29, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
P = "/api/v1/payments"
SECRET = "payments-tests-secret-0123456789abcdefgh"
ACCOUNT = "6222 0212 3456 7890 123"
ACCOUNT_DIGITS = "6222021234567890123"


@dataclass
class World:
    services: Services
    client: TestClient
    clock: FakeClock
    ids: dict[str, int]
    tokens: dict[str, dict[str, str]]

    def get(self, who: str, path: str, **params: Any) -> httpx.Response:
        response: httpx.Response = self.client.get(f"{P}{path}", params=params, headers=self.tokens[who])
        return response

    def post(self, who: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        response: httpx.Response = self.client.post(f"{P}{path}", json=body or {}, headers=self.tokens[who])
        return response

    def stop(self, who: str = "analyst", **body: Any) -> httpx.Response:
        payload = {
            "bank_unit_id": self.ids["bank-x"],
            "account": ACCOUNT,
            "account_name": "张三",
            "amount_yuan": "50000",
            "basis": "受害人李四 13905740001 被冒充客服诈骗转账",
            "case_ref": "case-2025-001",
            "area_id": self.ids["area-A"],
            **body,
        }
        return self.post(who, "/stops", payload)

    def stopped(self, **body: Any) -> int:
        created = self.stop(**body)
        assert created.status_code == 201, created.text
        order_id = int(created.json()["id"])
        answered = self.act("bank_x", order_id, "answer", result="stopped", amount_stopped_yuan="50000")
        assert answered.status_code == 200, answered.text
        return order_id

    def act(self, who: str, order_id: int, action: str, **payload: Any) -> httpx.Response:
        return self.post(who, f"/orders/{order_id}/actions", {"action": action, **payload})

    def frozen(self) -> int:
        order_id = self.stopped()
        assert self.act("analyst", order_id, "order_freeze", basis="冻结决定书 象公冻字〔2025〕1号").status_code == 200
        assert self.act("bank_x", order_id, "freeze", amount_frozen_yuan="48000").status_code == 200
        return order_id

    def order(self, order_id: int) -> PaymentOrder:
        with self.services.db.session() as session:
            row = session.get(PaymentOrder, order_id)
            assert row is not None
            return row

    def deliver(self) -> int:
        return self.services.outbox.run_until_idle()

    def notes(self, unit: str) -> list[str]:
        with self.services.db.session() as session:
            return list(
                session.scalars(
                    select(Notification.title).where(Notification.unit_id == self.ids[unit]).order_by(Notification.id)
                )
            )


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    clock = FakeClock(T0)
    services = bootstrap(Settings(database_url=db.url, secret_key=SECRET), clock=clock, db=db)
    ids: dict[str, int] = {}
    tokens: dict[str, dict[str, str]] = {}
    with db.session() as session:
        ids.update(ensure_centre_units(session))
        import_areas(
            session,
            [
                GeoArea("甲街道", "A", box(121.0, 29.0, 121.1, 29.1), {}),
                GeoArea("乙镇", "B", box(121.1, 29.0, 121.2, 29.1), {}),
            ],
        )
        for area in session.scalars(select(Area)):
            ids[f"area-{area.code}"] = area.id
        for code, name in (("bank-x", "农业银行象山支行"), ("bank-y", "工商银行象山支行")):
            session.add(Unit(code=code, name=name, kind=UnitKind.BANK))
        session.flush()
        for unit in session.scalars(select(Unit)):
            ids[unit.code] = unit.id
        people = (
            ("analyst", Role.ANALYST, "anti-fraud-centre"),
            ("commander", Role.COMMANDER, "command-centre"),
            ("officer_a", Role.OFFICER, "station-A"),
            ("officer_b", Role.OFFICER, "station-B"),
            ("bank_x", Role.PARTNER, "bank-x"),
            ("bank_y", Role.PARTNER, "bank-y"),
            ("resident", Role.RESIDENT, None),
        )
        for username, role, unit_code in people:
            user = create_user(
                session,
                username,
                "pw-123456",
                role=role,
                display_name=username,
                unit_id=ids[unit_code] if unit_code else None,
                now=T0,
            )
            ids[f"user-{username}"] = user.id
            token = issue_token(user, SECRET, T0, timedelta(days=3650))
            tokens[username] = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app(services), raise_server_exceptions=False)
    try:
        yield World(services, client, clock, ids, tokens)
    finally:
        client.close()
        services.close()


# -- sending a stop ----------------------------------------------------------------------------------------


def test_a_stop_is_a_task_held_by_the_bank_and_shown_masked(world: World) -> None:
    created = world.stop()
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "issued"
    assert order["account"] == "6222***********0123"
    assert "13905740001" not in order["basis"]
    assert order["case_ref"] == "case-2025-001"
    assert order["task"]["kind"] == "bank_stop"
    assert order["task"]["due_step"] == "answer"
    with world.services.db.session() as session:
        task = session.get(Task, order["task_id"])
        assert task is not None
        assert task.unit_id == world.ids["bank-x"]
        assert task.area_id == world.ids["area-A"]
    assert any("紧急止付" in t for t in world.notes("bank-x"))
    assert not world.notes("bank-y")


def test_a_replayed_client_ref_returns_the_first_order(world: World) -> None:
    first = world.stop(client_ref="fzzx-0001")
    again = world.stop(client_ref="fzzx-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"account": "62-22"}, "account"),
        ({"amount_yuan": "0"}, "amount_yuan"),
        ({"amount_yuan": "12.345"}, "amount_yuan"),
        ({"bank_unit_id": 10**19}, "bank_unit_id"),
        ({"basis": ""}, "basis"),
        ({"case_ref": "有 空格"}, "case_ref"),
        ({"surplus": 1}, "surplus"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(world: World, body: dict[str, Any], field: str) -> None:
    response = world.stop(**body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_a_stop_to_a_unit_that_is_not_a_bank_is_refused_naming_the_bank(world: World) -> None:
    response = world.stop(bank_unit_id=world.ids["station-A"])
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "bank_unit_id"


def test_only_the_police_send_stops(world: World) -> None:
    assert world.stop("bank_x").status_code == 403
    assert world.stop("resident").status_code == 403
    assert world.stop("officer_a").status_code == 201


def test_a_third_stop_on_the_same_account_is_refused_with_the_reason(world: World) -> None:
    first = world.stopped()
    world.clock.advance(hours=48)
    world.deliver()  # the first hold lapses
    assert world.order(first).status is OrderStatus.LAPSED
    second = world.stop(account=ACCOUNT_DIGITS)  # the same account, written otherwise
    assert second.status_code == 201
    third = world.stop(account=ACCOUNT)
    assert third.status_code == 409
    error = third.json()["error"]
    assert (error["code"], error["field"]) == ("stop_limit", "account")
    assert "最多止付 2 次" in error["message"]
    # Another bank's account of the same number is another account.
    assert world.stop(bank_unit_id=world.ids["bank-y"]).status_code == 201


def test_a_stop_the_bank_could_not_apply_does_not_count(world: World) -> None:
    for _ in range(2):
        created = world.stop().json()
        assert world.act("bank_x", created["id"], "answer", result="not_found").status_code == 200
    assert world.stop().status_code == 201


# -- the 48 h hold ------------------------------------------------------------------------------------------


def test_the_hold_lapses_at_48_hours_through_the_outbox(world: World) -> None:
    order_id = world.stopped()
    assert world.order(order_id).hold_ends_at == T0 + timedelta(hours=48)
    world.clock.advance(hours=48, seconds=-1)
    world.deliver()
    assert world.order(order_id).status is OrderStatus.HELD  # the row is not due yet
    world.clock.advance(seconds=1)
    assert world.deliver() == 1
    row = world.order(order_id)
    assert row.status is OrderStatus.LAPSED
    assert any("止付已失效" in t for t in world.notes("anti-fraud-centre"))
    refused = world.act("analyst", order_id, "order_freeze", basis="冻结决定书")
    assert refused.status_code == 409


def test_a_freeze_one_second_before_the_48_hours_holds_and_the_lapse_does_nothing(world: World) -> None:
    order_id = world.stopped()
    world.clock.advance(hours=47, minutes=59)
    assert world.act("analyst", order_id, "order_freeze", basis="冻结决定书").status_code == 200
    world.clock.advance(seconds=59)
    frozen = world.act("bank_x", order_id, "freeze", amount_frozen_yuan="50000")
    assert frozen.status_code == 200, frozen.text
    world.clock.advance(seconds=1)  # the 48 h are up: the scheduled lapse finds the account frozen
    world.deliver()
    assert world.order(order_id).status is OrderStatus.FROZEN


def test_a_freeze_at_48_hours_is_refused(world: World) -> None:
    order_id = world.stopped()
    assert world.act("analyst", order_id, "order_freeze", basis="冻结决定书").status_code == 200
    world.clock.advance(hours=48)
    refused = world.act("bank_x", order_id, "freeze", amount_frozen_yuan="50000")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "hold_lapsed"


def test_nobody_may_lapse_a_hold_by_hand(world: World) -> None:
    order_id = world.stopped()
    world.clock.advance(hours=49)
    assert world.act("analyst", order_id, "lapse").status_code == 403


def test_a_late_answer_climbs_from_the_bank_to_the_centre_and_the_bureau(world: World) -> None:
    world.stop()
    with world.services.db.session() as session:
        for minutes in (31, 91, 151):
            world.clock.set(T0 + timedelta(minutes=minutes))
            assert world.services.tasks.sweep(session) == 1
    assert any("第1级" in t for t in world.notes("bank-x"))
    assert any("第2级" in t for t in world.notes("anti-fraud-centre"))
    assert any("第3级" in t for t in world.notes("bureau"))


# -- freeze, renewal and reminders -----------------------------------------------------------------------


def test_a_freeze_lasts_six_months_with_reminders_15_and_3_days_before(world: World) -> None:
    order_id = world.frozen()
    row = world.order(order_id)
    ends = datetime(2026, 3, 29, 10, 0, tzinfo=SHANGHAI)
    assert row.freeze_ends_at == ends
    world.clock.set(ends - timedelta(days=15, seconds=1))
    world.deliver()
    assert not [t for t in world.notes("bank-x") if "到期" in t]
    world.clock.set(ends - timedelta(days=15))
    world.deliver()
    assert [t for t in world.notes("bank-x") if "15 天后到期" in t]
    assert [t for t in world.notes("anti-fraud-centre") if "15 天后到期" in t]
    world.clock.set(ends - timedelta(days=3))
    world.deliver()
    assert [t for t in world.notes("bank-x") if "3 天后到期" in t]
    world.deliver()  # delivered once, never twice
    assert len([t for t in world.notes("bank-x") if "天后到期" in t]) == 2
    world.clock.set(ends)
    world.deliver()
    assert world.order(order_id).status is OrderStatus.FREEZE_LAPSED


def test_a_renewal_extends_the_freeze_and_the_old_reminders_and_lapse_do_nothing(world: World) -> None:
    order_id = world.frozen()
    first_end = world.order(order_id).freeze_ends_at
    assert first_end is not None
    world.clock.set(first_end - timedelta(days=20))
    assert world.act("bank_x", order_id, "order_renewal", basis="x").status_code == 403  # the police order it
    assert world.act("analyst", order_id, "order_renewal", basis="续冻决定书").status_code == 200
    renewed = world.act("bank_x", order_id, "renew")
    assert renewed.status_code == 200, renewed.text
    row = world.order(order_id)
    assert (row.renewals, row.freeze_ends_at) == (1, datetime(2026, 9, 29, 10, tzinfo=SHANGHAI))
    world.clock.set(first_end)
    world.deliver()
    assert world.order(order_id).status is OrderStatus.FROZEN
    assert not [t for t in world.notes("bank-x") if "天后到期" in t]  # the first freeze's reminders were void
    world.clock.set(datetime(2026, 9, 29, 10, tzinfo=SHANGHAI) - timedelta(days=15))
    world.deliver()
    assert [t for t in world.notes("bank-x") if "15 天后到期" in t]


# -- the return ----------------------------------------------------------------------------------------


def test_the_return_is_due_in_three_working_days_across_national_day(world: World) -> None:
    order_id = world.frozen()
    world.clock.set(datetime(2025, 9, 30, 16, 0, tzinfo=SHANGHAI))
    ordered = world.act("analyst", order_id, "order_return", amount_yuan="48000", basis="返还决定书")
    assert ordered.status_code == 200, ordered.text
    assert world.order(order_id).return_due_at == datetime(2025, 10, 12, 0, 0, tzinfo=SHANGHAI)
    assert ordered.json()["task"]["due_step"] == "return"
    world.clock.set(datetime(2025, 10, 11, 15, 0, tzinfo=SHANGHAI))  # the make-up Saturday
    returned = world.act("bank_x", order_id, "confirm_return", amount_returned_yuan="48000")
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    with world.services.db.session() as session:
        reasons = list(session.scalars(select(TaskEvent.reason).where(TaskEvent.task_id == returned.json()["task_id"])))
    assert any(r and "已返还 48000.00 元" in r and "超时" not in r for r in reasons)


def test_returning_more_than_was_frozen_names_the_field(world: World) -> None:
    order_id = world.frozen()
    response = world.act("analyst", order_id, "order_return", amount_yuan="48000.01", basis="返还决定书")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "amount_yuan"


def test_a_year_no_calendar_covers_is_a_clear_error(world: World) -> None:
    response = world.get("analyst", "/calendar/2099")
    assert response.status_code == 503
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("calendar_year_unknown", "year")
    assert "2099" in error["message"]
    known = world.get("analyst", "/calendar/2025").json()
    assert "2025-10-11" in known["workdays"]
    assert "2025-10-01" in known["holidays"]
    assert world.get("analyst", "/working-days", start="2025-09-30", days=3).json()["last_day"] == "2025-10-11"


# -- the banks see their own --------------------------------------------------------------------------


def test_a_bank_sees_only_its_own_requests_and_another_bank_gets_404(world: World) -> None:
    mine = world.stop().json()["id"]
    theirs = world.stop(bank_unit_id=world.ids["bank-y"], account="6228480000000000").json()["id"]
    listed = world.get("bank_x", "/orders").json()
    assert [o["id"] for o in listed["items"]] == [mine]
    assert [o["id"] for o in world.get("bank_x", "/bank/requests").json()["items"]] == [mine]
    assert world.get("bank_x", f"/orders/{theirs}").status_code == 404
    assert world.get("bank_x", f"/bank/requests/{theirs}").status_code == 404
    assert world.post("bank_x", f"/bank/requests/{theirs}/answer", {"result": "not_found"}).status_code == 404
    assert world.act("bank_x", theirs, "answer", result="not_found").status_code == 404
    # Nor through the one task API.
    with world.services.db.session() as session:
        task_id = session.scalar(select(PaymentOrder.task_id).where(PaymentOrder.id == theirs))
    assert world.client.get(f"/api/v1/tasks/{task_id}", headers=world.tokens["bank_x"]).status_code == 404
    # The station of the victim's area sees the order; the other station does not.
    assert [o["id"] for o in world.get("officer_a", "/orders").json()["items"]] == [theirs, mine]
    assert world.get("officer_b", "/orders").json()["items"] == []


def test_the_bank_system_reads_the_account_recorded_and_answers(world: World) -> None:
    order_id = world.stop().json()["id"]
    detail = world.get("bank_x", f"/bank/requests/{order_id}")
    assert detail.status_code == 200
    assert detail.json()["account"] == ACCOUNT_DIGITS
    with world.services.db.session() as session:
        logged = session.scalars(select(AccessLog).where(AccessLog.subject_type == "payment_order")).all()
        assert [(a.user_id, a.subject_id) for a in logged] == [(world.ids["user-bank_x"], order_id)]
    answered = world.post(
        "bank_x", f"/bank/requests/{order_id}/answer", {"result": "stopped", "amount_stopped_yuan": "30000.50"}
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["amount_stopped_yuan"]) == ("held", "30000.50")
    assert world.post("analyst", f"/bank/requests/{order_id}/answer", {"result": "stopped"}).status_code == 403
    bad = world.post("bank_x", f"/bank/requests/{order_id}/freeze", {"amount_frozen_yuan": "-1"})
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "amount_frozen_yuan")


def test_reveal_is_for_roles_that_need_it_and_recorded(world: World) -> None:
    order_id = world.stop().json()["id"]
    assert world.get("commander", f"/orders/{order_id}", reveal="true").json()["account"] == ACCOUNT_DIGITS
    assert world.get("analyst", f"/orders/{order_id}").json()["masked"] is True
    with world.services.db.session() as session:
        assert (
            session.scalar(select(AccessLog.user_id).where(AccessLog.subject_id == order_id))
            == world.ids["user-commander"]
        )


# -- figures ---------------------------------------------------------------------------------------------


def test_figures_count_accounts_amounts_and_returns_per_area(world: World) -> None:
    order_id = world.frozen()
    world.clock.advance(hours=3)
    world.act("analyst", order_id, "order_return", amount_yuan="20000", basis="返还决定书")
    world.act("bank_x", order_id, "confirm_return", amount_returned_yuan="20000")
    other = world.stop(area_id=world.ids["area-B"], account="6228480000000001").json()["id"]
    world.act("bank_x", other, "answer", result="stopped", amount_stopped_yuan="100")
    start, end = (T0 - timedelta(days=1)).isoformat(), (T0 + timedelta(days=1)).isoformat()
    result = world.get("commander", "/figures", start=start, end=end).json()
    assert result["total"] == {
        "requests": 2,
        "stops": 2,
        "accounts_stopped": 2,
        "amount_stopped_yuan": "50100.00",
        "freezes": 1,
        "accounts_frozen": 1,
        "amount_frozen_yuan": "48000.00",
        "returns": 1,
        "amount_returned_yuan": "20000.00",
    }
    by_area = {a["area_id"]: a for a in result["areas"]}
    assert by_area[world.ids["area-B"]]["amount_stopped_yuan"] == "100.00"
    # A bank's figures are its own; a station's are its area's.
    assert world.get("bank_y", "/figures", start=start, end=end).json()["total"]["stops"] == 0
    assert world.get("officer_b", "/figures", start=start, end=end).json()["total"]["stops"] == 1
    later = world.get("commander", "/figures", start=end, end=(T0 + timedelta(days=2)).isoformat()).json()
    assert later["total"]["stops"] == 0
    assert world.get("commander", "/figures", start=end, end=start).status_code == 422


def test_the_kind_is_listed_with_its_actions_and_ladder(world: World) -> None:
    kinds = {k["kind"]: k for k in world.client.get("/api/v1/tasks/kinds", headers=world.tokens["analyst"]).json()}
    stop = kinds["bank_stop"]
    assert stop["ladder"]["rungs"] == ["银行联络员", "反诈中心", "局领导"]
    assert "lapse" not in stop["actions"]
    assert {"answer", "order_freeze", "freeze", "order_renewal", "renew", "order_return", "confirm_return"} <= set(
        stop["actions"]
    )


# -- a bank system's key ------------------------------------------------------------------------------------


def test_a_bank_system_calls_with_its_key_sees_its_own_bank_and_is_named_in_the_history(world: World) -> None:
    from pingan.money.payments.keys import create_bank_key, revoke_bank_key

    with world.services.db.session() as session:
        row, key = create_bank_key(session, "bank-x", "核心系统", T0)
        key_id, key_user = row.id, row.user_id
    mine = world.stop().json()["id"]
    theirs = world.stop(bank_unit_id=world.ids["bank-y"], account="6228480000000000").json()["id"]
    headers = {"X-Bank-Key": key}
    listed = world.client.get(f"{P}/bank/requests", headers=headers)
    assert listed.status_code == 200, listed.text
    assert [o["id"] for o in listed.json()["items"]] == [mine]
    assert world.client.get(f"{P}/bank/requests/{theirs}", headers=headers).status_code == 404
    answered = world.client.post(
        f"{P}/bank/requests/{mine}/answer", json={"result": "stopped", "amount_stopped_yuan": "100"}, headers=headers
    )
    assert answered.status_code == 200, answered.text
    with world.services.db.session() as session:
        actors = set(session.scalars(select(TaskEvent.actor_id).where(TaskEvent.action == "answer")))
        assert actors == {key_user}
        assert session.get(BankApiKey, key_id).last_used_at == T0  # type: ignore[union-attr]
    # The key is for the bank API only, and a wrong or revoked key is a 401.
    assert world.client.get(f"{P}/orders", headers=headers).status_code == 401
    assert world.client.get(f"{P}/bank/requests", headers={"X-Bank-Key": key + "x"}).status_code == 401
    with world.services.db.session() as session:
        revoke_bank_key(session, key_id, T0)
    revoked = world.client.get(f"{P}/bank/requests", headers=headers)
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "unauthorized"


def test_a_station_sends_stops_for_its_own_area_only(world: World) -> None:
    own = world.stop("officer_a", area_id=None)
    assert own.status_code == 201, own.text
    assert own.json()["area_id"] == world.ids["area-A"]
    other = world.stop("officer_b", area_id=world.ids["area-A"])
    assert other.status_code == 403
    assert other.json()["error"]["field"] == "area_id"


def test_a_closed_order_is_not_reopened_a_new_stop_is_a_new_order(world: World) -> None:
    order_id = world.stopped()
    world.clock.advance(hours=48)
    world.deliver()
    refused = world.act("analyst", order_id, "reopen", reason="再试一次")
    assert refused.status_code == 409
    assert world.get("analyst", f"/orders/{order_id}").json()["allowed_actions"] == []
