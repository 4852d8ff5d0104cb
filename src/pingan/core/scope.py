"""Who sees what: a user sees only the jurisdictions their role covers (DESIGN §7)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from pingan.core.errors import Forbidden
from pingan.core.models import COUNTY_WIDE_ROLES, DUTY_NAMES, Area, AreaKind, Duty, Role, Unit, User

FIELD_ROLES = frozenset({Role.STATION_HEAD, Role.OFFICER})
# Roles that may see unmasked personal data when they ask for it (and the read is recorded).
REVEAL_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.COMMANDER, Role.STATION_HEAD, Role.OFFICER})


@dataclass(frozen=True)
class Scope:
    county_wide: bool
    unit_ids: frozenset[int]
    area_ids: frozenset[int]
    duties: frozenset[str] = field(default_factory=frozenset)
    """The user's clearances (`Duty`): data restricted to a duty is invisible without it, whatever the role."""

    def has(self, duty: Duty | str | None) -> bool:
        """Whether the scope holds `duty` (None: nothing is required)."""
        return duty is None or str(duty) in self.duties

    def require(self, duty: Duty) -> None:
        """Raise Forbidden unless the scope holds `duty`: the one check of every restricted list, detail,
        export and figure (tasks are decided by `pingan.core.tasks.access` from their workflow's duty)."""
        if not self.has(duty):
            raise Forbidden(f"仅限{DUTY_NAMES.get(duty, duty)}岗位人员", code="duty_required")

    def covers(self, *, unit_id: int | None, area_id: int | None) -> bool:
        return self.county_wide or (unit_id in self.unit_ids) or (area_id in self.area_ids)

    def clause(
        self,
        unit_col: InstrumentedAttribute[int | None],
        area_col: InstrumentedAttribute[int | None],
        *,
        seen_by_area: bool = True,
    ) -> ColumnElement[bool]:
        """A WHERE clause limiting rows to this scope: held by one of its units, or lying in one of its areas
        (with `seen_by_area` off, only while no unit holds the row)."""
        if self.county_wide:
            return true()
        parts: list[ColumnElement[bool]] = []
        if self.unit_ids:
            parts.append(unit_col.in_(self.unit_ids))
        if self.area_ids:
            in_area = area_col.in_(self.area_ids)
            parts.append(in_area if seen_by_area else and_(in_area, unit_col.is_(None)))
        return or_(*parts) if parts else false()


def manages_account(scope: Scope, unit_id: int | None) -> bool:
    """Whether an admin of `scope` may list, create or change an account of this unit: every account for the
    deployment's admin; in a tenancy (a county, a city) only those of its own units, never one of no unit
    (the deployment operator's, who sees every county)."""
    return scope.county_wide or (unit_id is not None and unit_id in scope.unit_ids)


COUNTY = Scope(True, frozenset(), frozenset())
"""Everything: the county-wide roles' scope (one county), and the CLI's."""

TENANT_KINDS = frozenset({AreaKind.PROVINCE, AreaKind.CITY, AreaKind.COUNTY})
"""Areas that delimit a tenancy: a county bureau's, a city's (its counties), a province's."""


def scope_of(session: Session, user: User) -> Scope:
    """County-wide roles see their county; station staff see their unit's tasks and their station's areas.

    A deployment that holds several counties (a province on many machines) makes each county a tenant: a
    county's county-wide users see that county's areas and units only, a city's or a province's see the
    counties below them. With one county (or none written down, as a single county installs) they see it all.
    The user's duties (clearances such as 禁毒) travel with the scope whatever it covers.
    """
    duties = frozenset(d for d in (user.duties or []) if d in {x.value for x in Duty})
    if user.role in COUNTY_WIDE_ROLES:
        return _tenant_scope(session, user, duties)
    units = frozenset({user.unit_id}) if user.unit_id is not None else frozenset()
    areas: set[int] = set()
    if user.role in FIELD_ROLES and user.unit_id is not None:
        unit = session.get(Unit, user.unit_id)
        if unit is not None and unit.area_id is not None:
            areas.add(unit.area_id)
            areas.update(session.scalars(select(Area.id).where(Area.parent_id == unit.area_id)))
    if user.role not in FIELD_ROLES:
        duties = frozenset()  # a clearance is police staff's: a partner or a resident never holds one
    return Scope(False, units, frozenset(areas), duties)


def _tenant_scope(session: Session, user: User, duties: frozenset[str]) -> Scope:
    everything = Scope(True, frozenset(), frozenset(), duties)
    counties = session.scalar(select(func.count()).select_from(Area).where(Area.kind == AreaKind.COUNTY)) or 0
    if counties < 2 or user.unit_id is None:
        # One county, or the deployment's own operator (an account of no unit): the whole deployment.
        return everything
    top = tenant_area(session, user.unit_id)
    if top is None:
        # A unit outside every county of a multi-county deployment sees its own work only, never all of it.
        return Scope(False, frozenset({user.unit_id}), frozenset(), duties)
    areas = subtree(session, top)
    inside = session.scalar(
        select(func.count()).select_from(Area).where(Area.kind == AreaKind.COUNTY, Area.id.in_(areas))
    )
    if inside == counties:
        return everything
    tenancy = area_scope(session, top, duties)
    return Scope(False, tenancy.unit_ids | {user.unit_id}, tenancy.area_ids, duties)


def area_scope(session: Session, area_id: int, duties: frozenset[str] = frozenset()) -> Scope:
    """What a tenancy of `area_id` (a county, a city, a province) covers: the area and every area below it, and
    the units placed in them; what a county-wide user of that tenancy sees, and what its reports count."""
    areas = subtree(session, area_id)
    units = frozenset(session.scalars(select(Unit.id).where(Unit.area_id.in_(areas))))
    return Scope(False, units, frozenset(areas), duties)


def tenant_area(session: Session, unit_id: int) -> int | None:
    """The county, city or province a unit belongs to: its own area or the nearest such area above it,
    reached through the unit's parents when it has no area itself (a centre under its bureau)."""
    unit = session.get(Unit, unit_id)
    seen: set[int] = set()
    while unit is not None and unit.area_id is None and unit.parent_id is not None and unit.id not in seen:
        seen.add(unit.id)
        unit = session.get(Unit, unit.parent_id)
    area = session.get(Area, unit.area_id) if unit is not None and unit.area_id is not None else None
    visited: set[int] = set()
    while area is not None and area.kind not in TENANT_KINDS and area.id not in visited:
        visited.add(area.id)
        area = session.get(Area, area.parent_id) if area.parent_id is not None else None
    return area.id if area is not None else None


def subtree(session: Session, root: int) -> set[int]:
    """The area and every area below it, a level a query."""
    found = {root}
    level = {root}
    while level:
        level = set(session.scalars(select(Area.id).where(Area.parent_id.in_(level)))) - found
        found |= level
    return found
