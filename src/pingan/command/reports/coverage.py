"""What a report covers: one county's (its bureau, its stations, its figures), or a city's or a province's
(the counties below it, each with its own table).

An installation of one county (or none written down) has one coverage, the whole database, and keeps its
archive and file names as they always were. With two counties or more every county is a tenant (see
`pingan.core.scope`): its report counts within the county's areas and units only, and the archive holds a
folder per county code.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.errors import BadInput, Forbidden, NotFound
from pingan.core.models import Area, AreaKind, Unit, UnitKind, User
from pingan.core.scope import COUNTY, TENANT_KINDS, Scope, area_scope, subtree, tenant_area

WHOLE_WORDS = {AreaKind.COUNTY: "全县", AreaKind.CITY: "全市", AreaKind.PROVINCE: "全省"}


@dataclass(frozen=True, slots=True)
class CountyPart:
    """One county of a coverage: its code, names and what it holds."""

    code: str
    name: str
    bureau: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class Coverage:
    """The tenancy a report is made for."""

    code: str | None
    """The county's (city's, province's) area code; None for a single county's installation."""
    name: str
    """The county as the report's text names it: 象山县, 宁波市."""
    bureau: str
    """The issuer on every page: 象山县公安局."""
    whole: str
    """The word for the whole in totals and sentences: 全县, 全市, 全省."""
    scope: Scope
    counties: tuple[CountyPart, ...] = ()
    """The counties below a city or a province, each counted on its own (empty for a county)."""

    @property
    def single(self) -> bool:
        """Today's installation of one county: no tenancy, the archive's root folder."""
        return self.code is None

    @property
    def area_ids(self) -> frozenset[int] | None:
        """The areas the figures are read within (None: all of them)."""
        return None if self.scope.county_wide else self.scope.area_ids


def county_areas(session: Session) -> list[Area]:
    """The counties written down, in the order of their code."""
    return list(session.scalars(select(Area).where(Area.kind == AreaKind.COUNTY).order_by(Area.code, Area.id)))


def county_names(session: Session) -> dict[str, str]:
    """Each county's name by its code."""
    return {a.code: a.name for a in county_areas(session)}


def tenanted(session: Session) -> bool:
    """Whether the deployment holds several counties (each a tenant, each with its own reports)."""
    return len(county_areas(session)) >= 2


def single(session: Session, bureau_name: str = "") -> Coverage:
    """The one county of an installation: the county rules' `bureau_name`, else the county area's name with
    公安局, else the bureau unit's own name; the county is the bureau's name without 公安局."""
    county = session.scalar(select(Area.name).where(Area.kind == AreaKind.COUNTY).order_by(Area.id).limit(1))
    bureau = bureau_name or (f"{county}公安局" if county else None)
    if bureau is None:
        unit = session.scalar(select(Unit.name).where(Unit.kind == UnitKind.BUREAU).order_by(Unit.id).limit(1))
        bureau = str(unit) if unit else "公安局"
    name = str(county) if county else (bureau.removesuffix("公安局") or "本县")
    return Coverage(None, name, bureau, "全县", COUNTY)


def of_area(session: Session, area: Area) -> Coverage:
    """The coverage of a county, a city or a province of a deployment of several counties."""
    if area.kind is AreaKind.COUNTY:
        return Coverage(area.code, area.name, _bureau(session, area), "全县", area_scope(session, area.id))
    scope = area_scope(session, area.id)
    parts = tuple(_part(session, a) for a in county_areas(session) if a.id in scope.area_ids)
    issuer = f"{area.name}公安厅" if area.kind is AreaKind.PROVINCE else f"{area.name}公安局"
    return Coverage(area.code, area.name, issuer, WHOLE_WORDS.get(area.kind, "全域"), scope, parts)


def whole_deployment(session: Session) -> Coverage:
    """Every county of the deployment (its operator's, and the CLI's without `--county`): the one area above
    all of them when there is one, else every county under the name 全域."""
    counties = county_areas(session)
    roots = session.scalars(select(Area).where(Area.parent_id.is_(None), Area.kind.in_(list(TENANT_KINDS)))).all()
    for root in roots:
        if root.kind is not AreaKind.COUNTY and all(c.id in subtree(session, root.id) for c in counties):
            return of_area(session, root)
    parts = tuple(_part(session, a) for a in counties)
    return Coverage("all", "全域", "公安机关", "全域", COUNTY, parts)


def by_code(session: Session, code: str | None, bureau_name: str = "") -> Coverage:
    """The coverage the CLI and the schedule name by an area code (`--county`); without one, the whole
    deployment. In a single county's installation the county's own code (or none) is the only one."""
    counties = county_areas(session)
    if len(counties) < 2:
        if code and not any(c.code == code for c in counties):
            raise NotFound(f"没有代码为 {code} 的县", field="county")
        return single(session, bureau_name)
    if not code:
        return whole_deployment(session)
    return of_area(session, _tenant_area_of_code(session, code))


def for_viewer(session: Session, user: User, code: str | None, bureau_name: str = "") -> Coverage:
    """The report a county-wide user may have: their own tenancy's, or (with `code`) a county, city or province
    inside it. A county's user never gets another county's: that is a 403 naming `county`."""
    counties = county_areas(session)
    if len(counties) < 2:
        return by_code(session, code, bureau_name)
    if user.unit_id is None:  # the deployment's operator sees every county
        return by_code(session, code)
    top = tenant_area(session, user.unit_id)
    if top is None:
        raise Forbidden("本单位不属于任何县（市、区），没有可看的报告", field="county", code="outside_tenancy")
    if not code:
        area = session.get(Area, top)
        assert area is not None
        return of_area(session, area)
    area = _tenant_area_of_code(session, code)
    if area.id not in subtree(session, top):
        raise Forbidden("只能查看本辖区县（市、区）的报告", field="county", code="outside_tenancy")
    return of_area(session, area)


def viewer_counties(session: Session, user: User) -> list[str] | None:
    """The county codes whose archived reports a county-wide user may read (None: a single county's
    installation, whose archive is its root folder)."""
    counties = county_areas(session)
    if len(counties) < 2:
        return None
    if user.unit_id is None:
        return [c.code for c in counties]
    top = tenant_area(session, user.unit_id)
    if top is None:
        return []
    below = subtree(session, top)
    return [c.code for c in counties if c.id in below]


def _tenant_area_of_code(session: Session, code: str) -> Area:
    if len(code) > 32 or not code.strip():
        raise BadInput("县（市、区）代码无效", field="county")
    area = session.scalar(select(Area).where(Area.code == code, Area.kind.in_(list(TENANT_KINDS))))
    if area is None:
        raise NotFound(f"没有代码为 {code} 的县（市、区）", field="county")
    return area


def _bureau(session: Session, county: Area) -> str:
    name = session.scalar(
        select(Unit.name).where(Unit.kind == UnitKind.BUREAU, Unit.area_id == county.id).order_by(Unit.id).limit(1)
    )
    return str(name) if name else f"{county.name}公安局"


def _part(session: Session, county: Area) -> CountyPart:
    return CountyPart(county.code, county.name, _bureau(session, county), area_scope(session, county.id))
