"""DingTalk custom robots (自定义机器人) as a notification `Delivery`.

The officer's phone gets the desk's notifications through the robot of their station's group (and,
if one is bound, their own), with the officer @-mentioned by mobile number. Messages use DingTalk's
own format (``msgtype`` text, markdown or actionCard) and, when the robot has a secret (加签), the
signed URL: ``timestamp`` in milliseconds and
``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))``.

A notification is announced in the outbox in its own transaction (nothing is sent for a rolled-back one,
nothing is lost to a crash) and posted by the outbox worker, with explicit timeouts. Every post is recorded
in `desk_dingtalk_sends`; a failure (network, HTTP status, DingTalk ``errcode``) is recorded and retried by
the outbox with back-off, to the robots that failed only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

import httpx
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.models import Notification, Role, Task, User
from pingan.core.outbox import Message, Outbox
from pingan.desk.models import DingTalkRobot, DingTalkSend

_PENDING = "dingtalk_pending"
DINGTALK = "desk.dingtalk"
"""The outbox kind of a notification on its way to DingTalk (payload: its `notification_id`)."""
STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}


# -- the wire format -------------------------------------------------------------------------------


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: the URL-encoded base64 of HMAC-SHA256(secret, "{timestamp}\\n{secret}")."""
    string_to_sign = f"{timestamp_ms}\n{secret}"
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(webhook: str, secret: str | None, timestamp_ms: int) -> str:
    if not secret:
        return webhook
    sep = "&" if "?" in webhook else "?"
    return f"{webhook}{sep}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def _at(mobiles: list[str], at_all: bool) -> dict[str, Any]:
    return {"atMobiles": mobiles, "atUserIds": [], "isAtAll": at_all}


def text_message(content: str, *, at_mobiles: list[str] | None = None, at_all: bool = False) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}, "at": _at(at_mobiles or [], at_all)}


def markdown_message(title: str, text: str, *, at_mobiles: list[str] | None = None) -> dict[str, Any]:
    """Markdown; to @ someone their mobile must also appear in the text as ``@138...``."""
    mobiles = at_mobiles or []
    if mobiles:
        text = text + "\n\n" + " ".join(f"@{m}" for m in mobiles)
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}, "at": _at(mobiles, False)}


def action_card(title: str, text: str, url: str, *, button: str = "查看详情") -> dict[str, Any]:
    return {
        "msgtype": "actionCard",
        "actionCard": {"title": title, "text": text, "btnOrientation": "0", "singleTitle": button, "singleURL": url},
    }


@dataclass(frozen=True, slots=True)
class PostResult:
    ok: bool
    status_code: int | None = None
    errcode: int | None = None
    error: str | None = None


class DingTalkClient:
    """Posts one message to one robot; never raises for the network or DingTalk's answer."""

    def __init__(self, clock: Clock, *, timeout: float = 5.0, transport: httpx.BaseTransport | None = None) -> None:
        self.clock = clock
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            transport=transport,
            headers={"Content-Type": "application/json; charset=utf-8"},
            follow_redirects=False,
        )

    def post(self, webhook: str, secret: str | None, message: Mapping[str, Any]) -> PostResult:
        timestamp = int(self.clock.now().timestamp() * 1000)
        try:
            response = self._http.post(signed_url(webhook, secret, timestamp), json=dict(message))
        except httpx.HTTPError as exc:
            return PostResult(False, error=f"{type(exc).__name__}: {exc}"[:500])
        errcode: int | None = None
        errmsg = ""
        try:
            body = response.json()
            if isinstance(body, dict):
                raw = body.get("errcode")
                errcode = int(raw) if isinstance(raw, int | str) and str(raw).lstrip("-").isdigit() else None
                errmsg = str(body.get("errmsg", ""))
        except ValueError:
            errmsg = response.text[:200]
        ok = response.status_code == 200 and errcode == 0
        error = None if ok else (f"HTTP {response.status_code}: {errmsg}" if errmsg else f"HTTP {response.status_code}")
        return PostResult(ok, response.status_code, errcode, error)

    def close(self) -> None:
        self._http.close()


# -- the Delivery adapter and the outbox handler ---------------------------------------------------


class DingTalkFailed(Exception):
    """Some robots did not take the message (the outbox retries those later)."""


@dataclass(frozen=True, slots=True)
class _Job:
    notification_id: int | None
    title: str
    body: str
    unit_id: int | None
    user_id: int | None
    task_id: int | None


@dataclass(frozen=True, slots=True)
class _Target:
    robot_id: int
    webhook: str
    secret: str | None
    mobiles: list[str] = field(default_factory=list)


