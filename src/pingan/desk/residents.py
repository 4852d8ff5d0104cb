"""Residents on the desk: sign-in after a verified code, their profile, and "my community officer"."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, Forbidden, NotFound
from pingan.core.geo import CRS
from pingan.core.identifiers import mask_phone
from pingan.core.identity import Actor, create_user, issue_token
from pingan.core.models import Area, Person, PersonPhone, Role, Unit, UnitKind, User
from pingan.desk.models import DeskOfficer, DeskResident
from pingan.desk.places import Places
from pingan.desk.rules.kinds import RESIDENT_TAGS
from pingan.desk.rules.routing import Place
from pingan.desk.schemas import OfficerCard, ResidentPublic, ResidentToken, ResidentUpdate

ELDERLY_AGE = 60


def resident_username(phone: str) -> str:
    return f"resident:{phone}"


def create_resident(session: Session, phone: str, now: datetime) -> User:
    """The sign-in account of a resident's phone (no password: residents sign in with a texted code)."""
    return create_user(
        session,
        resident_username(phone),
        None,
        role=Role.RESIDENT,
        display_name=f"群众{mask_phone(phone)}",
        unit_id=None,
        now=now,
        phone=phone,
    )


def require_resident(actor: Actor) -> None:
    if not actor.is_resident:
        raise Forbidden("仅限群众使用（请用手机号验证码登录）")


class Residents:
    def __init__(self, db: Database, clock: Clock, places: Places, *, secret: str, token_ttl: timedelta) -> None:
        self.db = db
        self.clock = clock
        self.places = places
        self.secret = secret
        self.token_ttl = token_ttl

    def sign_in(self, phone: str) -> ResidentToken:
        """The resident behind a verified phone: created on first sign-in, linked to the registry if listed."""
        now = self.clock.now()
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.username == resident_username(phone)))
            if user is None:
                user = create_resident(session, phone, now)
            if not user.active or user.role is not Role.RESIDENT:
                raise Forbidden("该账号已停用", field="phone")
            profile = session.get(DeskResident, user.id)
            if profile is None:
                profile = self._new_profile(session, user.id, phone, now)
            token = issue_token(user, self.secret, now, self.token_ttl)
            return ResidentToken(
                access_token=token, expires_at=now + self.token_ttl, resident=self.view(session, profile)
            )

    def _new_profile(self, session: Session, user_id: int, phone: str, now: datetime) -> DeskResident:
        person = session.scalar(
            select(Person).join(PersonPhone, PersonPhone.person_id == Person.id).where(PersonPhone.phone == phone)
        )
        tags: list[str] = []
        if person is not None:
            tags = [t for t in person.tags or [] if t]
            if person.birth_year is not None and now.year - person.birth_year >= ELDERLY_AGE and "elderly" not in tags:
                tags.append("elderly")
        profile = DeskResident(
            user_id=user_id,
            phone=phone,
            person_id=person.id if person else None,
            address=person.address if person else None,
            lon=person.lon if person else None,
            lat=person.lat if person else None,
            station_id=person.station_id if person else None,
            community_id=person.community_id if person else None,
            tags=tags,
            registered_at=now,
            updated_at=now,
        )
        session.add(profile)
        session.flush()
        return profile

    def profile(self, session: Session, actor: Actor) -> DeskResident:
        profile = session.get(DeskResident, actor.id)
        if profile is None:
            raise NotFound("未找到群众档案，请重新登录", field="user")
        return profile

    def update(self, actor: Actor, body: ResidentUpdate) -> ResidentPublic:
        now = self.clock.now()
        with self.db.session() as session:
            profile = self.profile(session, actor)
            fields = body.model_fields_set
            if body.lon is not None and body.lat is not None:
                lon, lat, place = self.places.point(session, body.lon, body.lat, body.crs)
                profile.lon, profile.lat = lon, lat
                profile.station_id, profile.community_id = place.station_id, place.community_id
            elif "address" in fields and body.address:
                found = self.places.address(session, body.address)
                if found is not None:
                    profile.station_id, profile.community_id = found.station_id, found.community_id
            if "address" in fields:
                profile.address = body.address
            if body.tags is not None:
                kept = [t for t in profile.tags or [] if t not in RESIDENT_TAGS]
                profile.tags = sorted({*kept, *body.tags})
            profile.updated_at = now
            session.flush()
            return self.view(session, profile)

    def view(self, session: Session, profile: DeskResident) -> ResidentPublic:
        names = _area_names(session, {profile.station_id, profile.community_id})
        return ResidentPublic(
            id=profile.user_id,
            phone=profile.phone,
            address=profile.address,
            lon=profile.lon,
            lat=profile.lat,
            station_id=profile.station_id,
            station=names.get(profile.station_id) if profile.station_id else None,
            community_id=profile.community_id,
            community=names.get(profile.community_id) if profile.community_id else None,
            tags=list(profile.tags or []),
        )

    # -- my community officer ----------------------------------------------------------------------

    def officer_card(
        self,
        session: Session,
        actor: Actor,
        *,
        point: tuple[float, float, CRS] | None = None,
        address: str | None = None,
    ) -> OfficerCard:
        """The community officer for a point, an address, or (neither given) the resident's profile."""
        place: Place | None = None
        matched: Literal["location", "address", "profile"] = "profile"
        if point is not None:
            lon, lat, crs = point
            _wlon, _wlat, place = self.places.point(session, lon, lat, crs)
            matched = "location"
        elif address:
            place = self.places.address(session, address)
            if place is None:
                raise BadInput("无法从地址判断所属社区，请发送定位", field="address", code="unknown_address")
            matched = "address"
        else:
            profile = session.get(DeskResident, actor.id)
            if profile is not None and (profile.station_id or profile.community_id):
                place = Place(profile.station_id, profile.community_id)
        if place is None or (place.station_id is None and place.community_id is None):
            raise BadInput("请发送定位或填写地址以查找社区民警", field="lon", code="place_required")
        return officer_card(session, place, matched)


