"""The staff's one search box: a phone in any format, an ID number, a name, a warning, task or request number,
an indicator; results across warnings, tasks, desk requests, people and indicator lists, within the user's
scope and masked. Unmasking goes through each record's own reveal, which records the read."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep
from pingan.api.routes.rehab import ROLES as REHAB_ROLES
from pingan.api.routes.rehab import plan_scope, record_reads
from pingan.bootstrap import Services
from pingan.command.rehab.models import RehabPlan
from pingan.command.rehab.service import KIND_NAMES as REHAB_KIND_NAMES
from pingan.core.db import containing
from pingan.core.errors import BadInput, Forbidden, NotFound
from pingan.core.fields import DbId
from pingan.core.identifiers import (
    IdentifierKind,
    InvalidIdentifier,
    guess_kind,
    is_valid_cn_id_number,
    mask_account,
    mask_address,
    mask_free_text,
    mask_id_number,
    mask_name,
    mask_phone,
    match_keys,
    normalize_phone,
)
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, AccessLog, Area, Duty, Person, PersonPhone, Role, Task, Unit, User
from pingan.core.people import visible_tags
from pingan.core.scope import REVEAL_ROLES, Scope
from pingan.desk.models import DeskRequest
from pingan.desk.queries import queue_clause
from pingan.desk.rules.kinds import CATEGORY_NAMES
from pingan.desk.workflow import REF_TYPE as DESK_REF
from pingan.desk.workflow import STAFF_ROLES as DESK_ROLES
from pingan.fraud.models import FraudWarning, Indicator
from pingan.fraud.workflow import LEVEL_NAMES

router = APIRouter(tags=["search"])

PEOPLE_ROLES = frozenset({*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER})
INDICATOR_ROLES = frozenset(COUNTY_WIDE_ROLES)
PER_KIND = 20
_REF_RE = re.compile(r"^(?:#|no\.?|[wtr]|预警|任务|诉求|编号)?\s*0*([0-9]{1,10})$", re.IGNORECASE)
_ID_NUMBER_RE = re.compile(r"^[1-8][0-9]{16}[0-9X]$|^[1-8][0-9]{14}$")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")

HitType = Literal["warning", "task", "request", "person", "indicator", "rehab"]
KINDS: tuple[HitType, ...] = ("warning", "task", "request", "person", "indicator")
"""The kinds every staff user's counts name; `rehab` (社区戒毒) only for holders of the 禁毒 duty."""


class SearchHit(BaseModel):
    type: HitType
    id: int
    title: str
    """What the hit is, personal data masked."""
    detail: str | None = None
    station: str | None = None
    status: str | None = None
    at: datetime | None = None
    matched: str
    """Which reading of the query found it: phone, id_number, name, number, indicator, text."""


class SearchReading(BaseModel):
    kind: str
    value: str
    """The normalised value searched for (masked when it is a phone or an ID number)."""


class SearchResults(BaseModel):
    q: str
    readings: list[SearchReading]
    items: list[SearchHit]
    counts: dict[str, int]
    truncated: bool
    """Some kind had more than the PER_KIND hits shown: narrow the query."""


@dataclass
class SearchQuery:
    """What the text typed may be, each normalised as the matching code normalises it."""

    text: str
    phone: str | None = None
    id_number: str | None = None
    number: int | None = None
    name: str | None = None
    indicator_keys: list[tuple[IdentifierKind, str]] = field(default_factory=list)

    def readings(self) -> list[SearchReading]:
        out = []
        if self.phone:
            out.append(SearchReading(kind="phone", value=mask_phone(self.phone)))
        if self.id_number:
            out.append(SearchReading(kind="id_number", value=mask_id_number(self.id_number)))
        if self.number is not None:
            out.append(SearchReading(kind="number", value=str(self.number)))
        if self.name:
            out.append(SearchReading(kind="name", value=self.name))
        shown = {IdentifierKind.PHONE: mask_phone, IdentifierKind.ACCOUNT: mask_account}
        out.extend(
            SearchReading(kind=f"indicator:{k.value}", value=shown.get(k, str)(v)) for k, v in self.indicator_keys
        )
        return out


