"""Bearer tokens: each issue is a distinct token, even within one second, and a refresh gives a new one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pingan.core.identity import issue_token
from pingan.core.models import Role, User


def test_two_tokens_issued_in_the_same_second_differ() -> None:
    user = User(id=7, username="danxi_mj2", role=Role.OFFICER, token_generation=0)
    now = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
    first = issue_token(user, "k" * 32, now, timedelta(minutes=60))
    second = issue_token(user, "k" * 32, now + timedelta(milliseconds=300), timedelta(minutes=60))
    # A renewal the page asks for right after signing in must still replace the old token: the page
    # waits for a token that differs, and revoking one must not be mistaken for the other.
    assert first != second
