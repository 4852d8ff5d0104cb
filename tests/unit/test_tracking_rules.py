"""Tracking's pure rules: headings, impossible jumps, exits confirmed, and the 平安卡 agreement's edge days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from shapely.geometry import box

from pingan.bootstrap import load_rules
from pingan.tracking.logic import (
    CompensationReason,
    SafeArea,
    TheftFacts,
    add_months,
    compensation_due,
    exit_confirmed,
    heading,
    impossible,
)
from pingan.tracking.models import TagKind
from pingan.tracking.rules import TrackingRules

ZONE = ZoneInfo("Asia/Shanghai")


def local(y: int, m: int, d: int, hour: int = 12) -> datetime:
    return datetime(y, m, d, hour, tzinfo=ZONE)


def due(stolen: datetime, reported: datetime, now: datetime, **facts: bool) -> CompensationReason | None:
    theft = TheftFacts(
        stolen_at=stolen,
        reported_at=reported,
        recovered=facts.get("recovered", False),
        card_destroyed=facts.get("card_destroyed", False),
        signal_since_theft=facts.get("signal", True),
        insured=facts.get("insured", True),
    )
    return compensation_due(theft, now, late_report_months=2, not_found_days=60, no_signal_days=7, zone=ZONE)


def test_headings_are_eight_chinese_compass_words() -> None:
    assert heading(121.0, 29.0, 121.1, 29.0) == "东"
    assert heading(121.0, 29.0, 121.0, 29.1) == "北"
    assert heading(121.0, 29.0, 120.9, 28.9) == "西南"
    assert heading(121.0, 29.0, 121.0, 29.0) is None


def test_a_jump_is_impossible_only_above_the_limit_and_the_radii_are_slack() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    a = (121.0, 29.0, t0)
    ten_km = (121.0 + 10 / 97.4, 29.0, t0 + timedelta(minutes=6))  # ~10 km in 6 min: ~100 km/h
    assert not impossible(a, ten_km, 120.0)
    assert impossible(a, ten_km, 80.0)
    assert not impossible(a, ten_km, 80.0, slack_m=3000)  # the two circles' edges: 7 km in 6 min
    assert not impossible(a, ten_km, None)
    assert impossible(a, (121.1, 29.0, t0), 120.0)  # somewhere else at the same instant


def test_an_exit_needs_the_latest_n_sightings_all_outside() -> None:
    assert exit_confirmed([False, False], 2)
    assert not exit_confirmed([False, True], 2)
    assert not exit_confirmed([False], 2)
    assert exit_confirmed([False], 1)


def test_a_safe_area_is_its_stations_or_its_polygon() -> None:
    area = SafeArea(frozenset({"S1"}), box(121.0, 29.0, 121.1, 29.1))
    assert area.holds("S1", 0.0, 0.0)
    assert area.holds("S9", 121.1, 29.05)  # on the border: inside
    assert not area.holds("S9", 121.2, 29.05)
    assert not SafeArea(frozenset(), None).defined


def test_two_months_on_is_the_same_day_or_the_months_last() -> None:
    assert add_months(date(2026, 1, 15), 2) == date(2026, 3, 15)
    assert add_months(date(2025, 12, 31), 2) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)


def test_reported_exactly_two_months_after_is_not_late_and_a_day_more_is() -> None:
    stolen = local(2026, 1, 15)
    assert due(stolen, local(2026, 3, 15, 23), local(2026, 3, 16)) is None
    assert due(stolen, local(2026, 3, 16, 0), local(2026, 3, 16)) is CompensationReason.LATE_REPORT


def test_not_found_pays_on_the_60th_local_day_after_the_report_not_the_59th() -> None:
    stolen = local(2026, 5, 1)
    reported = local(2026, 5, 1, 23)  # 15:00 UTC: the local date decides
    assert due(stolen, reported, local(2026, 6, 29, 23)) is None  # day 59
    assert due(stolen, reported, local(2026, 6, 30, 0)) is CompensationReason.NOT_FOUND  # day 60


def test_a_lost_signal_pays_after_its_days_and_a_destroyed_card_at_once_but_a_recovered_bike_never() -> None:
    stolen = local(2026, 5, 1)
    assert due(stolen, stolen, local(2026, 5, 7), signal=False) is None
    assert due(stolen, stolen, local(2026, 5, 8), signal=False) is CompensationReason.NO_SIGNAL
    assert due(stolen, stolen, local(2026, 5, 8), signal=True) is None
    assert due(stolen, stolen, stolen, card_destroyed=True) is CompensationReason.CARD_DESTROYED
    assert due(stolen, stolen, local(2026, 9, 1), recovered=True) is None
    assert due(stolen, stolen, local(2026, 9, 1), insured=False) is None


def test_the_packaged_rules_load_with_the_agreements_figures() -> None:
    rules = load_rules().section(TrackingRules)
    assert rules.compensation.payout_yuan == 2000
    assert rules.compensation.card_fee_yuan == 130
    assert rules.speed_limit(TagKind.VEHICLE_CARD) == 120.0
    with pytest.raises(ValueError, match="above 0"):
        TrackingRules(max_speed_kmh={TagKind.LIVESTOCK: 0})