def read_query(raw: str) -> SearchQuery:
    """The readings of a search text: a phone (`+86 139-0574-0001`, full-width digits…), an ID number, a record
    number (`#12`, `预警12`), a name, an indicator (phone, card, URL, domain, app id)."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise BadInput("请输入要查找的内容", field="q")
    q = SearchQuery(text=text)
    compact = re.sub(r"[\s\-]", "", text).upper()
    if _ID_NUMBER_RE.match(compact) and (len(compact) == 15 or is_valid_cn_id_number(compact)):
        q.id_number = compact
    ref = _REF_RE.match(text)
    if ref:
        q.number = int(ref.group(1))
    if len(compact) != 18:  # an 18-character ID number is no phone (E.164 stops at 15 digits)
        try:
            kind = guess_kind(text)
        except InvalidIdentifier:
            kind = None
        if kind is IdentifierKind.PHONE:
            try:
                phone = normalize_phone(text)
            except InvalidIdentifier:
                phone = None
            # A bare record number is not read as a phone: "12" is a warning, not a service number.
            if phone is not None and not (ref and len(phone) < 5):
                q.phone = phone
        if kind is not None:
            try:
                q.indicator_keys = match_keys(kind, text)
            except InvalidIdentifier:
                q.indicator_keys = []
    if _CJK_RE.search(text) and 2 <= len(text) <= 20 and q.number is None:
        q.name = text
    return q


@router.get("/search", response_model=SearchResults)
def search(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    q: Annotated[
        str, Query(min_length=1, max_length=100, description="A phone, ID number, name, number or indicator.")
    ],
) -> SearchResults:
    """Everything the text may name, within the user's scope, masked; each kind at most 20 hits, newest first."""
    if user.role is Role.RESIDENT:
        raise Forbidden("群众账号不能使用工作台检索")
    parsed = read_query(q)
    found = Finder(services, session, user, scope, parsed)
    people, warnings, requests = found.people(), found.warnings(), found.requests()
    groups: list[list[SearchHit]] = [people, warnings, found.tasks(), requests, found.indicators()]
    kinds = list(KINDS)
    if found.may_see_rehab():
        groups.append(found.rehab())
        kinds.append("rehab")
    items = [hit for group in groups for hit in group[:PER_KIND]]
    counts = {kind: sum(1 for h in items if h.type == kind) for kind in kinds}
    return SearchResults(
        q=parsed.text,
        readings=parsed.readings(),
        items=items,
        counts=counts,
        truncated=any(len(g) > PER_KIND for g in groups),
    )


