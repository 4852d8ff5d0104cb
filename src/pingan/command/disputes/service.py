"""Dispute mediation's use cases: mediators, registering a dispute and its task, the sessions, and keeping
the dispute in step with its task. Each call runs in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.command.disputes.models import Dispute, DisputeSession, DisputeState, Mediator
from pingan.command.disputes.schemas import DisputeCreate, MediatorCreate
from pingan.command.disputes.workflow import KIND, DisputeAction, DisputeStatus
from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.errors import BadInput, Forbidden
from pingan.core.geo import to_wgs84
from pingan.core.identifiers import InvalidIdentifier, mask_name, normalize_phone
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, Area, AreaKind, Role, Task, Unit, UnitKind, User
from pingan.core.scope import Scope, scope_of
from pingan.core.tasks import Command, TaskService

REGISTRARS = frozenset({*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER, Role.GOVERNANCE})
MEDIATOR_UNITS = (UnitKind.STATION, UnitKind.GOVERNANCE, UnitKind.COMMUNITY_TEAM)


class Disputes:
    def __init__(self, clock: Clock, tasks: TaskService, jurisdictions: Jurisdictions) -> None:
        self.clock = clock
        self.tasks = tasks
        self.jurisdictions = jurisdictions
        tasks.on(KIND, DisputeAction.SESSION, effect=self._record_session)
        tasks.listen(KIND, self._follow)

    def add_mediator(self, session: Session, actor: Actor, body: MediatorCreate) -> Mediator:
        """A mediation room or mediator of a unit: the admin and the centre anywhere, a station head for their own."""
        unit = session.get(Unit, body.unit_id)
        if unit is None or unit.kind not in MEDIATOR_UNITS:
            raise BadInput("调解组织须属于派出所或治理单位", field="unit_id", code="no_such_unit")
        if actor.role not in COUNTY_WIDE_ROLES and not (actor.role is Role.STATION_HEAD and actor.unit_id == unit.id):
            raise Forbidden("只能登记本单位的调解组织", field="unit_id")
        if actor.role in COUNTY_WIDE_ROLES and not _actor_scope(session, actor).covers(
            unit_id=unit.id, area_id=unit.area_id
        ):  # a county of several: its own units only
            raise Forbidden("只能登记本县单位的调解组织", field="unit_id")
        if session.scalar(select(Mediator).where(Mediator.unit_id == unit.id, Mediator.name == body.name)):
            raise BadInput("该单位已有同名调解组织", field="name", code="duplicate")
        mediator = Mediator(name=body.name, kind=body.kind, unit_id=unit.id, note=body.note, active=True)
        session.add(mediator)
        session.flush()
        return mediator

    def create(self, session: Session, actor: Actor, scope: Scope, body: DisputeCreate) -> Dispute:
        if actor.role not in REGISTRARS:
            raise Forbidden("当前角色不能登记纠纷")
        if body.source_id is not None:
            existing = session.scalar(select(Dispute).where(Dispute.source_id == body.source_id))
            if existing is not None:
                return existing
        lon, lat = (None, None)
        if body.lon is not None and body.lat is not None:
            lon, lat = to_wgs84(body.lon, body.lat, body.crs)
        area_id = body.area_id
        if area_id is not None:
            area = session.get(Area, area_id)
            if area is None or area.kind is AreaKind.COUNTY:
                raise BadInput("辖区不存在", field="area_id", code="no_such_area")
        elif lon is not None and lat is not None:
            area_id = self.jurisdictions.station_at(session, lon, lat)
        mediator = None
        if body.mediator_id is not None:
            mediator = session.get(Mediator, body.mediator_id)
            if mediator is None or not mediator.active:
                raise BadInput("调解组织不存在", field="mediator_id", code="no_such_mediator")
        unit_id = self._unit(session, actor, scope, mediator, area_id)
        if area_id is None:
            unit = session.get(Unit, unit_id)
            area_id = unit.area_id if unit is not None else None
        parties: list[dict[str, str | None]] = []
        for i, party in enumerate(body.parties):
            phone = None
            if party.phone:
                try:
                    phone = normalize_phone(party.phone)
                except InvalidIdentifier:
                    raise BadInput("电话号码无效", field=f"parties[{i}].phone") from None
            parties.append({"name": party.name, "phone": phone, "role": party.role})
        now = self.clock.now()
        dispute = Dispute(
            source_id=body.source_id,
            category=body.category,
            title=body.title,
            description=body.description,
            place=body.place,
            lon=lon,
            lat=lat,
            area_id=area_id,
            unit_id=unit_id,
            mediator_id=mediator.id if mediator else None,
            parties=parties,
            state=DisputeState.RECEIVED,
            received_at=now,
            created_by=actor.id,
        )
        session.add(dispute)
        session.flush()
        names = "与".join(mask_name(p["name"] or "") for p in parties[:2])
        task = self.tasks.create(
            session,
            kind=KIND,
            title=f"矛盾纠纷：{names}（{body.title}）"[:200],
            ref_type="dispute",
            ref_id=dispute.id,
            area_id=area_id,
            unit_id=unit_id,
            actor_id=actor.id,
            facts={"dispute_id": dispute.id, "category": body.category.value, "sessions": 0},
        )
        dispute.task_id = task.id
        session.flush()
        return dispute

    def _unit(
        self, session: Session, actor: Actor, scope: Scope, mediator: Mediator | None, area_id: int | None
    ) -> int:
        """Who handles it: the mediator's unit; else the registering station or street; for the centres, the
        station of the place. A station registers disputes of its own area only."""
        if not scope.county_wide and scope.area_ids and area_id is not None and area_id not in scope.area_ids:
            raise Forbidden("只能登记本辖区的纠纷", field="area_id")
        if mediator is not None:
            unit_id = mediator.unit_id
        elif actor.role not in COUNTY_WIDE_ROLES and actor.unit_id is not None:
            unit_id = actor.unit_id
        elif area_id is not None and (station := self.jurisdictions.unit_for_station(session, area_id)) is not None:
            unit_id = station
        else:
            raise BadInput("请选择调解组织或纠纷地点", field="mediator_id")
        if not scope.county_wide and unit_id not in scope.unit_ids:
            unit = session.get(Unit, unit_id)
            if unit is None or unit.area_id is None or unit.area_id not in scope.area_ids:
                raise Forbidden("只能交本单位或本辖区的调解组织调解", field="mediator_id")
        return unit_id

    def _record_session(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        session.add(
            DisputeSession(
                dispute_id=task.ref_id,
                at=self.clock.now(),
                place=str(command.data.get("place", "")),
                mediators=str(command.data.get("mediators", "")),
                summary=str(command.data.get("summary", "")),
                recorded_by=actor.id,
            )
        )

    def _follow(self, session: Session, task: Task, command: Command) -> None:
        dispute = session.get(Dispute, task.ref_id)
        if dispute is None:
            return
        now = self.clock.now()
        state = {
            DisputeStatus.ISSUED: DisputeState.RECEIVED,
            DisputeStatus.MEDIATING: DisputeState.MEDIATING,
            DisputeStatus.AGREED: DisputeState.AGREED,
            DisputeStatus.RESOLVED: DisputeState.RESOLVED,
            DisputeStatus.FAILED: DisputeState.FAILED,
            DisputeStatus.CLOSED: DisputeState.CLOSED,
        }[DisputeStatus(task.status)]
        dispute.state = state
        dispute.outcome = task.outcome
        if command.action == DisputeAction.AGREE:
            dispute.agreement = str(command.data.get("terms", ""))
            amount = command.data.get("compensation_yuan")
            dispute.compensation_yuan = amount if isinstance(amount, int) else None
            dispute.agreed_at = now
        elif command.action == DisputeAction.FAIL:
            referral = command.data.get("referral")
            dispute.referral = referral if isinstance(referral, str) else None
        dispute.resolved_at = now if state is DisputeState.RESOLVED else None
        dispute.closed_at = task.closed_at


def _actor_scope(session: Session, actor: Actor) -> Scope:
    user = session.get(User, actor.id)
    if user is None:
        raise Forbidden("用户不存在")
    return scope_of(session, user)
