"""Working days from the holiday calendar (chinese-calendar, overridable per year by the county): National Day
with its make-up Saturday, the Spring Festival, and a year nobody covers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from pingan.money.payments.calendar import (
    CalendarYearUnknown,
    add_working_days,
    build_calendar,
    working_days_deadline,
)
from pingan.money.payments.rules import PaymentRules, return_due

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = build_calendar({})


def test_national_day_2025_is_off_and_its_make_up_days_are_worked() -> None:
    assert all(not CAL.is_working_day(date(2025, 10, d)) for d in range(1, 9))
    assert CAL.is_working_day(date(2025, 9, 28))  # Sunday, worked in exchange
    assert CAL.is_working_day(date(2025, 10, 11))  # Saturday, worked in exchange
    assert not CAL.is_working_day(date(2025, 10, 12))  # an ordinary Sunday
    assert CAL.is_working_day(date(2025, 10, 9))


def test_three_working_days_from_the_eve_of_national_day_end_on_the_make_up_saturday() -> None:
    # Tuesday 30 September: 1–8 October off, then Thursday 9, Friday 10 and the make-up Saturday 11.
    assert add_working_days(date(2025, 9, 30), 3, CAL) == date(2025, 10, 11)
    # From Saturday 27 September (off): Sunday 28 (make-up), Monday 29, Tuesday 30.
    assert add_working_days(date(2025, 9, 27), 3, CAL) == date(2025, 9, 30)


def test_three_working_days_across_the_2026_spring_festival() -> None:
    # 2026: 15–23 February off; Saturday 14 and Saturday 28 February worked.
    assert CAL.is_working_day(date(2026, 2, 14))
    assert not CAL.is_working_day(date(2026, 2, 16))
    assert add_working_days(date(2026, 2, 13), 3, CAL) == date(2026, 2, 25)  # 14, 24, 25
    assert add_working_days(date(2026, 2, 25), 3, CAL) == date(2026, 2, 28)  # 26, 27, Saturday 28


def test_the_deadline_is_local_midnight_after_the_last_working_day() -> None:
    ordered = datetime(2025, 9, 30, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
    due = working_days_deadline(ordered, 3, CAL, SHANGHAI)
    assert due == datetime(2025, 10, 12, 0, 0, tzinfo=SHANGHAI)
    assert due.tzinfo is UTC
    # 23:30 in Shanghai is still 30 September there, although it is 15:30 UTC of the same day.
    late = datetime(2025, 9, 30, 15, 30, tzinfo=UTC)
    assert working_days_deadline(late, 3, CAL, SHANGHAI) == due
    # 00:30 on 1 October in Shanghai counts from 1 October (a holiday): the same three working days follow.
    after_midnight = datetime(2025, 9, 30, 16, 30, tzinfo=UTC)
    assert working_days_deadline(after_midnight, 3, CAL, SHANGHAI) == due
    # From Thursday 9 October: Friday 10, the make-up Saturday 11, then Monday 13.
    assert working_days_deadline(datetime(2025, 10, 9, 2, tzinfo=UTC), 3, CAL, SHANGHAI) == datetime(
        2025, 10, 14, tzinfo=SHANGHAI
    )


def test_a_year_nobody_covers_is_an_error_naming_the_year() -> None:
    with pytest.raises(CalendarYearUnknown) as caught:
        CAL.is_working_day(date(2099, 3, 2))
    assert caught.value.year == 2099
    assert caught.value.field == "year"
    assert caught.value.status == 503
    assert "2099" in caught.value.message
    # A count that runs into the unknown year fails too, rather than guessing.
    with pytest.raises(CalendarYearUnknown):
        add_working_days(date(CAL.years[-1], 12, 30), 3, CAL)


def test_the_county_sets_a_year_the_package_does_not_know() -> None:
    rules = PaymentRules.model_validate(
        {"calendar": {"2099": {"holidays": ["2099-01-01", "2099-01-02"], "workdays": ["2099-01-03"]}}}
    )
    cal = rules.working_calendar()
    assert cal.year(2099).source == "county"
    assert not cal.is_working_day(date(2099, 1, 2))  # Friday, a holiday
    assert cal.is_working_day(date(2099, 1, 3))  # Saturday, made up
    assert add_working_days(date(2098 + 1, 1, 1), 2, cal) == date(2099, 1, 5)  # Saturday 3, Monday 5
    assert cal.year(2025).source == "chinese-calendar"


def test_a_county_year_replaces_the_package_year_whole() -> None:
    cal = build_calendar({2025: ([date(2025, 3, 3)], [])})
    assert not cal.is_working_day(date(2025, 3, 3))
    assert not CAL.is_working_day(date(2025, 10, 1))
    assert cal.is_working_day(date(2025, 10, 1))  # the county's 2025 names no National Day: its word stands


def test_a_county_year_holding_another_years_date_is_refused() -> None:
    with pytest.raises(ValueError, match=r"calendar\.2099"):
        PaymentRules.model_validate({"calendar": {"2099": {"holidays": ["2098-12-31"]}}})


def test_the_return_deadline_uses_the_county_rules() -> None:
    rules = PaymentRules()
    assert return_due(datetime(2025, 9, 30, 8, tzinfo=UTC), rules, CAL) == datetime(2025, 10, 12, tzinfo=SHANGHAI)
