"""The one access decision, cell by cell: every (kind, action, role, own / other unit) gives the answer its
workflow declares, and the generic task endpoint gives the same answer as the capability's own endpoint.

The world is the desk tests' (two stations A and B, A's governance centre, a specialty, the centres, a
partner, residents); a desk request is held by station A (its community officer 李警官), a dissuasion task
lies in station A and is held by it. The kinds of the other capabilities (a stop held by bank X, card
verifications, tracking alerts and thefts held by station A, a base station's maintenance held by the tracking
operator) are checked for the access decision of every action. The declared answers are written down beside
the access matrix's, in `access_matrix.py`. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from pingan.core.db import Database
from pingan.core.identity import create_user, set_duties
from pingan.core.models import Duty, Role, Task, Unit, UnitKind, User
from pingan.core.tasks import Command
from pingan.core.tasks.contract import WITHDRAWN
from pingan.fraud.workflow import KIND as DISSUASION
from pingan.fraud.workflow import DissuasionAction
from tests.integration.access_matrix import (
    ALLOWED,
    BANK_STOP_ROLES,
    CAPABILITY_ACTORS,
    CO_DEPARTMENT,
    CO_DEPARTMENT_ROLES,
    DEPARTMENT_KIND_ROLES,
    DISPUTE_ROLES,
    HIDDEN,
    HOLDER_PARTNER,
    MAINTENANCE_ROLES,
    NARCOTICS_ACTORS,
    OTHER_PARTNER,
    REFUSED,
    REHAB_ROLES,
    RESIDENTS,
    STAFF,
    STATION_KIND_ROLES,
    UNINVOLVED_DEPARTMENT,
    bank_stop_expected,
    co_department_expected,
    department_kind_expected,
    desk_expected,
    dispute_expected,
    dissuasion_expected,
    maintenance_expected,
    rehab_expected,
    station_kind_expected,
)
from tests.integration.test_desk_api import API, T0, D, World, build_world


@pytest.fixture(name="world")
def world_fixture(db: Database, tmp_path: Path) -> Iterator[World]:
    """On SQLite and on PostgreSQL (the `db` fixture of conftest.py)."""
    # Hundreds of requests from one place within minutes: the flood limits are not what is tested here.
    rules = tmp_path / "county.toml"
    rules.write_text(
        "[desk]\nposts_per_address_day = 100000\nposts_per_phone_hour = 1000\nposts_per_phone_day = 1000\n"
    )
    w = build_world(db, tmp_path, rules_file=rules)
    yield w
    w.client.close()
    w.services.desk.close()


def _verdict(response: httpx.Response) -> str:
    """What the decision was, read from an answer: allowed (including a hand-over that took the request out of
    the actor's view, and a refusal by the task's state, which comes after the access decision), hidden, refused."""
    if response.status_code < 300:
        return ALLOWED
    code = response.json()["error"]["code"]
    if response.status_code == 403 and code == "handed_over":
        return ALLOWED
    if response.status_code == 404:
        return HIDDEN
    if response.status_code == 403:
        return REFUSED
    raise AssertionError(f"unexpected answer {response.status_code}: {response.text}")


class Cells:
    """Fresh desk requests in the state each action needs, and both ways of acting on them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.owner = world.quick_resident("13800009000")
        self._posts = 0

    def headers(self, who: str) -> dict[str, str]:
        if who == "owner":
            return self.owner
        if who == "other_resident":
            return self.world.quick_resident("13800009999")
        return self.world.staff(who)

    def request(self, *, replied: bool = False) -> int:
        """A new request of the owner's, held by station A (its community officer)."""
        self._posts += 1
        rid = int(self.world.posted(self.owner, text=f"咨询第{self._posts}个问题")["id"])
        if replied:
            answered = self.world.act("officer_a1", rid, "reply", body="已答复")
            assert answered.status_code == 200, answered.text
        return rid

    def task_id(self, rid: int) -> int:
        return self.world.task_of(rid).id

    def generic(self, who: str, rid: int, action: str, body: dict[str, Any]) -> httpx.Response:
        response: httpx.Response = self.world.client.post(
            f"{API}/tasks/{self.task_id(rid)}/actions", json={"action": action, **body}, headers=self.headers(who)
        )
        return response

    def desk(self, who: str, rid: int, action: str, body: dict[str, Any]) -> httpx.Response:
        path = {
            "follow_up": f"{D}/requests/{rid}/messages",
            "rate": f"{D}/requests/{rid}/rate",
            "open_case": f"{D}/staff/requests/{rid}/case",
        }.get(action, f"{D}/staff/requests/{rid}/{action}")
        response: httpx.Response = self.world.client.post(path, json=body, headers=self.headers(who))
        return response


