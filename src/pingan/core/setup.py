"""County set-up that every installation needs: the bureau and its centres."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.models import Unit, UnitKind

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
