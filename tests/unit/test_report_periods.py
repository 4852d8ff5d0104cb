"""The reports' periods: a day, an ISO week, a month, a quarter, as each cadence writes it; bad ones refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pingan.command.reports.periods import Cadence, last_complete, parse_cadence, parse_period, period_containing
from pingan.command.reports.sections import change, pct
from pingan.core.errors import BadInput


@pytest.mark.parametrize(
    ("cadence", "text", "first", "last", "title"),
    [
        (Cadence.DAILY, "2026-11-30", date(2026, 11, 30), date(2026, 11, 30), "2026年11月30日"),
        (Cadence.WEEKLY, "2026-W47", date(2026, 11, 16), date(2026, 11, 22), "2026年第47周（11月16日—11月22日）"),
        (Cadence.WEEKLY, "2026-W53", date(2026, 12, 28), date(2027, 1, 3), "2026年第53周（12月28日—1月3日）"),
        (Cadence.MONTHLY, "2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026年11月"),
        (Cadence.MONTHLY, "2028-02", date(2028, 2, 1), date(2028, 2, 29), "2028年2月"),
        (Cadence.QUARTERLY, "2026-Q3", date(2026, 7, 1), date(2026, 9, 30), "2026年第3季度"),
        (Cadence.QUARTERLY, "2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026年第4季度"),
    ],
)
def test_a_period_is_read_as_its_cadence_writes_it(
    cadence: Cadence, text: str, first: date, last: date, title: str
) -> None:
    period = parse_period(cadence, text)
    assert (period.first, period.last, period.title) == (first, last, title)
    assert period.key == text  # read back as written
    assert parse_period(cadence, period.key) == period


def test_a_period_runs_from_local_midnight_to_local_midnight_in_utc() -> None:
    period = parse_period(Cadence.DAILY, "2026-11-30")
    assert period.start == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
    assert period.end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    month = parse_period(Cadence.MONTHLY, "2026-11")
    assert (month.start, month.end) == (datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC))
    assert len(month.days) == 30


@pytest.mark.parametrize(
    ("cadence", "text"),
    [
        (Cadence.MONTHLY, "2026-W47"),  # another cadence's form
        (Cadence.MONTHLY, "2026-13"),
        (Cadence.MONTHLY, "2026-00"),
        (Cadence.MONTHLY, "26-11"),
        (Cadence.MONTHLY, ""),
        (Cadence.DAILY, "2026-02-30"),
        (Cadence.DAILY, "2026/11/30"),
        (Cadence.DAILY, "2026-11"),
        (Cadence.WEEKLY, "2026-W54"),
        (Cadence.WEEKLY, "2025-W53"),  # 2025 has 52 ISO weeks
        (Cadence.WEEKLY, "2026-W00"),
        (Cadence.WEEKLY, "2026-w47"),
        (Cadence.QUARTERLY, "2026-Q5"),
        (Cadence.QUARTERLY, "2026-Q0"),
        (Cadence.QUARTERLY, "2026-3"),
        (Cadence.QUARTERLY, "0001-Q1"),
        (Cadence.QUARTERLY, "9999-Q4"),
    ],
)
def test_a_bad_period_is_refused_naming_the_form_expected(cadence: Cadence, text: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_period(cadence, text)
    assert refused.value.field == "period"
    assert {"daily": "2026-11-30", "weekly": "2026-W47", "monthly": "2026-11", "quarterly": "2026-Q3"}[
        cadence.value
    ] in refused.value.message


def test_an_unknown_cadence_is_refused() -> None:
    with pytest.raises(BadInput) as refused:
        parse_cadence("yearly")
    assert refused.value.field == "cadence"
    assert parse_cadence("weekly") is Cadence.WEEKLY


@pytest.mark.parametrize(
    ("cadence", "text", "previous", "year_before"),
    [
        (Cadence.DAILY, "2026-03-01", "2026-02-28", "2025-03-01"),
        (Cadence.DAILY, "2028-02-29", "2028-02-28", "2027-02-28"),  # no 29 February a year before
        (Cadence.WEEKLY, "2026-W01", "2025-W52", "2025-W01"),
        (Cadence.WEEKLY, "2026-W53", "2026-W52", "2025-W52"),  # 2025 has no week 53
        (Cadence.MONTHLY, "2026-01", "2025-12", "2025-01"),
        (Cadence.QUARTERLY, "2026-Q1", "2025-Q4", "2025-Q1"),
    ],
)
def test_the_period_before_and_the_year_before(cadence: Cadence, text: str, previous: str, year_before: str) -> None:
    period = parse_period(cadence, text)
    assert period.previous().key == previous
    assert period.year_before().key == year_before


def test_the_default_period_is_the_last_complete_one() -> None:
    # 2026-12-01 01:00 in Shanghai is still 30 November in UTC: the local day decides.
    now = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert last_complete(Cadence.DAILY, now).key == "2026-11-30"
    assert last_complete(Cadence.WEEKLY, now).key == "2026-W48"  # the week of Monday 23 November
    assert last_complete(Cadence.MONTHLY, now).key == "2026-11"
    assert last_complete(Cadence.QUARTERLY, now).key == "2026-Q3"
    period = period_containing(Cadence.MONTHLY, date(2026, 12, 1))
    assert not period.complete(now)
    assert last_complete(Cadence.MONTHLY, now).complete(now)


@pytest.mark.parametrize(
    ("current", "before", "shown"),
    [(12, 10, "+20.0%"), (9, 12, "-25.0%"), (5, 5, "持平"), (0, 0, "持平"), (3, 0, "新增"), (3, None, "—")],
)
def test_a_change_reads_as_a_reader_expects(current: float, before: float | None, shown: str) -> None:
    assert change(current, before) == shown


def test_a_rate_without_a_base_is_a_dash() -> None:
    assert pct(None) == "—"
    assert pct(0.8567) == "85.7%"
