"""Working days in China: weekends and public holidays off, make-up working days (调休) on.

The days come from `chinese-calendar` (maintained from the State Council's yearly notice, with every 调休
Saturday and Sunday), and the county may add or replace a year in its rules (`[payments.calendar.YEAR]`) for a
year the package does not know yet. A date in a year that neither covers is an error naming the year
(`CalendarYearUnknown`), never a guess: a return deadline counted on a wrong calendar would be a wrong deadline.

Everything here is pure: dates in, dates out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from pingan.core.errors import Unavailable


class CalendarYearUnknown(Unavailable):
    """No holiday calendar covers the year: the package does not know it and the county has not set it."""

    code = "calendar_year_unknown"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"{year} 年的法定节假日与调休安排尚未维护（请在县规则 [payments.calendar.{year}] 中补充）", field="year"
        )
        self.year = year


@dataclass(frozen=True, slots=True)
class YearDays:
    """One year's exceptions to the Monday-to-Friday week."""

    holidays: frozenset[date]
    """Days off that would otherwise be worked (or fall on a weekend: harmless)."""
    workdays: frozenset[date]
    """Weekend days worked in exchange for a holiday (调休)."""
    source: str
    """`chinese-calendar` or `county`."""


class WorkingCalendar:
    """Which days are worked, year by year; asking about a year it does not cover raises `CalendarYearUnknown`."""

    def __init__(self, years: Mapping[int, YearDays]) -> None:
        self._years = dict(years)

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(self._years))

    def year(self, year: int) -> YearDays:
        days = self._years.get(year)
        if days is None:
            raise CalendarYearUnknown(year)
        return days

    def is_working_day(self, day: date) -> bool:
        days = self.year(day.year)
        if day in days.workdays:
            return True
        if day in days.holidays:
            return False
        return day.isoweekday() <= 5


def package_years() -> dict[int, YearDays]:
    """The years `chinese-calendar` knows, as it publishes them."""
    by_year: dict[int, tuple[set[date], set[date]]] = {}
    for day in chinese_calendar.holidays:
        by_year.setdefault(day.year, (set(), set()))[0].add(day)
    for day in chinese_calendar.workdays:
        by_year.setdefault(day.year, (set(), set()))[1].add(day)
    return {year: YearDays(frozenset(off), frozenset(on), "chinese-calendar") for year, (off, on) in by_year.items()}


def build_calendar(county: Mapping[int, tuple[Iterable[date], Iterable[date]]]) -> WorkingCalendar:
    """The package's years, with each year the county sets (holidays, make-up working days) replacing it whole."""
    years = package_years()
    for year, (off, on) in county.items():
        years[year] = YearDays(frozenset(off), frozenset(on), "county")
    return WorkingCalendar(years)


def add_working_days(day: date, count: int, calendar: WorkingCalendar) -> date:
    """The `count`-th working day after `day` (`day` itself not counted, whether worked or not)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    current = day
    left = count
    while left:
        current += timedelta(days=1)
        if calendar.is_working_day(current):
            left -= 1
    return current


def working_days_deadline(at: datetime, count: int, calendar: WorkingCalendar, zone: ZoneInfo) -> datetime:
    """The end (local midnight) of the `count`-th working day after the local day of `at`: "within 3 working
    days" of an order given on Tuesday ends when Friday ends. Aware, in `at`'s own time zone."""
    local_day = at.astimezone(zone).date()
    last = add_working_days(local_day, count, calendar)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(at.tzinfo)
