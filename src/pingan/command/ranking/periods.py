"""Ranking periods: a month by default (`2026-11`), or a quarter, half-year, year, ISO week or a range of days.

A period is cut at the county's local midnights (Asia/Shanghai) and stored as UTC instants. Each period
knows the one before it (the previous month, quarter, week…; a range of days: the same number of days just
before), which is what a ranking's "change since last period" compares with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pingan.core.errors import BadInput

LOCAL = ZoneInfo("Asia/Shanghai")
_MONTH = re.compile(r"(\d{4})-(\d{2})\Z")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])\Z")
_HALF = re.compile(r"(\d{4})-H([12])\Z")
_YEAR = re.compile(r"(\d{4})\Z")
_WEEK = re.compile(r"(\d{4})-W(\d{2})\Z")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})\Z")
MAX_RANGE_DAYS = 366


@dataclass(frozen=True, slots=True)
class RankPeriod:
    key: str
    """As typed in `--period` and stored with a snapshot: `2026-11`, `2026-Q4`, `2026-W48`, `2026-11-01..2026-11-15`."""
    label: str
    """As the screens say it: 2026年11月."""
    first: date
    last: date
    """The local days it covers, both included."""

    @property
    def start(self) -> datetime:
        return _midnight(self.first)

    @property
    def end(self) -> datetime:
        return _midnight(self.last + timedelta(days=1))

    def previous(self) -> RankPeriod:
        """The period just before, of the same kind."""
        return parse_period(_previous_key(self))

    def public(self) -> dict[str, str]:
        return {
            "key": self.key,
            "label": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL).astimezone(ZoneInfo("UTC"))


def month_of(at: datetime) -> RankPeriod:
    """The local calendar month holding `at`."""
    local = at.astimezone(LOCAL)
    return parse_period(f"{local.year:04d}-{local.month:02d}")


def parse_period(text: str) -> RankPeriod:
    """The period a `--period` or `?period=` names; a 422 naming `period` for anything else."""
    value = (text or "").strip().upper()
    try:
        return _parse(value)
    except (ValueError, OverflowError):
        raise BadInput(
            f"无法识别的统计周期：{text!r}（如 2026-11、2026-Q4、2026-W48、2026-11-01..2026-11-15）", field="period"
        ) from None


def _parse(value: str) -> RankPeriod:
    if m := _MONTH.match(value):
        year, month = int(m[1]), int(m[2])
        first = date(year, month, 1)
        return RankPeriod(value, f"{year}年{month}月", first, _month_end(year, month))
    if m := _QUARTER.match(value):
        year, q = int(m[1]), int(m[2])
        return RankPeriod(value, f"{year}年第{q}季度", date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
    if m := _HALF.match(value):
        year, half = int(m[1]), int(m[2])
        label = f"{year}年{'上' if half == 1 else '下'}半年"
        return RankPeriod(value, label, date(year, 6 * half - 5, 1), _month_end(year, 6 * half))
    if m := _YEAR.match(value):
        year = int(m[1])
        return RankPeriod(value, f"{year}年", date(year, 1, 1), date(year, 12, 31))
    if m := _WEEK.match(value):
        year, week = int(m[1]), int(m[2])
        first = date.fromisocalendar(year, week, 1)
        return RankPeriod(value, f"{year}年第{week}周", first, first + timedelta(days=6))
    if m := _RANGE.match(value):
        first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            raise ValueError(value)
        return RankPeriod(value, f"{first.isoformat()} 至 {last.isoformat()}", first, last)
    raise ValueError(value)


def _month_end(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return nxt - timedelta(days=1)


def _previous_key(p: RankPeriod) -> str:
    key = p.key
    if _MONTH.match(key):
        day = p.first - timedelta(days=1)
        return f"{day.year:04d}-{day.month:02d}"
    if m := _QUARTER.match(key):
        year, q = int(m[1]), int(m[2])
        return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"
    if m := _HALF.match(key):
        year, half = int(m[1]), int(m[2])
        return f"{year - 1}-H2" if half == 1 else f"{year}-H1"
    if _YEAR.match(key):
        return f"{p.first.year - 1:04d}"
    if _WEEK.match(key):
        year, week, _ = (p.first - timedelta(days=7)).isocalendar()
        return f"{year:04d}-W{week:02d}"
    length = p.last - p.first
    last = p.first - timedelta(days=1)
    return f"{(last - length).isoformat()}..{last.isoformat()}"
