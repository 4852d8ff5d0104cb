"""Routing against the database: a cached snapshot of units and officers (the `Directory` lookups),
and the rule book (admin rules + county defaults).

Units, officers and rules change rarely and are read on every post, so they are held in memory and
reloaded when a one-row stamp query (counts, last ids and change times, the rules counter) says they
changed, or after `ttl` seconds at most.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.models import Counter, Unit, UnitKind, User
from pingan.desk.models import DeskOfficer, DeskRoutingRule
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.kinds import Specialty
from pingan.desk.rules.routing import Place, RouteRule, ordered

RULES_COUNTER = "desk_routing"


@dataclass(frozen=True, slots=True)
class UnitFacts:
    id: int
    code: str
    name: str
    kind: UnitKind
    area_id: int | None


@dataclass(frozen=True, slots=True)
class OfficerFacts:
    user_id: int
    unit_id: int | None
    name: str
    area_id: int


@dataclass(frozen=True)
class Snapshot:
    """`pingan.desk.rules.routing.Directory` answered from memory."""

    units: Mapping[int, UnitFacts]
    officers: Mapping[int, tuple[OfficerFacts, ...]]
    """area id → its active officers, in card order."""
    rules: tuple[RouteRule, ...]
    _by_code: dict[str, int] = field(default_factory=dict)

    unit_names: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_code.update({u.code: u.id for u in self.units.values()})
        self.unit_names.update({u.id: u.name for u in self.units.values()})

    def officer_for(self, place: Place) -> tuple[int, int | None] | None:
        for area in (place.community_id, place.station_id):
            if area is not None and self.officers.get(area):
                officer = self.officers[area][0]
                return officer.user_id, officer.unit_id
        return None

    def station_unit(self, station_id: int | None) -> int | None:
        if station_id is None:
            return None
        found = [u.id for u in self.units.values() if u.kind is UnitKind.STATION and u.area_id == station_id]
        return min(found) if found else None

    def command_centre(self) -> int | None:
        found = [u.id for u in self.units.values() if u.kind is UnitKind.COMMAND_CENTRE]
        return min(found) if found else None

    def specialty_unit(self, specialty: Specialty) -> int | None:
        return self._by_code.get(specialty.unit_code)

    def governance_unit(self, place: Place) -> int | None:
        governance = sorted((u for u in self.units.values() if u.kind is UnitKind.GOVERNANCE), key=lambda u: u.id)
        for wanted in (place.community_id, place.station_id):
            if wanted is not None:
                for unit in governance:
                    if unit.area_id == wanted:
                        return unit.id
        for unit in governance:
            if unit.area_id is None:
                return unit.id
        return None

    def unit_exists(self, unit_id: int) -> bool:
        return unit_id in self.units

    def unit_name(self, unit_id: int | None) -> str | None:
        unit = self.units.get(unit_id) if unit_id is not None else None
        return unit.name if unit else None

    def card(self, user_id: int) -> OfficerFacts | None:
        """The active card of the officer `user_id`, if they have one."""
        for officers in self.officers.values():
            for officer in officers:
                if officer.user_id == user_id:
                    return officer
        return None

    def officer_name(self, user_id: int | None) -> str | None:
        for officers in self.officers.values():
            for officer in officers:
                if officer.user_id == user_id:
                    return officer.name
        return None


def rule_of(row: DeskRoutingRule) -> RouteRule:
    return RouteRule(
        target=row.target,
        category=row.category,
        topic=row.topic,
        area_id=row.area_id,
        specialty=row.specialty,
        unit_id=row.unit_id,
        triage=row.triage,
        priority=row.priority,
        id=row.id,
    )


def default_rules(rules: DeskRules) -> list[RouteRule]:
    return [
        RouteRule(target=r.target, category=r.category, topic=r.topic, specialty=r.specialty, triage=r.triage)
        for r in rules.routes
    ]


_STAMP = select(
    select(func.count(Unit.id)).scalar_subquery(),
    select(func.max(Unit.id)).scalar_subquery(),
    select(func.count(DeskOfficer.id)).scalar_subquery(),
    select(func.max(DeskOfficer.updated_at)).scalar_subquery(),
    select(Counter.value).where(Counter.name == RULES_COUNTER).scalar_subquery(),
)


class DirectoryCache:
    """The current `Snapshot`, reloaded when the stamp changes (or after `ttl` seconds)."""

    def __init__(self, rules: DeskRules, *, ttl: float = 60.0, check_every: float = 2.0) -> None:
        self.defaults = tuple(default_rules(rules))
        self.ttl = ttl
        self.check_every = check_every
        self._checked = 0.0
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._loaded = 0.0
        self._snapshot: Snapshot | None = None

    def invalidate(self) -> None:
        with self._lock:
            self._stamp = None

    def _stamp_of(self, session: Session) -> tuple[Any, ...]:
        row = (
            session.connection()
            .execute(
                select(
                    select(func.count(Unit.id)).scalar_subquery(),
                    select(func.max(Unit.id)).scalar_subquery(),
                    select(func.count(DeskOfficer.id)).scalar_subquery(),
                    select(func.max(DeskOfficer.updated_at)).scalar_subquery(),
                    select(Counter.value).where(Counter.name == RULES_COUNTER).scalar_subquery(),
                )
            )
            .one()
        )
        return tuple(row)

    def snapshot(self, session: Session) -> Snapshot:
        """The current snapshot. Changes made through this process show at once (`invalidate`); others
        within `check_every` seconds, when the stamp is looked at again."""
        now = time.monotonic()
        with self._lock:
            if self._snapshot is not None and self._stamp is not None and now - self._checked < self.check_every:
                return self._snapshot
        stamp = self._stamp_of(session)
        with self._lock:
            self._checked = now
            if self._snapshot is not None and stamp == self._stamp and now - self._loaded < self.ttl:
                return self._snapshot
        snapshot = self._load(session)
        with self._lock:
            self._snapshot, self._stamp, self._loaded = snapshot, stamp, now
        return snapshot

    def _load(self, session: Session) -> Snapshot:
        conn = session.connection()
        units = {
            row.id: UnitFacts(row.id, row.code, row.name, row.kind, row.area_id)
            for row in conn.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.area_id))
        }
        officers: dict[int, list[OfficerFacts]] = {}
        for row in conn.execute(
            select(DeskOfficer.user_id, DeskOfficer.area_id, User.unit_id, User.display_name)
            .join(User, User.id == DeskOfficer.user_id)
            .where(DeskOfficer.active.is_(True), User.active.is_(True))
            .order_by(DeskOfficer.id)
        ):
            officers.setdefault(row.area_id, []).append(
                OfficerFacts(row.user_id, row.unit_id, row.display_name, row.area_id)
            )
        admin = [rule_of(r) for r in session.scalars(select(DeskRoutingRule).where(DeskRoutingRule.active))]
        return Snapshot(
            units=units,
            officers={k: tuple(v) for k, v in officers.items()},
            rules=tuple(ordered(admin, self.defaults)),
        )

    @staticmethod
    def bump(session: Session) -> None:
        """Mark the rules changed (in the same transaction as the change)."""
        counter = session.get(Counter, RULES_COUNTER)
        if counter is None:
            session.add(Counter(name=RULES_COUNTER, value=1))
        else:
            counter.value += 1
        session.flush()