def officer_card(session: Session, place: Place, matched: Literal["location", "address", "profile"]) -> OfficerCard:
    areas = [a for a in (place.community_id, place.station_id) if a is not None]
    rows = list(
        session.execute(
            select(DeskOfficer, User)
            .join(User, User.id == DeskOfficer.user_id)
            .where(DeskOfficer.area_id.in_(areas), DeskOfficer.active, User.active)
            .order_by(DeskOfficer.id)
        ).all()
    )
    rows.sort(key=lambda r: 0 if r[0].area_id == place.community_id else 1)
    station_unit = (
        session.scalar(select(Unit).where(Unit.kind == UnitKind.STATION, Unit.area_id == place.station_id).limit(1))
        if place.station_id is not None
        else None
    )
    names = _area_names(session, set(areas))
    if not rows:
        return OfficerCard(
            user_id=None,
            name=None,
            badge=None,
            station=station_unit.name if station_unit else None,
            station_phone=station_unit.phone if station_unit else None,
            contact_phone=None,
            hours=None,
            office=None,
            intro=None,
            area_id=place.community_id or place.station_id,
            area=names.get(place.community_id or place.station_id or 0),
            matched_by=matched,
        )
    card, user = rows[0]
    unit = session.get(Unit, user.unit_id) if user.unit_id else station_unit
    return OfficerCard(
        user_id=user.id,
        name=user.display_name,
        badge=user.badge,
        station=unit.name if unit else None,
        station_phone=unit.phone if unit else None,
        contact_phone=card.contact_phone,
        hours=card.hours,
        office=card.office,
        intro=card.intro,
        area_id=card.area_id,
        area=names.get(card.area_id),
        matched_by=matched,
    )


def _area_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Area.id, Area.name).where(Area.id.in_(wanted))).all())
