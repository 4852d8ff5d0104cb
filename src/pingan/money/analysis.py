"""分析研判 (A8): trends of fraud by type, area, age group and period, 同比 and 环比, the hot types of the week,
money lost and protected, and the groups being hit, from the cases (losses) and the warnings (through the
`WarningFigures` port: the fraud capability's dissuasions and the money they protected).

Pure arithmetic (`change`, `age_group`, `hot`) stays apart from the one function that reads the database
(`analysis`), so that the rules can be read and tested alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.models import Area, Person
from pingan.core.series import Bucket
from pingan.money.models import Case
from pingan.money.ports import WarningFigures, WarningRow
from pingan.money.schemas import TYPE_NAMES

AGE_GROUPS: tuple[tuple[str, str, int, int], ...] = (
    ("under_18", "18岁以下", 0, 17),
    ("18_25", "18–25岁", 18, 25),
    ("26_35", "26–35岁", 26, 35),
    ("36_45", "36–45岁", 36, 45),
    ("46_59", "46–59岁", 46, 59),
    ("60_plus", "60岁及以上", 60, 200),
)
UNKNOWN_AGE = "unknown"
AGE_NAMES = {key: name for key, name, _, _ in AGE_GROUPS} | {UNKNOWN_AGE: "年龄不详"}
CAMPAIGN_GROUP_OF_AGE = {"60_plus": "elderly", "18_25": "young", "26_35": "young", "under_18": "student"}
"""The campaign group (`CampaignGroup`) that reaches an age group, for the groups being hit."""


def age_group(birth_year: int | None, year: int) -> str:
    """The age group of someone born in `birth_year`, in `year` (unknown without a birth year)."""
    if birth_year is None or birth_year <= 1900 or birth_year > year:
        return UNKNOWN_AGE
    age = year - birth_year
    for key, _name, low, high in AGE_GROUPS:
        if low <= age <= high:
            return key
    return UNKNOWN_AGE


def birth_year_of(id_number: str | None) -> int | None:
    """The birth year written in an 18-digit ID number (positions 7–10), if it reads as one."""
    if not id_number or len(id_number) != 18 or not id_number[6:10].isdigit():
        return None
    year = int(id_number[6:10])
    return year if 1900 < year < 2100 else None


def change(now: float, before: float) -> float | None:
    """The relative change from `before` to `now` (0.25 is +25%); None when there was nothing before."""
    if before == 0:
        return None
    return round((now - before) / before, 4)


@dataclass(frozen=True)
class Tally:
    cases: int = 0
    loss_fen: int = 0
    warnings: int = 0
    dissuaded: int = 0
    protected_fen: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.cases + other.cases,
            self.loss_fen + other.loss_fen,
            self.warnings + other.warnings,
            self.dissuaded + other.dissuaded,
            self.protected_fen + other.protected_fen,
        )

    @property
    def incidents(self) -> int:
        """Cases and warnings together: how often the type came up."""
        return self.cases + self.warnings

    def public(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "loss_yuan": _yuan(self.loss_fen),
            "warnings": self.warnings,
            "dissuaded": self.dissuaded,
            "protected_yuan": _yuan(self.protected_fen),
        }


def hot(this_week: dict[str, Tally], last_week: dict[str, Tally], min_incidents: int) -> list[dict[str, Any]]:
    """The hot types: at least `min_incidents` cases and warnings this week and more than last week (a type new
    this week counts as growing); most incidents first."""
    out = []
    for fraud_type, now in this_week.items():
        before = last_week.get(fraud_type, Tally())
        if now.incidents < min_incidents or now.incidents <= before.incidents:
            continue
        out.append(
            {
                "fraud_type": fraud_type,
                "name": TYPE_NAMES.get(fraud_type, fraud_type),
                **now.public(),
                "incidents": now.incidents,
                "last_week": before.incidents,
                "change": change(now.incidents, before.incidents),
            }
        )
    out.sort(key=lambda r: (-int(r["incidents"]), str(r["fraud_type"])))
    return out


def _yuan(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


@dataclass(frozen=True)
class _CaseRow:
    at: datetime
    fraud_type: str
    area_id: int | None
    age: str
    loss_fen: int


def _case_rows(session: Session, start: datetime, end: datetime, area_ids: Sequence[int] | None) -> list[_CaseRow]:
    query = (
        select(Case.reported_at, Case.fraud_type, Case.area_id, Case.loss_fen, Case.victim_id_number, Person.birth_year)
        .outerjoin(Person, Person.id == Case.victim_person_id)
        .where(Case.reported_at >= start, Case.reported_at < end)
    )
    if area_ids is not None:
        query = query.where(Case.area_id.in_(area_ids))
    out = []
    for at, fraud_type, area_id, loss, id_number, birth_year in session.execute(query):
        year = birth_year or birth_year_of(id_number)
        out.append(_CaseRow(at, fraud_type, area_id, age_group(year, at.year), int(loss or 0)))
    return out


def _in(rows: Iterable[_CaseRow], start: datetime, end: datetime) -> list[_CaseRow]:
    return [r for r in rows if start <= r.at < end]


def _tally_cases(rows: Iterable[_CaseRow], key: Any) -> dict[Any, Tally]:
    out: dict[Any, Tally] = {}
    for r in rows:
        k = key(r)
        out[k] = out.get(k, Tally()) + Tally(cases=1, loss_fen=r.loss_fen)
    return out


def _tally_warnings(rows: Iterable[WarningRow], key: Any, year: int) -> dict[Any, Tally]:
    out: dict[Any, Tally] = {}
    for w in rows:
        k = key(w, year)
        out[k] = out.get(k, Tally()) + Tally(warnings=w.warnings, dissuaded=w.dissuaded, protected_fen=w.protected_fen)
    return out


def _merge(*parts: dict[Any, Tally]) -> dict[Any, Tally]:
    out: dict[Any, Tally] = {}
    for part in parts:
        for k, v in part.items():
            out[k] = out.get(k, Tally()) + v
    return out


def _last_year(at: datetime) -> datetime:
    try:
        return at.replace(year=at.year - 1)
    except ValueError:  # 29 February
        return at.replace(year=at.year - 1, day=28)


def analysis(
    session: Session,
    cuts: Sequence[Bucket],
    warnings: WarningFigures,
    *,
    area_ids: Sequence[int] | None,
    now: datetime,
    hot_min: int,
    top_groups: int = 10,
) -> dict[str, Any]:
    """The analysis of the period the `cuts` cover (its buckets for the trend), within `area_ids` (None: the
    county). 同比 compares with the same period a year before, 环比 with the period of the same length just
    before; the hot types compare the 7 days up to `now` with the 7 before."""
    start, end = cuts[0].start, cuts[-1].end
    length = end - start
    prev = (start - length, start)
    yoy = (_last_year(start), _last_year(end))
    # The 7 days up to and including now (as `figure_period`'s default end), and the 7 before.
    week_end = now + timedelta(seconds=1)
    week = (week_end - timedelta(days=7), week_end)
    last_week = (week_end - timedelta(days=14), week_end - timedelta(days=7))
    earliest = min(prev[0], yoy[0], last_week[0], start)
    latest = max(end, now)
    cases = _case_rows(session, earliest, latest, area_ids)
    edges = [(c.start, c.end) for c in cuts]
    periods = [(start, end), prev, yoy, week, last_week]
    grouped = warnings.grouped(session, [*edges, *periods], area_ids)
    n = len(edges)
    by_bucket: dict[int, list[WarningRow]] = {}
    for w in grouped:
        by_bucket.setdefault(w.bucket, []).append(w)
    current, before, year_ago, this_week, week_before = (by_bucket.get(n + i, []) for i in range(5))
    now_cases = _in(cases, start, end)
    year = start.year

    def by_type(case_rows: list[_CaseRow], warning_rows: list[WarningRow]) -> dict[str, Tally]:
        return _merge(
            _tally_cases(case_rows, lambda r: r.fraud_type),
            _tally_warnings(warning_rows, lambda w, _y: w.fraud_type, year),
        )

    types_now = by_type(now_cases, current)
    types_prev = by_type(_in(cases, *prev), before)
    types_yoy = by_type(_in(cases, *yoy), year_ago)
    total_now = sum(types_now.values(), Tally())
    total_prev = sum(types_prev.values(), Tally())
    total_yoy = sum(types_yoy.values(), Tally())

    def compared(now_t: Tally, prev_t: Tally, yoy_t: Tally) -> dict[str, Any]:
        return {
            **now_t.public(),
            "mom": {"cases": change(now_t.cases, prev_t.cases), "loss": change(now_t.loss_fen, prev_t.loss_fen),
                    "warnings": change(now_t.warnings, prev_t.warnings)},
            "yoy": {"cases": change(now_t.cases, yoy_t.cases), "loss": change(now_t.loss_fen, yoy_t.loss_fen),
                    "warnings": change(now_t.warnings, yoy_t.warnings)},
            "previous": prev_t.public(),
            "year_before": yoy_t.public(),
        }  # fmt: skip

    type_rows = [
        {"fraud_type": t, "name": TYPE_NAMES.get(t, t), **compared(v, types_prev.get(t, Tally()), types_yoy.get(t, Tally()))}
        for t, v in sorted(types_now.items(), key=lambda kv: (-kv[1].incidents, kv[0]))
    ]  # fmt: skip
    area_tally = _merge(
        _tally_cases(now_cases, lambda r: r.area_id), _tally_warnings(current, lambda w, _y: w.area_id, year)
    )
    area_names = dict(
        session.execute(select(Area.id, Area.name).where(Area.id.in_([a for a in area_tally if a]))).all()
    )
    area_rows = [
        {"area_id": a, "area": area_names.get(a, "未定辖区") if a else "未定辖区", **v.public()}
        for a, v in sorted(area_tally.items(), key=lambda kv: (-kv[1].incidents, kv[0] or 0))
    ]
    age_tally = _merge(
        _tally_cases(now_cases, lambda r: r.age),
        _tally_warnings(current, lambda w, y: age_group(w.birth_year, y), year),
    )
    age_rows = [
        {"age_group": key, "name": AGE_NAMES[key], **age_tally.get(key, Tally()).public()}
        for key in [*(k for k, *_ in AGE_GROUPS), UNKNOWN_AGE]
    ]
    # The groups being hit: area × age group × type, by cases then warnings: a campaign's target.
    group_tally = _merge(
        _tally_cases(now_cases, lambda r: (r.area_id, r.age, r.fraud_type)),
        _tally_warnings(current, lambda w, y: (w.area_id, age_group(w.birth_year, y), w.fraud_type), year),
    )
    groups = [
        {
            "area_id": a,
            "area": area_names.get(a, "未定辖区") if a else "未定辖区",
            "age_group": g,
            "age_group_name": AGE_NAMES[g],
            "campaign_group": CAMPAIGN_GROUP_OF_AGE.get(g, "all"),
            "fraud_type": t,
            "name": TYPE_NAMES.get(t, t),
            **v.public(),
        }
        for (a, g, t), v in sorted(group_tally.items(), key=lambda kv: (-kv[1].cases, -kv[1].warnings, str(kv[0])))
        if t != "normal" and v.incidents > 0
    ][:top_groups]
    series_types = [r["fraud_type"] for r in type_rows[:5]]
    series = []
    for i, cut in enumerate(cuts):
        case_rows = _in(now_cases, cut.start, cut.end)
        tally = sum(_tally_cases(case_rows, lambda r: 0).values(), Tally()) + sum(
            _tally_warnings(by_bucket.get(i, []), lambda w, _y: 0, year).values(), Tally()
        )
        per_type = by_type(case_rows, by_bucket.get(i, []))
        series.append(
            {
                **cut.public(),
                **tally.public(),
                "by_type": {t: per_type.get(t, Tally()).incidents for t in series_types},
            }
        )
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "previous": {"start": prev[0].isoformat(), "end": prev[1].isoformat()},
        "year_before": {"start": yoy[0].isoformat(), "end": yoy[1].isoformat()},
        "total": compared(total_now, total_prev, total_yoy),
        "by_type": type_rows,
        "by_area": area_rows,
        "by_age": age_rows,
        "hot_types": hot(by_type(_in(cases, *week), this_week), by_type(_in(cases, *last_week), week_before), hot_min),
        "week": {"start": week[0].isoformat(), "end": week[1].isoformat()},
        "groups_hit": groups,
        "series_types": [{"fraud_type": t, "name": TYPE_NAMES.get(t, t)} for t in series_types],
        "series": series,
    }
