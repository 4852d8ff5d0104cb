"""Rankings (打榜): units ranked on a board's weighted indicators for a period, with districts (片区) and the
change since the period before; published snapshots that never move.

For the reports and anyone else in the command centre, the one entry point is `rank`:

    from pingan.command.ranking.service import rank
    ranking = rank(session, "2026-11", rules=services.rules.section(RankingRules),
                   indicators=services.ranking.indicators, board="stations")
    for row in ranking.rows:          # best first; equal scores share a position (1, 2, 2, 4)
        row.position, row.name, row.score, row.change, row.cells["dissuaded"].value

or `services.ranking.rank(session, period)`, which passes the county's rules and indicators itself.

What a ranking holds is all shown: each indicator's weight and share of the score, each unit's raw value
with the figures behind it (`detail`), its points (0–100 by the board's normalisation, see
`pingan.command.ranking.arith`) and the points it added to the score. A period that was published is
answered from its snapshot, as published; the change since the period before is read from that period's
snapshot when it was published (so it does not move when late data arrive), computed afresh otherwise
(`previous_source` says which).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pingan.command.ranking import arith
from pingan.command.ranking.arith import Direction, Missing, Normalisation
from pingan.command.ranking.indicators import IndicatorRegistry, Measure, RankedUnit
from pingan.command.ranking.models import RankingSnapshot
from pingan.command.ranking.periods import RankPeriod, parse_period
from pingan.command.ranking.rules import Board, District, RankingRules
from pingan.command.ranking.tenants import COUNTIES_BOARD, WHOLE, Tenant, counties_below, county_bureaus
from pingan.core.clock import Clock
from pingan.core.errors import Conflict, NotFound
from pingan.core.models import Unit
from pingan.core.scope import subtree


@dataclass(frozen=True)
class IndicatorColumn:
    name: str
    label: str
    unit: str
    direction: str
    weight: float
    share: float
    """The weight's share of the score (0 when the indicator had no value for anybody and is left out)."""
    used: bool


@dataclass(frozen=True)
class Cell:
    value: float | None
    detail: str
    points: float | None
    """0–100 as normalised; None when the unit had no value."""
    scored: float
    """The points the score used (a missing value filled by the board's rule)."""
    contribution: float
    """What this indicator added to the score: `scored × share`."""


@dataclass(frozen=True)
class UnitRanking:
    unit_id: int
    code: str
    name: str
    district: str | None
    position: int
    score: float
    previous_position: int | None
    previous_score: float | None
    change: int | None
    """Places gained since the period before (positive: up); None for a unit not ranked then."""
    cells: dict[str, Cell]


@dataclass(frozen=True)
class DistrictRanking:
    name: str
    position: int
    score: float
    """The mean of its units' scores."""
    units: list[str]
    unit_ids: list[int]
    previous_position: int | None
    change: int | None


@dataclass(frozen=True)
class Ranking:
    board: str
    board_label: str
    period: dict[str, str]
    normalisation: str
    missing: str
    indicators: list[IndicatorColumn]
    rows: list[UnitRanking]
    districts: list[DistrictRanking]
    previous_period: dict[str, str]
    previous_source: str | None
    """`published` (the period before was published: its positions as published), `computed`, or None (the
    period before had nothing to count: no unit has a previous position)."""
    computed_at: str
    published: bool = False
    published_at: str | None = None
    published_by: int | None = None
    notes: list[str] = field(default_factory=list)
    county: dict[str, str] | None = None
    """Whose ranking in a deployment of several counties: the county (`code`, `name`, `kind`) whose units
    are ranked, or the city or province whose counties are; None for the deployment as a whole."""

    def public(self) -> dict[str, Any]:
        return asdict(self)

    def row(self, unit_id: int) -> UnitRanking | None:
        return next((r for r in self.rows if r.unit_id == unit_id), None)

    @classmethod
    def from_public(cls, body: Mapping[str, Any]) -> Ranking:
        data = dict(body)
        data["indicators"] = [IndicatorColumn(**c) for c in body["indicators"]]
        data["rows"] = [
            UnitRanking(**{**r, "cells": {k: Cell(**c) for k, c in r["cells"].items()}}) for r in body["rows"]
        ]
        data["districts"] = [DistrictRanking(**d) for d in body["districts"]]
        return cls(**data)


def board_of(rules: RankingRules, board: str) -> Board:
    """The board named `board` (`counties`: the county bureaus' board); NotFound (field `board`) otherwise."""
    if board == COUNTIES_BOARD:
        return rules.county_board
    try:
        return rules.boards[board]
    except KeyError:
        raise NotFound(f"没有名为 {board} 的榜单（可选：{'、'.join(rules.boards)}）", field="board") from None


