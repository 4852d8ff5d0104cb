"""Interception figures (A11, DESIGN §6) for any area and period, in one place: numbers blocked, cards
cancelled, accounts stopped and frozen with their amounts, money returned, cases opened, linked and solved,
suspects. Each is counted at its own event's time (a card when its cancellation was recorded, a case solved
when it was solved), so a closed period's figures do not move later.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import Session

from pingan.core.models import Area, Task
from pingan.core.scope import Scope
from pingan.money.cards.models import CardKind, CardOpening, Verification
from pingan.money.models import Case, CaseSuspect
from pingan.money.payments.queries import figures as payment_figures
from pingan.money.ports import WarningFigures

COUNTS = (
    "sim_cancelled",
    "bank_cards_cancelled",
    "cards_cancelled",
    "cases",
    "cases_linked",
    "cases_solved",
    "suspects",
    "suspects_caught",
)
PAYMENTS = (
    "stops",
    "accounts_stopped",
    "amount_stopped_yuan",
    "freezes",
    "accounts_frozen",
    "amount_frozen_yuan",
    "returns",
    "amount_returned_yuan",
)
NAMES = {
    "numbers_blocked": "拦截阻断号码",
    "sim_cancelled": "封停电话卡",
    "bank_cards_cancelled": "注销银行卡",
    "cards_cancelled": "断卡注销合计",
    "stops": "止付次数",
    "accounts_stopped": "止付账户",
    "amount_stopped_yuan": "止付金额（元）",
    "freezes": "冻结次数",
    "accounts_frozen": "冻结账户",
    "amount_frozen_yuan": "冻结金额（元）",
    "returns": "返还笔数",
    "amount_returned_yuan": "返还资金（元）",
    "cases": "立案数",
    "loss_yuan": "损失金额（元）",
    "cases_linked": "串并案件",
    "cases_solved": "破案数",
    "suspects": "嫌疑人",
    "suspects_caught": "抓获嫌疑人",
}
"""Each figure's Chinese name, in the order the screen and the export show them."""


def _areas(scope: Scope, area_id: int | None) -> list[int] | None:
    if area_id is not None:
        return [area_id]
    return None if scope.county_wide else sorted(scope.area_ids)


def interception_figures(
    session: Session,
    scope: Scope,
    start: datetime,
    end: datetime,
    warnings: WarningFigures,
    *,
    area_id: int | None = None,
) -> dict[str, Any]:
    """The A11 figures in [start, end), in total and per area (station). `area_id` narrows to one area (the
    caller has checked the user covers it); a station's user gets their own areas. Numbers blocked come from
    the county's indicator list, which no area owns: they are county-wide, and absent from the per-area rows."""
    areas = _areas(scope, area_id)
    rows: dict[int | None, dict[str, Any]] = {}

    def row(key: int | None) -> dict[str, Any]:
        if key not in rows:
            rows[key] = {**dict.fromkeys(COUNTS, 0), **dict.fromkeys(PAYMENTS, 0), "loss_yuan": Decimal(0)}
        return rows[key]

    def inside(column: Any) -> Any:
        return column.in_(areas) if areas is not None else true()

    # 断卡: openings whose verification cancelled them, counted when the verification closed its task.
    cancelled = session.execute(
        select(CardOpening.area_id, CardOpening.kind, func.count())
        .join(Task, Task.id == CardOpening.task_id)
        .where(
            CardOpening.verification == Verification.CANCELLED,
            Task.closed_at >= start,
            Task.closed_at < end,
            inside(CardOpening.area_id),
        )
        .group_by(CardOpening.area_id, CardOpening.kind)
    )
    for key, kind, n in cancelled:
        r = row(key)
        r["sim_cancelled" if kind == CardKind.SIM else "bank_cards_cancelled"] += int(n)
        r["cards_cancelled"] += int(n)
    # Cases opened in the period, and those of them linked into a cluster of two or more.
    sizes = select(Case.cluster_id, func.count().label("n")).group_by(Case.cluster_id).subquery()
    for key, n, linked, loss in session.execute(
        select(
            Case.area_id,
            func.count(),
            func.coalesce(func.sum(case((sizes.c.n >= 2, 1), else_=0)), 0),
            func.coalesce(func.sum(Case.loss_fen), 0),
        )
        .outerjoin(sizes, sizes.c.cluster_id == Case.cluster_id)
        .where(Case.reported_at >= start, Case.reported_at < end, inside(Case.area_id))
        .group_by(Case.area_id)
    ):
        r = row(key)
        r["cases"] += int(n)
        r["cases_linked"] += int(linked or 0)
        r["loss_yuan"] += Decimal(int(loss or 0)) / 100
    for key, n in session.execute(
        select(Case.area_id, func.count())
        .where(Case.solved_at >= start, Case.solved_at < end, inside(Case.area_id))
        .group_by(Case.area_id)
    ):
        row(key)["cases_solved"] += int(n)
    for key, n, caught in session.execute(
        select(
            CaseSuspect.area_id,
            func.count(),
            func.coalesce(func.sum(case((CaseSuspect.caught.is_(True), 1), else_=0)), 0),
        )
        .where(CaseSuspect.recorded_at >= start, CaseSuspect.recorded_at < end, inside(CaseSuspect.area_id))
        .group_by(CaseSuspect.area_id)
    ):
        r = row(key)
        r["suspects"] += int(n)
        r["suspects_caught"] += int(caught or 0)
    # Stops, freezes and returns as the payments' own figures count them (a bank's liaison is not asked here).
    money = payment_figures(session, scope, start, end, area_id=area_id)
    for item in money["areas"]:
        r = row(item["area_id"])
        for name in PAYMENTS:
            r[name] = item[name]
    total: dict[str, Any] = {**dict.fromkeys(COUNTS, 0), "loss_yuan": Decimal(0)}
    for r in rows.values():
        for name in COUNTS:
            total[name] += r[name]
        total["loss_yuan"] += r["loss_yuan"]
    for name in PAYMENTS:
        total[name] = money["total"][name]  # accounts counted once across areas
    total["numbers_blocked"] = warnings.numbers_blocked(session, start, end)
    by_id = dict(session.execute(select(Area.id, Area.name).where(and_(Area.id.in_([k for k in rows if k])))).all())
    listed = [
        {"area_id": key, "area": by_id.get(key, "未定辖区") if key is not None else "未定辖区", **_shown(r)}
        for key, r in sorted(rows.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    ]
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "area_id": area_id,
        "names": NAMES,
        "total": _shown(total),
        "areas": listed,
    }


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["loss_yuan"] = str(Decimal(values["loss_yuan"]).quantize(Decimal("0.01")))
    return out
