"""Routing of a desk request by place and kind (pure).

A request's place is its station area and, when known, its community. Rules are tried in order:
the rules an admin keeps in the database (by priority, then the most specific first), then the
county file's defaults (`[desk].routes`); the first that matches decides the route. Emergencies
take no rule: they always go to the station, and the command centre is alerted in parallel.

`resolve` turns the chosen rule into a unit (and an officer) through a `Directory`, which the
service answers from the database and the tests from a dictionary. Every fallback is explained in
the decision's `explanation`, which goes into the task's history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pingan.desk.rules.kinds import (
    CATEGORY_NAMES,
    ROUTE_NAMES,
    SPECIALTY_NAMES,
    TOPIC_NAMES,
    Category,
    Route,
    Specialty,
    Topic,
)


class RuleError(ValueError):
    """A rule that cannot work; `field` names the offending input."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Place:
    station_id: int | None
    community_id: int | None = None


@dataclass(frozen=True, slots=True)
class RouteRule:
    target: Route
    category: Category | None = None
    topic: Topic | None = None
    area_id: int | None = None
    """Only requests in this area (a station or a community); None for anywhere."""
    specialty: Specialty | None = None
    unit_id: int | None = None
    triage: bool = True
    priority: int = 100
    id: int | None = None
    """The database id of an admin's rule; None for a default of the county file."""

    def matches(self, category: Category, topic: Topic | None, place: Place) -> bool:
        if self.category is not None and self.category is not category:
            return False
        if self.topic is not None and self.topic is not topic:
            return False
        return self.area_id is None or self.area_id in (place.station_id, place.community_id)

    @property
    def specificity(self) -> int:
        return (self.area_id is not None) * 4 + (self.topic is not None) * 2 + (self.category is not None)

    def describe(self) -> str:
        what = CATEGORY_NAMES[self.category] if self.category else "任意类别"
        if self.topic is not None:
            what += f"/{TOPIC_NAMES[self.topic]}"
        where = f"（辖区#{self.area_id}）" if self.area_id is not None else ""
        to = ROUTE_NAMES[self.target]
        if self.specialty is not None:
            to += f"：{SPECIALTY_NAMES[self.specialty]}"
        origin = f"规则#{self.id}" if self.id is not None else "默认规则"
        return f"{origin} {what}{where} → {to}"


def check_rule(rule: RouteRule) -> None:
    """Refuse a rule that could never route: raises RuleError naming the field."""
    if rule.category is Category.EMERGENCY:
        raise RuleError("紧急求助一律由属地派出所处置，不能配置分流规则", "category")
    if rule.target is Route.UNIT and rule.unit_id is None:
        raise RuleError("指定单位的规则须填写 unit_id", "unit_id")
    if rule.target is Route.SPECIALTY and rule.specialty is None and rule.unit_id is None:
        raise RuleError("警种规则须填写 specialty 或 unit_id", "specialty")
    if rule.target in (Route.OFFICER, Route.STATION, Route.TRIAGE) and rule.unit_id is not None:
        raise RuleError(f"{ROUTE_NAMES[rule.target]}规则不指定单位", "unit_id")


def ordered(admin_rules: Sequence[RouteRule], defaults: Sequence[RouteRule]) -> list[RouteRule]:
    """Admin rules by priority, most specific first, then by id; the county defaults after them, in file order."""
    first = sorted(admin_rules, key=lambda r: (r.priority, -r.specificity, r.id or 0))
    return [*first, *defaults]


def choose(rules: Sequence[RouteRule], category: Category, topic: Topic | None, place: Place) -> RouteRule | None:
    """The first rule (of an `ordered` list) that matches, or None."""
    for rule in rules:
        if rule.matches(category, topic, place):
            return rule
    return None


