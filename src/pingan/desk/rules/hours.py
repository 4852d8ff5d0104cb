"""Working hours and reply deadlines (pure: every function takes the instant it reasons about)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pingan.desk.rules.county import DeskRules


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """The county's office hours in local time, with holidays and make-up workdays (调休)."""

    zone: ZoneInfo
    days: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date]
    extra_workdays: frozenset[date]

    @classmethod
    def of(cls, rules: DeskRules) -> WorkingHours:
        return cls(
            ZoneInfo(rules.timezone),
            frozenset(rules.work_days),
            rules.work_start,
            rules.work_end,
            frozenset(rules.holidays),
            frozenset(rules.extra_workdays),
        )

    def is_workday(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.extra_workdays or day.isoweekday() in self.days

    def is_working(self, at: datetime) -> bool:
        """Whether the aware instant `at` falls in office hours (start inclusive, end exclusive)."""
        local = at.astimezone(self.zone)
        return self.is_workday(local.date()) and self.start <= local.time().replace(tzinfo=None) < self.end


def reply_window(at: datetime, rules: DeskRules, *, emergency: bool = False) -> timedelta:
    """How long the first reply may take for a request that arrives (or is handed over) at `at`.

    The window is chosen by the moment of arrival: a request that comes at 17:20 on a workday still
    has the working-hours window, one that comes at 17:40 the longer one.
    """
    if emergency:
        return timedelta(minutes=rules.emergency_reply_minutes)
    if WorkingHours.of(rules).is_working(at):
        return timedelta(minutes=rules.reply_minutes_working)
    return timedelta(minutes=rules.reply_minutes_off)


def reply_due(at: datetime, rules: DeskRules, *, emergency: bool = False) -> datetime:
    return at + reply_window(at, rules, emergency=emergency)


def iso_week(at: datetime, zone: ZoneInfo) -> str:
    """The local ISO week of an instant, as ``2026-W48`` (weeks for hot topics are local weeks)."""
    year, week, _ = at.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def local_day_start(at: datetime, zone: ZoneInfo) -> datetime:
    """The instant local midnight began on the day of `at` (for per-day limits)."""
    local = at.astimezone(zone)
    return datetime.combine(local.date(), time(0), zone)


def local_week_start(at: datetime, zone: ZoneInfo) -> datetime:
    """The instant the local ISO week of `at` began (Monday 00:00)."""
    local = at.astimezone(zone)
    monday = local.date() - timedelta(days=local.isoweekday() - 1)
    return datetime.combine(monday, time(0), zone)
