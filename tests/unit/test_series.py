"""A period cut into Shanghai days and ISO weeks: edges at local midnight, partial ends, limits."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pingan.core.errors import BadInput
from pingan.core.series import MAX_BUCKETS, Step, buckets

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_days_end_at_shanghai_midnight_which_is_16_utc() -> None:
    cuts = buckets(utc(1), utc(3), Step.DAY, SHANGHAI)
    assert [(b.start, b.end) for b in cuts] == [
        (utc(1), utc(1, 16)),  # 08:00 to midnight in Shanghai: a partial first day
        (utc(1, 16), utc(2, 16)),
        (utc(2, 16), utc(3)),  # a partial last day
    ]


def test_a_period_of_whole_local_days_has_one_bucket_per_day() -> None:
    start = datetime(2026, 11, 1, tzinfo=SHANGHAI)
    cuts = buckets(start, start + timedelta(days=7), Step.DAY, SHANGHAI)
    assert len(cuts) == 7
    assert all(b.end - b.start == timedelta(days=1) for b in cuts)
    assert all(b.start.astimezone(SHANGHAI).hour == 0 for b in cuts)


def test_weeks_start_on_monday() -> None:
    # 2026-11-04 is a Wednesday; the next Monday is 11-09.
    start = datetime(2026, 11, 4, 12, tzinfo=SHANGHAI)
    cuts = buckets(start, datetime(2026, 11, 20, tzinfo=SHANGHAI), Step.WEEK, SHANGHAI)
    assert [b.start.astimezone(SHANGHAI).date().isoformat() for b in cuts] == ["2026-11-04", "2026-11-09", "2026-11-16"]
    assert all(b.start.astimezone(SHANGHAI).weekday() == 0 for b in cuts[1:])
    assert cuts[-1].end == datetime(2026, 11, 20, tzinfo=SHANGHAI)


def test_buckets_cover_the_period_without_gaps() -> None:
    cuts = buckets(utc(1, 5), utc(29, 7), Step.WEEK, SHANGHAI)
    assert cuts[0].start == utc(1, 5)
    assert cuts[-1].end == utc(29, 7)
    assert all(a.end == b.start for a, b in itertools.pairwise(cuts))


def test_an_empty_or_reversed_period_is_refused_naming_start() -> None:
    with pytest.raises(BadInput) as refused:
        buckets(utc(2), utc(1), Step.DAY, SHANGHAI)
    assert refused.value.field == "start"


def test_too_many_buckets_are_refused() -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(BadInput):
        buckets(start, start + timedelta(days=MAX_BUCKETS + 2), Step.DAY, SHANGHAI)
    assert len(buckets(start, start + timedelta(days=MAX_BUCKETS + 2), Step.WEEK, SHANGHAI)) < MAX_BUCKETS


def test_a_period_at_the_end_of_the_calendar_is_refused_not_a_crash() -> None:
    with pytest.raises(BadInput) as refused:
        buckets(datetime(9999, 12, 30, tzinfo=UTC), datetime(9999, 12, 31, 23, tzinfo=UTC), Step.WEEK, SHANGHAI)
    assert refused.value.field == "end"