def _desk_bodies(world: World, cells: Cells) -> dict[str, tuple[Callable[[], int], Callable[[], dict[str, Any]]]]:
    """Per action: how to make a request in a state that admits it, and a valid body."""
    ids, users = world.ids, world.users

    def merge_body() -> dict[str, Any]:
        return {"into_id": cells.request(), "reason": "重复"}

    return {
        "sign": (cells.request, dict),
        "assign": (cells.request, lambda: {"assignee_id": users["officer_a2"]}),
        "reply": (cells.request, lambda: {"body": "您好，已收到"}),
        "reroute": (cells.request, lambda: {"unit_id": ids["station-B"], "reason": "属乙镇辖区"}),
        "divert": (cells.request, lambda: {"unit_id": ids["gov-A"], "reason": "非警务事项"}),
        "merge": (cells.request, merge_body),
        "close": (cells.request, lambda: {"resolution": "closed", "reason": "群众撤回"}),
        "follow_up": (lambda: cells.request(replied=True), lambda: {"body": "还有一个问题"}),
        "rate": (lambda: cells.request(replied=True), lambda: {"rating": 4}),
        "open_case": (cells.request, lambda: {"loss_yuan": "3000"}),
    }


def test_every_desk_action_gets_the_declared_answer_through_both_endpoints(world: World) -> None:
    cells = Cells(world)
    first = cells.request()
    assert world.request_row(first).unit_id == world.ids["station-A"]
    bodies = _desk_bodies(world, cells)
    assert set(bodies) == {
        a.action for a in world.services.tasks.workflow("desk_request").actions.values() if a.permission.roles
    } - {"note", "reopen"}, "every desk action with an endpoint of its own is in the matrix"
    wrong: list[str] = []
    for action, (make, body) in bodies.items():
        for who in STAFF + RESIDENTS:
            expected = desk_expected(who, action)
            via_desk = _verdict(cells.desk(who, make(), action, body()))
            via_tasks = _verdict(cells.generic(who, make(), action, body()))
            if not (via_desk == via_tasks == expected):
                wrong.append(f"{action} by {who}: desk {via_desk}, tasks {via_tasks}, declared {expected}")
    assert wrong == []


def test_a_request_rerouted_to_a_specialty_is_no_longer_the_first_stations_through_any_endpoint(world: World) -> None:
    """The issue's own reproduction: after a hand-over to 出入境 the station's officer can neither sign it through
    the generic endpoint nor see it in the worklist; the specialty can."""
    cells = Cells(world)
    rid = cells.request()
    task_id = cells.task_id(rid)
    moved = world.act("head_a", rid, "reroute", unit_id=world.ids["specialty-exit_entry"], reason="护照业务")
    assert moved.json()["error"]["code"] == "handed_over"
    signed = cells.generic("officer_a1", rid, "sign", {})
    assert signed.status_code == 404
    assert world.task_of(rid).assignee_id is None
    listed = world.client.get(f"{API}/tasks", params={"kind": "desk_request"}, headers=world.staff("officer_a1"))
    assert task_id not in [t["id"] for t in listed.json()["items"]]
    mine = world.client.get(f"{API}/tasks", params={"kind": "desk_request"}, headers=world.staff("exit_officer"))
    assert [t["id"] for t in mine.json()["items"]] == [task_id]
    assert "sign" in mine.json()["items"][0]["allowed_actions"]
    assert cells.generic("exit_officer", rid, "sign", {}).status_code == 200


