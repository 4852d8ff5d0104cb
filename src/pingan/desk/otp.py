"""Sign-in by phone: one-time codes sent through an SMS gateway adapter.

Codes are random, stored only as a keyed hash (HMAC-SHA256 with the server secret), live a few
minutes, allow a few wrong guesses, and are consumed once. Sends are limited per phone (a minimum
interval, per hour and per day) and per client address. The gateway is a small protocol: the demo
logs the message, the tests keep it in memory (`FakeSmsGateway`), a county plugs in its own.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, RateLimited, Unavailable
from pingan.core.identifiers import InvalidIdentifier, mask_phone, normalize_phone
from pingan.desk.models import DeskOtp

log = logging.getLogger(__name__)

_MOBILE = re.compile(r"1[3-9][0-9]{9}")


class SmsGateway(Protocol):
    """Sends one text message; raises on failure (the caller turns it into a 503)."""

    def send(self, phone: str, text: str) -> None: ...


class LoggingSmsGateway:
    """The demo's gateway: the message goes to the log (and nowhere else)."""

    def send(self, phone: str, text: str) -> None:
        log.warning("SMS to %s: %s", mask_phone(phone), text)


class FakeSmsGateway:
    """The tests' gateway: keeps every message; `fail` makes the next sends raise."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = False
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        if self.fail:
            raise ConnectionError("fake SMS gateway is down")
        with self._lock:
            self.sent.append((phone, text))

    def last_code(self, phone: str) -> str | None:
        for to, text in reversed(self.sent):
            if to == phone:
                found = re.search(r"\b(\d{4,8})\b", text)
                return found.group(1) if found else None
        return None


@dataclass(frozen=True)
class OtpPolicy:
    ttl_seconds: int = 300
    length: int = 6
    max_attempts: int = 5
    resend_seconds: int = 60
    show_code: bool = False
    """Hand the code back to the caller too (the demo, which has no SMS gateway; refused in production)."""
    per_phone_hour: int = 5
    per_phone_day: int = 10
    per_client_hour: int = 30


@dataclass(frozen=True)
class OtpSent:
    phone: str
    expires_in: int
    retry_after: int
    dev_code: str | None = None
    """The code itself, only when the policy says `show_code`."""


def mobile_number(raw: str) -> str:
    """A mainland mobile number in national form, or BadInput on `phone`."""
    try:
        phone = normalize_phone(raw)
    except InvalidIdentifier:
        raise BadInput("请输入有效的手机号码", field="phone", code="invalid_phone") from None
    if not _MOBILE.fullmatch(phone):
        raise BadInput("请输入大陆手机号码", field="phone", code="invalid_phone")
    return phone


class OtpService:
    def __init__(self, db: Database, clock: Clock, secret: str, gateway: SmsGateway, policy: OtpPolicy) -> None:
        self.db = db
        self.clock = clock
        self._key = hashlib.sha256(("desk-otp:" + secret).encode()).digest()
        self.gateway = gateway
        self.policy = policy

    def _hash(self, phone: str, code: str) -> str:
        return hmac.new(self._key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    def send(self, raw_phone: str, client: str | None = None) -> OtpSent:
        """Issue a code and text it. Raises BadInput (phone), RateLimited, or Unavailable (gateway down)."""
        phone = mobile_number(raw_phone)
        p = self.policy
        now = self.clock.now()
        code = f"{secrets.randbelow(10**p.length):0{p.length}d}"
        with self.db.session() as session:
            self._check_limits(session, phone, client, now)
            session.add(
                DeskOtp(
                    phone=phone,
                    code_hash=self._hash(phone, code),
                    client=(client or "")[:64] or None,
                    created_at=now,
                    expires_at=now + timedelta(seconds=p.ttl_seconds),
                    attempts=0,
                )
            )
        minutes = max(1, p.ttl_seconds // 60)
        try:
            self.gateway.send(
                phone, f"【平安E警通】验证码 {code}，{minutes}分钟内有效。请勿告诉他人，民警不会索要验证码。"
            )
        except Exception:
            log.exception("SMS gateway failed for %s", mask_phone(phone))
            raise Unavailable("短信发送失败，请稍后再试", field="phone") from None
        return OtpSent(phone, p.ttl_seconds, p.resend_seconds, code if p.show_code else None)

    def _check_limits(self, session: Session, phone: str, client: str | None, now: datetime) -> None:
        p = self.policy
        times = list(
            session.scalars(
                select(DeskOtp.created_at)
                .where(DeskOtp.phone == phone, DeskOtp.created_at > now - timedelta(days=1))
                .order_by(DeskOtp.created_at.desc())
            )
        )
        if times:
            wait = int((times[0] + timedelta(seconds=p.resend_seconds) - now).total_seconds())
            if wait > 0:
                raise RateLimited(f"请 {wait} 秒后再获取验证码", field="phone", retry_after=wait)
        hour = [t for t in times if t > now - timedelta(hours=1)]
        if len(hour) >= p.per_phone_hour:
            wait = int((min(hour) + timedelta(hours=1) - now).total_seconds()) + 1
            raise RateLimited("获取验证码过于频繁，请稍后再试", field="phone", retry_after=wait)
        if len(times) >= p.per_phone_day:
            wait = int((min(times) + timedelta(days=1) - now).total_seconds()) + 1
            raise RateLimited("今日获取验证码次数已达上限", field="phone", retry_after=wait)
        if client:
            sent = session.scalar(
                select(func.count())
                .select_from(DeskOtp)
                .where(DeskOtp.client == client[:64], DeskOtp.created_at > now - timedelta(hours=1))
            )
            if (sent or 0) >= p.per_client_hour:
                raise RateLimited("请求过于频繁，请稍后再试", field="phone", retry_after=3600)

    def verify(self, raw_phone: str, code: str) -> str:
        """Consume a valid code; returns the phone. Wrong, expired and exhausted codes raise, naming `code`."""
        phone = mobile_number(raw_phone)
        code = code.strip()
        now = self.clock.now()
        wrong = False
        with self.db.session() as session:
            row = session.scalar(
                select(DeskOtp)
                .where(DeskOtp.phone == phone, DeskOtp.consumed_at.is_(None))
                .order_by(DeskOtp.id.desc())
                .limit(1)
            )
            if row is None or row.expires_at <= now:
                raise BadInput("验证码已过期或不存在，请重新获取", field="code", code="otp_expired")
            if row.attempts >= self.policy.max_attempts:
                raise RateLimited("验证码错误次数过多，请重新获取", field="code", code="otp_exhausted")
            if not (code.isdigit() and hmac.compare_digest(row.code_hash, self._hash(phone, code))):
                # Counted atomically, so that parallel guesses cannot exceed the limit.
                session.execute(
                    update(DeskOtp)
                    .where(DeskOtp.id == row.id, DeskOtp.attempts < self.policy.max_attempts)
                    .values(attempts=DeskOtp.attempts + 1)
                )
                wrong = True
            else:
                done = session.execute(
                    update(DeskOtp).where(DeskOtp.id == row.id, DeskOtp.consumed_at.is_(None)).values(consumed_at=now)
                )
                if done.rowcount != 1:  # type: ignore[attr-defined]
                    raise BadInput("验证码已使用，请重新获取", field="code", code="otp_expired")
        if wrong:
            raise BadInput("验证码错误", field="code", code="otp_invalid")
        return phone
