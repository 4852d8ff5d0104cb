"""Ranking indicators: a registry of small objects that each measure one thing per unit over a period.

An indicator has a `name` (the county rules' key), a `label` (as the screens say it), a `direction`
(higher or lower is better), a `unit` of its value (起, %, 分) and `compute(session, period, units)`, which
gives each unit a `Measure`: the value (None when there is nothing to measure) and the figures behind it
(`detail`, e.g. "按时 9 / 办结 10"). Any part of the command centre adds its own with `IndicatorRegistry.add`.

The built-in ones read what exists: the fraud loop's dissuasions (`pingan.fraud.queries`), the desk's
evaluation (through `DeskEvaluation`, wired in bootstrap with the desk's rules), deadlines met over every
task kind (`pingan.core.tasks.figures`), and "closed tasks of kind K with outcome O" from the county rules
(hidden dangers rectified, disputes resolved), which count as soon as such tasks exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from pingan.command.ranking.arith import Direction
from pingan.command.ranking.periods import RankPeriod
from pingan.command.ranking.rules import OutcomeIndicator
from pingan.command.ranking.tenants import Within
from pingan.core.clock import Clock
from pingan.core.tasks.figures import closed_by_unit
from pingan.fraud.queries import dissuasion_tallies


@dataclass(frozen=True, slots=True)
class RankedUnit:
    id: int
    code: str
    name: str
    kind: str
    area_id: int | None
    members: frozenset[int] = frozenset()
    """The units whose figures are the ranked unit's (a county bureau on the counties board: every unit of
    its county); empty: the unit itself."""
    areas: frozenset[int] = frozenset()
    """The areas whose figures are the ranked unit's (a county bureau: its county's); empty: its own area."""

    def unit_ids(self) -> frozenset[int]:
        return self.members or frozenset({self.id})

    def area_ids(self) -> frozenset[int]:
        if self.areas:
            return self.areas
        return frozenset({self.area_id}) if self.area_id is not None else frozenset()


@dataclass(frozen=True, slots=True)
class Measure:
    value: float | None
    detail: str = ""


class Indicator(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def direction(self) -> Direction: ...
    @property
    def unit(self) -> str: ...

    def compute(
        self, session: Session, period: RankPeriod, units: Sequence[RankedUnit], within: Within | None = None
    ) -> Mapping[int, Measure]:
        """A measure for each of `units` (keyed by unit id) over `period`; a unit left out has no value.
        A unit's figures are those of its `unit_ids()` and `area_ids()` (its own, or a county's); `within`
        is the tenant they are counted in (None: the whole deployment), for whatever an indicator compares
        against (is there anything to count at all, a mean)."""
        ...


class IndicatorRegistry:
    """Every indicator a board may name, by name."""

    def __init__(self, indicators: Iterable[Indicator] = ()) -> None:
        self._items: dict[str, Indicator] = {}
        for indicator in indicators:
            self.add(indicator)

    def add(self, indicator: Indicator) -> None:
        if indicator.name in self._items:
            raise ValueError(f"indicator {indicator.name!r} is registered twice")
        self._items[indicator.name] = indicator

    def get(self, name: str) -> Indicator:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items))
            raise LookupError(f"unknown ranking indicator {name!r}; known: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def all(self) -> list[Indicator]:
        return list(self._items.values())


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _sum(counts: Mapping[int, Any], keys: Iterable[int], fields: Sequence[str]) -> tuple[int, ...] | None:
    """The sum of `fields` over the tallies of `keys` (None when none of them has a tally)."""
    found = [counts[k] for k in keys if k in counts]
    if not found:
        return None
    return tuple(sum(int(getattr(t, f)) for t in found) for f in fields)


def _inside(counts: Mapping[int, Any], keys: frozenset[int] | None) -> bool:
    """Whether anything was counted (within `keys`; None: anywhere)."""
    return bool(counts) if keys is None else any(k in counts for k in keys)


@dataclass(frozen=True)
class Dissuaded:
    """劝阻成功: warnings opened in the period at the unit's station whose outcome was "dissuaded" (a station
    without a warning counts 0, unless no station had any: then nobody has a value)."""

    name: str = "dissuaded"
    label: str = "劝阻成功"
    direction: Direction = Direction.HIGHER
    unit: str = "起"

    def compute(
        self, session: Session, period: RankPeriod, units: Sequence[RankedUnit], within: Within | None = None
    ) -> Mapping[int, Measure]:
        tallies = dissuasion_tallies(session, period.start, period.end)
        if not _inside(tallies, within.areas if within is not None else None):
            return {}  # no warning anywhere in the period: nothing to compare, the weight is left out
        out: dict[int, Measure] = {}
        for unit in units:
            areas = unit.area_ids()
            if not areas:
                continue
            t = _sum(tallies, areas, ("dissuaded", "warnings"))
            if t is None:
                out[unit.id] = Measure(0.0, "预警 0")
            else:
                out[unit.id] = Measure(float(t[0]), f"劝阻成功 {t[0]} / 预警 {t[1]}")
        return out


@dataclass(frozen=True)
class DissuasionOnTime:
    """预警处置及时率: of the period's warnings at the station whose dissuasion closed, the share closed
    without a missed step deadline."""

    name: str = "dissuasion_on_time"
    label: str = "预警处置及时率"
    direction: Direction = Direction.HIGHER
    unit: str = "%"

    def compute(
        self, session: Session, period: RankPeriod, units: Sequence[RankedUnit], within: Within | None = None
    ) -> Mapping[int, Measure]:
        tallies = dissuasion_tallies(session, period.start, period.end)
        out: dict[int, Measure] = {}
        for unit in units:
            t = _sum(tallies, unit.area_ids(), ("closed_on_time", "closed"))
            if t is not None and t[1]:
                out[unit.id] = Measure(_rate(t[0], t[1]), f"按时 {t[0]} / 办结 {t[1]}")
        return out


@dataclass(frozen=True)
class TasksOnTime:
    """任务按期办结率: tasks of every kind the unit closed in the period without a missed step deadline."""

    name: str = "tasks_on_time"
    label: str = "任务按期办结率"
    direction: Direction = Direction.HIGHER
    unit: str = "%"

    def compute(
        self, session: Session, period: RankPeriod, units: Sequence[RankedUnit], within: Within | None = None
    ) -> Mapping[int, Measure]:
        counts = closed_by_unit(session, period.start, period.end)
        out: dict[int, Measure] = {}
        for unit in units:
            c = _sum(counts, unit.unit_ids(), ("on_time", "closed"))
            if c is not None and c[1]:
                out[unit.id] = Measure(_rate(c[0], c[1]), f"按期 {c[0]} / 办结 {c[1]}")
        return out


@dataclass(frozen=True)
class TaskOutcome:
    """Closed tasks of one kind with one of the given outcomes, per unit (from the county rules). While no
    unit closed any in the period (the kind may not exist yet) nobody has a value, so its weight is left out."""

    name: str
    label: str
    kind: str
    outcomes: tuple[str, ...]
    direction: Direction = Direction.HIGHER
    unit: str = "件"

    @classmethod
    def of(cls, rule: OutcomeIndicator) -> TaskOutcome:
        return cls(rule.name, rule.label, rule.kind, tuple(rule.outcomes), rule.direction)

    def compute(
        self, session: Session, period: RankPeriod, units: Sequence[RankedUnit], within: Within | None = None
    ) -> Mapping[int, Measure]:
        done = closed_by_unit(session, period.start, period.end, kinds=[self.kind], outcomes=self.outcomes)
        closed = closed_by_unit(session, period.start, period.end, kinds=[self.kind])
        if not _inside(closed, within.units if within is not None else None):
            return {}
        out: dict[int, Measure] = {}
        for unit in units:
            n = (_sum(done, unit.unit_ids(), ("closed",)) or (0,))[0]
            of = (_sum(closed, unit.unit_ids(), ("closed",)) or (0,))[0]
            out[unit.id] = Measure(float(n), f"{self.label} {n} / 办结 {of}")
        return out


DeskFigures = Callable[
    [Session, datetime, datetime, datetime, Mapping[int, frozenset[int]], frozenset[int] | None],
    Mapping[int, Mapping[str, Any]],
]
"""The desk's evaluation per ranked unit id, of its members' requests, scored against the mean of those
`within` the tenant (`pingan.desk.queries.group_evaluation` with the county's desk rules)."""


class DeskEvaluation:
    """The desk's per-unit evaluation, computed once per session, period and units for the indicators reading it."""

    def __init__(self, figures: DeskFigures, clock: Clock) -> None:
        self.figures = figures
        self.clock = clock
        self._last: tuple[Session, object, tuple[Any, ...], Mapping[int, Mapping[str, Any]]] | None = None

    def of(
        self, session: Session, period: RankPeriod, units: Sequence[RankedUnit], within: Within | None = None
    ) -> Mapping[int, Mapping[str, Any]]:
        transaction = session.get_transaction()
        groups = {u.id: u.unit_ids() for u in units}
        inside = within.units if within is not None else None
        key = (period.start, period.end, tuple(sorted(groups.items(), key=lambda g: g[0])), inside)
        last = self._last
        if last is not None and last[0] is session and last[1] is transaction and last[2] == key:
            return last[3]
        result = self.figures(session, period.start, period.end, self.clock.now(), groups, inside)
        self._last = (session, transaction, key, result)
        return result


@dataclass(frozen=True)
class DeskIndicator:
    """One figure of the desk's evaluation per unit: the score (分), 答复及时率 or satisfaction."""

    name: str
    label: str
    field: str
    unit: str
    source: DeskEvaluation
    direction: Direction = Direction.HIGHER

    def compute(
        self, session: Session, period: RankPeriod, units: Sequence[RankedUnit], within: Within | None = None
    ) -> Mapping[int, Measure]:
        rows = self.source.of(session, period, units, within)
        out: dict[int, Measure] = {}
        for unit in units:
            row = rows.get(unit.id)
            if row is None or row.get(self.field) is None:
                continue
            detail = f"求助 {row['requests']}，按时答复 {row['replied_on_time']}，评价 {row['ratings']}"
            out[unit.id] = Measure(float(row[self.field]), detail)
        return out


def builtin_indicators(desk: DeskEvaluation, outcomes: Iterable[OutcomeIndicator]) -> list[Indicator]:
    """The indicators Pingan ships: the fraud loop's, the desk's, deadlines met, and the county's outcome ones."""
    return [
        Dissuaded(),
        DissuasionOnTime(),
        DeskIndicator("desk_score", "E警通综合评分", "score", "分", desk),
        DeskIndicator("desk_timeliness", "答复及时率", "reply_timeliness", "%", desk),
        DeskIndicator("desk_satisfaction", "群众满意率", "satisfaction", "%", desk),
        TasksOnTime(),
        *(TaskOutcome.of(rule) for rule in outcomes),
    ]
