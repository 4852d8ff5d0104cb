"""The desk's figures (DESIGN §6, B6): volume, 答复及时率, satisfaction and a comparable score per officer
and per unit; the county totals (residents, requests, pushes); hot topics by area and week."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import Session

from pingan.core.models import Area, Unit, User
from pingan.core.scope import Scope
from pingan.core.series import Bucket, bucket_index
from pingan.desk.models import DeskPush, DeskRequest, DeskResident, Resolution
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.hours import iso_week
from pingan.desk.rules.kinds import CATEGORY_NAMES, TOPIC_NAMES, Category, Topic
from pingan.desk.rules.scoring import (
    SATISFIED_FROM,
    Tally,
    mean_rating,
    resolution_rate,
    rounded,
    satisfaction_rate,
    score,
    timeliness,
)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


def _tally_columns(now: datetime) -> tuple[Any, ...]:
    r = DeskRequest
    late = and_(r.first_reply_at.is_(None), r.reply_due_at.is_not(None), r.reply_due_at < now)
    return (
        func.count(r.id).label("total"),
        func.coalesce(func.sum(case((r.first_reply_at.is_not(None), 1), else_=0)), 0).label("replied"),
        func.coalesce(func.sum(case((r.replied_on_time.is_(True), 1), else_=0)), 0).label("on_time"),
        func.coalesce(func.sum(case((late, 1), else_=0)), 0).label("late_unreplied"),
        func.coalesce(func.sum(case((r.resolution == Resolution.RESOLVED, 1), else_=0)), 0).label("resolved"),
        func.count(r.rating).label("ratings"),
        func.coalesce(func.sum(r.rating), 0).label("rating_sum"),
        func.coalesce(func.sum(case((r.rating >= SATISFIED_FROM, 1), else_=0)), 0).label("satisfied"),
    )


def _tally(row: Any) -> Tally:
    return Tally(
        int(row.total),
        int(row.replied),
        int(row.on_time),
        int(row.late_unreplied),
        int(row.resolved),
        int(row.ratings),
        int(row.rating_sum),
        int(row.satisfied),
    )


def _figures(t: Tally, rules: DeskRules, prior: float | None) -> dict[str, Any]:
    return {
        "requests": t.total,
        "replied": t.replied,
        "replied_on_time": t.on_time,
        "late_unreplied": t.late_unreplied,
        "reply_timeliness": rounded(timeliness(t)),
        "resolved": t.resolved,
        "resolution_rate": rounded(resolution_rate(t)),
        "ratings": t.ratings,
        "mean_rating": rounded(mean_rating(t), 2),
        "satisfaction": rounded(satisfaction_rate(t)),
        "score": score(t, rules.score, prior),
    }


def desk_figures(
    session: Session,
    period: Period,
    now: datetime,
    rules: DeskRules,
    *,
    scope: ColumnElement[bool] | None = None,
    within: Scope | None = None,
    merged: bool = False,
) -> dict[str, Any]:
    """Figures of the requests that arrived in `period` (merged duplicates left out unless `merged`).

    `scope` limits them to the user's jurisdiction; `within` (the user's scope, None for county-wide roles)
    limits the residents to those living in its stations and the pushes to those its units' staff sent. Officers are credited with the requests they handle
    (the task's assignee); units with those they handle now. The score is comparable: satisfaction is
    pulled toward the county mean (see `pingan.desk.rules.scoring.score`).
    """
    r = DeskRequest
    conds: list[ColumnElement[bool]] = [r.created_at >= period.start, r.created_at < period.end]
    if not merged:
        conds.append(r.merged_into_id.is_(None))
    if scope is not None:
        conds.append(scope)
    where = and_(*conds)
    cols = _tally_columns(now)
    county = _tally(session.execute(select(*cols).where(where)).one())
    prior = mean_rating(county)
    by_unit = {
        row.unit_id: _tally(row) for row in session.execute(select(r.unit_id, *cols).where(where).group_by(r.unit_id))
    }
    by_officer = {
        row.handler_id: _tally(row)
        for row in session.execute(
            select(r.handler_id, *cols).where(where, r.handler_id.is_not(None)).group_by(r.handler_id)
        )
    }
    units = (
        {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_({k for k in by_unit if k is not None})))}
        if by_unit
        else {}
    )
    officers = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(set(by_officer))))} if by_officer else {}
    )
    per_unit = sorted(
        (
            {
                "unit_id": unit_id,
                "unit": units[unit_id].name if unit_id in units else "未分派",
                "kind": units[unit_id].kind.value if unit_id in units else None,
                **_figures(t, rules, prior),
            }
            for unit_id, t in by_unit.items()
        ),
        key=lambda x: (-(x["score"] or -1), -x["requests"]),
    )
    per_officer = sorted(
        (
            {
                "user_id": user_id,
                "name": officers[user_id].display_name if user_id in officers else f"#{user_id}",
                "unit_id": officers[user_id].unit_id if user_id in officers else None,
                **_figures(t, rules, prior),
            }
            for user_id, t in by_officer.items()
        ),
        key=lambda x: (-(x["score"] or -1), -x["requests"]),
    )
    for rank, row in enumerate(per_unit, start=1):
        row["rank"] = rank
    for rank, row in enumerate(per_officer, start=1):
        row["rank"] = rank
    by_category = dict(session.execute(select(r.category, func.count()).where(where).group_by(r.category)).all())
    living: ColumnElement[bool] = true()
    sent: ColumnElement[bool] = true()
    if within is not None and not within.county_wide:
        living = DeskResident.station_id.in_(within.area_ids)
        sent = DeskPush.created_by.in_(select(User.id).where(User.unit_id.in_(within.unit_ids)))
    residents = session.scalar(
        select(func.count()).select_from(DeskResident).where(DeskResident.registered_at < period.end, living)
    )
    new_residents = session.scalar(
        select(func.count())
        .select_from(DeskResident)
        .where(DeskResident.registered_at >= period.start, DeskResident.registered_at < period.end, living)
    )
    pushes = session.execute(
        select(func.count(DeskPush.id), func.coalesce(func.sum(DeskPush.delivered), 0)).where(
            DeskPush.created_at >= period.start, DeskPush.created_at < period.end, sent
        )
    ).one()
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "registered_residents": residents or 0,
        "new_residents": new_residents or 0,
        "pushes": int(pushes[0]),
        "push_messages_delivered": int(pushes[1]),
        **_figures(county, rules, prior),
        "by_category": {(k.value if isinstance(k, Category) else str(k)): v for k, v in by_category.items()},
        "per_unit": per_unit,
        "per_officer": per_officer,
    }


def group_evaluation(
    session: Session,
    period: Period,
    now: datetime,
    rules: DeskRules,
    groups: Mapping[int, Collection[int]],
    within: Collection[int] | None = None,
) -> dict[int, dict[str, Any]]:
    """The desk's evaluation of groups of units (a key, its members' unit ids) for the requests that arrived
    in `period`: each group's requests summed (a station alone; a county bureau with every unit of its
    county), scored against the mean rating of the requests `within` those units (None: every request, as
    `desk_figures` does). Groups whose members held no request are left out."""
    r = DeskRequest
    conds: list[ColumnElement[bool]] = [r.created_at >= period.start, r.created_at < period.end]
    conds.append(r.merged_into_id.is_(None))
    if within is not None:
        conds.append(r.unit_id.in_(sorted(within)))
    where = and_(*conds)
    cols = _tally_columns(now)
    prior = mean_rating(_tally(session.execute(select(*cols).where(where)).one()))
    by_unit = {
        int(row.unit_id): _tally(row)
        for row in session.execute(select(r.unit_id, *cols).where(where, r.unit_id.is_not(None)).group_by(r.unit_id))
    }
    out: dict[int, dict[str, Any]] = {}
    for key, members in groups.items():
        found = [by_unit[m] for m in members if m in by_unit]
        if not found:
            continue
        total = sum(found[1:], found[0])
        out[key] = {"unit_id": key, **_figures(total, rules, prior)}
    return out


def hot_topics(
    session: Session,
    period: Period,
    zone: ZoneInfo,
    *,
    scope: ColumnElement[bool] | None = None,
    station_ids: Collection[int] | None = None,
    top: int = 5,
) -> dict[str, Any]:
    """Requests by local ISO week, station and (category, topic): each area's top topics per week, and the
    county's, with the change from the week before."""
    r = DeskRequest
    weeks = _weeks(period, zone)
    conds: list[ColumnElement[bool]] = [r.week.in_(weeks), r.created_at >= period.start, r.created_at < period.end]
    if scope is not None:
        conds.append(scope)
    if station_ids:
        conds.append(r.station_id.in_(list(station_ids)))
    rows = session.execute(
        select(r.week, r.station_id, r.category, r.topic, func.count())
        .where(and_(*conds))
        .group_by(r.week, r.station_id, r.category, r.topic)
    ).all()
    names = (
        dict(session.execute(select(Area.id, Area.name).where(Area.id.in_({x[1] for x in rows if x[1]}))).all())
        if rows
        else {}
    )
    county: dict[str, dict[tuple[Category, Topic | None], int]] = defaultdict(lambda: defaultdict(int))
    areas: dict[int | None, dict[str, dict[tuple[Category, Topic | None], int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    for week, station, category, topic, n in rows:
        county[week][(category, topic)] += n
        areas[station][week][(category, topic)] += n

    def ranked(counts: dict[str, dict[tuple[Category, Topic | None], int]]) -> list[dict[str, Any]]:
        out = []
        for i, week in enumerate(weeks):
            this = counts.get(week, {})
            before = counts.get(weeks[i - 1], {}) if i > 0 else {}
            items = sorted(this.items(), key=lambda kv: (-kv[1], kv[0][0].value, kv[0][1].value if kv[0][1] else ""))
            out.append(
                {
                    "week": week,
                    "requests": sum(this.values()),
                    "topics": [
                        {
                            "category": c.value,
                            "topic": t.value if t else None,
                            "name": CATEGORY_NAMES[c] + (f"·{TOPIC_NAMES[t]}" if t else ""),
                            "requests": n,
                            "change": n - before.get((c, t), 0) if i > 0 else None,
                        }
                        for (c, t), n in items[:top]
                    ],
                }
            )
        return out

    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "weeks": weeks,
        "county": ranked(county),
        "areas": sorted(
            (
                {"station_id": sid, "station": names.get(sid, "未落地") if sid else "未落地", "weeks": ranked(w)}
                for sid, w in areas.items()
            ),
            key=lambda a: -sum(week["requests"] for week in a["weeks"]),
        ),
    }


def _weeks(period: Period, zone: ZoneInfo) -> list[str]:
    weeks: list[str] = []
    at = period.start
    while at < period.end:
        week = iso_week(at, zone)
        if week not in weeks:
            weeks.append(week)
        at += timedelta(days=1)
    last = iso_week(period.end - timedelta(microseconds=1), zone)
    if last not in weeks:
        weeks.append(last)
    return weeks


def desk_series(
    session: Session,
    cuts: Sequence[Bucket],
    now: datetime,
    *,
    scope: ColumnElement[bool] | None = None,
    within: Scope | None = None,
) -> list[dict[str, Any]]:
    """`desk_figures`' headline numbers per bucket: requests that arrived in it (merged duplicates left out)
    with their reply timeliness and satisfaction, residents who registered and pushes sent in it."""
    if not cuts:
        return []
    r = DeskRequest
    conds: list[ColumnElement[bool]] = [
        r.created_at >= cuts[0].start,
        r.created_at < cuts[-1].end,
        r.merged_into_id.is_(None),
    ]
    if scope is not None:
        conds.append(scope)
    index = bucket_index(r.created_at, cuts).label("bucket")
    tallies = {
        row.bucket: _tally(row)
        for row in session.execute(select(index, *_tally_columns(now)).where(and_(*conds)).group_by(index))
    }
    living: ColumnElement[bool] = true()
    sent: ColumnElement[bool] = true()
    if within is not None and not within.county_wide:
        living = DeskResident.station_id.in_(within.area_ids)
        sent = DeskPush.created_by.in_(select(User.id).where(User.unit_id.in_(within.unit_ids)))
    res_index = bucket_index(DeskResident.registered_at, cuts).label("bucket")
    residents = dict(
        session.execute(
            select(res_index, func.count())
            .where(DeskResident.registered_at >= cuts[0].start, DeskResident.registered_at < cuts[-1].end, living)
            .group_by(res_index)
        ).all()
    )
    push_index = bucket_index(DeskPush.created_at, cuts).label("bucket")
    pushes = {
        row[0]: (int(row[1]), int(row[2]))
        for row in session.execute(
            select(push_index, func.count(DeskPush.id), func.coalesce(func.sum(DeskPush.delivered), 0))
            .where(DeskPush.created_at >= cuts[0].start, DeskPush.created_at < cuts[-1].end, sent)
            .group_by(push_index)
        )
    }
    empty = Tally(0, 0, 0, 0, 0, 0, 0, 0)
    out = []
    for i, cut in enumerate(cuts):
        t = tallies.get(i, empty)
        sent_count, delivered = pushes.get(i, (0, 0))
        out.append(
            {
                **cut.public(),
                "requests": t.total,
                "replied": t.replied,
                "replied_on_time": t.on_time,
                "reply_timeliness": rounded(timeliness(t)),
                "ratings": t.ratings,
                "satisfaction": rounded(satisfaction_rate(t)),
                "mean_rating": rounded(mean_rating(t), 2),
                "new_residents": int(residents.get(i, 0)),
                "pushes": sent_count,
                "push_messages_delivered": delivered,
            }
        )
    return out
