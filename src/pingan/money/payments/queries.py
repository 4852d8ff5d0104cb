"""Read models of payments: an order as shown (masked unless revealed), the lists, and the interception figures
(DESIGN §2A A11, §6: accounts stopped and frozen with their amounts, money returned, per area and period)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from pingan.core.identifiers import mask_account, mask_free_text, mask_name
from pingan.core.models import AccessLog, Area, Task, Unit
from pingan.core.scope import Scope
from pingan.money.payments.models import OrderStatus, PaymentOrder

Brief = Callable[[Task, datetime], dict[str, Any]]


def _yuan(value: int | None) -> str | None:
    return f"{value / 100:.2f}" if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def order_view(
    order: PaymentOrder,
    task: Task | None,
    now: datetime,
    *,
    brief: Brief,
    bank_name: str | None,
    area_name: str | None,
    reveal: bool,
) -> dict[str, Any]:
    """An order as every screen shows it: the account, name and basis masked unless `reveal` (the caller
    records the read)."""
    return {
        "id": order.id,
        "task_id": order.task_id,
        "bank_unit_id": order.bank_unit_id,
        "bank": bank_name,
        "area_id": order.area_id,
        "area": area_name,
        "account": order.account if reveal else mask_account(order.account),
        "account_name": (order.account_name if reveal else mask_name(order.account_name))
        if order.account_name
        else None,
        "masked": not reveal,
        "amount_yuan": _yuan(order.amount_fen),
        "basis": order.basis if reveal else mask_free_text(order.basis, names_and_addresses=True),
        "case_ref": order.case_ref,
        "client_ref": order.client_ref,
        "requested_by": order.requested_by,
        "requested_at": order.requested_at.isoformat(),
        "status": order.status.value,
        "stopped_at": _iso(order.stopped_at),
        "hold_ends_at": _iso(order.hold_ends_at),
        "amount_stopped_yuan": _yuan(order.amount_stopped_fen),
        "amount_withdrawn_yuan": _yuan(order.amount_withdrawn_fen),
        "frozen_at": _iso(order.frozen_at),
        "freeze_ends_at": _iso(order.freeze_ends_at),
        "amount_frozen_yuan": _yuan(order.amount_frozen_fen),
        "renewals": order.renewals,
        "return_due_at": _iso(order.return_due_at),
        "returned_at": _iso(order.returned_at),
        "amount_returned_yuan": _yuan(order.amount_returned_fen),
        "task": brief(task, now) if task is not None else None,
    }


def record_reveal(session: Session, user_id: int, order: PaymentOrder, now: datetime, purpose: str) -> None:
    session.add(
        AccessLog(
            at=now,
            user_id=user_id,
            subject_type="payment_order",
            subject_id=order.id,
            fields="account,account_name,basis",
            purpose=f"{purpose}（止付请求 {order.id}）",
        )
    )


def names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    areas = dict(session.execute(select(Area.id, Area.name)).all())
    return units, areas


def list_orders(
    session: Session,
    visible: ColumnElement[bool],
    *,
    status: OrderStatus | None = None,
    bank_unit_id: int | None = None,
    open_only: bool | None = None,
    case_ref: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[tuple[PaymentOrder, Task]]]:
    """Orders whose task the user sees (`visible`: the task engine's clause), newest first, with the total."""
    query = select(PaymentOrder, Task).join(Task, Task.id == PaymentOrder.task_id).where(visible)
    if status is not None:
        query = query.where(PaymentOrder.status == status)
    if bank_unit_id is not None:
        query = query.where(PaymentOrder.bank_unit_id == bank_unit_id)
    if open_only is not None:
        query = query.where(Task.closed_at.is_(None) if open_only else Task.closed_at.is_not(None))
    if case_ref is not None:
        query = query.where(PaymentOrder.case_ref == case_ref)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(PaymentOrder.id.desc()).limit(limit).offset(offset)).all()
    return int(total), [(o, t) for o, t in rows]


