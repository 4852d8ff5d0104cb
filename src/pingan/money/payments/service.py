"""The use cases of stop-payment orders: the police send a stop to a bank, both sides act on the order through
the task engine (the one access decision), and the system lapses holds and freezes and reminds before a
freeze ends, through the outbox (scheduled rows: a crash or a restart loses none of them).

Each mutation is one transaction; on SQLite, writes are serialised with the database's write lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, Conflict, Forbidden, NotFound, Unavailable
from pingan.core.identifiers import mask_account
from pingan.core.identity import Actor
from pingan.core.models import Area, Task, Unit, UnitKind, User
from pingan.core.notify import Notifier
from pingan.core.outbox import Message, Outbox
from pingan.core.scope import Scope, scope_of
from pingan.core.tasks import Command, TaskService
from pingan.money.payments.calendar import WorkingCalendar
from pingan.money.payments.models import OrderStatus, PaymentOrder
from pingan.money.payments.rules import PaymentRules, freeze_reminders, stop_refusal
from pingan.money.payments.schemas import StopCreate, fen
from pingan.money.payments.workflow import KIND, POLICE_ROLES, REF_TYPE, Action

LAPSE = "payments.lapse"
"""Outbox kind: a hold or a freeze runs out (payload: order_id, until), delivered at that instant."""
REMIND = "payments.remind"
"""Outbox kind: a freeze ends in `days` days (payload: order_id, until, days)."""
NOT_VISIBLE = "止付请求不存在或不在本单位范围内"
COUNTED_OUT = frozenset({OrderStatus.NOT_FOUND})
"""A stop the bank could not apply (no such account) does not count toward the account's limit."""


