"""The pure rules of a plan's schedule: which check-ins and tests fall due, and which are missed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from pingan.command.rehab.models import CheckKind


def due_dates(starts_on: date, ends_on: date, every_days: int, through: date) -> Iterator[date]:
    """The days a check every `every_days` falls due, from the plan's start (its first day included) to its
    end or `through`, whichever is first."""
    last = min(ends_on, through)
    day = starts_on
    while day <= last:
        yield day
        day += timedelta(days=every_days)


def schedule(
    starts_on: date, ends_on: date, checkin_days: int, test_days: int, through: date
) -> list[tuple[CheckKind, date]]:
    """Every check of a plan due by `through`, check-ins and tests, in order of day."""
    out = [(CheckKind.CHECKIN, d) for d in due_dates(starts_on, ends_on, checkin_days, through)]
    out += [(CheckKind.TEST, d) for d in due_dates(starts_on, ends_on, test_days, through)]
    return sorted(out, key=lambda pair: (pair[1], pair[0].value))


def is_missed(due_on: date, today: date, grace_days: int) -> bool:
    """A check not recorded by the end of `grace_days` after its day is missed."""
    return today > due_on + timedelta(days=grace_days)
