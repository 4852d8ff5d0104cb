"""Read models of the card openings: the flagged ones, masked unless revealed (the caller records the read)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from pingan.core.identifiers import mask_account, mask_id_number, mask_name, mask_phone
from pingan.core.models import Area, Task
from pingan.money.cards.models import CardKind, CardOpening, Verification

Brief = Callable[[Task, datetime], dict[str, Any]]


def opening_view(
    row: CardOpening, station: str | None, task: Task | None, now: datetime, *, brief: Brief, reveal: bool
) -> dict[str, Any]:
    number = (
        row.number if reveal else (mask_phone(row.number) if row.kind is CardKind.SIM else mask_account(row.number))
    )
    phone = row.holder_phone if reveal or row.holder_phone is None else mask_phone(row.holder_phone)
    return {
        "id": row.id,
        "source_kind": row.source_kind.value,
        "source": row.source,
        "source_id": row.source_id,
        "kind": row.kind.value,
        "number": number,
        "opened_at": row.opened_at.isoformat(),
        "holder": {
            "name": row.holder_name if reveal else mask_name(row.holder_name),
            "id_number": row.holder_id_number if reveal else mask_id_number(row.holder_id_number),
            "phone": phone,
            "person_id": row.person_id,
            "masked": not reveal,
        },
        "outlet": {"id": row.outlet_id, "name": row.outlet_name, "lon": row.lon, "lat": row.lat},
        "station_id": row.area_id,
        "station": station,
        "unit_id": row.unit_id,
        "reasons": row.reasons,
        "verification": row.verification.value if row.verification else None,
        "task": brief(task, now) if task is not None else None,
    }


def flagged_openings(
    session: Session,
    now: datetime,
    *,
    brief: Brief,
    scope_clause: ColumnElement[bool] | None = None,
    open_only: bool = False,
    before_id: int | None = None,
    limit: int = 100,
    reveal: bool = False,
) -> list[tuple[CardOpening, dict[str, Any]]]:
    """Flagged openings newest first, with their station and task; `open_only` keeps those not yet verified."""
    query = (
        select(CardOpening, Area.name, Task)
        .outerjoin(Area, Area.id == CardOpening.area_id)
        .outerjoin(Task, Task.id == CardOpening.task_id)
        .where(CardOpening.flagged.is_(True), scope_clause if scope_clause is not None else true())
        .order_by(CardOpening.id.desc())
        .limit(limit)
    )
    if open_only:
        query = query.where(CardOpening.verification.is_(None))
    if before_id is not None:
        query = query.where(CardOpening.id < before_id)
    return [
        (row, opening_view(row, station, task, now, brief=brief, reveal=reveal))
        for row, station, task in session.execute(query)
    ]


def card_figures(session: Session, *, scope_clause: ColumnElement[bool] | None = None) -> dict[str, int]:
    """Openings received, flagged, and the outcomes of their verification (cards cancelled: DESIGN §6)."""
    where = scope_clause if scope_clause is not None else true()
    total = session.scalar(select(func.count()).select_from(CardOpening).where(where)) or 0
    flagged = (
        session.scalar(select(func.count()).select_from(CardOpening).where(where, CardOpening.flagged.is_(True))) or 0
    )
    rows = session.execute(
        select(CardOpening.verification, func.count())
        .where(where, CardOpening.verification.is_not(None))
        .group_by(CardOpening.verification)
    )
    by = {verification: count for verification, count in rows}
    return {
        "openings": int(total),
        "flagged": int(flagged),
        "cancelled": int(by.get(Verification.CANCELLED, 0)),
        "cleared": int(by.get(Verification.CLEARED, 0)),
        "suspect": int(by.get(Verification.SUSPECT, 0)),
    }