def _instant(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Created:
    order_id: int
    task_id: int
    replayed: bool


class PaymentService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: PaymentRules,
        calendar: WorkingCalendar,
        tasks: TaskService,
        notifier: Notifier,
        outbox: Outbox,
    ) -> None:
        self.db = db
        self.calendar = calendar
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.notifier = notifier
        self.outbox = outbox
        tasks.listen(KIND, self._sync)
        outbox.register(LAPSE, self.deliver_lapse)
        outbox.register(REMIND, self.deliver_reminder)

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        try:
            with self.db.write_lock, self.db.session() as session:
                yield session
        except StaleDataError:
            raise Conflict("止付请求已被他人更新，请刷新后重试", code="stale") from None
        except OperationalError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise Unavailable("系统繁忙，请稍后重试") from None
            raise

    @staticmethod
    def scope(session: Session, actor: Actor) -> Scope:
        user = session.get(User, actor.id)
        if user is None:
            raise Forbidden("用户不存在")
        return scope_of(session, user)

    # -- a stop is sent --------------------------------------------------------------------------------

    def request_stop(self, actor: Actor, body: StopCreate) -> Created:
        """An emergency stop to a bank: an order and its task, held by the bank's unit.

        Raises Forbidden (not a police role), BadInput (no such bank or area, named), Conflict `stop_limit`
        naming `account` (the account has had the stops the rules allow)."""
        if actor.role not in POLICE_ROLES:
            raise Forbidden("仅限公安机关下达紧急止付")
        with self.write() as session:
            if body.client_ref is not None:
                known = session.scalar(select(PaymentOrder).where(PaymentOrder.client_ref == body.client_ref))
                if known is not None:
                    if known.requested_by != actor.id:
                        raise Conflict("该请求编号已被使用", field="client_ref", code="client_ref_taken")
                    return Created(known.id, known.task_id or 0, True)
            # The bank's row, locked on PostgreSQL, so that two stops on one account are counted one after the
            # other (SQLite writes are serialised by the write lock already).
            bank = session.get(Unit, body.bank_unit_id, with_for_update=True)
            if bank is None or bank.kind is not UnitKind.BANK:
                raise BadInput("银行不存在", field="bank_unit_id", code="no_such_bank")
            area_id = body.area_id if body.area_id is not None else self._actor_area(session, actor)
            if body.area_id is not None and session.get(Area, body.area_id) is None:
                raise BadInput("辖区不存在", field="area_id", code="no_such_area")
            scope = self.scope(session, actor)
            # Station staff send stops for their own jurisdiction only (they follow the order there).
            if not scope.county_wide and (area_id is None or area_id not in scope.area_ids):
                raise Forbidden("只能为本单位辖区的受害人发起止付", field="area_id", code="other_area")
            before = session.scalar(
                select(func.count())
                .select_from(PaymentOrder)
                .where(
                    PaymentOrder.bank_unit_id == bank.id,
                    PaymentOrder.account == body.account,
                    PaymentOrder.status.not_in(list(COUNTED_OUT)),
                )
            )
            refusal = stop_refusal(int(before or 0), self.rules)
            if refusal is not None:
                raise Conflict(refusal, field="account", code="stop_limit")
            now = self.clock.now()
            order = PaymentOrder(
                client_ref=body.client_ref,
                bank_unit_id=bank.id,
                account=body.account,
                account_name=body.account_name,
                amount_fen=fen(body.amount_yuan),
                basis=body.basis,
                case_ref=body.case_ref,
                area_id=area_id,
                requested_by=actor.id,
                requested_at=now,
                status=OrderStatus.ISSUED,
                renewals=0,
                updated_at=now,
            )
            session.add(order)
            session.flush()
            task = self.tasks.create(
                session,
                kind=KIND,
                title=f"紧急止付 {bank.name} {mask_account(body.account)} {body.amount_yuan} 元",
                ref_type=REF_TYPE,
                ref_id=order.id,
                area_id=area_id,
                unit_id=bank.id,
                actor_id=actor.id,
                facts={"order_id": order.id, "case_ref": body.case_ref},
            )
            order.task_id = task.id
            return Created(order.id, task.id, False)

    @staticmethod
    def _actor_area(session: Session, actor: Actor) -> int | None:
        unit = session.get(Unit, actor.unit_id) if actor.unit_id is not None else None
        return unit.area_id if unit is not None else None

    # -- acting on an order --------------------------------------------------------------------------------

    def task_of(self, session: Session, actor: Actor, order_id: int) -> tuple[PaymentOrder, Task, Scope]:
        """The order and its task, if the actor may see it (the task engine's decision); NotFound otherwise."""
        scope = self.scope(session, actor)
        order = session.get(PaymentOrder, order_id)
        task = session.get(Task, order.task_id) if order is not None and order.task_id is not None else None
        if order is None or task is None or not self.tasks.sees(actor, scope, task):
            raise NotFound(NOT_VISIBLE, field="order_id")
        return order, task, scope

    def act(self, actor: Actor, order_id: int, action: str, payload: dict[str, Any]) -> None:
        """One action on an order, as `POST /api/v1/tasks/{id}/actions` would do it."""
        with self.write() as session:
            _order, task, scope = self.task_of(session, actor, order_id)
            self.tasks.perform(session, actor, scope, task, action, payload)

    # -- keeping the row in step, and scheduling what runs out ---------------------------------------------

    def _sync(self, session: Session, task: Task, command: Command) -> None:
        if task.ref_type != REF_TYPE:
            return
        order = session.get(PaymentOrder, task.ref_id)
        if order is None:
            return
        facts = task.facts or {}
        before_hold, before_freeze = order.hold_ends_at, order.freeze_ends_at
        order.status = OrderStatus(task.status)
        for name in ("stopped_at", "hold_ends_at", "frozen_at", "freeze_ends_at", "return_due_at", "returned_at"):
            value = _instant(facts.get(name))
            setattr(order, name, _parse(value) if value else None)
        order.amount_stopped_fen = _int(facts.get("amount_stopped_fen"))
        order.amount_withdrawn_fen = _int(facts.get("amount_withdrawn_fen"))
        order.amount_frozen_fen = _int(facts.get("amount_frozen_fen"))
        order.amount_returned_fen = _int(facts.get("amount_returned_fen"))
        order.renewals = _int(facts.get("renewals")) or 0
        order.updated_at = self.clock.now()
        now = self.clock.now()
        if order.status is OrderStatus.HELD and order.hold_ends_at is not None and order.hold_ends_at != before_hold:
            self._schedule_lapse(session, order.id, order.hold_ends_at)
        if (
            order.status is OrderStatus.FROZEN
            and order.freeze_ends_at is not None
            and order.freeze_ends_at != before_freeze
        ):
            self._schedule_lapse(session, order.id, order.freeze_ends_at)
            for days, at in freeze_reminders(order.freeze_ends_at, now, self.rules):
                until = order.freeze_ends_at.isoformat()
                self.outbox.put(
                    session,
                    REMIND,
                    {"order_id": order.id, "until": until, "days": days},
                    f"{REMIND}:{order.id}:{until}:{days}",
                    at=at,
                )

    def _schedule_lapse(self, session: Session, order_id: int, until: datetime) -> None:
        stamp = until.isoformat()
        self.outbox.put(session, LAPSE, {"order_id": order_id, "until": stamp}, f"{LAPSE}:{order_id}:{stamp}", at=until)

    def _current(self, session: Session, message: Message) -> tuple[PaymentOrder, Task] | None:
        """The order the message is about, if what it announced still stands (not renewed, frozen or closed)."""
        order = session.get(PaymentOrder, int(message.payload["order_id"]))
        task = session.get(Task, order.task_id) if order is not None and order.task_id is not None else None
        if order is None or task is None or task.closed_at is not None:
            return None
        until = _parse(str(message.payload["until"]))
        if order.status in (OrderStatus.HELD, OrderStatus.FREEZE_ORDERED) and order.hold_ends_at == until:
            return order, task
        if order.status in (OrderStatus.FROZEN, OrderStatus.RENEWAL_ORDERED) and order.freeze_ends_at == until:
            return order, task
        return None

    def deliver_lapse(self, session: Session, message: Message) -> None:
        """The outbox's handler: a hold or a freeze ran out (unless frozen, renewed or closed meanwhile)."""
        current = self._current(session, message)
        if current is None:
            return
        _order, task = current
        self.tasks.act(session, task, Command(Action.LAPSE, None, None, {}))
        for unit_id in (task.unit_id, *self.notifier.units_of_kinds(session, (UnitKind.ANTI_FRAUD_CENTRE,))):
            if unit_id is not None:
                self.notifier.send(
                    session, title=f"{self._status_name(task)}：{task.title}", unit_id=unit_id, task_id=task.id
                )

    def deliver_reminder(self, session: Session, message: Message) -> None:
        """The outbox's handler: tell the bank and the centre that a freeze ends in so many days."""
        current = self._current(session, message)
        if current is None:
            return
        _order, task = current
        days = int(message.payload["days"])
        title = f"冻结将于 {days} 天后到期，请及时续冻：{task.title}"
        for unit_id in (task.unit_id, *self.notifier.units_of_kinds(session, (UnitKind.ANTI_FRAUD_CENTRE,))):
            if unit_id is not None:
                self.notifier.send(
                    session,
                    title=title,
                    unit_id=unit_id,
                    task_id=task.id,
                    dedupe_key=f"{message.key or message.id}:{unit_id}",
                )

    def _status_name(self, task: Task) -> str:
        return self.tasks.status_name(task.kind, task.status) or task.status


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
