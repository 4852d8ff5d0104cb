"""The four cadences of 日研判、周通报、月点评、季总结 and the periods they cover.

A period is a span of local (county) calendar days, written as its cadence writes it: a day `2026-11-30`,
an ISO week `2026-W47`, a month `2026-11`, a quarter `2026-Q3`. Pure: no database, no clock (the caller
passes `now` for the default period, the last complete one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pingan.core.errors import BadInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Cadence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


CADENCE_NAMES = {
    Cadence.DAILY: "日研判",
    Cadence.WEEKLY: "周通报",
    Cadence.MONTHLY: "月点评",
    Cadence.QUARTERLY: "季总结",
}
_FORMS = {
    Cadence.DAILY: "2026-11-30",
    Cadence.WEEKLY: "2026-W47",
    Cadence.MONTHLY: "2026-11",
    Cadence.QUARTERLY: "2026-Q3",
}
_PATTERNS = {
    Cadence.DAILY: re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z"),
    Cadence.WEEKLY: re.compile(r"(\d{4})-W(\d{2})\Z"),
    Cadence.MONTHLY: re.compile(r"(\d{4})-(\d{2})\Z"),
    Cadence.QUARTERLY: re.compile(r"(\d{4})-Q([1-4])\Z"),
}
_FIRST_YEAR, _LAST_YEAR = 2000, 2999


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """`[first, last]` local days of one period of a cadence, and its name as the cadence writes it."""

    cadence: Cadence
    first: date
    last: date
    zone: ZoneInfo = SHANGHAI

    @property
    def key(self) -> str:
        """`2026-11-30`, `2026-W47`, `2026-11`, `2026-Q3`: what `parse_period` reads back."""
        if self.cadence is Cadence.DAILY:
            return self.first.isoformat()
        if self.cadence is Cadence.WEEKLY:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.cadence is Cadence.MONTHLY:
            return f"{self.first.year}-{self.first.month:02d}"
        return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"

    @property
    def title(self) -> str:
        """The period in Chinese, as the report's heading and every page's header say it."""
        if self.cadence is Cadence.DAILY:
            return f"{self.first.year}年{self.first.month}月{self.first.day}日"
        if self.cadence is Cadence.WEEKLY:
            year, week, _ = self.first.isocalendar()
            return f"{year}年第{week}周（{self.first.month}月{self.first.day}日—{self.last.month}月{self.last.day}日）"
        if self.cadence is Cadence.MONTHLY:
            return f"{self.first.year}年{self.first.month}月"
        return f"{self.first.year}年第{(self.first.month - 1) // 3 + 1}季度"

    @property
    def start(self) -> datetime:
        """The first instant, in UTC (local midnight of the first day)."""
        return datetime.combine(self.first, time(), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Just after the last instant, in UTC (local midnight after the last day)."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone).astimezone(UTC)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def previous(self) -> ReportPeriod:
        """The period just before (环比)."""
        return period_containing(self.cadence, self.first - timedelta(days=1), self.zone)

    def year_before(self) -> ReportPeriod:
        """The same period a year before (同比): the same day, ISO week, month or quarter."""
        if self.cadence is Cadence.WEEKLY:
            year, week, _ = self.first.isocalendar()
            week = min(week, date(year - 1, 12, 28).isocalendar()[1])  # a year has 52 or 53 ISO weeks
            return period_containing(self.cadence, date.fromisocalendar(year - 1, week, 1), self.zone)
        day = self.first
        try:
            earlier = day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            earlier = day.replace(year=day.year - 1, day=28)
        return period_containing(self.cadence, earlier, self.zone)

    def complete(self, now: datetime) -> bool:
        """Whether the period has ended at `now` (a report of a period in progress says 截至 when)."""
        return now >= self.end


def period_containing(cadence: Cadence, day: date, zone: ZoneInfo = SHANGHAI) -> ReportPeriod:
    """The period of `cadence` that holds the local day `day`."""
    if cadence is Cadence.DAILY:
        return ReportPeriod(cadence, day, day, zone)
    if cadence is Cadence.WEEKLY:
        first = day - timedelta(days=day.weekday())  # ISO weeks start on Monday
        return ReportPeriod(cadence, first, first + timedelta(days=6), zone)
    if cadence is Cadence.MONTHLY:
        first = day.replace(day=1)
        return ReportPeriod(cadence, first, _next_month(first) - timedelta(days=1), zone)
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return ReportPeriod(cadence, first, _next_month(_next_month(_next_month(first))) - timedelta(days=1), zone)


def _next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)


def last_complete(cadence: Cadence, now: datetime, zone: ZoneInfo = SHANGHAI) -> ReportPeriod:
    """The default period: the last one that has ended at `now` (yesterday, last week, month, quarter)."""
    today = now.astimezone(zone).date()
    return period_containing(cadence, today, zone).previous()


def parse_cadence(text: str) -> Cadence:
    try:
        return Cadence(text)
    except ValueError:
        known = "、".join(c.value for c in Cadence)
        raise BadInput(f"报告类型须为 {known} 之一", field="cadence") from None


def parse_period(cadence: Cadence, text: str, zone: ZoneInfo = SHANGHAI) -> ReportPeriod:
    """Read a period as its cadence writes it; anything else is refused, naming the form expected."""
    wanted = f"{CADENCE_NAMES[cadence]}的时段形如 {_FORMS[cadence]}"
    match = _PATTERNS[cadence].match(text.strip())
    if match is None:
        raise BadInput(f"{wanted}，收到 {text!r}", field="period")
    numbers = [int(g) for g in match.groups()]
    if not _FIRST_YEAR <= numbers[0] <= _LAST_YEAR:
        raise BadInput(f"{wanted}：年份须在 {_FIRST_YEAR}—{_LAST_YEAR} 之间", field="period")
    try:
        if cadence is Cadence.DAILY:
            day = date(numbers[0], numbers[1], numbers[2])
        elif cadence is Cadence.WEEKLY:
            day = date.fromisocalendar(numbers[0], numbers[1], 1)
        elif cadence is Cadence.MONTHLY:
            day = date(numbers[0], numbers[1], 1)
        else:
            day = date(numbers[0], (numbers[1] - 1) * 3 + 1, 1)
    except ValueError:
        raise BadInput(f"{wanted}：{text} 不是日历上的日期", field="period") from None
    return period_containing(cadence, day, zone)
