"""Payments' HTTP edge: stop-payment orders to banks, their freezes and returns, the interception figures and
the working-day calendar (under /api/v1/payments), and the bank systems' API (under /api/v1/payments/bank).

A bank's liaison and a bank's system sign in the same way (`POST /api/v1/auth/token` as a user of role
`partner` whose unit is the bank) and see only their own bank's orders: another bank's is a 404. Every
action goes through the task engine, so these endpoints and `POST /api/v1/tasks/{id}/actions` give one answer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Path, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.api.deps import BearerToken, CurrentUser, ScopeDep, ServicesDep, SessionDep, figure_period, key_or_user
from pingan.api.routes.core import TaskActionIn
from pingan.bootstrap import Services
from pingan.core.errors import Forbidden
from pingan.core.fields import DbId
from pingan.core.identity import Actor
from pingan.core.models import Role, Unit, UnitKind, User
from pingan.core.scope import REVEAL_ROLES, scope_of
from pingan.money.payments.calendar import add_working_days
from pingan.money.payments.keys import user_of_key
from pingan.money.payments.models import OrderStatus
from pingan.money.payments.queries import figures as payment_figures
from pingan.money.payments.queries import list_orders, names, order_view, record_reveal
from pingan.money.payments.schemas import AnswerPayload, FreezePayload, ReturnedPayload, StopCreate
from pingan.money.payments.workflow import STAFF_ROLES, Action

router = APIRouter(prefix="/payments", tags=["payments"])
bank = APIRouter(prefix="/payments/bank", tags=["payments: bank systems"])

PAYMENT_REVEAL_ROLES = REVEAL_ROLES | {Role.PARTNER}
"""The bank needs its customer's account number to act on it; the read is recorded all the same."""


def register(app: FastAPI) -> None:
    for r in (router, bank):
        app.include_router(r, prefix="/api/v1")


def _staff(user: User) -> Actor:
    if user.role not in STAFF_ROLES:
        raise Forbidden("当前角色不能查看止付冻结")
    return Actor.of(user)


def _partner(user: User) -> Actor:
    if user.role is not Role.PARTNER or user.unit_id is None:
        raise Forbidden("仅限银行账号调用")
    return Actor.of(user)


def _view(
    services: Services, session: Session, actor: Actor, order_id: int, *, reveal: bool = False, purpose: str = ""
) -> dict[str, Any]:
    order, task, scope = services.payments.task_of(session, actor, order_id)
    now = services.clock.now()
    if reveal:
        if actor.role not in PAYMENT_REVEAL_ROLES:
            raise Forbidden("当前角色不能查看完整账户信息", field="reveal")
        record_reveal(session, actor.id, order, now, purpose or "止付冻结")
        session.commit()
    units, areas = names(session)
    view = order_view(
        order,
        task,
        now,
        brief=services.tasks.brief,
        bank_name=units.get(order.bank_unit_id),
        area_name=areas.get(order.area_id) if order.area_id else None,
        reveal=reveal,
    )
    view["allowed_actions"] = sorted(services.tasks.permitted(actor, scope, task))
    return view


# -- the police and the centre ----------------------------------------------------------------------------


@router.get("/banks")
def list_banks(session: SessionDep, user: CurrentUser) -> list[dict[str, Any]]:
    """The banks a stop may be sent to (partner units of kind bank)."""
    _staff(user)
    rows = session.execute(select(Unit.id, Unit.code, Unit.name).where(Unit.kind == UnitKind.BANK).order_by(Unit.name))
    return [{"id": i, "code": c, "name": n} for i, c, n in rows]


@router.post("/stops", status_code=201, response_model=None)
def request_stop(services: ServicesDep, session: SessionDep, user: CurrentUser, body: StopCreate) -> JSONResponse:
    """An emergency stop (紧急止付) to a bank: 201 with the order, or 200 with the first one when `client_ref`
    was sent before. A third stop on one account is refused (409 `stop_limit`, field `account`)."""
    actor = Actor.of(user)
    created = services.payments.request_stop(actor, body)
    view = _view(services, session, actor, created.order_id)
    return JSONResponse(view, status_code=200 if created.replayed else 201)


