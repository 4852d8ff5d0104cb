"""The lockout rule alone: failure times in, the end of the lockout they earn out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pingan.core.logins import locked_until

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
WINDOW, LOCK = timedelta(minutes=15), timedelta(minutes=15)


def at(*minutes: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_fewer_failures_than_the_limit_lock_nothing() -> None:
    assert locked_until(at(0, 1, 2, 3), 5, WINDOW, LOCK) is None


def test_the_failure_that_reaches_the_limit_starts_the_lockout() -> None:
    assert locked_until(at(0, 1, 2, 3, 4), 5, WINDOW, LOCK) == T0 + timedelta(minutes=4) + LOCK


def test_failures_spread_wider_than_the_window_lock_nothing() -> None:
    assert locked_until(at(0, 4, 8, 12, 16), 5, WINDOW, LOCK) is None


def test_the_latest_lockout_counts_and_the_order_does_not_matter() -> None:
    assert locked_until(at(40, 0, 1, 2, 41, 42), 3, WINDOW, LOCK) == T0 + timedelta(minutes=42) + LOCK
