"""Fraud intake on a real database (SQLite and PostgreSQL): idempotence, validation by field, storage,
and the leads' path from a hit to a graded warning and its dissuasion task.

Two stations side by side (甲 west of 乙, boxes obvious by eye), the centres, two residents and a
short indicator list; a fake clock at 10:00 Shanghai time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from shapely.geometry import box
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database, insert_values_ignoring_duplicates, utc_to_driver
from pingan.core.geo import GeoArea, wgs84_to_gcj02
from pingan.core.models import Area, Notification, Person, Task, TaskEvent, Unit, UnitKind
from pingan.core.people import import_people
from pingan.core.settings import Settings
from pingan.core.setup import ensure_centre_units
from pingan.fraud.batcher import Flushed, MicroBatcher
from pingan.fraud.indicators import import_indicators
from pingan.fraud.intake import IntakeResult
from pingan.fraud.models import FraudEvent, FraudWarning, Level, WarningStatus
from pingan.fraud.workflow import KIND as DISSUASION_KIND
from pingan.fraud.workflow import DissuasionAction

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
POINT_A = (121.05, 29.05)
POINT_B = (121.15, 29.05)
PHONE_1, PHONE_1B, PHONE_2 = "13800000001", "13800000011", "13900000002"
UNKNOWN = "13700000009"
FRAUD_PHONE = "17000000001"
FRAUD_ACCOUNT = "6222020000000000001"
FRAUD_DOMAIN = "evil-pay.top"
FRAUD_APP = "com.evil.loan"
BENIGN = "13600000000"


@dataclass
class County:
    services: Services
    clock: FakeClock
    station_a: int
    station_b: int
    unit_a: int
    unit_b: int
    centre: int
    person_1: int
    person_2: int

    @property
    def db(self) -> Database:
        return self.services.db

    def ingest(self, items: Sequence[dict[str, Any]]) -> IntakeResult:
        return self.services.intake.ingest(list(items))

    def count(self, model: type[Any], *where: Any) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    def warnings(self) -> list[FraudWarning]:
        with self.db.session() as session:
            return list(session.scalars(select(FraudWarning).order_by(FraudWarning.id)))

    def history(self, task_id: int) -> list[DissuasionAction]:
        with self.db.session() as session:
            return list(
                session.scalars(select(TaskEvent.action).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id))
            )


def event(event_id: str, **fields: Any) -> dict[str, Any]:
    """A benign call to resident 1 at T0, with `fields` laid over it."""
    item: dict[str, Any] = {
        "id": event_id,
        "source": "telecom",
        "kind": "call",
        "at": T0.isoformat(),
        "subject_phone": PHONE_1,
        "counterpart": BENIGN,
        "duration_s": 30,
    }
    item.update(fields)
    return {k: v for k, v in item.items() if v is not None}


def hit(event_id: str, **fields: Any) -> dict[str, Any]:
    """A call from the listed fraud number."""
    return event(event_id, **{"counterpart": FRAUD_PHONE, **fields})


@pytest.fixture
def county(db: Database) -> Iterator[County]:
    clock = FakeClock(T0)
    services = bootstrap(Settings(), clock=clock, db=db)
    with db.session() as session:
        centre = ensure_centre_units(session)["anti-fraud-centre"]
        import_areas(
            session,
            [
                GeoArea("甲街道", "330225001", box(121.0, 29.0, 121.1, 29.1)),
                GeoArea("乙镇", "330225101", box(121.1, 29.0, 121.2, 29.1)),
            ],
        )
    services.jurisdictions.invalidate()
    people: list[dict[str, Any]] = [
        {"name": "张一", "phones": f"{PHONE_1};{PHONE_1B}", "birth_year": "1950", "tags": "elderly"},
        {"name": "李二", "phones": PHONE_2, "birth_year": "1990"},
    ]
    people[0].update(lon=POINT_A[0], lat=POINT_A[1])
    people[1].update(lon=POINT_B[0], lat=POINT_B[1])
    indicators = [
        {"kind": "phone", "value": FRAUD_PHONE, "fraud_type": "impersonate_officials"},
        {"kind": "account", "value": FRAUD_ACCOUNT, "fraud_type": "investment"},
        {"kind": "domain", "value": FRAUD_DOMAIN, "fraud_type": "order_brushing"},
        {"kind": "app", "value": FRAUD_APP, "fraud_type": "loan"},
    ]
    with db.session() as session:
        report = import_people(session, enumerate(people, start=2), services.jurisdictions, T0)
        assert not report.rejected
        assert not import_indicators(session, enumerate(indicators, start=2), T0).rejected
    with db.session() as session:
        area = {a.code: a.id for a in session.scalars(select(Area))}
        unit = {u.area_id: u.id for u in session.scalars(select(Unit).where(Unit.kind == UnitKind.STATION))}
        person = {p.name: p.id for p in session.scalars(select(Person))}
    yield County(
        services=services,
        clock=clock,
        station_a=area["330225001"],
        station_b=area["330225101"],
        unit_a=unit[area["330225001"]],
        unit_b=unit[area["330225101"]],
        centre=centre,
        person_1=person["张一"],
        person_2=person["李二"],
    )
    services.close()


# --- idempotence ----------------------------------------------------------------------------------


def test_replaying_a_batch_creates_nothing_twice(county: County) -> None:
    batch = [
        event("e1"),
        event("e2", kind="sms", text="验证码 123456"),
        hit("e3"),
        event("r1", kind="report", source="hotline"),
    ]
    first = county.ingest(batch)
    assert (first.accepted, first.duplicates, first.rejected) == (4, 0, [])
    counts = (county.count(FraudEvent), county.count(FraudWarning), county.count(Task), county.count(TaskEvent))

    county.clock.advance(minutes=1)
    again = county.ingest(batch)

    assert (again.accepted, again.duplicates, again.rejected) == (0, 4, [])
    assert again.warnings_opened == again.warnings_updated == again.tasks_created == []
    assert (county.count(FraudEvent), county.count(FraudWarning), county.count(Task), county.count(TaskEvent)) == counts


def test_a_replayed_hit_in_a_later_batch_does_not_merge_again(county: County) -> None:
    county.ingest([hit("h1")])
    county.ingest([hit("h1"), hit("h2", at=(T0 + timedelta(minutes=5)).isoformat())])
    (warning,) = county.warnings()
    assert warning.event_count == 2


def test_a_repeated_id_within_a_batch_is_stored_once(county: County) -> None:
    result = county.ingest(
        [
            event("d1"),
            event("d1", duration_s=99),
            hit("d2"),
            hit("d2"),
            event("d1", source="bank", kind="transfer", counterpart=FRAUD_ACCOUNT[:-1] + "9", amount="10.00"),
        ]
    )
    assert (result.accepted, result.duplicates) == (3, 2)
    assert county.count(FraudEvent) == 3
    assert (
        county.count(FraudEvent, FraudEvent.source_id == "d1") == 2
    )  # the same id from another source is another event
    with county.db.session() as session:
        stored = session.scalar(
            select(FraudEvent.duration_s).where(FraudEvent.source == "telecom", FraudEvent.source_id == "d1")
        )
    assert stored == 30  # the first one wins
    (warning,) = county.warnings()
    assert warning.event_count == 1


# --- validation -----------------------------------------------------------------------------------


def test_a_mixed_batch_keeps_the_good_events_and_names_each_bad_field(county: County) -> None:
    result = county.ingest(
        [
            event("ok1"),
            event("bad-type", duration_s="long"),
            event("bad-kind", kind="fax"),
            event("abroad", lon=2.35, lat=48.85),
            event("ok2", subject_phone="１３８０００００００１"),
            event("bad-counterpart", counterpart="not a number!"),
            event("ok3", subject_phone="+86 139-0000-0002"),
            event("bad-phone", subject_phone="12ab"),
            event("ok4", subject_phone="138-0000-0011"),
            event("no-amount", source="bank", kind="transfer", counterpart=FRAUD_ACCOUNT),
            event("ancient", at="0001-01-01T00:00:00+01:00"),
            event("nul", kind="sms", text="转账\x00给我"),
        ]
    )
    rejected = [(r.index, r.id, r.field) for r in result.rejected]
    assert rejected == [
        (1, "bad-type", "duration_s"),
        (2, "bad-kind", "kind"),
        (3, "abroad", "lon"),
        (5, "bad-counterpart", "counterpart"),
        (7, "bad-phone", "subject_phone"),
        (9, "no-amount", "amount"),
        (10, "ancient", "at"),
        (11, "nul", "text"),
    ]
    assert all(r.message for r in result.rejected)
    assert result.accepted == 4
    with county.db.session() as session:
        phones = dict(session.execute(select(FraudEvent.source_id, FraudEvent.subject_phone)).all())
    assert phones == {"ok1": PHONE_1, "ok2": PHONE_1, "ok3": PHONE_2, "ok4": PHONE_1B}


def test_an_all_bad_batch_stores_nothing(county: County) -> None:
    result = county.ingest([event("x", kind="fax"), {"id": "y"}])
    assert result.accepted == 0
    assert [r.index for r in result.rejected] == [0, 1]
    assert county.count(FraudEvent) == 0


def test_counterparts_written_any_way_match_the_list(county: County) -> None:
    result = county.ingest(
        [
            hit("p1", counterpart="+86 170-0000-0001", subject_phone="+86 138 0000 0001"),
            event(
                "u1",
                source="internet",
                kind="url_visit",
                counterpart=f"HTTPS://WWW.{FRAUD_DOMAIN.upper()}/x?y=1",
                subject_phone=PHONE_2,
            ),
        ]
    )
    assert result.accepted == 2
    assert len(result.warnings_opened) == 2
    with county.db.session() as session:
        stored = dict(session.execute(select(FraudEvent.source_id, FraudEvent.counterpart)).all())
        hits = session.scalars(select(FraudEvent.indicator_id).where(FraudEvent.indicator_id.is_not(None))).all()
    assert stored == {"p1": FRAUD_PHONE, "u1": f"www.{FRAUD_DOMAIN}/x"}
    assert len(hits) == 2


# --- storage --------------------------------------------------------------------------------------


def test_stored_events_read_back_through_the_orm_as_aware_utc_datetimes(county: County) -> None:
    county.ingest(
        [
            event("t1", at="2026-11-23T10:00:00.123456+08:00"),
            event("t2", at="2026-11-23T02:00:00Z"),
            hit("t3", at="2026-11-22T21:30:00-05:00"),
        ]
    )
    with county.db.session() as session:
        rows = {e.source_id: e for e in session.scalars(select(FraudEvent))}
        later = session.scalars(select(FraudEvent.source_id).where(FraudEvent.at > T0).order_by(FraudEvent.at)).all()
    assert rows["t1"].at == datetime(2026, 11, 23, 2, 0, 0, 123456, tzinfo=UTC)
    assert rows["t2"].at == T0
    assert rows["t3"].at == datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
    assert all(r.at.tzinfo is UTC and r.received_at == T0 for r in rows.values())
    assert later == ["t1", "t3"]  # compared in SQL, so stored in a form the database orders correctly


def test_the_fast_path_stores_datetimes_exactly_as_the_orm_does(county: County) -> None:
    at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    with county.db.session() as session:
        session.add(
            FraudEvent(source="telecom", source_id="orm", kind="call", at=at, received_at=at, subject_phone=PHONE_1)
        )
    county.ingest([event("raw", at=at.isoformat())])
    with county.db.session() as session:
        stored = {row[0]: row[1] for row in session.execute(text("SELECT source_id, at FROM fraud_events"))}
    assert stored["raw"] == stored["orm"]
    assert str(stored["raw"]).startswith("2026-11-23")


def test_the_raw_insert_stores_big_batches_and_skips_duplicates(db: Database) -> None:
    table: Table = FraudEvent.__table__  # type: ignore[assignment]
    utc = utc_to_driver(db.engine)
    now = utc(T0)
    columns = ("source", "source_id", "kind", "at", "received_at", "subject_phone")
    rows = [("telecom", f"b{i}", "call", now, now, PHONE_1) for i in range(600)]
    with db.session() as session:
        stored, back = insert_values_ignoring_duplicates(session, table, columns, rows[:77])
        assert (stored, back) == (77, [])
    with db.session() as session:
        stored, back = insert_values_ignoring_duplicates(session, table, columns, rows, returning=("source_id",))
    assert stored == 600 - 77
    assert sorted(r[0] for r in back) == sorted(f"b{i}" for i in range(77, 600))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(FraudEvent)) == 600


# --- leads ----------------------------------------------------------------------------------------


def test_a_hit_opens_one_warning_with_one_task_and_an_issue_in_its_history(county: County) -> None:
    result = county.ingest([event("plain"), hit("h1", duration_s=400)])

    (warning,) = county.warnings()
    assert result.warnings_opened == [warning.id]
    assert result.tasks_created == [warning.task_id]
    assert warning.person_id == county.person_1
    assert (warning.area_id, warning.unit_id) == (county.station_a, county.unit_a)
    assert warning.fraud_type == "impersonate_officials"
    assert warning.status is WarningStatus.OPEN
    # A call over 5 minutes is high; the resident is over 65, which raises it one level.
    assert warning.level is Level.CRITICAL
    assert warning.features["elderly"] == 1
    with county.db.session() as session:
        task = session.get(Task, warning.task_id)
        assert task is not None
        assert (task.kind, task.ref_type, task.ref_id, task.unit_id) == (
            DISSUASION_KIND,
            "fraud_warning",
            warning.id,
            county.unit_a,
        )
        assert task.level == "critical"
        links = dict(session.execute(select(FraudEvent.source_id, FraudEvent.warning_id)).all())
        notified = set(session.scalars(select(Notification.unit_id).where(Notification.task_id == task.id)))
    assert county.history(task.id) == [DissuasionAction.ISSUE]
    assert links == {"plain": None, "h1": warning.id}
    assert county.unit_a in notified
    assert county.centre in notified  # critical: the centre calls in parallel


def test_reports_and_pushed_warnings_are_leads_without_any_indicator(county: County) -> None:
    result = county.ingest(
        [
            event("r1", source="hotline", kind="report", counterpart=None, duration_s=None, text="正在转账"),
            event(
                "p1",
                source="platform",
                kind="pushed_warning",
                subject_phone=PHONE_2,
                counterpart=None,
                duration_s=None,
                level="medium",
                fraud_type="loan",
            ),
        ]
    )
    assert len(result.warnings_opened) == 2
    levels = {w.subject_phone: (w.level, w.fraud_type) for w in county.warnings()}
    assert levels[PHONE_2] == (Level.MEDIUM, "loan")


def test_hits_on_the_same_person_within_the_merge_window_merge(county: County) -> None:
    first = county.ingest([hit("m1", duration_s=10)])
    county.clock.advance(minutes=30)
    second = county.ingest(
        [
            hit("m2", subject_phone=PHONE_1B, at=(T0 + timedelta(minutes=30)).isoformat(), duration_s=10),
            hit("m3", at=(T0 + timedelta(minutes=40)).isoformat(), duration_s=10),
        ]
    )
    (warning,) = county.warnings()
    assert first.warnings_opened == [warning.id]
    assert second.warnings_opened == []
    assert second.warnings_updated == [warning.id]
    assert warning.event_count == 3
    assert warning.last_event_at == T0 + timedelta(minutes=40)
    assert warning.features["contacts"] == 3
    assert county.count(Task) == 1
    assert warning.task_id is not None
    history = county.history(warning.task_id)
    assert history[0] == DissuasionAction.ISSUE
    assert len(history) == 3
    assert set(history[1:]) <= {DissuasionAction.MERGE, DissuasionAction.LEVEL}
    assert county.count(FraudEvent, FraudEvent.warning_id == warning.id) == 3


def test_hits_in_one_batch_merge_in_the_order_they_happened(county: County) -> None:
    result = county.ingest(
        [
            hit("b2", at=(T0 + timedelta(minutes=10)).isoformat(), duration_s=400),
            hit("b1", duration_s=10, subject_phone=PHONE_2),
            hit("b0", duration_s=10, at=(T0 - timedelta(minutes=10)).isoformat()),
        ]
    )
    assert len(result.warnings_opened) == 2
    by_phone = {w.subject_phone: w for w in county.warnings()}
    warning = by_phone[PHONE_1]
    assert warning.event_count == 2
    assert warning.first_event_at == T0 - timedelta(minutes=10)
    assert warning.task_id is not None
    # Opened by the 10-second call (low, raised to medium for age), raised by the long one.
    assert county.history(warning.task_id) == [DissuasionAction.ISSUE, DissuasionAction.LEVEL]
    assert warning.level is Level.CRITICAL
    with county.db.session() as session:
        said = session.scalar(
            select(TaskEvent.reason).where(
                TaskEvent.task_id == warning.task_id, TaskEvent.action == DissuasionAction.LEVEL
            )
        )
    assert said is not None
    assert "合并新线索，等级由中升为特高危" in said, said  # the history reads Chinese, not "medium"
    assert "medium" not in said


def test_the_task_line_quotes_the_call_that_graded_the_warning_after_merges(county: County) -> None:
    """The first lead's 164-second call opened the task; a 2,311-second call merged later grades the warning,
    and the task's line must quote that one, as the warning does (and follow a longer call again at the same
    level)."""
    county.ingest([hit("t1", duration_s=164)])
    county.clock.advance(minutes=10)
    county.ingest([hit("t2", at=(T0 + timedelta(minutes=10)).isoformat(), duration_s=2311)])
    county.clock.advance(minutes=10)

    def shown() -> tuple[str, str]:
        (warning,) = county.warnings()
        with county.db.session() as session:
            task = session.get(Task, warning.task_id)
            assert task is not None
            headline = [r["text"] for r in warning.reasons if r.get("rule", "").startswith("call_")]
            return task.title, headline[-1]

    title, cited = shown()
    assert "2311" in cited, cited
    assert "2311" in title, title
    assert "164" not in title, title
    assert title.endswith(cited)

    county.ingest([hit("t3", at=(T0 + timedelta(minutes=20)).isoformat(), duration_s=3000)])
    title, cited = shown()
    assert "3000" in cited
    assert "3000" in title, (title, cited)
    # A shorter call merged later leaves the line on the longest.
    county.clock.advance(minutes=10)
    county.ingest([hit("t4", at=(T0 + timedelta(minutes=30)).isoformat(), duration_s=70)])
    title, cited = shown()
    assert "3000" in title
    assert title.endswith(cited)


def test_hits_outside_the_merge_window_open_a_new_warning(county: County) -> None:
    county.ingest([hit("w1")])
    county.clock.advance(hours=3)
    result = county.ingest([hit("w2", at=(T0 + timedelta(hours=3)).isoformat())])
    first, second = county.warnings()
    assert result.warnings_opened == [second.id]
    assert (first.person_id, second.person_id) == (county.person_1, county.person_1)
    assert (first.event_count, second.event_count) == (1, 1)
    assert first.features["earlier_warnings"] == 0
    assert second.features["earlier_warnings"] == 1
    assert county.count(Task) == 2


def test_an_unknown_phone_with_coordinates_is_routed_by_location(county: County) -> None:
    county.ingest([hit("u1", subject_phone=UNKNOWN, lon=POINT_B[0], lat=POINT_B[1])])
    (warning,) = county.warnings()
    assert warning.person_id is None
    assert (warning.area_id, warning.unit_id) == (county.station_b, county.unit_b)
    assert any(r["rule"] == "unresolved" for r in warning.reasons)


def test_gcj02_coordinates_are_stored_and_routed_in_wgs84(county: County) -> None:
    lon, lat = wgs84_to_gcj02(121.105, 29.05)  # 500 m east of the border, inside 乙
    county.ingest([hit("g1", subject_phone=UNKNOWN, lon=lon, lat=lat, crs="gcj02")])
    (warning,) = county.warnings()
    assert warning.area_id == county.station_b
    with county.db.session() as session:
        stored = session.execute(select(FraudEvent.lon, FraudEvent.lat)).one()
    assert stored[0] == pytest.approx(121.105, abs=1e-6)
    assert stored[1] == pytest.approx(29.05, abs=1e-6)


def test_an_unknown_phone_without_coordinates_goes_to_the_anti_fraud_centre(county: County) -> None:
    county.ingest([hit("c1", subject_phone=UNKNOWN)])
    (warning,) = county.warnings()
    assert (warning.person_id, warning.area_id, warning.unit_id) == (None, None, county.centre)
    with county.db.session() as session:
        task = session.get(Task, warning.task_id)
        assert task is not None
        assert task.unit_id == county.centre


def test_unknown_phones_merge_by_number(county: County) -> None:
    county.ingest([hit("n1", subject_phone=UNKNOWN)])
    county.ingest([hit("n2", subject_phone=UNKNOWN, at=(T0 + timedelta(minutes=1)).isoformat())])
    (warning,) = county.warnings()
    assert warning.event_count == 2


# --- the micro-batcher ----------------------------------------------------------------------------


def test_the_micro_batcher_acknowledges_events_only_once_they_are_committed(county: County) -> None:
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def on_flush(flushed: Flushed[dict[str, Any], IntakeResult]) -> None:
        assert flushed.error is None
        assert flushed.result is not None
        # A session of its own sees the batch: it was committed before the acknowledgement.
        with Session(county.db.engine) as other:
            ids = [str(item["id"]) for item in flushed.items]
            stored = other.scalar(select(func.count()).select_from(FraudEvent).where(FraudEvent.source_id.in_(ids)))
        seen.append((len(flushed.items), stored or 0))
        if sum(n for n, _ in seen) == 25:
            done.set()

    with MicroBatcher(county.services.intake.ingest, max_items=10, max_delay=0.01, on_flush=on_flush) as batcher:
        for i in range(25):
            batcher.submit(hit(f"mb{i}") if i == 7 else event(f"mb{i}"))
        assert done.wait(30)
    assert all(n == stored for n, stored in seen)
    assert county.count(FraudEvent) == 25
    assert county.count(FraudWarning) == 1