# -- the dissuasion task: the generic endpoint is its only one ---------------------------------------------


_refs = iter(range(10_000, 1_000_000))


def _dissuasion(world: World, state: str) -> int:
    """A dissuasion task held by station A, brought to `state` by the system."""
    services = world.services
    with services.db.session() as session:
        task = services.tasks.create(
            session,
            kind=DISSUASION,
            title="138****0001 预警",
            ref_type="fraud_warning",
            ref_id=next(_refs),
            area_id=world.ids["area-A"],
            unit_id=world.ids["station-A"],
            level="medium",
        )
        script = {
            "issued": [],
            "signed": [Command(DissuasionAction.SIGN, None)],
            "met": [Command(DissuasionAction.SIGN, None), Command(DissuasionAction.MEET, None)],
            "feedback": [
                Command(DissuasionAction.SIGN, None),
                Command(DissuasionAction.MEET, None),
                Command(DissuasionAction.FEEDBACK, None, None, {"outcome": "dissuaded"}),
            ],
        }[state]
        for command in script:
            services.tasks.act(session, task, command)
        session.flush()
        return task.id


_DISSUASION_CELLS: dict[str, tuple[str, dict[str, Any]]] = {
    "sign": ("issued", {}),
    "call": ("signed", {"answered": False}),
    "visit": ("signed", {"found": False}),
    "meet": ("signed", {}),
    "feedback": ("met", {"outcome": "dissuaded", "amount_yuan": "1000"}),
    "evaluate": ("feedback", {}),
    "close": ("signed", {"reason": "误报"}),
    "assign": ("signed", {}),
    "note": ("signed", {"note": "已联系家属"}),
}


def test_every_dissuasion_action_gets_the_declared_answer_and_is_offered_exactly_when_allowed(world: World) -> None:
    cells = Cells(world)
    declared = {a for a, spec in world.services.tasks.workflow(DISSUASION).actions.items() if spec.permission.roles}
    assert set(_DISSUASION_CELLS) == declared - {"reopen"}
    wrong: list[str] = []
    for action, (state, body) in _DISSUASION_CELLS.items():
        for who in STAFF + RESIDENTS:
            task_id = _dissuasion(world, state)
            if action == "assign":
                body = {"assignee_id": world.users["officer_a2"]}
            headers = cells.headers(who)
            shown = world.client.get(f"{API}/tasks/{task_id}", headers=headers)
            offered = shown.status_code == 200 and action in shown.json()["allowed_actions"]
            response = world.client.post(
                f"{API}/tasks/{task_id}/actions", json={"action": action, **body}, headers=headers
            )
            verdict, expected = _verdict(response), dissuasion_expected(who, action)
            if verdict != expected:
                wrong.append(f"{action} by {who}: {verdict} ({response.status_code}), declared {expected}")
            if offered != (response.status_code == 200):
                wrong.append(f"{action} by {who}: offered {offered} but answered {response.status_code}")
    assert wrong == []


# -- assigning -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assignee", "reason"),
    [
        (None, "nobody"),
        ("resident", "a resident's account"),
        ("officer_b", "a user of another station"),
        ("gov_a", "a governance user, who may not hold a dissuasion"),
        (987654, "no such user"),
        (2**63, "beyond the id range"),
    ],
)
def test_assigning_to_someone_who_may_not_hold_the_task_names_assignee_id(
    world: World, assignee: str | int | None, reason: str
) -> None:
    task_id = _dissuasion(world, "signed")
    if assignee == "resident":
        world.quick_resident("13800007777")
        with world.services.db.session() as session:
            assignee = session.scalar(select(User.id).where(User.username == "resident:13800007777"))
    elif isinstance(assignee, str):
        assignee = world.users[assignee]
    body: dict[str, Any] = {"action": "assign"}
    if assignee is not None:
        body["assignee_id"] = assignee
    response = world.client.post(f"{API}/tasks/{task_id}/actions", json=body, headers=world.staff("head_a"))
    assert response.status_code == 422, (reason, response.text)
    assert response.json()["error"]["field"] == "assignee_id", reason
    with world.services.db.session() as session:
        task = session.get(Task, task_id)
        assert task is not None
        assert task.assignee_id is None, "a refused assignment changes nothing"


