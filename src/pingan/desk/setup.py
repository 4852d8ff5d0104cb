"""Units the desk routes to, created once per county (the demo and `pingan init` may call this)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.models import Unit, UnitKind
from pingan.core.setup import ensure_centre_units
from pingan.desk.rules.kinds import SPECIALTY_NAMES, Specialty

COUNTY_GOVERNANCE = ("governance-county", "县社会治理中心")


def ensure_desk_units(session: Session) -> dict[str, int]:
    """The centres, one unit per specialty (治安、法制、交警、出入境) and the county governance centre;
    returns code → id. Existing units are left as they are."""
    ids = ensure_centre_units(session)
    bureau = ids.get("bureau")
    wanted = [(s.unit_code, SPECIALTY_NAMES[s], UnitKind.SPECIALTY) for s in Specialty]
    wanted.append((*COUNTY_GOVERNANCE, UnitKind.GOVERNANCE))
    for code, name, kind in wanted:
        unit = session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            unit = Unit(code=code, name=name, kind=kind, parent_id=bureau if kind is UnitKind.SPECIALTY else None)
            session.add(unit)
            session.flush()
        ids[code] = unit.id
    return ids
