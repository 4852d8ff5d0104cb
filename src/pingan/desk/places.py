"""Where a request or a resident is: a point (WGS84 or GCJ-02) or an address → station and community.

Points go through the core `Jurisdictions` index. An address is matched against the names of the
county's areas: the town it names first, then the longest community name it contains within that town
(any town's when it names none), which is how a resident's "象山县丹东街道丹河社区…" finds its community
without a geocoder.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.areas import Jurisdictions
from pingan.core.errors import BadInput
from pingan.core.geo import CRS, to_wgs84
from pingan.core.models import Area, AreaKind
from pingan.desk.rules.routing import Place


@dataclass(frozen=True, slots=True)
class Located:
    lon: float | None
    lat: float | None
    place: Place
    by: str
    """"location", "address", "profile" or "none"."""


class Places:
    def __init__(self, jurisdictions: Jurisdictions, *, names_ttl: float = 60.0) -> None:
        self.jurisdictions = jurisdictions
        self._names_ttl = names_ttl
        self._lock = threading.Lock()
        self._names: list[tuple[str, int, AreaKind, int | None, str]] = []
        self._loaded = 0.0
        self._by_id: tuple[list[tuple[str, int, AreaKind, int | None, str]], dict[int, str]] | None = None

    def point(self, session: Session, lon: float, lat: float, crs: CRS) -> tuple[float, float, Place]:
        """The WGS84 point and its place; BadInput on `lon` when the county has areas and none holds it."""
        wlon, wlat = to_wgs84(lon, lat, crs)
        station = self.jurisdictions.station_at(session, wlon, wlat)
        if station is None and self.jurisdictions.index(session) is not None:
            raise BadInput("位置不在本县范围内", field="lon", code="outside_county")
        community = self.jurisdictions.community_at(session, wlon, wlat) if station is not None else None
        if community is not None:
            parent = self._parent(session, community)
            if parent is not None and parent != station:
                # On a town border the two indexes may disagree; the community decides.
                station = parent
        return wlon, wlat, Place(station, community)

    def address(self, session: Session, address: str) -> Place | None:
        """The place an address names, or None when it names no known area.

        A town (or street) the address names wins: a community is taken only within it, so that
        "丹东街道东门社区…" never lands in another town's 东门社区. Without a town, the longest community
        name found decides.
        """
        names = self._area_names(session)
        station = _named_station(names, address)
        for name, area_id, kind, parent, _full in names:  # longest first: the first community wins
            if kind is AreaKind.COMMUNITY and name and name in address and (station is None or parent == station):
                return Place(parent, area_id)
        return Place(station, None) if station is not None else None

    def _parent(self, session: Session, area_id: int) -> int | None:
        for _name, aid, _kind, parent, _full in self._area_names(session):
            if aid == area_id:
                return parent
        return None

    def _area_names(self, session: Session) -> list[tuple[str, int, AreaKind, int | None, str]]:
        now = time.monotonic()
        with self._lock:
            if self._names and now - self._loaded < self._names_ttl:
                return self._names
        rows = session.execute(
            select(Area.name, Area.id, Area.kind, Area.parent_id).where(
                Area.active, Area.kind.in_((AreaKind.STATION, AreaKind.COMMUNITY))
            )
        )
        names = sorted(
            ((_short(name, kind), aid, kind, parent, name) for name, aid, kind, parent in rows),
            key=lambda r: -len(r[0]),
        )
        with self._lock:
            self._names, self._loaded = names, now
        return names

    def area_names(self, session: Session) -> dict[int, str]:
        """Station and community names by id (cached with the address matcher)."""
        names = self._area_names(session)
        with self._lock:
            if self._by_id is None or self._by_id[0] is not names:
                self._by_id = (names, {aid: full for _short, aid, _kind, _parent, full in names})
            return self._by_id[1]

    def invalidate(self) -> None:
        with self._lock:
            self._names, self._loaded, self._by_id = [], 0.0, None


def _short(name: str, kind: AreaKind) -> str:
    # "丹东街道派出所" as an area name still matches an address that says "丹东街道".
    return name.removesuffix("派出所") if kind is AreaKind.STATION else name


_COUNTY_PREFIXES = ("浙江省", "宁波市", "象山县", "贵州省")
_TOWN_SUFFIXES = ("街道", "镇", "乡")


def _named_station(names: list[tuple[str, int, AreaKind, int | None, str]], address: str) -> int | None:
    """The station area whose town the address names: its full name anywhere (the earliest one written),
    else its name without 街道/镇/乡 at the head of the address ("丹东东门社区…")."""
    found: tuple[int, int] | None = None  # (position, area id)
    for name, area_id, kind, _parent, _full in names:
        if kind is AreaKind.STATION and name:
            at = address.find(name)
            if at >= 0 and (found is None or at < found[0]):
                found = (at, area_id)
    if found is not None:
        return found[1]
    head = address
    for prefix in _COUNTY_PREFIXES:
        head = head.removeprefix(prefix)
    for name, area_id, kind, _parent, _full in names:
        if kind is AreaKind.STATION:
            stem = name
            for suffix in _TOWN_SUFFIXES:
                stem = stem.removesuffix(suffix)
            if len(stem) >= 2 and stem != name and head.startswith(stem):
                return area_id
    return None
