"""Staff sign-in with throttling: failures are counted per account and per client address in the
`auth_events` table (shared by every server process), and too many lock the account or the address out
for a while with a 429 and its `Retry-After`. A locked attempt is refused without its password being
checked, so that guessing stops even for the right password; it is not counted, so that a lockout ends.

The rule itself (`locked_until`) is pure and takes the failure times; `LoginGuard` reads and writes them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import RateLimited, Unauthorized
from pingan.core.identity import authenticate, record_auth_event
from pingan.core.models import AuthEvent, AuthEventKind, User


@dataclass(frozen=True)
class LoginPolicy:
    window: timedelta = timedelta(minutes=15)
    max_per_account: int = 5
    max_per_address: int = 20
    lockout: timedelta = timedelta(minutes=15)


def locked_until(failures: Sequence[datetime], limit: int, window: timedelta, lockout: timedelta) -> datetime | None:
    """The end of the latest lockout `failures` earn: `limit` of them within `window` lock for `lockout` after
    the one that reached the limit. None when they earn none."""
    times = sorted(failures)
    until: datetime | None = None
    for last in range(limit - 1, len(times)):
        if times[last] - times[last - limit + 1] < window:
            until = times[last] + lockout
    return until


class LoginGuard:
    def __init__(self, db: Database, clock: Clock, policy: LoginPolicy) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy

    def sign_in(self, username: str, password: str, address: str | None) -> User:
        """The user behind a right password, unless the account or the address is locked out (RateLimited).
        Every outcome is recorded, in a transaction of its own: a refusal must be kept although it raises."""
        now = self.clock.now()
        with self.db.session() as session:
            self.check(session, username, address, now)
            try:
                user = authenticate(session, username, password)
            except Unauthorized:
                self.failed(session, username, address, now)
                session.commit()
                raise
            record_auth_event(session, AuthEventKind.LOGIN, now, user=user, address=address)
            session.expunge(user)
            return user

    def check(self, session: Session, username: str, address: str | None, now: datetime) -> None:
        """Refuse (RateLimited, with the seconds to wait) while the account or the address is locked out."""
        until = max(
            (t for t in (self._account_lock(session, username, now), self._address_lock(session, address, now)) if t),
            default=None,
        )
        if until is not None and until > now:
            wait = math.ceil((until - now).total_seconds())
            minutes = max(1, math.ceil(wait / 60))
            raise RateLimited(
                f"登录失败次数过多，请 {minutes} 分钟后再试", field="username", code="login_locked", retry_after=wait
            )

    def failed(self, session: Session, username: str, address: str | None, now: datetime) -> None:
        """Record a wrong password (or unknown name); and a lockout, when this failure earns one."""
        user = session.scalar(select(User).where(User.username == username))
        record_auth_event(session, AuthEventKind.LOGIN_FAILED, now, user=user, username=username, address=address)
        session.flush()
        for scope, until in (
            ("account", self._account_lock(session, username, now)),
            ("address", self._address_lock(session, address, now)),
        ):
            if until is not None and until > now and self._newly_locked(session, username, address, scope, now):
                record_auth_event(
                    session,
                    AuthEventKind.LOCKOUT,
                    now,
                    user=user,
                    username=username,
                    address=address,
                    detail={"scope": scope, "until": until.isoformat()},
                )

    def _since(self, now: datetime) -> datetime:
        # A failure older than this can be part of no lockout still running.
        return now - self.policy.window - self.policy.lockout

    def _account_lock(self, session: Session, username: str, now: datetime) -> datetime | None:
        since = self._since(now)
        # A right password ends the count: the failures before it were the user's own.
        last_ok = session.scalar(
            select(func.max(AuthEvent.at)).where(
                AuthEvent.username == username[:64], AuthEvent.kind == AuthEventKind.LOGIN, AuthEvent.at > since
            )
        )
        times = session.scalars(
            select(AuthEvent.at).where(
                AuthEvent.username == username[:64],
                AuthEvent.kind == AuthEventKind.LOGIN_FAILED,
                AuthEvent.at > (max(since, last_ok) if last_ok else since),
            )
        ).all()
        p = self.policy
        return locked_until(times, p.max_per_account, p.window, p.lockout)

    def _address_lock(self, session: Session, address: str | None, now: datetime) -> datetime | None:
        if not address:
            return None
        # Not reset by a success: one account of one's own must not unlock guessing at everyone else's.
        times = session.scalars(
            select(AuthEvent.at).where(
                AuthEvent.address == address[:64],
                AuthEvent.kind == AuthEventKind.LOGIN_FAILED,
                AuthEvent.at > self._since(now),
            )
        ).all()
        p = self.policy
        return locked_until(times, p.max_per_address, p.window, p.lockout)

    def _newly_locked(self, session: Session, username: str, address: str | None, scope: str, now: datetime) -> bool:
        # One lockout event per lockout: none yet recorded for this account (or address) in the current one.
        column, value = (AuthEvent.username, username[:64]) if scope == "account" else (AuthEvent.address, address)
        seen = session.scalar(
            select(func.count())
            .select_from(AuthEvent)
            .where(
                column == value,
                AuthEvent.kind == AuthEventKind.LOCKOUT,
                AuthEvent.at > now - self.policy.lockout,
            )
        )
        return not seen