def test_assigning_a_desk_request_through_either_endpoint_checks_the_same_way(world: World) -> None:
    cells = Cells(world)
    for assignee in (world.users["officer_b"], 987654):
        via_desk = cells.desk("head_a", cells.request(), "assign", {"assignee_id": assignee})
        via_tasks = cells.generic("head_a", cells.request(), "assign", {"assignee_id": assignee})
        assert (via_desk.status_code, via_desk.json()["error"]["field"]) == (422, "assignee_id")
        assert (via_tasks.status_code, via_tasks.json()["error"]["field"]) == (422, "assignee_id")
    rid = cells.request()
    assert cells.generic("head_a", rid, "assign", {"assignee_id": world.users["officer_a2"]}).status_code == 200
    assert world.task_of(rid).assignee_id == world.users["officer_a2"]


def test_a_reply_through_the_generic_endpoint_cannot_smuggle_a_staff_note_as_a_reply(world: World) -> None:
    """`internal` belongs to the desk endpoint's body (it turns the reply into the `note` action); the reply
    action itself takes none, so nothing meant for staff only can reach the resident by that door."""
    cells = Cells(world)
    rid = cells.request()
    smuggled = cells.generic("officer_a1", rid, "reply", {"body": "内部：此人多次报假警", "internal": True})
    assert (smuggled.status_code, smuggled.json()["error"]["field"]) == (422, "internal")
    note = cells.generic("officer_a1", rid, "note", {"note": "内部：已核实身份"})
    assert note.status_code == 200
    seen = world.client.get(f"{D}/requests/{rid}", headers=cells.owner).json()
    assert all("内部" not in m["body"] for m in seen["messages"])
    staff = world.client.get(f"{D}/staff/requests/{rid}", headers=world.staff("officer_a1")).json()
    assert [m["internal"] for m in staff["messages"] if "内部" in m["body"]] == [True]


# -- the kinds of stop-payments, 断卡 and tracking: the access decision of every kind × action × actor ------


def _access_verdict(response: httpx.Response) -> str:
    """The access decision alone: it comes first (the engine's `perform`), so a 404 is hidden, a 403 refused,
    and anything after it (done, a payload or state refusal: 422, 409) is allowed."""
    if response.status_code == 404:
        return HIDDEN
    if response.status_code == 403:
        return REFUSED
    assert response.status_code < 500, response.text
    return ALLOWED


def _capability_world(world: World) -> tuple[int, int]:
    """Bank X and bank Y with a liaison each ("partner_x" of bank X, "partner_y" of bank Y), and the tracking
    operator; the answer is (bank X's unit, the operator's unit). partner_x is also the operator's liaison for
    the maintenance kind, where it stands for the holder's partner."""
    with world.services.db.session() as session:
        units = {}
        for code, kind in (("bank-x", UnitKind.BANK), ("bank-y", UnitKind.BANK), ("operator", UnitKind.TELECOM)):
            unit = Unit(code=code, name=code, kind=kind)
            session.add(unit)
            session.flush()
            units[code] = unit.id
        for name, unit_code in (
            (HOLDER_PARTNER, "bank-x"),
            (OTHER_PARTNER, "bank-y"),
            ("operator_liaison", "operator"),
        ):
            user = create_user(
                session, name, None, role=Role.PARTNER, display_name=name, unit_id=units[unit_code], now=T0
            )
            world.users[name] = user.id
        for name, role, unit_code in (
            ("jd_commander", Role.COMMANDER, "command-centre"),
            ("jd_officer_a1", Role.OFFICER, "station-A"),
            ("jd_officer_b", Role.OFFICER, "station-B"),
        ):
            user = create_user(session, name, None, role=role, display_name=name, unit_id=world.ids[unit_code], now=T0)
            set_duties(session, user, [Duty.NARCOTICS.value], T0)
            world.users[name] = user.id
        return units["bank-x"], units["operator"]


