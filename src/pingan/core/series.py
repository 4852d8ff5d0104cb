"""Figures over time: a period cut into local days or ISO weeks, and the SQL that puts a row in its bucket.

The buckets are local (the county's time zone) so a day is a Shanghai day, as the figures screen shows it.
Rows are bucketed in the database with one CASE over the edges, which reads the same on SQLite and
PostgreSQL and keeps the aggregation in SQL (one scan of the period, however many buckets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, literal

from pingan.core.errors import BadInput

MAX_BUCKETS = 400


class Step(StrEnum):
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    end: datetime

    def public(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _local_floor(at: datetime, step: Step, zone: ZoneInfo) -> datetime:
    local = at.astimezone(zone)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if step is Step.WEEK:
        day -= timedelta(days=day.weekday())  # ISO weeks start on Monday
    return day


def buckets(start: datetime, end: datetime, step: Step, zone: ZoneInfo) -> list[Bucket]:
    """`[start, end)` cut at local midnights (or Mondays): the first and last bucket may be partial.

    Refuses an empty period and one of more than `MAX_BUCKETS` buckets (naming `start`).
    """
    if start >= end:
        raise BadInput("开始时间须早于结束时间", field="start")
    try:
        return _cut(start, end, step, zone)
    except OverflowError:  # an edge past the calendar's last day (year 9999)
        raise BadInput("时间超出可统计的范围", field="end") from None


def _cut(start: datetime, end: datetime, step: Step, zone: ZoneInfo) -> list[Bucket]:
    out: list[Bucket] = []
    at = start
    edge = _local_floor(start, step, zone)
    while at < end:
        edge = edge + timedelta(days=7 if step is Step.WEEK else 1)
        # Shanghai keeps no daylight saving, but a county elsewhere may: re-anchor each edge at midnight.
        edge = _local_floor(edge.astimezone(zone) + timedelta(hours=12), step, zone)
        nxt = min(edge, end)
        out.append(Bucket(at, nxt))
        at = nxt
        if len(out) > MAX_BUCKETS:
            raise BadInput(f"时间段过长：按{'周' if step is Step.WEEK else '日'}最多 {MAX_BUCKETS} 段", field="start")
    return out


def bucket_index(column: Any, cuts: Sequence[Bucket]) -> ColumnElement[int]:
    """The index of the bucket a timestamp column falls in (rows outside the buckets: -1)."""
    whens = [(column < b.end, i) for i, b in enumerate(cuts)]
    return case(*whens, else_=literal(-1))
