"""The area tree of the multi-county tests: 浙江省 (33) → 宁波市 (3302) → 象山县 (330225) and 宁海县 (330226).
Each test adds the stations and units of its own below the counties."""

from __future__ import annotations

from shapely.geometry import box
from sqlalchemy.orm import Session

from pingan.core.areas import import_areas
from pingan.core.geo import GeoArea
from pingan.core.models import AreaKind


def import_province_and_counties(s: Session) -> None:
    import_areas(s, [GeoArea("浙江省", "33", box(118, 27, 123, 31.5))], kind=AreaKind.PROVINCE, with_units=False)
    import_areas(s, [GeoArea("宁波市", "3302", box(120.5, 28.8, 122.5, 30.5))], kind=AreaKind.CITY, parent_code="33")
    import_areas(
        s, [GeoArea("象山县", "330225", box(121.0, 29.0, 122.0, 29.5))], kind=AreaKind.COUNTY, parent_code="3302"
    )
    import_areas(
        s, [GeoArea("宁海县", "330226", box(121.0, 29.5, 122.0, 29.9))], kind=AreaKind.COUNTY, parent_code="3302"
    )
