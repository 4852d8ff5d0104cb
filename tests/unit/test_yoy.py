"""同比: the same period a year earlier and the change against it, as every command figure computes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pingan.command.yoy import YearOnYear, change, counted, year_earlier


def test_a_year_earlier_is_the_same_instant_and_29_february_becomes_28() -> None:
    assert year_earlier(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)) == datetime(2025, 11, 23, 2, 0, tzinfo=UTC)
    assert year_earlier(datetime(2028, 2, 29, 16, 0, tzinfo=UTC)) == datetime(2027, 2, 28, 16, 0, tzinfo=UTC)
    assert year_earlier(datetime(2028, 3, 1, tzinfo=UTC)) == datetime(2027, 3, 1, tzinfo=UTC)


def test_the_change_is_a_fraction_rounded_to_four_places_and_none_without_a_year_before() -> None:
    assert change(0, 0) is None
    assert change(5, 0) is None
    assert change(3, 4) == -0.25
    assert change(5, 3) == round(2 / 3, 4) == 0.6667
    assert change(0, 2) == -1.0
    assert change(7, 7) == 0.0


def test_counted_asks_for_the_period_and_the_same_period_a_year_earlier() -> None:
    start = datetime(2026, 10, 24, 16, 0, tzinfo=UTC)
    end = start + timedelta(days=30)
    asked: list[tuple[datetime, datetime]] = []

    def count(s: datetime, e: datetime) -> dict[str, int]:
        asked.append((s, e))
        return {"fire_lane": 3, "traffic": 1} if s == start else {"fire_lane": 2}

    figures = counted(count, start, end)
    assert asked == [(start, end), (year_earlier(start), year_earlier(end))]
    assert figures == YearOnYear({"fire_lane": 3, "traffic": 1}, {"fire_lane": 2})


def test_the_fields_of_one_key_and_of_the_total_name_the_count_a_year_ago_and_the_change() -> None:
    figures = YearOnYear({"fire_lane": 3, "traffic": 1}, {"fire_lane": 2, "other": 4})
    assert figures.fields("found", "fire_lane") == {"found": 3, "found_year_ago": 2, "found_change": 0.5}
    assert figures.fields("found", "traffic") == {"found": 1, "found_year_ago": 0, "found_change": None}
    assert figures.fields("found", "other") == {"found": 0, "found_year_ago": 4, "found_change": -1.0}
    assert figures.fields("found", "rental_housing") == {"found": 0, "found_year_ago": 0, "found_change": None}
    # the total: every key of either period
    assert figures.total("found") == {"found": 4, "found_year_ago": 6, "found_change": round(-2 / 6, 4)}
    assert YearOnYear({}, {}).total("received") == {"received": 0, "received_year_ago": 0, "received_change": None}


def test_keys_need_not_be_strings() -> None:
    by_area: YearOnYear[int | None] = YearOnYear({7: 2, None: 1}, {7: 1})
    assert by_area.of(7) == (2, 1)
    assert by_area.of(None) == (1, 0)
    assert by_area.keys() == [7, None]