def figures_clause(scope: Scope) -> ColumnElement[bool]:
    """Which orders count in a user's figures: county-wide all; a bank its own; a station its areas."""
    if scope.county_wide:
        return true()
    parts: list[ColumnElement[bool]] = []
    if scope.unit_ids:
        parts.append(PaymentOrder.bank_unit_id.in_(scope.unit_ids))
    if scope.area_ids:
        parts.append(PaymentOrder.area_id.in_(scope.area_ids))
    return or_(*parts) if parts else false()


def figures(
    session: Session, scope: Scope, start: datetime, end: datetime, *, area_id: int | None = None
) -> dict[str, Any]:
    """Interception figures in [start, end): per area and in total, each counted on its own event's time (a stop
    on its stop, a freeze on its freeze, a return on its return), so a period's figures never change later."""
    base = figures_clause(scope)
    if area_id is not None:
        base = and_(base, PaymentOrder.area_id == area_id)

    def within(column: Any) -> ColumnElement[bool]:
        return and_(base, column >= start, column < end)

    areas: dict[int | None, dict[str, int]] = {}

    def row(key: int | None) -> dict[str, int]:
        return areas.setdefault(key, _empty())

    pair = PaymentOrder.bank_unit_id, PaymentOrder.account
    for key, count in session.execute(
        select(PaymentOrder.area_id, func.count())
        .where(within(PaymentOrder.requested_at))
        .group_by(PaymentOrder.area_id)
    ):
        row(key)["requests"] = int(count)
    for key, count, amount in session.execute(
        select(PaymentOrder.area_id, func.count(), func.coalesce(func.sum(PaymentOrder.amount_stopped_fen), 0))
        .where(within(PaymentOrder.stopped_at))
        .group_by(PaymentOrder.area_id)
    ):
        row(key).update(stops=int(count), amount_stopped_yuan=int(amount or 0))
    for key, count, amount in session.execute(
        select(PaymentOrder.area_id, func.count(), func.coalesce(func.sum(PaymentOrder.amount_frozen_fen), 0))
        .where(within(PaymentOrder.frozen_at))
        .group_by(PaymentOrder.area_id)
    ):
        row(key).update(freezes=int(count), amount_frozen_yuan=int(amount or 0))
    for key, count, amount in session.execute(
        select(PaymentOrder.area_id, func.count(), func.coalesce(func.sum(PaymentOrder.amount_returned_fen), 0))
        .where(within(PaymentOrder.returned_at))
        .group_by(PaymentOrder.area_id)
    ):
        row(key).update(returns=int(count), amount_returned_yuan=int(amount or 0))
    # Accounts, not stops: an account stopped twice is one account stopped.
    for column, name in ((PaymentOrder.stopped_at, "accounts_stopped"), (PaymentOrder.frozen_at, "accounts_frozen")):
        distinct = select(PaymentOrder.area_id, *pair).where(within(column)).distinct().subquery()
        for key, count in session.execute(select(distinct.c.area_id, func.count()).group_by(distinct.c.area_id)):
            row(key)[name] = int(count)
    names_by_id = dict(session.execute(select(Area.id, Area.name)).all())
    listed = []
    total = _empty()
    for key in sorted(areas, key=lambda k: (k is None, k or 0)):
        values = areas[key]
        for k, v in values.items():
            total[k] += v
        listed.append(
            {"area_id": key, "area": names_by_id.get(key) if key is not None else "未定辖区", **_money(values)}
        )
    for name, column in (("accounts_stopped", PaymentOrder.stopped_at), ("accounts_frozen", PaymentOrder.frozen_at)):
        distinct = select(*pair).where(within(column)).distinct().subquery()
        total[name] = int(session.scalar(select(func.count()).select_from(distinct)) or 0)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "area_id": area_id,
        "areas": listed,
        "total": _money(total),
    }


def _empty() -> dict[str, int]:
    return {
        "requests": 0,
        "stops": 0,
        "accounts_stopped": 0,
        "amount_stopped_yuan": 0,
        "freezes": 0,
        "accounts_frozen": 0,
        "amount_frozen_yuan": 0,
        "returns": 0,
        "amount_returned_yuan": 0,
    }


def _money(values: dict[str, int]) -> dict[str, Any]:
    """Sums are kept in fen while counting; shown in yuan."""
    return {k: (f"{v / 100:.2f}" if k.startswith("amount_") else v) for k, v in values.items()}
