"""Whose ranking: in a deployment of several counties, each county ranks its own stations and departments
(its figures counted within it, its snapshots its own), and a city or province ranks the county bureaus
below it (省/市 打榜). With one county (as a single county installs) there is one tenant, the deployment.

`resolve` is the one decision: from the area the user belongs to (`pingan.core.scope.tenant_area`; None for
the deployment's operator and the command line) and the county asked for, the tenant ranked, or an error
naming `county` (or `board`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.errors import BadInput, Forbidden, NotFound
from pingan.core.models import Area, AreaKind, Unit, UnitKind
from pingan.core.scope import subtree

COUNTIES_BOARD = "counties"
"""The board of county bureaus ranked against each other (`[ranking.county_board]`)."""


@dataclass(frozen=True)
class Within:
    """The units and areas a tenant's figures are counted within."""

    units: frozenset[int]
    areas: frozenset[int]


@dataclass(frozen=True)
class Tenant:
    key: str
    """The snapshot key: the county's (or the city's, the province's) area code; '' for the whole deployment."""
    code: str | None
    name: str | None
    kind: str | None
    """`county`, `city`, `province`, or None for the whole deployment."""
    within: Within | None
    """None: the whole deployment (nothing is left out)."""

    @property
    def is_county(self) -> bool:
        return self.kind == AreaKind.COUNTY.value

    def public(self) -> dict[str, str] | None:
        if self.code is None:
            return None
        return {"code": self.code, "name": self.name or self.code, "kind": self.kind or ""}


WHOLE = Tenant("", None, None, None, None)
"""One county (or none written down): the deployment is the one tenant, ranked as it always was."""


def county_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Area).where(Area.kind == AreaKind.COUNTY)) or 0


def is_multi_county(session: Session) -> bool:
    return county_count(session) >= 2


def tenant_for_area(session: Session, area: Area) -> Tenant:
    areas = frozenset(subtree(session, area.id))
    units = frozenset(session.scalars(select(Unit.id).where(Unit.area_id.in_(areas))))
    return Tenant(area.code, area.code, area.name, area.kind.value, Within(units, areas))


def counties_below(session: Session, tenant: Tenant) -> list[Area]:
    """The county areas a city's or province's board ranks (every county for the whole deployment)."""
    query = select(Area).where(Area.kind == AreaKind.COUNTY).order_by(Area.code)
    if tenant.within is not None:
        query = query.where(Area.id.in_(tenant.within.areas))
    return list(session.scalars(query))


def county_bureaus(session: Session, counties: list[Area]) -> dict[int, Unit]:
    """Each county's bureau (县公安局), by county area id."""
    if not counties:
        return {}
    rows = session.scalars(
        select(Unit).where(Unit.kind == UnitKind.BUREAU, Unit.area_id.in_([c.id for c in counties])).order_by(Unit.id)
    )
    out: dict[int, Unit] = {}
    for unit in rows:
        if unit.area_id is not None:
            out.setdefault(unit.area_id, unit)
    return out


def resolve(session: Session, top: int | None, county: str | None, *, board: str) -> Tenant:
    """The tenant whose `board` is ranked for a user of the area `top` (None: the whole deployment) asking
    for `county` (an area code, or None).

    With one county: the deployment (a `county` naming another area is a 404 on `county`); the counties
    board does not exist there (400 on `board`). With several: a county's users rank their own county (a
    different `county` is a 404 on `county`, as if it did not exist) and may not open the counties board
    (403 on `board`); a city's or province's users (and the operator) get the counties below them on the
    counties board and must name one of those counties (400 on `county` when they do not) for any other.
    """
    code = county.strip() if county is not None else None
    if code == "":
        code = None
    if not is_multi_county(session):
        if board == COUNTIES_BOARD:
            raise BadInput("只有一个县（市、区）时没有县局打榜", field="board")
        if code is not None:
            only = session.scalar(select(Area.code).where(Area.kind == AreaKind.COUNTY))
            if code != only:
                raise NotFound(f"没有代码为 {code} 的县（市、区）", field="county")
        return WHOLE
    own = session.get(Area, top) if top is not None else None
    allowed = frozenset(subtree(session, own.id)) if own is not None else None
    if board == COUNTIES_BOARD:
        if own is not None and own.kind is AreaKind.COUNTY:
            raise Forbidden("县局打榜由市、省级单位查看", field="board")
        if code is not None:
            # The operator (and the command line) may rank the counties of one city or of the province.
            area = session.scalar(select(Area).where(Area.code == code))
            if area is None or area.kind not in (AreaKind.CITY, AreaKind.PROVINCE):
                raise NotFound(f"没有代码为 {code} 的市或省", field="county")
            if allowed is not None and area.id not in allowed:
                raise NotFound(f"没有代码为 {code} 的市或省", field="county")
            return tenant_for_area(session, area)
        return tenant_for_area(session, own) if own is not None else WHOLE
    if own is not None and own.kind is AreaKind.COUNTY and code is None:
        return tenant_for_area(session, own)
    if code is None:
        raise BadInput("请选择县（市、区）：榜单按县排名", field="county")
    area = session.scalar(select(Area).where(Area.code == code, Area.kind == AreaKind.COUNTY))
    if area is None or (allowed is not None and area.id not in allowed):
        raise NotFound(f"没有代码为 {code} 的县（市、区）", field="county")
    return tenant_for_area(session, area)


def visible_keys(session: Session, top: int | None) -> frozenset[str] | None:
    """The snapshot keys a user of `top` may list: their own tenant's and those below it (None: all)."""
    if top is None or not is_multi_county(session):
        return None
    areas = subtree(session, top)
    return frozenset(
        session.scalars(
            select(Area.code).where(
                Area.id.in_(areas), Area.kind.in_([AreaKind.COUNTY, AreaKind.CITY, AreaKind.PROVINCE])
            )
        )
    )


def default_board(session: Session, top: int | None) -> str:
    """The board a user of `top` opens first: a city's, a province's or the operator's the counties board in a
    deployment of several counties; everybody else the stations'."""
    if not is_multi_county(session):
        return "stations"
    own = session.get(Area, top) if top is not None else None
    return "stations" if own is not None and own.kind is AreaKind.COUNTY else COUNTIES_BOARD


def counties_of(session: Session, top: int | None) -> list[dict[str, str]]:
    """The counties a user of `top` may open a board of (code and name), for a picker; [] with one county."""
    if not is_multi_county(session):
        return []
    query = select(Area).where(Area.kind == AreaKind.COUNTY).order_by(Area.code)
    if top is not None:
        query = query.where(Area.id.in_(subtree(session, top)))
    return [{"code": a.code, "name": a.name} for a in session.scalars(query)]