def _task(world: World, kind: str, unit_id: int, area_id: int | None) -> int:
    with world.services.db.session() as session:
        task = world.services.tasks.create(
            session, kind=kind, title="矩阵任务", ref_type=kind, ref_id=next(_refs), area_id=area_id, unit_id=unit_id
        )
        session.flush()
        return task.id


def test_every_action_of_the_capabilities_kinds_gets_the_declared_access_decision(world: World) -> None:
    cells = Cells(world)
    bank_x, operator = _capability_world(world)
    station_a, area_a = world.ids["station-A"], world.ids["area-A"]
    kinds: dict[str, tuple[int, int | None, Callable[[str, str], str], set[str]]] = {
        kind: (station_a, area_a, partial(station_kind_expected, kind), set(actions))
        for kind, actions in STATION_KIND_ROLES.items()
    }
    kinds["bank_stop"] = (bank_x, area_a, bank_stop_expected, set(BANK_STOP_ROLES))
    kinds["station_maintenance"] = (operator, None, maintenance_expected, set(MAINTENANCE_ROLES))
    kinds["rehab_checkin"] = (station_a, area_a, rehab_expected, set(REHAB_ROLES))
    for kind, roles in DEPARTMENT_KIND_ROLES.items():
        kinds[kind] = (world.ids["gov-A"], area_a, partial(department_kind_expected, kind), set(roles))
    kinds["dispute"] = (station_a, area_a, dispute_expected, set(DISPUTE_ROLES))
    registered = set(world.services.tasks.workflows)
    assert registered - {"desk_request", "dissuasion"} == set(kinds), "every kind is written down"
    wrong: list[str] = []
    for kind, (unit_id, area_id, expected, actions) in kinds.items():
        declared = {a for a, spec in world.services.tasks.workflow(kind).actions.items() if spec.permission.roles}
        assert actions == declared, f"{kind}: every action a person may take is written down"
        for action in sorted(actions):
            for who in (*CAPABILITY_ACTORS, *(NARCOTICS_ACTORS if kind == "rehab_checkin" else ())):
                headers = (
                    world.staff("operator_liaison")
                    if who == HOLDER_PARTNER and kind == "station_maintenance"
                    else cells.headers(who)
                )
                task_id = _task(world, kind, unit_id, area_id)
                response = world.client.post(f"{API}/tasks/{task_id}/actions", json={"action": action}, headers=headers)
                verdict = _access_verdict(response)
                if verdict != expected(who, action):
                    wrong.append(
                        f"{kind} {action} by {who}: {verdict} ({response.status_code}), declared {expected(who, action)}"
                    )
    assert wrong == [], "\n".join(wrong)


# -- a finding's co-department reads the lead's task in the one task list and works only its own part ------


def _departments(world: World) -> dict[str, int]:
    """消防 (a co-department of the findings below) and 交通 (on none of them), each a partner unit with a
    user of its own; the answer is their units."""
    units: dict[str, int] = {}
    with world.services.db.session() as session:
        for username, code, name in (
            (CO_DEPARTMENT, "dept-xf", "县消防救援大队"),
            (UNINVOLVED_DEPARTMENT, "dept-jt", "县交通运输局"),
        ):
            unit = Unit(code=code, name=name, kind=UnitKind.GOVERNANCE)
            session.add(unit)
            session.flush()
            units[username] = unit.id
            user = create_user(
                session, username, None, role=Role.GOVERNANCE, display_name=name, unit_id=unit.id, now=T0
            )
            world.users[username] = user.id
    return units