class Finder:
    """One search, kind by kind: each query carries the user's scope as its own clause."""

    def __init__(self, services: Services, session: Session, user: User, scope: Scope, q: SearchQuery) -> None:
        self.services = services
        self.session = session
        self.user = user
        self.scope = scope
        self.q = q
        self._people: list[Person] | None = None
        self._warning_tasks: list[int] = []
        self._request_ids: list[int] = []

    def _area_names(self, ids: set[int | None]) -> dict[int, str]:
        wanted = {i for i in ids if i}
        if not wanted:
            return {}
        return dict(self.session.execute(select(Area.id, Area.name).where(Area.id.in_(wanted))).all())

    def _person_rows(self) -> list[Person]:
        if self._people is not None:
            return self._people
        q = self.q
        conds: list[ColumnElement[bool]] = []
        if q.phone:
            conds.append(Person.id.in_(select(PersonPhone.person_id).where(PersonPhone.phone == q.phone)))
        if q.id_number:
            conds.append(Person.id_number == q.id_number)
        if q.name:
            conds.append(Person.name == q.name)
        if not conds or self.user.role not in PEOPLE_ROLES:
            self._people = []
            return self._people
        query = select(Person).where(or_(*conds))
        if not self.scope.county_wide:
            query = query.where(Person.station_id.in_(self.scope.area_ids) if self.scope.area_ids else false())
        self._people = list(self.session.scalars(query.order_by(Person.id.desc()).limit(PER_KIND + 1)))
        return self._people

    def people(self) -> list[SearchHit]:
        rows = self._person_rows()
        stations = self._area_names({p.station_id for p in rows})
        phones: dict[int, str] = {}
        if rows:
            for phone, pid in self.session.execute(
                select(PersonPhone.phone, PersonPhone.person_id).where(PersonPhone.person_id.in_([p.id for p in rows]))
            ):
                phones.setdefault(pid, phone)
        matched = "phone" if self.q.phone else "id_number" if self.q.id_number else "name"
        return [
            SearchHit(
                type="person",
                id=p.id,
                title=mask_name(p.name),
                detail=" · ".join(
                    x
                    for x in (
                        mask_phone(phones[p.id]) if p.id in phones else None,
                        mask_id_number(p.id_number) if p.id_number else None,
                        mask_address(p.address) if p.address else None,
                    )
                    if x
                ),
                station=stations.get(p.station_id or 0),
                matched=matched,
            )
            for p in rows
        ]

    def warnings(self) -> list[SearchHit]:
        if self.user.role not in PEOPLE_ROLES:
            return []
        q = self.q
        conds: list[ColumnElement[bool]] = []
        if q.phone:
            conds.append(FraudWarning.subject_phone == q.phone)
        if q.number is not None:
            conds.append(FraudWarning.id == q.number)
        people = [p.id for p in self._person_rows()]
        if people:
            conds.append(FraudWarning.person_id.in_(people))
        if not conds:
            return []
        rows = list(
            self.session.scalars(
                select(FraudWarning)
                .where(or_(*conds), self.scope.clause(FraudWarning.unit_id, FraudWarning.area_id))
                .order_by(FraudWarning.id.desc())
                .limit(PER_KIND + 1)
            )
        )
        self._warning_tasks = [w.task_id for w in rows if w.task_id is not None]
        stations = self._area_names({w.area_id for w in rows})
        return [
            SearchHit(
                type="warning",
                id=w.id,
                title=f"预警 #{w.id} · {LEVEL_NAMES[w.level]} · {mask_phone(w.subject_phone)}",
                detail="、".join(str(r.get("text", "")) for r in (w.reasons or [])[:3] if isinstance(r, dict)) or None,
                station=stations.get(w.area_id or 0),
                status="待处置" if w.status.value == "open" else "已办结",
                at=w.created_at,
                matched="number" if q.number == w.id else "phone" if q.phone == w.subject_phone else "person",
            )
            for w in rows
        ]

    def tasks(self) -> list[SearchHit]:
        q = self.q
        conds: list[ColumnElement[bool]] = []
        if q.number is not None:
            conds.append(Task.id == q.number)
        if q.phone or q.id_number or q.name:
            # The tasks of the warnings and requests found (titles carry phones masked, which would match others).
            if self._warning_tasks:
                conds.append(Task.id.in_(self._warning_tasks))
            if self._request_ids:
                conds.append((Task.ref_type == DESK_REF) & Task.ref_id.in_(self._request_ids))
        if q.name or (not q.phone and not q.id_number and q.number is None and len(q.text) >= 2):
            conds.append(containing(Task.title, q.text))
        if not conds:
            return []
        rows = list(
            self.session.scalars(
                select(Task)
                .where(or_(*conds), self.services.tasks.visible_clause(self.scope))
                .order_by(Task.id.desc())
                .limit(PER_KIND + 1)
            )
        )
        stations = self._area_names({t.area_id for t in rows})
        now = self.services.clock.now()
        out = []
        for t in rows:
            brief = self.services.tasks.brief(t, now)
            out.append(
                SearchHit(
                    type="task",
                    id=t.id,
                    title=f"任务 #{t.id} · {mask_free_text(t.title)}",
                    detail=str(brief["kind_name"]),
                    station=stations.get(t.area_id or 0),
                    status=str(brief["status_name"]),
                    at=t.created_at,
                    matched="number" if q.number == t.id else "text",
                )
            )
        return out

    def may_see_rehab(self) -> bool:
        """Plans of community drug rehabilitation exist for this search only with the 禁毒 duty (the one check of
        `Scope.has`): without it they are absent, not even counted."""
        return self.scope.has(Duty.NARCOTICS) and self.user.role in REHAB_ROLES

    def rehab(self) -> list[SearchHit]:
        """Plans by the person's name, ID number or phone, in the user's jurisdiction, masked; each one shown is
        recorded in the access log (as the rehab list records its reads)."""
        if not self.may_see_rehab():
            return []
        q = self.q
        conds: list[ColumnElement[bool]] = []
        if q.id_number:
            conds.append(RehabPlan.id_number == q.id_number)
        if q.phone:
            conds.append(RehabPlan.phone == q.phone)
        if q.name:
            conds.append(RehabPlan.name == q.name)
        if not conds:
            return []
        rows = list(
            self.session.scalars(
                select(RehabPlan)
                .where(or_(*conds), plan_scope(self.scope))
                .order_by(RehabPlan.id.desc())
                .limit(PER_KIND + 1)
            )
        )
        if not rows:
            return []
        record_reads(self.session, self.user, rows[:PER_KIND], self.services.clock.now(), "工作台检索", "plan")
        wanted = {p.unit_id for p in rows if p.unit_id}
        units = dict(self.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted))).all())
        matched = "id_number" if q.id_number else "phone" if q.phone else "name"
        return [
            SearchHit(
                type="rehab",
                id=p.id,
                title=mask_name(p.name),
                detail=" · ".join(
                    x
                    for x in (REHAB_KIND_NAMES[p.kind], mask_id_number(p.id_number), "已失联" if p.lost_since else None)
                    if x
                ),
                station=units.get(p.unit_id) if p.unit_id else None,
                status="已结束" if p.ended_at else "在管",
                at=p.created_at,
                matched=matched,
            )
            for p in rows
        ]

    def requests(self) -> list[SearchHit]:
        if self.user.role not in DESK_ROLES:
            return []
        q = self.q
        conds: list[ColumnElement[bool]] = []
        if q.number is not None:
            conds.append(DeskRequest.id == q.number)
        if q.phone:
            conds.append(DeskRequest.phone == q.phone)
        if not conds:
            return []
        r = DeskRequest
        rows = self.session.execute(
            select(r.id, r.phone, r.category, r.text, r.station_id, r.status, r.created_at)
            .where(or_(*conds), queue_clause(self.scope))
            .order_by(r.id.desc())
            .limit(PER_KIND + 1)
        ).all()
        self._request_ids = [row.id for row in rows]
        stations = self._area_names({row.station_id for row in rows})
        return [
            SearchHit(
                type="request",
                id=row.id,
                title=f"诉求 #{row.id} · {CATEGORY_NAMES[row.category]} · {mask_phone(row.phone)}",
                detail=mask_free_text(row.text[:160])[:60] or None,
                station=stations.get(row.station_id or 0),
                status=row.status.value,
                at=row.created_at,
                matched="number" if q.number == row.id else "phone",
            )
            for row in rows
        ]

    def indicators(self) -> list[SearchHit]:
        if self.user.role not in INDICATOR_ROLES or not self.q.indicator_keys:
            return []
        conds = [(Indicator.kind == k.value) & (Indicator.value == v) for k, v in self.q.indicator_keys]
        rows = list(
            self.session.scalars(select(Indicator).where(or_(*conds)).order_by(Indicator.id.desc()).limit(PER_KIND + 1))
        )
        return [
            SearchHit(
                type="indicator",
                id=i.id,
                title=f"{i.kind} · {i.value}",
                detail=i.note,
                status="有效" if i.active else "已失效",
                at=i.created_at,
                matched="indicator",
            )
            for i in rows
        ]


