"""Where a request or a resident is: a point (WGS84 or GCJ-02) or an address → station and community.

Points go through the core `Jurisdictions` index. An address is matched against the names of the
county's areas (the longest community name it contains, else the longest station/town name), which
is how a resident's "象山县丹东街道丹河社区…" finds its community without a geocoder.
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
        """The place an address names, or None when it names no known area."""
        names = self._area_names(session)
        best_station: tuple[int, int] | None = None
        for name, area_id, kind, parent, _full in names:
            if name and name in address:
                if kind is AreaKind.COMMUNITY:
                    return Place(parent, area_id)  # names are longest first: the first community wins
                if kind is AreaKind.STATION and best_station is None:
                    best_station = (area_id, len(name))
        return Place(best_station[0], None) if best_station else None

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
