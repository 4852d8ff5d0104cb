"""The desk's use cases: a resident posts a request; staff sign, reply, re-route, divert, merge, close;
the resident follows up and rates. Every step is a command on the request's core task, so the
deadline, the escalation and the history are the core's; this module keeps `desk_requests` in step.

Each mutation is one transaction of its own (committed before the HTTP answer is sent). On SQLite,
desk writes are serialised in-process, as the fraud intake does, so that they never race for the
single writer lock.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: threads only
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Float, Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from pingan.core.clock import Clock
from pingan.core.db import Database, UTCDateTime
from pingan.core.errors import BadInput, Conflict, Forbidden, NotFound, RateLimited, Unavailable
from pingan.core.identifiers import mask_free_text
from pingan.core.identity import Actor
from pingan.core.models import Role, Task, Unit, UnitKind, User
from pingan.core.notify import Notifier
from pingan.core.outbox import Message, Outbox
from pingan.core.scope import Scope, scope_of
from pingan.core.tasks import Command, TaskService
from pingan.desk.directory import DirectoryCache, Snapshot
from pingan.desk.media import CheckedFile, MediaStore, StoredFile, Upload
from pingan.desk.models import (
    AuthorKind,
    DeskMedia,
    DeskMessage,
    DeskRequest,
    DeskResident,
    DeskStatus,
    MediaKind,
    Resolution,
)
from pingan.desk.open311.models import Open311Request
from pingan.desk.places import Places
from pingan.desk.ports import CaseRef, DefraudedRequest, FraudCases, FraudLead, FraudOutcome, FraudReports, NoFraudCases
from pingan.desk.queries import Names
from pingan.desk.residents import require_resident
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.hours import iso_week, reply_due
from pingan.desk.rules.kinds import CATEGORY_NAMES, TOPIC_NAMES, Category, Route, Topic
from pingan.desk.rules.routing import Decision, Place, choose, resolve
from pingan.desk.rules.similar import Candidate, Duplicate, address_key, bbox, best_duplicate, content_hash
from pingan.desk.schemas import DeskRequestCreate
from pingan.desk.workflow import EMERGENCY_LEVEL, KIND, REF_TYPE, STAFF_ROLES, DeskAction

log = logging.getLogger(__name__)

FRAUD_REPORT = "desk.fraud_report"
"""The outbox kind of a suspected-fraud request on its way to the fraud loop (payload: its `request_id`)."""
CALL_110 = "如遇紧急情况请立即拨打110！"
UNIT_ROUTES = {
    UnitKind.STATION: Route.STATION,
    UnitKind.COMMUNITY_TEAM: Route.STATION,
    UnitKind.SPECIALTY: Route.SPECIALTY,
    UnitKind.COMMAND_CENTRE: Route.TRIAGE,
    UnitKind.GOVERNANCE: Route.GOVERNANCE,
}


# The hot path's statements, built once: each is compiled once and then only bound (see `post`).
_REQ: Table = DeskRequest.__table__  # type: ignore[assignment]
_RES: Table = DeskResident.__table__  # type: ignore[assignment]
_MSG: Table = DeskMessage.__table__  # type: ignore[assignment]
_MEDIA: Table = DeskMedia.__table__  # type: ignore[assignment]
_PROFILE = select(_RES.c.phone, _RES.c.station_id, _RES.c.community_id, _RES.c.lon).where(
    _RES.c.user_id == bindparam("user_id")
)
_REPLAY = select(_REQ.c.id).where(_REQ.c.resident_id == bindparam("resident_id"), _REQ.c.client_ref == bindparam("ref"))
_FLOOD_COLS = (_REQ.c.id, _REQ.c.created_at, _REQ.c.content_hash, _REQ.c.phone, _REQ.c.client_ref)
_FLOODS_BY_PHONE = select(*_FLOOD_COLS).where(
    _REQ.c.phone == bindparam("phone"), _REQ.c.created_at > bindparam("since")
)
_FLOODS_BY_PHONE_OR_ADDRESS = select(*_FLOOD_COLS).where(
    or_(_REQ.c.phone == bindparam("phone"), _REQ.c.address_key == bindparam("akey")),
    _REQ.c.created_at > bindparam("since"),
)
_DUP_COLS = (_REQ.c.id, _REQ.c.text, _REQ.c.lon, _REQ.c.lat, _REQ.c.address_key, _REQ.c.created_at)
_DUP_OPEN = and_(
    _REQ.c.category == bindparam("category"), _REQ.c.is_open.is_(True), _REQ.c.created_at >= bindparam("since")
)
_DUPS_NEAR = (
    select(*_DUP_COLS)
    .where(
        _DUP_OPEN,
        _REQ.c.lat.between(bindparam("min_lat"), bindparam("max_lat")),
        _REQ.c.lon.between(bindparam("min_lon"), bindparam("max_lon")),
    )
    .order_by(_REQ.c.id)
    .limit(200)
)
_DUPS_AT_ADDRESS = (
    select(*_DUP_COLS).where(_DUP_OPEN, _REQ.c.address_key == bindparam("akey")).order_by(_REQ.c.id).limit(200)
)
_INSERT_REQUEST = insert(_REQ).returning(_REQ.c.id)
_INSERT_MESSAGE = insert(_MSG).returning(_MSG.c.id)
_INSERT_MEDIA = insert(_MEDIA).returning(_MEDIA.c.id)


_LEARN_PLACE = (
    update(_RES)
    .where(_RES.c.user_id == bindparam("b_user"), _RES.c.station_id.is_(None))
    .values(
        station_id=bindparam("b_station"),
        community_id=bindparam("b_community"),
        lon=func.coalesce(_RES.c.lon, bindparam("b_lon", type_=Float)),
        lat=func.coalesce(_RES.c.lat, bindparam("b_lat", type_=Float)),
        updated_at=bindparam("b_now", type_=UTCDateTime),
    )
)


@dataclass(frozen=True)
class PostedView:
    """What the post itself knows about the new request, enough to answer without reading it back."""

    values: dict[str, Any]
    unit: str | None
    officer: str | None
    welcome: tuple[int, datetime, str]
    media: list[tuple[int, str, str, int, str | None]]


@dataclass(frozen=True)
class Posted:
    request_id: int
    created: bool
    """False when the post was a replay of an earlier one (same client_ref)."""
    view: PostedView | None = None


class CaseExists(Conflict):
    """The open-case action on a request whose case is open already: nothing is recorded. The desk's own
    endpoint answers the case; the generic task endpoint a 409 naming it."""

    code = "case_exists"

    def __init__(self, ref: CaseRef) -> None:
        super().__init__(f"该诉求已立案（案件#{ref.case_id}）", field="case_id")
        self.ref = ref


class _NoError(Exception):
    """The write failed, but the post has its answer anyway (a replay)."""


@dataclass(eq=False)
class _Pending:
    """A checked and routed post waiting for the writer, and what became of it."""

    actor: Actor
    values: dict[str, Any]
    files: list[CheckedFile]
    decision: Decision
    directory: Snapshot
    learned: dict[str, Any] | None
    welcome: str
    done: bool = False
    result: Posted | None = None
    view: PostedView | None = None
    error: BaseException | None = None


def task_of(session: Session, request_id: int) -> Task | None:
    return session.scalar(select(Task).where(Task.ref_type == REF_TYPE, Task.ref_id == request_id))


def staff_scope(session: Session, actor: Actor) -> Scope:
    if actor.role not in STAFF_ROLES:
        raise Forbidden("当前角色不能处理群众诉求")
    user = session.get(User, actor.id)
    if user is None:
        raise Forbidden("用户不存在")
    return scope_of(session, user)


def actor_scope(session: Session, actor: Actor) -> Scope:
    """The scope the task engine decides with: staff's jurisdiction; a resident's is empty (they see their own)."""
    if actor.role is Role.RESIDENT:
        return Scope(False, frozenset(), frozenset())
    user = session.get(User, actor.id)
    return scope_of(session, user) if user is not None else Scope(False, frozenset(), frozenset())


class DeskService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: DeskRules,
        tasks: TaskService,
        places: Places,
        reports: FraudReports,
        notifier: Notifier,
        media: MediaStore,
        outbox: Outbox,
    ) -> None:
        self.db = db
        self.clock = clock
        self.rules = rules
        self.zone = ZoneInfo(rules.timezone)
        self.tasks = tasks
        self.places = places
        self.reports = reports
        self.notifier = notifier
        self.outbox = outbox
        self.media = media
        self.directory = DirectoryCache(rules)
        self.cases: FraudCases = NoFraudCases()
        """Where a request whose resident was already defrauded becomes a case (wired in `bootstrap`)."""
        self._lock = db.write_lock
        # Group commit of posts (see `post`): the queue, and the lock whose holder writes it.
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()
        tasks.listen(KIND, self._sync)
        self._register_actions(tasks)

    # -- plumbing --------------------------------------------------------------------------------

    def names(self, session: Session) -> Names:
        """Unit and area names from the caches, for queues."""
        snapshot = self.directory.snapshot(session)
        return Names(snapshot.unit_names, self.places.area_names(session))

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction; a concurrent update or a busy database is a clear error, not a 500."""
        try:
            with self._lock, self.db.session() as session:
                yield session
        except StaleDataError:
            raise Conflict("诉求已被他人更新，请刷新后重试", code="stale") from None
        except OperationalError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise Unavailable("系统繁忙，请稍后重试") from None
            raise

    def _sync(self, session: Session, task: Task, command: Command) -> None:
        """Keep the request's denormalised copy of its task in step (a `TaskService` listener)."""
        if task.ref_type != REF_TYPE:
            return
        request = session.get(DeskRequest, task.ref_id)
        if request is None:
            return
        now = self.clock.now()
        if command.action == DeskAction.REPLY and request.first_reply_at is None:
            request.first_reply_at = now
            request.first_reply_by = command.actor_id
            request.replied_on_time = request.reply_due_at is None or now <= request.reply_due_at
        request.status = DeskStatus(task.status)
        request.is_open = task.closed_at is None
        request.unit_id = task.unit_id
        request.handler_id = task.assignee_id
        if task.due_at is not None:
            request.reply_due_at = task.due_at
        request.closed_at = task.closed_at
        if task.closed_at is not None and task.outcome:
            request.resolution = Resolution(task.outcome)
        elif task.closed_at is None:
            request.resolution = None  # open again (a low rating's return visit, a reopen)
        request.updated_at = now

    def _message(
        self,
        session: Session,
        request: DeskRequest,
        body: str,
        *,
        kind: AuthorKind = AuthorKind.SYSTEM,
        author_id: int | None = None,
        unit_id: int | None = None,
        internal: bool = False,
    ) -> DeskMessage:
        message = DeskMessage(
            request_id=request.id,
            at=self.clock.now(),
            author_kind=kind,
            author_id=author_id,
            unit_id=unit_id,
            body=body,
            internal=internal,
        )
        session.add(message)
        return message

    def _tell_resident(self, session: Session, request: DeskRequest, title: str, body: str = "") -> None:
        self.notifier.send(session, title=title, body=body, user_id=request.resident_id, dedupe_key=None)

    def _unit_name(self, session: Session, unit_id: int | None) -> str:
        if unit_id is None:
            return "情指中心"
        unit = session.get(Unit, unit_id)
        return unit.name if unit else f"单位#{unit_id}"

    def _handler_phrase(self, session: Session, unit_id: int | None, assignee_id: int | None) -> str:
        unit = self._unit_name(session, unit_id)
        if assignee_id is not None:
            user = session.get(User, assignee_id)
            if user is not None:
                return f"{unit} {user.display_name}"
        return unit

    # -- posting ---------------------------------------------------------------------------------

    def post(self, actor: Actor, body: DeskRequestCreate, uploads: Sequence[Upload] = ()) -> Posted:
        """Take a resident's request: validate, place, limit, route, store, and hand it to its handler.

        Raises BadInput (a named field), RateLimited (floods), Conflict (the same request posted twice).
        A replay with the same `client_ref` returns the first request (`created` False). Nothing is left
        behind when the post fails: not the request, not its files.

        This is the desk's hot path. The checks and the routing read without holding the writer; the
        writes are group-committed: whichever post finds the writer free writes every post waiting at
        that moment in one transaction (and, should that fail, each one alone, so that one bad post
        cannot sink the others). The desk's own rows are plain statements; the task goes through
        `TaskService.create` like any other.
        """
        require_resident(actor)
        files = self.media.check(list(uploads))
        text = body.text.strip()
        if not text and not any(f.kind is MediaKind.AUDIO for f in files):
            raise BadInput("请填写诉求内容或发送语音", field="text", code="empty_text")
        prepared = self._prepare(actor, body, files, text)
        if isinstance(prepared, Posted):
            return prepared
        self._commit(prepared)
        if prepared.error is not None and not isinstance(prepared.error, _NoError):
            raise prepared.error
        assert prepared.result is not None  # set by the writer with done
        return prepared.result

    def _prepare(self, actor: Actor, body: DeskRequestCreate, files: list[CheckedFile], text: str) -> _Pending | Posted:
        now = self.clock.now()
        with self.db.sessions() as session:  # reads only: nothing to commit
            conn = session.connection()
            if body.client_ref is not None:
                replay = self._replay(session, actor.id, body.client_ref)
                if replay is not None:
                    return Posted(replay, False)
            profile = conn.execute(_PROFILE, {"user_id": actor.id}).first()
            if profile is None:
                raise NotFound("未找到群众档案，请重新登录", field="user")
            lon, lat, place = self._place(session, body, Place(profile.station_id, profile.community_id))
            akey = address_key(body.address, lon, lat)
            digest = content_hash(body.category.value, text)
            replay = self._check_floods(session, profile.phone, akey, digest, body.category, now, body.client_ref)
            if replay is not None:  # the same post (same client_ref), committed since the replay check above
                return Posted(replay, False)
            directory = self.directory.snapshot(session)
            decision = resolve(
                choose(directory.rules, body.category, body.topic, place), body.category, place, directory
            )
            if body.officer_id is not None and body.category is not Category.EMERGENCY:
                decision = _to_card_officer(directory, body.officer_id)
            duplicate = self._find_duplicate(session, body.category, text, lon, lat, akey, now)
        learned: dict[str, Any] | None = None
        if profile.station_id is None and place.station_id is not None:
            # The first place we learn for a resident is where their alerts and officer come from.
            learned = {
                "b_user": actor.id,
                "b_station": place.station_id,
                "b_community": place.community_id,
                "b_lon": lon,
                "b_lat": lat,
                "b_now": now,
            }
        values: dict[str, Any] = {
            "resident_id": actor.id,
            "phone": profile.phone,
            "category": body.category,
            "topic": body.topic,
            "text": text,
            "address": body.address,
            "address_key": akey,
            "lon": lon,
            "lat": lat,
            "station_id": place.station_id,
            "community_id": place.community_id,
            "route": decision.route,
            "unit_id": decision.unit_id,
            "suggested_unit_id": decision.suggested_unit_id,
            "handler_id": decision.assignee_id,
            "status": DeskStatus.ISSUED,
            "is_open": True,
            "client_ref": body.client_ref,
            "content_hash": digest,
            "created_at": now,
            "updated_at": now,
            "reply_due_at": reply_due(now, self.rules, emergency=body.category is Category.EMERGENCY),
            "week": iso_week(now, self.zone),
            "media_count": len(files),
            "duplicate_of_id": duplicate.id if duplicate else None,
            "duplicate_score": duplicate.similarity if duplicate else None,
        }
        return _Pending(actor, values, files, decision, directory, learned, self._welcome(values, decision, directory))

    def _commit(self, pending: _Pending) -> None:
        """Group commit: queue the post, then either find it written by another post's writer, or write the
        whole queue."""
        with self._queue_lock:
            self._queue.append(pending)
        with self._writer:
            if pending.done:
                return
            with self._queue_lock:
                batch, self._queue = self._queue, []
            self._write_batch(batch)

    def _write_batch(self, batch: list[_Pending]) -> None:
        stored: list[StoredFile] = []
        try:
            with self.write() as session:
                keys: dict[tuple[int, str], int] = {}
                for pending in batch:
                    self._write_one(session, pending, keys, stored)
                session.flush()
        except BaseException as exc:
            for saved in stored:
                saved.discard()
            for pending in batch:
                pending.result, pending.view, pending.error = None, None, None
            if not isinstance(exc, Exception):  # interrupted: nobody's post was written
                for pending in batch:
                    pending.error, pending.done = exc, True
                raise
            if len(batch) > 1:
                for pending in batch:  # one bad post must not sink the others: each alone
                    self._write_batch([pending])
                return
            batch[0].error = self._refusal(batch[0], exc)
            batch[0].done = True
            return
        for pending in batch:
            pending.done = True

    def _refusal(self, pending: _Pending, exc: BaseException) -> BaseException:
        """What a post that failed to write tells its resident."""
        ref = pending.values["client_ref"]
        if isinstance(exc, IntegrityError):
            if ref is not None:  # a concurrent replay with the same key won the race
                with self.db.session() as session:
                    replay = self._replay(session, pending.actor.id, ref)
                if replay is not None:
                    pending.result = Posted(replay, False)
                    return _NoError()
            return Conflict("诉求提交冲突，请重试", code="conflict")
        return exc

    def _write_one(
        self, session: Session, pending: _Pending, keys: dict[tuple[int, str], int], stored: list[StoredFile]
    ) -> None:
        values = dict(pending.values)
        actor = pending.actor
        # Two posts of one resident in the same batch: a replayed client_ref, or the same text twice.
        for key in ((actor.id, "ref:" + str(values["client_ref"])), (actor.id, "text:" + values["content_hash"])):
            if key in keys and not key[1].endswith(":None"):
                if key[1].startswith("ref:"):
                    pending.result = Posted(keys[key], False)
                else:
                    pending.error = Conflict(
                        f"相同的诉求已提交（编号 {keys[key]}），请勿重复提交。", field="text", code="duplicate_post"
                    )
                return
        conn = session.connection()
        now = values["created_at"]
        request_id = int(conn.execute(_INSERT_REQUEST, values).scalar_one())
        values["id"] = request_id
        keys[(actor.id, "ref:" + str(values["client_ref"]))] = request_id
        keys[(actor.id, "text:" + values["content_hash"])] = request_id
        # The request's deadline comes from the same rule as the task's (`reply_due`); later changes to
        # the task's deadline are copied over by `_sync`.
        self._open_task(session, values, pending.decision, actor, values["duplicate_of_id"])
        if values["category"] is Category.FRAUD:
            # On to the fraud loop once the post has answered: announced in the post's own transaction, so
            # that the report is made (by the outbox worker) exactly when the request exists.
            self.outbox.put(session, FRAUD_REPORT, {"request_id": request_id}, f"{FRAUD_REPORT}:{request_id}", at=now)
        media: list[tuple[int, str, str, int, str | None]] = []
        for file in pending.files:
            saved = self.media.write(file, now)
            stored.append(saved)
            media_id = conn.execute(
                _INSERT_MEDIA,
                {
                    "request_id": request_id,
                    "message_id": None,
                    "owner_id": actor.id,
                    "kind": file.kind,
                    "mime": file.mime,
                    "size": file.size,
                    "sha256": file.sha256,
                    "path": saved.relative,
                    "filename": file.filename,
                    "created_at": now,
                },
            ).scalar_one()
            media.append((int(media_id), file.kind.value, file.mime, file.size, file.filename))
        message_id = conn.execute(
            _INSERT_MESSAGE,
            {
                "request_id": request_id,
                "at": now,
                "author_kind": AuthorKind.SYSTEM,
                "author_id": None,
                "unit_id": None,
                "body": pending.welcome,
                "internal": False,
            },
        ).scalar_one()
        if pending.learned is not None:
            conn.execute(_LEARN_PLACE, pending.learned)
        directory, decision = pending.directory, pending.decision
        pending.view = PostedView(
            values=values,
            unit=directory.unit_name(decision.unit_id),
            officer=directory.officer_name(decision.assignee_id),
            welcome=(int(message_id), now, pending.welcome),
            media=media,
        )
        pending.result = Posted(request_id, True, pending.view)

    @staticmethod
    def _replay(session: Session, resident_id: int, client_ref: str) -> int | None:
        found = session.connection().execute(_REPLAY, {"resident_id": resident_id, "ref": client_ref}).scalar()
        return int(found) if found is not None else None

    def _place(
        self, session: Session, body: DeskRequestCreate, known: Place
    ) -> tuple[float | None, float | None, Place]:
        if body.lon is not None and body.lat is not None:
            return self.places.point(session, body.lon, body.lat, body.crs)
        if body.address:
            found = self.places.address(session, body.address)
            if found is not None:
                return None, None, found
        return None, None, known

    def _check_floods(
        self,
        session: Session,
        phone: str,
        akey: str | None,
        digest: str,
        category: Category,
        now: datetime,
        client_ref: str | None = None,
    ) -> int | None:
        """Refuse floods and the same text posted twice; returns the id of this very post if another request
        carrying it (the same client_ref) was stored meanwhile."""
        r = self.rules
        hint = CALL_110 if category is Category.EMERGENCY else ""
        params = {"phone": phone, "akey": akey, "since": now - timedelta(days=1)}
        query = _FLOODS_BY_PHONE if akey is None else _FLOODS_BY_PHONE_OR_ADDRESS
        rows = session.connection().execute(query, params).all()
        recent = [row for row in rows if row.phone == phone]
        repost_since = now - timedelta(minutes=r.repost_minutes)
        for row in recent:
            if client_ref is not None and row.client_ref == client_ref:
                return int(row.id)
            if row.content_hash == digest and row.created_at > repost_since:
                raise Conflict(
                    f"相同的诉求已提交（编号 {row.id}），请勿重复提交。{hint}", field="text", code="duplicate_post"
                )
        hour = [row.created_at for row in recent if row.created_at > now - timedelta(hours=1)]
        if len(hour) >= r.posts_per_phone_hour:
            wait = max(1, math.ceil((min(hour) + timedelta(hours=1) - now).total_seconds()))
            raise RateLimited(f"提交过于频繁，请稍后再试。{hint}", field="phone", retry_after=wait)
        if len(recent) >= r.posts_per_phone_day:
            wait = max(1, math.ceil((min(row.created_at for row in recent) + timedelta(days=1) - now).total_seconds()))
            raise RateLimited(f"今日提交次数已达上限。{hint}", field="phone", retry_after=wait)
        if akey is not None and len(rows) - len(recent) >= r.posts_per_address_day:
            raise RateLimited(f"该地址今日提交次数已达上限。{hint}", field="address", retry_after=3600)
        return None

    def _find_duplicate(
        self,
        session: Session,
        category: Category,
        text: str,
        lon: float | None,
        lat: float | None,
        akey: str | None,
        now: datetime,
    ) -> Duplicate | None:
        if category is Category.EMERGENCY or not text:
            return None
        r = self.rules
        params: dict[str, Any] = {"category": category, "since": now - timedelta(days=r.duplicate_days)}
        if lon is not None and lat is not None:
            min_lon, min_lat, max_lon, max_lat = bbox(lon, lat, r.duplicate_radius_m)
            params.update(min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)
            rows = session.connection().execute(_DUPS_NEAR, params).all()
        elif akey is not None:
            rows = session.connection().execute(_DUPS_AT_ADDRESS, {**params, "akey": akey}).all()
        else:
            return None
        return best_duplicate(
            text,
            lon,
            lat,
            akey,
            (Candidate(row.id, row.text, row.lon, row.lat, row.address_key, row.created_at) for row in rows),
            radius_m=r.duplicate_radius_m,
            min_similarity=r.duplicate_similarity,
        )

    def _open_task(
        self, session: Session, values: dict[str, Any], decision: Decision, actor: Actor, duplicate_of: int | None
    ) -> Task:
        category: Category = values["category"]
        topic: Topic | None = values["topic"]
        text: str = values["text"]
        name = CATEGORY_NAMES[category] + ("·" + TOPIC_NAMES[topic] if topic is not None else "")
        # Task titles are shown to every unit the task reaches and copied into notifications: they never hold
        # the ID numbers, phones or cards typed into the text (masked before the cut, so none is half shown).
        text = mask_free_text(text)
        excerpt = (text[:40] + ("…" if len(text) > 40 else "")) if text else "（语音）"
        task = self.tasks.create(
            session,
            kind=KIND,
            title=f"【{name}】{excerpt}"[:200],
            ref_type=REF_TYPE,
            ref_id=values["id"],
            area_id=values["station_id"],
            unit_id=decision.unit_id,
            level=EMERGENCY_LEVEL if category is Category.EMERGENCY else None,
            actor_id=actor.id,
            reason=decision.explanation,
            data={
                "route": decision.route.value,
                "rule_id": decision.rule_id,
                "suggested_unit_id": decision.suggested_unit_id,
                "duplicate_of": duplicate_of,
            },
            facts={"resident_id": actor.id},
        )
        if decision.assignee_id is not None:
            task.assignee_id = decision.assignee_id
        return task

    def _welcome(self, values: dict[str, Any], decision: Decision, directory: Snapshot) -> str:
        unit = directory.unit_name(decision.unit_id) or "情指中心"
        officer = directory.officer_name(decision.assignee_id)
        # Display names often carry the unit already ("丹城派出所 王警官"): say it once.
        who = (officer if officer.startswith(unit) else f"{unit} {officer}") if officer else unit
        due_at: datetime | None = values["reply_due_at"]
        due = due_at.astimezone(self.zone).strftime("%m月%d日 %H:%M") if due_at else ""
        if values["category"] is Category.EMERGENCY:
            return f"{CALL_110}您的求助已同步通知{who}和情指中心。"
        if decision.route is Route.TRIAGE:
            return f"您的诉求已受理，情指中心正在研判分派，预计{due}前答复。"
        if decision.route is Route.GOVERNANCE:
            return f"您的诉求属于非警务事项，已分流至{who}处理，处理结果将在此告知。"
        return f"您的诉求已受理，由{who}处理，预计{due}前答复。"

    # -- the fraud loop --------------------------------------------------------------------------

    def report_fraud(self, session: Session, message: Message) -> None:
        """The outbox handler of `FRAUD_REPORT`: runs in the transaction that marks the delivery done."""
        self.forward_fraud(session, [int(message.payload["request_id"])])

    def forward_fraud(self, session: Session, request_ids: Sequence[int]) -> int:
        """Report those of the requests that are suspected fraud and not yet forwarded to the fraud loop, in the
        caller's transaction; each gets `fraud_forwarded_at`, its warning and an internal note. Returns how many
        were forwarded. A repeat reports nothing twice (the fraud loop's event id is the request's)."""
        conn = session.connection()
        pending = conn.execute(
            select(_REQ.c.id, _REQ.c.created_at, _REQ.c.phone, _REQ.c.text, _REQ.c.lon, _REQ.c.lat)
            .where(
                _REQ.c.id.in_(list(request_ids)),
                _REQ.c.category == Category.FRAUD,
                _REQ.c.fraud_forwarded_at.is_(None),
            )
            .order_by(_REQ.c.id)
        ).all()
        if not pending:
            return 0
        leads = [FraudLead(r.id, r.created_at, r.phone, r.text[:4000] or None, r.lon, r.lat) for r in pending]
        outcomes = self.reports.report(session, leads)
        now = self.clock.now()
        done = 0
        for row in pending:
            outcome = outcomes.get(row.id, FraudOutcome())
            marked = conn.execute(
                update(_REQ)
                .where(_REQ.c.id == row.id, _REQ.c.fraud_forwarded_at.is_(None))
                .values(fraud_forwarded_at=now, fraud_warning_id=outcome.warning_id)
            )
            if marked.rowcount != 1:
                continue
            if outcome.refused is not None:
                log.warning("the fraud loop refused desk request %d: %s", row.id, outcome.refused)
                note = f"未能转入反诈预警：{outcome.refused}"
            elif outcome.warning_id is not None:
                note = f"已转反诈中心（预警#{outcome.warning_id}）"
                if outcome.fraud_type_name and outcome.confidence is not None:
                    note += f"；研判类型：{outcome.fraud_type_name}（置信度 {outcome.confidence:.0%}）"
            else:
                note = "已转反诈中心"
            conn.execute(
                _INSERT_MESSAGE,
                {
                    "request_id": row.id,
                    "at": now,
                    "author_kind": AuthorKind.SYSTEM,
                    "author_id": None,
                    "unit_id": None,
                    "body": note,
                    "internal": True,
                },
            )
            done += 1
        return done

    # -- acting on a request: every staff and resident action goes through the task engine ------------

    def visible(self, session: Session, actor: Actor, request: DeskRequest) -> bool:
        """Whether the actor may see the request: the task engine's decision on its task."""
        task = task_of(session, request.id)
        return task is not None and self.tasks.sees(actor, actor_scope(session, actor), task)

    def act(self, actor: Actor, request_id: int, action: str, payload: dict[str, Any]) -> None:
        """One action on a request, decided and applied by the task engine (as `POST /api/v1/tasks/{id}/actions`
        would): the desk's endpoints are aliases of it."""
        with self.write() as session:
            request = session.get(DeskRequest, request_id)
            task = task_of(session, request_id) if request is not None else None
            if task is None:
                raise NotFound("诉求不存在或不在本单位范围内", field="request_id")
            self.tasks.perform(session, actor, actor_scope(session, actor), task, action, payload)

    def sign(self, actor: Actor, request_id: int) -> None:
        self.act(actor, request_id, DeskAction.SIGN, {})

    def assign(self, actor: Actor, request_id: int, assignee_id: int) -> None:
        self.act(actor, request_id, DeskAction.ASSIGN, {"assignee_id": assignee_id})

    def reply(self, actor: Actor, request_id: int, body: str, *, internal: bool = False) -> None:
        """A reply the resident sees (or a staff-only note)."""
        if internal:
            self.act(actor, request_id, DeskAction.NOTE, {"note": body})
        else:
            self.act(actor, request_id, DeskAction.REPLY, {"body": body})

    def reroute(
        self, actor: Actor, request_id: int, unit_id: int, reason: str, *, assignee_id: int | None = None
    ) -> None:
        """Hand the request to another unit (history and reason kept)."""
        self.act(
            actor, request_id, DeskAction.REROUTE, {"unit_id": unit_id, "reason": reason, "assignee_id": assignee_id}
        )

    def divert(self, actor: Actor, request_id: int, reason: str, unit_id: int | None = None) -> None:
        """Send a non-police matter to the governance department (by default the one covering its place)."""
        self.act(actor, request_id, DeskAction.DIVERT, {"unit_id": unit_id, "reason": reason})

    def merge(self, actor: Actor, request_id: int, into_id: int, reason: str | None = None) -> None:
        """Close a duplicate into an open request; its resident follows the other one's answers."""
        self.act(actor, request_id, DeskAction.MERGE, {"into_id": into_id, "reason": reason})

    def close(
        self,
        actor: Actor,
        request_id: int,
        *,
        resolution: str = "resolved",
        answer: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Close: `resolved` after (or with) the final answer; `closed` without one, with a reason."""
        self.act(actor, request_id, DeskAction.CLOSE, {"resolution": resolution, "answer": answer, "reason": reason})

    def follow_up(self, actor: Actor, request_id: int, body: str) -> None:
        self.act(actor, request_id, DeskAction.FOLLOW_UP, {"body": body})

    def open_case(self, actor: Actor, request_id: int, payload: dict[str, Any]) -> CaseRef:
        """已被骗，转立案: open the fraud case of a request whose resident was already defrauded, decided by the
        task engine as every action is. Once per request: if a case was opened already (by this action, on
        reading the request's text, or from its warning's dissuasion), that case is answered and nothing is
        recorded again."""
        try:
            with self.write() as session:
                request = session.get(DeskRequest, request_id)
                task = task_of(session, request_id) if request is not None else None
                if request is None or task is None:
                    raise NotFound("诉求不存在或不在本单位范围内", field="request_id")
                self.tasks.perform(session, actor, actor_scope(session, actor), task, DeskAction.OPEN_CASE, payload)
                ref = self.cases.case_of(session, request.id, request.fraud_warning_id)
                if ref is None:  # pragma: no cover - the check has just opened it
                    raise Conflict("立案未完成，请重试", code="case_not_opened")
                return replace(ref, created=True)
        except CaseExists as found:
            return found.ref
        except IntegrityError:
            # Two clicks at once: the other one opened it (the cases are unique per request).
            with self.db.session() as session:
                request = session.get(DeskRequest, request_id)
                ref = self.cases.case_of(session, request_id, request.fraud_warning_id if request else None)
            if ref is None:
                raise
            return ref

    def case_of(self, session: Session, request: DeskRequest) -> CaseRef | None:
        """The case opened for the request, if any (for the staff view)."""
        return self.cases.case_of(session, request.id, request.fraud_warning_id)

    def _narrative(self, session: Session, request: DeskRequest) -> str:
        """The resident's own words: the request's text and their follow-ups, in order."""
        parts = [request.text.strip()] if request.text and request.text.strip() else []
        parts += [
            body.strip()
            for body in session.scalars(
                select(DeskMessage.body)
                .where(DeskMessage.request_id == request.id, DeskMessage.author_kind == AuthorKind.RESIDENT)
                .order_by(DeskMessage.id)
            )
            if body and body.strip() and body.strip() != (request.text or "").strip()
        ]
        return "\n".join(parts) or "（群众语音留言，笔录待补充）"

    def rate(self, actor: Actor, request_id: int, rating: int, comment: str | None = None) -> None:
        self.act(actor, request_id, DeskAction.RATE, {"rating": rating, "comment": comment})

    # -- what the desk does around each action (checks before, records after) ---------------------------

    def _register_actions(self, tasks: TaskService) -> None:
        tasks.on(KIND, DeskAction.REPLY, effect=self._replied)
        tasks.on(KIND, DeskAction.NOTE, effect=self._noted)
        tasks.on(KIND, DeskAction.REROUTE, check=self._check_reroute, effect=self._rerouted)
        tasks.on(KIND, DeskAction.DIVERT, check=self._check_divert, effect=self._rerouted)
        tasks.on(KIND, DeskAction.MERGE, check=self._check_merge, effect=self._merged)
        tasks.on(KIND, DeskAction.CLOSE, check=self._check_close, effect=self._closed)
        tasks.on(KIND, DeskAction.FOLLOW_UP, check=self._check_open, effect=self._followed_up)
        tasks.on(KIND, DeskAction.RATE, check=self._check_rate, effect=self._rated)
        tasks.on(KIND, DeskAction.OPEN_CASE, check=self._check_open_case, effect=self._case_opened)

    @staticmethod
    def _request(session: Session, task: Task) -> DeskRequest:
        request = session.get(DeskRequest, task.ref_id) if task.ref_type == REF_TYPE else None
        if request is None:
            raise Conflict("任务缺少对应的诉求", code="no_request")
        return request

    def _replied(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        request = self._request(session, task)
        body = str(command.data["body"])
        self._message(session, request, body, kind=AuthorKind.STAFF, author_id=actor.id, unit_id=actor.unit_id)
        self._tell_resident(session, request, "您的诉求有新答复", body[:100])

    def _noted(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        request = self._request(session, task)
        body = command.reason or ""
        self._message(
            session, request, body, kind=AuthorKind.STAFF, author_id=actor.id, unit_id=actor.unit_id, internal=True
        )

    def _check_unit(self, session: Session, request: DeskRequest, unit_id: int, *, divert: bool) -> Unit:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise BadInput("目标单位不存在", field="unit_id")
        if divert and unit.kind is not UnitKind.GOVERNANCE:
            raise BadInput("分流对象须为治理部门", field="unit_id")
        if unit.kind in (UnitKind.BANK, UnitKind.TELECOM):
            raise BadInput("不能转给金融或通信单位", field="unit_id")
        if request.category is Category.EMERGENCY and unit.kind is UnitKind.GOVERNANCE:
            raise BadInput("紧急求助不能分流至治理部门", field="unit_id")
        return unit

    def _check_reroute(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        return self._hand_over(session, task, command, divert=False)

    def _check_divert(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        return self._hand_over(session, task, command, divert=True)

    def _hand_over(self, session: Session, task: Task, command: Command, *, divert: bool) -> Command:
        request = self._request(session, task)
        unit_id = command.data.get("unit_id")
        if unit_id is None:  # a diversion to the governance department covering the request's place
            unit_id = self.directory.snapshot(session).governance_unit(Place(request.station_id, request.community_id))
            if unit_id is None:
                raise BadInput("未配置属地治理部门，请指定 unit_id", field="unit_id")
        unit = self._check_unit(session, request, int(unit_id), divert=divert)
        assignee_id = command.data.get("assignee_id")
        if assignee_id is not None:  # someone of the new unit, checked as any assignment is
            self.tasks.check_assignee(
                session, self.tasks.workflow(KIND), int(assignee_id), unit_id=unit.id, area_id=task.area_id
            )
        route = UNIT_ROUTES.get(unit.kind, Route.UNIT)
        if assignee_id is not None and route is Route.STATION:
            route = Route.OFFICER
        data = {
            **command.data,
            "unit_id": unit.id,
            "assignee_id": assignee_id,
            "from_unit_id": request.unit_id,
            "route": route.value,
            "divert": divert,
        }
        return Command(command.action, command.actor_id, command.reason, data)

    def _rerouted(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        request = self._request(session, task)
        route = Route(str(command.data["route"]))
        unit_id = int(command.data["unit_id"])
        assignee = command.data.get("assignee_id")
        request.route = route
        if request.suggested_unit_id == unit_id:
            request.suggested_unit_id = None
        who = self._handler_phrase(session, unit_id, int(assignee) if assignee is not None else None)
        if route is Route.GOVERNANCE:
            text = f"您的诉求属于非警务事项，已分流至{who}处理，处理结果将在此告知。"
        else:
            text = f"您的诉求已转交{who}处理。"
        self._message(session, request, text)
        self._tell_resident(session, request, "您的诉求已转交", text)
        before = command.data.get("from_unit_id")
        self.notifier.send(
            session,
            title=f"转来诉求：{task.title}",
            body=f"由{self._unit_name(session, int(before) if before is not None else None)}转来，理由：{command.reason}",
            unit_id=unit_id,
            user_id=None,
            task_id=task.id,
        )

    def _check_merge(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        into_id = int(command.data["into_id"])
        if into_id == task.ref_id:
            raise BadInput("不能与自身合并", field="into_id")
        target = session.get(DeskRequest, into_id)
        if target is None or not self.visible(session, actor, target):
            raise NotFound("合并目标不存在或不在本单位范围内", field="into_id")
        if not target.is_open:
            raise Conflict("合并目标已办结", field="into_id", code="target_closed")
        if target.merged_into_id is not None:
            raise Conflict("合并目标本身已被合并", field="into_id", code="target_merged")
        reason = command.reason or f"与诉求#{into_id}重复"
        return Command(command.action, command.actor_id, reason, command.data)

    def _merged(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        request = self._request(session, task)
        into_id = int(command.data["into_id"])
        request.merged_into_id = into_id
        target_task = task_of(session, into_id)
        if target_task is not None:
            self.tasks.act(
                session,
                target_task,
                Command(DeskAction.NOTE, actor.id, f"合并诉求#{request.id}", {"merged_id": request.id}),
            )
        text = f"您的诉求与同类诉求#{into_id}合并处理，处理进展将在此同步告知。"
        self._message(session, request, text)
        self._tell_resident(session, request, "您的诉求已合并处理", text)

    def _check_close(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        answer = command.data.get("answer")
        if answer and task.closed_at is None:
            # The final answer is a reply of its own, before the close, so the history shows both.
            request = self._request(session, task)
            self.tasks.act(session, task, Command(DeskAction.REPLY, actor.id, None, {"final": True}))
            self._message(
                session, request, str(answer), kind=AuthorKind.STAFF, author_id=actor.id, unit_id=actor.unit_id
            )
        data = {k: v for k, v in command.data.items() if k != "answer"}
        return Command(command.action, command.actor_id, command.reason, data)

    def _closed(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        request = self._request(session, task)
        if command.data.get("resolution", Resolution.RESOLVED.value) == Resolution.RESOLVED.value:
            text = f"您的诉求已由{self._unit_name(session, request.unit_id)}办结，欢迎对处理结果进行评价。"
            title = "您的诉求已办结"
        else:
            text = f"您的诉求已关闭：{command.reason}"
            title = "您的诉求已关闭"
        self._message(session, request, text)
        self._tell_resident(session, request, title, text)

    def _check_open(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        if task.closed_at is not None:
            raise Conflict("诉求已办结，如有新问题请重新提交", code="request_closed")
        return command

    def _followed_up(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        request = self._request(session, task)
        body = str(command.data["body"])
        self._message(session, request, body, kind=AuthorKind.RESIDENT, author_id=actor.id)
        if request.unit_id is not None:
            self.notifier.send(
                session, title=f"群众追问：{task.title}", body=body[:100], unit_id=request.unit_id, task_id=task.id
            )

    def _check_open_case(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        request = self._request(session, task)
        found = self.cases.case_of(session, request.id, request.fraud_warning_id)
        if found is not None:
            raise CaseExists(found)
        data = dict(command.data)
        occurred = data.get("occurred_at")
        through_open311 = session.get(Open311Request, request.id) is not None
        ref = self.cases.open(
            session,
            DefraudedRequest(
                request_id=request.id,
                through_open311=through_open311,
                reported_at=request.created_at,
                phone=request.phone,
                area_id=request.station_id,
                loss_fen=int(Decimal(str(data["loss_yuan"])) * 100),
                narrative=str(data.get("narrative") or self._narrative(session, request)),
                fraud_type=str(data["fraud_type"]) if data.get("fraud_type") else None,
                occurred_at=datetime.fromisoformat(str(occurred)) if occurred else None,
                actor_id=actor.id,
                warning_id=request.fraud_warning_id,
            ),
        )
        # The history keeps the case and the loss; the narrative (personal free text) stays on the case.
        kept = {k: v for k, v in data.items() if k != "narrative"}
        return Command(command.action, command.actor_id, command.reason, {**kept, "case_id": ref.case_id})

    def _case_opened(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        request = self._request(session, task)
        case_id = command.data["case_id"]
        loss = Decimal(str(command.data["loss_yuan"]))
        self._message(
            session,
            request,
            f"已被骗，转立案：案件#{case_id}，损失 {loss:.2f} 元",
            kind=AuthorKind.STAFF,
            author_id=actor.id,
            unit_id=actor.unit_id,
            internal=True,
        )
        text = (
            f"您反映的被骗情况已立案（案件编号 {case_id}），民警将依法侦办。"
            "请保留好转账记录、聊天记录、对方账号等证据，如有新情况可在此补充。"
        )
        self._message(session, request, text)
        self._tell_resident(session, request, "您的报案已立案", text)

    def _check_rate(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        request = self._request(session, task)
        if request.rating is not None:
            raise Conflict("已评价过该诉求", field="rating", code="already_rated")
        if request.first_reply_at is None or request.resolution in (Resolution.MERGED, Resolution.CLOSED):
            raise Conflict("诉求答复后才能评价", field="rating", code="not_replied")
        if self.clock.now() > request.first_reply_at + timedelta(days=self.rules.rating_days):
            raise Conflict("已超过评价期限", field="rating", code="rating_expired")
        comment = command.data.get("comment")
        return Command(command.action, command.actor_id, str(comment) if comment else None, command.data)

    def _rated(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        request = self._request(session, task)
        comment = command.data.get("comment")
        request.rating = int(command.data["rating"])
        request.rating_comment = str(comment) if comment else None
        request.rated_at = self.clock.now()

    # -- media -----------------------------------------------------------------------------------

    def media_file(self, session: Session, actor: Actor, media_id: int) -> tuple[Any, str, str | None]:
        """(path, media type, file name) of an upload, for its resident and the staff who may see the request."""
        media = session.get(DeskMedia, media_id)
        request = session.get(DeskRequest, media.request_id) if media is not None else None
        if media is None or request is None or not self.visible(session, actor, request):
            raise NotFound("文件不存在", field="media_id")
        path = self.media.path_of(media.path)
        if not path.is_file():
            raise NotFound("文件已不存在", field="media_id")
        return path, media.mime, media.filename


def _to_card_officer(directory: Snapshot, user_id: int) -> Decision:
    """The request a resident wrote from an officer's card goes to that officer (BadInput if no such card)."""
    card = directory.card(user_id)
    if card is None:
        raise BadInput("该民警暂不接收留言，请重新打开民警名片", field="officer_id", code="unknown_officer")
    return Decision(Route.OFFICER, card.unit_id, card.user_id, explanation=f"群众从民警名片留言，交{card.name}")
