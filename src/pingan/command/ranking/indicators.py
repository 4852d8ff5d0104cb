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

    def compute(self, session: Session, period: RankPeriod, units: Sequence[RankedUnit]) -> Mapping[int, Measure]:
        """A measure for each of `units` (keyed by unit id) over `period`; a unit left out has no value."""
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


def _by_area(units: Sequence[RankedUnit]) -> dict[int, RankedUnit]:
    return {u.area_id: u for u in units if u.area_id is not None}


@dataclass(frozen=True)
class Dissuaded:
    """劝阻成功: warnings opened in the period at the unit's station whose outcome was "dissuaded" (a station
    without a warning counts 0, unless no station had any: then nobody has a value)."""

    name: str = "dissuaded"
    label: str = "劝阻成功"
    direction: Direction = Direction.HIGHER
    unit: str = "起"

    def compute(self, session: Session, period: RankPeriod, units: Sequence[RankedUnit]) -> Mapping[int, Measure]:
        tallies = dissuasion_tallies(session, period.start, period.end)
        if not tallies:
            return {}  # no warning anywhere in the period: nothing to compare, the weight is left out
        out: dict[int, Measure] = {}
        for area_id, unit in _by_area(units).items():
            t = tallies.get(area_id)
            if t is None:
                out[unit.id] = Measure(0.0, "预警 0")
            else:
                out[unit.id] = Measure(float(t.dissuaded), f"劝阻成功 {t.dissuaded} / 预警 {t.warnings}")
        return out


@dataclass(frozen=True)
class DissuasionOnTime:
    """预警处置及时率: of the period's warnings at the station whose dissuasion closed, the share closed
    without a missed step deadline."""

    name: str = "dissuasion_on_time"
    label: str = "预警处置及时率"
    direction: Direction = Direction.HIGHER
    unit: str = "%"

    def compute(self, session: Session, period: RankPeriod, units: Sequence[RankedUnit]) -> Mapping[int, Measure]:
        tallies = dissuasion_tallies(session, period.start, period.end)
        out: dict[int, Measure] = {}
        for area_id, unit in _by_area(units).items():
            t = tallies.get(area_id)
            if t is not None and t.closed:
                out[unit.id] = Measure(_rate(t.closed_on_time, t.closed), f"按时 {t.closed_on_time} / 办结 {t.closed}")
        return out


@dataclass(frozen=True)
class TasksOnTime:
    """任务按期办结率: tasks of every kind the unit closed in the period without a missed step deadline."""

    name: str = "tasks_on_time"
    label: str = "任务按期办结率"
    direction: Direction = Direction.HIGHER
    unit: str = "%"

    def compute(self, session: Session, period: RankPeriod, units: Sequence[RankedUnit]) -> Mapping[int, Measure]:
        counts = closed_by_unit(session, period.start, period.end)
        out: dict[int, Measure] = {}
        for unit in units:
            c = counts.get(unit.id)
            if c is not None and c.closed:
                out[unit.id] = Measure(_rate(c.on_time, c.closed), f"按期 {c.on_time} / 办结 {c.closed}")
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

    def compute(self, session: Session, period: RankPeriod, units: Sequence[RankedUnit]) -> Mapping[int, Measure]:
        done = closed_by_unit(session, period.start, period.end, kinds=[self.kind], outcomes=self.outcomes)
        closed = closed_by_unit(session, period.start, period.end, kinds=[self.kind])
        if not closed:
            return {}
        out: dict[int, Measure] = {}
        for unit in units:
            n = done[unit.id].closed if unit.id in done else 0
            of = closed[unit.id].closed if unit.id in closed else 0
            out[unit.id] = Measure(float(n), f"{self.label} {n} / 办结 {of}")
        return out


DeskFigures = Callable[[Session, datetime, datetime, datetime], Mapping[int, Mapping[str, Any]]]
"""The desk's evaluation per unit id (`pingan.desk.queries.unit_evaluation` with the county's desk rules)."""


class DeskEvaluation:
    """The desk's per-unit evaluation, computed once per session and period for the indicators reading it."""

    def __init__(self, figures: DeskFigures, clock: Clock) -> None:
        self.figures = figures
        self.clock = clock
        self._last: tuple[Session, object, datetime, datetime, Mapping[int, Mapping[str, Any]]] | None = None

    def of(self, session: Session, period: RankPeriod) -> Mapping[int, Mapping[str, Any]]:
        transaction = session.get_transaction()
        last = self._last
        if (
            last is not None
            and last[0] is session
            and last[1] is transaction
            and last[2:4] == (period.start, period.end)
        ):
            return last[4]
        result = self.figures(session, period.start, period.end, self.clock.now())
        self._last = (session, transaction, period.start, period.end, result)
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

    def compute(self, session: Session, period: RankPeriod, units: Sequence[RankedUnit]) -> Mapping[int, Measure]:
        rows = self.source.of(session, period)
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