def ranked_units(session: Session, board: Board, tenant: Tenant = WHOLE, *, name: str = "") -> list[RankedUnit]:
    """The units a board ranks: those of its kinds and those it names, within the tenant's units. On the
    counties board (`name` `counties`), each county below the tenant as its bureau, with every unit and area
    of the county as its members."""
    if name == COUNTIES_BOARD:
        counties = counties_below(session, tenant)
        bureaus = county_bureaus(session, counties)
        out = []
        for county in counties:
            bureau = bureaus.get(county.id)
            if bureau is None:
                continue
            areas = frozenset(subtree(session, county.id))
            members = frozenset(session.scalars(select(Unit.id).where(Unit.area_id.in_(areas))))
            out.append(
                RankedUnit(
                    bureau.id, county.code, bureau.name, bureau.kind.value, county.id, members | {bureau.id}, areas
                )
            )
        return out
    conds = []
    if board.unit_kinds:
        conds.append(Unit.kind.in_(board.unit_kinds))
    if board.unit_codes:
        conds.append(Unit.code.in_(board.unit_codes))
    query = select(Unit).where(or_(*conds)).order_by(Unit.code)
    if tenant.within is not None:
        query = query.where(Unit.id.in_(sorted(tenant.within.units)))
    units = session.scalars(query).all()
    return [RankedUnit(u.id, u.code, u.name, u.kind.value, u.area_id) for u in units]


@dataclass(frozen=True)
class _Computed:
    columns: list[IndicatorColumn]
    rows: list[UnitRanking]


def _compute(
    session: Session,
    period: RankPeriod,
    board: Board,
    indicators: IndicatorRegistry,
    units: Sequence[RankedUnit],
    districts: Mapping[str, str],
    tenant: Tenant,
) -> _Computed:
    ids = [u.id for u in units]
    weighted: list[tuple[float, arith.Weighted]] = []
    measures: list[Mapping[int, Measure]] = []
    metas = []
    for entry in board.indicators:
        indicator = indicators.get(entry.name)
        measured = indicator.compute(session, period, units, tenant.within)
        values = {u: (measured[u].value if u in measured else None) for u in ids}
        raw_points = arith.points(values, Direction(indicator.direction), Normalisation(board.normalisation))
        weighted.append((entry.weight, arith.fill_missing(raw_points, Missing(board.missing))))
        measures.append(measured)
        metas.append(indicator)
    total = sum(w for w, col in weighted if col.used)
    columns = [
        IndicatorColumn(
            name=m.name,
            label=m.label,
            unit=m.unit,
            direction=Direction(m.direction).value,
            weight=w,
            share=round(w / total, 4) if col.used and total > 0 else 0.0,
            used=col.used,
        )
        for m, (w, col) in zip(metas, weighted, strict=True)
    ]
    scores = arith.scores(weighted, ids)
    positions = arith.competition_positions(scores)
    rows = []
    for unit in units:
        cells: dict[str, Cell] = {}
        for column, (_w, col), measured in zip(columns, weighted, measures, strict=True):
            m = measured.get(unit.id)
            scored = col.filled[unit.id] if col.used else 0.0
            cells[column.name] = Cell(
                value=m.value if m is not None else None,
                detail=m.detail if m is not None else "",
                points=None if col.points[unit.id] is None else round(col.points[unit.id] or 0.0, 2),
                scored=round(scored, 2),
                contribution=round(scored * column.share, 2),
            )
        rows.append(
            UnitRanking(
                unit_id=unit.id,
                code=unit.code,
                name=unit.name,
                district=districts.get(unit.code),
                position=positions[unit.id],
                score=scores[unit.id],
                previous_position=None,
                previous_score=None,
                change=None,
                cells=cells,
            )
        )
    rows.sort(key=lambda r: (r.position, r.name))
    return _Computed(columns, rows)


def _own_districts(rules: RankingRules, board_name: str, known: set[str], tenant: Tenant) -> list[District]:
    """The districts (片区) of this ranking: the district board's, and in a deployment of several counties
    only those with a unit of this county (a district is one county's grouping of its stations)."""
    if board_name != rules.district_board:
        return []
    if tenant.within is None:
        return list(rules.districts)
    return [d for d in rules.districts if any(code in known for code in d.units)]


