"""Ranking periods: months by default, quarters, halves, years, ISO weeks, ranges of days; the one before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pingan.command.ranking.periods import month_of, parse_period
from pingan.core.errors import BadInput


def test_a_month_runs_from_shanghai_midnight_to_the_next_months() -> None:
    p = parse_period("2026-11")
    assert p.start == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert p.end == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert p.label == "2026年11月"


@pytest.mark.parametrize(
    ("key", "previous"),
    [
        ("2026-01", "2025-12"),
        ("2026-11", "2026-10"),
        ("2026-Q1", "2025-Q4"),
        ("2026-Q3", "2026-Q2"),
        ("2026-H1", "2025-H2"),
        ("2026-H2", "2026-H1"),
        ("2026", "2025"),
        ("2026-W01", "2025-W52"),
        ("2026-W48", "2026-W47"),
        ("2026-11-11..2026-11-20", "2026-11-01..2026-11-10"),
    ],
)
def test_each_period_knows_the_one_before(key: str, previous: str) -> None:
    p = parse_period(key)
    assert p.previous().key == previous
    assert p.previous().end == p.start


def test_the_month_of_an_instant_is_its_shanghai_month() -> None:
    assert month_of(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)).key == "2026-12"
    assert month_of(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)).key == "2026-11"


def test_lower_case_is_read() -> None:
    assert parse_period("2026-q4").key == "2026-Q4"


@pytest.mark.parametrize(
    "bad",
    ["", "2026-13", "2026-00", "2026-Q5", "2026-W54", "11/2026", "2026-11-20..2026-11-01", "2025-01-01..2026-12-31"],
)
def test_a_period_that_cannot_be_read_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(BadInput) as exc:
        parse_period(bad)
    assert exc.value.field == "period"