class DingTalkDelivery:
    """`pingan.core.notify.Delivery` announcing each notification to DingTalk through the outbox (in the
    notification's own transaction), and the outbox handler (`post`) that posts it to the robots bound to the
    notification's unit and user."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        client: DingTalkClient,
        outbox: Outbox,
        *,
        public_url: str | None = None,
        robots_ttl: float = 30.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.client = client
        self.outbox = outbox
        self.public_url = public_url.rstrip("/") if public_url else None
        self._robots_ttl = robots_ttl
        self._robots_checked = 0.0
        self._has_robots = False
        self._lock = threading.Lock()
        event.listen(db.sessions, "before_commit", self._before_commit)
        event.listen(db.sessions, "after_soft_rollback", self._after_rollback)

    def invalidate(self) -> None:
        """Robots changed: look again before the next notification."""
        with self._lock:
            self._robots_checked = 0.0

    def _any_robots(self, session: Session) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._robots_checked < self._robots_ttl and self._robots_checked:
                return self._has_robots
        # In the notification's own session: another one could be this very connection (an in-memory
        # SQLite), whose closing would roll the caller's transaction back.
        with session.no_autoflush:
            found = session.scalar(select(DingTalkRobot.id).where(DingTalkRobot.active).limit(1)) is not None
        with self._lock:
            self._has_robots, self._robots_checked = found, now
        return found

    # Notifier calls this inside the transaction. Most counties bind no robot at all: then nothing is announced.
    def deliver(self, notification: Notification) -> None:
        session = Session.object_session(notification)
        if session is None:
            raise ValueError("the notification must be in a session: its outbox row goes in the same transaction")
        if self._any_robots(session):
            session.info.setdefault(_PENDING, []).append(notification)

    def _before_commit(self, session: Session) -> None:
        # At the commit rather than at each notification, so that one flush gives every notification of the
        # transaction its id (the outbox row refers to it) and a batch of tasks costs no flush per notification.
        pending: list[Notification] = session.info.pop(_PENDING, [])
        if not pending:
            return
        session.flush()
        for note in pending:
            if note in session:  # not undone by a rolled-back savepoint
                self.outbox.put(session, DINGTALK, {"notification_id": note.id})

    def _after_rollback(self, session: Session, previous_transaction: Any) -> None:
        if previous_transaction.parent is None:  # the outermost transaction: its notifications are gone
            session.info.pop(_PENDING, None)

    def close(self) -> None:
        for name, listener in (("before_commit", self._before_commit), ("after_soft_rollback", self._after_rollback)):
            if event.contains(self.db.sessions, name, listener):
                event.remove(self.db.sessions, name, listener)
        self.client.close()

    # -- the outbox handler ------------------------------------------------------------------------

    def post(self, message: Message) -> None:
        """Post one announced notification to each of its robots that has not taken it yet.

        At least once, with a guard keyed by the outbox row: every post is recorded in `desk_dingtalk_sends`
        with the row's id as soon as DingTalk answers (committed at once), and a redelivery of the row skips
        the robots with a successful record. The window that remains: a worker that dies after DingTalk took a
        post and before its record commits posts it again on the retry, and that group sees the message twice.

        Raises `DingTalkFailed` when a robot refused it or could not be reached, so that the outbox retries
        later (only those robots); the failures are recorded too.
        """
        with self.db.sessions() as session:  # reads only
            note = session.get(Notification, int(message.payload["notification_id"]))
            if note is None:
                return
            job = _job(note)
            targets = self._targets(session, job)
            done = set(
                session.scalars(
                    select(DingTalkSend.robot_id).where(DingTalkSend.outbox_id == message.id, DingTalkSend.ok)
                )
            )
        failed: list[str] = []
        for target in targets:
            if target.robot_id in done:
                continue
            body = self._message(job, target.mobiles)
            result = self.client.post(target.webhook, target.secret, body)
            if not result.ok:
                failed.append(f"robot {target.robot_id}: {result.error}")
            with self.db.session() as session:
                session.add(
                    DingTalkSend(
                        at=self.clock.now(),
                        robot_id=target.robot_id,
                        notification_id=job.notification_id,
                        outbox_id=message.id,
                        msgtype=str(body["msgtype"]),
                        ok=result.ok,
                        status_code=result.status_code,
                        errcode=result.errcode,
                        error=result.error,
                    )
                )
        if failed:
            raise DingTalkFailed("; ".join(failed))

    def _targets(self, session: Session, job: _Job) -> list[_Target]:
        conds = []
        if job.unit_id is not None:
            conds.append(DingTalkRobot.unit_id == job.unit_id)
        if job.user_id is not None:
            conds.append(DingTalkRobot.user_id == job.user_id)
        if not conds:
            return []
        robots = list(
            session.scalars(select(DingTalkRobot).where(DingTalkRobot.active, or_(*conds)).order_by(DingTalkRobot.id))
        )
        if not robots:
            return []
        person = job.user_id
        if person is None and job.task_id is not None:
            person = session.scalar(select(Task.assignee_id).where(Task.id == job.task_id))
        mobiles: list[str] = []
        if person is not None:
            user = session.get(User, person)
            if user is not None and user.role in STAFF_ROLES and user.phone:
                mobiles = [user.phone]
        return [_Target(robot.id, robot.webhook, robot.secret, mobiles) for robot in robots]

    def _message(self, job: _Job, mobiles: list[str]) -> dict[str, Any]:
        lines = [f"#### {job.title}"]
        if job.body:
            lines.append(job.body)
        if job.task_id is not None:
            lines.append(f"> 任务编号 {job.task_id}")
        url = f"{self.public_url}/#/tasks/{job.task_id}" if self.public_url and job.task_id is not None else None
        text = "\n\n".join(lines)
        if url is not None and not mobiles:
            return action_card(job.title, text, url)
        if url is not None:
            text += f"\n\n[查看详情]({url})"
        return markdown_message(job.title, text, at_mobiles=mobiles)


def _job(note: Notification) -> _Job:
    return _Job(note.id, note.title, note.body or "", note.unit_id, note.user_id, note.task_id)
