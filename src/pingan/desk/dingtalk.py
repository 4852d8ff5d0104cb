"""DingTalk custom robots (自定义机器人) as a notification `Delivery`.

The officer's phone gets the desk's notifications through the robot of their station's group (and,
if one is bound, their own), with the officer @-mentioned by mobile number. Messages use DingTalk's
own format (``msgtype`` text, markdown or actionCard) and, when the robot has a secret (加签), the
signed URL: ``timestamp`` in milliseconds and
``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))``.

Posting happens after the notification's transaction commits (nothing is sent for a rolled-back
one), on a background thread by default, with explicit timeouts. Every post is recorded in
`desk_dingtalk_sends`; a failure (network, HTTP status, DingTalk ``errcode``) is recorded, never raised.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import queue
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
from pingan.desk.models import DingTalkRobot, DingTalkSend

log = logging.getLogger(__name__)

_PENDING = "dingtalk_pending"
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


# -- the Delivery adapter --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Job:
    notification_id: int | None
    title: str
    body: str
    unit_id: int | None
    user_id: int | None
    task_id: int | None


@dataclass
class _Target:
    robot: DingTalkRobot
    mobiles: list[str] = field(default_factory=list)


class DingTalkDelivery:
    """`pingan.core.notify.Delivery` posting to the robots bound to the notification's unit and user."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        client: DingTalkClient,
        *,
        public_url: str | None = None,
        background: bool = True,
        robots_ttl: float = 30.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.client = client
        self.public_url = public_url.rstrip("/") if public_url else None
        self.background = background
        self._robots_ttl = robots_ttl
        self._robots_checked = 0.0
        self._has_robots = False
        self._lock = threading.Lock()
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        event.listen(db.sessions, "after_commit", self._after_commit)
        event.listen(db.sessions, "after_soft_rollback", self._after_rollback)

    def invalidate(self) -> None:
        """Robots changed: look again before the next post."""
        with self._lock:
            self._robots_checked = 0.0

    def _any_robots(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._robots_checked < self._robots_ttl and self._robots_checked:
                return self._has_robots
        with self.db.sessions() as session:
            found = session.scalar(select(DingTalkRobot.id).where(DingTalkRobot.active).limit(1)) is not None
        with self._lock:
            self._has_robots, self._robots_checked = found, now
        return found

    # Notifier calls this inside the transaction; the post waits for the commit.
    def deliver(self, notification: Notification) -> None:
        session = Session.object_session(notification)
        if session is None:
            self._dispatch([_job(notification)])
            return
        session.info.setdefault(_PENDING, []).append(notification)

    def _after_commit(self, session: Session) -> None:
        pending: list[Notification] = session.info.pop(_PENDING, [])
        if pending:
            self._dispatch([_job(n) for n in pending])

    def _after_rollback(self, session: Session, previous_transaction: Any) -> None:
        if previous_transaction.parent is None:  # the outermost transaction: its notifications are gone
            session.info.pop(_PENDING, None)

    def _dispatch(self, jobs: list[_Job]) -> None:
        if not jobs or not self._any_robots():
            return
        if not self.background:
            for job in jobs:
                self.send(job)
            return
        self._ensure_thread()
        for job in jobs:
            self._queue.put(job)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="dingtalk", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self.send(job)
            except Exception:  # one bad message must not stop the others
                log.exception("DingTalk delivery failed")
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        """Wait until every queued message has been posted (tests, shutdown)."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)
        self.client.close()

    # -- one notification --------------------------------------------------------------------------

    def send(self, job: _Job) -> list[PostResult]:
        """Post one notification to each robot it resolves to; record every attempt."""
        with self.db.session() as session:
            targets = self._targets(session, job)
            results: list[PostResult] = []
            for target in targets:
                message = self._message(job, target.mobiles)
                result = self.client.post(target.robot.webhook, target.robot.secret, message)
                if not result.ok:
                    log.warning("DingTalk robot %s: %s", target.robot.id, result.error)
                session.add(
                    DingTalkSend(
                        at=self.clock.now(),
                        robot_id=target.robot.id,
                        notification_id=job.notification_id,
                        msgtype=str(message["msgtype"]),
                        ok=result.ok,
                        status_code=result.status_code,
                        errcode=result.errcode,
                        error=result.error,
                    )
                )
                results.append(result)
            return results

    def _targets(self, session: Session, job: _Job) -> list[_Target]:
        conds = []
        if job.unit_id is not None:
            conds.append(DingTalkRobot.unit_id == job.unit_id)
        if job.user_id is not None:
            conds.append(DingTalkRobot.user_id == job.user_id)
        if not conds:
            return []
        robots = list(session.scalars(select(DingTalkRobot).where(DingTalkRobot.active, or_(*conds))))
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
        return [_Target(robot, mobiles) for robot in robots]

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
