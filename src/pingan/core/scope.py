"""Who sees what: a user sees only the jurisdictions their role covers (DESIGN §7)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from pingan.core.errors import Forbidden
from pingan.core.models import COUNTY_WIDE_ROLES, DUTY_NAMES, Area, Duty, Role, Unit, User

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


COUNTY = Scope(True, frozenset(), frozenset())
"""Everything: the county-wide roles' scope, and the CLI's."""


def scope_of(session: Session, user: User) -> Scope:
    """County-wide roles see everything; station staff see their unit's tasks and their station's areas."""
    duties = frozenset(d for d in (user.duties or []) if d in {x.value for x in Duty})
    if user.role in COUNTY_WIDE_ROLES:
        return Scope(True, frozenset(), frozenset(), duties)
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
