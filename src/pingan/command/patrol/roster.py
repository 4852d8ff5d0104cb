"""The duty roster's verdicts (勤务), as pure rules: who is on duty now, who is on leave, and why a patrol unit
or an officer may not be sent.

A patrol unit may go when a duty row of its own covers the moment, no leave row of its own does, and its
leading officer (带班民警) is not on leave. An officer may be assigned when a duty row of theirs (or of a
patrol unit they lead) covers the moment and no leave row of theirs does. Rows are half-open: [starts, ends).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pingan.command.patrol.models import ShiftKind
from pingan.command.patrol.reach import EXCLUSION_NAMES, Exclusion
from pingan.core.errors import BadInput

MAX_SHIFT_DAYS = 31


@dataclass(frozen=True, slots=True)
class Row:
    kind: ShiftKind
    patrol_unit_id: int | None
    user_id: int | None
    starts_at: datetime
    ends_at: datetime

    def covers(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True, slots=True)
class Crew:
    """A patrol unit as the roster sees it."""

    unit_id: int
    leader_id: int | None
    active: bool = True


def unit_verdicts(crews: Iterable[Crew], rows: Sequence[Row], now: datetime) -> dict[int, tuple[Exclusion, str]]:
    """Patrol unit id → why it may not go now; a unit not in the answer may."""
    covering = [r for r in rows if r.covers(now)]
    on_duty = {r.patrol_unit_id for r in covering if r.kind is ShiftKind.DUTY and r.patrol_unit_id is not None}
    unit_leave = {r.patrol_unit_id for r in covering if r.kind is ShiftKind.LEAVE and r.patrol_unit_id is not None}
    user_leave = {r.user_id for r in covering if r.kind is ShiftKind.LEAVE and r.user_id is not None}
    out: dict[int, tuple[Exclusion, str]] = {}
    for crew in crews:
        if not crew.active:
            out[crew.unit_id] = (Exclusion.INACTIVE, EXCLUSION_NAMES[Exclusion.INACTIVE])
        elif crew.unit_id in unit_leave:
            out[crew.unit_id] = (Exclusion.ON_LEAVE, "本巡组今日轮休")
        elif crew.leader_id is not None and crew.leader_id in user_leave:
            out[crew.unit_id] = (Exclusion.LEADER_ON_LEAVE, EXCLUSION_NAMES[Exclusion.LEADER_ON_LEAVE])
        elif crew.unit_id not in on_duty:
            out[crew.unit_id] = (Exclusion.OFF_DUTY, EXCLUSION_NAMES[Exclusion.OFF_DUTY])
    return out


def officer_verdict(
    user_id: int, rows: Sequence[Row], now: datetime, led_units: Iterable[int] = ()
) -> tuple[Exclusion, str] | None:
    """Why an officer may not be assigned now (None: they may)."""
    covering = [r for r in rows if r.covers(now)]
    if any(r.kind is ShiftKind.LEAVE and r.user_id == user_id for r in covering):
        return (Exclusion.ON_LEAVE, "该民警正在请假/休假")
    led = set(led_units)
    if any(
        r.kind is ShiftKind.DUTY
        and (r.user_id == user_id or (r.patrol_unit_id is not None and r.patrol_unit_id in led))
        for r in covering
    ):
        return None
    return (Exclusion.OFF_DUTY, "该民警不在勤务时段")


def check_shift(starts_at: datetime, ends_at: datetime, patrol_unit_id: int | None, user_id: int | None) -> None:
    """A roster row's shape, each fault a BadInput naming its field."""
    if patrol_unit_id is None and user_id is None:
        raise BadInput("须指定巡组（patrol_unit_id）或民警（user_id）", field="patrol_unit_id")
    if patrol_unit_id is not None and user_id is not None:
        raise BadInput("一条勤务只能是一个巡组或一名民警", field="user_id")
    if ends_at <= starts_at:
        raise BadInput("结束时间须晚于开始时间", field="ends_at")
    if (ends_at - starts_at).days >= MAX_SHIFT_DAYS:
        raise BadInput(f"一条勤务最长 {MAX_SHIFT_DAYS} 天", field="ends_at")
