"""The traffic enforcement figures: counts by type, station area, outcome and month, each with the same period
a year before and the change (同比)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from pingan.command.traffic.models import OUTCOME_NAMES, TYPE_NAMES, Outcome, TrafficRecord, ViolationType
from pingan.command.yoy import change, counted, year_earlier
from pingan.core.models import Area

LOCAL = ZoneInfo("Asia/Shanghai")


def _count_by(
    session: Session, column: Any, start: datetime, end: datetime, where: ColumnElement[bool]
) -> dict[Any, int]:
    rows = session.execute(
        select(column, func.count()).where(TrafficRecord.at >= start, TrafficRecord.at < end, where).group_by(column)
    )
    return {key: int(n) for key, n in rows}


def _months(session: Session, start: datetime, end: datetime, where: ColumnElement[bool]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (at,) in session.execute(
        select(TrafficRecord.at).where(TrafficRecord.at >= start, TrafficRecord.at < end, where)
    ):
        key = at.astimezone(LOCAL).strftime("%Y-%m")
        out[key] = out.get(key, 0) + 1
    return out


def traffic_figures(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    scope_clause: ColumnElement[bool] | None = None,
    area_id: int | None = None,
) -> dict[str, Any]:
    """Records in [start, end) and in the same period a year before, by type, area, outcome and month."""
    where = scope_clause if scope_clause is not None else true()
    if area_id is not None:
        where = where & (TrafficRecord.area_id == area_id)
    before_start, before_end = year_earlier(start), year_earlier(end)
    names = dict(session.execute(select(Area.id, Area.name)).all())

    def rows(column: Any, keys: list[Any], label: Any) -> list[dict[str, Any]]:
        counts = counted(lambda s, e: _count_by(session, column, s, e, where), start, end)
        out = []
        for k in keys or counts.keys():
            now, before = counts.of(k)
            out.append({"key": k, "name": label(k), "count": now, "last_year": before, "yoy": change(now, before)})
        return out

    by_type = rows(TrafficRecord.type, list(ViolationType), lambda k: TYPE_NAMES[k])
    by_outcome = rows(TrafficRecord.outcome, list(Outcome), lambda k: OUTCOME_NAMES[k])
    by_area = rows(TrafficRecord.area_id, [], lambda k: names.get(k, "未落地") if k else "未落地")
    for row in (*by_type, *by_outcome):
        row["key"] = str(row["key"].value) if hasattr(row["key"], "value") else row["key"]
    total = sum(r["count"] for r in by_type)
    last_year = sum(r["last_year"] for r in by_type)
    months_now = _months(session, start, end, where)
    months_before = _months(session, before_start, before_end, where)
    months = []
    for key in sorted(months_now):
        year, month = key.split("-")
        prior = f"{int(year) - 1:04d}-{month}"
        months.append(
            {
                "month": key,
                "count": months_now[key],
                "last_year": months_before.get(prior, 0),
                "yoy": change(months_now[key], months_before.get(prior, 0)),
            }
        )
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "last_year_start": before_start.isoformat(),
        "last_year_end": before_end.isoformat(),
        "total": total,
        "last_year": last_year,
        "yoy": change(total, last_year),
        "by_type": by_type,
        "by_area": sorted(by_area, key=lambda r: -r["count"]),
        "by_outcome": by_outcome,
        "by_month": months,
    }
