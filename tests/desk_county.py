"""A small generated county with everything the desk needs, for the tests that drive it end to end.

Two neighbouring towns of the demo county (丹东街道, 丹西街道) with three communities each, the
centres and the desk's units, station staff named as `pingan demo` names them, and what
`setup_desk_demo` adds (governance departments and their staff, community officers' cards, demo
residents). Every login's password is `PASSWORD`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shapely import wkb
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from pingan.bootstrap import Services
from pingan.core.areas import import_areas
from pingan.core.identity import create_user
from pingan.core.models import Area, AreaKind, Role, Unit, UnitKind
from pingan.core.setup import ensure_centre_units
from pingan.demo.county import generate_communities, generate_county
from pingan.demo.desk_sim import DEMO_PASSWORD, DeskDemo, setup_desk_demo
from pingan.demo.run import TOWN_SLUGS

PASSWORD = DEMO_PASSWORD
TOWNS = ("330225001", "330225002")  # 丹东街道, 丹西街道


@dataclass(frozen=True)
class SmallCounty:
    demo: DeskDemo
    communities: dict[str, int]
    """Community name → area id."""
    community_shapes: dict[int, BaseGeometry]
    stations: dict[str, int]
    """Town code → station area id."""
    station_units: dict[str, int]
    """Town code → station unit id."""


def build_small_county(services: Services, *, seed: int = 7, residents: int = 6) -> SmallCounty:
    rng = random.Random(seed)
    towns = [a for a in generate_county(seed) if a.code in TOWNS]
    now = services.clock.now()
    with services.db.session() as session:
        centres = ensure_centre_units(session)
        import_areas(session, towns, kind=AreaKind.STATION)
        for town in towns:
            import_areas(
                session,
                generate_communities(town, 3, rng),
                kind=AreaKind.COMMUNITY,
                parent_code=town.code,
                with_units=False,
            )
        create_user(
            session, "admin", PASSWORD, role=Role.ADMIN, display_name="系统管理员", unit_id=centres["bureau"], now=now
        )
        create_user(
            session,
            "qzzx",
            PASSWORD,
            role=Role.COMMANDER,
            display_name="情指中心 林指挥",
            unit_id=centres["command-centre"],
            now=now,
        )
        stations: dict[str, int] = {}
        station_units: dict[str, int] = {}
        for town in towns:
            assert town.code is not None
            area = session.scalar(select(Area).where(Area.code == town.code))
            assert area is not None
            unit = session.scalar(select(Unit).where(Unit.kind == UnitKind.STATION, Unit.area_id == area.id))
            assert unit is not None
            stations[town.code] = area.id
            station_units[town.code] = unit.id
            slug = TOWN_SLUGS[town.code]
            for username, role, title, surname in (
                (f"{slug}_sz", Role.STATION_HEAD, "所长", "张"),
                (f"{slug}_mj1", Role.OFFICER, "民警", "李"),
                (f"{slug}_mj2", Role.OFFICER, "社区民警", "王"),
            ):
                create_user(
                    session,
                    username,
                    PASSWORD,
                    role=role,
                    display_name=f"{unit.name} {surname}{title}",
                    unit_id=unit.id,
                    now=now,
                )
        demo = setup_desk_demo(services, session, rng, residents=residents)
        rows = session.execute(select(Area.id, Area.name, Area.geometry).where(Area.kind == AreaKind.COMMUNITY)).all()
        communities = {name: area_id for area_id, name, _geometry in rows}
        shapes = {area_id: wkb.loads(geometry) for area_id, _name, geometry in rows if geometry is not None}
    services.jurisdictions.invalidate()
    return SmallCounty(demo, communities, shapes, stations, station_units)
