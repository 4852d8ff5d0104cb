"""Every warning with a text carries the fraud type read in it, with its confidence (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from pingan.fraud.queries import list_warnings
from tests.integration.test_intake import T0, County, county, event, hit

__all__ = ["county"]  # the fixture, used by name


def test_a_reported_text_gives_its_warning_a_predicted_type(county: County) -> None:
    county.ingest(
        [
            event(
                "r1",
                source="hotline",
                kind="report",
                counterpart=None,
                duration_s=None,
                text="对方自称公安局警官，说我涉嫌洗钱，让我把钱转到安全账户配合调查",
            ),
            hit("h1", subject_phone="13900000002"),  # a call: no text, no prediction
        ]
    )
    by_phone = {w.subject_phone: w for w in county.warnings()}
    reported = by_phone["13800000001"]
    assert reported.predicted_type == "impersonate_officials"
    assert reported.predicted_confidence is not None
    assert 0.5 < reported.predicted_confidence <= 1
    assert by_phone["13900000002"].predicted_type is None
    with county.db.session() as session:
        rows = list_warnings(session, T0, brief=county.services.tasks.brief)
    shown = {r["id"]: r for r in rows}[reported.id]
    assert shown["predicted_type_name"] == "冒充公检法及政府机关类"
    assert shown["predicted_confidence"] == reported.predicted_confidence


def test_a_merged_text_replaces_the_prediction_only_when_more_confident(county: County) -> None:
    county.ingest([event("s1", kind="sms", counterpart="17000000001", text="您好")])
    [warning] = county.warnings()
    first = warning.predicted_confidence
    assert warning.predicted_type == "normal"
    later = (T0 + timedelta(minutes=3)).isoformat()
    county.ingest(
        [event("s2", kind="sms", counterpart="17000000001", at=later, text="兼职刷单，日结佣金，先垫付返本金")]
    )
    [warning] = county.warnings()
    assert warning.event_count == 2
    assert warning.predicted_type == "order_brushing"
    assert first is not None
    assert warning.predicted_confidence is not None
    assert warning.predicted_confidence > first
