"""Desk rules without a database: working hours and reply deadlines, local weeks, the `[desk]` rules table."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from pingan.bootstrap import load_rules
from pingan.desk.rules.county import DeskRoute, DeskRules
from pingan.desk.rules.hours import WorkingHours, iso_week, local_day_start, local_week_start, reply_due
from pingan.desk.rules.kinds import Category, Route
from pingan.fraud.rules import DissuasionRules

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """A Shanghai wall-clock time as an aware UTC instant."""
    return datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(UTC)


RULES = DeskRules()
MONDAY = (2026, 11, 23)


def test_the_packaged_rules_carry_the_desk_defaults() -> None:
    desk = load_rules().section(DeskRules)
    assert (desk.reply_minutes_working, desk.reply_minutes_off) == (30, 120)
    assert (desk.work_start, desk.work_end) == (time(8, 30), time(17, 30))
    assert desk.work_days == [1, 2, 3, 4, 5]
    assert desk.duplicate_radius_m == 250
    assert desk.duplicate_days == 7
    assert any(r.category is Category.NUISANCE and r.target is Route.GOVERNANCE for r in desk.routes)


def test_a_request_in_working_hours_is_due_in_30_minutes() -> None:
    created = at(*MONDAY, 10, 0)
    assert reply_due(created, RULES) == created + timedelta(minutes=30)


def test_a_request_in_the_evening_is_due_in_2_hours() -> None:
    created = at(*MONDAY, 18, 0)
    assert reply_due(created, RULES) == created + timedelta(hours=2)


def test_office_hours_include_the_opening_minute_and_exclude_the_closing_one() -> None:
    hours = WorkingHours.of(RULES)
    assert hours.is_working(at(*MONDAY, 8, 30))
    assert not hours.is_working(at(*MONDAY, 8, 29))
    assert hours.is_working(at(*MONDAY, 17, 29))
    assert not hours.is_working(at(*MONDAY, 17, 30))


def test_the_window_is_chosen_at_arrival_even_near_closing_time() -> None:
    created = at(*MONDAY, 17, 20)
    assert reply_due(created, RULES) == created + timedelta(minutes=30)


def test_weekends_and_holidays_get_the_longer_window_and_make_up_days_the_shorter() -> None:
    saturday = at(2026, 11, 28, 10)
    assert reply_due(saturday, RULES) == saturday + timedelta(hours=2)
    rules = DeskRules(holidays=[date(2026, 11, 23)], extra_workdays=[date(2026, 11, 29)])
    assert reply_due(at(*MONDAY, 10), rules) == at(*MONDAY, 10) + timedelta(hours=2)
    sunday = at(2026, 11, 29, 10)
    assert reply_due(sunday, rules) == sunday + timedelta(minutes=30)


def test_an_emergency_is_due_in_5_minutes_at_any_hour() -> None:
    night = at(*MONDAY, 3)
    assert reply_due(night, RULES, emergency=True) == night + timedelta(minutes=5)


def test_working_hours_are_local_time_not_utc() -> None:
    # 01:00 UTC on Monday is 09:00 in Shanghai: in office hours.
    assert WorkingHours.of(RULES).is_working(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    # 10:00 UTC on Monday is 18:00 in Shanghai: not.
    assert not WorkingHours.of(RULES).is_working(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


def test_weeks_and_days_are_local() -> None:
    sunday_night_utc = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # Monday 01:00 in Shanghai
    assert iso_week(sunday_night_utc, SH) == "2026-W48"
    assert iso_week(sunday_night_utc, ZoneInfo("UTC")) == "2026-W47"
    assert local_day_start(sunday_night_utc, SH) == datetime(2026, 11, 23, tzinfo=SH)
    assert local_week_start(at(2026, 11, 26, 15), SH) == datetime(2026, 11, 23, tzinfo=SH)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"work_start": "18:00", "work_end": "09:00"}, "work_end"),
        ({"work_days": [0, 1]}, "work_days"),
        ({"reply_minutes_working": 0}, "reply_minutes_working"),
        ({"posts_per_phone_hour": 10, "posts_per_phone_day": 5}, "posts_per_phone_day"),
        ({"duplicate_similarity": 1.5}, "duplicate_similarity"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_desk_rules_fail_loudly(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DeskRules.model_validate(changes)
    assert field in str(caught.value)


def test_a_default_route_cannot_divert_emergencies_or_name_no_specialty() -> None:
    with pytest.raises(ValidationError, match="emergencies"):
        DeskRoute.model_validate({"category": "emergency", "target": "governance"})
    with pytest.raises(ValidationError, match="specialty"):
        DeskRoute.model_validate({"category": "consultation", "target": "specialty"})
    with pytest.raises(ValidationError, match="unit"):
        DeskRoute.model_validate({"category": "consultation", "target": "unit"})


def test_a_county_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    county = tmp_path / "county.toml"
    county.write_text('[desk]\nreply_minutes_working = 20\nholidays = ["2026-10-01"]\n', encoding="utf-8")
    rules = load_rules(county)
    desk = rules.section(DeskRules)
    assert desk.reply_minutes_working == 20
    assert desk.holidays == [date(2026, 10, 1)]
    assert desk.reply_minutes_off == 120
    assert desk.routes == load_rules().section(DeskRules).routes
    assert rules.section(DissuasionRules) == load_rules().section(DissuasionRules)
