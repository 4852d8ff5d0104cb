"""County set-up that every installation needs: the bureau and its centres."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.models import Area, Unit, UnitKind

CENTRE_UNITS = (
    ("bureau", "县公安局", UnitKind.BUREAU),
    ("anti-fraud-centre", "反诈中心", UnitKind.ANTI_FRAUD_CENTRE),
    ("command-centre", "情报指挥中心", UnitKind.COMMAND_CENTRE),
)


def ensure_centre_units(session: Session) -> dict[str, int]:
    """Create the bureau, the anti-fraud centre and the command centre if missing; returns code → id."""
    ids: dict[str, int] = {}
    bureau_id: int | None = None
    for code, name, kind in CENTRE_UNITS:
        unit = session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            unit = Unit(code=code, name=name, kind=kind, parent_id=bureau_id)
            session.add(unit)
            session.flush()
        if kind is UnitKind.BUREAU:
            bureau_id = unit.id
        ids[code] = unit.id
    return ids


def ensure_county_units(session: Session, county: Area) -> dict[str, int]:
    """A county's bureau and centres, in the county's area (a deployment of several counties gives each
    county its own). The first county written down into an installation that already has the county-less
    centres of a single county adopts them, so that their users and their work stay where they are."""
    legacy = [session.scalar(select(Unit).where(Unit.code == code)) for code, _, _ in CENTRE_UNITS]
    placed = session.scalar(select(Unit.id).where(Unit.kind == UnitKind.BUREAU, Unit.area_id.is_not(None)).limit(1))
    if placed is None and all(u is not None and u.area_id is None for u in legacy):
        ids: dict[str, int] = {}
        for unit in legacy:
            assert unit is not None
            unit.area_id = county.id
            ids[unit.code] = unit.id
        session.flush()
        return ids
    ids = {}
    bureau_id: int | None = None
    for code, name, kind in CENTRE_UNITS:
        full = f"{county.code}-{code}"
        unit = session.scalar(select(Unit).where(Unit.code == full))
        if unit is None:
            title = f"{county.name}公安局" if kind is UnitKind.BUREAU else f"{county.name}{name}"
            unit = Unit(code=full, name=title, kind=kind, area_id=county.id, parent_id=bureau_id)
            session.add(unit)
            session.flush()
        if kind is UnitKind.BUREAU:
            bureau_id = unit.id
        ids[full] = unit.id
    return ids