# -- one person, as a search hit opens it ------------------------------------------------------------


class PersonPublic(BaseModel):
    id: int
    name: str
    phones: list[str]
    id_number: str | None
    address: str | None
    birth_year: int | None
    station_id: int | None
    station: str | None
    tags: list[str]
    masked: bool


@router.get("/people/{person_id}", response_model=PersonPublic, tags=["people"])
def get_person(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    person_id: DbId,
    reveal: Annotated[bool, Query(description="Unmasked (the read is recorded in the access log).")] = False,
    purpose: Annotated[str, Query(min_length=1, max_length=200)] = "检索核查",
) -> PersonPublic:
    """A registered person: masked, or with `reveal=true` for the roles that need it, the read recorded."""
    if user.role not in PEOPLE_ROLES:
        raise Forbidden("当前角色不能查看人员信息")
    person = session.get(Person, person_id)
    if person is None or not (scope.county_wide or person.station_id in scope.area_ids):
        raise NotFound("人员不存在或不在本单位辖区", field="person_id")
    if reveal and user.role not in REVEAL_ROLES:
        raise Forbidden("当前角色不能查看完整个人信息", field="reveal")
    if reveal:
        session.add(
            AccessLog(
                at=services.clock.now(),
                user_id=Actor.of(user).id,
                subject_type="person",
                subject_id=person.id,
                fields="name,phone,id_number,address",
                purpose=purpose,
            )
        )
    phones = list(session.scalars(select(PersonPhone.phone).where(PersonPhone.person_id == person.id)))
    station = session.get(Area, person.station_id) if person.station_id else None
    return PersonPublic(
        id=person.id,
        name=person.name if reveal else mask_name(person.name),
        phones=phones if reveal else [mask_phone(p) for p in phones],
        id_number=(person.id_number if reveal else mask_id_number(person.id_number)) if person.id_number else None,
        address=(person.address if reveal else mask_address(person.address)) if person.address else None,
        birth_year=person.birth_year,
        station_id=person.station_id,
        station=station.name if station else None,
        tags=visible_tags(person.tags or [], scope.duties),
        masked=not reveal,
    )
