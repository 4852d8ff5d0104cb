"""The whole API, fuzzed from its own OpenAPI document: no 5xx, no stack trace, answers that match the schema.

Every operation of `/api/v1/openapi.json` is called with generated parameters and bodies (valid and
invalid), as an admin and as a station officer, against the in-process app over the desk tests' world
(SQLite), seeded so that small ids name real rows: requests, rules, templates, pushes, indicators, leads.
Bounded by default (a few examples per operation, derandomised, so a run is the same every time);
`PINGAN_FUZZ_EXAMPLES=500` runs a long one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from pingan.api.app import create_app
from pingan.core.db import Database
from pingan.core.fields import DB_ID_MAX
from pingan.core.identity import issue_token, set_duties
from pingan.core.models import Duty, Role, User
from pingan.migrate import upgrade
from tests.integration.test_desk_api import JPEG, POINT_A2, POINT_B, SECRET, D, World, build_world

EXAMPLES = int(os.environ.get("PINGAN_FUZZ_EXAMPLES", "2"))
FUZZ_OPERATIONS = "/api/v1/"
"""Open311 has its own error format (the spec's) and its own tests; the JSON API is fuzzed here."""


def _seed(world: World) -> None:
    admin = world.staff("admin")
    for phone, point in (("13905740001", None), ("13905740002", POINT_A2), ("13905740003", POINT_B)):
        me = world.quick_resident(phone)
        world.posted(me, **({"point": point} if point else {}))
        world.posted(me, category="nuisance", text=f"{phone} 楼下广场舞噪音太大")
    world.client.post(
        f"{D}/admin/routing-rules", json={"target": "station", "area_id": world.ids["area-A"]}, headers=admin
    )
    template = {"code": "fraud-1", "kind": "fraud", "title": "警惕诈骗", "body": "{area}居民请注意"}
    world.client.post(f"{D}/push-templates", json=template, headers=world.staff("commander"))
    world.client.post(f"{D}/pushes", json={"template_id": 1, "area_ids": [world.ids["area-A"]]}, headers=admin)
    world.client.post("/api/v1/fraud/indicators", json={"kind": "phone", "value": "13800138000"}, headers=admin)
    event = {
        "id": "tel-1",
        "source": "telecom",
        "kind": "call",
        "at": "2026-11-23T09:00:00+08:00",
        "subject_phone": "13905740001",
        "counterpart": "13800138000",
    }
    world.client.post("/api/v1/fraud/events", json=[event], headers=admin)
    # The command centre's: a pushed list with a row in A, a rehabilitation plan the admin may read (holding
    # the 禁毒 duty here), a traffic record.
    list_row = {"kind": "place", "address": "出租房", "lon": POINT_A2[0], "lat": POINT_A2[1]}
    world.client.post("/api/v1/verify/lists", json={"id": "fz-1", "title": "清单", "rows": [list_row]}, headers=admin)
    with world.services.db.session() as session:
        user = session.get(User, world.users["admin"])
        assert user is not None
        set_duties(session, user, [Duty.NARCOTICS.value], world.clock.now())
    plan = {
        "id": "fz-1",
        "kind": "detox",
        "name": "测试",
        "id_number": "330225199001011234",
        "starts_on": "2026-11-01",
        "ends_on": "2027-11-01",
    }
    world.client.post("/api/v1/rehab/plans", json=plan, headers=admin)
    traffic = "id,type,at,outcome\nfz-1,三小车,2026-11-20T09:00:00+08:00,罚款\n".encode()
    world.client.post("/api/v1/traffic/records/import", files={"file": ("t.csv", traffic, "text/csv")}, headers=admin)
    # A case (with its investigation task) and a warning campaign, for the cases', campaigns' and tasks' ids.
    world.client.post(
        "/api/v1/cases",
        json={
            "id": "fuzz-1",
            "reported_at": "2026-11-23T09:00:00+08:00",
            "narrative": "对方电话13800138000，已转账5000元",
        },
        headers=admin,
    )
    world.client.post(
        "/api/v1/campaigns",
        json={"fraud_type": "investment", "area_ids": [world.ids["area-A"]], "group": "elderly"},
        headers=admin,
    )
    # Patrol units of both stations on the roster, positions, and alarms in both (ids 1..4 name them).
    units = [
        {"code": f"FZ-{i}", "name": f"巡组{i}", "kind": kind, "unit": unit}
        for i, (kind, unit) in enumerate((("car", "station-A"), ("foot", "station-A"), ("ebike", "station-B")), 1)
    ]
    world.client.post("/api/v1/command/patrol/units", json=units, headers=admin)
    now = world.clock.now()
    positions = [
        {"unit": f"FZ-{i}", "lon": point[0], "lat": point[1], "at": now.isoformat()}
        for i, point in ((1, POINT_A2), (2, POINT_A2), (3, POINT_B))
    ]
    world.client.post("/api/v1/command/patrol/positions", json=positions, headers=admin)
    for unit_id in (1, 2, 3):
        shift = {
            "patrol_unit_id": unit_id,
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=8)).isoformat(),
        }
        world.client.post("/api/v1/command/patrol/roster", json=shift, headers=admin)
    for n, point in enumerate((POINT_A2, POINT_B, POINT_A2), 1):
        alarm = {"source": "110", "source_id": f"fz-{n}", "text": "有人打架", "lon": point[0], "lat": point[1]}
        world.client.post("/api/v1/command/alarms", json=alarm, headers=admin)
    danger = {
        "kind": "fire_lane",
        "title": "小区消防通道被占用",
        "place": "甲街道某小区",
        "lon": POINT_A2[0],
        "lat": POINT_A2[1],
        "lead_unit_id": world.ids["gov-A"],
        "co_departments": [{"unit_id": world.ids["gov-A1"], "duty": "清理杂物"}],
    }
    made = world.client.post("/api/v1/command/dangers", json=danger, headers=admin)
    assert made.status_code == 201, made.text
    photo = {"stage": "before"}
    world.client.post(
        "/api/v1/command/dangers/1/photos", data=photo, files=[("files", ("p.jpg", JPEG, "image/jpeg"))], headers=admin
    )
    mediator = {"name": "综合调解室", "kind": "room", "unit_id": world.ids["station-A"]}
    world.client.post("/api/v1/command/disputes/mediators", json=mediator, headers=admin)
    dispute = {
        "category": "neighbour",
        "title": "楼上漏水",
        "lon": POINT_A2[0],
        "lat": POINT_A2[1],
        "mediator_id": 1,
        "parties": [{"name": "王某", "phone": "13905740009"}, {"name": "李某", "role": "respondent"}],
    }
    made = world.client.post("/api/v1/command/disputes", json=dispute, headers=admin)
    assert made.status_code == 201, made.text


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path: Path = tmp_path_factory.mktemp("fuzz")
    db = Database(f"sqlite:///{path / 'fuzz.db'}")
    upgrade(db)  # by the migrations, as `pingan init` does: the readiness probe then answers 200, not 503
    w = build_world(db, path)
    _seed(w)
    yield w
    w.client.close()
    w.services.desk.close()
    db.dispose()