def _finding(world: World, co_unit: int) -> tuple[int, int]:
    """A finding led by station A's governance centre, with a part held by `co_unit`: (finding, part)."""
    ref = next(_refs)
    with world.services.db.session() as session:
        tasks = world.services.tasks
        lead = tasks.create(
            session,
            kind="hidden_danger",
            title="隐患整治：消防通道",
            ref_type="danger",
            ref_id=ref,
            area_id=world.ids["area-A"],
            unit_id=world.ids["gov-A"],
        )
        part = tasks.create(
            session,
            kind="hidden_danger_part",
            title="隐患协办：消防通道",
            ref_type="danger",
            ref_id=ref,
            area_id=world.ids["area-A"],
            unit_id=co_unit,
        )
        session.flush()
        return lead.id, part.id


def test_a_co_department_reads_the_finding_in_the_task_list_and_works_only_its_own_part(world: World) -> None:
    units = _departments(world)
    finding, part = _finding(world, units[CO_DEPARTMENT])
    other_finding, other_part = _finding(world, world.ids["gov-A1"])  # a finding 消防 has no part of

    def listed(who: str) -> set[int]:
        answer = world.client.get(f"{API}/tasks", headers=world.staff(who))
        assert answer.status_code == 200, answer.text
        return {int(t["id"]) for t in answer.json()["items"]}

    assert listed(CO_DEPARTMENT) == {finding, part}
    assert listed(UNINVOLVED_DEPARTMENT) == set()
    assert {finding, part, other_finding, other_part} <= listed("commander")
    by_kind = world.client.get(f"{API}/tasks", params={"kind": "hidden_danger"}, headers=world.staff(CO_DEPARTMENT))
    assert [int(t["id"]) for t in by_kind.json()["items"]] == [finding]
    detail = world.client.get(f"{API}/tasks/{finding}", headers=world.staff(CO_DEPARTMENT))
    assert detail.status_code == 200, detail.text
    assert detail.json()["allowed_actions"] == []  # it reads the lead's finding, never works it
    for who, task_id in (
        (UNINVOLVED_DEPARTMENT, finding),
        (UNINVOLVED_DEPARTMENT, part),
        (CO_DEPARTMENT, other_finding),
    ):
        assert world.client.get(f"{API}/tasks/{task_id}", headers=world.staff(who)).status_code == 404

    wrong: list[str] = []
    for kind, declared in CO_DEPARTMENT_ROLES.items():
        actions = {a for a, spec in world.services.tasks.workflow(kind).actions.items() if spec.permission.roles}
        assert set(declared) <= actions
        for action in sorted(actions):
            for who in (CO_DEPARTMENT, UNINVOLVED_DEPARTMENT):
                lead, own = _finding(world, units[CO_DEPARTMENT])
                task_id = lead if kind == "hidden_danger" else own
                response = world.client.post(
                    f"{API}/tasks/{task_id}/actions", json={"action": action}, headers=world.staff(who)
                )
                verdict = _access_verdict(response)
                if verdict != co_department_expected(kind, who, action):
                    wrong.append(f"{kind} {action} by {who}: {verdict} ({response.status_code})")
    assert wrong == [], "\n".join(wrong)


def test_a_withdrawn_part_no_longer_shows_its_department_the_finding(world: World) -> None:
    units = _departments(world)
    finding, part = _finding(world, units[CO_DEPARTMENT])
    with world.services.db.session() as session:
        task = session.get(Task, part)
        assert task is not None
        world.services.tasks.act(session, task, Command("withdraw", None, "协办部门调整", {}))
    with world.services.db.session() as session:
        assert session.get(Task, part).outcome == WITHDRAWN  # type: ignore[union-attr]
    assert world.client.get(f"{API}/tasks/{finding}", headers=world.staff(CO_DEPARTMENT)).status_code == 404
    listed = world.client.get(f"{API}/tasks", params={"open": "false"}, headers=world.staff(CO_DEPARTMENT))
    assert [int(t["id"]) for t in listed.json()["items"]] == [part]  # its own closed part stays in its history
