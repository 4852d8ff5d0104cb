"""The outbox's retry rule, alone: how long a failed row waits."""

from __future__ import annotations

from datetime import timedelta

from pingan.bootstrap import outbox_policy
from pingan.core.outbox import OutboxPolicy
from pingan.core.settings import Settings


def test_the_back_off_doubles_after_each_failure_up_to_its_cap() -> None:
    policy = OutboxPolicy(backoff=timedelta(seconds=10), backoff_cap=timedelta(minutes=1))
    assert [policy.retry_delay(n).total_seconds() for n in range(1, 7)] == [10, 20, 40, 60, 60, 60]
    assert policy.retry_delay(500) == timedelta(minutes=1)  # no overflow far down the line


def test_the_settings_make_the_policy() -> None:
    policy = outbox_policy(
        Settings(
            outbox_max_attempts=4,
            outbox_lease_seconds=30,
            outbox_backoff_seconds=2,
            outbox_backoff_max_seconds=60,
        )
    )
    assert policy == OutboxPolicy(
        max_attempts=4,
        lease=timedelta(seconds=30),
        backoff=timedelta(seconds=2),
        backoff_cap=timedelta(minutes=1),
    )
