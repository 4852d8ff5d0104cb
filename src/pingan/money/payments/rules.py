"""The county's rules of stop-payment, freeze and return (DESIGN §5), and the pure rules built on them.

Defaults in `rules.toml` ([payments]); `register_rules` adds the table to the county rules registry. The
functions take times and counts and return times and answers: no database, no clock.
"""

from __future__ import annotations

import calendar as month_lengths
from datetime import date, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from pingan.core.rules import RulesModel, RulesRegistry
from pingan.money.payments.calendar import WorkingCalendar, build_calendar, working_days_deadline


class CalendarYear(RulesModel):
    """One year of the State Council's holiday notice, set by the county."""

    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)
    """Weekend days worked in exchange (调休)."""


class PaymentRules(RulesModel):
    timezone: str = "Asia/Shanghai"
    emergency_hold_hours: int = Field(default=48, ge=1, le=24 * 30)
    max_stops_per_account: int = Field(default=2, ge=1, le=10)
    freeze_due_hours: int = Field(default=12, ge=0)
    freeze_months: int = Field(default=6, ge=1, le=24)
    freeze_reminder_days: list[int] = Field(default_factory=lambda: [15, 3])
    renew_due_days: int = Field(default=3, ge=0)
    return_working_days: int = Field(default=3, ge=1, le=30)
    answer_minutes: int = Field(default=30, ge=1)
    escalation_minutes: int = Field(default=60, ge=1)
    calendar: dict[int, CalendarYear] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("freeze_reminder_days")
    @classmethod
    def _reminders(cls, value: list[int]) -> list[int]:
        if any(d < 1 for d in value):
            raise ValueError("reminder days are at least 1")
        return sorted(set(value), reverse=True)

    @model_validator(mode="after")
    def _coherent(self) -> PaymentRules:
        if self.freeze_due_hours >= self.emergency_hold_hours:
            raise ValueError("freeze_due_hours must be shorter than emergency_hold_hours")
        for year, days in self.calendar.items():
            stray = [d for d in (*days.holidays, *days.workdays) if d.year != year]
            if stray:
                raise ValueError(f"calendar.{year} holds dates of another year: {stray[0].isoformat()}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def working_calendar(self) -> WorkingCalendar:
        return build_calendar({y: (d.holidays, d.workdays) for y, d in self.calendar.items()})


def register_rules(registry: RulesRegistry) -> None:
    registry.register(resources.files("pingan.money.payments") / "rules.toml", payments=PaymentRules)


# -- the pure rules ------------------------------------------------------------------------------------------


def stop_refusal(stops_before: int, rules: PaymentRules) -> str | None:
    """Why one more emergency stop on an account is refused (it has had the most allowed), or None."""
    if stops_before >= rules.max_stops_per_account:
        return f"该账户已紧急止付 {stops_before} 次，同一账户最多止付 {rules.max_stops_per_account} 次，请依法冻结"
    return None


def hold_ends(stopped_at: datetime, rules: PaymentRules) -> datetime:
    """When an emergency stop lapses: it holds for `emergency_hold_hours` from the stop, that instant excluded."""
    return stopped_at + timedelta(hours=rules.emergency_hold_hours)


def hold_lapsed(stopped_at: datetime, now: datetime, rules: PaymentRules) -> bool:
    return now >= hold_ends(stopped_at, rules)


def freeze_due(stopped_at: datetime, rules: PaymentRules) -> datetime:
    """The freeze's deadline: some hours before the hold lapses, so that a late one is escalated in time."""
    return hold_ends(stopped_at, rules) - timedelta(hours=rules.freeze_due_hours)


def add_months(at: datetime, months: int, zone: ZoneInfo) -> datetime:
    """The same local time `months` calendar months later (31 August + 6 months: the last day of February)."""
    local = at.astimezone(zone)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, month_lengths.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(at.tzinfo)


def freeze_ends(start: datetime, rules: PaymentRules) -> datetime:
    """A freeze (or a renewal, from the end of the one it extends) lasts `freeze_months` calendar months."""
    return add_months(start, rules.freeze_months, rules.zone)


def renew_due(ends: datetime, rules: PaymentRules) -> datetime:
    return ends - timedelta(days=rules.renew_due_days)


def freeze_reminders(ends: datetime, now: datetime, rules: PaymentRules) -> list[tuple[int, datetime]]:
    """(days before the end, when) of each reminder still ahead of `now`, earliest first."""
    return [(d, ends - timedelta(days=d)) for d in rules.freeze_reminder_days if ends - timedelta(days=d) > now]


def return_due(ordered_at: datetime, rules: PaymentRules, calendar: WorkingCalendar) -> datetime:
    """Frozen funds go back within `return_working_days` working days of the order (CalendarYearUnknown if a day
    to count lies in a year no calendar covers)."""
    return working_days_deadline(ordered_at, rules.return_working_days, calendar, rules.zone)