def _districts(
    districts: Sequence[District], rows: Sequence[UnitRanking], previous: Sequence[UnitRanking] | None
) -> list[DistrictRanking]:
    if not districts:
        return []

    def scores_of(of: Sequence[UnitRanking]) -> dict[str, tuple[float, list[UnitRanking]]]:
        out: dict[str, tuple[float, list[UnitRanking]]] = {}
        for district in districts:
            members = [r for r in of if r.code in district.units]
            if members:
                mean = round(sum(r.score for r in members) / len(members), arith.SCORE_DIGITS)
                out[district.name] = (mean, members)
        return out

    now = scores_of(rows)
    positions = arith.competition_positions({i: s for i, (s, _m) in enumerate(now.values())})
    before: dict[str, int] = {}
    if previous is not None:
        was = scores_of(previous)
        names = list(was)
        prev_positions = arith.competition_positions({i: s for i, (s, _m) in enumerate(was.values())})
        before = {names[i]: p for i, p in prev_positions.items()}
    out = []
    for i, (name, (score, members)) in enumerate(now.items()):
        prev = before.get(name)
        out.append(
            DistrictRanking(
                name=name,
                position=positions[i],
                score=score,
                units=[m.name for m in members],
                unit_ids=[m.unit_id for m in members],
                previous_position=prev,
                change=(prev - positions[i]) if prev is not None else None,
            )
        )
    out.sort(key=lambda d: (d.position, d.name))
    return out


def snapshot(session: Session, board: str, period: RankPeriod, tenant: Tenant = WHOLE) -> RankingSnapshot | None:
    return session.scalars(
        select(RankingSnapshot).where(
            RankingSnapshot.tenant == tenant.key, RankingSnapshot.board == board, RankingSnapshot.period == period.key
        )
    ).first()


def _as_period(period: RankPeriod | str) -> RankPeriod:
    return period if isinstance(period, RankPeriod) else parse_period(period)


def rank(
    session: Session,
    period: RankPeriod | str,
    *,
    rules: RankingRules,
    indicators: IndicatorRegistry,
    now: datetime,
    board: str = "stations",
    published: bool = True,
    tenant: Tenant = WHOLE,
) -> Ranking:
    """The ranking of `board` for `period` (a `RankPeriod` or its key, `2026-11`), of `tenant`'s units
    (a county's own; on the counties board, the counties below a city or the province) with their figures
    counted within it; the tenant's own snapshots (`pingan.command.ranking.tenants.resolve` decides whose).

    A published period is answered from its snapshot unless `published` is False (then computed afresh, as
    `publish` does). Each row carries its previous position and `change`, from the period before's snapshot
    when it was published, computed otherwise. Raises NotFound (field `board`) for an unknown board and
    BadInput (field `period`) for a period that cannot be read.
    """
    p = _as_period(period)
    spec = board_of(rules, board)
    if published:
        stored = snapshot(session, board, p, tenant)
        if stored is not None:
            return Ranking.from_public(stored.body)
    units = ranked_units(session, spec, tenant, name=board)
    known = {u.code for u in units}
    own_districts = _own_districts(rules, board, known, tenant)
    district_of = {code: d.name for d in own_districts for code in d.units}
    current = _compute(session, p, spec, indicators, units, district_of, tenant)
    before = p.previous()
    stored_before = snapshot(session, board, before, tenant)
    source: str | None
    if stored_before is not None:
        prev_rows = Ranking.from_public(stored_before.body).rows
        source = "published"
    else:
        earlier = _compute(session, before, spec, indicators, units, district_of, tenant)
        # A period before with nothing to count ranked nobody: no change to show ("new" rather than all first).
        has_data = any(c.used for c in earlier.columns)
        prev_rows = earlier.rows if has_data else []
        source = "computed" if has_data else None
    prev_by_id = {r.unit_id: r for r in prev_rows}
    rows = []
    for r in current.rows:
        prev = prev_by_id.get(r.unit_id)
        rows.append(
            UnitRanking(
                **{
                    **{k: getattr(r, k) for k in ("unit_id", "code", "name", "district", "position", "score", "cells")},
                    "previous_position": prev.position if prev else None,
                    "previous_score": prev.score if prev else None,
                    "change": (prev.position - r.position) if prev else None,
                }
            )
        )
    notes = [f"{c.label}：本期无任何单位有数据，不计分" for c in current.columns if not c.used]
    for district in own_districts:
        unknown = [code for code in district.units if code not in known]
        if unknown:
            notes.append(f"片区 {district.name} 中的单位不在本榜：{'、'.join(unknown)}")
    return Ranking(
        board=board,
        board_label=spec.label,
        period=p.public(),
        normalisation=Normalisation(spec.normalisation).value,
        missing=Missing(spec.missing).value,
        indicators=current.columns,
        rows=rows,
        districts=_districts(own_districts, rows, prev_rows or None),
        previous_period=before.public(),
        previous_source=source,
        computed_at=now.isoformat(),
        notes=notes,
        county=tenant.public(),
    )