def no_stack_trace(_ctx: Any, response: Any, _case: Any) -> bool | None:
    """No answer shows the server's insides (a Python traceback or an exception's repr)."""
    # A file (an XLSX export) is bytes: read what text it has, never fail on decoding it.
    text = bytes(response.content).decode("utf-8", errors="replace")
    for tell in ("Traceback (most recent call last)", 'File "/', "sqlalchemy.exc", "psycopg", "sqlite3."):
        assert tell not in text, f"{tell!r} in the answer: {text[:300]}"
    return None


def _towards_real_rows(case: Any) -> None:
    """Generated ids are mostly far from the seeded rows: fold valid ones onto 1..4 so that some calls
    reach real objects (and their handlers), not only the 404 of a missing one."""
    for name, value in (case.path_parameters or {}).items():
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= DB_ID_MAX:
            case.path_parameters[name] = value % 4 + 1


@dataclass
class Tally:
    operations: int = 0
    examples: int = 0
    failures: list[str] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)
    """The operations that answered a 2xx at least once: the run reached their handlers, not only refusals."""


def _signed_in(world: World, who: str, role: Role) -> dict[str, str]:
    """A fresh token of `who`, with their account as it was at the start: an earlier example may have signed
    them out (`/auth/logout`, a password change) or, as the admin, stopped or re-roled an account, after
    which every later call would only be a 401."""
    with world.services.db.session() as session:
        user = session.get(User, world.users[who])
        assert user is not None
        user.active, user.role = True, role
        token = issue_token(user, SECRET, world.clock.now(), timedelta(days=1))
    return {"Authorization": f"Bearer {token}"}


def _fuzz(world: World, who: str) -> Tally:
    """Every JSON API operation, valid and invalid inputs, `EXAMPLES` of each; the failures, one per
    operation and mode (the first example that broke it), so that one run reports them all."""
    app = create_app(world.services)
    api = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).include(path_regex=f"^{FUZZ_OPERATIONS}")
    with world.services.db.session() as session:
        user = session.get(User, world.users[who])
        assert user is not None
        role = user.role
    tally = Tally()
    for result in api.get_all_operations():
        if not isinstance(result, Ok):  # the document itself is wrong somewhere: a failure of its own
            tally.failures.append(f"invalid schema: {result.err()}")
            continue
        operation = result.ok()
        tally.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failing example is reported
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                tally.examples += 1
                _towards_real_rows(case)
                response = case.call_and_validate(
                    headers=_signed_in(world, who, role),
                    checks=[not_a_server_error, response_schema_conformance],
                    additional_checks=[no_stack_trace],
                )
                if 200 <= response.status_code < 300:
                    tally.answered.add(operation.label)  # noqa: B023 - run() is called in this iteration

            try:
                run()
            except Unsatisfiable:  # nothing of this operation can be made invalid (no parameters, say)
                continue
            except (Exception, FailureGroup) as exc:  # a group of failures is a BaseException
                tally.failures.append(f"{operation.label} ({mode.value}): {str(exc)[:1500]}")
    return tally


ANSWERED_AT_LEAST = {"admin": 35, "officer_a1": 15}
"""Operations answering a 2xx at least once in the bounded run (43 and 21 when written): far fewer means the
run lost its sign-in part of the way through and fuzzed little but the 401."""


@pytest.mark.parametrize("who", ["admin", "officer_a1"])
def test_no_operation_answers_a_5xx_a_stack_trace_or_off_its_schema(world: World, who: str) -> None:
    tally = _fuzz(world, who)
    print(
        f"fuzz as {who}: {tally.operations} operations, {tally.examples} examples, {len(tally.failures)} failing, "
        f"{len(tally.answered)} answered a 2xx"
    )
    assert tally.operations >= 60
    assert len(tally.answered) >= ANSWERED_AT_LEAST[who], sorted(tally.answered)
    assert not tally.failures, "\n\n".join(tally.failures)