@router.get("/orders")
def orders(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    status: OrderStatus | None = None,
    bank_unit_id: DbId | None = None,
    open_only: Annotated[bool | None, Query(alias="open")] = None,
    case_ref: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Orders the user sees (a bank: its own), newest first, masked; `{total, items}`."""
    actor = _staff(user)
    total, rows = list_orders(
        session,
        services.tasks.visible_clause(scope),
        status=status,
        bank_unit_id=bank_unit_id,
        open_only=open_only,
        case_ref=case_ref,
        limit=limit,
        offset=offset,
    )
    now = services.clock.now()
    units, areas = names(session)
    items = []
    for order, task in rows:
        view = order_view(
            order,
            task,
            now,
            brief=services.tasks.brief,
            bank_name=units.get(order.bank_unit_id),
            area_name=areas.get(order.area_id) if order.area_id else None,
            reveal=False,
        )
        view["allowed_actions"] = sorted(services.tasks.permitted(actor, scope, task))
        items.append(view)
    return {"total": total, "items": items}


@router.get("/orders/{order_id}")
def get_order(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    order_id: DbId,
    reveal: Annotated[bool, Query(description="Show the account unmasked (the read is recorded).")] = False,
    purpose: Annotated[str, Query(max_length=200)] = "止付冻结",
) -> dict[str, Any]:
    return _view(services, session, _staff(user), order_id, reveal=reveal, purpose=purpose)


@router.post("/orders/{order_id}/actions")
def act_on_order(
    services: ServicesDep, session: SessionDep, user: CurrentUser, order_id: DbId, body: Annotated[TaskActionIn, Body()]
) -> dict[str, Any]:
    """`{"action": …, …payload}`: the bank's `answer {result, amount_stopped_yuan}`, `freeze
    {amount_frozen_yuan}`, `renew`, `confirm_return {amount_returned_yuan}`; the police's `order_freeze {basis}`,
    `order_renewal {basis}`, `order_return {amount_yuan, basis}`; every kind's assign, note, close, reopen."""
    actor = _staff(user)
    services.payments.act(actor, order_id, body.action, dict(body.model_extra or {}))
    return _view(services, session, actor, order_id)


@router.get("/figures")
def figures(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    area_id: DbId | None = None,
) -> dict[str, Any]:
    """Accounts stopped and frozen with their amounts, money returned (A11), per area, in [start, end)."""
    _staff(user)
    start_at, end_at = figure_period(services, start, end)
    return payment_figures(session, scope, start_at, end_at, area_id=area_id)


@router.get("/calendar/{year}")
def calendar_year(
    services: ServicesDep, user: CurrentUser, year: Annotated[int, Path(ge=1900, le=2200)]
) -> dict[str, Any]:
    """One year's holidays and make-up working days, and where they come from (the package or the county)."""
    _staff(user)
    days = services.payments.calendar.year(year)
    return {
        "year": year,
        "source": days.source,
        "holidays": sorted(d.isoformat() for d in days.holidays),
        "workdays": sorted(d.isoformat() for d in days.workdays),
    }


@router.get("/working-days")
def working_days(
    services: ServicesDep,
    user: CurrentUser,
    start: Annotated[date | None, Query(description="Default: today in the county's time zone.")] = None,
    days: Annotated[int, Query(ge=1, le=60)] = 3,
) -> dict[str, Any]:
    """The `days`-th working day after `start` (503 `calendar_year_unknown` naming the year no calendar covers)."""
    _staff(user)
    if start is None:
        start = services.clock.now().astimezone(services.payments.rules.zone).date()
    return {
        "start": start.isoformat(),
        "days": days,
        "last_day": add_working_days(start, days, services.payments.calendar).isoformat(),
    }


# -- the bank systems ----------------------------------------------------------------------------------


def get_bank_caller(
    services: ServicesDep,
    session: SessionDep,
    token: BearerToken,
    key: Annotated[
        str | None,
        Header(
            alias="X-Bank-Key", max_length=100, description="A bank system's key (`pingan payments bank-key create`)."
        ),
    ] = None,
) -> User:
    """The caller of the bank API: the account of a bank system's key (`X-Bank-Key`), or a signed-in user."""
    return key_or_user(services, session, token, key, user_of_key, "银行接口密钥无效或已吊销")


BankCaller = Annotated[User, Depends(get_bank_caller)]


@bank.get("/requests")
def bank_requests(
    services: ServicesDep,
    session: SessionDep,
    user: BankCaller,
    open_only: Annotated[bool | None, Query(alias="open")] = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """This bank's orders (masked; `GET …/requests/{id}` gives the account, recorded), newest first."""
    _partner(user)
    return orders(services, session, user, scope_of(session, user), None, None, open_only, None, limit, offset)


@bank.get("/requests/{order_id}")
def bank_request(services: ServicesDep, session: SessionDep, user: BankCaller, order_id: DbId) -> dict[str, Any]:
    """One order of this bank with the account unmasked (the read is recorded in the access log)."""
    return _view(services, session, _partner(user), order_id, reveal=True, purpose="银行处置止付冻结")


def _bank_act(
    services: Services, session: Session, user: User, order_id: int, action: str, body: Any
) -> dict[str, Any]:
    actor = _partner(user)
    services.payments.act(actor, order_id, action, body.model_dump(mode="json", exclude_none=True))
    return _view(services, session, actor, order_id)


@bank.post("/requests/{order_id}/answer")
def bank_answer(
    services: ServicesDep, session: SessionDep, user: BankCaller, order_id: DbId, body: AnswerPayload
) -> dict[str, Any]:
    """The stop's result: `stopped` (with `amount_stopped_yuan`), `withdrawn` or `not_found`."""
    return _bank_act(services, session, user, order_id, Action.ANSWER, body)


@bank.post("/requests/{order_id}/freeze")
def bank_freeze(
    services: ServicesDep, session: SessionDep, user: BankCaller, order_id: DbId, body: FreezePayload
) -> dict[str, Any]:
    return _bank_act(services, session, user, order_id, Action.FREEZE, body)


@bank.post("/requests/{order_id}/renew")
def bank_renew(services: ServicesDep, session: SessionDep, user: BankCaller, order_id: DbId) -> dict[str, Any]:
    actor = _partner(user)
    services.payments.act(actor, order_id, Action.RENEW, {})
    return _view(services, session, actor, order_id)


@bank.post("/requests/{order_id}/return")
def bank_return(
    services: ServicesDep, session: SessionDep, user: BankCaller, order_id: DbId, body: ReturnedPayload
) -> dict[str, Any]:
    return _bank_act(services, session, user, order_id, Action.CONFIRM_RETURN, body)