class Directory(Protocol):
    """The lookups routing needs. Every method returns None when there is no such unit or officer."""

    def officer_for(self, place: Place) -> tuple[int, int | None] | None:
        """(user id, unit id) of the community officer of the place (community first, then station)."""
        ...

    def station_unit(self, station_id: int | None) -> int | None: ...

    def command_centre(self) -> int | None: ...

    def specialty_unit(self, specialty: Specialty) -> int | None: ...

    def governance_unit(self, place: Place) -> int | None:
        """The governance department covering the place: the community's, then the town's, then the county's."""
        ...

    def unit_exists(self, unit_id: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Decision:
    route: Route
    unit_id: int | None
    assignee_id: int | None = None
    suggested_unit_id: int | None = None
    """For triage: the unit the command centre is advised to send the request on to."""
    rule_id: int | None = None
    explanation: str = ""


def _to_station(place: Place, directory: Directory, why: str) -> Decision:
    unit = directory.station_unit(place.station_id)
    if unit is not None:
        return Decision(Route.STATION, unit, explanation=why)
    return Decision(Route.TRIAGE, directory.command_centre(), explanation=why + "；无属地派出所，由情指中心研判")


def _to_officer(place: Place, directory: Directory, why: str) -> Decision:
    found = directory.officer_for(place)
    if found is not None:
        user_id, unit_id = found
        return Decision(Route.OFFICER, unit_id or directory.station_unit(place.station_id), user_id, explanation=why)
    return _to_station(place, directory, why + "；未配置社区民警，交属地派出所")


def resolve(rule: RouteRule | None, category: Category, place: Place, directory: Directory) -> Decision:
    """The unit (and officer) for a request of `category` at `place` under `rule` (None: no rule matched)."""
    if category is Category.EMERGENCY:
        return _to_station(place, directory, "紧急求助，交属地派出所并通报情指中心")
    if rule is None:
        return _to_officer(place, directory, "无匹配规则，交社区民警")
    why = rule.describe()
    decision: Decision
    if rule.target is Route.OFFICER:
        decision = _to_officer(place, directory, why)
    elif rule.target is Route.STATION:
        decision = _to_station(place, directory, why)
    elif rule.target is Route.TRIAGE:
        decision = _triage(place, directory, None, why)
    elif rule.target is Route.SPECIALTY:
        unit = rule.unit_id if rule.unit_id is not None and directory.unit_exists(rule.unit_id) else None
        if unit is None and rule.specialty is not None:
            unit = directory.specialty_unit(rule.specialty)
        if unit is None:
            decision = _triage(place, directory, None, why + "；未配置该警种单位")
        elif rule.triage:
            decision = _triage(place, directory, unit, why)
        else:
            decision = Decision(Route.SPECIALTY, unit, explanation=why)
    elif rule.target is Route.GOVERNANCE:
        unit = rule.unit_id if rule.unit_id is not None and directory.unit_exists(rule.unit_id) else None
        if unit is None:
            unit = directory.governance_unit(place)
        if unit is None:
            decision = _triage(place, directory, None, why + "；未配置属地治理部门")
        else:
            decision = Decision(Route.GOVERNANCE, unit, explanation=why)
    else:  # Route.UNIT
        if rule.unit_id is not None and directory.unit_exists(rule.unit_id):
            decision = Decision(Route.UNIT, rule.unit_id, explanation=why)
        else:
            decision = _triage(place, directory, None, why + "；指定单位不存在")
    return Decision(
        decision.route,
        decision.unit_id,
        decision.assignee_id,
        decision.suggested_unit_id,
        rule.id,
        decision.explanation,
    )


def _triage(place: Place, directory: Directory, suggested: int | None, why: str) -> Decision:
    centre = directory.command_centre()
    if centre is None:
        fallback = _to_officer(place, directory, why + "；未设情指中心")
        return Decision(fallback.route, fallback.unit_id, fallback.assignee_id, None, None, fallback.explanation)
    return Decision(Route.TRIAGE, centre, suggested_unit_id=suggested, explanation=why)
