"""`GET /api/v1/audit/access`: the admin finds who read whose unmasked data by reader, subject, time and
purpose, page by page; LIKE's wildcards in a search are plain characters; others are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pingan.core.db import Database
from pingan.core.models import Unit, User
from tests.integration.test_desk_api import T0, World, build_world

AUDIT = "/api/v1/audit/access"


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    built = build_world(db, tmp_path)
    yield built
    built.client.close()


def _reveal(world: World, staff: str, request_id: int, purpose: str) -> None:
    response = world.client.get(
        f"/api/v1/desk/staff/requests/{request_id}",
        params={"reveal": "true", "purpose": purpose},
        headers=world.staff(staff),
    )
    assert response.status_code == 200, response.text


def _audit(world: World, **params: Any) -> dict[str, Any]:
    response = world.client.get(AUDIT, params=params, headers=world.staff("admin"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _reads(world: World) -> tuple[int, int]:
    resident = world.resident("13800009401")
    first = world.posted(resident, category="consultation", text="户口迁移需要哪些材料")["id"]
    second = world.posted(resident, category="dispute", text="邻居装修噪音到深夜")["id"]
    _reveal(world, "admin", first, "回访群众 100%满意")
    world.clock.advance(timedelta(hours=2))
    _reveal(world, "commander", second, "处理纠纷")
    world.clock.advance(timedelta(hours=2))
    _reveal(world, "admin", second, "核实地址")
    return first, second


def test_the_admin_filters_reads_by_reader_subject_time_and_purpose(world: World) -> None:
    first, second = _reads(world)
    every = _audit(world)
    assert every["total"] == 3
    newest = every["items"][0]
    assert (newest["username"], newest["subject_type"], newest["subject_id"], newest["purpose"]) == (
        "admin",
        "desk_request",
        second,
        "核实地址",
    )
    assert newest["fields"] == "phone,address,location,text"  # the free text is read unmasked too
    head = next(i for i in every["items"] if i["username"] == "commander")
    with world.services.db.session() as session:
        user = session.get(User, world.users["commander"])
        assert user is not None
        unit = session.get(Unit, user.unit_id)
        assert unit is not None
        assert (head["user_name"], head["unit_name"]) == (user.display_name, unit.name)

    assert [i["purpose"] for i in _audit(world, user="comm")["items"]] == ["处理纠纷"]
    assert _audit(world, user_id=world.users["commander"])["total"] == 1
    assert {i["subject_id"] for i in _audit(world, subject_type="desk_request", subject_id=second)["items"]} == {second}
    assert _audit(world, subject_id=first)["total"] == 1
    window = _audit(world, start=(T0 + timedelta(hours=1)).isoformat(), end=(T0 + timedelta(hours=3)).isoformat())
    assert [i["purpose"] for i in window["items"]] == ["处理纠纷"]
    assert [i["purpose"] for i in _audit(world, q="地址")["items"]] == ["核实地址"]


def test_wildcards_in_a_search_are_plain_characters(world: World) -> None:
    _reads(world)
    assert [i["purpose"] for i in _audit(world, q="100%")["items"]] == ["回访群众 100%满意"]
    assert _audit(world, q="%")["total"] == 1
    assert _audit(world, q="_")["total"] == 0
    assert _audit(world, user="adm")["total"] == 2
    assert _audit(world, user="a_m")["total"] == 0  # as a wildcard, `_` would match "adm"


def test_reads_come_page_by_page_newest_first(world: World) -> None:
    _reads(world)
    pages = [_audit(world, limit=2, offset=0), _audit(world, limit=2, offset=2)]
    assert [p["total"] for p in pages] == [3, 3]
    ids = [i["id"] for p in pages for i in p["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**7}, "offset"),
        ({"user_id": 2**63}, "user_id"),
        ({"subject_id": "x"}, "subject_id"),
        ({"subject_type": "Person; DROP"}, "subject_type"),
        ({"start": "2026-11-23T10:00:00"}, "start"),  # no offset: which day it means is unknown
        ({"start": "2026-11-23T10:00:00+08:00", "end": "2026-11-23T09:00:00+08:00"}, "end"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(world: World, params: dict[str, Any], field: str) -> None:
    response = world.client.get(AUDIT, params=params, headers=world.staff("admin"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"].removeprefix("query.") == field


@pytest.mark.parametrize("staff", ["analyst", "commander", "head_a", "officer_a1"])
def test_only_the_admin_reads_the_access_log(world: World, staff: str) -> None:
    assert world.client.get(AUDIT, headers=world.staff(staff)).status_code == 403