def publish(
    session: Session,
    period: RankPeriod | str,
    *,
    rules: RankingRules,
    indicators: IndicatorRegistry,
    now: datetime,
    board: str = "stations",
    user_id: int | None = None,
    tenant: Tenant = WHOLE,
) -> Ranking:
    """Compute the ranking afresh and store it as published, as the tenant's own (one county publishing
    never freezes another's); a period already published by the tenant is refused (409 `already_published`):
    a published ranking does not move."""
    p = _as_period(period)
    spec = board_of(rules, board)
    if snapshot(session, board, p, tenant) is not None:
        raise Conflict(f"{p.label}的{spec.label}榜单已发布，不再变动", field="period", code="already_published")
    computed = rank(
        session, p, rules=rules, indicators=indicators, now=now, board=board, published=False, tenant=tenant
    )
    done = Ranking.from_public(
        {**computed.public(), "published": True, "published_at": now.isoformat(), "published_by": user_id}
    )
    row = RankingSnapshot(
        tenant=tenant.key,
        board=board,
        period=p.key,
        start=p.start,
        end=p.end,
        published_at=now,
        published_by=user_id,
        body=done.public(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # published by someone else in the meantime; the unit of work rolls back
        raise Conflict(f"{p.label}的榜单已发布，不再变动", field="period", code="already_published") from None
    return done


def published_list(
    session: Session, board: str | None = None, tenants: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Published snapshots, newest period first: board, period, whose (`county`, the tenant's code or ''),
    when and by whom (the body is `rank`'s); `tenants` limits them to those snapshot keys (None: all)."""
    query = select(RankingSnapshot).order_by(
        RankingSnapshot.start.desc(), RankingSnapshot.tenant, RankingSnapshot.board
    )
    if board is not None:
        query = query.where(RankingSnapshot.board == board)
    if tenants is not None:
        query = query.where(RankingSnapshot.tenant.in_(sorted(tenants)))
    return [
        {
            "board": s.board,
            "county": s.tenant,
            "period": s.period,
            "label": s.body.get("period", {}).get("label", s.period),
            "start": s.start.isoformat(),
            "end": s.end.isoformat(),
            "published_at": s.published_at.isoformat(),
            "published_by": s.published_by,
        }
        for s in session.scalars(query)
    ]


class RankingService:
    """The county's rankings: its [ranking] rules and the indicator registry, on the service clock."""

    def __init__(self, rules: RankingRules, indicators: IndicatorRegistry, clock: Clock) -> None:
        self.rules = rules
        self.indicators = indicators
        self.clock = clock
        self.check()

    def check(self) -> None:
        """Every indicator a board names is registered (a misspelt name fails at start-up, not at the first view)."""
        listed = [(f"boards.{name}", board) for name, board in self.rules.boards.items()]
        for name, board in [*listed, ("county_board", self.rules.county_board)]:
            for entry in board.indicators:
                if entry.name not in self.indicators:
                    known = ", ".join(sorted(i.name for i in self.indicators.all()))
                    raise ValueError(f"[ranking.{name}] names unknown indicator {entry.name!r}; known: {known}")

    def rank(
        self, session: Session, period: RankPeriod | str, board: str = "stations", tenant: Tenant = WHOLE
    ) -> Ranking:
        return rank(
            session,
            period,
            rules=self.rules,
            indicators=self.indicators,
            now=self.clock.now(),
            board=board,
            tenant=tenant,
        )

    def publish(
        self,
        session: Session,
        period: RankPeriod | str,
        board: str = "stations",
        user_id: int | None = None,
        tenant: Tenant = WHOLE,
    ) -> Ranking:
        return publish(
            session,
            period,
            rules=self.rules,
            indicators=self.indicators,
            now=self.clock.now(),
            board=board,
            user_id=user_id,
            tenant=tenant,
        )

    def boards(self, *, counties: bool = False) -> list[dict[str, Any]]:
        """Each board with its units' kinds, normalisation and weighted indicators (with `counties`, the
        county bureaus' board first: a deployment of several counties seen from a city or the province)."""
        listed = [(COUNTIES_BOARD, self.rules.county_board)] if counties else []
        listed += list(self.rules.boards.items())
        return [
            {
                "board": key,
                "label": b.label,
                "unit_kinds": [k.value for k in b.unit_kinds],
                "unit_codes": list(b.unit_codes),
                "normalisation": Normalisation(b.normalisation).value,
                "missing": Missing(b.missing).value,
                "indicators": [{"name": i.name, "weight": i.weight} for i in b.indicators],
                "districts": [{"name": d.name, "units": list(d.units)} for d in self.rules.districts]
                if key == self.rules.district_board
                else [],
            }
            for key, b in listed
        ]

    def registry(self) -> list[dict[str, str]]:
        return [
            {"name": i.name, "label": i.label, "direction": Direction(i.direction).value, "unit": i.unit}
            for i in self.indicators.all()
        ]
